"""Complex numbers, in autograd's (and JAX's) convention: the gradient of a real f(z)
is df/dx - i df/dy, and a VJP at cotangent c is the gradient of Re(sum(c * f)).

Every rule that NumPy applies to complex values is checked with a real loss against
central finite differences in the real and the imaginary direction and against
autograd, and with a random complex cotangent against autograd's VJP."""
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from numpy.exceptions import ComplexWarning

import srcgrad
from reference import build
from srcgrad.errors import SrcgradError

rng = np.random.default_rng(7)


def cplx(*shape, scale=0.6):
    return (rng.uniform(-scale, scale, shape) + 1j * rng.uniform(-scale, scale, shape)
            + (0.3 + 0.2j))


def complex_fd(f, args, wrt=0, eps=1e-6):
    """df/dx - i df/dy of a real-valued f by central differences (real x: df/dx)."""
    args = list(args)
    x = np.asarray(args[wrt])
    scalar = np.ndim(args[wrt]) == 0
    out = np.zeros(x.shape, dtype=complex if np.iscomplexobj(x) else float)
    steps = [(1.0, 1.0)] + ([(1j, -1j)] if np.iscomplexobj(x) else [])
    for idx in np.ndindex(x.shape):
        for step, weight in steps:
            total = 0.0
            for sign in (1, -1):
                xp = np.array(x, dtype=out.dtype)
                xp[idx] += sign * eps * step
                args[wrt] = xp[()] if scalar else xp
                total += sign * float(f(*args))
            out[idx] += weight * total / (2 * eps)
    return out[()] if scalar else out


def check_real_loss(body, args, wrt=0, params="x, y=None", extra=None, tape=True):
    """srcgrad's gradient of the real loss `body` against finite differences in both
    directions and against autograd (optimized and not, specialized and generic).
    tape=False: autograd cannot run the source (ndarray attributes on its boxes)."""
    src = f"def f({params}):\n    return {body}\n"
    f = build(src, "f", extra=extra)
    fd = complex_fd(f, args, wrt)
    if tape:
        ref = autograd.grad(build(src, "f", anp, extra=extra), wrt)(*args)
        np.testing.assert_allclose(ref, fd, rtol=1e-5, atol=1e-6)  # the reference agrees
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComplexWarning)  # no silent discarding
        for optimize in (True, False):
            got = srcgrad.grad(f, wrt=wrt, optimize=optimize)(*args)
            np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6)
            assert np.iscomplexobj(got) == np.iscomplexobj(args[wrt])
        got = srcgrad.vjp(f, *args, wrt=wrt)[1](1.0)  # the generic (unspecialized) code
    np.testing.assert_allclose(got, fd, rtol=1e-5, atol=1e-6)


def check_vjp(body, args, wrt=0, params="x, y=None", extra=None):
    """srcgrad.vjp of a complex-valued function at a random complex cotangent against
    autograd's VJP of the same source."""
    src = f"def f({params}):\n    return {body}\n"
    f = build(src, "f", extra=extra)
    fa = build(src, "f", anp, extra=extra)
    value, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    shape = np.shape(value)
    c = rng.normal(size=shape)
    if np.iscomplexobj(value):  # a real output takes a real cotangent
        c = c + 1j * rng.normal(size=shape)
    c = c[()] if shape == () else c
    ref_pullback, _ = autograd.make_vjp(fa, wrt)(*args)
    expected = ref_pullback(c)
    if not np.iscomplexobj(args[wrt]):
        expected = np.real(expected)  # autograd's where leaves it complex
    np.testing.assert_allclose(pullback(c), expected, rtol=1e-7, atol=1e-9)


def test_issue_real_input_through_complex_intermediate():
    x = np.array([1.0, -2.0, 3.0])
    check_real_loss("np.sum(np.abs(x * (1 + 2j)))", [x])
    got = srcgrad.grad(build("def f(x):\n    return np.sum(np.abs(x * (1 + 2j)))\n",
                             "f"))(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, np.sqrt(5) * np.sign(x))  # |1 + 2j| sign(x)


def test_abs_convention_is_autograds():
    f = build("def f(z):\n    return np.abs(z)\n", "f")
    z = 3 + 4j
    np.testing.assert_allclose(srcgrad.grad(f)(z), autograd.grad(anp.abs)(z))
    check_real_loss("np.abs(x)", [3 + 4j], params="x")
    check_real_loss("abs(x)", [cplx(3)[1]], params="x")


