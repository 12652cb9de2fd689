"""What srcgrad refuses in the user's code: one test per unsupported construct, data
flow, and `wrt`/`of` mistake (the audit of odd-but-valid Python is in
test_valid_python_audit.py).

Every error must name the file, say "line N" for the offending line, show that line
with a caret under it, and say what is wrong. The offending line in each source below
is marked with `# <-`.
"""
import linecache
import math
import re
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import (ArgumentError, NoRuleError, SourceUnavailableError,
                            UnsupportedSyntaxError)
from reference import build

X = np.array([0.3, -0.4, 0.5])
CARET = re.compile(r"^\s*\^\s*$", re.M)


def marked_line(src, mark="# <-"):
    lines = textwrap.dedent(src).splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if mark in line]
    assert len(hits) == 1, hits
    return hits[0]


def def_line(src, fname="f"):
    lines = textwrap.dedent(src).splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.startswith(f"def {fname}("))


def assert_error(exc, filename, lines, message):
    """`lines`: the acceptable line number(s) of the reported location."""
    text = str(exc)
    lines = (lines,) if isinstance(lines, int) else lines
    assert isinstance(exc, srcgrad.SrcgradError)
    assert filename in text, text
    assert any(re.search(rf"\bline {n}\b", text) for n in lines), (lines, text)
    assert CARET.search(text), f"no caret line in:\n{text}"
    assert re.search(message, text, re.I | re.S), (message, text)
    return text


def expect(src, cls, message, args=(X,), name="f", wrt=0, of=None, lines=None,
           extra=None, getter=None):
    """grad(f)(*args) raises `cls` located at the `# <-` line (or `lines`)."""
    fn = build(src, name, extra=extra)
    if getter is not None:
        fn = getter(fn)
    if lines is None:
        lines = marked_line(src)
    with pytest.raises(cls) as info:
        srcgrad.grad(fn, wrt=wrt, of=of)(*args)
    return assert_error(info.value, fn.__code__.co_filename, lines, message)


# --- unsupported statements -------------------------------------------------------------

def test_try_except():
    expect("""
def f(x):
    y = x * 2
    try:  # <-
        y = y * 3
    except ValueError:
        pass
    return np.sum(y)
""", UnsupportedSyntaxError, r"try/except")


def test_try_finally():
    expect("""
def f(x):
    try:  # <-
        y = x * 3
    finally:
        z = 1
    return np.sum(y)
""", UnsupportedSyntaxError, r"try")


def test_with():
    expect("""
def f(x):
    with np.errstate(all="ignore"):  # <-
        y = np.log(x)
    return np.sum(y)
""", UnsupportedSyntaxError, r"with")


def test_yield():
    expect("""
def f(x):
    y = x * 2
    yield y  # <-
""", UnsupportedSyntaxError, r"yield|generator")


def test_async_def():
    src = """
async def f(x):  # <-
    return np.sum(x * 2)
"""
    fn = build(src, "f")
    with pytest.raises(UnsupportedSyntaxError) as info:
        srcgrad.grad(fn)(X)
    assert_error(info.value, fn.__code__.co_filename, marked_line(src), r"async")


def test_global_write():
    expect("""
G = 0.0

def f(x):
    global G  # <-
    G = x * 2
    return np.sum(G * x)
""", UnsupportedSyntaxError, r"global")


def test_nonlocal_write():
    src = """
def outer():
    acc = 1.0

    def f(x):
        nonlocal acc  # <-
        acc = x * 2
        return np.sum(acc * x)
    return f
"""
    expect(src, UnsupportedSyntaxError, r"nonlocal", name="outer", getter=lambda o: o())


def test_class_definition_inside():
    expect("""
def f(x):
    class Box:  # <-
        pass
    return np.sum(x * 2)
""", UnsupportedSyntaxError, r"class")


def test_nested_def_inside():
    expect("""
def f(x):
    def g(u):  # <-
        return u * 2
    return np.sum(g(x))
""", UnsupportedSyntaxError, r"functions? defined inside|nested")


