"""Language constructs that used to give silently wrong gradients: each now gives the
reference gradient (autograd or central differences) or a located SrcgradError."""
import numpy as np
import pytest

import srcgrad
from srcgrad.errors import SrcgradError
from reference import assert_close, build, check, numeric_grad


def refused(src, args, line, wrt=0, fname="f", mode="grad", words=()):
    """Compiling `fname` is refused with an error naming the source file and `line`."""
    filename = f"<constructs-{abs(hash(src))}>"
    f = build(src, fname, filename=filename)
    with pytest.raises(SrcgradError) as info:
        if mode == "vjp":
            srcgrad.vjp(f, *args, wrt=wrt)
        else:
            srcgrad.grad(f, wrt=wrt)(*args)
    err = info.value
    assert err.filename == filename and err.lineno == line, str(err)
    for w in words:
        assert w in str(err), str(err)
    return err


X4 = np.array([0.5, 1.0, 2.0, 3.0])


# --- 1. *args / **kwargs of user helpers ---------------------------------------------

def test_active_value_through_star_args_is_refused():
    refused("""
def helper(*args):
    return np.sin(args[0])

def f(x):
    return np.sum(helper(x))
""", [X4], line=6, words=("*args",))


def test_active_value_through_star_kwargs_is_refused():
    refused("""
def h(u, **kw):
    return u * kw["scale"] + kw.get("shift", 0.0)

def f(x, t):
    return np.sum(h(x, scale=t[1], shift=1.2))
""", [X4, np.array([1.0, 2.0])], line=6, wrt=1, words=("**kw",))


def test_forwarding_wrapper_is_refused():
    refused("""
def fn(u):
    return u ** 2

def w(*args, **kwargs):
    return 2 * fn(*args, **kwargs)

def f(x):
    return np.sum(w(x))
""", [X4], line=9)


def test_inactive_star_args_still_work():
    src = """
def h(u, *rest):
    return u * len(rest)

def f(x):
    return np.sum(h(x, 1.0, 2.0))
"""
    check(src, "f", [X4])


# --- 2. lists built with append ------------------------------------------------------

@pytest.mark.parametrize("combine", ["np.stack(cols)", "np.array(cols)",
                                     "np.concatenate(cols)"])
def test_appended_list_combined(combine):
    check(f"""
def f(x):
    cols = []
    for i in range(n):
        cols.append(np.sin(x) * i)
    return np.sum({combine} ** 2)
""", "f", [X4], extra={"n": 3})


def test_appended_list_with_literal_start_and_element_reads():
    check("""
def f(x):
    cols = [x[0] * x]
    for i in range(3):
        cols.append(x * (i + 1.0))
    return np.sum(np.stack(cols[1:]) ** 2) + np.sum(cols[0])
""", "f", [X4])


# --- 3. element reads are not views -------------------------------------------------

SCALAR_READ = """
def f(x):
    x = x * 1.0
    a = x[0]
    x[0] = a * 2.0
    return np.sum(x ** 2)
"""


def test_scalar_element_read_then_write_is_differentiated():
    f = build(SCALAR_READ, "f")
    assert_close(srcgrad.grad(f)(X4.copy()), numeric_grad(f, [X4.copy()]), rtol=1e-6)


def test_element_read_of_a_row_is_still_refused():
    refused("""
def f(M):
    M = M * 1.0
    r = M[0]
    M[0, 1] = 3.0
    return np.sum(r * M)
""", [np.ones((2, 3))], line=5, words=("shares",))


def test_element_read_without_known_shapes_is_refused():
    # vjp compiles generic code (no shapes): the read might be a view
    refused(SCALAR_READ, [X4.copy()], line=5, mode="vjp")


# --- 4. derivatives in an index ------------------------------------------------------

@pytest.mark.parametrize("expr, hint", [("np.r_[x, x]", "np.concatenate"),
                                        ("np.c_[x, x]", "np.stack")])
def test_r_and_c_are_refused(expr, hint):
    refused(f"""
def f(x):
    return np.sum({expr} ** 2)
""", [X4], line=3, words=(hint,))


def test_index_from_a_differentiated_value_is_refused():
    refused("""
def f(x, w):
    i = x.astype(int)
    return np.sum(w[i] * x)
""", [X4, np.arange(5.0)], line=4, words=("index",))


# --- 6. repeated indices in subscript assignment ------------------------------------

def test_repeated_index_assignment_keeps_the_last_write():
    src = """
def f(x, v):
    y = x * 1.0
    y[[0, 0, 1]] = v
    return np.sum(y * x)
"""
    f = build(src, "f")
    v = np.array([10.0, 20.0, 30.0])
    for wrt in (0, 1):
        got = srcgrad.grad(f, wrt=wrt)(X4.copy(), v.copy())
        assert_close(got, numeric_grad(f, [X4.copy(), v.copy()], wrt), rtol=1e-6)


def test_repeated_index_augmented_assignment_adds_once():
    src = """
def f(x):
    y = x * 1.0
    v = x[1:] * 10.0
    y[[0, 0, 1]] += v
    return np.sum(y ** 2)
"""
    f = build(src, "f")
    assert_close(srcgrad.grad(f)(X4.copy()), numeric_grad(f, [X4.copy()]), rtol=1e-6)


def test_repeated_index_with_broadcast_scalar_and_vjp():
    src = """
def f(x, s):
    y = x * 1.0
    idx = np.array([[2, 2], [0, 2]])
    y[idx] = s * x[:2]
    return y * x
"""
    f = build(src, "f")
    s = 1.7
    for wrt in (0, 1):
        expected = numeric_grad(f, [X4.copy(), s], wrt)
        assert_close(srcgrad.grad(f, wrt=wrt)(X4.copy(), s), expected, rtol=1e-6)
        _, pb = srcgrad.vjp(f, X4.copy(), s, wrt=wrt)
        assert_close(pb(np.ones(4)), expected, rtol=1e-6)


# --- 7. calls that mutate arrays -----------------------------------------------------

@pytest.mark.parametrize("stmt", [
    "y.sort()", "y.partition(2)", "y.put([0], 2.0)", "np.put(y, [0], 2.0)", "y.fill(1.0)",
    "np.copyto(y, x)", "np.place(y, y > 1.0, 0.0)", "np.putmask(y, y > 1.0, x)",
    "np.add.at(y, [0, 0], x[:2])", "np.multiply(y, 2.0, out=y)", "r = y.sort()",
    "np.random.shuffle(y)", "y.resize(4)"])
def test_mutating_calls_are_refused(stmt):
    refused(f"""
def f(x):
    y = x * 1.0
    {stmt}
    return np.sum(y * np.arange(4.0))
""", [np.array([3.0, 1.0, 2.0, 0.5])], line=4)


def test_out_into_a_fresh_buffer_is_refused():
    refused("""
def f(x):
    y = np.zeros(4)
    np.add(x, 1.0, out=y)
    return np.sum(y)
""", [X4], line=4, words=("out=",))


def test_discarded_call_of_user_function_is_refused():
    refused("""
def scale(a):
    a *= 2.0

def f(x):
    y = x * 1.0
    scale(y)
    return np.sum(y)
""", [X4], line=7, words=("discarded",))


def test_print_is_harmless():
    check("""
def f(x):
    print(x)
    return np.sum(x ** 2)
""", "f", [X4])