UNARY = ["sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
         "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "square",
         "reciprocal", "abs", "absolute", "negative", "real", "imag", "conj",
         "conjugate", "angle"]


@pytest.mark.parametrize("fname", UNARY)
def test_unary_real_losses(fname):
    z = cplx(3)
    check_real_loss(f"np.sum(np.abs(np.{fname}(x)) ** 2)", [z])
    check_real_loss(f"np.real(np.sum(np.{fname}(x) * c))", [z], extra={"c": cplx(3)})


@pytest.mark.parametrize("fname", UNARY)
def test_unary_vjp(fname):
    check_vjp(f"np.{fname}(x) * 1.5", [cplx(2, 3)])


@pytest.mark.parametrize("fname", ["sin", "exp", "abs", "real", "imag", "angle", "sqrt"])
def test_unary_real_input_through_complex(fname):
    check_real_loss(f"np.sum(np.abs(np.{fname}(x * (0.5 - 1.5j)) + x) ** 2)",
                    [rng.uniform(0.2, 1.0, 4)])


BINARY = ["x + y", "x - y", "x * y", "x / y", "x ** y", "x ** 2", "2.0 ** x",
          "np.add(x, y)", "np.subtract(x, y)", "np.multiply(x, y)", "np.divide(x, y)",
          "np.power(x, y)", "x @ y", "np.dot(x, y)", "np.outer(x, y)",
          "np.where(np.real(x) > 0.3, x, y)"]


@pytest.mark.parametrize("expr", BINARY)
@pytest.mark.parametrize("kinds", ["cc", "rc", "cr"])
def test_binary(expr, kinds):
    """Both operands complex, and one real: the real one gets a real gradient."""
    # autograd's where does not undo broadcasting: same shapes for it
    shapes = ((3,), (3,)) if "@" in expr or "dot" in expr or "outer" in expr else \
        ((2, 3), (2, 3)) if "where" in expr else ((2, 3), (3,))
    args = [cplx(*s) if k == "c" else rng.uniform(0.3, 1.0, s)
            for k, s in zip(kinds, shapes)]
    for wrt in (0, 1):
        if expr in ("x ** 2", "2.0 ** x") and wrt == 1:
            continue
        check_real_loss(f"np.sum(np.abs({expr}) ** 2)", args, wrt=wrt, params="x, y")
    check_vjp(f"{expr}", args, wrt=0, params="x, y")


MATRIX = ["x @ y", "np.dot(x, y)", "np.tensordot(x, y, axes=1)", "np.matmul(x, y)"]


@pytest.mark.parametrize("expr", MATRIX)
@pytest.mark.parametrize("kinds", ["cc", "rc"])
def test_matrix_products(expr, kinds):
    args = [cplx(2, 3) if kinds[0] == "c" else rng.normal(size=(2, 3)), cplx(3, 2)]
    for wrt in (0, 1):
        check_real_loss(f"np.sum(np.abs({expr}) ** 2)", args, wrt=wrt, params="x, y")
    check_vjp(expr, args, params="x, y")


REDUCTIONS_AND_SHAPES = [
    "np.sum(x)", "np.sum(x, axis=0)", "x.sum(axis=1)", "np.mean(x)", "np.mean(x, axis=1)",
    "np.prod(x)", "np.prod(x, axis=0)", "x[1]", "x[:, 1:]", "x[0, 2] * x[1, 0]",
    "np.concatenate([x, x * 2j])", "np.concatenate([x, x], axis=1)", "np.stack([x, x])",
    "np.transpose(x)", "x.T", "np.reshape(x, (3, 2))", "x.ravel()", "np.array(x)",
    "np.linalg.norm(x)", "np.linalg.norm(x, axis=1)", "x.astype(np.complex128)",
]


@pytest.mark.parametrize("expr", REDUCTIONS_AND_SHAPES)
def test_reductions_indexing_shapes(expr):
    z = cplx(2, 3)
    check_real_loss(f"np.sum(np.abs({expr}) ** 2)", [z])
    check_real_loss(f"np.real(np.sum({expr} * (0.4 - 0.9j)))", [z])
    check_vjp(f"{expr} * 1.0", [z])


