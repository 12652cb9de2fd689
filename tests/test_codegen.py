"""Code generation: comments carried as nodes (string constants printed intact), names
and header lines made safe whatever the function's metadata, and RuntimeRefusals
located at the user's line through the generated lines' origins."""
import linecache

import numpy as np
import pytest

import srcgrad
from srcgrad import codegen, compiler
from srcgrad.errors import RuntimeRefusal
from reference import assert_close, build, numeric_grad, tape_grad

X = np.array([0.3, -0.7, 1.1])


def test_string_with_blank_lines_keeps_them():
    src = '''
def f(x):
    s = ("a long first line of text that astor prints triple-quoted\\n\\n\\n"
         "the fourth line, after two blank ones, and more text to be long\\n")
    return np.sum(np.sin(x)) * len(s)
'''
    f = build(src, "f")
    text = srcgrad.show(f)
    assert '\n\n' in text  # the blank lines of the string are printed
    value, grad = srcgrad.value_and_grad(f)(X)
    assert_close(value, f(X))
    assert_close(grad, tape_grad(src, "f", (X,)))


def test_string_holding_a_comment_marker_stays_a_string():
    src = '''
def f(x):
    s = ("a long first line of text that astor prints triple-quoted\\n"
         "__srcgrad_comment__(0)\\n__srcgrad_comment__(1)\\nand more text to be long")
    return np.sum(x * x) * len(s)
'''
    f = build(src, "f")
    value, grad = srcgrad.value_and_grad(f)(X)
    assert_close(value, f(X))
    assert_close(grad, tape_grad(src, "f", (X,)))
    assert "__srcgrad_comment__(0)" in srcgrad.show(f)


def test_comments_and_no_blank_lines_between_defs():
    f = build('''
def f(x):
    y = np.sin(x)
    return np.sum(y * 2.0)
''', "f")
    text = srcgrad.show(f)
    assert "# grad of: y = np.sin(x)" in text
    assert "\n\n" not in text
    assert not any(line != line.rstrip() for line in text.splitlines())


def test_function_name_that_is_no_identifier():
    src = '''
def f(x):
    return np.sum(np.cos(x) * x)
'''
    f = build(src, "f")
    f.__name__ = "loss-fn"
    f.__qualname__ = "Model.<loss fn>\nwith a newline"
    assert_close(srcgrad.grad(f)(X), tape_grad(src, "f", (X,)))
    pullback = srcgrad.vjp(f, X)[1]
    assert_close(pullback(1.0), tape_grad(src, "f", (X,)))


@pytest.mark.parametrize("filename", ["<weird\nname>", "<tab\tand\rcr>"])
def test_filename_with_newline_gives_single_line_header(filename):
    src = '''
def f(x):
    return np.sum(np.exp(x) * 3.0)
'''
    f = build(src, "f", filename=filename)
    assert_close(srcgrad.grad(f)(X), tape_grad(src, "f", (X,)))
    text = srcgrad.show(f)
    header = [line for line in text.splitlines() if not line.startswith(" ")
              and not line.startswith("def ")]
    assert header and all(line.startswith("#") for line in header)
    compile(text, "<check>", "exec")


def _refuse_negative(v):
    if np.any(v < 0):
        raise RuntimeRefusal("a negative value reached _refuse_negative")
    return v


def my_op(x):
    return x * 2.0


@srcgrad.adjoint(my_op)
def _(y, x):
    d[x] = _refuse_negative(d[y]) * 2.0  # noqa: F821 (d is the template's adjoint)


SRC_REFUSAL = '''
def f(x):
    a = np.sin(x)
    b = my_op(a)
    c = b * x
    return np.sum(c)
'''


