"""srcgrad._speedups.Checker, the warm path's check in C, must answer exactly what the
generated Python check (dispatch._python_check) answers, for every argument kind and
guard; it must not keep objects alive (it takes part in cyclic GC); and srcgrad must
work the same when the module is missing, is told off, or reads arrays wrongly."""
import gc
import os
import subprocess
import sys
import weakref

import numpy as np
import pytest

import srcgrad
from srcgrad import dispatch
from srcgrad.guards import MISSING
from reference import assert_close, build, tape_grad

C = dispatch._load_speedups()
needs_c = pytest.mark.skipif(C is None, reason="srcgrad._speedups is not built here")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _values():
    """Arguments of many kinds: arrays of several shapes, dtypes, layouts and
    subclasses, NumPy scalars, Python numbers, other objects."""
    base = np.arange(12.0).reshape(3, 4)
    return [np.ones(3), np.ones(4), np.ones((3, 1)), np.ones((1, 3)), np.ones(()),
            np.zeros(0), np.zeros((0, 3)), np.ones(3, np.float32), np.ones(3, np.int64),
            np.ones(3, np.complex128), base, base.T, base[:, ::2], np.asfortranarray(base),
            np.ones((2, 3, 4, 5)), np.ma.masked_array(np.ones(3)),
            np.matrix(np.ones((1, 3))), np.float64(1.0), np.float32(1.0), np.int64(2),
            np.bool_(True), np.datetime64("2020-01-01"), np.datetime64("2020-01-01T00"),
            1.0, 2, True, 1j, "s", None, [1.0], (1.0,)]


def _spec(a):
    t = type(a)
    if t is np.ndarray:
        return (t, a.dtype, a.shape)
    if t in (float, int, bool, complex):
        return (t, None, None)
    if isinstance(a, np.generic):
        return (t, a.dtype, None)
    return None


def _pair(specs, guards):
    dicts, attrs, counter, generation = guards
    c = C.Checker(tuple(specs), tuple(dicts), tuple(attrs), MISSING, counter, generation,
                  np.ndarray)
    return c, dispatch._python_check(specs, guards)


def _no_guards():
    return ((), (), [0], 0)


@needs_c
@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_the_c_check_answers_as_the_python_check_for_every_pair_of_kinds():
    values = _values()
    specs = [s for s in map(_spec, values) if s is not None]
    rng = np.random.default_rng(0)
    for _ in range(400):
        k = int(rng.integers(0, 4))
        chosen = [specs[int(i)] for i in rng.integers(0, len(specs), k)]
        c, py = _pair(chosen, _no_guards())
        for _ in range(6):
            call = [values[int(i)] for i in rng.integers(0, len(values), k)]
            assert c(*call) is py(*call), (chosen, call)
        # the arguments the specs were made of pass both (but a datetime64 scalar,
        # whose .dtype is a new object on each access, passes neither: slow path)
        same = [next(v for v in values if _spec(v) == s) for s in chosen]
        stable = all(not isinstance(v, np.datetime64) for v in same)
        assert c(*same) is py(*same) is stable


@needs_c
def test_the_c_check_sees_an_array_reshaped_or_retyped_in_place():
    a = np.ones(6)
    c, py = _pair([_spec(a)], _no_guards())
    assert c(a) and py(a)
    a.shape = (2, 3)
    assert not c(a) and not py(a)
    a.shape = (6,)
    assert c(a)
    a.dtype = np.int64  # same itemsize: a view of the same bytes
    assert not c(a) and not py(a)


@needs_c
def test_the_c_check_tests_every_guard():
    ns = {"np": np, "k": 1.0}

    def f():
        return 0
    counter = [3]
    guards = (((ns, "np", np), (ns, "absent", MISSING)),
              ((f, "__code__", f.__code__), (np, "sum", np.sum)), counter, 3)
    c, py = _pair([], guards)
    assert c() is py() is True
    for change, undo in [
            (lambda: ns.__setitem__("np", None), lambda: ns.__setitem__("np", np)),
            (lambda: ns.pop("np"), lambda: ns.__setitem__("np", np)),
            (lambda: ns.__setitem__("absent", 1), lambda: ns.pop("absent")),
            (lambda: setattr(f, "__code__", (lambda: 1).__code__),
             lambda: setattr(f, "__code__", c_code)),
            (lambda: counter.__setitem__(0, 4), lambda: counter.__setitem__(0, 3))]:
        c_code = f.__code__
        change()
        assert c() is py() is False
        undo()
        assert c() is py() is True


