"""The warm path (srcgrad/dispatch.py): a call whose arguments match the most recent
call's kinds runs its generated code after a few inline tests. Whatever changes between
two calls (a shape, a dtype, a class, a Python number's type, a rebound global, the
cache cleared, another thread's call) must still compile again or be refused, as the
table lookup does. Every test runs with the C check (srcgrad._speedups, when built)
and with the generated Python check."""
import threading

import numpy as np
import pytest

import srcgrad
from srcgrad import compiler, dispatch
from srcgrad.errors import ArgumentError, RuntimeRefusal, SrcgradError
from reference import assert_close, build, tape_grad

SRC = """
def f(x, y):
    return np.sum(np.tanh(x * y) * x)
"""


CHECKS = ["python"] + (["c"] if dispatch._load_speedups() is not None else [])


@pytest.fixture(autouse=True, params=CHECKS)
def check_kind(request, monkeypatch):
    """Which implementation of the warm path's check the test's entries use."""
    monkeypatch.setattr(dispatch, "_speedups",
                        [dispatch._load_speedups() if request.param == "c" else None])
    srcgrad.clear_cache()
    yield request.param
    srcgrad.clear_cache()


@pytest.fixture
def compiles(monkeypatch):
    """{function name: how many times the passes ran for it}."""
    real = compiler._Job.run
    counts = {}

    def run(self):
        counts[self.fn.__name__] = counts.get(self.fn.__name__, 0) + 1
        return real(self)
    monkeypatch.setattr(compiler._Job, "run", run)
    return counts


def _ref(args, src=SRC, name="f", wrt=0):
    return tape_grad(src, name, args, wrt=wrt)


def test_alternating_shapes_each_run_their_own_code(compiles):
    f = build(SRC, "f")
    g = srcgrad.grad(f)
    a, b = np.linspace(-1.0, 1.0, 3), np.linspace(-1.0, 1.0, 4)
    for _ in range(3):
        for x in (a, b, b.reshape(2, 2), a):
            assert_close(g(x, x + 0.5), _ref((x, x + 0.5)))
    assert compiles["f"] == 3  # once per shape


def test_a_shape_changed_in_place_is_not_the_same_kind(compiles):
    f = build(SRC, "f")
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 4)
    y = np.linspace(0.5, 2.0, 4)
    g(x, y)
    x.shape = y.shape = (2, 2)  # the same objects, reshaped
    assert_close(g(x, y), _ref((x, y)))
    assert g(x, y).shape == (2, 2)
    assert compiles["f"] == 2


def test_a_dtype_change_recompiles(compiles):
    f = build(SRC, "f")
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 3)
    g(x, x)
    x32 = x.astype(np.float32)
    out = g(x32, x32)
    assert out.dtype == np.float32
    assert_close(out, _ref((x, x)), rtol=1e-5)
    assert compiles["f"] == 2
    x.dtype = np.int64  # the same array reinterpreted: another dtype, refused as ints
    with pytest.raises(ArgumentError):
        g(x, x)
    with pytest.raises(ArgumentError):
        srcgrad.grad(build(SRC, "f"))(x, x)  # as a fresh gradient refuses it


def test_a_subclass_after_warm_calls_is_still_refused():
    f = build(SRC, "f")
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 3)
    g(x, x)
    g(x, x)

    class Sub(np.ndarray):
        pass
    with pytest.raises(ArgumentError):
        g(x.view(Sub), x)
    with pytest.raises(ArgumentError):
        g(x, x.view(Sub))
    assert_close(g(x, x), _ref((x, x)))  # and the warm path still works after


def test_python_numbers_of_other_types_are_other_kinds(compiles):
    src = """
def h(x, n):
    return x * x * n
"""
    f = build(src, "h")
    g = srcgrad.grad(f)
    assert_close(g(1.5, 2.0), _ref((1.5, 2.0), src, "h"))
    assert_close(g(1.5, 2.0), _ref((1.5, 2.0), src, "h"))
    assert_close(g(1.5, 3), _ref((1.5, 3), src, "h"))
    assert type(g(np.float32(1.5), 3)) is type(srcgrad.grad(build(src, "h"))(np.float32(1.5), 3))
    with pytest.raises(ArgumentError):  # an int is not differentiable, warm or not
        g(2, 3)
    assert compiles["h"] >= 3


