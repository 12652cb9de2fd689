"""Property-based tests: hypothesis writes random Python+NumPy programs and srcgrad must
differentiate every one of them like the reference tape (autograd) or, for programs that
assign into arrays (which autograd cannot run), like central finite differences; for
every optimize x unroll variant. Also: value_and_grad returns f's value, and
grad(grad(f)) of float -> float programs matches autograd's second derivative.

The generator is tests/programs.py, the references and the comparison tests/oracle.py;
the wider grammar (containers, decorators, every wrt form through every API) is tested by
tests/test_random_wide.py. Examples near a kink (a comparison or a max whose margin is
under 1e-3) are discarded: the gradient is not defined there.

Runs are derandomized; SRCGRAD_RANDOM_SCALE multiplies the number of programs. The
regression tests at the end are hand-minimized programs the generator found.
"""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

import srcgrad
from oracle import (LIMIT, MARGIN, SETTINGS, UNROLLS, WRTS, compare_all, examples, inputs,
                    margin, usable)
from programs import programs, scalar_programs
from reference import assert_close, build, numeric_grad, tape_grad

pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input")


@settings(max_examples=examples(150), **SETTINGS)
@given(st.data())
def test_random_programs_match_reference(data):
    src, _ = data.draw(programs(setitem=False))
    args = inputs(data.draw)
    wrt = data.draw(st.sampled_from(list(WRTS)))
    note(src)
    note(f"args={args!r}")
    usable(src, args)
    compare_all(src, args, wrt, numeric=False)


@settings(max_examples=examples(60), **SETTINGS)
@given(st.data())
def test_random_array_writes_match_finite_differences(data):
    """Programs that write into np.zeros buffers: autograd cannot run them."""
    src, writes = data.draw(programs(setitem=True))
    assert writes
    args = inputs(data.draw)
    wrt = data.draw(st.sampled_from(list(WRTS)))
    note(src)
    note(f"args={args!r}")
    usable(src, args)
    compare_all(src, args, wrt, numeric=True)


@settings(max_examples=examples(50), **SETTINGS)
@given(st.data())
def test_random_programs_value_and_grad_returns_the_value(data):
    src, _ = data.draw(programs(setitem=data.draw(st.booleans())))
    args = inputs(data.draw)
    wrt = data.draw(st.sampled_from(list(WRTS)))
    note(src)
    note(f"args={args!r}")
    usable(src, args)
    f = build(src, "f")
    value, _ = srcgrad.value_and_grad(f, wrt=wrt)(args[0].copy(), args[1], args[2])
    expected = f(args[0].copy(), args[1], args[2])
    assert_close(value, expected, rtol=1e-9, atol=0)
    assert np.shape(value) == np.shape(expected)


@settings(max_examples=examples(40), **SETTINGS)
@given(scalar_programs(), st.integers(0, 2 ** 32 - 1), st.integers(0, 3))
def test_random_second_derivatives_match_reference(src, seed, n):
    """grad(grad(f)) of float -> float programs against autograd's second derivative."""
    x = float(np.random.default_rng(seed).uniform(-1.5, 1.5))
    note(src)
    note(f"x={x!r} n={n}")
    gap, out = margin(src, [x, n])
    assume(gap > MARGIN and np.isfinite(out) and abs(out) < LIMIT)
    expected = autograd.grad(autograd.grad(build(src, "f", anp)))(x, n)
    assume(np.isfinite(expected) and abs(expected) < LIMIT)
    f = build(src, "f")
    for optimize in (True, False):
        for unroll in UNROLLS:
            note(f"optimize={optimize} unroll={unroll}")
            inner = srcgrad.grad(f, optimize=optimize, unroll=unroll)
            got = srcgrad.grad(inner, optimize=optimize, unroll=unroll)(x, n)
            assert_close(got, expected, rtol=1e-5, atol=1e-8)


# -- regressions: hand-minimized programs the generator found ----------------------------
def all_variants_match(src, args, wrt=0, numeric=False):
    """Every optimize x unroll variant equals the reference gradient."""
    f = build(src, "f")
    expected = numeric_grad(f, args, wrt) if numeric else tape_grad(src, "f", args, wrt)
    for optimize in (True, False):
        for unroll in UNROLLS:
            got = srcgrad.grad(f, wrt=wrt, optimize=optimize, unroll=unroll)(*args)
            assert_close(got, expected, rtol=1e-5)


