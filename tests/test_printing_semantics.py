"""The printed text of a gast tree MEANS what the tree means, on both paths emit uses
(printer.Printer, and codegen's astor path: printable + print_ast).

The oracle is CPython compiling the tree itself (gast's own converter,
gast.gast_to_ast), never astor's text: astor printed `(-2.0) ** 2` as `-2.0 ** 2`.
Random statement lists (assignments to names, tuples, starred names, subscripts and
attributes; augmented assignments; if/for/while/break/continue; nested functions and
returns) and expressions (arithmetic on numbers of every kind, NumPy scalars
included, as optimize folds numbers into Constant nodes; comparisons, boolean
operators, conditional expressions, lambdas, comprehensions, calls with keywords,
*args and **kwargs, displays, walrus, f-strings, strings and bytes, slices) run in a
function on the same arguments through the tree and through each printed text: the
same values (nan- and sign-of-zero-aware, the same types) or the same exception
type. The printed text parsed again must also be the tree (up to what is not
visible in a text: parentheses, a negative number as a minus sign on a literal).
"""
import ast
import copy
import math
import random
import string
import sys
import types
import warnings

import gast
import numpy as np
import pytest

from srcgrad import codegen, printer

# random trees are valid syntax, not meaningful code (`1.0()`): CPython warns
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")


# -- gast builders --

def _name(id_, ctx=gast.Load):
    return gast.Name(id=id_, ctx=ctx(), annotation=None, type_comment=None)


def _const(value):
    return gast.Constant(value=value, kind=None)


def _call(func, args=(), keywords=()):
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def _attr(value, attr, ctx=gast.Load):
    return gast.Attribute(value=value, attr=attr, ctx=ctx())


def _assign(target, value):
    return gast.Assign(targets=[target], value=value, type_comment=None)


def _args(names=(), defaults=()):
    return gast.arguments(args=[_name(n, gast.Param) for n in names], posonlyargs=[],
                          vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                          defaults=list(defaults))


def _function(name, params, body, defaults=()):
    return gast.FunctionDef(name=name, args=_args(params, defaults), body=body,
                            decorator_list=[], returns=None, type_comment=None,
                            type_params=[])


# -- the values the generated function is called with --

_PARAMS = ["x", "y", "i", "j", "L", "T", "s", "d", "A", "f", "o", "np"]


def _show(*args, **kwargs):
    return args, sorted(kwargs.items())


def _arguments():
    """Fresh arguments (statements mutate them)."""
    return dict(x=1.5, y=-0.75, i=3, j=-2, L=[1, 2, 3, 4], T=(1, "a", 2.5), s="h\u00e9l'lo",
                d={"a": 1, "b": -2.0}, A=np.arange(12.0).reshape(3, 4), f=_show,
                o=types.SimpleNamespace(v=1.0, w=[1, 2]), np=np)


_NUMBERS = [0, 2, -2, 3, -7, 0.5, -0.5, 0.0, -0.0, 1e300, -1e-300, math.inf, -math.inf,
            math.nan, 10 ** 30, -10 ** 30, 2j, -1j, 1.5 - 2j, complex(-0.0, 1),
            complex(0.0, -0.0), complex(-1.0, -0.0), complex(-0.0, -0.0),
            complex(math.nan, 0.0), complex(math.inf, -0.0), True, False,
            np.float64(1.5), np.float64(-0.0), np.float64(math.nan), np.float64(-math.inf),
            np.float32(-0.0), np.float32(0.1), np.float32(-2.5), np.int64(3),
            np.int64(-7), np.int32(2), np.complex128(1 - 2j), np.complex64(-0.5j),
            np.bool_(True), np.uint8(200), np.float16(0.1)]
_SMALL = [2, -2, 3, 0.5, -0.5, -1, 2.0, -0.0]  # exponents: no huge powers
_STRINGS = ["", "a", "it's", 'say "hi"', "both ' and \"", "line\nbreak", "tab\there",
            "back\\slash", "\\n", "uni\u00e9\u2028\u03c0", "{braces}", "}{", "\r\n\x00",
            "'''", '"""', "a long string, more than twenty characters", "x" * 90,
            "ends with a quote'", 'ends with a quote"', "\\",
            # (long ones with newlines: astor may write them triple-quoted)
            "a long line of text in a string\n" * 4, 'ends in a quote"\n' * 3 + '"',
            "back\\slash\nline, and more text to be long\n" * 3, "\t\ttabs\n" * 9,
            "'''\n\"\"\"\n" * 5, "trailing spaces   \n  \n" * 4, "\r\nwindows line\r\n" * 5,
            "a\n\\\n" * 9]
