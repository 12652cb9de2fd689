"""Python control flow: branches, loops, break/continue, in-place subscripts."""
import threading

import numpy as np
import pytest

import srcgrad
from reference import CHAPTER, assert_close, build, check, numeric_grad

rng = np.random.default_rng(2)



@pytest.mark.parametrize("shape", [(), (3,), (2, 2)])
@pytest.mark.parametrize("sign", [1, -1])
def test_chapter_function(shape, sign):
    a = sign * np.abs(rng.normal(size=shape)) if shape else sign * 0.37
    check(CHAPTER, "f", [a])


def test_if_elif_else_nested_and_bool_ops():
    src = """
def f(x, y):
    if x > 0 and y < 1:
        z = x * y
    elif not x > -1 or y > 2:
        if 1 < y < 5:
            z = x * x
        else:
            z = -x
            w = y
    else:
        z = np.sin(x)
    return z * y
"""
    for x, y in [(0.5, 0.3), (-2.0, 3.0), (-2.0, 7.0), (-0.5, 0.5), (0.5, 1.5)]:
        check(src, "f", [x, y], wrt=(0, 1))


def test_ifexp_and_any_all():
    src = """
def f(x):
    y = x * 2.0 if np.any(x > 0.5) else x * 3.0
    if np.all(x < 10):
        y = y * x
    return np.sum(y)
"""
    check(src, "f", [rng.normal(size=4)])
    check(src, "f", [np.array([0.1, 0.2])])


def test_for_range_runtime_bounds_and_literal():
    src = """
def f(x, n):
    y = x
    for i in range(n):
        y = y * x + i
    for j in range(1, 7, 2):
        y = np.sin(y) * j
    return y
"""
    for unroll in ("auto", True, False):
        check(src, "f", [0.7, 4], unroll=unroll)
        check(src, "f", [rng.normal(size=3), 3], unroll=unroll)


def test_tf_tutorial_loop():
    src = """
def f(x, y):
    output = 1.0
    for i in range(y):
        if 1 < i < 5:
            output = output * x
    return output
"""
    f = build(src, "f")
    g = srcgrad.grad(f)
    assert g(2.0, 6) == 12.0 and g(2.0, 5) == 12.0 and g(2.0, 4) == 4.0


def test_loops_over_rows_lists_enumerate_zip():
    src = """
def f(X, w):
    total = 0.0
    for row in X:
        total = total + np.dot(row, w)
    for i, row in enumerate(X):
        total = total + i * np.sum(row * row)
    for a, b in zip(X, [w, w * 2.0]):
        total = total + np.sum(a * b)
    for v in (w, X[0]):
        total = total * 0.5 + np.sum(v ** 2)
    return total
"""
    check(src, "f", [rng.normal(size=(3, 2)), rng.normal(size=2)], wrt=(0, 1))


def test_break_continue_nested_loops():
    src = """
def f(x, n):
    s = x
    for i in range(n):
        if i == 1:
            continue
        j = 0
        while j < 3:
            s = s * 1.1 + x
            if np.sum(s) > 8:
                break
            j = j + 1
        if np.sum(s) > 20:
            break
        s = np.cos(s)
    return s
"""
    for x in (0.3, 1.5, np.array([0.2, 0.4])):
        check(src, "f", [x, 6])


def test_early_return():
    src = """
def f(x):
    for i in range(5):
        x = x * 1.5
        if x > 2:
            return x * 10.0
    if x < 0:
        return -x
    return x * x
"""
    for x in (0.1, 0.5, -1.0, 3.0):
        check(src, "f", [x])


