"""Print gast statements as the text astor prints for them, without an `ast` tree.

`codegen` prints a gast tree by converting it to `ast` (`to_ast`) and running astor's
printer (`codegen._Printer`) over it, then astor's line wrapper over the tokens. Both
are generic, and they were most of `emit`'s time. `Printer` writes the node kinds
generated code is made of (assignments, calls, operators, subscripts, constants, `if`,
`for`, `while`, `def`, comments...) straight from the gast tree, with astor's rules:
the same parentheses by precedence (astor's `Precedence` table: a node is put in
parentheses when its precedence is below the one its parent gave it, and a child
its parent gives none gets the highest), the same numbers and strings, `# text` for
comment statements. Whatever else a statement holds (lambdas, comprehensions,
f-strings, strings astor may print triple-quoted, a line astor would wrap because
it is over 79 characters, ...) makes the printer hand that statement to astor: it is
converted and printed alone, at its indentation, which gives the text astor gives
for it in the whole tree. Of a `for`, `while` or `def` statement, a too long or unusual
header alone is handed over (printed with a `pass` body, whose line is dropped).
Blocks are given their `pass` (optimize.fill_empty_blocks's rule) as they are printed.

On the way the printer numbers the statements (each one's first line in its text, in
`codegen._statements` order: the lines the parsed text gives them) and collects the
names read, as `codegen.printable` does. `exact` is False when a text handed to astor
may have put a nested statement on another line than astor's count (the caller parses).
"""
import ast
import copy

import gast
from astor.op_util import Precedence, precedence_data, symbol_data
from astor.source_repr import split_lines
from astor.string_repr import pretty_string

from . import codegen
from .transforms.optimize import fill_empty_blocks

_MAXLINE = 79  # astor's split_lines leaves a line of at most this many characters alone
_INDENT = " " * 4

_HIGHEST = Precedence.highest
_COMMA = Precedence.Comma
_ONE_ARG = Precedence.call_one_arg
_CONSTANT = Precedence.Constant
_TUPLE = Precedence.Tuple
_SUBSCRIPT = Precedence.Subscript
_SLICE = Precedence.Slice
_POW_LEFT = Precedence.Pow + 1
_POW_RIGHT = Precedence.PowRHS
_IFEXP = Precedence.IfExp
_EXPR = Precedence.Expr
_ASSIGN = Precedence.Assign
_USUB = Precedence.USub

# operator class -> astor's precedence and symbol: for the `ast` classes (a tree may
# hold some) and the gast classes of their names
_PREC, _SYMBOL = {}, {}
for _cls, _prec in precedence_data.items():
    for _c in (_cls, getattr(gast, getattr(_cls, "__name__", ""), None)):
        if _c is not None:
            _PREC[_c], _SYMBOL[_c] = _prec, symbol_data[_cls]
_POW = (gast.Pow, ast.Pow)
_SPACED = {cls: f" {sym} " for cls, sym in _SYMBOL.items()}
_AUG = {cls: f" {sym}= " for cls, sym in _SYMBOL.items()}
_LOAD, _NAME = gast.Load, gast.Name
_NUMBERS = codegen._NUMBERS  # (NumPy's scalars too)


class _Delegate(Exception):
    """Raised while printing a statement that astor must print."""


def print_statements(statements, level, loads):
    """A Printer of `statements` at indentation `level`; names read are added to
    `loads`. Their empty blocks are given a `pass` on the way, as `codegen.printable`
    does (with optimize.fill_empty_blocks) before it prints."""
    out = Printer(loads)
    out.block(statements, level)
    return out


def _fill(node):
    """optimize.fill_empty_blocks's rule for one compound statement, applied as the
    printer comes to it (not by a walk of its own): a body of only comments and
    `pass`es gets a `pass`, an else block of only comments is dropped. Once per
    statement: a filled body is still "only comments and passes"."""
    if _blank(node.body):
        node.body = node.body + [gast.Pass()]
    if node.__class__ is not gast.FunctionDef and _blank(node.orelse):
        node.orelse = []


def _blank(statements):
    for s in statements:
        if s.__class__ is not gast.Pass and not (
                s.__class__ is gast.Expr and codegen._is_comment(s)):
            return False
    return True


def joined(parts, first):
    """(text, numbers): the text of Printers `parts` one after the other, and each
    statement's line in it when it begins at line `first` (None if not `exact`)."""
    lines, numbers, exact = [], [], True
    for part in parts:
        start = len(lines) + first - 1
        numbers += [start + n for n in part.numbers]
        lines += part.lines
        exact = exact and part.exact
    return "\n".join(lines) + "\n", numbers if exact else None


