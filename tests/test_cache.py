"""The compile cache at scale: what it keeps alive, how much it keeps, what it shares,
and how threads meet in it (srcgrad/cache.py, api.py's wrappers, codegen's units)."""
import gc
import linecache
import threading
import weakref

import numpy as np
import pytest

import srcgrad
from srcgrad import cache, codegen, compiler
from srcgrad.errors import ArgumentError, UnsupportedSyntaxError
from reference import assert_close, build, tape_grad

CELL = """
def cell(x):
    h = np.tanh(x * {k}.0)
    return np.sum(h * h)
"""


def _generated_files():
    return {f for f in linecache.cache if f.startswith("<srcgrad ")}


def _use_all_ways(f, x):
    """Differentiate `f` through every entry point that caches something."""
    srcgrad.grad(f)(x)
    srcgrad.grad(f)(float(x[0]))
    srcgrad.value_and_grad(f)(x)
    srcgrad.grad(srcgrad.grad(f))(float(x[0]))  # a gradient differentiated again
    _, pullback = srcgrad.vjp(f, x)
    pullback(1.0)
    srcgrad.show(f, args=(x,))


@pytest.mark.parametrize("clear", [False, True])
def test_redefined_functions_are_freed_with_their_code(clear):
    x = np.linspace(-1.0, 1.0, 4)
    gc.collect()
    files_before = _generated_files()
    refs = []
    for k in range(5):
        f = build(CELL.format(k=k + 1), "cell")
        _use_all_ways(f, x)
        refs.append(weakref.ref(f))
        g = srcgrad.grad(f)
        refs.append(weakref.ref(g))
        del f, g
    if clear:
        srcgrad.clear_cache()
    gc.collect()
    assert [r() for r in refs] == [None] * len(refs)
    assert _generated_files() <= files_before  # their generated code's entries went too


def test_a_function_held_keeps_its_cache_until_it_goes():
    x = np.linspace(-1.0, 1.0, 4)
    f = build(CELL.format(k=2), "cell")
    g = srcgrad.grad(f)
    assert_close(g(x), tape_grad(CELL.format(k=2), "cell", (x,)))
    art = compiler.compile(f, compiler.Spec().with_shapes(((4,),), ("<f8",)))
    filename = art.main.__code__.co_filename
    gc.collect()
    assert filename in linecache.cache  # alive: tracebacks and pdb show its lines
    assert srcgrad.grad(f) is g
    del f, g, art
    gc.collect()
    assert filename not in linecache.cache


def test_a_wrapper_made_by_functools_wraps_does_not_share_the_cache():
    import functools
    f = build(CELL.format(k=3), "cell")
    x = np.linspace(-1.0, 1.0, 3)
    srcgrad.grad(f)(x)
    w = build("""
def outer(x):
    return np.sum(np.sin(x))
""", "outer")
    w = functools.wraps(f)(w)  # copies f's __dict__, caches included
    assert srcgrad.grad(w) is not srcgrad.grad(f)
    assert_close(srcgrad.grad(w)(x), np.cos(x))


def test_specializations_per_function_are_bounded_least_recently_used_first(
        monkeypatch):
    old = srcgrad.set_cache_limit(3)
    try:
        f = build(CELL.format(k=4), "cell")
        g = srcgrad.grad(f)
        for n in (1, 2, 3):
            g(np.ones(n))
        g(np.ones(1))  # now 2 is the least recently used
        g(np.ones(4))
        assert len(f.__dict__[cache._ATTR]) <= 3
        counts = _blocking_job(monkeypatch, None, None, None)
        for n in (1, 3, 4):
            g(np.ones(n))
        assert counts == {}
        g(np.ones(2))  # dropped: compiled again
        assert counts == {f: 1}
        for n in range(5, 12):
            x = np.linspace(0.1, 0.9, n)
            assert_close(g(x), tape_grad(CELL.format(k=4), "cell", (x,)))
        assert len(f.__dict__[cache._ATTR]) <= 3
    finally:
        srcgrad.set_cache_limit(old)


@pytest.mark.parametrize("bad", [0, -1, 2.0, "8", True])
def test_the_cache_limit_is_a_positive_int(bad):
    with pytest.raises(ArgumentError):
        srcgrad.set_cache_limit(bad)


def test_the_same_generated_text_reuses_the_compiled_code():
    src = """
def rnn(h, xs):
    for x in xs:
        h = np.tanh(h * 0.5 + x)
    return np.sum(h)
"""
    f = build(src, "rnn")
    h = np.linspace(-0.5, 0.5, 3)
    arts = []
    for t in (5, 6):
        xs = np.linspace(-1.0, 1.0, 3 * t).reshape(t, 3)
        assert_close(srcgrad.grad(f)(h, xs), tape_grad(src, "rnn", (h, xs)))
        arts.append(compiler.compile(f, compiler.Spec().with_shapes(
            ((3,), (t, 3)), ("<f8", "<f8"))))
    assert arts[0] is not arts[1]
    assert arts[0].text == arts[1].text
    assert arts[0].main.__code__ is arts[1].main.__code__