_BYTES = [b"", b"ab", b"\x00\xff", b"q'\"", b"line\n"]
_ARITH = [gast.Add, gast.Sub, gast.Mult, gast.Div, gast.FloorDiv, gast.Mod]
_ORDER = [gast.Lt, gast.LtE, gast.Gt, gast.GtE, gast.Eq, gast.NotEq]


class _Gen:
    """Random expressions and statements (seeded). `scope`: extra names read as
    numbers (lambda parameters, comprehension variables)."""

    def __init__(self, rng):
        self.rng = rng
        self.scope = []

    def pick(self, options):
        return self.rng.choice(options)

    # -- expressions --

    def expr(self, depth, want="any"):
        if want == "any":
            want = self.pick(["num", "num", "bool", "seq", "str", "dict", "arr"])
        return getattr(self, "_" + want)(max(depth, 0))

    def _num(self, depth):
        r = self.rng.randrange(16 if depth > 0 else 2)
        if r == 0:
            return _const(self.pick(_NUMBERS))
        if r == 1:
            return _name(self.pick(["x", "y", "i", "j"] + self.scope))
        sub = lambda want="num": self.expr(depth - 1, want)  # noqa: E731
        if r <= 3:
            return gast.BinOp(left=sub(), op=self.pick(_ARITH)(), right=sub())
        if r == 4:
            exponent = _const(self.pick(_SMALL))
            if self.rng.random() < 0.3:
                exponent = gast.UnaryOp(op=gast.USub(), operand=_const(2))
            return gast.BinOp(left=sub(), op=gast.Pow(), right=exponent)
        if r == 5:
            op = self.pick([gast.USub, gast.UAdd, gast.Invert])
            operand = sub() if op is not gast.Invert else self.pick(
                [_name("i"), _const(self.pick([3, -2, True]))])
            return gast.UnaryOp(op=op(), operand=operand)
        if r == 6:
            return gast.IfExp(test=sub("bool"), body=sub(), orelse=sub())
        if r == 7:
            return gast.Subscript(value=_name("L"), slice=_const(self.rng.randrange(-4, 4)),
                                  ctx=gast.Load())
        if r == 8:
            return _attr(sub(), self.pick(["real", "imag"]))
        if r == 9:
            return _call(_name(self.pick(["len", "abs"])),
                         [sub("seq") if self.rng.random() < 0.5 else sub()])
        if r == 10:  # walrus
            return gast.NamedExpr(target=_name("w", gast.Store), value=sub())
        if r == 11:  # a lambda called at once, or one of *args and **kwargs
            if self.rng.random() < 0.3:
                lam = gast.Lambda(args=gast.arguments(
                    args=[], posonlyargs=[], vararg=_name("u", gast.Param), kwonlyargs=[
                        _name("v", gast.Param)], kw_defaults=[sub()],
                    kwarg=_name("kw", gast.Param), defaults=[]),
                    body=gast.BinOp(left=_call(_name("len"), [_name("u")]), op=gast.Add(),
                                    right=_name("v")))
                return _call(lam, [sub(), gast.Starred(value=self.expr(depth - 1, "seq"),
                                                       ctx=gast.Load())],
                             [gast.keyword(arg=None, value=self.expr(depth - 1, "dict"))])
            return self._lambda_call(depth)
        if r == 12:
            return _call(_name("sum"), [self._comprehension(depth, gast.GeneratorExp)])
        if r == 13:
            return gast.Subscript(value=_name("A"), slice=self._index(depth, 2),
                                  ctx=gast.Load()) if self.rng.random() < 0.3 else \
                _call(_attr(_name("np"), self.pick(["sin", "exp", "float32", "int64"])),
                      [sub()])
        if r == 14:
            return _attr(_name("o"), "v")
        return gast.BinOp(left=sub(), op=gast.Pow(), right=_const(self.pick(_SMALL)))

    def _bool(self, depth):
        r = self.rng.randrange(5 if depth > 0 else 1)
        if r == 0:
            return _const(self.pick([True, False, None, 0, ""]))
        sub = lambda want="any": self.expr(depth - 1, want)  # noqa: E731
        if r == 1:
            n = self.rng.randrange(1, 4)
            return gast.Compare(left=sub("num"), ops=[self.pick(_ORDER)() for _ in range(n)],
                                comparators=[sub("num") for _ in range(n)])
        if r == 2:
            op = self.pick([gast.In, gast.NotIn, gast.Is, gast.IsNot])
            return gast.Compare(left=sub("num"), ops=[op()], comparators=[sub("seq")])
        if r == 3:
            return gast.BoolOp(op=self.pick([gast.And, gast.Or])(),
                               values=[sub() for _ in range(self.rng.randrange(2, 4))])
        return gast.UnaryOp(op=gast.Not(), operand=sub())

    def _seq(self, depth):
        r = self.rng.randrange(9 if depth > 0 else 1)
        if r == 0:
            return _name(self.pick(["L", "T", "s"]))
        sub = lambda want="num": self.expr(depth - 1, want)  # noqa: E731
        if r in (1, 2):
            cls = self.pick([gast.List, gast.Tuple, gast.Set])
            elts = [sub() for _ in range(self.rng.randrange(4))]
            if self.rng.random() < 0.3:
                elts.insert(self.rng.randrange(len(elts) + 1),
                            gast.Starred(value=sub("seq"), ctx=gast.Load()))
            if cls is not gast.Set:
                return cls(elts=elts, ctx=gast.Load())
            return self._ordered(gast.Set(elts=elts))
        if r == 3:
            return gast.Subscript(value=sub("seq"), slice=self._slice(depth),
                                  ctx=gast.Load())
        if r == 4:
            if self.rng.random() < 0.5:
                return self._comprehension(depth, gast.ListComp)
            return self._ordered(self._comprehension(depth, gast.SetComp))
        if r == 5:
            return _call(_name(self.pick(["list", "tuple", "sorted"])),
                         [self._comprehension(depth, gast.GeneratorExp)])
        if r == 6:
            return self._f_call(depth)
        if r == 7:
            return gast.Tuple(elts=[sub()], ctx=gast.Load())  # one element
        return gast.Tuple(elts=[], ctx=gast.Load())

    @staticmethod
    def _ordered(node):
        # a set's order depends on its elements' hashes, and a nan's is its address:
        # what is computed from the order would differ from run to run
        return _call(_name("sorted"), [node], [gast.keyword(arg="key", value=_name("repr"))])

    def _str(self, depth):
        r = self.rng.randrange(5 if depth > 0 else 2)
        if r == 0:
            return _const(self.pick(_STRINGS))
        if r == 1:
            return _const(self.pick(_BYTES)) if self.rng.random() < 0.3 else _name("s")
        if r == 2:
            return self._f_string(depth)
        sub = lambda want: self.expr(depth - 1, want)  # noqa: E731
        if r == 3:
            return gast.BinOp(left=sub("str"), op=gast.Add(), right=sub("str"))
        return _call(_attr(_const(self.pick(_STRINGS)), "join"),
                     [_call(_name("map"), [_name("str"), sub("seq")])])

    def _dict(self, depth):
        r = self.rng.randrange(4 if depth > 0 else 1)
        if r == 0:
            return _name("d")
        if r == 1:
            keys, values = [], []
            for _ in range(self.rng.randrange(0, 4)):
                if self.rng.random() < 0.2:
                    keys.append(None)
                    values.append(self.expr(depth - 1, "dict"))
                else:
                    keys.append(self.expr(depth - 1, self.pick(["num", "str"])))
                    values.append(self.expr(depth - 1))
            return gast.Dict(keys=keys, values=values)
        if r == 2:
            return self._comprehension(depth, gast.DictComp)
        return _call(_name("dict"), [_name("d")], [
            gast.keyword(arg="k" + str(n), value=self.expr(depth - 1)) for n in range(2)])

    def _arr(self, depth):
        if depth == 0 or self.rng.random() < 0.3:
            return _name("A")
        r = self.rng.randrange(3)
        if r == 0:
            return gast.Subscript(value=self.expr(depth - 1, "arr"),
                                  slice=self._index(depth, 3), ctx=gast.Load())
        if r == 1:
            return gast.BinOp(left=self.expr(depth - 1, "arr"), op=gast.Pow(),
                              right=_const(self.pick(_SMALL)))
        return _call(_attr(_name("np"), "sum"), [self.expr(depth - 1, "arr")],
                     [gast.keyword(arg="axis", value=_const(self.pick([0, -1, None])))])

    def _slice(self, depth):
        part = lambda: None if self.rng.random() < 0.4 else self.pick([  # noqa: E731
            _const(self.rng.randrange(-5, 5)), _name("i"), _name("j"),
            gast.UnaryOp(op=gast.USub(), operand=_const(1)), _const(None)])
        step = part()
        if step is not None and self.rng.random() < 0.5:
            step = _const(self.pick([-1, -2, 2, None]))
        return gast.Slice(lower=part(), upper=part(), step=step)

    def _index(self, depth, n):
        parts = []
        for _ in range(self.rng.randrange(1, n + 1)):
            parts.append(self.pick([self._slice(depth), _const(Ellipsis), _const(None),
                                    _const(self.rng.randrange(-3, 3)),
                                    gast.UnaryOp(op=gast.USub(), operand=_const(1))]))
        if parts.count(_const(Ellipsis)) > 1 or (len(parts) == 1 and
                                                 self.rng.random() < 0.5):
            return parts[0]
        return gast.Tuple(elts=parts, ctx=gast.Load())

    def _lambda_call(self, depth):
        params = ["u", "v"][:self.rng.randrange(0, 3)]
        defaults = [self.expr(depth - 1, "num") for _ in params]
        self.scope += params
        body = self.expr(depth - 1, "num")
        self.scope = self.scope[:len(self.scope) - len(params)]
        fn = gast.Lambda(args=_args(params, defaults), body=body)
        return _call(fn, [self.expr(depth - 1, "num") for _ in params[:1]])

    def _comprehension(self, depth, cls):
        self.scope.append("q")
        generators = [gast.comprehension(
            target=_name("q", gast.Store), iter=self.expr(depth - 1, "seq"),
            ifs=[self.expr(depth - 1, "bool") for _ in range(self.rng.randrange(0, 2))],
            is_async=0)]
        if cls is gast.DictComp:
            node = cls(key=self.expr(depth - 1, self.pick(["num", "str"])),
                       value=self.expr(depth - 1), generators=generators)
        else:
            node = cls(elt=self.expr(depth - 1), generators=generators)
        self.scope.pop()
        return node

    def _f_call(self, depth):
        args = [self.expr(depth - 1) for _ in range(self.rng.randrange(0, 3))]
        if self.rng.random() < 0.3:
            args.append(gast.Starred(value=self.expr(depth - 1, "seq"), ctx=gast.Load()))
        keywords = [gast.keyword(arg=k, value=self.expr(depth - 1))
                    for k in ["a", "b"][:self.rng.randrange(0, 3)]]
        if self.rng.random() < 0.3:
            keywords.append(gast.keyword(arg=None, value=self.expr(depth - 1, "dict")))
        return _call(_name("f"), args, keywords)

    def _f_string(self, depth):
        values = []
        for _ in range(self.rng.randrange(1, 4)):
            if self.rng.random() < 0.4:
                values.append(_const(self.pick(_STRINGS[:13])))
            else:
                spec = None
                if self.rng.random() < 0.3:
                    spec = gast.JoinedStr(values=[_const(self.pick([">8", "^5", "=^9",
                                                                     ".3", "x"]))])
                values.append(gast.FormattedValue(
                    value=self.expr(depth - 1, self.pick(["num", "str", "seq"])),
                    conversion=self.pick([-1, -1, 114, 115, 97]), format_spec=spec))
        return gast.JoinedStr(values=values)

    # -- statements --

    def block(self, depth, loop=False, n=None):
        n = self.rng.randrange(1, 4) if n is None else n
        return [self.statement(depth, loop) for _ in range(n)]

    def target(self, depth):
        r = self.rng.randrange(7)
        if r == 5:  # a slice
            return gast.Subscript(value=_name("M"), slice=self._slice(depth),
                                  ctx=gast.Store())
        if r == 6:  # nested, with a subscript and an attribute
            inner = gast.Tuple(elts=[_name("v1", gast.Store), gast.Starred(
                value=_name("v2", gast.Store), ctx=gast.Store())], ctx=gast.Store())
            return gast.Tuple(elts=[gast.Subscript(value=_name("M"), slice=_name("i"),
                                                   ctx=gast.Store()),
                                    _attr(_name("o"), "v", gast.Store), inner],
                              ctx=gast.Store())
        if r <= 1:
            return _name(self.pick(["v0", "v1", "v2"]), gast.Store)
        if r == 2:
            elts = [_name(v, gast.Store) for v in ["v0", "v1"]]
            if self.rng.random() < 0.4:
                elts[self.rng.randrange(2)] = gast.Starred(
                    value=_name("v2", gast.Store), ctx=gast.Store())
            return gast.Tuple(elts=elts, ctx=gast.Store())
        if r == 3:
            return gast.Subscript(value=_name(self.pick(["M", "D"])),
                                  slice=_const(self.rng.randrange(-2, 2)), ctx=gast.Store())
        return _attr(_name("o"), self.pick(["v", "w"]), gast.Store)

    def statement(self, depth, loop=False):
        r = self.rng.randrange(11 if depth > 0 else 5)
        if r <= 1:
            target = self.target(depth)
            value = self.expr(depth, "seq" if target.__class__ is gast.Tuple else "any")
            s = _assign(target, value)
            if self.rng.random() < 0.2:
                s.targets.append(_name("v1", gast.Store))
            return s
        if r == 2:
            target = self.pick([_name("v0", gast.Store), _attr(_name("o"), "v", gast.Store),
                                gast.Subscript(value=_name("M"), slice=_const(0),
                                               ctx=gast.Store())])
            return gast.AugAssign(target=target, op=self.pick(_ARITH + [gast.Pow])(),
                                  value=self.expr(depth, "num"))
        if r == 3:
            if loop:
                return self.pick([gast.Break(), gast.Continue()])
            return gast.Expr(value=self.pick([self._f_call(depth), gast.NamedExpr(
                target=_name("w", gast.Store), value=self.expr(depth, "num")),
                _const(self.pick(_STRINGS)), self.expr(depth, "str")]))
        if r == 4:
            return self.pick([gast.Pass(), gast.Delete(targets=[gast.Subscript(
                value=_name(self.pick(["M", "D"])), slice=self.pick(
                    [_const(0), _const("a"), self._slice(depth)]), ctx=gast.Del())])])
        sub = depth - 1
        if r <= 6:
            orelse = []
            if self.rng.random() < 0.5:
                orelse = [self.statement(sub, loop)] if self.rng.random() < 0.5 else \
                    self.block(sub, loop)
            return gast.If(test=self.expr(sub, "bool"), body=self.block(sub, loop),
                           orelse=orelse)
        if r == 7:
            target = self.pick([_name("v3", gast.Store), gast.Tuple(
                elts=[_name("v3", gast.Store), _name("v4", gast.Store)], ctx=gast.Store())])
            it = _call(_name("range"), [_const(self.rng.randrange(4))])
            if target.__class__ is gast.Tuple:
                it = _call(_name("enumerate"), [self.expr(sub, "seq")])
            return gast.For(target=target, iter=it, body=self.block(sub, True),
                            orelse=self.block(sub, False) if self.rng.random() < 0.3 else [],
                            type_comment=None)
        if r == 8:  # bounded: the count is the first statement of the body
            counter = "c%d" % depth
            body = [gast.AugAssign(target=_name(counter, gast.Store), op=gast.Add(),
                                   value=_const(1))] + self.block(sub, True)
            return gast.If(test=_const(True), body=[
                _assign(_name(counter, gast.Store), _const(0)),
                gast.While(test=gast.Compare(left=_name(counter), ops=[gast.Lt()],
                                             comparators=[_const(3)]),
                           body=body, orelse=[])], orelse=[])
        if r == 9:  # a nested function, called
            body = self.block(sub, False) + [gast.Return(value=self.expr(sub))]
            if self.rng.random() < 0.3:
                body.insert(0, gast.If(test=self.expr(sub, "bool"),
                                       body=[gast.Return(value=None)], orelse=[]))
            return gast.If(test=_const(True), body=[
                _function("h", ["p"], body, [self.expr(sub, "num")]),
                _assign(_name("v0", gast.Store), _call(_name("h")))], orelse=[])
        return _assign(_name("v1", gast.Store), self.expr(depth, "any"))


