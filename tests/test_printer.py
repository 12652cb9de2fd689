"""printer.Printer writes exactly the text astor (codegen's printer) writes for a gast
tree, numbers each statement with the line the parsed text gives it, and collects the
names read as codegen.to_ast does: on hand-picked statements and on random ones."""
import ast
import copy
import math
import random
import textwrap

import gast
import pytest

from srcgrad import codegen, printer
from srcgrad.transforms.syntax import comment

# random trees are valid syntax, not meaningful code (`1.0()`): CPython warns
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")


def _astor(body):
    """(text, loads) of codegen's astor path for gast statements `body` (its blocks
    filled first)."""
    loads = set()
    tree = codegen.printable(gast.Module(body=body, type_ignores=[]), loads)
    return codegen.print_ast(tree), loads


def _check(body, level=0):
    """The Printer's text of `body` equals astor's, its loads too, and its numbers are
    the parsed text's lines when it says they can be trusted."""
    want, want_loads = _astor(copy.deepcopy(body))
    loads = set()
    out = printer.Printer(loads)
    out.block(body, 0)
    text, numbers = printer.joined([out], 3)
    assert text == want
    assert loads == want_loads
    try:
        parsed = ast.parse("\n\n" + text)
    except SyntaxError:  # (a random tree need not be valid Python)
        return text
    if numbers is not None:
        assert numbers == [s.lineno for s in codegen._statements(parsed.body)]
    return text


def _src(text):
    return gast.parse(textwrap.dedent(text)).body


_LONG = " + ".join(f"variable_{i}" for i in range(12))

CASES = [
    "x = a + b * c - (d - e) / f ** -g ** h",
    "y = -x ** 2 + (-x) ** 2 + ~x + (not a) + +x",
    "z = a < b <= c is not d in e and (f or g) or not h",
    "a, b = c[1:2, ::3], d[:, None][..., 0]",
    "s[::None] = t[1:], u[1:2:3]",
    "q = (1).real + (1.5).imag + x.y.z(1)(2)[3] + (a + b).c",
    "r = f(*args, **kw) + g(a, b=1, *c) + h((x for x in y))",
    "t = (), (1,), [1, 2], {1, 2}, {a: b, **c}, {(a + b): c}",
    "u = a if b else c if d else (e if f else g)",
    "v = 1e300 * 1e300, -1e300 * 1e300, 1j, 1 + 2j, (1e300 * 1e300) * 0",
    "w = 'short' + 'a string of more than twenty chars' + b'bytes' + \"'\"",
    "x = 'with\\nnewline ' * 3",
    "'docstring-like statement that is long enough'",
    "'abc'.join(x)",
    "f'{x!r:>{y}} {a}'",
    "g = lambda u, *, v=1: u + v",
    "c = [i * j for i in range(3) if i for j in (1, 2)]",
    "x += 1; y @= z; z **= 2; del c[0]",
    "total = " + _LONG,
    "total += " + _LONG,
    "result_name = some_function(" + ", ".join(f"argument_{i}" for i in range(9)) + ")",
    "return",
    "return a, b",
    "return " + _LONG,
    """
    def f(x, y=2, *args, z, w=3, **kw):
        if x:
            pass
        elif y:
            return 1
        elif z:
            break
        else:
            continue
        for i, j in enumerate(y):
            x = i
        else:
            y = j
        while x > 0:
            x -= 1
        else:
            z = 2
    """,
    """
    @dec
    def g(a: int, b) -> float:
        return a
    """,
    "def h(a, /, b):\n    return a",
    "def long_function_name(" + ", ".join(f"parameter_{i}" for i in range(8)) + "):\n"
    "    return parameter_0",
    "for " + ", ".join(f"target_{i}" for i in range(10)) + " in items:\n    pass",
    "while " + _LONG + ":\n    break",
    "if " + _LONG + ":\n    x = 1\nelse:\n    y = 2",
    "if a:\n    x = 1\nelif " + _LONG + ":\n    y = 2",
    "for i in a + b:\n    for j in (1, 2):\n        x = i, j",
    "try:\n    x = 1\nexcept E as e:\n    y = 2\nfinally:\n    z = 3",
    "with open(p) as fh:\n    x = fh",
    "x = (y := 2)",
    "class C:\n    x = 1",
    "import os\nfrom a import b as c",
    "assert x, 'message'\nglobal g\nraise ValueError('no') from None",
    "x: int = 1",
]


@pytest.mark.parametrize("src", CASES)
def test_printer_writes_what_astor_writes(src):
    _check(_src(src))