def test_lambda_inside():
    expect("""
def f(x):
    g = lambda u: u * 2  # <-
    return np.sum(g(x))
""", UnsupportedSyntaxError, r"lambda")


def test_del():
    expect("""
def f(x):
    y = x * 2
    z = y * 3
    del y  # <-
    return np.sum(z)
""", UnsupportedSyntaxError, r"del")


def test_walrus():
    expect("""
def f(x):
    z = (y := x * 2) + 1  # <-
    return np.sum(z * y)
""", UnsupportedSyntaxError, r":=|assignment expression")


def test_for_else():
    expect("""
def f(x):
    y = x
    for i in range(3):
        y = y * 2
    else:
        y = y + 1  # <-
    return np.sum(y)
""", UnsupportedSyntaxError, r"else")


def test_while_else():
    expect("""
def f(x):
    y = x
    while np.sum(y) < 10:
        y = y * 2
    else:
        y = y + 1  # <-
    return np.sum(y)
""", UnsupportedSyntaxError, r"else", args=(np.array([0.3, 0.4, 0.5]),))


def test_starred_assignment_target():
    expect("""
def f(x):
    a, *b = x  # <-
    return a * np.sum(b)
""", UnsupportedSyntaxError, r"starred")


def test_import_inside():
    expect("""
def f(x):
    import math  # <-
    return np.sum(x * math.pi)
""", UnsupportedSyntaxError, r"import")


def test_match_statement():
    expect("""
def f(x):
    k = 1
    match k:  # <-
        case 1:
            y = x * 2
        case _:
            y = x
    return np.sum(y)
""", UnsupportedSyntaxError, r"match|not supported")


# --- unsupported data flow ---------------------------------------------------------------

def test_star_args_to_user_call():
    expect("""
def h(u, v):
    return u * v

def f(x):
    args = (x, x * 2)
    y = h(*args)  # <-
    return np.sum(y)
""", UnsupportedSyntaxError, r"\*args")


def test_double_star_kwargs_to_user_call():
    expect("""
def h(u, v):
    return u * v

def f(x):
    kw = {"v": 2.0}
    y = h(x, **kw)  # <-
    return np.sum(y)
""", UnsupportedSyntaxError, r"\*\*kwargs")


def test_mutating_list_argument():
    expect("""
def f(x, xs):
    v = x * 2
    xs.append(v)  # <-
    return np.sum(xs[-1])
""", UnsupportedSyntaxError, r"list argument|mutat", args=(X, []))


def test_attribute_assignment():
    class Obj:
        pass
    expect("""
def f(x, obj):
    obj.a = x * 2  # <-
    return np.sum(obj.a)
""", UnsupportedSyntaxError, r"attribute", args=(X, Obj()))


def test_builtin_without_rule():
    expect("""
def f(x):
    y = math.gamma(x)  # <-
    return y
""", NoRuleError, r"no derivative rule.*gamma", args=(1.5,), extra={"math": math})


def test_numpy_fft_without_rule():
    expect("""
def f(x):
    y = np.fft.fft(x)  # <-
    return np.sum(np.abs(y))
""", NoRuleError, r"no derivative rule.*fft")


def test_numpy_function_without_rule():
    expect("""
def f(x):
    y = np.cumsum(x)  # <-
    return np.sum(y * y)
""", NoRuleError, r"no derivative rule.*cumsum")


def test_method_without_rule():
    expect("""
def f(x):
    y = x.cumprod()  # <-
    return np.sum(y)
""", NoRuleError, r"no derivative rule.*cumprod")


def test_function_without_source():
    ns = {"np": np}
    exec(compile("def f(x):\n    return np.sum(x * 2)\n", "<no-linecache-a>", "exec"), ns)
    f = ns["f"]
    linecache.cache.pop("<no-linecache-a>", None)
    with pytest.raises(SourceUnavailableError) as info:
        srcgrad.grad(f)(X)
    text = str(info.value)
    assert "<no-linecache-a>" in text and re.search(r"\bline 1\b", text), text
    assert "source" in text