_PRELUDE = "v0 = v1 = v2 = v3 = v4 = w = c0 = c1 = c2 = 0\nM = list(L)\nD = dict(d)\n"
_RESULT = "[v0, v1, v2, v3, v4, w, M, D, o.v, o.w]"


def _program(body):
    """The gast module: `def g(<_PARAMS>): <prelude>; <body>; return <_RESULT>`."""
    prelude = gast.parse(_PRELUDE).body
    result = gast.Return(value=gast.parse(_RESULT).body[0].value)
    return gast.Module(body=[_function("g", _PARAMS, prelude + body + [result])],
                       type_ignores=[])


# -- running and comparing --

_EXACT = (int, float, complex, str, bytes, bool, type(None), type(Ellipsis))


def _oracle(module):
    """CPython's code for gast `module` itself (NumPy scalar constants, which `compile`
    refuses, become names bound to them), and those bindings; None if CPython refuses
    the tree (a random tree need not be valid Python)."""
    tree = gast.gast_to_ast(module)  # (new nodes: the gast tree is left alone)
    consts = {}
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for k, item in enumerate(items):
                if isinstance(item, ast.Constant) and type(item.value) not in _EXACT:
                    name = "_k%d" % len(consts)
                    consts[name] = item.value
                    new = ast.Name(id=name, ctx=ast.Load())
                    if isinstance(value, list):
                        value[k] = new
                    else:
                        setattr(node, field, new)
    try:
        return _compile(ast.fix_missing_locations(tree), "<tree>"), consts
    except SyntaxError:
        return None, None