def test_comments_and_nested_blocks():
    body = _src("""
    def f(x):
        y = x
        if y:
            z = 1
        return y
    """)
    f = body[0]
    f.body.insert(0, comment("a comment"))
    f.body.insert(2, comment("a long comment " * 10))
    f.body[3].body.append(comment("trailing  "))
    f.body[3].orelse = [comment("only a comment")]
    text = _check([f])
    assert "# a comment\n" in text


def test_a_string_over_several_lines_is_not_trusted_to_be_numbered():
    # astor prints a long string with newlines triple-quoted, over several lines;
    # inside a compound statement handed to astor, the statements after it move
    value = repr("a long text that astor prints triple-quoted\n" * 3)
    body = _src(f"try:\n    y = {value}\n    z = 1\nexcept E:\n    pass\nw = 2\n")
    out = printer.Printer()
    out.block(body, 0)
    assert not out.exact
    _check(_src(f"y = {value}\nz = 1\n"))


# -- random trees --

_NAMES = ["x", "y", "np", "a_rather_long_variable_name", "value_of_the_gradient"]
_BINOPS = [gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.MatMult, gast.Mod,
           gast.FloorDiv, gast.BitAnd, gast.BitOr, gast.BitXor, gast.LShift, gast.RShift]
_CMPOPS = [gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Is,
           gast.IsNot, gast.In, gast.NotIn]
_CONSTANTS = [0, 1, -1, 2.5, -0.5, 1e-300, 10 ** 400, math.inf, -math.inf, math.nan,
              1j, -2j, 1 + 2j, -1.5 - 0.5j, complex(math.inf, 1), True, False, None,
              Ellipsis, "s", "", "a string longer than twenty", "line\nbreak",
              "it's \"quoted\"", b"bytes"]


def _name(rng, store=False):
    return gast.Name(id=rng.choice(_NAMES), ctx=gast.Store() if store else gast.Load(),
                     annotation=None, type_comment=None)


def _expr(rng, depth):
    if depth <= 0 or rng.random() < 0.25:
        if rng.random() < 0.6:
            return _name(rng)
        return gast.Constant(value=rng.choice(_CONSTANTS), kind=None)
    sub = lambda: _expr(rng, depth - 1)  # noqa: E731
    kind = rng.randrange(16)
    if kind == 0:
        return gast.BinOp(left=sub(), op=rng.choice(_BINOPS)(), right=sub())
    if kind == 1:
        op = rng.choice([gast.USub, gast.UAdd, gast.Invert, gast.Not])()
        return gast.UnaryOp(op=op, operand=sub())
    if kind == 2:
        n = rng.randrange(1, 3)
        return gast.Compare(left=sub(), ops=[rng.choice(_CMPOPS)() for _ in range(n)],
                            comparators=[sub() for _ in range(n)])
    if kind == 3:
        return gast.BoolOp(op=rng.choice([gast.And, gast.Or])(),
                           values=[sub() for _ in range(rng.randrange(2, 4))])
    if kind == 4:
        args = [sub() for _ in range(rng.randrange(4))]
        if rng.random() < 0.2:
            args.append(gast.Starred(value=sub(), ctx=gast.Load()))
        keywords = [gast.keyword(arg=rng.choice(["axis", "out", None]), value=sub())
                    for _ in range(rng.randrange(3))]
        return gast.Call(func=sub(), args=args, keywords=keywords)
    if kind == 5:
        return gast.Attribute(value=sub(), attr=rng.choice(["T", "shape", "real"]),
                              ctx=gast.Load())
    if kind == 6:
        index = sub() if rng.random() < 0.5 else _slice(rng, depth)
        if rng.random() < 0.3:
            index = gast.Tuple(elts=[index, _slice(rng, depth)], ctx=gast.Load())
        return gast.Subscript(value=sub(), slice=index, ctx=gast.Load())
    if kind == 7:
        return gast.Tuple(elts=[sub() for _ in range(rng.randrange(4))], ctx=gast.Load())
    if kind == 8:
        return gast.List(elts=[sub() for _ in range(rng.randrange(3))], ctx=gast.Load())
    if kind == 9:
        return gast.Set(elts=[sub() for _ in range(rng.randrange(3))])
    if kind == 10:
        n = rng.randrange(3)
        return gast.Dict(keys=[sub() if rng.random() < 0.8 else None for _ in range(n)],
                         values=[sub() for _ in range(n)])
    if kind == 11:
        return gast.IfExp(test=sub(), body=sub(), orelse=sub())
    if kind == 12:  # handed to astor
        return gast.parse("lambda u: u + 1", mode="eval").body
    if kind == 13:
        return gast.parse("[i for i in range(3)]", mode="eval").body
    if kind == 14:
        return gast.parse("f'{a}-{b!r}'", mode="eval").body
    return gast.Constant(value=rng.choice(_CONSTANTS), kind=None)


