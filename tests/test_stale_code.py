"""The compile cache must never run code compiled for something that has changed:
a monkeypatched module attribute, a replaced code object or defaults (the function's
or a callee's), or a source file edited on disk without a reload."""
import importlib
import itertools
import os
import sys
import textwrap
import time
from unittest import mock

import numpy as np
import pytest

import srcgrad
from srcgrad import compiler
from srcgrad.errors import SourceUnavailableError
from reference import assert_close, numeric_grad

X = np.array([0.3, -0.7, 1.1])
_ids = itertools.count()


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """write(name, source) -> a freshly imported module from a real file."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made = []

    def write(name, source, package=None):
        name = f"{name}_{next(_ids)}"
        folder = tmp_path
        if package:
            folder = tmp_path / package
            folder.mkdir(exist_ok=True)
            (folder / "__init__.py").write_text("")
        path = folder / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        full = f"{package}.{name}" if package else name
        made.append(full)
        importlib.invalidate_caches()
        return importlib.import_module(full), path
    yield write
    for name in made:
        sys.modules.pop(name, None)


ACTS = """
import numpy as np

def act(x):
    return np.sin(x)

def cube(x):
    return x ** 3
"""

USER = """
import numpy as np
import {acts}

def f(x):
    return np.sum({acts}.act(x) * 2.0)
"""


def _grad_vs_numeric(g, f, x=X):
    assert_close(g(x), numeric_grad(f, (x,)), rtol=1e-5, atol=1e-7)


def test_module_attribute_monkeypatched(modules):
    acts, _ = modules("acts", ACTS)
    user, _ = modules("user", USER.format(acts=acts.__name__))
    g = srcgrad.grad(user.f)
    _grad_vs_numeric(g, user.f)
    original = acts.act
    acts.act = acts.cube
    try:
        _grad_vs_numeric(g, user.f)
    finally:
        acts.act = original
    _grad_vs_numeric(g, user.f)


def test_mock_patch_of_a_dotted_path(modules):
    acts, _ = modules("acts", ACTS, package="pkg")
    user, _ = modules("user", USER.format(acts=acts.__name__).replace(
        f"import {acts.__name__}", f"import {acts.__name__}"))
    g = srcgrad.grad(user.f)
    _grad_vs_numeric(g, user.f)
    with mock.patch(f"{acts.__name__}.act", acts.cube):
        _grad_vs_numeric(g, user.f)
    _grad_vs_numeric(g, user.f)


def test_code_replaced_in_place_like_autoreload(modules):
    mod, _ = modules("m", """
import numpy as np

def h(x):
    return np.sin(x)

def h2(x):
    return x * x * x

def f(x):
    return np.sum(h(x) + x)

def f2(x):
    return np.sum(np.exp(x))
""")
    g = srcgrad.grad(mod.f)
    _grad_vs_numeric(g, mod.f)
    mod.h.__code__ = mod.h2.__code__      # the callee's code replaced
    _grad_vs_numeric(g, mod.f)
    mod.f.__code__ = mod.f2.__code__      # the function's own code replaced
    _grad_vs_numeric(g, mod.f)


def test_defaults_changed(modules):
    mod, _ = modules("m", """
import numpy as np

def h(x, a=2.0, *, b=1.0):
    return a * x * x + b * x

def f(x, scale=3.0):
    return np.sum(scale * h(x))
""")
    g = srcgrad.grad(mod.f)
    _grad_vs_numeric(g, mod.f)
    mod.f.__defaults__ = (5.0,)
    _grad_vs_numeric(g, mod.f)
    mod.h.__defaults__ = (-4.0,)
    _grad_vs_numeric(g, mod.f)
    mod.h.__kwdefaults__ = {"b": 7.0}
    _grad_vs_numeric(g, mod.f)


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    stamp = time.time() + 10  # a different mtime, so linecache sees the edit
    os.utime(path, (stamp, stamp))


def test_file_edited_without_reload_is_refused(modules):
    mod, path = modules("m", """
import numpy as np

def f(x):
    return np.sum(np.sin(x))
""")
    g = srcgrad.grad(mod.f)
    _grad_vs_numeric(g, mod.f)
    _edit(path, "np.sin(x)", "np.cos(x) * 10.0")
    _grad_vs_numeric(g, mod.f)  # the compiled shape still holds: the right gradient
    # a new shape compiles again from the source read and checked for this code
    # object (the running code), not from the edited file
    _grad_vs_numeric(g, mod.f, np.ones(4))
    srcgrad.clear_cache()  # forgets the sources too: now the file must be read again
    with pytest.raises(SourceUnavailableError) as info:
        g(np.ones(4))
    assert "changed since it was imported" in str(info.value)
    assert info.value.filename == str(path)
    mod = importlib.reload(mod)
    _grad_vs_numeric(srcgrad.grad(mod.f), mod.f, np.ones(4))


def test_callee_file_edited_without_reload_is_refused(modules):
    acts, path = modules("acts", ACTS)
    user, _ = modules("user", USER.format(acts=acts.__name__))
    g = srcgrad.grad(user.f)
    _grad_vs_numeric(g, user.f)
    _edit(path, "return np.sin(x)", "return np.tanh(x)")
    _grad_vs_numeric(g, user.f, np.ones(5))  # the callee's adjoint is still its code's
    compiler.clear_cache()  # now the callee must be read again: from the edited file
    with pytest.raises(SourceUnavailableError) as info:
        g(np.ones(5))
    assert "changed since it was imported" in str(info.value)
    assert info.value.filename == user.__file__  # located at the caller's call


def test_edit_below_the_function_does_not_refuse(modules):
    mod, path = modules("m", """
import numpy as np

def f(x):
    return np.sum(np.sin(x))

def other():
    return 1
""")
    _edit(path, "return 1", "return 2  # edited")
    _grad_vs_numeric(srcgrad.grad(mod.f), mod.f)


def test_module_defines_a_builtin_later(modules):
    mod, _ = modules("m", """
import numpy as np

def f(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x * i)
    return s
""")
    g = srcgrad.grad(mod.f, unroll=False)
    _grad_vs_numeric(g, mod.f)
    mod.range = lambda n: [5, 7]  # the module's own range: f's loop now uses it
    _grad_vs_numeric(g, mod.f)
    del mod.range
    _grad_vs_numeric(g, mod.f)


def test_stable_guards_do_not_recompile(modules, monkeypatch):
    mod, _ = modules("m", """
import numpy as np
rng = np.random.default_rng(0)

def h(x):
    return np.tanh(x)

def f(x):
    noise = rng.normal(size=3)
    return np.sum(h(x) * np.linalg.norm(x) + noise * 0.0)
""")
    runs = []
    real = compiler._Job.run
    monkeypatch.setattr(compiler._Job, "run", lambda self: runs.append(1) or real(self))
    g = srcgrad.grad(mod.f)
    for _ in range(3):
        g(X)
    assert len(runs) == 2  # f and its callee h, once each