def _compile(tree, filename):
    with warnings.catch_warnings():  # ("is" with a literal, ...)
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile(tree, filename, "exec")


def _key(value, depth=0):
    """What is compared of a value: its type and contents, nan and the sign of zero
    told apart."""
    t = type(value)
    if isinstance(value, (float, np.floating)):
        return t.__name__, "nan" if value != value else repr(float(value))
    if isinstance(value, (complex, np.complexfloating)):
        return t.__name__, _key(float(value.real)), _key(float(value.imag))
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return t.__name__, int(value)
    if isinstance(value, (str, bytes)):
        return t.__name__, value
    if isinstance(value, (list, tuple)):
        return t.__name__, tuple(_key(v, depth) for v in value)
    if isinstance(value, dict):
        return "dict", tuple((_key(k), _key(v, depth)) for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return t.__name__, tuple(sorted(repr(_key(v)) for v in value))
    if isinstance(value, np.ndarray):
        return "ndarray", value.dtype.str, value.shape, _key(value.ravel().tolist())
    if isinstance(value, types.SimpleNamespace):
        return _key(vars(value), depth)
    if depth < 3 and (isinstance(value, types.GeneratorType) or callable(value)):
        return t.__name__, _outcome(lambda: list(value) if isinstance(
            value, types.GeneratorType) else value(), depth + 1)
    text = repr(value)
    return t.__name__, text if " at 0x" not in text else ""


def _outcome(run, depth=0):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return _key(run(), depth)
    except Exception as exc:  # noqa: BLE001 (the same exception type is the same outcome)
        return "raises", type(exc).__name__


def _run(code, consts):
    namespace = dict(consts)
    exec(code, namespace)
    return _outcome(lambda: namespace["g"](**_arguments()))


def _printed(module):
    """The text of `module` on both of emit's paths: (name, text). (Its blocks are
    filled on the way.)"""
    loads = set()
    via_astor = codegen.print_ast(codegen.printable(copy.deepcopy(module), loads))
    text, _ = printer.joined([printer.print_statements(module.body, 0, set())], 1)
    return [("astor", via_astor), ("printer", text)]


# -- the parsed text against the tree --

def _is_number(node):
    return isinstance(node, ast.Constant) and type(node.value) in (int, float, complex)


class _Normal(ast.NodeTransformer):
    """What a text cannot show: a negative number is a minus sign on a literal, a
    complex one a sum, or a call (see literals.number_text); JoinedStr parts that are
    adjacent strings are one; a NumPy scalar constant is written as a call, as is
    an empty set (`{1}.__class__()`), and an
    f-string astor cannot write as a sum of the str.format calls it stands for. And a
    `pass` is given to a block of only passes (optimize.fill_empty_blocks)."""

    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list):
                setattr(node, field, [s for s in block if not isinstance(s, ast.Pass)])
        return node

    def visit_Constant(self, node):
        if isinstance(node.value, np.generic):
            return ast.Name(id="numpy_" + type(node.value).__name__, ctx=ast.Load())
        return ast.Constant(value=node.value)  # (no `kind`)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, (ast.USub, ast.UAdd)) and _is_number(node.operand):
            value = node.operand.value
            return ast.Constant(value=-value if isinstance(node.op, ast.USub) else +value)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Add) and isinstance(node.left, ast.JoinedStr) and \
                isinstance(node.right, ast.JoinedStr):  # (f-strings written as a sum)
            return self.visit_JoinedStr(ast.JoinedStr(values=node.left.values +
                                                      node.right.values))
        if isinstance(node.op, (ast.Add, ast.Sub)) and _is_number(node.left) and \
                _is_number(node.right):
            a, b = node.left.value, node.right.value
            return ast.Constant(value=a + b if isinstance(node.op, ast.Add) else a - b)
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "__class__" and \
                isinstance(func.value, ast.Set) and not node.args:  # (an empty set)
            return ast.Set(elts=[])
        if isinstance(func, ast.Attribute) and func.attr == "__class__" and \
                _is_number(func.value) and all(map(_is_number, node.args)):
            return ast.Constant(value=complex(*[a.value for a in node.args]))
        if isinstance(func, ast.Attribute) and func.attr == "format" and \
                isinstance(func.value, ast.Constant) and isinstance(func.value.value, str):
            return self.visit(_joined(func.value.value, iter(node.args)))
        # (the text of a NumPy scalar)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and \
                isinstance(func.value.func, ast.Name) and \
                func.value.func.id == "__import__":
            return ast.Name(id="numpy_" + func.attr, ctx=ast.Load())
        return node

    def visit_JoinedStr(self, node):
        self.generic_visit(node)
        values = []
        for v in node.values:
            if values and isinstance(v, ast.Constant) and isinstance(values[-1], ast.Constant):
                values[-1] = ast.Constant(value=values[-1].value + v.value)
            elif not (isinstance(v, ast.Constant) and v.value == ""):
                values.append(v)
        node.values = values
        return node if any(isinstance(v, ast.FormattedValue) for v in values) else \
            ast.Constant(value="".join(v.value for v in values))


