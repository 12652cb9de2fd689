"""`import srcgrad` is cheap: it loads the API, the errors and the rule registry, and
leaves the compiler (pipeline, transforms, codegen), gast, astor and hashlib to the
first compile. Checked in a new process, where nothing was imported before."""
import json
import os
import subprocess
import sys

import numpy as np

import srcgrad
from reference import assert_close, build, tape_grad

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SRC = """
def f(x, y):
    h = np.tanh(x * y) + np.sin(x)
    return np.sum(h * h) + np.max(y)
"""

# Modules that must wait for the first compile (prefixes).
HEAVY = ("srcgrad.pipeline", "srcgrad.codegen", "srcgrad.transforms", "srcgrad.source",
         "srcgrad.resolve", "srcgrad.naming", "srcgrad.treewalk", "srcgrad.rules.language",
         "gast", "astor", "hashlib", "numpy.random")

_CHILD = """
import json, linecache, sys
import numpy as np
before = set(sys.modules)
import srcgrad
src = {src!r}
linecache.cache["<import-test>"] = (len(src), None, src.splitlines(True), "<import-test>")
ns = {{"np": np}}
exec(compile(src, "<import-test>", "exec"), ns)
g = srcgrad.grad(ns["f"], wrt=(0, 1))  # decorating compiles nothing either
loaded = sorted(m for m in set(sys.modules) - before)
x, y = np.linspace(-1.0, 1.0, 4), np.linspace(0.5, 2.0, 4)
gx, gy = g(x, y)
after = sorted(m for m in set(sys.modules) - before)
print(json.dumps({{"loaded": loaded, "after": after, "grad": [gx.tolist(), gy.tolist()]}}))
"""


def _child():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("SRCGRAD_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", _CHILD.format(src=SRC)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _heavy(modules):
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


def test_import_and_decoration_load_no_compiler_and_the_first_gradient_is_right():
    child = _child()
    assert _heavy(child["loaded"]) == [], "import srcgrad / grad(f) loaded the compiler"
    assert "srcgrad.rules.registry" in child["loaded"]  # the built-in rules are there
    assert "srcgrad.pipeline" in child["after"]  # the first call compiled
    x, y = np.linspace(-1.0, 1.0, 4), np.linspace(0.5, 2.0, 4)
    expected = tape_grad(SRC, "f", (x, y), wrt=(0, 1))
    for got, want in zip(child["grad"], expected):
        assert_close(np.array(got), want)
    here = srcgrad.grad(build(SRC, "f"), wrt=(0, 1))(x, y)  # the same as in this process
    for got, same in zip(child["grad"], here):
        assert np.array_equal(np.array(got), same)
