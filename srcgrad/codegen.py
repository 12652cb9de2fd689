"""gast tree -> Python source text (astor) -> live function objects.

The text is compiled as it is printed and registered in `linecache`, so tracebacks,
pdb and profilers show the generated lines, and `srcgrad.show` prints exactly the
code that runs. Helpers (NumPy, runtime functions, callee adjoints) reach the
generated functions as closure cells; the user's closure variables are the user's
own cells, so they are read live when the gradient is called.

Comments travel as statements (`syntax.comment`) that the printer writes as `# ...`
lines; the printed text is never edited afterwards, so string constants stay intact.
`build` also records, for each generated line, the user's line it came from, which
`locate` uses to give a RuntimeRefusal raised inside generated code the user's place.
The pipeline prints with `printer.Printer`, which writes this module's text (astor's)
straight from the gast tree and hands astor what it cannot be sure of. Both write
numbers, tuple constants and f-strings with `literals`' texts where astor's would
mean another value.
"""
import ast
import itertools
import linecache
import sys
import types
import weakref

import astor
import gast

from .literals import NUMBERS as _NUMBERS, format_pieces as _format_pieces
from .literals import number_text, reads_back as _reads_back, tuple_text
from .transforms.markers import OriginLine, note
from .transforms.optimize import fill_empty_blocks

_counter = itertools.count(1)
_COMMENT_FUNC = "__srcgrad_comment__"
_origins = {}  # generated filename -> (user filename, function, {line: user line})


