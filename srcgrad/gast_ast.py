"""gast tree -> Python `ast` tree for printing, in one direct recursion.

It builds what gast's own `gast_to_ast` builds (same node classes and fields; only
the source locations, which the printer never reads, are left out), without its
generic NodeTransformer dispatch. Comment statements (`syntax.comment`) in a body or
an else block become `make_comment(text)` on the way, so no second walk finds them.
"""
import ast
import sys

import gast

_COMMENT_FUNC = "__srcgrad_comment__"
_MISSING = object()
_BLOCK_FIELDS = ("body", "orelse")  # where comment statements are printed as comments


def to_ast(node, make_comment):
    """The `ast` tree of gast tree `node`; `make_comment(text)` gives the `ast`
    statement that stands for a comment statement in a body or else block."""
    return _Converter(make_comment).convert(node)


def _is_comment(s):
    return s.__class__ is gast.Expr and s.value.__class__ is gast.Call and \
        s.value.func.__class__ is gast.Name and s.value.func.id == _COMMENT_FUNC


class _Converter:
    def __init__(self, make_comment):
        self.make_comment = make_comment

    def convert(self, node):
        cls = node.__class__
        special = _SPECIAL.get(cls)
        if special is not None:
            return special(self, node)
        return self.generic(node)

    def generic(self, node):
        """A node of the `ast` class of the same name with the same fields, converted."""
        cls = node.__class__
        target = _target(cls)
        if target is None:  # not a node of `ast`: dropped, as gast does
            return None
        new = target()
        state = new.__dict__
        for field in cls._fields:
            value = getattr(node, field, _MISSING)
            if value is not _MISSING:  # a field never set is left out, as gast does
                state[field] = self.value(value, field)
        return new

    def value(self, value, field=None):
        if isinstance(value, ast.AST):
            return self.convert(value)
        if value.__class__ is list:
            if field in _BLOCK_FIELDS:
                return [self.make_comment(s.value.args[0].value) if _is_comment(s)
                        else self.convert(s) if isinstance(s, ast.AST) else s
                        for s in value]
            return [self.convert(v) if isinstance(v, ast.AST) else v for v in value]
        return value

    # what gast's GAstToAst3 does differently from its generic translation

    def name(self, node):
        return ast.Name(node.id, self.value(node.ctx))

    def assign(self, node):
        return ast.Assign(self.value(node.targets), self.value(node.value))

    def except_handler(self, node):
        if not node.name:
            return self.generic(node)
        return ast.ExceptHandler(self.value(node.type), node.name.id,
                                 self.value(node.body, "body"))

    def function_def(self, node):
        cls = ast.FunctionDef if node.__class__ is gast.FunctionDef else ast.AsyncFunctionDef
        return cls(node.name, self.value(node.args), self.value(node.body, "body"),
                   self.value(node.decorator_list), self.value(node.returns),
                   self.value(node.type_comment))

    def class_def(self, node):
        return ast.ClassDef(node.name, self.value(node.bases), self.value(node.keywords),
                            self.value(node.body, "body"), self.value(node.decorator_list))

    def arguments(self, node):
        arg = self.arg
        return ast.arguments([arg(a) for a in node.posonlyargs], [arg(a) for a in node.args],
                             arg(node.vararg), [arg(a) for a in node.kwonlyargs],
                             self.value(node.kw_defaults), arg(node.kwarg),
                             self.value(node.defaults))

    def arg(self, node):
        if node is None:
            return None
        return ast.arg(node.id, self.value(node.annotation), self.value(node.type_comment))

    def via_gast(self, node):
        return gast.gast_to_ast(node)


_targets = {}


def _target(cls):
    """The `ast` class of gast class `cls` (None if `ast` has none)."""
    try:
        return _targets[cls]
    except KeyError:
        _targets[cls] = target = getattr(ast, cls.__name__, None)
        return target


_SPECIAL = {gast.Name: _Converter.name, gast.Assign: _Converter.assign,
            gast.ExceptHandler: _Converter.except_handler,
            gast.arguments: _Converter.arguments}
if sys.version_info < (3, 12):  # later, gast keeps their type parameters (generic)
    _SPECIAL.update({gast.FunctionDef: _Converter.function_def,
                     gast.AsyncFunctionDef: _Converter.function_def,
                     gast.ClassDef: _Converter.class_def})
else:  # type parameters: rare in generated code, left to gast
    for _name in ("TypeVar", "TypeVarTuple", "ParamSpec"):
        if hasattr(gast, _name):
            _SPECIAL[getattr(gast, _name)] = _Converter.via_gast
