"""The Python-float path (math functions and plain float arithmetic for float
arguments, transforms/scalars.py) and its NumPy fallback (with_numpy_fallback in
transforms/specialize.py): it must give what NumPy float64 gives, raise exactly where
the user's own code raises, and never run the user's code twice. Also: reductions over
empty arrays, whose mean adjoint divided by a count of zero.

The differential test draws random scalar programs and runs them at edge values
(0, -0.0, -1, 1e308, inf, nan, ...): the float-specialized gradient must equal the NumPy
one computed on np.float64 arguments (NaN-equal), unless the function itself raises on
the Python floats, and then the gradient must raise the same exception.
"""
import math
import os
import random
import sys
import warnings

import numpy as np
import pytest

import srcgrad
from srcgrad import compiler
from reference import assert_close, build, tape_grad

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _spec(nargs, use_math=True, mode="value_and_grad", float_args=True):
    kind = "float" if float_args else None
    wrt = tuple(range(nargs)) if nargs > 1 else 0
    return compiler.Spec(wrt=wrt, mode=mode, shapes=((),) * nargs,
                         dtypes=(kind,) * nargs, use_math=use_math)


def _uses_math(f, nargs):
    return "math." in compiler.compile(f, _spec(nargs)).text


# -- item 1: the user's exceptions, and no second run of the user's code ------------

CALLEE = """
calls = []

def g(y):
    calls.append("called")  # an active value appended to a global list is refused
    if y > 2.0:
        raise ValueError("too big")
    return y * 2.0

def f(x):
    s = 0.0
    for i in range(3):
        s = s + np.sin(g(x + i))
    return s
"""


def test_callee_exception_mid_loop_propagates_and_runs_once():
    f = build(CALLEE, "f")
    calls = f.__globals__["calls"]
    with pytest.raises(ValueError, match="too big"):
        f(1.5)
    primal_calls = list(calls)
    calls.clear()
    with pytest.raises(ValueError, match="too big"):
        srcgrad.grad(f)(1.5)
    assert calls == primal_calls  # the callee ran as often as in the primal, no more
    calls.clear()
    x = -0.5  # no exception: the gradient is right, and the callee ran once per step
    assert_close(srcgrad.grad(f)(x), tape_grad(CALLEE, "f", (x,),
                                               extra={"calls": []}))
    assert len(calls) == 3


CALLEE_DIVIDES = """
calls = []

def g(y):
    calls.append("called")  # an active value appended to a global list is refused
    return 1.0 / (y - 2.0)

def f(x):
    return np.sin(x) * g(x)
"""


def test_callee_raising_on_python_floats_only_is_not_rerun_on_numpy_scalars():
    # 1.0 / 0.0 raises on Python floats; on np.float64 it is inf: the old fallback
    # returned a gradient where the function raises, after running g twice
    f = build(CALLEE_DIVIDES, "f")
    calls = f.__globals__["calls"]
    with pytest.raises(ZeroDivisionError):
        f(2.0)
    calls.clear()
    with pytest.raises(ZeroDivisionError):
        srcgrad.grad(f)(2.0)
    assert calls == ["called"]  # once


SELF_DIVIDES = """
def f(x):
    return np.sin(x) + 1.0 / x
"""


def test_pure_function_raising_on_python_floats_raises_in_the_gradient():
    f = build(SELF_DIVIDES, "f")
    assert _uses_math(f, 1)
    with pytest.raises(ZeroDivisionError):
        f(0.0)
    with pytest.raises(ZeroDivisionError):
        srcgrad.grad(f)(0.0)
    with pytest.raises(ZeroDivisionError):
        srcgrad.value_and_grad(f)(0.0)
    assert_close(srcgrad.grad(f)(0.5), tape_grad(SELF_DIVIDES, "f", (0.5,)))


PRINTS = """
def f(x):
    print("step")
    return np.log(x)
"""


def test_function_with_side_effects_is_not_specialized(capsys):
    f = build(PRINTS, "f")
    assert not _uses_math(f, 1)
    srcgrad.grad(f)(1.0)
    assert capsys.readouterr().out == "step\n"


def test_random_draws_are_not_specialized():
    f = build("def f(x):\n    return np.sin(x) * np.random.normal()\n", "f")
    assert not _uses_math(f, 1)


def test_scalar_loop_keeps_the_math_specialization():
    from benchmarks.workloads.scalar_loop import scalar_loop
    assert _uses_math(scalar_loop, 2)


# -- item 2: divergences of Python-float arithmetic from NumPy float64 -------------

SQRT_OF_SIN = """
def f(x):
    return np.sin(x) ** 0.5
"""


def test_fractional_power_of_a_math_result_is_nan_like_numpy():
    f = build(SQRT_OF_SIN, "f")
    assert not _uses_math(f, 1)  # math.sin would make (-0.84) ** 0.5 complex
    g = srcgrad.grad(f)(-1.0)
    assert isinstance(g, float) and math.isnan(g)
    assert_close(srcgrad.grad(f)(1.0), tape_grad(SQRT_OF_SIN, "f", (1.0,)))


