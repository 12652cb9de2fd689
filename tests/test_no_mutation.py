"""Generated code never changes what it was given or what it returned.

Decision (documented in README, "Limits"): a gradient function (grad, value_and_grad,
vjp and its pullback) leaves its arguments exactly as it received them, even when f
writes into an argument (`x[0] = ...`): the generated code writes into a copy. This
matches what autograd does to the arrays it differentiates (it cannot write into
them, and `x += 1` rebinds), and makes a gradient function safe to call repeatedly.
The value a vjp or value_and_grad returns, and the cotangent a pullback receives,
are never changed either, however often the pullback runs.
"""
import copy

import numpy as np
import pytest

import srcgrad
from reference import assert_close, build, numeric_grad

PROGRAMS = {
    "setitem_fancy": """
def f(x, c):
    y = np.zeros(5)
    y[[0, 2]] = x[:2] ** 2
    return y * c[0]
""",
    "setitem_into_argument": """
def f(x, c):
    x[0] = x[1] * 3.0
    t = x * x
    x[1] = 2.0 * x[2]
    return t * x
""",
    "setitem_in_loop": """
def f(x, c):
    y = x * 1.0
    for i in range(len(x)):
        y[i] = y[i] * y[(i + 1) % 4] + c[0]
    return y
""",
    "augmented": """
def f(x, c):
    y = x * 2.0
    y += x ** 2
    x += 1.0
    return y * x
""",
    "augmented_subscript": """
def f(x, c):
    y = np.sin(x)
    y[1:3] += x[:2] * c[1]
    y[[0, 0]] += 1.5 * x[3]
    c[0] = 5.0
    return y
""",
    "returned_argument": """
def f(x, c):
    x[2] = x[0] * x[1]
    return x
""",
    "list_append": """
def f(x, c):
    cols = []
    for i in range(3):
        cols.append(x * i)
    y = np.stack(cols)
    y[1, 1] = 0.0
    return y
""",
}

ARGS = (np.array([0.5, -1.0, 2.0, 0.7]), np.array([1.5, -0.5]))


def fresh_args():
    return [a.copy() for a in ARGS]


def reference(f, wrt):
    return numeric_grad(lambda *a: f(*[np.array(v, copy=True) for v in a]),
                        fresh_args(), wrt)


@pytest.mark.parametrize("key", sorted(PROGRAMS))
@pytest.mark.parametrize("wrt", [0, 1])
def test_grad_leaves_arguments_unchanged(key, wrt):
    f = build(PROGRAMS[key], "f")
    args = fresh_args()
    before = copy.deepcopy(args)
    for mode in (srcgrad.grad, srcgrad.value_and_grad):
        out = mode(f, wrt=wrt)(*args)
        for a, b in zip(args, before):
            np.testing.assert_array_equal(a, b)
        g = out[1] if mode is srcgrad.value_and_grad else out
        assert_close(g, reference(f, wrt), rtol=1e-5)


@pytest.mark.parametrize("key", sorted(PROGRAMS))
def test_value_and_grad_returns_the_value_f_returns(key):
    f = build(PROGRAMS[key], "f")
    expected = f(*fresh_args())
    value, _ = srcgrad.value_and_grad(f)(*fresh_args())
    np.testing.assert_array_equal(value, expected)


@pytest.mark.parametrize("key", sorted(PROGRAMS))
@pytest.mark.parametrize("wrt", [0, 1])
def test_vjp_pullback_changes_nothing_and_can_run_twice(key, wrt):
    f = build(PROGRAMS[key], "f")
    expected_value = f(*fresh_args())
    args = fresh_args()
    before = copy.deepcopy(args)
    value, pullback = srcgrad.vjp(f, *args, wrt=wrt)
    value_before = copy.deepcopy(value)
    np.testing.assert_array_equal(value, expected_value)
    cot = np.ones_like(value)
    cot_before = cot.copy()
    first = pullback(cot)
    second = pullback(cot)
    for a, b in zip(args, before):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(value, value_before)
    np.testing.assert_array_equal(cot, cot_before)
    expected = reference(f, wrt)
    assert_close(first, expected, rtol=1e-5)
    assert_close(second, expected, rtol=1e-5)


def test_the_briefs_vjp_example_keeps_its_value():
    f = build("""
def f(x):
    y = np.zeros(5)
    y[[0, 2]] = x[:2] ** 2
    return y
""", "f")
    x = np.array([1.5, -2.0, 0.3])
    value, pb = srcgrad.vjp(f, x)
    kept = value.copy()
    pb(np.ones(5))
    pb(np.ones(5))
    np.testing.assert_array_equal(value, kept)
    np.testing.assert_array_equal(kept, f(x.copy()))