def _slice(rng, depth):
    part = lambda: _expr(rng, depth - 1) if rng.random() < 0.6 else None  # noqa: E731
    return gast.Slice(lower=part(), upper=part(), step=part())


def _target(rng, depth):
    kind = rng.randrange(4)
    if kind == 0 and depth > 0:
        return gast.Tuple(elts=[_name(rng, True) for _ in range(rng.randrange(1, 4))],
                          ctx=gast.Store())
    if kind == 1 and depth > 0:
        return gast.Subscript(value=_expr(rng, depth - 1), slice=_expr(rng, depth - 1),
                              ctx=gast.Store())
    if kind == 2 and depth > 0:
        return gast.Attribute(value=_expr(rng, depth - 1), attr="a", ctx=gast.Store())
    return _name(rng, True)


def _statements(rng, depth, n):
    return [_statement(rng, depth) for _ in range(n)]


def _statement(rng, depth):
    kind = rng.randrange(12 if depth > 0 else 7)
    e = lambda: _expr(rng, 3)  # noqa: E731
    if kind == 0:
        return gast.Assign(targets=[_target(rng, 2) for _ in range(rng.randrange(1, 3))],
                           value=e(), type_comment=None)
    if kind == 1:
        return gast.AugAssign(target=_target(rng, 2), op=rng.choice(_BINOPS)(), value=e())
    if kind == 2:
        return gast.Expr(value=e())
    if kind == 3:
        return gast.Return(value=e() if rng.random() < 0.8 else None)
    if kind == 4:
        return comment(rng.choice(["grad of: x = y", "", "a  long " * 12]))
    if kind == 5:
        return rng.choice([gast.Pass, gast.Break, gast.Continue])()
    if kind == 6:
        return gast.Assign(targets=[_name(rng, True)], value=_expr(rng, 1),
                           type_comment=None)
    body = lambda: _statements(rng, depth - 1, rng.randrange(1, 4))  # noqa: E731
    orelse = lambda: body() if rng.random() < 0.5 else []  # noqa: E731
    if kind == 7:
        return gast.If(test=e(), body=body(), orelse=orelse())
    if kind == 8:  # an elif chain
        return gast.If(test=e(), body=body(),
                       orelse=[gast.If(test=e(), body=body(), orelse=orelse())])
    if kind == 9:
        return gast.For(target=_target(rng, 1), iter=e(), body=body(), orelse=orelse(),
                        type_comment=None)
    if kind == 10:
        return gast.While(test=e(), body=body(), orelse=orelse())
    params = [gast.Name(id=f"p{i}", ctx=gast.Param(), annotation=None, type_comment=None)
              for i in range(rng.randrange(4))]
    args = gast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=[],
                          kw_defaults=[], kwarg=None,
                          defaults=[e() for _ in range(rng.randrange(len(params) + 1))])
    return gast.FunctionDef(name=rng.choice(["f", "a_function_with_a_long_name"]),
                            args=args, body=body(), decorator_list=[], returns=None,
                            type_comment=None, type_params=[])


@pytest.mark.parametrize("seed", range(25))
def test_printer_writes_what_astor_writes_on_random_statements(seed):
    rng = random.Random(seed)
    for _ in range(10):
        _check(_statements(rng, 3, rng.randrange(1, 6)))


def test_values_and_nodes_the_printer_leaves_to_astor():
    import numpy as np
    from srcgrad.transforms.syntax import assign, const
    body = [assign("x", gast.BinOp(left=const(np.eye(3)), op=ast.Add(), right=const(1))),
            assign("y", gast.BinOp(left=const(np.float64(2.5)), op=ast.Pow(),
                                   right=const(-2))),
            assign("z", ast.Name("w", ast.Load())),
            assign("t", const(1))]
    text = _check(body)
    assert text.count("\n") == 6
    out = printer.Printer()
    out.block(copy.deepcopy(body), 0)
    assert out.exact and out.numbers == [1, 4, 5, 6]  # (the array's repr: three lines)


_BLANK_BLOCKS = """
def f(x):
    if x:
        pass
    elif y:
        pass
    else:
        pass
    for i in y:
        pass
    else:
        pass
    while x:
        pass
    try:
        if x:
            pass
    except E:
        pass
    for """ + ", ".join(f"target_{i}" for i in range(10)) + """ in items:
        pass
    if """ + _LONG + """:
        pass
    elif x:
        pass
"""


