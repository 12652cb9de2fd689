"""Every built-in rule against the reference tape, on several shapes."""
import numpy as np
import pytest

from reference import check

rng = np.random.default_rng(0)
SHAPES = [(), (3,), (2, 3)]


def pos(shape):
    return rng.uniform(0.5, 1.5, size=shape) if shape else float(rng.uniform(0.5, 1.5))


def unit(shape):
    return rng.uniform(-0.8, 0.8, size=shape) if shape else float(rng.uniform(-0.8, 0.8))


UNARY = {
    "sin": unit, "cos": unit, "tan": unit, "arcsin": unit, "arccos": unit, "arctan": unit,
    "sinh": unit, "cosh": unit, "tanh": unit, "exp": unit, "expm1": unit, "log": pos,
    "log1p": pos, "log2": pos, "log10": pos, "sqrt": pos, "square": unit,
    "reciprocal": pos, "abs": unit, "negative": unit, "arcsinh": unit,
    "arccosh": lambda shape: pos(shape) + 1.0, "arctanh": unit, "exp2": unit,
    "deg2rad": unit, "radians": unit, "rad2deg": unit, "degrees": unit,
}


@pytest.mark.parametrize("fname", sorted(UNARY))
@pytest.mark.parametrize("shape", SHAPES)
def test_unary(fname, shape):
    src = f"""
def f(x):
    return np.{fname}(x) * x
"""
    check(src, "f", [UNARY[fname](shape)])


BINARY = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
          "logaddexp", "logaddexp2", "arctan2", "hypot"]


@pytest.mark.parametrize("fname", BINARY)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                                    ((), (2, 3)), ((2, 3), ())])
def test_binary_broadcasting(fname, shapes):
    src = f"""
def f(x, y):
    return np.{fname}(x, y)
"""
    args = [pos(shapes[0]), pos(shapes[1])]
    check(src, "f", args, wrt=(0, 1))


OPERATORS = ["x + y", "x - y", "x * y", "x / y", "x ** y", "x * 2.0 - y / 3",
             "-x + y * 1", "2 ** x + y ** 2", "x % 0.3 + y"]


@pytest.mark.parametrize("expr", OPERATORS)
@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (1, 3)), ((), ())])
def test_operators(expr, shapes):
    src = f"""
def f(x, y):
    return {expr}
"""
    check(src, "f", [pos(shapes[0]), pos(shapes[1])], wrt=(0, 1))


def test_matmul_shapes():
    src = """
def f(a, b):
    return a @ b
"""
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                   ((5, 2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4))]:
        check(src, "f", [unit(sa), unit(sb)], wrt=(0, 1))


def test_dot_shapes():
    src = """
def f(a, b):
    return np.dot(a, b) * 1.5
"""
    for sa, sb in [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                   ((), (3,))]:
        check(src, "f", [unit(sa), unit(sb)], wrt=(0, 1))


def test_dot_nd():
    src = """
def f(a, b):
    return np.dot(a, b)
"""
    check(src, "f", [unit((2, 2, 3)), unit((4, 3, 5))], wrt=(0, 1))


def test_outer_tensordot():
    src = """
def f(a, b, c):
    return np.sum(np.outer(a, b)) + np.sum(np.tensordot(c, c, axes=1)) \
        + np.sum(np.tensordot(c, a[:2], axes=([0], [0])))
"""
    check(src, "f", [unit((3,)), unit((4,)), unit((2, 2))], wrt=(0, 1, 2))
    src2 = """
def f(a, b):
    return np.tensordot(a, b, axes=2)
"""
    check(src2, "f", [unit((2, 3, 4)), unit((3, 4, 5))], wrt=(0, 1))


REDUCTIONS = ["sum", "mean", "prod", "max", "min"]


@pytest.mark.parametrize("fname", REDUCTIONS)
@pytest.mark.parametrize("kw", ["", ", axis=0", ", axis=1", ", axis=-1, keepdims=True",
                                ", axis=(0, 2)", ", keepdims=True"])
def test_reductions(fname, kw):
    src = f"""
def f(x):
    return np.{fname}(x{kw}) * 1.5
"""
    check(src, "f", [pos((2, 3, 4))])


