"""The systems under comparison, each turning a Case into a zero-argument runner.

Every optional framework is imported behind a guard: a missing one is skipped
with a note in the report, never an error.
"""
import importlib
import importlib.metadata
import inspect
import itertools
import linecache
import os

import numpy as np

from .workloads import wrt_tuple

HAND, SRCGRAD, AUTOGRAD = "hand-written", "srcgrad", "autograd"
TORCH, JAX, JAX_JIT = "torch", "jax", "jax-jit"
ORDER = [HAND, SRCGRAD, AUTOGRAD, TORCH, JAX, JAX_JIT]


class NotApplicable(Exception):
    """The system cannot run this case by design (not a failure)."""


def _try_import(name):
    try:
        return importlib.import_module(name), None
    except Exception as exc:  # any import failure means "not installed" here
        return None, f"{type(exc).__name__}: {exc}"


class Systems:
    """Imports what is installed; `notes` says what was skipped and why."""

    def __init__(self, threads=None):
        self.notes = []
        self.available = [HAND]
        self.srcgrad, err = _try_import("srcgrad")
        if self.srcgrad is None:
            self.notes.append(f"srcgrad could not be imported ({err}).")
        elif not hasattr(self.srcgrad, "grad"):
            self.notes.append("srcgrad has no `grad` yet; skipped.")
        else:
            self.available.append(SRCGRAD)
        self.autograd, err = _try_import("autograd")
        if self.autograd is None:
            self.notes.append(f"autograd not installed ({err}); skipped.")
        else:
            self.autograd_np = importlib.import_module("autograd.numpy")
            self.available.append(AUTOGRAD)
        # Torch's OpenMP workers spin after each call by default; on a small
        # machine they steal the cores of OpenBLAS in the next system's sample
        # (measured: 10x slower NumPy right after a torch call). Must be set
        # before torch loads its OpenMP runtime.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self.torch, err = _try_import("torch")
        if self.torch is None:
            self.notes.append("PyTorch not installed; skipped.")
        else:
            if threads is not None:
                self.torch.set_num_threads(threads)
            self.available.append(TORCH)
        self.jax, err = _try_import("jax")
        if self.jax is None:
            self.notes.append("JAX not installed; skipped.")
        else:
            self.jax.config.update("jax_enable_x64", True)  # compare in float64
            self.jnp = importlib.import_module("jax.numpy")
            self.available += [JAX, JAX_JIT]

    def versions(self):
        out = {"numpy": np.__version__}
        for name, mod in [("autograd", self.autograd), ("torch", self.torch),
                          ("jax", self.jax)]:
            if mod is not None:
                out[name] = getattr(mod, "__version__", None) or _dist_version(name)
        return out

    # Each builder returns (run, to_numpy): run() computes the gradient,
    # to_numpy(result) turns it into a tuple of NumPy values for the check.

    def build(self, system, case):
        return getattr(self, "_build_" + system.replace("-", "_"))(case)

    def _build_hand_written(self, case):
        hand, args = case.hand, case.args
        return (lambda: hand(*args)), _tuple_of(case.wrt)

    def _build_srcgrad(self, case):
        g = self.srcgrad.grad(case.fn, wrt=case.wrt)
        args = case.args
        return (lambda: g(*args)), _tuple_of(case.wrt)

    def _build_autograd(self, case):
        f = exec_source(case.fn, {"np": self.autograd_np}, tag="autograd")
        g = self.autograd.grad(f, case.wrt)
        args = case.args
        return (lambda: g(*args)), _tuple_of(case.wrt)

    def _build_torch(self, case):
        if case.make_torch is None:
            raise NotApplicable("no torch version")
        torch = self.torch
        f = case.make_torch(torch)
        wrt = wrt_tuple(case.wrt)
        targs = [torch.tensor(a, dtype=torch.float64, requires_grad=i in wrt)
                 for i, a in enumerate(case.args)]
        params = [targs[i] for i in wrt]

        def run():
            return torch.autograd.grad(f(*targs), params)
        return run, lambda gs: tuple(t.detach().numpy() for t in gs)

    def _jax_parts(self, case):
        if case.make_jax is None:
            raise NotApplicable("no jax version")
        f = case.make_jax(self.jnp)
        wrt = wrt_tuple(case.wrt)
        jargs = tuple(self.jnp.asarray(a, dtype=self.jnp.float64) for a in case.args)
        return self.jax.grad(f, argnums=wrt), jargs

    def _wrap_jax(self, g, jargs):
        block = self.jax.block_until_ready

        def run():
            return block(g(*jargs))
        return run, lambda gs: tuple(np.asarray(x) for x in gs)

    def _build_jax(self, case):
        return self._wrap_jax(*self._jax_parts(case))

    def _build_jax_jit(self, case):
        if not case.jit_ok:
            raise NotApplicable(case.jit_note or "not jittable")
        g, jargs = self._jax_parts(case)
        return self._wrap_jax(self.jax.jit(g), jargs)


def _dist_version(name):
    try:
        return importlib.metadata.version(name)
    except Exception:
        return "?"


def _tuple_of(wrt):
    if isinstance(wrt, (tuple, list)):
        return lambda gs: tuple(gs)
    return lambda g: (g,)


_counter = itertools.count()


def exec_source(fn, overrides, tag):
    """Re-create `fn` from its own source text with some globals replaced.

    The text is registered in linecache under a fresh filename so that tools
    reading source (inspect, tracebacks, srcgrad itself) can find it.
    """
    src = inspect.getsource(fn)
    filename = f"<benchmarks-{tag}-{fn.__name__}-{next(_counter)}>"
    lines = src.splitlines(keepends=True)
    linecache.cache[filename] = (len(src), None, lines, filename)
    namespace = dict(fn.__globals__)
    namespace.update(overrides)
    exec(compile(src, filename, "exec"), namespace)
    return namespace[fn.__name__]