@pytest.mark.parametrize("keep", ["pass", "comment", "both", "none"])
def test_print_statements_fills_blocks_as_printable_does(keep):
    # every `pass` of the source becomes a comment, a pass, both, or is kept
    body = _src(_BLANK_BLOCKS)
    for node in gast.walk(body[0]):
        for field in ("body", "orelse", "handlers"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                new = []
                for s in block:
                    if isinstance(s, gast.Pass) and keep != "pass":
                        new += {"comment": [comment("c")], "both": [comment("c"), s],
                                "none": [comment("c"), comment("d")]}[keep]
                    else:
                        new.append(s)
                block[:] = new
    old = copy.deepcopy(body)
    want = codegen.to_source(gast.Module(body=old, type_ignores=[]))
    text, _ = printer.joined([printer.print_statements(body, 0, set())], 1)
    assert text == want
    assert gast.dump(gast.Module(body=body, type_ignores=[])) == \
        gast.dump(gast.Module(body=old, type_ignores=[]))  # the same tree (line_origins)


@pytest.mark.parametrize("value", [-2.0, -3, -math.inf, -2j, -0.0])
def test_a_negative_number_as_the_base_of_a_power_is_parenthesized(value):
    # (anf folds -2.0 into a constant; astor wrote `-2.0 ** 2`, which is -(2.0 ** 2))
    from srcgrad.transforms.syntax import assign, const
    body = [assign("t", gast.BinOp(left=const(value), op=gast.Pow(), right=const(2)))]
    text = _check(body)
    assert text.startswith("t = (-")
    namespace = {}
    exec(text, namespace)
    assert namespace["t"] == value ** 2


def test_the_gradient_through_a_power_of_a_negative_literal():
    import numpy as np
    from reference import check
    src = """
    def f(x):
        return x * (-2.0) ** 2 + (-3) ** 3 * np.sin(x) - x ** -2.0
    """
    check(src, "f", (1.5,))
    check(src, "f", (np.linspace(0.5, 1.5, 4),))


# -- meaning, not only astor's text: astor itself printed `(-2.0) ** 2` wrongly -----------

_ARITH = [gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow, gast.FloorDiv, gast.Mod]


def _number_expr(rng, depth):
    """A random arithmetic expression over x, y and numbers (negative ones included, as
    anf folds them), in every position a parent can give."""
    kind = rng.randrange(8 if depth > 0 else 2)
    if kind == 0:
        return gast.Constant(value=rng.choice([2, -2, 0.5, -0.5, -3.0, 1e-3, -1j, 2j]),
                             kind=None)
    if kind == 1:
        return gast.Name(id=rng.choice("xy"), ctx=gast.Load(), annotation=None,
                         type_comment=None)
    sub = lambda: _number_expr(rng, depth - 1)  # noqa: E731
    if kind <= 4:
        return gast.BinOp(left=sub(), op=rng.choice(_ARITH)(), right=sub())
    if kind == 5:
        return gast.UnaryOp(op=rng.choice([gast.USub, gast.UAdd])(), operand=sub())
    if kind == 6:
        return gast.Attribute(value=sub(), attr=rng.choice(["real", "imag"]),
                              ctx=gast.Load())
    return gast.IfExp(test=gast.Compare(left=sub(), ops=[gast.Lt()], comparators=[sub()]),
                      body=sub(), orelse=sub())


def _outcome(run):
    try:
        value = run()
    except (ArithmeticError, TypeError, ValueError) as exc:
        return type(exc)
    return "nan" if value != value else value


@pytest.mark.parametrize("seed", range(20))
def test_printed_expressions_compute_what_their_tree_computes(seed):
    """The oracle is CPython compiling the tree itself (gast's own converter), not
    astor: the printed text must evaluate to the same value, or raise the same error."""
    rng = random.Random(seed)
    env = {"x": 1.5, "y": -0.75}
    for _ in range(40):
        expr = _number_expr(rng, 4)
        tree = ast.fix_missing_locations(ast.Expression(gast.gast_to_ast(copy.deepcopy(expr))))
        code = compile(tree, "<tree>", "eval")
        stmt = gast.Assign(targets=[gast.Name(id="r", ctx=gast.Store(), annotation=None,
                                              type_comment=None)],
                           value=expr, type_comment=None)
        text, _ = _astor([copy.deepcopy(stmt)])
        mine, _ = printer.joined([printer.print_statements([stmt], 0, set())], 1)
        for printed in (text, mine):
            ns = dict(env)
            assert _outcome(lambda: eval(code, dict(env))) == \
                _outcome(lambda: (exec(printed, ns), ns["r"])[1]), printed
