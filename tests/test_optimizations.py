"""The optimizations of issue 6 keep gradients identical.

Each optimization is checked three ways: the optimized gradient equals autograd's, it
is bitwise equal to the unoptimized form's on the same program, and the generated
code shows the rewrite happened (or, where it would be wrong, that it did not).
"""
import autograd.numpy as anp
import numpy as np
import pytest

import srcgrad
from benchmarks.workloads import mlp, rnn, scalar_loop, textbook
from srcgrad.transforms.dtypes import float64_names
from reference import CHAPTER, assert_close, build, check, tape_grad

R = np.random.default_rng(7)
X34 = R.standard_normal((3, 4))
V4 = R.standard_normal(4)
W45 = R.standard_normal((4, 5))
Y35 = R.standard_normal((3, 5))


def code(src, name, args, wrt=0):
    """The specialized code grad() runs for `args`, and the checked gradient."""
    f = build(src, name)
    got = check(src, name, args, wrt=wrt)
    return srcgrad.show(f, wrt=wrt, args=args), got


# --- compact reduction adjoints (transforms/broadcasts.py) -----------------------

MSE = """
def f(x, W, y):
    return np.mean((x @ W - y) ** 2)
"""


def test_mean_adjoint_is_a_scalar_times_the_residual():
    text, _ = code(MSE, "f", (X34, W45, Y35), wrt=(0, 1))
    assert "broadcast_to" not in text and "dresult" not in text
    # seed 1.0 / 15 folded once, as a NumPy scalar (an array's arithmetic, no array)
    assert "np.float64(0.06666666666666667) * 2 * " in text


def test_chapter_adjoint_stays_a_python_float_through_the_loop():
    for sign in (1.0, -1.0):
        a = np.abs(R.standard_normal(5)) * 0.1 * sign
        text, got = code(CHAPTER.replace("return c", "return np.sum(c)"), "f", (a,))
        assert "broadcast_to" not in text
        assert "db = db * 2" in text  # on a Python float: no array per trip
        assert isinstance(got, np.ndarray) and got.shape == a.shape


@pytest.mark.parametrize("src, args, wrt, kept", [
    # the cotangent of x + b must be summed over rows for b: the broadcast stays
    ("""
def f(x, b):
    return np.sum(x + b)
""", (X34, V4), (0, 1), True),
    # a matrix product needs the full cotangent
    ("""
def f(x, W):
    s = np.sum(x)
    return np.sum((s * x) @ W)
""", (X34, W45), (0, 1), True),
    # a reshape of the cotangent needs its size
    ("""
def f(x):
    return x.reshape(-1).sum()
""", (X34,), 0, True),
    # two sums into one adjoint: the full-shape term makes the other one full
    ("""
def f(x, y):
    z = np.sum(x) + np.sum(x * y)
    return z
""", (X34, X34 * 2), (0, 1), False),
])
def test_broadcast_kept_exactly_where_shape_matters(src, args, wrt, kept):
    text, _ = code(src, "f", args, wrt=wrt)  # matches autograd, optimized or not
    assert ("broadcast_to" in text) == kept


def test_compact_adjoints_in_kept_loops_and_callees():
    inner = """
def inner(x):
    return np.sum(x ** 2)
"""
    src = """
def f(x, w, n):
    acc = 0.0
    for i in range(n):
        acc = acc + inner(x * w) + np.mean(np.tanh(x))
    return acc
"""
    args = (X34, 0.7, 20)
    f = build(src, "f", extra={"inner": build(inner, "inner")})
    expected = tape_grad(src, "f", args, wrt=(0, 1),
                         extra={"inner": build(inner, "inner", np_module=anp)})
    for opt in (True, False):
        got = srcgrad.grad(f, wrt=(0, 1), optimize=opt, unroll=False)(*args)
        assert_close(got, expected)


# --- gradients returned without cast_like (transforms/dtypes.py) ------------------

