"""The disk cache (srcgrad/diskcache.py): entries written atomically as JSON, reused by
a later compile (or process) without running the passes, and ignored whenever they do
not verify: damaged, foreign, tampered with, or bound to objects that changed."""
import glob
import importlib
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad import compiler
from srcgrad.errors import SourceUnavailableError
from reference import assert_close, build, tape_grad

SRC = """
def f(x, y):
    h = np.tanh(x * y)
    return np.sum(h * h + x)
"""
X = np.array([0.3, -0.7, 1.1])
Y = np.array([1.5, 0.2, -0.4])


@pytest.fixture
def disk(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    old = srcgrad.set_disk_cache(folder)
    srcgrad.clear_cache()
    yield folder
    srcgrad.set_disk_cache(old)
    srcgrad.clear_cache()


def _counting(monkeypatch):
    real = compiler._Job.run
    runs = []

    def run(self):
        runs.append(self.fn.__name__)
        return real(self)
    monkeypatch.setattr(compiler._Job, "run", run)
    return runs


def _entries(folder):
    return sorted(glob.glob(os.path.join(folder, "*.json")))


def test_an_entry_is_reused_without_running_the_passes(disk, monkeypatch):
    f = build(SRC, "f")
    expected = tape_grad(SRC, "f", (X, Y))
    assert_close(srcgrad.grad(f)(X, Y), expected)
    (path,) = _entries(disk)
    with open(path) as fh:
        entry = json.load(fh)  # plain JSON: never a pickle
    assert entry["text"] == compiler.compile(f, compiler.Spec().with_shapes(
        ((3,), (3,)), ("<f8", "<f8"))).text
    srcgrad.clear_cache()
    runs = _counting(monkeypatch)
    assert_close(srcgrad.grad(f)(X, Y), expected)
    assert runs == []
    assert not glob.glob(os.path.join(disk, ".tmp-*"))


@pytest.mark.parametrize("damage", ["garbage", "tampered", "foreign", "empty"])
def test_a_bad_entry_is_ignored_and_rewritten(disk, monkeypatch, damage):
    f = build(SRC, "f")
    expected = tape_grad(SRC, "f", (X, Y))
    srcgrad.grad(f)(X, Y)
    (path,) = _entries(disk)
    with open(path) as fh:
        entry = json.load(fh)
    if damage == "garbage":
        text = "{not json"
    elif damage == "empty":
        text = ""
    elif damage == "tampered":  # the text changed but not its hash: never executed
        entry["text"] = entry["text"].replace("return ", "return 0 * ", 1)
        text = json.dumps(entry)
    else:  # another function's entry under this name
        other = build(SRC.replace("x * y", "x + y"), "f")
        srcgrad.grad(other)(X, Y)
        (other_path,) = [p for p in _entries(disk) if p != path]
        with open(other_path) as fh:
            text = fh.read()
    with open(path, "w") as fh:
        fh.write(text)
    srcgrad.clear_cache()
    runs = _counting(monkeypatch)
    assert_close(srcgrad.grad(f)(X, Y), expected)
    assert runs == ["f"]
    with open(path) as fh:
        assert json.load(fh)["key"] == os.path.basename(path)[:-5]  # rewritten


def test_an_entry_bound_to_other_objects_is_not_used(disk, monkeypatch):
    src = """
def f(x):
    return np.sum(act(x))
"""
    f = build(src, "f", extra={"act": np.tanh})
    srcgrad.grad(f)(X)
    srcgrad.clear_cache()
    f.__globals__["act"] = np.sin  # same source, another function behind the name
    runs = _counting(monkeypatch)
    assert_close(srcgrad.grad(f)(X), np.cos(X))
    assert runs == ["f"]


@pytest.fixture
def package(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def write(name, source):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        importlib.invalidate_caches()
        sys.modules.pop(name, None)
        names.append(name)
        return importlib.import_module(name)
    yield write
    for n in names:
        sys.modules.pop(n, None)


CALLER = """
def g(x):
    return np.sin(x) * {c}

def f(x):
    return np.sum(g(x) * x)
"""
MODULE = "import numpy as np\n" + CALLER


def test_callees_are_rebound_through_their_own_entries(disk, package, monkeypatch):
    mod = package("dc_callee_a", MODULE.format(c=2.0))
    expected = tape_grad(CALLER.format(c=2.0), "f", (X,))
    assert_close(srcgrad.grad(mod.f)(X), expected)
    assert len(_entries(disk)) == 2  # f's, and g's forward and backward sweeps
    srcgrad.clear_cache()
    runs = _counting(monkeypatch)
    assert_close(srcgrad.grad(mod.f)(X), expected)
    assert runs == []


def test_an_entry_whose_callee_changed_is_not_used(disk, package, monkeypatch):
    mod = package("dc_callee_b", MODULE.format(c=2.0))
    srcgrad.grad(mod.f)(X)
    srcgrad.clear_cache()
    # f's text and lines are the same (so is its key), g's text is not
    mod = package("dc_callee_b", MODULE.format(c=5.0))
    runs = _counting(monkeypatch)
    assert_close(srcgrad.grad(mod.f)(X), tape_grad(CALLER.format(c=5.0), "f", (X,)))
    assert sorted(runs) == ["f", "g"]


def test_a_new_process_loads_the_entry(tmp_path):
    (tmp_path / "dc_proc.py").write_text(MODULE.format(c=1.5))
    script = textwrap.dedent("""
        import sys, numpy as np, srcgrad
        from srcgrad import compiler
        import dc_proc
        runs = []
        real = compiler._Job.run
        compiler._Job.run = lambda self: (runs.append(1), real(self))[1]
        g = srcgrad.grad(dc_proc.f)(np.array([0.3, -0.7, 1.1]))
        print(len(runs), *g.tolist())
    """)
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.getcwd(),
                                           os.environ.get("PYTHONPATH", "")]))
    outs = [subprocess.run([sys.executable, "-c", script], env=env, cwd=str(tmp_path),
                           capture_output=True, text=True, check=True).stdout.split()
            for _ in range(2)]
    assert int(outs[0][0]) >= 1 and int(outs[1][0]) == 0
    expected = tape_grad(CALLER.format(c=1.5), "f", (X,))
    for out in outs:
        assert_close(np.array([float(v) for v in out[1:]]), expected)