def test_fractional_power_hidden_behind_other_names_declines_math():
    f = build("def f(x, a):\n    t = np.sin(x)\n    u = abs(t) * -2.0\n"
              "    return u ** a + a\n", "f")
    assert not _uses_math(f, 2)
    value, grads = srcgrad.value_and_grad(f, wrt=(0, 1))(-1.0, 0.5)
    assert math.isnan(value) and not isinstance(value, complex)


@pytest.mark.parametrize("src,x", [
    ("def f(x):\n    return np.log(x)\n", 0.0),
    ("def f(x):\n    return np.log(x)\n", -0.0),
    ("def f(x):\n    return np.sqrt(x)\n", -1.0),
    ("def f(x):\n    return np.exp(x)\n", 1000.0),
    ("def f(x):\n    return np.sin(x)\n", math.inf),
    ("def f(x):\n    return np.arcsin(x)\n", 2.0),
    ("def f(x):\n    return np.sin(x) / (x - x)\n", 1.0),
    ("def f(x):\n    return np.cos(x) ** -1.0 * 0.0\n", math.pi / 2),
    ("def f(x):\n    return x ** 0.5\n", 0.0),
])
def test_math_raising_falls_back_to_numpy(src, x):
    f = build(src, "f")
    expected = compiler.compile(f, _spec(1, use_math=False, float_args=False)).main(
        np.float64(x))
    got = srcgrad.value_and_grad(f)(x)
    _same(got, expected)
    assert isinstance(got[1], float)


# -- the differential test ------------------------------------------------------------

EDGES = (0.0, -0.0, -1.0, 1.0, 0.7, -2.5, 1e308, -1e308, math.inf, -math.inf, math.nan)
UNARY = ("np.sin", "np.cos", "np.tan", "np.exp", "np.log", "np.sqrt", "np.arcsin",
         "np.arccos", "np.arctan", "np.sinh", "np.cosh", "np.tanh", "np.log1p",
         "np.expm1", "np.log2", "np.log10", "np.abs", "abs", "-")
BINARY = ("+", "-", "*", "/", "**")
CONSTS = ("0.0", "0.5", "2.0", "-1.0", "3", "1e300")


def _program(rng):
    names = ["x", "a"]
    lines = ["def f(x, a):"]

    def atom():
        return rng.choice(names) if rng.random() < 0.75 else rng.choice(CONSTS)

    def expr(depth=0):
        r = rng.random()
        if depth > 1 or r < 0.2:
            return atom()
        if r < 0.5:
            u = rng.choice(UNARY)
            inner = expr(depth + 1)
            return f"-({inner})" if u == "-" else f"{u}({inner})"
        if r < 0.6:
            fn = rng.choice(("maximum", "minimum", "fmax", "fmin", "logaddexp"))
            return f"np.{fn}({expr(depth + 1)}, {expr(depth + 1)})"
        op = rng.choice(BINARY)
        right = rng.choice(("2", "0.5", "-1.0", "3.0", "1.5")) if op == "**" and \
            rng.random() < 0.7 else expr(depth + 1)
        return f"({expr(depth + 1)} {op} {right})"

    for i in range(rng.randint(1, 4)):
        v = f"v{i}"
        kind = rng.random()
        if kind < 0.15:
            lines += [f"    if {expr()} > {rng.choice(CONSTS)}:", f"        {v} = {expr()}",
                      "    else:", f"        {v} = {expr()}"]
        elif kind < 0.3:
            lines += [f"    {v} = {atom()}", f"    for i in range({rng.randint(1, 3)}):",
                      f"        {v} = {v} * 0.5 + {expr()}"]
        else:
            lines.append(f"    {v} = {expr()}")
        names.append(v)
    # every statement feeds the result: dead code may be dropped, raising or not
    lines.append(f"    return {expr()} + " + " + ".join(names[2:]))
    return "\n".join(lines) + "\n"


def _same(got, expected):
    """Values and gradients equal, NaN-equal, inf-exact (math and NumPy may round the
    last bit differently)."""
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e)
        return
    assert not isinstance(got, complex)
    np.testing.assert_allclose(float(got), float(expected), rtol=1e-9, atol=1e-300,
                               equal_nan=True)


def _outcome(call):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return None, call()
    except Exception as exc:  # noqa: BLE001 - the outcome is what we compare
        return exc, None


