"""srcgrad: source-to-source automatic differentiation for Python and NumPy.

    @srcgrad.grad
    def f(x):
        return np.sum(np.sin(x) * x)

`f(x)` now returns df/dx, computed by generated, readable Python code
(`srcgrad.show(f)` prints it). Nothing is recorded at run time.
"""
from . import rules  # noqa: F401  (registers the built-in derivative rules)
from .api import grad, show, stop_gradient, value_and_grad, vjp
from .cache import clear_cache, set_cache_limit
from .diskcache import set_disk_cache
from .errors import SrcgradError
from .rules.registry import adjoint, d

__version__ = "0.1.0"
__all__ = ["grad", "value_and_grad", "vjp", "show", "stop_gradient", "adjoint", "d",
           "SrcgradError", "clear_cache", "set_cache_limit",
           "set_disk_cache"]
