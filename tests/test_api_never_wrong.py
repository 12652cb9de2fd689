"""The public API never returns a wrong gradient and never lets an internal exception
escape: every input either gives autograd's (or finite differences') answer or a
SrcgradError saying what to do. Written the way users write code: a model class with a
loss method, a params NamedTuple, a decorator from a utilities module."""
import inspect
from typing import NamedTuple

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
import scipy.sparse

import srcgrad
from srcgrad.errors import ArgumentError, SrcgradError

from reference import assert_close, build, numeric_grad, tape_grad

rng = np.random.default_rng(7)
X23 = rng.normal(size=(2, 3))
V23 = rng.normal(size=(2, 3))


def both(src, name, extra=None, extra_anp=None):
    """`name` built from `src` twice: on NumPy (for srcgrad) and on autograd.numpy."""
    return build(src, name, np, extra), build(src, name, anp, extra_anp or extra)


def autograd_vjp(f, args, argnums, v):
    return tuple(autograd.make_vjp(f, argnum)(*args)[0](v) for argnum in argnums)


# -- 1. wrt forms: int, name, 1-tuple, tuple of 2 --------------------------------------

TWO = """
def f(x, y):
    return np.sin(x) * y
"""


@pytest.mark.parametrize("wrt, argnums", [(0, (0,)), ("x", (0,)), ((0,), (0,)),
                                          (("x",), (0,)), ((0, 1), (0, 1)),
                                          (("y", "x"), (1, 0)), (-1, (1,))])
def test_vjp_every_wrt_form(wrt, argnums):
    f, f_ag = both(TWO, "f")
    y = rng.normal(size=(2, 3))
    value, pullback = srcgrad.vjp(f, X23, y, wrt=wrt)
    assert_close(value, f(X23, y))
    expected = autograd_vjp(f_ag, (X23, y), argnums, V23)
    got = pullback(V23)
    if isinstance(wrt, tuple):  # a tuple wrt gives a tuple, even of one gradient
        assert isinstance(got, tuple) and len(got) == len(wrt)
        assert_close(got, expected)
    else:
        assert isinstance(got, np.ndarray) and got.shape == (2, 3)
        assert_close(got, expected[0])
    assert_close(pullback(2 * V23), tuple(2 * e for e in expected) if
                 isinstance(wrt, tuple) else 2 * expected[0])  # callable again


def test_vjp_one_tuple_does_not_split_the_cotangent():
    # the case: (v*cos(x),), not the rows of it
    f, f_ag = both("def f(x):\n    return np.sin(x)\n", "f")
    _, pullback = srcgrad.vjp(f, X23, wrt=(0,))
    (g,) = pullback(V23)
    assert_close(g, autograd_vjp(f_ag, (X23,), (0,), V23)[0])


@pytest.mark.parametrize("mode", ["grad", "value_and_grad"])
@pytest.mark.parametrize("wrt", [0, "x", (0,), ("y",), (0, 1), ("y", "x")])
def test_grad_and_value_and_grad_every_wrt_form(mode, wrt):
    src = """
def f(x, y):
    return np.sum(np.tanh(x) * y ** 2)
"""
    f = build(src, "f")
    y = rng.normal(size=(2, 3))
    names = {"x": 0, "y": 1}
    positions = tuple(names.get(w, w) for w in wrt) if isinstance(wrt, tuple) \
        else names.get(wrt, wrt)
    expected = tape_grad(src, "f", (X23, y), wrt=positions)
    out = getattr(srcgrad, mode)(f, wrt=wrt)(X23, y)
    if mode == "value_and_grad":
        assert_close(out[0], f(X23, y))
        out = out[1]
    assert_close(out, expected)


def test_vjp_intermediate_and_parameter_together():
    # each gradient takes the type of its own wrt item: an intermediate's stays as it is
    src = """
def f(x, y):
    h = y * 2.0
    return np.sin(h) * x
"""
    f = build(src, "f")
    y = rng.normal(size=3)
    _, pullback = srcgrad.vjp(f, X23, y, wrt=("h", 0))
    dh, dx = pullback(V23)
    h = 2.0 * y
    assert_close(dx, autograd.make_vjp(lambda x: anp.sin(h) * x)(X23)[0](V23))
    assert dh.shape == (3,)
    assert_close(dh, autograd.make_vjp(lambda h: anp.sin(h) * X23)(h)[0](V23))


# -- 2. lists ------------------------------------------------------------------------------

def test_list_argument_through_numpy():
    src = """
def f(x):
    return np.sum(np.sin(x) * 3.0)
"""
    f, f_ag = both(src, "f")
    x = [1.0, 2.0, 3.0]
    got = srcgrad.grad(f)(x)
    assert isinstance(got, list)
    assert_close(np.array(got), np.array(autograd.grad(f_ag)(np.array(x))))