class _Comment:
    """The value of a comment statement while it is printed: no source text can make
    one, so a user's string or call can never be printed as a comment."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = " ".join(str(text).splitlines())  # a comment is one line


class _Printer(astor.SourceGenerator):
    """astor's printer, writing comment statements as `# text` and no blank lines
    (astor puts them between function definitions)."""

    def visit_Expr(self, node):
        value = node.value
        if isinstance(value, ast.Constant) and isinstance(value.value, _Comment):
            self.statement(node, ("# " + value.value.text).rstrip())
            return
        super().visit_Expr(node)

    def visit_Constant(self, node):
        # Numbers are written as number_text writes them: astor's text, but where it
        # would not give the value back (a NumPy scalar, a complex number with a
        # signed zero). A negative number is a unary minus to Python's grammar: where
        # its parent binds tighter (the base of a power), astor would write
        # `-2.0 ** 2`, which is -(2.0 ** 2).
        value = node.value
        if isinstance(value, _NUMBERS):
            text = number_text(value)
            if text.startswith("-") and self.get__pp(node) > _USUB:
                self.write("(", text, ")")
                return
            with self.delimit(node):
                self.write(text)
            return
        if value.__class__ is tuple:  # (astor writes its repr: `inf` for an infinity)
            self.write(tuple_text(value))
            return
        super().visit_Constant(node)

    def visit_JoinedStr(self, node):
        # astor writes an f-string's expressions into the text it then quotes as a
        # string: `{ {x} }` became `{{x}}` (the text "{x}"), a quote in an expression
        # became an escape (a SyntaxError before Python 3.12). Its text is kept when it
        # reads back as the node; otherwise each field is written as the str.format
        # call it stands for, and the calls are added: each field is formatted before
        # the next one's expression is evaluated, as in the f-string.
        self.write("")  # (the pending newline, as astor's writer does first)
        result, start, colinfo = self.result, len(self.result), self.colinfo
        super().visit_JoinedStr(node)
        if _reads_back(node, "".join(result[start:])):
            return
        del result[start:]
        self.colinfo = colinfo
        pieces = _format_pieces(node)
        if len(pieces) > 1:
            self.write("(")
        set_precedence = astor.code_gen.set_precedence
        for k, (template, fields) in enumerate(pieces):
            self.write(" + " if k else "", repr(template))
            if fields:
                set_precedence(astor.op_util.Precedence.Comma, *fields)
                self.write(".format(")
                for n, field in enumerate(fields):
                    self.write(", " if n else "", field)
                self.write(")")
        if len(pieces) > 1:
            self.write(")")

    def visit_If(self, node):
        # astor's visit_If, but an `elif` is written as its If's statement (the same
        # text: a newline, then the words), so that the If is numbered too
        set_precedence = astor.code_gen.set_precedence
        set_precedence(node, node.test)
        self.statement(node, "if ", node.test, ":")
        self.body(node.body)
        while True:
            else_ = node.orelse
            if len(else_) == 1 and isinstance(else_[0], ast.If):
                node = else_[0]
                set_precedence(node, node.test)
                self.statement(node, "elif ", node.test, ":")
                self.body(node.body)
            else:
                self.else_body(else_)
                break

    first = 1  # the number of the text's first line
    line = 0  # lines begun so far: the line in the text of what is written next

    def newline(self, node=None, extra=0):
        # a newline already pending begins no second line (blank lines are dropped)
        if not self.new_lines:
            self.line += 1
        # a statement's first newline is its own line (astor writes `finally:` of a
        # Try with the Try node again); comments are no statements of the parsed text
        if isinstance(node, ast.stmt) and "lineno" not in node.__dict__ \
                and not _is_printed_comment(node):
            node.lineno = self.line + self.first - 1
        super().newline(node)


_USUB = astor.op_util.Precedence.USub
def _is_printed_comment(node):
    value = getattr(node, "value", None)
    return isinstance(value, ast.Constant) and isinstance(value.value, _Comment)


def _is_comment(node):
    return isinstance(node, gast.Expr) and isinstance(node.value, gast.Call) and \
        isinstance(node.value.func, gast.Name) and node.value.func.id == _COMMENT_FUNC


def to_source(tree):
    """Source text of `tree`; comment statements (syntax.comment) become `# ...` lines."""
    return print_ast(printable(tree))


def printable(tree, loads=None):
    """The `ast` tree `print_ast` prints for gast `tree` (empty blocks given a `pass`,
    comment statements made printable comments); the ids of the names it reads (Name
    nodes in a Load context; not a comment's marker) are added to the set `loads`."""
    fill_empty_blocks(tree)
    return to_ast(tree, _comment_statement, loads)


def print_ast(module):
    """The source text of an `ast` tree made by `printable`."""
    return astor.to_source(module, source_generator_class=_Printer).lstrip("\n")


def print_numbered(module, first):
    """(text, exact): the text `print_ast(module)` gives, each statement of `module`
    (not a comment) given on the way the `lineno` it has in that text when its first
    line is line `first`. `exact` is False when astor wrapped a long line (or wrote a
    string over several lines): then statements after it have wrong numbers, and the
    caller parses the text instead. Saves that parse, which was 1/6 of emit's time."""
    printer = _Printer(" " * 4, False, astor.code_gen.pretty_string)
    printer.first = first
    printer.visit(module)
    # what astor.to_source does after visiting
    result = printer.result
    result.append("\n")
    if set(result[0]) == set("\n"):
        result[0] = ""
    text = astor.code_gen.pretty_source(result).lstrip("\n")
    # a newline still pending at the end (after the last statement) was never written
    written = printer.line - (1 if printer.new_lines else 0)
    return text, text.count("\n") == written


def _comment_statement(text):
    return ast.Expr(value=ast.Constant(value=_Comment(text)))


# -- gast -> ast for the printer --
# to_ast builds what gast's own `gast_to_ast` builds (same node classes and fields;
# only the source locations, which the printer never reads, are left out), without
# its generic NodeTransformer dispatch: a table gives each gast class its `ast` class
# and fields, and the few classes gast translates differently have their own function.
# Comment statements in a body or an else block become `make_comment(text)` on the
# way, so no second walk looks for them.

_AST = ast.AST
_MISSING = object()
_GName, _GLoad = gast.Name, gast.Load


def to_ast(node, make_comment, loads=None):
    """The `ast` tree of gast tree `node`; `make_comment(text)` gives the `ast`
    statement that stands for a comment statement in a body or else block. The ids of
    the Name nodes converted in a Load context are added to the set `loads` (if given):
    what syntax.load_names would find but a comment's marker, without a walk of its own."""
    add_load = loads.add if loads is not None else None

    def convert(node):
        cls = node.__class__
        if cls is _GName:  # the commonest node, and the one that collects loads
            ctx = node.ctx
            if add_load is not None and ctx.__class__ is _GLoad:
                add_load(node.id)
            shared, fields = _TABLE[ctx.__class__]
            return ast.Name(node.id, shared if fields is None else convert(ctx))
        special = _SPECIAL.get(cls)
        if special is not None:
            return special(node, convert, block, generic)
        return generic(node)

    def generic(node):
        """A node of the `ast` class of the same name, with the same fields."""
        cls = node.__class__
        target, fields = _TABLE[cls]
        if fields is None:  # a context or operator: one shared node (as ast.parse does)
            return target
        if target is None:  # not a node of `ast`: dropped, as gast does
            return None
        new = target()
        state = new.__dict__
        for field, is_block in fields:
            value = getattr(node, field, _MISSING)
            if value is _MISSING:  # a field never set is left out, as gast does
                continue
            if value.__class__ is list:
                value = block(value) if is_block else \
                    [convert(v) if isinstance(v, _AST) else v for v in value]
            elif isinstance(value, _AST):
                value = convert(value)
            state[field] = value
        return new

    def block(statements):
        """A body or else block: comment statements become comments."""
        return [make_comment(s.value.args[0].value) if _is_comment(s)
                else convert(s) if isinstance(s, _AST) else s for s in statements]

    out = convert(node)
    # convert, generic and block call each other through their cells: a reference
    # cycle, freed otherwise only by the collector (paused while compiling); all of
    # them call convert, so clearing its cell breaks every loop
    convert = None
    return out


class _Table(dict):
    """gast class -> (its `ast` class or None, ((field, is a block), ...)), or for an
    expression context or operator (no fields, no attributes), (the one `ast` node
    that stands for every one of them, None): the printer only reads their class."""

    def __missing__(self, cls):
        target = getattr(ast, cls.__name__, None)
        if cls in _SHARED and target is not None:
            entry = self[cls] = (target(), None)
        else:
            entry = self[cls] = (target, tuple((f, f in ("body", "orelse"))
                                               for f in cls._fields))
        return entry


_TABLE = _Table()
_TABLE[type(None)] = (None, None)  # a Name's ctx set to None: None, as gast's _visit gives
_SHARED = frozenset(c for base in (gast.expr_context, gast.operator, gast.unaryop,
                                   gast.cmpop, gast.boolop)
                    for c in base.__subclasses__()  # (ast's own classes too)
                    if getattr(gast, c.__name__, None) is c and not c._fields)


def _value(value, convert):
    if value.__class__ is list:
        return [convert(v) if isinstance(v, _AST) else v for v in value]
    return convert(value) if isinstance(value, _AST) else value


# What gast's GAstToAst3 does differently from its generic translation.

def _assign(node, convert, block, generic):
    return ast.Assign(_value(node.targets, convert), _value(node.value, convert))


def _except_handler(node, convert, block, generic):
    if not node.name:
        return generic(node)
    return ast.ExceptHandler(_value(node.type, convert), node.name.id, block(node.body))


def _function_def(node, convert, block, generic):
    cls = ast.FunctionDef if node.__class__ is gast.FunctionDef else ast.AsyncFunctionDef
    return cls(node.name, _value(node.args, convert), block(node.body),
               _value(node.decorator_list, convert), _value(node.returns, convert),
               node.type_comment)


def _class_def(node, convert, block, generic):
    return ast.ClassDef(node.name, _value(node.bases, convert),
                        _value(node.keywords, convert), block(node.body),
                        _value(node.decorator_list, convert))


def _arguments(node, convert, block, generic):
    def arg(a):
        if a is None:
            return None
        return ast.arg(a.id, _value(a.annotation, convert), a.type_comment)
    return ast.arguments([arg(a) for a in node.posonlyargs], [arg(a) for a in node.args],
                         arg(node.vararg), [arg(a) for a in node.kwonlyargs],
                         _value(node.kw_defaults, convert), arg(node.kwarg),
                         _value(node.defaults, convert))


def _type_var(node, convert, block, generic):  # (3.12: gast's visit_TypeVar)
    return ast.TypeVar(node.name, _value(node.bound, convert))


def _named_type_param(node, convert, block, generic):  # TypeVarTuple, ParamSpec (3.12)
    return getattr(ast, node.__class__.__name__)(node.name)


_SPECIAL = {gast.Assign: _assign, gast.ExceptHandler: _except_handler,
            gast.arguments: _arguments}
if sys.version_info < (3, 12):  # later, gast keeps their type parameters (generic)
    _SPECIAL.update({gast.FunctionDef: _function_def, gast.AsyncFunctionDef: _function_def,
                     gast.ClassDef: _class_def})
elif sys.version_info < (3, 13):  # gast drops the type parameters' default_value
    # (later Pythons have it: generic). Their names are collected in `loads` too.
    _SPECIAL.update({gast.TypeVar: _type_var, gast.TypeVarTuple: _named_type_param,
                     gast.ParamSpec: _named_type_param})


def _statements(body):
    """The statements of `body` in source order, nested blocks included."""
    for s in body:
        if s.__class__ is ast.Expr and _is_printed_comment(s):
            continue  # (of a printed tree: the parsed text has no comment statements)
        yield s
        for field in ("body", "orelse"):
            sub = getattr(s, field, None)
            if isinstance(sub, list):
                yield from _statements(sub)


def statement_lines(module):
    """The line of each statement of a parsed `module`, in `_statements` order."""
    return [s.lineno for s in _statements(module.body)]


def line_origins(tree, numbers, first, last):
    """{generated line: user line} for each statement of `tree`, printed in a text in
    which its statements begin at lines `numbers` (in `_statements` order: the lines
    the printer numbered, or `statement_lines` of the parsed text). A statement's user
    line is that of the `# grad of:` comment before it in its block (or an enclosing
    one), else its own line when it lies in the user's function (lines first..last),
    else its enclosing statement's."""
    marks = []

    def visit(body, inherited):
        current = inherited
        for s in body:
            if _is_comment(s):
                origin = note(s, OriginLine)
                line = origin.line if origin is not None else None
                current = line if line is not None else inherited
                continue
            own = getattr(s, "lineno", None)
            origin = current
            if origin is None and own is not None and first <= own <= last:
                origin = own
            marks.append(origin)
            for field in ("body", "orelse"):
                sub = getattr(s, field, None)
                if isinstance(sub, list):
                    visit(sub, origin)
    visit(tree.body, None)
    visit = None  # it calls itself through its cell: a cycle the paused collector keeps
    out = {}
    if len(numbers) != len(marks):  # never expected: then no mapping rather than a wrong one
        return out
    for line, origin in zip(numbers, marks):
        if origin is not None:
            out[line] = origin
    return out


class _Unit:
    """One compiled text: its code and the file name it is registered under in
    `linecache` (and `_origins`). The generated functions hold it, so the entries go
    when the last function compiled from the text is freed."""

    __slots__ = ("code", "filename", "__weakref__")

    def __init__(self, code, filename):
        self.code = code
        self.filename = filename


_units = weakref.WeakValueDictionary()  # (text, origins) -> _Unit, to reuse the code


def _forget(filename, entry):
    if linecache.cache.get(filename) is entry:
        del linecache.cache[filename]
    _origins.pop(filename, None)


def _compiled(text, factory_name, save_to, origins, parsed):
    """The _Unit of `text`: the one already compiled from the same text (and origins)
    while any function of it lives, else a new one (from `parsed`, the text's module,
    when given: the same code without a second parse)."""
    key = None
    if not save_to:
        key = (text, None if origins is None else
               (origins[0], origins[1], tuple(sorted(origins[2].items()))))
        unit = _units.get(key)
        if unit is not None:
            return unit
        filename = f"<srcgrad {factory_name} #{next(_counter)}>"
    else:
        filename = str(save_to)
        with open(filename, "w") as fh:
            fh.write(text)
    entry = (len(text), None, text.splitlines(True), filename)
    linecache.cache[filename] = entry
    if origins is not None:
        _origins[filename] = origins
    unit = _Unit(compile(text if parsed is None else parsed, filename, "exec"), filename)
    weakref.finalize(unit, _forget, filename, entry)
    if key is not None:
        _units[key] = unit
    return unit


def build(text, factory_name, inner_names, helpers, fn, save_to=None, origins=None,
          parsed=None):
    """Compile `text` (one factory def) and return ({inner name: function}, filename).

    `helpers` maps free names to objects; other free names must be closure
    variables of the user's function `fn`, whose cells are shared, not copied.
    `origins`: (user filename, function name, {generated line: user line}). The same
    text compiles once while functions of it live (they hold its _Unit); its
    `linecache` entry goes with the last of them. `parsed`: `ast.parse(text)`, if the
    caller has it.
    """
    unit = _compiled(text, factory_name, save_to, origins, parsed)
    factory = next(c for c in unit.code.co_consts
                   if isinstance(c, types.CodeType) and c.co_name == factory_name)
    user_cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    out = {}
    for code in factory.co_consts:
        if not isinstance(code, types.CodeType) or code.co_name not in inner_names:
            continue
        cells = []
        for free in code.co_freevars:
            if free in helpers:
                cells.append(types.CellType(helpers[free]))
            else:
                cells.append(user_cells[free])
        func = types.FunctionType(code, fn.__globals__, code.co_name, None, tuple(cells))
        func.__srcgrad_unit__ = unit
        out[code.co_name] = func
    return out, unit.filename


def locate(exc):
    """Give `exc` (a SrcgradError without a location, e.g. a RuntimeRefusal) the user's
    file and line of the statement whose generated code raised it: the innermost
    frame of generated code in its traceback. Returns `exc`."""
    if getattr(exc, "lineno", None):
        return exc
    tb, found = exc.__traceback__, None
    while tb is not None:
        info = _origins.get(tb.tb_frame.f_code.co_filename)
        if info is not None and tb.tb_lineno in info[2]:
            found = (info, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return exc
    (filename, function, lines), lineno = found
    exc.filename, exc.lineno, exc.function = filename, lines[lineno], function
    if hasattr(exc, "_format"):
        exc.args = (exc._format(),)
    return exc