def test_mlp_gradients_are_returned_as_computed():
    args = mlp.make_inputs(4, 8)
    text = srcgrad.show(mlp.mlp_loss, wrt=(0, 1, 2, 3, 4, 5), args=args)
    assert "cast_like" not in text
    grads = srcgrad.grad(mlp.mlp_loss, wrt=(0, 1, 2, 3, 4, 5))(*args)
    for g, x in zip(grads, args):
        assert type(g) is np.ndarray and g.dtype == x.dtype and g.shape == x.shape
        assert g.flags.writeable and g.base is None
    assert len({id(g) for g in grads}) == len(grads)


@pytest.mark.parametrize("src", [
    "def f(x, y):\n    return np.sum(x + y)\n",          # one adjoint for both
    "def f(x, y):\n    return np.sum(x * y)\n",          # dx is y times a constant
    "def f(x, y):\n    return np.sum(x) + np.sum(y)\n",  # a broadcast seed
    "def f(x, y):\n    z = x\n    return np.sum(z * 1.0 + y)\n",
])
def test_returned_gradients_are_fresh_arrays(src):
    x, y = R.standard_normal(4), R.standard_normal(4)
    x0, y0 = x.copy(), y.copy()
    check(src, "f", (x, y), wrt=(0, 1))
    dx, dy = srcgrad.grad(build(src, "f"), wrt=(0, 1))(x, y)
    assert dx is not dy and dx is not x and dx is not y and dy is not y
    dx += 100.0
    dy += 100.0  # writing into one gradient changes nothing else
    assert np.array_equal(x, x0) and np.array_equal(y, y0)
    dx2, dy2 = srcgrad.grad(build(src, "f"), wrt=(0, 1))(x, y)
    assert not np.shares_memory(dx2, dy2)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_other_dtypes_keep_the_cast(dtype):
    src = "def f(x, w):\n    return np.sum(np.tanh(x * w) ** 2)\n"
    x = R.standard_normal(6).astype(dtype)
    w = R.standard_normal(6)
    f = build(src, "f")
    assert "cast_like" in srcgrad.show(f, wrt=(0, 1), args=(x, w))
    dx, dw = srcgrad.grad(f, wrt=(0, 1))(x, w)
    assert dx.dtype == dtype and dw.dtype == np.float64


def test_float32_inside_a_float64_program_keeps_the_cast():
    src = "def f(x, y):\n    return np.sum(x * y * np.float32(2.0))\n"
    x = R.standard_normal(4).astype(np.float32)
    y = R.standard_normal(4)
    f = build(src, "f")
    assert srcgrad.show(f, wrt=(0, 1), args=(x, y)).count("cast_like(") >= 2
    dx, dy = srcgrad.grad(f, wrt=(0, 1))(x, y)
    assert dx.dtype == np.float32 and dy.dtype == np.float64
    np.testing.assert_allclose(dy, x * 2.0, rtol=1e-6)


def test_float64_inference_is_conservative():
    import gast
    from srcgrad.resolve import Resolver

    class Scope:
        def resolve(self, n):
            return (True, np) if n == "np" else (False, None)
    tree = gast.parse("""
def g(x, k, s):
    a = np.tanh(x) * 2
    b = np.greater(x, 0)
    c = x.astype(np.float32)
    d = a
    d = c
    e = s * 2.0
    h = np.sin(s)
    m = a.sum(axis=0) + np.dot(a, x)
    return a
""").body[0]
    found = float64_names(tree, {"x": "<f8", "k": "<f4", "s": "float"},
                          Resolver(Scope(), {"x", "k", "s", "a", "b", "c", "d", "e", "h",
                                             "m"}))
    assert found == {"x", "a", "m"}


# --- constant folding and propagation ------------------------------------------

def test_division_by_zero_is_left_to_run_time():
    src = "def f(x):\n    k = 0\n    return np.sum(x / k)\n"
    f = build(src, "f")
    with np.errstate(divide="ignore", invalid="ignore"):
        g = srcgrad.grad(f)(np.ones(3))
    assert np.all(~np.isfinite(g))


# --- optimized and unoptimized forms agree bit for bit on the benchmarks ---------

@pytest.mark.parametrize("case", [c for m in (mlp, rnn, textbook, scalar_loop)
                                  for c in m.cases(quick=True)], ids=lambda c: c.name)