def test_list_of_parameters():
    src = """
def loss(params, x):
    W, b = params
    return np.sum(np.tanh(x @ W + b) ** 2)
"""
    f, f_ag = both(src, "loss")
    W, b, x = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(4, 3))
    got = srcgrad.grad(f)([W, b], x)
    expected = autograd.grad(f_ag)([W, b], x)
    assert isinstance(got, list) and len(got) == 2
    assert_close(tuple(got), tuple(expected))


@pytest.mark.parametrize("body", ["(x * 2)[2:4]", "x + x", "x * 2"])
def test_list_operators_are_refused_not_wrong(body):
    # + and * on a list concatenate and repeat: no gradient may come out spread or cut
    f = build(f"def f(x):\n    return np.sum(np.array({body}) * 1.5)\n", "f")
    with pytest.raises(SrcgradError):
        srcgrad.grad(f)([1.0, 2.0, 3.0])


# -- 3. outputs that are not numbers ---------------------------------------------------------

FORGOT = """
def loss(w, x):
    err = np.sum((x @ w) ** 2)
"""
LABEL = """
def describe(w):
    return "weights"
"""


@pytest.mark.parametrize("src, name, word", [(FORGOT, "loss", "None"),
                                             (LABEL, "describe", "str")])
def test_output_that_is_not_a_number_is_refused(src, name, word):
    f = build(src, name)
    w, x = rng.normal(size=3), rng.normal(size=(2, 3))
    args = (w, x) if name == "loss" else (w,)
    calls = [lambda: srcgrad.grad(f)(*args), lambda: srcgrad.value_and_grad(f)(*args),
             lambda: srcgrad.vjp(f, *args)[1](1.0), lambda: srcgrad.grad(f)(*args)]
    for call in calls:
        with pytest.raises(ArgumentError, match=word) as info:
            call()
        assert f.__code__.co_filename in str(info.value)


def test_constant_output_still_has_a_zero_gradient():
    src = "def f(x):\n    return 4.0\n"
    f = build(src, "f")
    x = rng.normal(size=3)
    assert_close(srcgrad.grad(f)(x), numeric_grad(f, [x]))
    assert srcgrad.value_and_grad(f)(x)[0] == 4.0


# -- 4. operands whose operators mean something else --------------------------------------

PRODUCT = """
def f(A, B):
    return np.sum(A * B)
"""


@pytest.mark.parametrize("make", [np.matrix, lambda a: np.ma.masked_array(a, mask=a > 1)])
@pytest.mark.parametrize("wrt", [0, 1])
def test_ndarray_subclasses_refused(make, wrt):
    f = build(PRODUCT, "f")
    A = np.array([[1.0, 2.0], [3.0, 0.5]])
    with pytest.raises(ArgumentError, match="subclass of numpy.ndarray"):
        srcgrad.grad(f, wrt=wrt)(make(A), A)  # even where the subclass is not in wrt


def test_sparse_matrix_operand_refused():
    f = build("def f(x, A):\n    return np.sum(A @ x)\n", "f")
    A = scipy.sparse.csr_matrix(np.eye(3))
    with pytest.raises(ArgumentError, match="scipy.sparse") as info:
        srcgrad.grad(f)(np.ones(3), A)
    assert "toarray" in str(info.value)


# -- 5. dicts and NamedTuples ------------------------------------------------------------

def test_dict_in_wrt_is_refused():
    f = build('def f(p):\n    return np.sum(p["w"] * 2)\n', "f")
    with pytest.raises(ArgumentError, match="dict"):
        srcgrad.grad(f)({"w": np.ones(2)})


def test_dict_config_not_in_wrt_works():
    src = """
def f(x, config):
    return np.sum(np.tanh(x * config["scale"]))
"""
    f, f_ag = both(src, "f")
    x, cfg = rng.normal(size=3), {"scale": 1.7}
    assert_close(srcgrad.grad(f)(x, cfg), autograd.grad(f_ag)(x, cfg))


class Params(NamedTuple):
    W: np.ndarray
    b: np.ndarray


def test_namedtuple_params_unpacked():
    src = """
def loss(params, x):
    W, b = params
    return np.sum(np.tanh(x @ W + b) ** 2)
"""
    f, f_ag = both(src, "loss")
    p = Params(rng.normal(size=(3, 2)), rng.normal(size=2))
    x = rng.normal(size=(4, 3))
    got = srcgrad.grad(f)(p, x)
    assert type(got) is Params
    assert_close(tuple(got), tuple(autograd.grad(f_ag)(tuple(p), x)))
    value, g = srcgrad.value_and_grad(f)(p, x)
    assert type(g) is Params and np.isclose(value, f(p, x))


# -- 6. bound methods --------------------------------------------------------------------

