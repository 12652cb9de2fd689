"""The examples in examples/: each script runs cleanly, and its functions give the
same gradients as the reference tape (HIPS autograd) on the same source."""
import functools
import importlib.util
import os
import subprocess
import sys
import types
import warnings
from pathlib import Path

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.tracer import getval

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))


# --- every script runs -------------------------------------------------------


def test_there_are_examples():
    assert len(SCRIPTS) >= 10


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_example_script_runs(script, tmp_path):
    # A fresh interpreter, started away from the repository (plot_sin.py writes
    # its PNG into the working directory), with srcgrad importable.
    pythonpath = os.pathsep.join(p for p in [str(ROOT), os.environ.get("PYTHONPATH")] if p)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=pythonpath)
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"


# --- helpers -----------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def example(name):
    """Import examples/<name>.py as a module, without running its main()."""
    spec = importlib.util.spec_from_file_location(f"srcgrad_examples_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def on_tape(fun):
    """The same code object with NumPy swapped for autograd.numpy, so autograd
    can trace it; srcgrad.stop_gradient becomes autograd's unboxing."""
    shim = types.SimpleNamespace(stop_gradient=getval)
    scope = dict(fun.__globals__, np=anp, srcgrad=shim)
    return types.FunctionType(fun.__code__, scope, fun.__name__, fun.__defaults__, fun.__closure__)


def tape_grad(fun, argnum=0):
    """Reference gradient of sum(fun(...)), as srcgrad defines it for non-scalars."""
    traced = on_tape(fun)

    def summed(*args):
        return anp.sum(traced(*args))

    def call(*args):
        with warnings.catch_warnings():  # "output seems independent of input"
            warnings.simplefilter("ignore", UserWarning)
            return autograd.grad(summed, argnum)(*args)

    return call


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12)


RNG = np.random.default_rng(1234)


# --- individual examples against the tape --------------------------------------


def test_quickstart():
    module = example("quickstart")
    srcgrad = module.srcgrad
    x = np.arange(4.0)
    close(srcgrad.grad(module.f)(x), [0.0, 4.0, 8.0, 12.0])
    source = srcgrad.show(module.f)
    assert isinstance(source, str) and "def " in source


@pytest.mark.parametrize("name, x", [
    ("two_dot", np.arange(4.0)),
    ("two_dot", RNG.standard_normal(7)),
    ("two_xtx", np.arange(4.0).reshape(4, 1)),
    ("two_xtx", RNG.standard_normal((5, 1))),
    ("total", RNG.standard_normal(4)),
])
def test_simple_example(name, x):
    module = example("simple_example")
    fun = getattr(module, name)
    g = module.srcgrad.grad(fun)(x)
    assert np.shape(g) == x.shape
    close(g, tape_grad(fun)(x))


def test_simple_example_value_and_grad():
    module = example("simple_example")
    x = np.arange(4.0)
    y, g = module.srcgrad.value_and_grad(module.two_dot)(x)
    close(y, 28.0)
    close(g, 4 * x)


@pytest.mark.parametrize("name", ["square", "sum_of_square"])
def test_non_scalar(name):
    module = example("non_scalar")
    fun = getattr(module, name)
    x = RNG.standard_normal((3, 2))
    close(module.srcgrad.grad(fun)(x), tape_grad(fun)(x))


def test_detach():
    module = example("detach")
    grad = module.srcgrad.grad
    x = RNG.standard_normal(5)
    close(grad(module.detached)(x), tape_grad(module.detached)(x))
    close(grad(module.detached)(x), x * x)
    close(grad(module.detached, of="y")(x), 2 * x)
    close(grad(module.attached)(x), tape_grad(module.attached)(x))


def test_intermediates():
    module = example("intermediates")
    grad = module.srcgrad.grad
    x = RNG.standard_normal((2, 3))
    close(grad(module.sum_squared)(x), tape_grad(module.sum_squared)(x))
    close(grad(module.sum_squared, wrt="y")(x), 2 * np.sum(x))  # dz/dy = 2y
    close(grad(module.sum_squared, of="y")(x), np.ones_like(x))
    close(grad(module.square_and_cube, of=0)(1.7), 2 * 1.7)
    close(grad(module.square_and_cube, of=1)(1.7), 3 * 1.7**2)


@pytest.mark.parametrize("fun_name, options", [
    ("reassigned", {"of": "y"}),
    ("reassigned", {"wrt": "y"}),
    ("sum_squared", {"of": "w"}),
    ("sum_squared", {"wrt": "w"}),
])
def test_intermediates_refused(fun_name, options):
    module = example("intermediates")
    error = module.refused(getattr(module, fun_name), np.ones((2, 2)), **options)
    assert isinstance(error, module.srcgrad.SrcgradError)