@needs_c
def test_the_c_check_answers_false_to_keywords_and_other_arities():
    a = np.ones(3)
    c, _ = _pair([_spec(a)], _no_guards())
    assert c(a) is True
    assert c() is False and c(a, a) is False and c(a=a) is False


@needs_c
def test_the_c_check_refuses_bad_specs():
    with pytest.raises(TypeError):
        C.Checker(((list, None, (3,)),), (), (), MISSING, [0], 0, np.ndarray)
    with pytest.raises(TypeError):
        C.Checker(((np.ndarray, np.dtype(float), (3,)),), (({}, "k"),), (), MISSING, [0],
                  0, np.ndarray)
    with pytest.raises(TypeError):
        C.Checker((), (), ((np, 3, np),), MISSING, [0], 0, np.ndarray)


@needs_c
def test_a_checker_in_a_reference_cycle_is_collected():
    class Holder:
        pass
    h = Holder()
    ns = {"h": h}
    h.checker = C.Checker((), ((ns, "h", h),), (), MISSING, [0], 0, np.ndarray)
    ref = weakref.ref(h)
    del h, ns
    gc.collect()
    assert ref() is None


SRC = """
def f(x, y):
    return np.sum(np.tanh(x * y) * x + y)
"""


@pytest.mark.parametrize("check", ["python", "c"])
def test_gradients_are_the_same_with_either_check(check, monkeypatch):
    if check == "c" and C is None:
        pytest.skip("srcgrad._speedups is not built here")
    monkeypatch.setattr(dispatch, "_speedups", [C if check == "c" else None])
    srcgrad.clear_cache()
    f = build(SRC, "f")
    g = srcgrad.grad(f)
    for x in (np.linspace(-1, 1, 3), np.linspace(-1, 1, 4), np.float64(0.3), 0.7):
        for _ in range(3):
            assert_close(g(x, x + 0.5), tape_grad(SRC, "f", (x, x + 0.5)))
    srcgrad.clear_cache()


def test_a_module_that_reads_arrays_wrongly_is_not_used(monkeypatch):
    class Wrong:
        @staticmethod
        def read_array(a, ndarray):
            return (a.ndim, a.shape[::-1], a.dtype)
    monkeypatch.setitem(sys.modules, "srcgrad._speedups", Wrong)
    monkeypatch.setattr(srcgrad, "_speedups", Wrong, raising=False)
    assert dispatch._load_speedups() is None


def test_srcgrad_pure_python_turns_the_c_check_off():
    code = ("import srcgrad.dispatch as d, sys; "
            "sys.stdout.write(repr(d.speedups() is None))")
    env = dict(os.environ, SRCGRAD_PURE_PYTHON="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "True"


@needs_c
def test_the_c_check_reads_function_and_cell_guards_as_python_does():
    """Function and cell attributes are read from the objects directly in C: the
    answers must stay Python's when defaults appear or go, or a cell changes or
    empties."""
    def make():
        k = 1.0

        def f(x):
            return x * k
        return f
    f = make()
    cell = f.__closure__[0]
    k = cell.cell_contents  # the very object (guards test identity)
    counter = [0]
    guards = ((), ((f, "__code__", f.__code__), (f, "__defaults__", f.__defaults__),
                   (f, "__kwdefaults__", f.__kwdefaults__),
                   (cell, "cell_contents", cell.cell_contents)), counter, 0)
    c, py = _pair([], guards)
    assert c() is py() is True
    for change, undo in [
            (lambda: setattr(f, "__defaults__", (2.0,)),
             lambda: setattr(f, "__defaults__", None)),
            (lambda: setattr(f, "__kwdefaults__", {"y": 1}),
             lambda: setattr(f, "__kwdefaults__", None)),
            (lambda: setattr(cell, "cell_contents", 2.0),
             lambda: setattr(cell, "cell_contents", k)),
            (lambda: delattr(cell, "cell_contents"),
             lambda: setattr(cell, "cell_contents", k))]:
        change()
        assert c() is py() is False
        undo()
        assert c() is py() is True