def test_different_text_is_compiled_on_its_own():
    f1 = build(CELL.format(k=5), "cell")
    f2 = build(CELL.format(k=6), "cell")
    a1 = compiler.compile(f1, compiler.Spec())
    a2 = compiler.compile(f2, compiler.Spec())
    assert a1.text != a2.text
    assert a1.main.__code__ is not a2.main.__code__
    assert a1.main.__code__.co_filename != a2.main.__code__.co_filename


def _blocking_job(monkeypatch, blocked_fn, release, entered):
    """Make compiling `blocked_fn` wait for `release`; count the compiles per function."""
    real = compiler._Job.run
    counts = {}

    def run(self):
        counts[self.fn] = counts.get(self.fn, 0) + 1
        if self.fn is blocked_fn:
            entered.set()
            assert release.wait(30)
        return real(self)
    monkeypatch.setattr(compiler._Job, "run", run)
    return counts


def test_different_functions_compile_in_parallel(monkeypatch):
    big = build(CELL.format(k=7), "cell")
    small = build(CELL.format(k=8), "cell")
    release, entered = threading.Event(), threading.Event()
    counts = _blocking_job(monkeypatch, big, release, entered)
    x = np.linspace(-1.0, 1.0, 3)
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("big", srcgrad.grad(big)(x)))
    t.start()
    assert entered.wait(30)
    # while `big` is still compiling in the other thread, `small` compiles here
    assert_close(srcgrad.grad(small)(x), tape_grad(CELL.format(k=8), "cell", (x,)))
    assert "big" not in out
    release.set()
    t.join(30)
    assert_close(out["big"], tape_grad(CELL.format(k=7), "cell", (x,)))
    assert counts[small] == counts[big] == 1


def test_the_same_function_compiles_once(monkeypatch):
    f = build(CELL.format(k=9), "cell")
    release, entered = threading.Event(), threading.Event()
    counts = _blocking_job(monkeypatch, f, release, entered)
    x = np.linspace(-1.0, 1.0, 3)
    results = []
    threads = [threading.Thread(target=lambda: results.append(srcgrad.grad(f)(x)))
               for _ in range(4)]
    for t in threads:
        t.start()
    assert entered.wait(30)
    release.set()
    for t in threads:
        t.join(30)
    assert counts[f] == 1 and len(results) == 4
    for r in results:
        assert_close(r, tape_grad(CELL.format(k=9), "cell", (x,)))


def test_recursion_is_refused_in_each_thread():
    src = """
def fact(x, n):
    if n <= 1:
        return x
    return x * fact(x, n - 1)
"""
    errors = []

    def work():
        f = build(src, "fact")
        try:
            srcgrad.grad(f)(1.5, 3)
        except UnsupportedSyntaxError as exc:
            errors.append(exc)
    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(errors) == 3 and all("recursive" in str(e) for e in errors)


def test_units_are_dropped_when_unused():
    f = build(CELL.format(k=10), "cell")
    art = compiler.compile(f, compiler.Spec())
    unit = art.main.__srcgrad_unit__
    assert isinstance(unit, codegen._Unit)
    ref = weakref.ref(unit)
    del unit, art
    srcgrad.clear_cache()
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("src", [
    "def long(x):\n    return " + " + ".join(f"x * {i % 7}.5" for i in range(1000)) + "\n",
    "def long(x):\n    return " + "np.sin(" * 150 + "x" + ")" * 150 + "\n",
], ids=["1000-term sum", "150-deep call"])
def test_deep_and_long_expressions_compile(src):
    import sys
    limit = sys.getrecursionlimit()
    f = build(src, "long")
    x = 0.3
    assert_close(srcgrad.grad(f)(x), tape_grad(src, "long", (x,)))
    assert sys.getrecursionlimit() == limit  # raised only while compiling


def test_pickling_a_functions_dict_leaves_the_cache_out():
    import pickle
    f = build(CELL.format(k=11), "cell")
    x = np.linspace(-1.0, 1.0, 3)
    srcgrad.grad(f)(x)
    state = pickle.loads(pickle.dumps(dict(f.__dict__)))  # what cloudpickle stores
    g = build(CELL.format(k=11), "cell")
    g.__dict__.update(state)
    assert_close(srcgrad.grad(g)(x), tape_grad(CELL.format(k=11), "cell", (x,)))


def test_clear_cache_frees_the_artifacts_of_live_gradients():
    f = build(CELL.format(k=12), "cell")
    g = srcgrad.grad(f)
    x = np.linspace(-1.0, 1.0, 3)
    g(x)
    ref = weakref.ref(compiler.compile(f, compiler.Spec().with_shapes(((3,),), ("<f8",))))
    gc.collect()
    assert ref() is not None
    srcgrad.clear_cache()
    gc.collect()
    assert ref() is None
    assert_close(g(x), tape_grad(CELL.format(k=12), "cell", (x,)))
