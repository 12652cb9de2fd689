"""`srcgrad.show`: snapshots of the generated adjoints, and properties of that text.

The snapshot functions are built from source strings registered in linecache under
fixed pseudo file names, so the header line of the generated text (which names the
file) is stable. Set SRCGRAD_UPDATE_SNAPSHOTS=1 to rewrite tests/snapshots/*.txt.
"""
import ast
import linecache
import os
import re
import sys
import textwrap
import traceback
from pathlib import Path

import numpy as np
import pytest

import srcgrad
from srcgrad import compiler
from reference import CHAPTER, assert_close, build, check, numeric_grad, tape_grad

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SRCGRAD_UPDATE_SNAPSHOTS") == "1"


def build_fixed(src, name, key, extra=None):
    """Like reference.build, but under the stable file name `<snapshot:KEY>`."""
    return build(src, name, extra=extra, filename=f"<snapshot:{key}>")


STRAIGHT = """
def f(x, y):
    a = np.sin(x) * y
    b = a + x ** 2
    c = np.exp(-b) / 2.0
    return np.sum(c * y)
"""

# name -> (source, function name, show() options, arguments for a sanity run)
CASES = {
    "straight": (STRAIGHT, "f", {}, (np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0]))),
    "straight_specialized": (STRAIGHT, "f", {"args": (np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0]))},
        (np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0]))),
    "if_else": ("""
def f(x):
    y = x * 3.0
    if np.sum(y) > 0:
        z = np.sin(y)
    else:
        z = y * y
    return np.sum(z)
""", "f", {}, (np.array([0.5, -0.2, 0.4]),)),
    "while": (CHAPTER, "f", {}, (np.array([1.0, 2.0, 3.0]),)),
    "for_range_loop": ("""
def f(x):
    for i in range(3):
        x = x * np.cos(x)
    return np.sum(x)
""", "f", {"unroll": False}, (np.array([0.1, 0.2, 0.3]),)),
    "for_range_unrolled": ("""
def f(x):
    for i in range(3):
        x = x * np.cos(x)
    return np.sum(x)
""", "f", {"unroll": True}, (np.array([0.1, 0.2, 0.3]),)),
    "user_helper": ("""
def scale(u, v):
    return u * np.exp(v)

def f(x):
    y = scale(x, 2.0 * x)
    return np.sum(y)
""", "f", {}, (np.array([0.1, 0.2, 0.3]),)),
    "subscript_loop": ("""
def f(x):
    out = np.zeros(3)
    for i in range(len(x)):
        out[i % 3] = out[i % 3] + x[i] ** 2
    return out
""", "f", {}, (np.arange(5.0),)),
}


def make(key):
    src, fname, opts, args = CASES[key]
    return build_fixed(src, fname, key), opts, args


@pytest.mark.parametrize("key", sorted(CASES))
def test_snapshot(key):
    f, opts, args = make(key)
    text = srcgrad.show(f, **opts)
    path = SNAPSHOTS / f"{key}.txt"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"missing snapshot {path}; run with SRCGRAD_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text()


@pytest.mark.parametrize("key", sorted(CASES))
def test_snapshot_gradients_are_right(key):
    """The snapshots are of code that computes the right thing."""
    src, fname, opts, args = CASES[key]
    if key == "subscript_loop":  # autograd cannot assign into arrays
        f = build_fixed(src, fname, key)
        assert_close(srcgrad.grad(f, **opts)(*args), numeric_grad(f, list(args)),
                     rtol=1e-5)
    else:
        check(src, fname, list(args), unroll=opts.get("unroll", "auto"))


@pytest.mark.parametrize("key", sorted(CASES))
@pytest.mark.parametrize("optimize", [True, False])
def test_show_text_compiles(key, optimize):
    f, opts, _ = make(key)
    text = srcgrad.show(f, optimize=optimize, **opts)
    compile(text, "x", "exec")


def test_show_is_deterministic():
    for key in CASES:
        f1, opts, _ = make(key)
        f2, _, _ = make(key)
        assert srcgrad.show(f1, **opts) == srcgrad.show(f2, **opts)


# --- every differentiated statement is commented with its source line ---------------

@pytest.mark.parametrize("key", ["straight", "if_else", "while", "for_range_loop",
                                 "user_helper", "subscript_loop"])
def test_grad_of_comments(key):
    src, fname, opts, _ = CASES[key]
    f, _, _ = make(key)
    text = srcgrad.show(f, **opts)
    comments = {line.strip() for line in text.splitlines()
                if line.strip().startswith("# grad of: ")}
    body = textwrap.dedent(src).split(f"def {fname}(", 1)[1].splitlines()[1:]
    for line in body:
        line = line.strip()
        if not line or line == "else:" or line.startswith("out = np.zeros") or \
                re.fullmatch(r"return \w+", line):
            continue  # no adjoint statements: `else:`, np.zeros(3), `return name`
        assert f"# grad of: {line}" in comments, (line, text)


