"""Small helpers to build and inspect gast nodes, shared by the passes."""

import gast
from ..treewalk import copy_tree, names, walk


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
    if origin is not None and hasattr(origin, "lineno"):
        lineno = origin.lineno  # read once: what each node lacking a line gets
        col = getattr(origin, "col_offset", 0)
        end_lineno = getattr(origin, "end_lineno", lineno)
        end_col = getattr(origin, "end_col_offset", 0)
        for n in walk(node):
            if getattr(n, "lineno", None) is None:
                n.lineno = lineno
                n.col_offset = col
                n.end_lineno = end_lineno
                n.end_col_offset = end_col
    return node


def clone(node):
    return copy_tree(node)


def load_names(node):
    """Names read by an expression or statement (in any Load context)."""
    return names(node, gast.Load)


def store_names(node):
    return names(node, _STORES)


_STORES = (gast.Store, gast.Param)


def all_names(node):
    """Every name in an expression, statement or target, whatever its context."""
    return names(node)


def statements(body):
    """Every statement in `body`, nested ones included, in source order."""
    for s in body:
        yield s
        for field in ("body", "orelse"):
            yield from statements(getattr(s, field, None) or [])


def pushed_list(stmt, resolver):
    """The local list name of a statement `L.append(v)`, else None.
    `resolver.locals`: the function's local names."""
    v = stmt.value if isinstance(stmt, gast.Expr) else None
    if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
            v.func.attr == "append" and len(v.args) == 1 and not v.keywords and \
            isinstance(v.func.value, gast.Name) and v.func.value.id in resolver.locals:
        return v.func.value.id
    return None


def popped_list(value, resolver):
    """The local list name of a right-hand side `L.pop()`, else None."""
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
            value.func.attr == "pop" and not value.args and not value.keywords and \
            isinstance(value.func.value, gast.Name) and value.func.value.id in resolver.locals:
        return value.func.value.id
    return None


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
    class _Renamer(gast.NodeTransformer):
        def visit_Name(self, n):
            new = mapping.get(n.id)
            if new is None:
                return n
            if isinstance(new, str):
                n.id = new
                return n
            return clone(new)
    return _Renamer().visit(node)
