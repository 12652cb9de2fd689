"""gast tree -> Python `ast` tree for printing, in one direct recursion.

It builds what gast's own `gast_to_ast` builds (same node classes and fields; only
the source locations, which the printer never reads, are left out), without its
generic NodeTransformer dispatch: a table gives each gast class its `ast` class and
fields, and the few classes gast translates differently have their own function.
Comment statements (`syntax.comment`) in a body or an else block become
`make_comment(text)` on the way, so no second walk looks for them.
"""
import ast
import sys

import gast

_COMMENT_FUNC = "__srcgrad_comment__"
_AST = ast.AST
_MISSING = object()


def to_ast(node, make_comment):
    """The `ast` tree of gast tree `node`; `make_comment(text)` gives the `ast`
    statement that stands for a comment statement in a body or else block."""

    def convert(node):
        special = _SPECIAL.get(node.__class__)
        if special is not None:
            return special(node, convert, block, generic)
        return generic(node)

    def generic(node):
        """A node of the `ast` class of the same name, with the same fields."""
        cls = node.__class__
        target, fields = _TABLE[cls]
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

    return convert(node)


def _is_comment(s):
    return s.__class__ is gast.Expr and s.value.__class__ is gast.Call and \
        s.value.func.__class__ is gast.Name and s.value.func.id == _COMMENT_FUNC


class _Table(dict):
    """gast class -> (its `ast` class or None, ((field, is a block), ...))."""

    def __missing__(self, cls):
        entry = self[cls] = (getattr(ast, cls.__name__, None),
                             tuple((f, f in ("body", "orelse")) for f in cls._fields))
        return entry


_TABLE = _Table()


def _value(value, convert):
    if value.__class__ is list:
        return [convert(v) if isinstance(v, _AST) else v for v in value]
    return convert(value) if isinstance(value, _AST) else value


# What gast's GAstToAst3 does differently from its generic translation.

def _name(node, convert, block, generic):
    return ast.Name(node.id, convert(node.ctx))


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


def _via_gast(node, convert, block, generic):
    return gast.gast_to_ast(node)


_SPECIAL = {gast.Name: _name, gast.Assign: _assign, gast.ExceptHandler: _except_handler,
            gast.arguments: _arguments}
if sys.version_info < (3, 12):  # later, gast keeps their type parameters (generic)
    _SPECIAL.update({gast.FunctionDef: _function_def, gast.AsyncFunctionDef: _function_def,
                     gast.ClassDef: _class_def})
else:  # type parameters: rare in generated code, left to gast
    for _name_ in ("TypeVar", "TypeVarTuple", "ParamSpec"):
        if hasattr(gast, _name_):
            _SPECIAL[getattr(gast, _name_)] = _via_gast