def test_subscript_assignment_and_rnn_style_fill():
    src = """
def f(x, w):
    h = np.zeros((5, 3))
    h[0] = np.tanh(x)
    for t in range(1, 5):
        h[t] = np.tanh(h[t - 1] * w + x)
    h[2, 1] += h[3, 0] * 2.0
    h[:, 0] *= w[0]
    return np.sum(h ** 2)
"""
    f = build(src, "f")
    x, w = rng.normal(size=3), rng.normal(size=3)
    for unroll in (True, False):
        g = srcgrad.grad(f, wrt=(0, 1), unroll=unroll)(x, w)
        assert_close(g[0], numeric_grad(f, [x, w], 0), rtol=1e-5)
        assert_close(g[1], numeric_grad(f, [x, w], 1), rtol=1e-5)


def test_unrolled_and_kept_loops_agree_and_look_different():
    src = """
def f(x):
    for i in range(3):
        x = np.sin(x) * 2.0
    return x
"""
    f = build(src, "f")
    assert "for " not in srcgrad.show(f, unroll=True).split("def grad_f")[1]
    assert "reversed" in srcgrad.show(f, unroll=False) or "[::-1]" in srcgrad.show(
        f, unroll=False)
    assert_close(srcgrad.grad(f, unroll=True)(0.3), srcgrad.grad(f, unroll=False)(0.3))


def test_integer_loop_counts_pass_through_and_wrt_int_refused():
    src = """
def f(x, n, flag):
    for i in range(n):
        if flag:
            x = x * 2.0
    return x
"""
    f = build(src, "f")
    assert srcgrad.grad(f)(1.0, 3, True) == 8.0
    with pytest.raises(srcgrad.SrcgradError):
        srcgrad.grad(f, wrt=1)(1.0, 3, True)
    with pytest.raises(srcgrad.SrcgradError):
        srcgrad.grad(f, wrt="flag")(1.0, 3, True)


def test_threads_share_no_state():
    src = """
def f(x, n):
    i = 0
    while i < n:
        if np.sum(x) > 0:
            x = x * 1.5
        else:
            x = x * -0.5
        i = i + 1
    return np.sum(x * x)
"""
    f = build(src, "f")
    g = srcgrad.grad(f)
    inputs = [rng.normal(size=4) for _ in range(8)]
    expected = [numeric_grad(f, [x, 6], 0) for x in inputs]
    errors = []

    def work(k):
        try:
            for _ in range(50):
                assert_close(g(inputs[k], 6), expected[k], rtol=1e-5)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_value_and_grad_value_survives_restores():
    src = """
def f(x):
    for row in np.outer(x, x):
        if np.sum(x) > 0.0:
            return 0.5
    return 0.5 + np.sum(x)
"""
    f = build(src, "f")
    x = np.array([0.4, -0.7, -1.4])
    value, g = srcgrad.value_and_grad(f)(x)
    assert_close(value, f(x))
    assert_close(g, np.ones(3))


def test_loop_with_nothing_to_replay_keeps_the_stack_aligned():
    src = """
def f(x, s):
    for i in range(3):
        x = np.sin(x) * 1.5
    for j in range(2):
        s = s * np.exp(x[0])
    return np.tanh(x)
"""
    for unroll in (False, "auto"):
        check(src, "f", [np.array([0.3, -0.2]), 0.7], wrt=(0, 1), unroll=unroll)


def test_self_assignment_in_a_callee_loop():
    src = """
def h(a):
    for j in range(3):
        a = a
    return a * 2.0

def f(x):
    return np.sum(h(x))
"""
    for unroll in (False, True):
        f = build(src, "f")
        assert_close(srcgrad.grad(f, unroll=unroll)(np.ones(2)), 2.0 * np.ones(2))


def test_tuple_unpacking_in_a_kept_loop_restores_in_stack_order():
    # both targets are saved per trip; their restores must pop in reverse order
    src = """
def f(x, n):
    a = x
    b = 2.0 * x
    for i in range(n):
        t = (b * np.sin(a), a * np.cos(b))
        a, b = t
    return np.sum(a * b)
"""
    check(src, "f", (np.array([0.3, 0.5]), 6), wrt=0, unroll=False)