@pytest.mark.parametrize("expr", ["x.real", "x.imag", "x.conj()", "x.conjugate()"])
def test_ndarray_attributes(expr):
    z = cplx(2, 3)
    check_real_loss(f"np.sum(np.abs({expr} * (1 - 2j)) ** 2)", [z], tape=False)
    check_real_loss(f"np.real(np.sum({expr} * (0.4 - 0.9j)))", [z], tape=False)


def test_mixed_containers_and_setitem():
    x = rng.uniform(0.2, 1.0, 3)
    check_real_loss("np.sum(np.abs(np.concatenate([x, y])) ** 2)", [x, cplx(2)],
                    params="x, y")
    check_real_loss("np.sum(np.abs(np.stack([x, y])) ** 2)", [x, cplx(3)], params="x, y")
    check_real_loss("np.sum(np.abs(np.array([x[0], y[1]])) ** 2)", [x, cplx(3)],
                    params="x, y")
    src = """
def f(x, y):
    z = y * 1.0
    z[1] = x[0]
    z[2] = x[1] * 2.0
    return np.sum(np.abs(z) ** 2)
"""
    f = build(src, "f")
    fa = lambda x, y: anp.sum(anp.abs(anp.array([y[0], x[0], x[1] * 2.0])) ** 2)  # noqa: E731
    args = [x, cplx(3)]
    for wrt in (0, 1):
        expected = complex_fd(f, args, wrt)
        np.testing.assert_allclose(autograd.grad(fa, wrt)(*args), expected, rtol=1e-5)
        got = srcgrad.grad(f, wrt=wrt)(*args)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
        assert got.dtype == args[wrt].dtype


def test_real_result_of_complex_feeds_complex_again():
    """abs(z) is real; its adjoint must not pick up an imaginary part from `* 1j`."""
    check_real_loss("np.sum(np.abs(np.abs(x) * 1j + x) ** 2)", [cplx(3)])
    check_real_loss("np.sum(np.abs(np.real(x) * (1 + 1j) - x) ** 2)", [cplx(3)])


def test_python_scalars():
    check_real_loss("abs(np.exp(x) * y)", [0.4 + 0.3j, 0.7], params="x, y")
    check_real_loss("abs(np.exp(x) * y)", [0.4 + 0.3j, 0.7], wrt=1, params="x, y")
    f = build("def f(x, y):\n    return np.abs(np.add(x, y))\n", "f")
    gx, gy = srcgrad.grad(f, wrt=(0, 1))(0.4, 0.4 + 1.2j)
    assert type(gx) is float and isinstance(gy, complex)
    rx, ry = autograd.grad(lambda x, y: anp.abs(anp.add(x, y)), (0, 1))(0.4, 0.4 + 1.2j)
    np.testing.assert_allclose([gx, gy], [rx, ry])


@pytest.mark.parametrize("body", ["np.maximum(x, 0.5)", "np.minimum(x, y)",
                                  "np.clip(x, 0.1, 0.4)", "np.max(x)", "np.min(x)",
                                  "x.max()", "np.sign(x) * x"])
def test_ordering_rules_refuse_complex(body):
    f = build(f"def f(x, y=None):\n    return np.real(np.sum({body}))\n", "f")
    with pytest.raises(SrcgradError, match="complex"):
        srcgrad.grad(f)(cplx(3), cplx(3))
    srcgrad.grad(f)(rng.uniform(size=3), rng.uniform(size=3))  # real values still work


def test_real_path_has_no_complex_helpers():
    """Where the arguments are real the generated code calls none of the helpers."""
    src = """
def f(x, W, b):
    h = np.tanh(np.dot(x, W) + b) * x[0]
    return np.sum(np.abs(h) * np.maximum(h, 0.0)) + np.sum(np.concatenate([h, b]))
"""
    f = build(src, "f")
    args = (rng.normal(size=3), rng.normal(size=(3, 3)), rng.normal(size=3))
    text = srcgrad.show(f, wrt=(0, 1, 2), args=args)
    for helper in ("real_like", "conj", "refuse_complex"):
        assert helper not in text
    complex_text = srcgrad.show(f, wrt=(0, 1, 2), args=(args[0] + 0j,) + args[1:])
    assert "real_like" in complex_text and "conj" in complex_text