def test_persistent():
    module = example("persistent")
    grad = module.srcgrad.grad
    x = RNG.standard_normal((4, 1))
    close(grad(module.square_twice)(x), tape_grad(module.square_twice)(x))
    close(grad(module.square_twice, of="y")(x), 2 * x)
    w = RNG.standard_normal(4)
    v = RNG.standard_normal(4)
    dx, dw = grad(module.two_dot, wrt=(0, 1))(v, w)
    close(dx, tape_grad(module.two_dot, 0)(v, w))
    close(dw, tape_grad(module.two_dot, 1)(v, w))


def test_backward_twice():
    module = example("backward_twice")
    x = RNG.standard_normal(4)
    cot = RNG.standard_normal(4)
    value, pullback = module.srcgrad.vjp(module.square, x)
    ref_pullback, ref_value = autograd.make_vjp(on_tape(module.square))(x)
    close(value, ref_value)
    for _ in range(3):
        close(pullback(cot), ref_pullback(cot))


CONTROL_FLOW_INPUTS = [0.5, -0.5, 1e-3, -7.0, 2000.0, -2000.0] + [
    RNG.standard_normal(shape) for shape in [(), (1, 1), (3,), (3, 1), (2, 3)]
] + [np.array([0.0, 1.5, -0.25])]


@pytest.mark.parametrize("a", CONTROL_FLOW_INPUTS, ids=lambda a: f"shape{np.shape(a)}")
def test_control_flow_f(a):
    module = example("control_flow")
    a = float(a) if np.ndim(a) == 0 else a
    g = module.srcgrad.grad(module.f)(a)
    assert np.shape(g) == np.shape(a)
    close(g, tape_grad(module.f)(a))


@pytest.mark.parametrize("y", range(8))
def test_control_flow_tutorial(y):
    module = example("control_flow")
    close(module.srcgrad.grad(module.tutorial_f)(2.0, y), tape_grad(module.tutorial_f)(2.0, y))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_control_flow_exercise_4(sign):
    module = example("control_flow")
    x = sign * np.array([1.0, -2.0, 3.0])
    y = RNG.standard_normal(3)
    dx, dy = module.srcgrad.grad(module.forward, wrt=(0, 1))(x, y)
    close(dx, tape_grad(module.forward, 0)(x, y))
    close(dy, tape_grad(module.forward, 1)(x, y))


@pytest.mark.parametrize("x", [1.0, -1.0, 0.3, -2.5])
def test_higher_order(x):
    module = example("higher_order")
    grad = module.srcgrad.grad
    for name in ["cube", "branchy"]:
        fun = getattr(module, name)
        second = autograd.grad(autograd.grad(on_tape(fun)))
        close(grad(grad(fun))(x), second(x))
    third = autograd.grad(autograd.grad(autograd.grad(on_tape(module.cube))))
    close(grad(grad(grad(module.cube)))(x), third(x))
    second = autograd.grad(autograd.grad(on_tape(module.power)))
    close(grad(grad(module.power))(x, 4), second(x, 4))


def test_plot_sin_values():
    module = example("plot_sin")
    x, y, dy = module.derivative_on_grid(57)
    close(y, np.sin(x))
    close(dy, np.cos(x))
    close(dy, autograd.elementwise_grad(on_tape(module.f))(x))


def test_plot_sin_writes_png(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    pytest.importorskip("matplotlib")
    out = tmp_path / "sin.png"
    example("plot_sin").main(["--out", str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("flip", [False, True])
def test_watch(flip):
    module = example("watch")
    grad = module.srcgrad.grad
    args = (RNG.standard_normal(3), RNG.standard_normal(3), 3, flip, "t")
    dw, dx = grad(module.model, wrt=("w", "x"))(*args)
    close(dw, tape_grad(module.model, 0)(*args))
    close(dx, tape_grad(module.model, 1)(*args))
    close(grad(module.model, wrt=1)(*args), dx)


@pytest.mark.parametrize("wrt", ["n", "flip", "name", 2, 3, 4])
def test_watch_refuses_non_float(wrt):
    module = example("watch")
    args = (np.ones(2), np.ones(2), 3, False, "t")
    with pytest.raises(module.srcgrad.SrcgradError):
        module.srcgrad.grad(module.model, wrt=wrt)(*args)