def _joined(template, fields):
    """The f-string that `template.format(*fields)` stands for."""
    values = []
    for literal, field, spec, conversion in string.Formatter().parse(template):
        if literal:
            values.append(ast.Constant(value=literal))
        if field is not None:
            value = next(fields)
            values.append(ast.FormattedValue(
                value=value, conversion=ord(conversion) if conversion else -1,
                format_spec=_joined(spec, fields) if spec else None))
    return ast.JoinedStr(values=values)


# 3.13's ast.dump leaves out empty fields by testing `value == []`, which a NumPy
# constant cannot answer; showing them all compares the same on both sides
_DUMP = {"show_empty": True} if sys.version_info >= (3, 13) else {}


def _dump(tree):
    """(`tree` is rewritten on the way)"""
    return ast.dump(_Normal().visit(tree), **_DUMP)


def _check_module(module):
    """Both printed texts of `module` compute what its tree computes, and parse back
    to it. Returns False when CPython refuses the tree itself."""
    code, consts = _oracle(module)
    if code is None:
        return False
    want = _run(code, consts)
    tree = _dump(gast.gast_to_ast(module))
    for path, text in _printed(module):
        # (a SyntaxError is a bug: CPython took the tree)
        assert _dump(ast.parse(text)) == tree, (path, text)
        got = _run(_compile(ast.parse(text), "<printed>"), {})
        assert got == want, (path, text, got, want)
    return True