def test_runtime_refusal_is_located_at_the_users_line():
    f = build(SRC_REFUSAL, "f", extra={"my_op": my_op})
    filename = f.__code__.co_filename
    g = srcgrad.grad(f)
    pos = np.abs(X) + 0.1
    assert_close(g(pos), numeric_grad(f, (pos,)))  # the rule is right where it accepts
    with pytest.raises(RuntimeRefusal) as info:
        g(-X - 1.0)  # d[y] = x < 0 at the template: refused at run time
    exc = compiler.locate(info.value)
    assert exc is info.value
    assert exc.filename == filename
    assert exc.lineno == 4  # `b = my_op(a)`, whose derivative raised it
    assert "b = my_op(a)" in str(exc)
    assert "a negative value" in str(exc)


def test_runtime_refusal_in_a_callee_is_located_in_the_callee():
    src = SRC_REFUSAL + '''
def outer(x):
    return f(x * 1.5) + np.sum(x)
'''
    outer = build(src, "outer", extra={"my_op": my_op})
    with pytest.raises(RuntimeRefusal) as info:
        srcgrad.grad(outer)(-X - 1.0)
    exc = compiler.locate(info.value)
    assert exc.lineno == 4 and exc.function == "f"


def test_locate_leaves_other_exceptions_alone():
    exc = RuntimeRefusal("no generated frame in this traceback")
    assert codegen.locate(exc) is exc and exc.lineno is None


def test_every_generated_statement_maps_into_the_users_function():
    f = build('''
def f(x):
    y = np.sin(x)
    for i in range(3):
        y = y * np.cos(x)
    if np.sum(y) > 0:
        y = y * 2.0
    return np.sum(y)
''', "f")
    art = compiler.compile(f, compiler.Spec(unroll=False))
    filename = art.functions["main"].__code__.co_filename
    user_file, function, lines = codegen._origins[filename]
    assert user_file == f.__code__.co_filename and function == "f"
    first = f.__code__.co_firstlineno
    assert lines and all(first <= v <= first + 7 for v in lines.values())
    text = linecache.getlines(filename)
    for gen, user in lines.items():  # each adjoint line follows its `# grad of:` line
        above = [t for t in text[:gen - 1] if t.strip().startswith("# grad of:")]
        if above and "grad of" in text[gen - 2]:
            assert linecache.getline(user_file, user).strip() in above[-1]


@pytest.mark.parametrize("base", ["loss-fn", "1st", "lambda", "__", "a b\nc", "é"])
def test_fresh_names_are_identifiers(base):
    from srcgrad.naming import Namer
    import keyword
    namer = Namer({"t"})
    for _ in range(2):
        got = namer.fresh(base)
        assert got.isidentifier() and not keyword.iskeyword(got)


_NUMBERED_SRC = '''
def f(x, y):
    if x:
        a = 1
    elif y:
        a = 2
    else:
        a = 3
    try:
        b = a
    except ValueError as e:
        b = 0
    else:
        b = 1
    finally:
        c = 2
    for i in range(3):
        while i:
            i -= 1
        else:
            pass
    with open(x) as fh:
        return b + c
'''


def _numbered(src, first):
    import ast
    import gast
    printed = codegen.printable(gast.parse(src))
    text, exact = codegen.print_numbered(printed, first)
    assert text == codegen.print_ast(codegen.printable(gast.parse(src)))
    parsed = ast.parse("\n" * (first - 1) + text)
    return exact, ([s.lineno for s in codegen._statements(printed.body)],
                   [s.lineno for s in codegen._statements(parsed.body)])


@pytest.mark.parametrize("first", [1, 4])
def test_print_numbered_gives_each_statement_its_line_in_the_text(first):
    exact, (numbered, parsed) = _numbered(_NUMBERED_SRC, first)
    assert exact and numbered == parsed


@pytest.mark.parametrize("value", ["(" + " + ".join(f"x{i}" for i in range(40)) + ")",
                                   repr("a long text that astor prints triple-quoted\n" * 3)])
def test_print_numbered_says_when_a_statement_spans_lines(value):
    # astor wraps a long line, prints a long string with newlines over several lines:
    # then the numbers are not trusted (the caller parses the text)
    exact, _ = _numbered(f"def f(x):\n    y = {value}\n    return y\n", 1)
    assert not exact
