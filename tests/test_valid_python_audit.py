"""The audit: odd-but-valid Python never makes srcgrad fail with anything but a
SrcgradError. Each function either gets a gradient that matches central finite
differences (in the argument's type, shape and dtype) or a SrcgradError; `show` gives
text that compiles. (One test per refused construct is in test_refused_constructs.py.)
"""
import functools
import math

import numpy as np
import pytest

import srcgrad
from reference import assert_close, build, numeric_grad


A = np.array([0.7, 1.3, 2.1])
A32 = A.astype(np.float32)
M = np.array([[0.5, 1.2, 0.8], [1.1, 0.4, 0.9]])

AUDIT = {
    "list_comprehension": ("""
def f(x):
    ys = [x[i] * 2 for i in range(3)]
    return ys[0] + ys[1] * ys[2]
""", (A,)),
    "generator_expression_sum": ("""
def f(x):
    return sum(x[i] ** 2 for i in range(3))
""", (A,)),
    "dict_comprehension": ("""
def f(x):
    d = {k: k * 2 for k in range(3)}
    return np.sum(x * d[2])
""", (A,)),
    "inactive_list_comprehension": ("""
def f(x):
    w = [float(i) for i in range(3)]
    return np.sum(x * np.array(w))
""", (A,)),
    "fstring": ("""
def f(x):
    label = f"shape {x.shape} {len(x):03d}"
    return np.sum(x * len(label))
""", (A,)),
    "dict_literal": ("""
def f(x):
    d = {"a": x, "b": 2.0}
    return np.sum(d["a"] * d["b"])
""", (A,)),
    "dict_literal_inactive": ("""
def f(x):
    d = {"b": 2.0}
    return np.sum(x * d["b"])
""", (A,)),
    "set_literal": ("""
def f(x):
    s = {1, 2, 2}
    return np.sum(x) * len(s)
""", (A,)),
    "chained_method_calls": ("""
def f(x):
    return x.reshape(-1).sum()
""", (A,)),
    "chained_attribute_transpose": ("""
def f(x):
    return x.T.dot(x).sum()
""", (M,)),
    "method_on_string": ("""
def f(x):
    name = "abc".upper().lower()
    return np.sum(x) * len(name)
""", (A,)),
    "string_ops": ("""
def f(x):
    s = "a" + "b" * 2
    n = len(s.split("b"))
    return np.sum(x ** 2) * n
""", (A,)),
    "percent_format": ("""
def f(x):
    msg = "%d items" % len(x)
    return np.sum(x) * len(msg)
""", (A,)),
    "global_constant": ("""
SCALE = 3.0

def f(x):
    return np.sum(x * SCALE)
""", (A,)),
    "global_array_constant": ("""
W = np.array([1.0, 2.0, 3.0])

def f(x):
    return np.dot(W, x)
""", (A,)),
    "math_constants": ("""
import functools
import math

def f(x):
    return np.sum(x * np.pi * math.e)
""", (A,)),
    "nested_tuple_unpack": ("""
def f(x):
    a, (b, c) = x, (x * 2, x * 3)
    return np.sum(a * b * c)
""", (A,)),
    "nested_tuple_index": ("""
def f(x):
    t = ((x, 2.0), (x * 3, 4.0))
    return np.sum(t[0][0] * t[1][0] * t[0][1])
""", (A,)),
    "starred_call_inactive": ("""
def f(x):
    dims = (3,)
    z = np.ones(*dims)
    return np.sum(x * z)
""", (A,)),
    "starred_call_inactive_list": ("""
def f(x):
    shape = [1, 3]
    return np.sum(x.reshape(*shape) * 2)
""", (A,)),
    "keyword_only_helper": ("""
def h(u, *, scale):
    return u * scale

def f(x):
    return np.sum(h(x, scale=2.0))
""", (A,)),
    "keyword_only_param": ("""
def f(x, *, k=2.0):
    return np.sum(x * k)
""", (A,)),
    "default_param": ("""
def f(x, k=3.0):
    return np.sum(x * k)
""", (A,)),
    "default_in_helper": ("""
def h(u, k=2.0):
    return u ** k

def f(x):
    return np.sum(h(x)) + np.sum(h(x, 3.0))
""", (A,)),
    "is_none_test": ("""
def f(x, w=None):
    if w is None:
        w = 2.0
    return np.sum(x * w)
""", (A,)),
    "is_not_none_ternary": ("""
def f(x, w=None):
    s = np.sum(x) if w is None else np.sum(x * w)
    return s
""", (A,)),
    "in_test": ("""
def f(x):
    if 2 in (1, 2, 3):
        y = x * 2
    else:
        y = x
    return np.sum(y)
""", (A,)),
    "not_in_test_string": ("""
def f(x, mode="sum"):
    if mode not in ("mean", "max"):
        return np.sum(x ** 2)
    return np.mean(x)
""", (A,)),
    "slice_none": ("""
def f(x):
    return np.sum(x[None, :] * x[:, None])
""", (A,)),
    "newaxis": ("""
def f(x):
    return np.sum(x[np.newaxis] ** 2)
""", (A,)),
    "ellipsis": ("""
def f(x):
    return np.sum(x[..., 0] * x[..., 1])
""", (M,)),
    "negative_step": ("""
def f(x):
    return np.sum(x[::-1] * x) + x[2:0:-1][0]
""", (A,)),
    "slice_object": ("""
def f(x):
    s = slice(0, 2)
    return np.sum(x[s] ** 2)
""", (A,)),
    "fancy_index_list": ("""
def f(x):
    return np.sum(x[[0, 2, 2]] ** 2)
""", (A,)),
    "boolean_mask": ("""
def f(x):
    return np.sum(x[x > 1.0] ** 2)
""", (A,)),
    "empty_body_pass": ("""
def f(x):
    pass
""", (A,)),
    "docstring_only": ('''
def f(x):
    """Nothing here."""
''', (A,)),
    "return_constant": ("""
def f(x):
    return 3.0
""", (A,)),
    "return_none": ("""
def f(x):
    return None
""", (A,)),
    "bare_return": ("""
def f(x):
    y = x * 2
    return
""", (A,)),
    "return_tuple": ("""
def f(x):
    return x * 2, x ** 2
""", (A,)),
    "return_list": ("""
def f(x):
    return [x * 2, x ** 2]
""", (A,)),
    "return_param": ("""
def f(x):
    return x
""", (A,)),
    "return_int_constant_from_branch": ("""
def f(x):
    if np.sum(x) > 0:
        return 1
    return 2
""", (A,)),
    "unused_arg": ("""
def f(x, y):
    return np.sum(y ** 2)
""", (A, A)),
    "arg_only_in_condition": ("""
def f(x):
    if np.sum(x) > 0:
        return 1.0
    else:
        return 2.0
""", (A,)),
    "while_break_counter": ("""
def f(x):
    k = 0
    y = x
    while True:
        y = y * 1.5
        k += 1
        if k >= 3:
            break
    return np.sum(y)
""", (A,)),
    "continue_in_loop": ("""
def f(x):
    s = 0.0
    for i in range(len(x)):
        if i == 1:
            continue
        s = s + x[i] ** 2
    return s
""", (A,)),
    "early_return_in_loop": ("""
def f(x):
    s = 0.0
    for i in range(10):
        s = s + np.sum(x) * i
        if i == 2:
            return s
    return -s
""", (A,)),
    "augassign_subscript_copy": ("""
def f(x):
    y = x.copy()
    y[0] += x[1]
    return np.sum(y * y)
""", (A,)),
    "assert_statement": ("""
def f(x):
    assert x.shape[0] == 3, "bad shape"
    return np.sum(x ** 2)
""", (A,)),
    "unreachable_raise": ("""
def f(x):
    if x.ndim != 1:
        raise ValueError("need a vector")
    return np.sum(np.sin(x))
""", (A,)),
    "print_call": ("""
def f(x):
    print(end="")
    return np.sum(x * 2)
""", (A,)),
    "isinstance_test": ("""
def f(x):
    if isinstance(x, np.ndarray):
        y = x * 2
    else:
        y = x
    return np.sum(y)
""", (A,)),
    "list_literal_index": ("""
def f(x):
    items = [x, x * 2]
    return np.sum(items[1] * items[0])
""", (A,)),
    "for_over_list_of_arrays": ("""
def f(x):
    s = 0.0
    for v in [x, x * 2]:
        s = s + np.sum(v ** 2)
    return s
""", (A,)),
    "enumerate_zip": ("""
def f(x):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, x[::-1])):
        s = s + a * b * i
    return s
""", (A,)),
    "ternary": ("""
def f(x):
    y = x * 2 if x[0] > 0 else x * 3
    return np.sum(y)
""", (A,)),
    "bool_ops": ("""
def f(x):
    c = (x[0] > 0) and (x[1] > 0) or not (x[2] > 0)
    return np.sum(x * 2) if c else np.sum(x)
""", (A,)),
    "chained_comparison": ("""
def f(x):
    if 0 < x[0] < 10:
        return np.sum(x ** 3)
    return np.sum(x)
""", (A,)),
    "keyword_args_to_numpy": ("""
def f(x):
    return np.sum(np.sum(x, axis=0, keepdims=True) ** 2)
""", (M,)),
    "shape_and_len": ("""
def f(x):
    n = x.shape[0]
    return np.sum(x) / n + np.sum(x) / len(x) + x.size
""", (A,)),
    "int_power_and_division": ("""
def f(x):
    return np.sum(x ** 3 / 2 - 7 // 2 * x)
""", (A,)),
    "unary_ops": ("""
def f(x):
    return np.sum(-x * +x)
""", (A,)),
    "matmul": ("""
def f(x):
    return np.sum(x @ x.T)
""", (M,)),
    "np_stack_list": ("""
def f(x):
    return np.sum(np.stack([x, x ** 2]) ** 2)
""", (A,)),
    "rebind_param": ("""
def f(x):
    x = x + 1
    x *= 2
    return np.sum(x ** 2)
""", (A,)),
    "annotated_assignment": ("""
def f(x: np.ndarray) -> float:
    y: np.ndarray = x * 2
    return np.sum(y ** 2)
""", (A,)),
    "swap": ("""
def f(x):
    a, b = x * 2, x * 3
    a, b = b, a
    return np.sum(a * b ** 2)
""", (A,)),
    "builtin_abs_max": ("""
def f(x):
    return abs(x[0]) * max(x[1], x[2]) + min(2.0, x[0])
""", (A,)),
    "builtin_sum_of_list": ("""
def f(x):
    return sum([x[0], x[1] * 2, x[2] ** 2])
""", (A,)),
    "float_of_active": ("""
def f(x):
    return float(np.sum(x ** 2)) * 2
""", (A,)),
    "numpy_scalar_constructor": ("""
def f(x):
    return np.sum(np.float64(2.0) * x)
""", (A,)),
    "while_false": ("""
def f(x):
    while False:
        x = x * 2
    return np.sum(x)
""", (A,)),
    "if_true": ("""
def f(x):
    if True:
        y = x * 2
    else:
        y = x
    return np.sum(y)
""", (A,)),
    "pass_in_branch": ("""
def f(x):
    y = x
    if np.sum(x) > 100:
        pass
    else:
        y = y * 2
    return np.sum(y)
""", (A,)),
    "varargs_signature": ("""
def f(x, *rest):
    return np.sum(x ** 2) * len(rest)
""", (A, 1, 2)),
    "kwargs_signature": ("""
def f(x, **kw):
    return np.sum(x * kw.get("k", 2.0))
""", (A,)),
    "positional_only": ("""
def f(x, /, y=1.0):
    return np.sum(x * y)
""", (A,)),
    "method_sum_axis": ("""
def f(x):
    return x.sum(axis=0)[1] * 3
""", (M,)),
    "astype_float": ("""
def f(x):
    return np.sum(x.astype(np.float64) ** 2)
""", (A,)),
    "tuple_of_shape": ("""
def f(x):
    r, c = x.shape
    return np.sum(x) * r * c
""", (M,)),
    "loop_over_string": ("""
def f(x):
    s = x
    for ch in "ab":
        s = s * 2
    return np.sum(s)
""", (A,)),
    "range_len_string": ("""
def f(x):
    s = 0.0
    for i in range(len("abc")):
        s = s + x[i]
    return s
""", (A,)),
    "helper_with_constant_only": ("""
def h():
    return 2.0

def f(x):
    return np.sum(x * h())
""", (A,)),
    "helper_returning_tuple": ("""
def h(u):
    return u * 2, u * 3

def f(x):
    a, b = h(x)
    return np.sum(a * b)
""", (A,)),
    "helper_unused_active_arg": ("""
def h(u, v):
    return v * 2

def f(x):
    return np.sum(h(x, 3.0))
""", (A,)),
    "lambda_global_callee": ("""
sq = lambda u: u * u

def f(x):
    return np.sum(sq(x))
""", (A,)),
    "np_where_mask": ("""
def f(x):
    return np.sum(np.where(x > 1.0, x ** 2, -x))
""", (A,)),
    "bytes_literal": ("""
def f(x):
    b = b"ab"
    return np.sum(x) * len(b)
""", (A,)),
    "complex_expression_statement": ("""
def f(x):
    x * 2
    np.sum(x)
    return np.sum(x ** 2)
""", (A,)),
    "scalar_float_argument": ("""
def f(x):
    return x ** 2 * 3.0 + np.sin(x)
""", (0.7,)),
    "integer_constant_return_from_array": ("""
def f(x):
    return np.sum(x > 0)
""", (A,)),
    "alias_augassign": ("""
def f(x):
    y = x.copy()
    z = y
    z += 1.0
    return np.sum(y * y)
""", (A,)),
    "alias_subscript_write": ("""
def f(x):
    y = x.copy()
    z = y
    z[0] = 5.0 * x[1]
    return np.sum(y * x)
""", (A,)),
    "param_inplace_add": ("""
def f(x):
    x += 1.0
    return np.sum(x ** 2)
""", (A,)),
    "param_subscript_write": ("""
def f(x):
    x[0] = x[1] * 3.0
    return np.sum(x ** 2)
""", (A,)),
    "iterate_array": ("""
def f(x):
    s = 0.0
    for v in x:
        s += v ** 2
    return s
""", (A,)),
    "iterate_rows": ("""
def f(x):
    s = 0.0
    for row in x:
        s = s + np.sum(row) ** 2
    return s
""", (M,)),
    "nested_loops_break": ("""
def f(x):
    s = 0.0
    for i in range(3):
        for j in range(3):
            if j > i:
                break
            s = s + x[i] * x[j]
    return s
""", (A,)),
    "while_active_cond": ("""
def f(x):
    k = 0
    while np.sum(x) < 20.0:
        x = x * 1.3
        k += 1
    return np.sum(x) * k
""", (A,)),
    "bound_method_global": ("""
def f(x):
    return np.sum(OBJ.meth(x))
""", (A,)),
    "partial_global": ("""
def f(x):
    return np.sum(P(x))
""", (A,)),
    "helper_kwargs_call": ("""
def h(u, v):
    return u * v ** 2

def f(x):
    return np.sum(h(v=x, u=2.0))
""", (A,)),
    "helper_generator": ("""
def h(u):
    yield u

def f(x):
    return np.sum(next(h(x)))
""", (A,)),
    "pow_active_both": ("""
def f(x):
    return np.sum(x ** x) + np.sum(2 ** x) + np.sum(x) ** 0.5
""", (A,)),
    "np_array_from_scalars": ("""
def f(x):
    v = np.array([x[0], x[1] * 2])
    return np.sum(v ** 2)
""", (A,)),
    "np_array_from_list_var": ("""
def f(x):
    items = [x[0], x[2]]
    v = np.array(items)
    return np.sum(v ** 2)
""", (A,)),
    "double_slice": ("""
def f(x):
    return np.sum(x[1:][::-1] * np.arange(2.0))
""", (A,)),
    "max_norm": ("""
def f(x):
    return np.max(x) * np.linalg.norm(x) + x.max()
""", (A,)),
    "helper_chain": ("""
def h1(u):
    return h2(u) * 2

def h2(u):
    return h3(u) + u

def h3(u):
    return np.sin(u)

def f(x):
    return np.sum(h1(x))
""", (A,)),
    "helper_mixed_activity": ("""
def h(u, v):
    return u * v

def f(x):
    a = h(x, 2.0)
    b = h(3.0, x)
    c = h(2.0, 3.0)
    return np.sum(a * b * c)
""", (A,)),
    "ternary_return": ("""
def f(x):
    return x * 2 if x.sum() > 0 else -x
""", (A,)),
    "int_arg_loop": ("""
def f(x, n):
    for i in range(n):
        x = x * 1.1
    return np.sum(x)
""", (A, 4)),
    "tuple_param_unpack": ("""
def f(x):
    a, b, c = x
    return a * b + c
""", (A,)),
    "scalar_int_as_float": ("""
def f(x):
    return x * x
""", (2.0,)),
    "numpy_scalar_arg": ("""
def f(x):
    return x * np.sin(x)
""", (np.float64(0.5),)),
    "zero_dim_array": ("""
def f(x):
    return x ** 3
""", (np.array(0.5),)),
    "float32_array": ("""
def f(x):
    return np.sum(x ** 2)
""", (A32,)),
    "aug_subscript_in_loop": ("""
def f(x):
    y = np.zeros(3)
    for i in range(3):
        y[i] += x[i] * x[(i + 1) % 3]
    return np.sum(y ** 2)
""", (A,)),
    "list_append_local": ("""
def f(x):
    out = []
    for i in range(3):
        out.append(x[i] ** 2)
    return out[0] + out[1] * out[2]
""", (A,)),
    "list_pop_local": ("""
def f(x):
    out = [x * 2, x * 3]
    v = out.pop()
    return np.sum(v * out[0])
""", (A,)),
    "global_mutable_list_read": ("""
def f(x):
    return np.sum(x * CONSTS[1])
""", (A,)),
    "shadow_np": ("""
def f(x):
    np = 3.0
    return x * np
""", (0.5,)),
    "shadow_builtin_range": ("""
def f(x):
    range = 2.0
    return x * range
""", (0.5,)),
    "param_named_like_helper": ("""
def f(seed, cast_like):
    return np.sum(seed * cast_like)
""", (A, A)),
    "empty_tuple_return_then_value": ("""
def f(x):
    t = ()
    return np.sum(x) + len(t)
""", (A,)),
    "none_arith_guard": ("""
def f(x, b=None):
    y = x * 2
    if b is not None:
        y = y + b
    return np.sum(y)
""", (A,)),
    "comparison_chain_active": ("""
def f(x):
    c = x[0] < x[1] < x[2]
    return np.sum(x) * c
""", (A,)),
    "dtype_in_call": ("""
def f(x):
    return np.sum(np.asarray(x, dtype=float) ** 2)
""", (A,)),
    "reshape_tuple": ("""
def f(x):
    return np.sum(x.reshape((3, 2)) @ np.ones(2))
""", (M,)),
    "einsum": ("""
def f(x):
    return np.einsum("ij,ij->", x, x)
""", (M,)),
    "concat": ("""
def f(x):
    return np.sum(np.concatenate([x, x ** 2]) ** 2)
""", (A,)),
    "star_expr_in_list": ("""
def f(x):
    items = [*x]
    return items[0] * items[1]
""", (A,)),
    "star_in_tuple_literal": ("""
def f(x):
    t = (1.0, *[2.0, 3.0])
    return np.sum(x * t[2])
""", (A,)),
    "dict_get_inactive": ("""
def f(x):
    cfg = {"a": 1.5}
    return np.sum(x * cfg.get("a", 2.0))
""", (A,)),
    "multiple_assign_targets": ("""
def f(x):
    a = b = x * 2
    return np.sum(a * b)
""", (A,)),
    "semicolon_statements": ("""
def f(x):
    a = x * 2; b = a + 1
    return np.sum(b * a)
""", (A,)),
    "line_continuation": ("""
def f(x):
    y = x * 2 + \\
        x ** 2
    return np.sum(y)
""", (A,)),
    "decorated_helper": ("""
import functools
def deco(fn):
    @functools.wraps(fn)
    def wrapper(*a):
        return fn(*a)
    return wrapper

@deco
def h(u):
    return u * 3

def f(x):
    return np.sum(h(x))
""", (A,)),
    "augassign_on_constant_then_active": ("""
def f(x):
    s = 0
    s += 1
    s = s * np.sum(x)
    return s
""", (A,)),
}