@pytest.mark.parametrize("seed", range(40))
def test_random_statements_mean_what_their_tree_means(seed):
    gen = _Gen(random.Random(seed))
    checked = 0
    for _ in range(5):
        checked += _check_module(_program(gen.block(3, n=4)))
    assert checked >= 3  # (few trees are refused: the test checks something)


@pytest.mark.parametrize("seed", range(40))
def test_random_expressions_mean_what_their_tree_means(seed):
    gen = _Gen(random.Random(1000 + seed))
    checked = 0
    for _ in range(15):
        value = gen.expr(4)
        checked += _check_module(_program([_assign(_name("v0", gast.Store), value)]))
    assert checked >= 12


# -- the bugs the random trees found, one by one --

def _both_values(value_node):
    """The value `r` has after each printed text of `r = <value_node>` (the texts
    too), run where `np` names another module than NumPy."""
    out = []
    for path, text in _printed(gast.Module(body=[_assign(_name("r", gast.Store),
                                                         value_node)], type_ignores=[])):
        namespace = {"np": math}
        exec(text, namespace)
        out.append((text, namespace["r"]))
    return out


def _sign_key(value):
    # (the sign of a nan means nothing: 1e1000-1e1000 gives a negative one)
    return _key(value), [p == p and math.copysign(1, p) for p in (value.real, value.imag)]


