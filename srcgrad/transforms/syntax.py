"""Small helpers to build and inspect gast nodes, shared by the passes."""

from ast import AST

import gast
from ..treewalk import NODE_FIELDS, copy_tree, names

# The builders make nodes with `cls.__new__(cls)` and fill their `__dict__` in field
# order: exactly what gast's keyword constructor (create_node: `__dict__.update`)
# makes, without its Python-level call (~3x cheaper; nodes are built by the ten
# thousand on long functions).
_Name, _Constant, _Assign, _Call = gast.Name, gast.Constant, gast.Assign, gast.Call
_Attribute, _Expr, _Load, _Store = gast.Attribute, gast.Expr, gast.Load, gast.Store
_BinOp = gast.BinOp


def name(id_, ctx=None):
    node = _Name.__new__(_Name)
    state = node.__dict__
    state["id"] = id_
    state["ctx"] = ctx if ctx is not None else _Load.__new__(_Load)
    state["annotation"] = None
    state["type_comment"] = None
    return node


def store(id_):
    return name(id_, _Store.__new__(_Store))


def const(value):
    node = _Constant.__new__(_Constant)
    state = node.__dict__
    state["value"] = value
    state["kind"] = None
    return node


def assign(target, value, origin=None):
    if isinstance(target, str):
        target = store(target)
    node = _Assign.__new__(_Assign)
    state = node.__dict__
    state["targets"] = [target]
    state["value"] = value
    state["type_comment"] = None
    return located(node, origin) if origin is not None else node


def call(func, args=(), keywords=()):
    if isinstance(func, str):
        func = dotted(func)
    node = _Call.__new__(_Call)
    state = node.__dict__
    state["func"] = func
    state["args"] = list(args)
    state["keywords"] = list(keywords)
    return node


def attribute(value, attr):
    """`value.attr` read (a Load context)."""
    node = _Attribute.__new__(_Attribute)
    state = node.__dict__
    state["value"] = value
    state["attr"] = attr
    state["ctx"] = _Load.__new__(_Load)
    return node


def expr_stmt(value):
    """The statement `value` (an expression statement)."""
    node = _Expr.__new__(_Expr)
    node.__dict__["value"] = value
    return node


def binop(left, op, right):
    """`left op right` (`op` an operator node such as gast.Add())."""
    node = _BinOp.__new__(_BinOp)
    state = node.__dict__
    state["left"] = left
    state["op"] = op
    state["right"] = right
    return node


def dotted(path):
    """`a.b.c` as nested Attribute nodes."""
    parts = path.split(".")
    node = name(parts[0])
    for part in parts[1:]:
        node = attribute(node, part)
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
        # one dict update per node sets the four attributes, in this order
        where = {"lineno": lineno, "col_offset": getattr(origin, "col_offset", 0),
                 "end_lineno": getattr(origin, "end_lineno", lineno),
                 "end_col_offset": getattr(origin, "end_col_offset", 0)}
        # treewalk.walk's nodes (in another order, which does not matter here), as a
        # loop: no generator step per node. The commonest classes of built code read
        # their node fields directly (they always have them); the others read theirs
        # from NODE_FIELDS.
        todo = [node]
        push, extend = todo.append, todo.extend
        table = NODE_FIELDS
        for n in todo:
            state = n.__dict__
            if state.get("lineno") is None:
                state.update(where)
            cls = n.__class__
            if cls is _Name:  # its two node fields: a context, an annotation or None
                ctx = state.get("ctx")
                if ctx.__class__ in _LEAVES:  # (no node inside: done here)
                    inner = ctx.__dict__
                    if inner.get("lineno") is None:
                        inner.update(where)
                elif isinstance(ctx, AST):
                    push(ctx)
                annotation = state.get("annotation")
                if annotation is not None and isinstance(annotation, AST):
                    push(annotation)
                continue
            if cls is _Constant or cls in _LEAVES:
                continue
            if cls is _Call:
                push(state["func"])
                extend(state["args"])
                keywords = state.get("keywords")
                if keywords:
                    extend(keywords)
                continue
            if cls is _BinOp:
                push(state["left"])
                op = state["op"].__dict__  # an operator: no node inside
                if op.get("lineno") is None:
                    op.update(where)
                push(state["right"])
                continue
            if cls is _Attribute:
                push(state["value"])
                push(state["ctx"])
                continue
            if cls is _Assign:
                extend(state["targets"])
                push(state["value"])
                continue
            fields = table.get(cls)
            if fields is None:
                fields = table[cls]
            for field in fields:
                value = state.get(field)
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, AST):
                            push(item)
                elif isinstance(value, AST):
                    push(value)
    return node


# contexts and operators: no node inside
_LEAVES = frozenset(c for c in vars(gast).values() if isinstance(c, type) and issubclass(
    c, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)))


def clone(node):
    return copy_tree(node)


def load_names(node):
    """Names read by an expression or statement (in any Load context)."""
    return names(node, gast.Load)


def store_names(node):
    return names(node, STORES)


STORES = (gast.Store, gast.Param)  # the contexts of the names a node assigns


def all_names(node):
    """Every name in an expression, statement or target, whatever its context."""
    return names(node)


def statements(body):
    """Every statement in `body`, nested ones included, in source order."""
    for s in body:
        yield s
        # (most statements have no block: no nested generator for them)
        inner = getattr(s, "body", None)
        if inner:
            yield from statements(inner)
        inner = getattr(s, "orelse", None)
        if inner:
            yield from statements(inner)


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
    return expr_stmt(call(name("__srcgrad_comment__"), [const(text)]))


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
