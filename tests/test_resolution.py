"""Resolution of what the user's code calls: decorators' wrappers are differentiated
as what a call runs, builtins the generated code needs cannot be shadowed, library
functions are refused at the user's call, and messages name what the user wrote."""
import functools
import re

import numpy as np
import pytest
import scipy.special

import srcgrad
from srcgrad.errors import ArgumentError, NoRuleError, UnsupportedSyntaxError
from reference import assert_close, build, check, numeric_grad, tape_grad

X = np.array([0.3, -0.7, 1.1])
Y = np.array([1.5, 0.2, -0.4])

DECORATED = '''
def times2(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2 * fn(x)
    return wrapper

@times2
def f(x):
    return np.sum(np.sin(x))

def g(x):
    return f(x) * 3.0
'''


@pytest.mark.parametrize("name", ["f", "g"])
def test_wraps_decorator_is_differentiated_not_dropped(name):
    check(DECORATED, name, (X,), extra={"functools": functools})


STAR_WRAPPER = DECORATED.replace("def wrapper(x):", "def wrapper(*args, **kwargs):") \
    .replace("fn(x)", "fn(*args, **kwargs)")


@pytest.mark.parametrize("name, error", [("f", ArgumentError),
                                         ("g", UnsupportedSyntaxError)])
def test_star_args_wrapper_is_refused_with_a_location(name, error):
    fn = build(STAR_WRAPPER, name, extra={"functools": functools})
    with pytest.raises(error) as info:
        srcgrad.grad(fn)(X)
    exc = info.value
    assert exc.filename == fn.__code__.co_filename
    assert exc.lineno == (4 if name == "f" else 13)  # the wrapper's def / g's call
    assert "*args" in exc.message


def test_from_numpy_import_star_keeps_builtin_min_for_zip():
    src = '''
from numpy import *

def f(x, y):
    s = 0.0
    for a, b in zip(x, y):
        s = s + sin(a) * b
    return s
'''
    f = build(src, "f")
    assert f.__globals__["min"] is np.min
    for optimize in (True, False):
        assert_close(srcgrad.grad(f, optimize=optimize)(X, Y), numeric_grad(f, (X, Y)))


def test_module_level_range_of_the_user():
    src = '''
def range(n):
    return [0, 2, 3]

def f(x):
    for i in range(4):
        x = x * (i + 1.0) + np.sin(x)
    return np.sum(x)
'''
    f = build(src, "f")
    for unroll in (True, False, "auto"):
        assert_close(srcgrad.grad(f, unroll=unroll)(X), numeric_grad(f, (X,)), rtol=1e-5)


def test_module_level_list_is_tuple_in_vjp():
    src = '''
list = tuple

def f(x, n):
    for i in range(n):
        if np.sum(x) > 0:
            x = np.sin(x) * 1.5
        else:
            x = x * 2.0
    return np.sum(x)
'''
    f = build(src, "f")
    expected = tape_grad(src, "f", (X, 3))
    value, pullback = srcgrad.vjp(f, X, 3)
    assert_close(value, f(X, 3))
    assert_close(pullback(1.0), expected)
    assert_close(pullback(1.0), expected)  # the pullback replays its stack again


LOCALS = '''
def f(x):
    range = 2.0
    len = 3.0
    slice = 0.5
    min = 4.0
    s = 0.0
    for a, b in zip(x, x[1:]):
        s = s + a * b * range
    for v in x[:2]:
        s = s + v * len * slice * min
    return s
'''


def test_locals_named_like_builtins_grad():
    check(LOCALS, "f", (X,), unroll=False)


def test_local_named_list_vjp():
    src = '''
def f(x, n):
    list = 3.0
    for i in range(n):
        if np.sum(x) > 0:
            x = np.sin(x) * list
        else:
            x = x * 2.0
    return np.sum(x)
'''
    f = build(src, "f")
    value, pullback = srcgrad.vjp(f, X, 2)
    assert_close(pullback(1.0), tape_grad(src, "f", (X, 2)))


LIBRARY = '''
def trace(x):
    return np.trace(x) * 2.0

def lse(x):
    return logsumexp(x)

def linspace_ok(x):
    t = np.linspace(0.0, 1.0, 3)
    return np.sum(x * t)
'''


@pytest.mark.parametrize("name, label, line", [("trace", "np.trace", 3),
                                               ("lse", "logsumexp", 6)])
def test_library_function_refused_at_the_users_line(name, label, line):
    fn = build(LIBRARY, name, extra={"logsumexp": scipy.special.logsumexp})
    arg = np.eye(3) + 0.5 if name == "trace" else X
    with pytest.raises(NoRuleError) as info:
        srcgrad.grad(fn)(arg)
    exc = info.value
    assert exc.filename == fn.__code__.co_filename and exc.lineno == line
    assert f"no derivative rule for `{label}`" in exc.message


def test_library_function_without_derivative_flow_is_called():
    f = build(LIBRARY, "linspace_ok")
    assert_close(srcgrad.grad(f)(X), tape_grad(LIBRARY, "linspace_ok", (X,)))


def test_runtime_helpers_stay_readable():
    from srcgrad import resolve, runtime
    assert not resolve.is_library(runtime.cast_like)
    assert resolve.is_library(functools.wraps)  # the standard library
    assert resolve.is_library(scipy.special.logsumexp)


def test_local_module_alias_message():
    src = '''
def f(x):
    np = numpy
    return np.sum(np.sin(x))
'''
    f = build(src, "f", extra={"numpy": np})
    with pytest.raises(NoRuleError) as info:
        srcgrad.grad(f)(X)
    exc = info.value
    assert "`np` is a local name (for `numpy`)" in exc.message
    assert "np.sin()" in exc.message
    assert exc.lineno == 4 and exc.filename == f.__code__.co_filename
    assert "module-level" in exc.hint


def test_temporary_names_never_reach_messages():
    src = '''
def f(x, fs):
    return fs[0](x) + (x * 2.0).frobnicate()
'''
    f = build(src, "f")
    with pytest.raises(NoRuleError) as info:
        srcgrad.grad(f)(X, [np.sin])
    message = info.value.message
    assert not re.search(r"`t(_[0-9]+)?[`.(]", message), message
    assert "this callable" in message or ".frobnicate()" in message


def test_srcgrad_gradient_as_a_callee_keeps_its_signature():
    src = '''
def fun(x):
    return np.sum(np.sin(x) ** 2)

def outer(x):
    return both(x)[0] * 2.0
'''
    fun = build(src, "fun")
    outer = build(src, "outer", extra={"both": srcgrad.value_and_grad(fun)})
    assert_close(srcgrad.grad(outer)(X), numeric_grad(outer, (X,)))