@pytest.mark.parametrize("value", [complex(-0.0, 1), complex(0.0, -0.0), complex(-1, -0.0),
                                   complex(math.inf, -0.0), complex(math.nan, -0.0),
                                   complex(0.0, -1.0), complex(-0.0, 0.0), complex(0, math.nan),
                                   complex(-0.0, -2.0), complex(1.5, 0.0), 2j, 1 - 2j])
def test_a_complex_constant_keeps_the_signs_of_its_zeros(value):
    # astor wrote complex(-0.0, 1) as `1.0j` (real part +0.0), complex(0.0, -0.0) as
    # `-0.0j` (-0.0 for both), complex(-1, -0.0) as `(-1.0+0j)`: the other side of a
    # branch cut (np.log, np.sqrt, np.angle of a number on the negative real axis)
    for text, got in _both_values(_const(value)):
        assert _sign_key(got) == _sign_key(value), text
        with np.errstate(all="ignore"):
            assert _key(np.log(got)) == _key(np.log(value)), text


@pytest.mark.parametrize("value", [np.float64(1.5), np.float64(-0.0), np.float64(math.inf),
                                   np.float64(math.nan), np.float32(0.1), np.float32(-0.0),
                                   np.float16(0.1), np.longdouble("0.1"), np.int64(-7),
                                   np.int8(-3), np.uint8(200), np.bool_(True),
                                   np.complex128(1 - 2j), np.complex64(complex(-0.0, 1)),
                                   np.clongdouble(2j), np.str_("a'b")])