def xfail(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


def test_regression_if_with_constant_shift():
    all_variants_match("""
def f(x):
    if x > 0.5:
        x = x + 1.0
    return x
""", [1.0])


def test_regression_kept_loop_with_constant_shift():
    all_variants_match("""
def f(x):
    for i in range(3):
        x = x + 1.0
    return x
""", [1.0])


def test_regression_elif_without_adjoint():
    all_variants_match("""
def f(x, n):
    if x < 0.0:
        x = x + x
    elif n == 1:
        y = x
    return x
""", [1.0, 0])


def test_regression_return_from_nested_loop():
    all_variants_match("""
def f(x, n):
    for i in range(n):
        for j in range(n):
            return x * (i + 1.0)
    return 0.0
""", [1.0, 3])


def test_regression_return_from_nested_loop_over_elements():
    all_variants_match("""
def f(x, n):
    for e in x:
        for i in range(n):
            return e
    return 0.0
""", [np.array([1.0, 2.0, 3.0]), 2])


def test_regression_return_from_loop_inside_if():
    all_variants_match("""
def f(x):
    if x > -10.0:
        for i in range(2):
            return 8.0
    return x * 1.0
""", [1.0])


@pytest.mark.parametrize("src", ["""
def f(x, s):
    y = s * x
    for i in range(2):
        x = x * 2.0
    return y
""", """
def f(x, s):
    y = s * x
    z = s * 1.0
    for i in range(2):
        z = z * s
    for i in range(2):
        x = x * 2.0
    return y * z
"""], ids=["restore", "stack"])
def test_regression_kept_loop_rebinding_an_inactive_name(src):
    all_variants_match(src, [1.5, 0.5], wrt=1)


def test_regression_helper_call_in_kept_loop():
    all_variants_match("""
def h(b):
    return b * b

def f(x, n):
    for i in range(n):
        x = h(x)
    return x
""", [1.5, 2])


def test_regression_value_and_grad_with_early_return():
    f = build("""
def f(x):
    if x > 0:
        return x * 2.0
    return x * 5.0
""", "f")
    value, gradient = srcgrad.value_and_grad(f)(1.0)
    assert value == 2.0 and gradient == 2.0


def test_regression_helper_rebinding_a_local():
    all_variants_match("""
def h(a):
    u = a * 2.0
    u = u * a
    return u

def f(x):
    return h(x)
""", [1.0])


def test_regression_helper_value_saved_on_one_branch_only():
    all_variants_match("""
def h(a):
    b = a * 1.0
    if a > 0.5:
        b = np.sin(a) * a
    return b

def f(x):
    return h(x)
""", [0.2])


@pytest.mark.parametrize("x", [1.0, 7.0])
def test_regression_helper_return_in_elif(x):
    all_variants_match("""
def h(a):
    if a < 2.0:
        b = 0.25
    elif a > 5.0:
        return a * 3.0
    return a * 2.0

def f(x):
    return h(x)
""", [x])


def test_regression_augmented_float_after_copy_is_not_aliasing():
    all_variants_match("""
def f(x):
    y = x
    x += 1.0
    return x * y
""", [0.5])


def test_regression_augmented_after_element_read_is_not_aliasing():
    all_variants_match("""
def f(x):
    v = x * 2.0
    a = v[1]
    v += 1.0
    return np.sum(v) * a
""", [np.array([0.3, -0.7, 1.1])], numeric=True)


@xfail("aliasing check is flow-insensitive: x is a fresh array by the time of `x += 1.0`")
def test_regression_augmented_after_rebinding_is_not_aliasing():
    all_variants_match("""
def f(x):
    y = x
    x = x * 2.0
    x += 1.0
    return np.sum(x * y)
""", [np.array([0.3, -0.7, 1.1])], numeric=True)


@pytest.mark.parametrize("alias", ["r = M[0]", "r, q = M, 2.0", "for r in M:"])
def test_regression_in_place_update_through_an_alias(alias):
    src = f"""
def f(x):
    M = np.outer(x, x)
    {alias}
    {"    " if alias.startswith("for") else ""}r *= 3.0
    return np.sum(M * M)
"""
    f = build(src, "f")
    x = np.array([0.3, -0.7, 1.1])
    try:
        got = srcgrad.grad(f)(x)
    except srcgrad.SrcgradError:
        return   # refusing the program is fine too
    assert_close(got, numeric_grad(f, [x]), rtol=1e-5)