# --- generated names never collide with the user's -----------------------------------

COLLIDE = """
def helper(d_u, saved):
    dresult = d_u * saved
    return dresult

def f(x, dx, t, n, stack, seed, cast_like, np_1):
    cond = x * dx
    it = 0
    steps = cond
    while np.sum(steps) < 10.0 and it < 50:
        steps = steps * 1.5 + t
        it = it + 1
    unbroadcast = steps
    for sum_grad in range(n):
        unbroadcast = np.sin(unbroadcast) * stack
    x_old = helper(unbroadcast, seed) + cast_like
    if np.sum(x_old) > 0:
        result = x_old * np_1
    else:
        result = -x_old
    out = result
    zeros_like = out[0] * out[1]
    return np.sum(out) + zeros_like
"""


@pytest.mark.parametrize("unroll", ["auto", True, False])
def test_user_names_do_not_collide(unroll):
    x = np.array([0.3, 0.5, 0.7])
    args = [x, np.array([1.1, 0.9, 1.3]), np.array([0.2, 0.1, 0.3]), 3,
            np.array([0.5, 1.5, 1.0]), np.array([2.0, 1.0, 0.5]), 0.25, 1.7]
    for wrt in (0, 1, 2, 4, 5, 6, 7, (0, 1, 2, 4, 5, 6, 7)):
        check(COLLIDE, "f", args, wrt=wrt, unroll=unroll)


def test_user_names_do_not_collide_in_show():
    f = build_fixed(COLLIDE, "f", "collide")
    text = srcgrad.show(f, wrt=(0, 1))
    compile(text, "x", "exec")
    tree = ast.parse(text)
    grad_def = next(n for n in ast.walk(tree)
                    if isinstance(n, ast.FunctionDef) and n.name.startswith("grad_"))
    params = [a.arg for a in grad_def.args.args]
    assert params == ["x", "dx", "t", "n", "stack", "seed", "cast_like", "np_1"]


# --- no dead stores --------------------------------------------------------------------

def _inner_functions(text):
    tree = ast.parse(text)
    for factory in tree.body:
        if isinstance(factory, ast.FunctionDef):
            for node in factory.body:
                if isinstance(node, ast.FunctionDef):
                    yield node


def _for_targets(fn):
    out = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.For):
            out |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return out


@pytest.mark.parametrize("key", sorted(CASES))
def test_no_unread_names(key):
    """Every name the generated code assigns is read somewhere in that function."""
    f, opts, _ = make(key)
    text = srcgrad.show(f, **opts)
    for fn in _inner_functions(text):
        stored, loaded = set(), set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Name):
                (stored if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        unread = stored - loaded - _for_targets(fn)
        assert not unread, (fn.name, sorted(unread), text)


def _uses(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)} if node is not None else set()


class _Liveness:
    """Backward liveness over structured code; `dead` collects stores never read."""

    def __init__(self):
        self.dead = {}  # id(stmt) -> (name, statement text)

    def block(self, stmts, live):
        for s in reversed(stmts):
            live = self.stmt(s, live)
        return live

    def stmt(self, s, live):
        if isinstance(s, ast.Assign):
            defs, uses = set(), _uses(s.value)
            for target in s.targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                        defs.add(n.id)
                    elif isinstance(n, ast.Name):
                        uses.add(n.id)   # base and index of a subscript store
            unread = sorted(d for d in defs if d not in live)
            # a tuple target may bind names only to reach the others
            if unread and not isinstance(s.targets[0], ast.Tuple):
                self.dead[id(s)] = (unread, ast.unparse(s))
            else:
                self.dead.pop(id(s), None)
            return (live - defs) | uses
        if isinstance(s, ast.Return):
            return _uses(s.value)
        if isinstance(s, ast.If):
            return _uses(s.test) | self.block(s.body, live) | self.block(s.orelse, live)
        if isinstance(s, (ast.For, ast.While)):
            head = set(live)
            while True:
                body_in = self.block(s.body, head)
                if isinstance(s, ast.For):
                    body_in = body_in - {n.id for n in ast.walk(s.target)
                                         if isinstance(n, ast.Name)}
                new = head | body_in | (_uses(s.test) if isinstance(s, ast.While) else set())
                if new == head:
                    break
                head = new
            return head | (_uses(s.iter) if isinstance(s, ast.For) else set())
        if isinstance(s, (ast.Break, ast.Continue)):
            return live  # conservative: generated code has none
        return live | _uses(s)