@pytest.mark.parametrize("seed", range(int(os.environ.get("FLOATS_N", 60))))
def test_float_path_matches_numpy(seed):
    rng = random.Random(seed)
    src = _program(rng)
    f = build(src, "f")
    try:
        fast = compiler.compile(f, _spec(2)).main
        slow = compiler.compile(f, _spec(2, use_math=False, float_args=False)).main
        plain = compiler.compile(f, _spec(2, use_math=False)).main
    except srcgrad.errors.SrcgradError:
        pytest.skip("srcgrad refuses this program: " + str(sys.exc_info()[1]).splitlines()[1])
    points = [(x, a) for x in EDGES for a in rng.sample(EDGES, 3)]
    for x, a in points:
        user_exc, value = _outcome(lambda: f(x, a))
        exc, got = _outcome(lambda: fast(x, a))
        if isinstance(value, complex):
            continue  # Python's own power of the user's floats: no NumPy reference
        if user_exc is not None:
            assert type(exc) is type(user_exc) and str(exc) == str(user_exc), \
                (src, x, a, exc, user_exc)
            continue
        if isinstance(exc, srcgrad.errors.RuntimeRefusal):
            # refused where Python floats and float64 give different values
            _, np_value = _outcome(lambda: f(np.float64(x), np.float64(a)))
            assert not np.array_equal(value, np_value, equal_nan=True), (src, x, a)
            continue
        if exc is not None:
            # only where the NumPy code raises too (a seed 1.0 divided by 0.0)
            slow_exc, _ = _outcome(lambda: slow(np.float64(x), np.float64(a)))
            assert type(slow_exc) is type(exc), (src, x, a, exc, slow_exc)
            continue
        assert all(isinstance(g, float) for g in got[1])
        # the unspecialized code on the same Python floats, unless its own adjoint
        # arithmetic raises there; then the NumPy code on float64 scalars
        py_exc, expected = _outcome(lambda: plain(x, a))
        if py_exc is not None:
            expected = slow(np.float64(x), np.float64(a))
        try:
            _same(got, expected)
        except AssertionError as err:
            raise AssertionError(f"{src} at x={x!r}, a={a!r}: {err}") from None


@pytest.mark.parametrize("seed", range(0, 60, 6))
def test_random_programs_match_autograd_at_a_regular_point(seed):
    src = _program(random.Random(seed))
    f = build(src, "f")
    args = (0.3, 0.6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            value = f(*args)
            expected = tape_grad(src, "f", args, wrt=(0, 1))
        except Exception:  # noqa: BLE001 - a domain error at this point: no claim
            pytest.skip("the program is not defined at this point")
        if not np.all(np.isfinite(np.array(expected + (value,), dtype=float))):
            pytest.skip("not finite at this point")
        try:
            got = srcgrad.grad(f, wrt=(0, 1))(*args)
        except srcgrad.errors.SrcgradError:
            pytest.skip("srcgrad refuses this program: " + str(sys.exc_info()[1]).splitlines()[1])
    assert_close(got, expected, rtol=1e-7)


# -- item 3: reductions over empty arrays -------------------------------------------

EMPTY = """
def f(x):
    return np.mean(x) + 2.0 * np.sum(x)

def g(x):
    return np.sum(np.mean(x, axis=0)) + np.sum(np.sum(x, axis=-1))

def h(x):
    return np.sum(np.mean(x, axis=0, keepdims=True))
"""


@pytest.mark.parametrize("name", ["f", "g", "h"])
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 2)])
def test_reductions_over_empty_arrays(name, shape):
    if name == "g" and len(shape) == 1:
        shape = (0, 2)
    fn = build(EMPTY, name)
    x = np.zeros(shape)
    expected = tape_grad(EMPTY, name, (x,))
    for optimize in (True, False):
        got = srcgrad.grad(fn, optimize=optimize)(x)
        assert got.shape == shape and got.dtype == x.dtype
        assert_close(got, expected)


def test_mean_of_empty_value_is_nan_like_numpy():
    fn = build(EMPTY, "f")
    value, grad = srcgrad.value_and_grad(fn)(np.zeros(0))
    assert math.isnan(value) and grad.shape == (0,)


BRANCH_ON_COMPLEX = """
def f(x, a):
    if abs(x ** 0.5) > 0.5:
        v = np.log10(0.0) * a
    else:
        v = np.sinh(a)
    return v + np.sin(x)
"""


def test_python_and_numpy_semantics_differ_refused_not_guessed():
    # on Python floats (-2.5) ** 0.5 is complex and takes the first branch; on float64
    # it is nan and takes the other: the NumPy gradient is not the function's
    f = build(BRANCH_ON_COMPLEX, "f")
    assert f(-2.5, 1.0) == -math.inf and math.isfinite(f(np.float64(-2.5), 1.0))
    with pytest.raises(srcgrad.errors.RuntimeRefusal, match="another value"):
        srcgrad.grad(f, wrt=(0, 1))(-2.5, 1.0)
    expected = tape_grad(BRANCH_ON_COMPLEX, "f", (2.5, 1.0), wrt=(0, 1))
    assert_close(srcgrad.grad(f, wrt=(0, 1))(2.5, 1.0), expected)