def test_a_numpy_scalar_constant_is_its_own_type_whatever_np_names(value):
    # astor wrote its repr, `np.float64(1.5)`: it read whatever `np` is in the user's
    # module (a NameError, or another module's float64), and `np.float64(1.0)j` (a
    # SyntaxError) for a complex one; np.float32 and np.int64 took the same path
    for text, got in _both_values(_const(value)):
        assert type(got) is type(value), text
        assert _key(got) == _key(value), text
        if isinstance(value, np.complexfloating):
            assert _sign_key(got) == _sign_key(value), text


@pytest.mark.parametrize("value", [(math.inf, -math.inf), (math.nan,), (-0.0, 1e-300),
                                   (np.int64(3), 4), ((1, math.inf), "s", None, ...),
                                   (complex(-0.0, 1), 2j), (), (3, 4)])
def test_a_tuple_constant_is_written_with_its_elements_texts(value):
    # astor wrote the repr, `(inf, -inf)`: names, a NameError (or a user's `inf`)
    for text, got in _both_values(_const(value)):
        assert _key(got) == _key(value), text


@pytest.mark.parametrize("src, want", [
    ("r = f'{ {n} }'", "{2}"),
    ("r = f'{ {n: 1} }'", "{2: 1}"),
    ("r = f'{ {q for q in [n]} }!'", "{2}!"),
    ("r = f'{ {n}!r:>5}'", "  {2}"),
    ("r = f'''say \"hi\" {'a' + \"b\"}'''", 'say "hi" ab'),
    ("r = f'{n:{n}}|{n!r:>{n + 1}}|'", " 2|  2|"),
])
def test_an_f_string_is_written_as_it_reads(src, want):
    # astor wrote `f'{ {n} }'` as f'{{n}}', the text "{n}"; quotes inside an
    # expression became escapes (a SyntaxError before Python 3.12)
    statement = gast.parse(src).body
    for path, text in _printed(gast.Module(body=statement, type_ignores=[])):
        namespace = {"n": 2}
        exec(text, namespace)
        assert namespace["r"] == want, (path, text)


def test_an_f_string_written_as_format_calls_formats_each_field_in_turn():
    # the first field fails to format before the second is evaluated: one
    # str.format call for all the fields would evaluate the second (ZeroDivisionError)
    statement = gast.parse("r = f'{ {n}:x}{1 / 0}'").body
    for path, text in _printed(gast.Module(body=statement, type_ignores=[])):
        with pytest.raises(TypeError):
            exec(text, {"n": 2})


def test_a_gradient_through_an_f_string_with_a_set_display():
    # the branch taken depends on the string: astor's text took the other one
    from reference import check
    src = """
    def f(x, n=2):
        label = f"{ {n} }"
        if label == "{2}":
            return x * np.sin(x)
        return x * 3.0
    """
    check(src, "f", (1.5,))
