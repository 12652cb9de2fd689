"""Small helpers to build and inspect gast nodes, shared by the passes."""
import copy

import gast


def name(id_, ctx=None):
    return gast.Name(id=id_, ctx=ctx or gast.Load(), annotation=None, type_comment=None)


def store(id_):
    return name(id_, gast.Store())


def const(value):
    return gast.Constant(value=value, kind=None)


def assign(target, value, origin=None):
    if isinstance(target, str):
        target = store(target)
    node = gast.Assign(targets=[target], value=value, type_comment=None)
    return located(node, origin)


def call(func, args=(), keywords=()):
    if isinstance(func, str):
        func = dotted(func)
    return gast.Call(func=func, args=list(args), keywords=list(keywords))


def dotted(path):
    """`a.b.c` as nested Attribute nodes."""
    parts = path.split(".")
    node = name(parts[0])
    for part in parts[1:]:
        node = gast.Attribute(value=node, attr=part, ctx=gast.Load())
    return node


def dotted_path(node):
    """'a.b.c' for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, gast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, gast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def located(node, origin):
    """Give `node` (and its children lacking one) the location of `origin`."""
    if origin is not None:
        for n in gast.walk(node):
            if getattr(n, "lineno", None) is None and hasattr(origin, "lineno"):
                n.lineno = origin.lineno
                n.col_offset = getattr(origin, "col_offset", 0)
                n.end_lineno = getattr(origin, "end_lineno", origin.lineno)
                n.end_col_offset = getattr(origin, "end_col_offset", 0)
    return node


def clone(node):
    return copy.deepcopy(node)


def load_names(node):
    """Names read by an expression or statement (in any Load context)."""
    return {n.id for n in gast.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def store_names(node):
    return {n.id for n in gast.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))}


def is_atom(node):
    return isinstance(node, (gast.Name, gast.Constant))


def is_break_guard(s):
    """Whether `s` is `if flag: break`, the only jump normalize leaves in a loop body."""
    return isinstance(s, gast.If) and len(s.body) == 1 and isinstance(s.body[0], gast.Break) \
        and not s.orelse


def comment(text):
    """A statement that codegen prints as a `# text` comment line."""
    return gast.Expr(value=gast.Call(func=name("__srcgrad_comment__"),
                                     args=[const(text)], keywords=[]))


def rename(node, mapping):
    """Rename Name nodes in place according to `mapping` (str -> str or node)."""
    class _R(gast.NodeTransformer):
        def visit_Name(self, n):
            new = mapping.get(n.id)
            if new is None:
                return n
            if isinstance(new, str):
                n.id = new
                return n
            return clone(new)
    return _R().visit(node)