@pytest.mark.parametrize("fname", ["sum", "mean", "prod", "max", "min"])
def test_reduction_methods(fname):
    src = f"""
def f(x):
    return x.{fname}(axis=1) + x.{fname}()
"""
    check(src, "f", [pos((3, 4))])


def test_max_ties_split_like_the_tape():
    src = """
def f(a, b):
    return np.maximum(a, b) + np.max(np.stack([a, a])) + np.minimum(a, a)
"""
    a = np.array([1.0, 2.0, 2.0])
    check(src, "f", [a, a.copy()], wrt=(0, 1))


def test_where_clip_norm():
    src = """
def f(x, y):
    z = np.where(x > 0, x * y, y)
    w = np.clip(x, -0.3, 0.4)
    return np.sum(z) + np.sum(w * y) + np.linalg.norm(x) + np.sum(np.linalg.norm(y, axis=1))
"""
    check(src, "f", [unit((2, 3)), unit((2, 3))], wrt=(0, 1))


def test_shape_functions():
    src = """
def f(x):
    a = np.reshape(x, (3, 2))
    b = x.reshape(6)
    c = np.transpose(x) + x.T
    d = np.expand_dims(x, 0)
    e = np.squeeze(d, axis=0)
    g = np.transpose(x, (1, 0))
    h = np.transpose(np.reshape(x, (1, 2, 3)), (2, 0, 1))
    return np.sum(a * a) + np.sum(b) + np.sum(c * c) + np.sum(e) + np.sum(g ** 2) \
        + np.sum(h * 2.0)
"""
    check(src, "f", [unit((2, 3))])


def test_concatenate_stack():
    src = """
def f(x, y):
    a = np.concatenate((x, y))
    b = np.concatenate([x, y, x], axis=0)
    c = np.stack((x, y), axis=1)
    d = np.stack([x, y])
    return np.sum(a * a) + np.sum(b) + np.sum(c ** 3) + np.sum(d[0] * d[1])
"""
    check(src, "f", [unit((3,)), unit((3,))], wrt=(0, 1))


def test_constructors_are_constants():
    src = """
def f(x):
    z = np.zeros(3) + np.ones(3) + np.zeros_like(x) + np.ones_like(x) + np.arange(3)
    e = np.eye(3)
    return np.sum((z * x) @ e)
"""
    check(src, "f", [unit((3,))])


def test_methods_without_tape_support():
    """ndarray methods autograd lacks, checked with finite differences."""
    from reference import build, numeric_grad, assert_close
    import srcgrad
    src = """
def f(a, b):
    return np.sum(a.dot(b) * a.transpose(1, 0).T.dot(b)) + np.sum(a.ravel() ** 2)
"""
    f = build(src, "f")
    a, b = unit((2, 3)), unit((3,))
    for p in (0, 1):
        assert_close(srcgrad.grad(f, wrt=p)(a, b), numeric_grad(f, [a, b], p), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["np.float32", "np.float64", "int", "bool"])
def test_astype(dtype):
    import srcgrad
    from reference import build, numeric_grad
    src = f"def f(x):\n    return np.sum(x.astype({dtype}) * 3.0) + np.sum(x * x)\n"
    x = np.array([0.5, 1.5, -2.25])
    f = build(src, "f")
    g = srcgrad.grad(f)(x)
    assert g.dtype == x.dtype
    # float32 rounding makes finite differences too coarse there: compare with float64
    ref = numeric_grad(build(src.replace("np.float32", "np.float64"), "f"), (x,))
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-6)


def test_second_order_through_the_float_path():
    """On Python floats the generated code calls math.asinh, math.hypot, ...: the math
    module's rules differentiate it again."""
    import autograd
    import autograd.numpy as anp

    import srcgrad
    from reference import build

    src = """
def f(x):
    return np.arctan2(np.arcsinh(x) * x, 1.3) + np.hypot(x, 2.0) * np.cbrt(x + 2.0)
"""
    grad_grad = srcgrad.grad(srcgrad.grad(build(src, "f", np)))
    assert "math.asinh" in srcgrad.show(srcgrad.grad(build(src, "f", np)), args=(0.7,))
    expected = autograd.grad(autograd.grad(build(src.replace("np.cbrt(x + 2.0)",
                                                             "(x + 2.0) ** (1 / 3)"),
                                                 "f", anp)))(0.7)
    np.testing.assert_allclose(grad_grad(0.7), expected, rtol=1e-9)