class _Obj:
    def meth(self, u):
        return u * 2


AUDIT_GLOBALS = {"math": math, "OBJ": _Obj(), "P": functools.partial(np.multiply, 3.0),
                 "CONSTS": [1.0, 2.5]}


def _copies(args):
    """Fresh copies: some cases assign into their arguments."""
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]


def _sum_output(out):
    if isinstance(out, (tuple, list)):
        return sum(np.sum(o) for o in out)
    return 0.0 if out is None else np.sum(out)


AUDIT_OPTIONS = {"default": {}, "no_optimize": {"optimize": False},
                 "no_unroll": {"unroll": False}}


@pytest.mark.parametrize("options", sorted(AUDIT_OPTIONS))
@pytest.mark.parametrize("key", sorted(AUDIT))
def test_audit_valid_python(key, options):
    """Either a correct gradient or a SrcgradError, never another exception."""
    src, args = AUDIT[key]
    f = build(src, "f", extra=AUDIT_GLOBALS)
    f(*_copies(args))  # the case itself must be valid Python

    def total(*a):
        return _sum_output(f(*_copies(a)))
    expected = numeric_grad(total, list(args))
    try:
        got = srcgrad.grad(f, **AUDIT_OPTIONS[options])(*_copies(args))
    except srcgrad.SrcgradError as exc:
        assert str(exc)
        return
    assert_close(got, expected, rtol=1e-5, atol=1e-6)
    x = args[0]
    assert np.shape(got) == np.shape(x)
    if isinstance(x, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == x.dtype, (type(got), x.dtype)
    elif isinstance(x, float):
        assert isinstance(got, float), type(got)


@pytest.mark.parametrize("key", sorted(AUDIT))
def test_audit_show(key):
    """show() on the same functions: generated text that compiles, or a SrcgradError."""
    src, args = AUDIT[key]
    f = build(src, "f", extra=AUDIT_GLOBALS)
    try:
        text = srcgrad.show(f)
    except srcgrad.SrcgradError:
        return
    compile(text, "x", "exec")