MODEL = """
class Model:
    def __init__(self, l2):
        self.l2 = l2

    def penalty(self, w):
        return self.l2 * np.sum(w ** 2)

    def loss(self, w, X, y):
        err = np.tanh(X @ w) - y
        return np.sum(err ** 2) + self.l2 * np.sum(w ** 2)

    def __call__(self, w):
        return np.sum(np.sin(w)) * self.l2


class Ridge(Model):
    pass
"""


def models():
    return [cls(0.3) for cls in both(MODEL, "Ridge")]


DATA = (rng.normal(size=3), rng.normal(size=(5, 3)), rng.normal(size=5))


@pytest.mark.parametrize("wrt, argnum", [(0, 0), ("X", 1), (-1, 2), ((0, 1), (0, 1))])
def test_bound_method_grad(wrt, argnum):
    m, m_ag = models()  # Ridge: an inherited method
    argnums = argnum if isinstance(argnum, tuple) else (argnum,)
    expected = tuple(autograd.grad(m_ag.loss, a)(*DATA) for a in argnums)
    got = srcgrad.grad(m.loss, wrt=wrt)(*DATA)
    assert_close(got, expected if isinstance(wrt, tuple) else expected[0])
    value, got = srcgrad.value_and_grad(m.loss, wrt=wrt)(*DATA)
    assert np.isclose(value, m.loss(*DATA))
    assert_close(got, expected if isinstance(wrt, tuple) else expected[0])


def test_bound_method_vjp_kwargs_and_signature():
    m, m_ag = models()
    value, pullback = srcgrad.vjp(m.loss, *DATA)
    assert np.isclose(value, m.loss(*DATA))
    assert_close(pullback(2.0), 2.0 * autograd.grad(m_ag.loss)(*DATA))
    w, X, y = DATA
    assert_close(srcgrad.grad(m.loss)(w, X=X, y=y), autograd.grad(m_ag.loss)(*DATA))
    assert list(inspect.signature(srcgrad.grad(m.loss)).parameters) == ["w", "X", "y"]


def test_callable_object_and_second_order_of_a_method():
    m, m_ag = models()
    w = DATA[0]
    assert_close(srcgrad.grad(m)(w), autograd.grad(m_ag)(w))
    x = 0.4
    assert np.isclose(srcgrad.grad(srcgrad.grad(m.__call__))(x),
                      autograd.grad(autograd.grad(m_ag.__call__))(x))


def test_self_carries_no_derivative():
    m, _ = models()
    with pytest.raises(ArgumentError, match="self"):
        srcgrad.grad(m.loss, wrt="self")(*DATA)
    with pytest.raises(ArgumentError, match="after self"):
        srcgrad.grad(m.loss, wrt=3)(*DATA)


# -- 7. primitives passed directly; not functions -----------------------------------------

@pytest.mark.parametrize("prim, x", [(np.sqrt, 4.0), (np.tanh, 0.3), (np.tanh, X23),
                                     (np.sum, X23), (abs, -2.5)])
def test_primitive_passed_directly(prim, x):
    ref = {np.sqrt: anp.sqrt, np.tanh: anp.tanh, np.sum: anp.sum, abs: abs}[prim]
    expected = autograd.grad(lambda v: anp.sum(ref(v)))(x)
    assert_close(srcgrad.grad(prim)(x), expected)
    assert_close(srcgrad.value_and_grad(prim)(x)[1], expected)
    assert "def " in srcgrad.show(prim)


def test_binary_primitive_both_arguments():
    a, b = rng.normal(size=3), rng.normal(size=3)
    got = srcgrad.grad(np.maximum, wrt=(0, 1))(a, b)
    expected = tuple(autograd.grad(lambda p, q: anp.sum(anp.maximum(p, q)), i)(a, b)
                     for i in (0, 1))
    assert_close(got, expected)


@pytest.mark.parametrize("thing", [3, "f", None, len, np.ndarray])
def test_not_a_function(thing):
    with pytest.raises(ArgumentError):
        srcgrad.grad(thing)(1.0)


# -- 8. wrt spelled wrong -------------------------------------------------------------------

SIMPLE = "def f(x, y):\n    return np.sum(x * y)\n"


def test_wrt_list_is_a_clear_error():
    f = build(SIMPLE, "f")
    with pytest.raises(ArgumentError, match=r"tuple.*\(0,\)"):
        srcgrad.grad(f, wrt=[0])(X23, X23)


@pytest.mark.parametrize("bad", [1.0, True, np.bool_(True)])
def test_wrt_float_or_bool_refused_whatever_came_before(bad):
    f = build(SIMPLE, "f")
    assert_close(srcgrad.grad(f, wrt=1)(X23, V23), X23)  # wrt=1 first: cached
    for _ in range(2):
        with pytest.raises(ArgumentError, match="wrt"):
            srcgrad.grad(f, wrt=bad)(X23, V23)
    assert_close(srcgrad.grad(f, wrt=np.int64(1))(X23, V23), X23)  # a NumPy int is one