def test_benchmarks_identical_unoptimized(case):
    a = srcgrad.grad(case.fn, wrt=case.wrt)(*case.args)
    b = srcgrad.grad(case.fn, wrt=case.wrt, optimize=False)(*case.args)
    a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
    for x, y in zip(a, b):
        assert np.array_equal(x, y)
    hand = case.hand(*case.args)
    hand = hand if isinstance(hand, tuple) else (hand,)
    for x, y in zip(a, hand):
        np.testing.assert_allclose(x, y, rtol=1e-6)


# --- math functions on Python floats (transforms/scalars.py) ---------------------

SCALAR = """
def f(x, a, n):
    for i in range(n):
        x = x + 0.01 * (np.sin(x) * a + np.cos(x)) - np.tanh(x * a) / 7.0
    return np.exp(-x * x) + np.sqrt(a * a + 1.0)
"""


def test_python_floats_run_on_math():
    f = build(SCALAR, "f")
    args = (0.3, 0.7, 40)
    text = srcgrad.show(f, wrt=(0, 1), args=args)
    code_lines = [ln for ln in text.split("def grad_f")[1].splitlines()
                  if not ln.strip().startswith("#")]
    assert "math.sin(x)" in text and "math.sqrt(" in text
    assert not any("np." in ln for ln in code_lines)
    got = check(SCALAR, "f", args, wrt=(0, 1))
    assert all(type(g) is float for g in got)
    numpy_version = srcgrad.grad(f, wrt=(0, 1), unroll=False)(np.float64(0.3), 0.7, 40)
    assert_close(got, numpy_version, rtol=1e-12)


def test_numpy_floats_and_arrays_keep_numpy():
    f = build(SCALAR, "f")
    text = srcgrad.show(f, wrt=(0, 1), args=(np.float64(0.3), 0.7, 4))
    assert "math.sin" not in text and "np.sin(x)" in text
    g = build("def g(x, v):\n    return np.sum(np.sin(x) * np.cos(v))\n", "g")
    text = srcgrad.show(g, wrt=(0, 1), args=(0.3, V4))
    assert "math.sin(x)" in text and "np.cos(v)" in text
    check("def g(x, v):\n    return np.sum(np.sin(x) * np.cos(v))\n", "g", (0.3, V4),
          wrt=(0, 1))


@pytest.mark.parametrize("src, x", [
    ("def f(x):\n    return np.log(x)\n", 0.0),             # math.log: ValueError
    ("def f(x):\n    return np.exp(x) * 2.0\n", 1000.0),    # math.exp: OverflowError
    ("def f(x):\n    return np.sin(x) / (x - x)\n", 0.5),  # float division by zero
])
def test_math_errors_fall_back_to_numpy_semantics(src, x):
    f = build(src, "f")
    with np.errstate(all="ignore"):
        got = srcgrad.grad(f)(x)
        expected = srcgrad.grad(f, optimize=False)(np.float64(x))
    assert type(got) is float
    np.testing.assert_equal(got, float(expected))  # inf / nan exactly as NumPy gives


def test_constant_propagation_skips_names_updated_in_place():
    import gast

    from srcgrad import codegen
    from srcgrad.transforms.optimize import optimize
    tree = gast.parse("def g(y):\n    t = 1.0\n    t += y\n    u = 2.0\n"
                      "    return t * u / 4 + 1.0 / 8\n")
    optimize(tree.body[0], lambda call: True)
    text = codegen.to_source(gast.Module(body=tree.body, type_ignores=[]))
    assert "u" not in text.split("return")[1] and "0.125" in text
    namespace = {}
    exec(text, namespace)
    assert namespace["g"](3.0) == 4.0 * 2.0 / 4 + 0.125


def test_at_fixpoint_means_a_second_run_changes_nothing():
    """compact skips optimize's second run on this (specialize._literal)."""
    import gast

    from srcgrad.transforms.optimize import at_fixpoint, optimize
    src = "def g(y):\n    a = y\n    t = a * 2.0\n    u = t + 1.0\n    d = y * 3\n    return u\n"
    func = gast.parse(src).body[0]
    assert not at_fixpoint(func)
    optimize(func, lambda call: True)
    assert at_fixpoint(func)
    before = gast.dump(func)
    optimize(func, lambda call: True)
    assert gast.dump(func) == before and at_fixpoint(func)