@pytest.mark.parametrize("key", sorted(CASES))
def test_no_dead_stores(key):
    """Every store in the generated code is read later on some path (liveness)."""
    f, opts, _ = make(key)
    text = srcgrad.show(f, **opts)
    for fn in _inner_functions(text):
        lv = _Liveness()
        lv.block(fn.body, set())
        assert not lv.dead, (fn.name, sorted(lv.dead.values()), text)


# --- show() is the code that runs ----------------------------------------------------

def running_sources(g, *args):
    """Call g(*args) and return the linecache text of every generated function it ran."""
    files = []

    def hook(frame, event, arg):
        name = frame.f_code.co_filename
        if event == "call" and name.startswith("<srcgrad ") and name not in files:
            files.append(name)
    sys.setprofile(hook)
    try:
        g(*args)
    finally:
        sys.setprofile(None)
    return ["".join(linecache.getlines(name)) for name in files]


def test_show_equals_source_of_running_function():
    f, opts, args = make("straight")
    # the code grad(f) runs for these arguments is what show(f, args=...) prints
    ran = running_sources(srcgrad.grad(f), *args)
    assert ran == [srcgrad.show(f, args=args)]
    # without arguments, show() prints the generic code, kept on the function object
    text = srcgrad.show(f)
    main = compiler.compile(f, compiler.Spec()).functions["main"]
    assert main.__srcgrad_source__ == text
    assert srcgrad.grad(f).__srcgrad_wrapped__() is main
    assert "".join(linecache.getlines(main.__code__.co_filename)) == text
    assert_close(srcgrad.grad(f)(*args), main(*args))


def test_show_with_callee_contains_every_running_function():
    f, opts, args = make("user_helper")
    text = srcgrad.show(f, args=args)
    ran = running_sources(srcgrad.grad(f), *args)
    assert len(ran) == 2  # f's adjoint and the callee's fwd/bwd module
    assert all(r in text for r in ran)
    assert sum(map(len, ran)) + len("\n\n") == len(text)
    art = compiler.compile(f, compiler.Spec())
    main = art.functions["main"]
    assert srcgrad.show(f).startswith(main.__srcgrad_source__)
    for dep in art.deps:
        for fn in dep.functions.values():
            assert fn.__srcgrad_source__ in srcgrad.show(f)


@pytest.mark.parametrize("mode", ["value_and_grad", "vjp"])
def test_other_modes_register_their_source(mode):
    f, _, _ = make("straight")
    art = compiler.compile(f, compiler.Spec(mode=mode))
    for fn in art.functions.values():
        assert "".join(linecache.getlines(fn.__code__.co_filename)) == fn.__srcgrad_source__
        compile(fn.__srcgrad_source__, "x", "exec")


def test_traceback_shows_generated_line():
    src = """
def f(x):
    y = np.sqrt(x)
    return np.sum(y)
"""
    f = build_fixed(src, "f", "traceback")
    g = srcgrad.grad(f)
    x = np.array([0.0, 1.0])
    with np.errstate(all="raise"):
        try:
            g(x)
        except FloatingPointError as exc:
            tb = traceback.format_exc()
            frames = traceback.extract_tb(exc.__traceback__)
        else:
            pytest.fail("expected FloatingPointError from the adjoint")
    text = srcgrad.show(f, args=(x,))
    generated = [fr for fr in frames if fr.filename.startswith("<srcgrad ")]
    assert generated, tb
    line = generated[-1].line
    assert line and line in text and line in tb
    assert text.splitlines()[generated[-1].lineno - 1].strip() == line
    assert "sqrt" in line or "/" in line


def test_save_to_writes_the_shown_module(tmp_path):
    f, _, args = make("straight")
    path = tmp_path / "grad_f.py"
    g = srcgrad.grad(f, save_to=path)
    expected = tape_grad(CASES["straight"][0], "f", list(args))
    assert_close(g(*args), expected)
    assert path.read_text() == srcgrad.show(f, args=args)
    # the running code's file name is the saved file (tracebacks, pdb, inspect)
    files = []
    sys.setprofile(lambda frame, event, arg: files.append(frame.f_code.co_filename)
                   if event == "call" else None)
    try:
        g(*args)
    finally:
        sys.setprofile(None)
    assert str(path) in files


def test_save_to_after_show_still_writes(tmp_path):
    """Compiling the same function first (show, or a plain grad) must not skip the file."""
    f, _, args = make("straight")
    text = srcgrad.show(f, args=args)
    srcgrad.grad(f)(*args)
    path = tmp_path / "again.py"
    srcgrad.grad(f, save_to=path)(*args)
    assert path.exists()
    assert path.read_text() == text


def test_save_to_with_callee(tmp_path):
    f, _, args = make("user_helper")
    path = tmp_path / "grad_helper.py"
    srcgrad.grad(f, save_to=path)(*args)
    saved = path.read_text()
    compile(saved, str(path), "exec")
    assert saved == srcgrad.show(f, args=args)