class Printer:
    """Lines of text printed from gast statements (see the module docstring).

    `lines`: the text's lines (no newlines); `numbers`: each statement's first line
    (from 1), in `codegen._statements` order, comments left out; `loads`: the set the
    ids of the names read are added to; `exact`: whether `numbers` can be trusted."""

    def __init__(self, loads=None):
        self.lines = []
        self.numbers = []
        self.loads = set() if loads is None else loads
        self._add_load = self.loads.add
        self.exact = True

    # -- statements --

    def block(self, statements, level):
        for s in statements:
            self.statement(s, level)

    def statement(self, s, level):
        cls = s.__class__
        compound = _COMPOUND.get(cls)
        if compound is not None:
            compound(self, s, level)
            return
        indent = _INDENT * level
        if cls is gast.Expr and codegen._is_comment(s):
            text = " ".join(str(s.value.args[0].value).splitlines())
            self.lines.append(indent + ("# " + text).rstrip())  # (never wrapped)
            return
        simple = _SIMPLE.get(cls)
        if simple is not None:
            try:
                line = indent + simple(self, s)
            except _Delegate:
                line = None
            if line is not None and len(line) <= _MAXLINE:
                self.lines.append(line)
                self.numbers.append(len(self.lines))
                return
        self._by_astor(s, level)

    def _assign(self, s):
        value = self.expr(s.value, _ASSIGN)
        targets = s.targets
        if len(targets) == 1:
            return self.expr(targets[0], _ASSIGN, True) + " = " + value
        first = self.expr(targets[0], _ASSIGN, True)
        return " = ".join([first] + [self.expr(t, _ASSIGN) for t in targets[1:]] + [value])

    def _aug_assign(self, s):
        return self.expr(s.target, Precedence.AugAssign, True) + _AUG[s.op.__class__] + \
            self.expr(s.value, Precedence.AugAssign)

    def _expr_statement(self, s):
        return self.expr(s.value, _EXPR, True)

    def _return(self, s):
        if s.value is None:
            return "return"
        return "return " + self.expr(s.value, Precedence.Return)

    def _if(self, s, level):
        # the headers of the if/elif chain first: if astor must print one, it prints
        # the whole statement (filling its blocks: none is filled yet)
        chain, node, keyword = [], s, "if "
        try:
            while True:
                chain.append((node, self._header_line(
                    level, keyword + self.expr(node.test, Precedence.If) + ":")))
                orelse = node.orelse  # (never blank: filling leaves the chain as it is)
                if len(orelse) == 1 and orelse[0].__class__ is gast.If:
                    node, keyword = orelse[0], "elif "
                    continue
                break
        except _Delegate:
            self._by_astor(s, level)
            return
        for node, line in chain:
            _fill(node)
            self.lines.append(line)
            self.numbers.append(len(self.lines))
            self.block(node.body, level + 1)
        self._else(node.orelse, level)

    def _for(self, s, level):
        _fill(s)
        try:
            self._header(s, level, "for " + self.expr(s.target, Precedence.For) + " in " +
                         self.expr(s.iter, _HIGHEST) + ":")
        except _Delegate:
            self._header_by_astor(s, level)
        self.block(s.body, level + 1)
        self._else(s.orelse, level)

    def _while(self, s, level):
        _fill(s)
        try:
            self._header(s, level, "while " + self.expr(s.test, Precedence.While) + ":")
        except _Delegate:
            self._header_by_astor(s, level)
        self.block(s.body, level + 1)
        self._else(s.orelse, level)

    def _function(self, s, level):
        _fill(s)
        self.function_header(s, level)
        self.block(s.body, level + 1)

    def function_header(self, s, level):
        """Print the `def` line(s) of FunctionDef `s` (not its body)."""
        try:
            if s.decorator_list or s.returns is not None or getattr(s, "type_params", None):
                raise _Delegate
            self._header(s, level, "def " + s.name + "(" + self._arguments(s.args) + "):")
        except _Delegate:
            self._header_by_astor(s, level)

    def _header(self, s, level, text):
        self.lines.append(self._header_line(level, text))
        self.numbers.append(len(self.lines))

    @staticmethod
    def _header_line(level, text):
        line = _INDENT * level + text
        if len(line) > _MAXLINE:
            raise _Delegate
        return line

    def _else(self, orelse, level):
        if orelse:
            self.lines.append(_INDENT * level + "else:")
            self.block(orelse, level + 1)

    def _arguments(self, a):
        if a.posonlyargs:
            raise _Delegate
        parts = []
        self._loop_args(parts, a.args, a.defaults)
        if a.vararg is not None:
            parts.append("*" + self._arg(a.vararg))
        if a.kwonlyargs:
            if a.vararg is None:
                parts.append("*")
            self._loop_args(parts, a.kwonlyargs, a.kw_defaults)
        if a.kwarg is not None:
            parts.append("**" + self._arg(a.kwarg))
        return ", ".join(parts)

    def _loop_args(self, parts, args, defaults):
        pad = len(args) - len(defaults)  # the first ones have no default
        for i, arg in enumerate(args):
            default = defaults[i - pad] if i >= pad else None
            parts.append(self._arg(arg) if default is None else
                         self._arg(arg) + "=" + self.expr(default, _COMMA))

    @staticmethod
    def _arg(arg):
        if arg.__class__ is not gast.Name or arg.annotation is not None:
            raise _Delegate
        return arg.id

    # -- what astor prints --

    def _by_astor(self, s, level):
        """Statement `s`, none of whose blocks is filled yet, as astor prints it."""
        fill_empty_blocks(s)
        lines, numbers, counted = self._astor_lines(s, level)
        self._add(lines, numbers, counted)

    def _header_by_astor(self, s, level):
        """The header of compound statement `s`: astor's lines for `s` with a `pass`
        body and no else block, but the last line (the `pass`)."""
        bare = copy.copy(s)
        bare.body = [gast.Pass()]
        if hasattr(bare, "orelse"):
            bare.orelse = []
        lines, numbers, counted = self._astor_lines(bare, level)
        self._add(lines[:-1], numbers[:-1], counted)  # (the pass is the last)

    def _add(self, lines, numbers, counted):
        # astor's count of lines is right unless a line was wrapped or a string written
        # over several lines: then a statement after the first line may be misplaced
        if not counted and numbers[-1] != 1:
            self.exact = False
        start = len(self.lines)
        self.lines += lines
        self.numbers += [start + n for n in numbers]

    def _astor_lines(self, s, level):
        """(lines, numbers, counted): astor's lines for statement `s` at indentation
        `level`, the lines (from 1) its printer numbered the statements with, and whether
        it began as many lines as there are."""
        tree = codegen.to_ast(s, codegen._comment_statement, self.loads)
        printer = codegen._Printer(_INDENT, False, pretty_string)
        printer.indentation = level
        printer.visit(tree)
        written = printer.line - (1 if printer.new_lines else 0)
        printer.result.append("\n")  # (the wrapper takes a line at its newline)
        text = "".join(split_lines(printer.result))
        lines = text[1:-1].split("\n")  # (it begins with the statement's newline)
        numbers = [t.lineno for t in codegen._statements([tree])]
        return lines, numbers, len(lines) == written

    # -- expressions: the text of `node` where its parent gives it precedence `pp`;
    # `first`: it begins its line (astor may print a string there triple-quoted) --

    def expr(self, node, pp, first=False):
        cls = node.__class__
        if cls is _NAME:  # (half the nodes)
            if node.ctx.__class__ is _LOAD:
                self._add_load(node.id)
            return node.id
        printer = _EXPRESSIONS.get(cls)
        if printer is None:
            raise _Delegate
        return printer(self, node, pp, first)

    def _constant(self, node, pp, first):
        value = node.value
        if isinstance(value, _NUMBERS):
            text = codegen.number_text(value)
            # (a negative one where a unary minus would need them: codegen._Printer)
            if _CONSTANT >= pp and not (pp > _USUB and text[0] == "-"):
                return text
            return "(" + text + ")"
        if isinstance(value, str):
            # astor's pretty_string gives the repr here; elsewhere it may try quotes
            # over several lines: astor decides
            if first or "\n" in value or getattr(node, "kind", None):
                raise _Delegate
            text = repr(value)
            if pp > _EXPR or pp >= _ASSIGN or len(text) < 20:
                return text
            raise _Delegate
        if value is Ellipsis:
            return "..."
        text = codegen.tuple_text(value) if value.__class__ is tuple else repr(value)
        if "\n" in text:  # (an object's repr): the line count is astor's to take
            raise _Delegate
        return text

    def _attribute(self, node, pp, first):
        return self.expr(node.value, _HIGHEST, first) + "." + node.attr

    def _call(self, node, pp, first):
        args, keywords = node.args, node.keywords
        p = _COMMA if len(args) + len(keywords) > 1 else _ONE_ARG
        expr = self.expr
        parts = [expr(a, p) for a in args]
        for k in keywords:
            parts.append((k.arg + "=" if k.arg else "**") + expr(k.value, _COMMA))
        return expr(node.func, _HIGHEST, first) + "(" + ", ".join(parts) + ")"

    def _bin_op(self, node, pp, first):
        op = node.op.__class__
        p = _PREC[op]
        if op in _POW:
            text = self.expr(node.left, _POW_LEFT) + " ** " + self.expr(node.right, _POW_RIGHT)
        else:
            text = self.expr(node.left, p) + _SPACED[op] + self.expr(node.right, p + 1)
        return text if p >= pp else "(" + text + ")"

    def _unary_op(self, node, pp, first):
        op = node.op.__class__
        p = _PREC[op]
        symbol = _SYMBOL[op]
        text = symbol + (" " if symbol.isalpha() else "") + self.expr(node.operand, p)
        return text if p >= pp else "(" + text + ")"

    def _compare(self, node, pp, first):
        p = _PREC[node.ops[0].__class__]
        parts = [self.expr(node.left, p + 1)]
        for op, right in zip(node.ops, node.comparators):
            parts.append(_SPACED[op.__class__])
            parts.append(self.expr(right, p + 1))
        text = "".join(parts)
        return text if p >= pp else "(" + text + ")"

    def _bool_op(self, node, pp, first):
        op = node.op.__class__
        p = _PREC[op]
        text = _SPACED[op].join([self.expr(v, p + 1) for v in node.values])
        return text if p >= pp else "(" + text + ")"

    def _subscript(self, node, pp, first):
        return self.expr(node.value, _HIGHEST, first) + "[" + \
            self.expr(node.slice, _SUBSCRIPT) + "]"

    def _slice(self, node, pp, first):
        lower, upper, step = node.lower, node.upper, node.step
        text = ("" if lower is None else self.expr(lower, _SLICE)) + ":" + \
            ("" if upper is None else self.expr(upper, _SLICE))
        if step is not None:
            if step.__class__ is gast.Name and step.id == "None":  # astor leaves it out
                if step.ctx.__class__ is _LOAD:
                    self.loads.add(step.id)
                return text + ":"
            text += ":" + self.expr(step, _SLICE)
        return text

    def _tuple(self, node, pp, first):
        elts = node.elts
        text = ", ".join([self.expr(e, _COMMA) for e in elts])
        if len(elts) == 1:
            text += ","
        return text if _TUPLE >= pp and elts else "(" + text + ")"

    def _list(self, node, pp, first):
        return "[" + ", ".join([self.expr(e, _COMMA) for e in node.elts]) + "]"

    def _set(self, node, pp, first):
        if not node.elts:
            return "{1}.__class__()"
        return "{" + ", ".join([self.expr(e, _COMMA) for e in node.elts]) + "}"

    def _dict(self, node, pp, first):
        expr = self.expr
        return "{" + ", ".join([
            ("**" if k is None else expr(k, _HIGHEST) + ": ") + expr(v, _COMMA)
            for k, v in zip(node.keys, node.values)]) + "}"

    def _if_exp(self, node, pp, first):
        text = self.expr(node.body, _IFEXP + 1) + " if " + \
            self.expr(node.test, _IFEXP + 1) + " else " + self.expr(node.orelse, _IFEXP)
        return text if _IFEXP >= pp else "(" + text + ")"

    def _starred(self, node, pp, first):
        return "*" + self.expr(node.value, _HIGHEST)


_SIMPLE = {gast.Assign: Printer._assign, gast.AugAssign: Printer._aug_assign,
           gast.Expr: Printer._expr_statement, gast.Return: Printer._return,
           gast.Pass: lambda self, s: "pass", gast.Break: lambda self, s: "break",
           gast.Continue: lambda self, s: "continue"}
_COMPOUND = {gast.If: Printer._if, gast.For: Printer._for, gast.While: Printer._while,
             gast.FunctionDef: Printer._function}
_EXPRESSIONS = {
    gast.Constant: Printer._constant, gast.Attribute: Printer._attribute,
    gast.Call: Printer._call, gast.BinOp: Printer._bin_op, gast.UnaryOp: Printer._unary_op,
    gast.Compare: Printer._compare, gast.BoolOp: Printer._bool_op,
    gast.Subscript: Printer._subscript, gast.Slice: Printer._slice,
    gast.Tuple: Printer._tuple, gast.List: Printer._list, gast.Set: Printer._set,
    gast.Dict: Printer._dict, gast.IfExp: Printer._if_exp, gast.Starred: Printer._starred}