def test_off_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SRCGRAD_CACHE_DIR", raising=False)
    from srcgrad import diskcache
    assert diskcache.directory() is None
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path))
    assert diskcache.directory() == str(tmp_path)


def test_gradients_of_gradients_are_not_mixed_up(disk, package):
    # the gradients' wrappers share api.py's source, file, line and name (f)
    import autograd
    import autograd.numpy as anp
    srcs = [SRC, SRC.replace("h * h + x", "h * x")]
    for i, s in enumerate(srcs):
        mod = package(f"dc_twice_{i}", "import numpy as np\n" + s)
        fa = build(s, "f", np_module=anp)
        expected = autograd.grad(lambda x, y: anp.sum(autograd.grad(fa)(x, y)))(X, Y)
        for _ in range(2):  # compiled, then from the disk where it may be
            srcgrad.clear_cache()
            assert_close(srcgrad.grad(srcgrad.grad(mod.f))(X, Y), expected)


def test_an_entry_for_the_edited_file_is_not_used_by_the_old_code(disk, package):
    old = package("dc_edited", MODULE.format(c=2.0))
    new = package("dc_edited", MODULE.format(c=-3.25))  # the file now says this
    assert_close(srcgrad.grad(new.f)(X), tape_grad(CALLER.format(c=-3.25), "f", (X,)))
    srcgrad.clear_cache()
    # old.f runs the first text: never the entry made from the file's new one
    with pytest.raises(SourceUnavailableError):
        srcgrad.grad(old.f)(X)