def test_callee_without_source():
    ns = {"np": np}
    exec(compile("def h(u):\n    return u * 2\n", "<no-linecache-b>", "exec"), ns)
    linecache.cache.pop("<no-linecache-b>", None)
    src = """
def f(x):
    y = h(x)  # <-
    return np.sum(y)
"""
    text = expect(src, SourceUnavailableError, r"source", extra={"h": ns["h"]})
    assert "h()" in text


def test_recursion():
    src = """
def f(x, k):
    if k == 0:
        return x
    y = f(x * 2, k - 1)  # <-
    return np.sum(y)
"""
    expect(src, UnsupportedSyntaxError, r"recurs", args=(X, 2),
           lines=(marked_line(src), def_line(src)))


def test_mutual_recursion():
    src = """
def g(x, k):
    if k == 0:
        return x
    return f(x, k - 1)

def f(x, k):
    y = g(x * 2, k)  # <-
    return np.sum(y)
"""
    expect(src, UnsupportedSyntaxError, r"recurs", args=(X, 2),
           lines=(marked_line(src), def_line(src), def_line(src, "g"), 5))


# --- wrt / of ------------------------------------------------------------------------

def _argument_error(src, args, message, lines=None, **opts):
    return expect(src, ArgumentError, message, args=args,
                  lines=lines or (def_line(src),), **opts)


def test_wrt_int_argument():
    src = """
def f(x, n):
    return np.sum(x * n)
"""
    _argument_error(src, (X, 3), r"'n'.*int", wrt=1)


def test_wrt_bool_argument():
    src = """
def f(x, flag):
    return np.sum(x * flag)
"""
    _argument_error(src, (X, True), r"'flag'.*bool", wrt="flag")


def test_wrt_str_argument():
    src = """
def f(x, s):
    return np.sum(x) * len(s)
"""
    _argument_error(src, (X, "abc"), r"'s'.*str", wrt=1)


def test_wrt_int_array_argument():
    src = """
def f(x):
    return np.sum(x * 2)
"""
    _argument_error(src, (np.arange(3),), r"int")


def test_wrt_local_assigned_twice():
    src = """
def f(x):
    y = x * 2
    y = y + 1
    return np.sum(y * y)
"""
    _argument_error(src, (X,), r"'y'.*assigned 2 times", wrt="y",
                    lines=(def_line(src), 3, 4))


def test_wrt_local_assigned_in_loop():
    src = """
def f(x):
    for i in range(3):
        y = x * i
    return np.sum(y * y)
"""
    _argument_error(src, (X,), r"'y'", wrt="y", lines=(def_line(src), 4))


def test_of_local_never_assigned():
    src = """
def f(x):
    y = x * 2
    return np.sum(y)
"""
    _argument_error(src, (X,), r"'zz'.*never assigned", of="zz")


def test_wrt_unknown_name():
    src = """
def f(x):
    return np.sum(x)
"""
    _argument_error(src, (X,), r"'nope'", wrt="nope")


def test_of_int_without_tuple_return():
    src = """
def f(x):
    y = x * 2
    return np.sum(y ** 2)  # <-
"""
    _argument_error(src, (X,), r"tuple", of=1, lines=(def_line(src), marked_line(src)))


def test_of_int_out_of_range():
    src = """
def f(x):
    return x * 2, x * 3  # <-
"""
    _argument_error(src, (X,), r"of=2|out of range", of=2,
                    lines=(def_line(src), marked_line(src)))


def test_wrt_out_of_range():
    src = """
def f(x, y):
    return np.sum(x * y)
"""
    _argument_error(src, (X, X), r"out of range", wrt=2)


def test_wrt_negative_out_of_range():
    src = """
def f(x, y):
    return np.sum(x * y)
"""
    _argument_error(src, (X, X), r"out of range", wrt=-3)


def test_wrt_bad_type():
    # about the grad() call, not the source: no location required
    f = build("def f(x):\n    return np.sum(x)\n", "f")
    with pytest.raises(ArgumentError, match="wrt"):
        srcgrad.grad(f, wrt=1.5)(X)