def test_numpy_scalars_of_other_dtypes_are_other_kinds():
    src = """
def s(x):
    return np.sin(x) * x
"""
    f = build(src, "s")
    g = srcgrad.grad(f)
    for x in (np.float64(0.3), np.float64(0.4), np.float32(0.3), np.float64(0.3),
              np.array(0.3), 0.3):
        got = g(x)
        want = srcgrad.grad(build(src, "s"))(x)  # a fresh gradient: the table's answer
        assert type(got) is type(want) and np.asarray(got).dtype == np.asarray(want).dtype
        assert_close(got, _ref((float(x),), src, "s"))


def test_a_rebound_global_between_warm_calls_recompiles():
    src = """
def k(x):
    return np.sum(act(x) * SCALE)
"""
    f = build(src, "k", extra={"act": np.tanh, "SCALE": 2.0})
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 3)
    for _ in range(2):
        assert_close(g(x), 2.0 * (1.0 - np.tanh(x) ** 2))
    f.__globals__["act"] = np.sin
    assert_close(g(x), 2.0 * np.cos(x))
    f.__globals__["SCALE"] = 3.0
    assert_close(g(x), 3.0 * np.cos(x))
    del f.__globals__["act"]
    with pytest.raises(SrcgradError):  # compiled again: `act` names nothing now
        g(x)


def test_a_replaced_code_object_between_warm_calls_recompiles():
    f = build(SRC, "f")
    other = build("""
def f(x, y):
    return np.sum(np.sin(x) * y)
""", "f")
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 3)
    g(x, x)
    g(x, x)
    f.__code__ = other.__code__
    assert_close(g(x, x), np.cos(x) * x)


def test_clear_cache_between_warm_calls_recompiles(compiles):
    f = build(SRC, "f")
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 3)
    g(x, x)
    g(x, x)
    srcgrad.clear_cache()
    assert_close(g(x, x), _ref((x, x)))
    assert compiles["f"] == 2


def test_lists_are_checked_on_every_call():
    src = """
def m(xs):
    return np.sum(xs[0] * xs[1])
"""
    f = build(src, "m")
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 3)
    g([x, x])
    g([x, x])
    with pytest.raises(ArgumentError):
        g([x, "not a number"])


def test_functions_with_defaults_or_varargs_take_the_generic_warm_path(compiles):
    plain = """
def w(x, y=2.0):
    return np.sum(x * x * y)
"""
    f = build(plain, "w")
    g = srcgrad.grad(f)
    assert dispatch.arity(g.__signature__) is None
    x = np.linspace(-1.0, 1.0, 3)
    for _ in range(2):
        assert_close(g(x), 4.0 * x)
        assert_close(g(x, 3.0), 6.0 * x)
        assert_close(g(x, y=5.0), 10.0 * x)
    assert compiles["w"] <= 3


def test_a_runtime_refusal_on_the_warm_path_names_the_users_line():
    src = """
def r(z):
    w = z * 2.0
    m = np.maximum(w, 0.5)
    return np.sum(np.abs(m))
"""
    f = build(src, "r", filename="<dispatch-refusal>")
    g = srcgrad.grad(f)
    z = np.array([1.0 + 2.0j, -0.5 + 0.1j])
    for _ in range(2):  # the first call compiles, the second takes the warm path
        with pytest.raises(RuntimeRefusal) as info:
            g(z)
        assert info.value.filename == "<dispatch-refusal>" and info.value.lineno == 4


def test_threads_calling_with_different_shapes_never_get_another_shapes_code():
    f = build(SRC, "f")
    g = srcgrad.grad(f)
    inputs = [np.linspace(-1.0, 1.0, n) for n in (2, 3, 4, 5)]
    expected = [_ref((x, x)) for x in inputs]
    for x in inputs:
        g(x, x)
    errors = []

    def work(k):
        try:
            for i in range(400):
                j = (i + k) % len(inputs)
                got = g(inputs[j], inputs[j])
                if got.shape != inputs[j].shape or not np.allclose(got, expected[j]):
                    errors.append((k, i))
        except Exception as exc:  # pragma: no cover (reported below)
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_an_entry_is_made_only_for_kinds_its_tests_describe():
    guards = ([], [], [0], 0)
    x = np.ones(2)
    assert dispatch.entry([x, 1.0, np.float32(2.0), True], guards, None) is not None
    assert dispatch.entry([x, [x]], guards, None) is None
    assert dispatch.entry([x, "text"], guards, None) is None
    check, _, n = dispatch.entry([x, 1.0], guards, None)
    assert n == 2 and check(np.zeros(2), 2.0)
    assert not check(np.zeros(3), 2.0)  # shape
    assert not check(np.zeros(2, np.float32), 2.0)  # dtype
    assert not check(np.zeros(2).view(np.matrix), 2.0)  # class
    assert not check(np.zeros(2), 2)  # a Python number's type
    assert not check(np.zeros(2), True)