def test_varargs_function_says_what_to_do():
    f = build("def f(*xs):\n    return np.sum(xs[0] * 2.0)\n", "f")
    with pytest.raises(ArgumentError, match="named parameters") as info:
        srcgrad.grad(f)(X23)
    assert "*xs" in str(info.value)


# -- 9. decorators: positions and names come from what runs --------------------------------

UTILS = '''
import functools

def with_scale(fn):
    @functools.wraps(fn)
    def wrapper(x, scale=2.0):
        return fn(x) * scale
    return wrapper
'''


def test_wrapper_signature_is_the_one_that_runs():
    utils = build(UTILS, "with_scale")
    f = utils(build("def f(x):\n    return np.sum(x ** 2)\n", "f"))
    # 'scale' exists only in the decorator's wrapper: the api must see it there
    with pytest.raises(ArgumentError, match=r"'scale'.*str"):
        srcgrad.grad(f, wrt="scale")(X23, "wide")


# -- 10. every API path gives a SrcgradError -----------------------------------------------

def test_pullback_cotangents():
    f, f_ag = both("def f(x):\n    return np.sin(x) * 2.0\n", "f")
    x = rng.normal(size=3)
    _, pullback = srcgrad.vjp(f, x)
    expected = autograd_vjp(f_ag, (x,), (0,), np.array([1.0, 2.0, 3.0]))[0]
    assert_close(pullback([1.0, 2.0, 3.0]), expected)  # a list is an array
    assert_close(pullback(np.array([1, 2, 3])), expected)  # integers are floats
    for bad in ["a", None, np.ones(4), [1.0, [2.0]], np.array([1j, 0, 0]),
                np.matrix([1.0, 2.0, 3.0]), np.array([True, False, True])]:
        with pytest.raises(ArgumentError):
            pullback(bad)


@pytest.mark.parametrize("call", [
    lambda f: srcgrad.grad(f, 1),
    lambda f: srcgrad.grad(f, of=[0])(X23, X23),
    lambda f: srcgrad.grad(f, of=True)(X23, X23),
    lambda f: srcgrad.grad(f, of=1.5)(X23, X23),
    lambda f: srcgrad.grad(f, unroll=1)(X23, X23),
    lambda f: srcgrad.grad(f, optimize=None)(X23, X23),
    lambda f: srcgrad.grad(f, save_to=3)(X23, X23),
    lambda f: srcgrad.grad(f, wrt=())(X23, X23),
    lambda f: srcgrad.grad(f, wrt=(0, 0))(X23, X23),
    lambda f: srcgrad.grad(f)(X23),
    lambda f: srcgrad.grad(f)(X23, X23, X23),
    lambda f: srcgrad.grad(f)(X23, z=X23),
    lambda f: srcgrad.grad(f)(X23, y=X23, x=X23),
    lambda f: srcgrad.grad(f, wrt="y")(X23, y=3),
    lambda f: srcgrad.grad(f)("a", X23),
    lambda f: srcgrad.grad(f)(None, X23),
    lambda f: srcgrad.grad(f)(object(), X23),
    lambda f: srcgrad.vjp(f, X23, wrt=[1])[1](X23),
    lambda f: srcgrad.vjp(f, X23, X23)[1](X23),
    lambda f: srcgrad.vjp(f, X23)[1](1.0),
    lambda f: srcgrad.value_and_grad(f, wrt={0})(X23, X23),
    lambda f: srcgrad.show(f, args=X23),
    lambda f: srcgrad.show(f, wrt=[0]),
    lambda f: srcgrad.grad(wrt=[0])(f),
])
def test_bad_inputs_are_srcgrad_errors(call):
    f = build(SIMPLE, "f")
    with pytest.raises(SrcgradError):
        call(f)


def test_keyword_calls_match_positional_ones():
    src = """
def f(x, y, scale=2.0):
    return np.sum(np.sin(x) * y) * scale
"""
    f = build(src, "f")
    y = rng.normal(size=(2, 3))
    expected = tape_grad(src, "f", (X23, y, 2.0), wrt=(0, 2))
    assert_close(srcgrad.grad(f, wrt=(0, "scale"))(X23, y=y), expected)
    assert_close(srcgrad.grad(f, wrt=(0, 2))(x=X23, y=y, scale=2.0), expected)


# -- 11. the CLI says that it imports the target ----------------------------------------------

def test_show_help_says_the_module_is_imported():
    from srcgrad.cli import build_parser
    parser = build_parser()
    show = parser._subparsers._group_actions[0].choices["show"]
    text = " ".join(show.format_help().split())
    assert "imports its module" in text and "top-level code runs" in text
