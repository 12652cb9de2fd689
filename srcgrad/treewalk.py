"""Fast tree traversal and copying for gast trees (the compiler's hot loops).

`walk` yields exactly what `ast.walk` yields, in the same breadth-first order,
and, like it, reads a node's children before yielding the node. `name_nodes` and
`names` collect Name nodes and their identifiers in that order, without yielding
every node. `copy_tree` gives the same result as `copy.deepcopy` (shared nodes stay
shared in the copy), without the generic pickling protocol.

Speed: the fields of a node class that can hold nodes are looked up once per class,
so a walk never reads an identifier, a number or a string field.
"""
import copy
from ast import AST

import gast

_ATOMS = frozenset((str, int, float, bool, type(None), bytes, complex))

# Fields that hold only identifiers, strings or numbers in gast trees. Listed by
# hand: gast's declared field types are those of `ast`, which gast changes in places
# (ExceptHandler.name is a Name node, though declared `str | None`).
_ATOM_FIELDS = {
    gast.Name: ("id", "type_comment"),
    gast.Attribute: ("attr",),
    gast.Constant: ("kind",),  # not `value`: any object, looked at as before
    gast.keyword: ("arg",),
    gast.FunctionDef: ("name", "type_comment"),
    gast.AsyncFunctionDef: ("name", "type_comment"),
    gast.ClassDef: ("name",),
    gast.Assign: ("type_comment",),
    gast.For: ("type_comment",),
    gast.AsyncFor: ("type_comment",),
    gast.With: ("type_comment",),
    gast.AsyncWith: ("type_comment",),
    gast.alias: ("name", "asname"),
    gast.ImportFrom: ("module", "level"),
    gast.Global: ("names",),
    gast.Nonlocal: ("names",),
    gast.comprehension: ("is_async",),
    gast.FormattedValue: ("conversion",),
    gast.AnnAssign: ("simple",),
}
# Fields that hold only childless nodes (expression contexts, operators): a name
# collector skips them, which leaves the order of the other nodes unchanged. (A
# Constant's value is read: the suite's generated texts depend on it.)
_LEAF_FIELDS = {
    gast.Name: ("ctx",), gast.Attribute: ("ctx",), gast.Subscript: ("ctx",),
    gast.Starred: ("ctx",), gast.List: ("ctx",), gast.Tuple: ("ctx",),
    gast.BinOp: ("op",), gast.UnaryOp: ("op",), gast.BoolOp: ("op",),
    gast.AugAssign: ("op",), gast.Compare: ("ops",),
}


class FieldTable(dict):
    """node class -> the names of its fields that can hold nodes (in `_fields`
    order). A class not listed when the table was made keeps all its fields, learned
    on first sight: `table[cls]` always answers (the hot loops below try `.get` first,
    which stays on the interpreter's fast path)."""

    def __missing__(self, cls):
        fields = self[cls] = tuple(cls._fields)
        return fields


def _fields_table(*skip):
    """The FieldTable without the fields of the tables in `skip`."""
    table = FieldTable()
    for cls in {cls for t in skip for cls in t}:
        skipped = {f for t in skip for f in t.get(cls, ())}
        table[cls] = tuple(f for f in cls._fields if f not in skipped)
    return table


# Every field that can hold a node: what `walk` (which yields contexts and operators
# too, as ast.walk does) and copies read.
NODE_FIELDS = _fields_table(_ATOM_FIELDS)
# The fields that can hold a node with children, or a Name: what passes that look at
# names, calls and statements read (never a context or an operator).
CHILD_FIELDS = _fields_table(_ATOM_FIELDS, _LEAF_FIELDS)


# Classes whose child fields (CHILD_FIELDS: Constant's value holds no node; BinOp's
# left, right; Call's func, args, keywords; Attribute's value) name_nodes and names
# read directly, in that order: nodes built or parsed always have them.
_Constant, _BinOp, _Call, _Attribute = gast.Constant, gast.BinOp, gast.Call, gast.Attribute


def walk(node):
    # A list read while it grows is a breadth-first queue that is never shifted.
    todo = [node]
    push = todo.append
    table = NODE_FIELDS
    name_cls = gast.Name
    for node in todo:
        cls = node.__class__
        if cls is name_cls:  # the commonest node: its two node fields, inline
            ctx = getattr(node, "ctx", None)
            if isinstance(ctx, AST):
                push(ctx)
            annotation = getattr(node, "annotation", None)
            if isinstance(annotation, AST):
                push(annotation)
            yield node
            continue
        fields = table.get(cls)
        if fields is None:
            fields = table[cls]
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
        yield node


def name_nodes(node):
    """The Name nodes under `node` (itself included), in `walk`'s order, as a list
    (a loop over it costs no generator step per node of the tree)."""
    found = []
    keep = found.append
    todo = [node]
    push, extend = todo.append, todo.extend
    table = CHILD_FIELDS
    name_cls = gast.Name
    for node in todo:
        cls = node.__class__
        if cls is name_cls:  # the commonest node: its one child that matters
            keep(node)
            annotation = getattr(node, "annotation", None)
            if isinstance(annotation, AST):
                push(annotation)
            continue
        if cls is _Constant:  # the commonest other classes, as in names()
            continue
        if cls is _BinOp:
            push(node.left)
            push(node.right)
            continue
        if cls is _Call:
            push(node.func)
            extend(node.args)
            extend(node.keywords)
            continue
        if cls is _Attribute:
            push(node.value)
            continue
        if isinstance(node, name_cls):  # a subclass of Name
            keep(node)
        fields = table.get(cls)
        if fields is None:
            fields = table[cls]
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
    return found


def child_nodes(node):
    """The nodes under `node` (itself included) in `walk`'s order, but for contexts
    and operators (CHILD_FIELDS), as a list. They have no children: leaving them out
    changes no other node's place in the order."""
    found = [node]
    push = found.append
    table = CHILD_FIELDS
    for node in found:  # a list read while it grows: the breadth-first queue
        fields = table.get(node.__class__)
        if fields is None:
            fields = table[node.__class__]
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
    return found


def names(node, contexts=None, into=None):
    """The ids of the Name nodes under `node` (itself included) whose ctx is an
    instance of `contexts` (any ctx when None), inserted in `walk`'s order into the
    set `into` (a new one when None), which is returned."""
    # name_nodes' loop, inlined: the commonest call (load_names, store_names) on one
    # small statement, where a second call and list per statement show
    found = set() if into is None else into
    add = found.add
    todo = [node]
    push, extend = todo.append, todo.extend
    table = CHILD_FIELDS
    name_cls = gast.Name
    for node in todo:
        cls = node.__class__
        if cls is name_cls:
            if contexts is None or isinstance(node.ctx, contexts):
                add(node.id)
            annotation = getattr(node, "annotation", None)
            if isinstance(annotation, AST):
                push(annotation)
            continue
        # the commonest other classes: their child fields read directly, in order
        if cls is _Constant:
            continue
        if cls is _BinOp:
            push(node.left)
            push(node.right)
            continue
        if cls is _Call:
            push(node.func)
            extend(node.args)
            extend(node.keywords)
            continue
        if cls is _Attribute:
            push(node.value)
            continue
        if isinstance(node, name_cls) and (  # a subclass of Name
                contexts is None or isinstance(node.ctx, contexts)):
            add(node.id)
        fields = table.get(cls)
        if fields is None:
            fields = table[cls]
        for field in fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
    return found


# gast's node classes, whose constructor called without arguments (as deepcopy and
# _copy call it) sets nothing: _copy makes their nodes with AST.__new__ alone, which
# skips a Python-level call per node
_create_node = gast.Name.__init__.__code__
_BLANK_INIT = frozenset(
    c for c in vars(gast).values() if isinstance(c, type) and issubclass(c, AST)
    and getattr(c.__init__, "__code__", None) is _create_node)
_new_node = AST.__new__


def copy_tree(node, memo=None):
    if type(node) in _ATOMS:
        return node
    if memo is None:
        memo = {}
    # what deepcopy does: the originals stay alive while `memo` keys on their ids
    keep = memo.get(id(memo))
    if keep is None:
        keep = memo[id(memo)] = []
    return _copy(node, memo, keep)


def _copy(value, memo, keep):
    """A copy of `value` (not an atom), through `memo` as in deepcopy."""
    key = id(value)
    done = memo.get(key)
    if done is not None:
        return done
    cls = type(value)
    if isinstance(value, AST):
        # as deepcopy rebuilds a node: called without arguments
        new = _new_node(cls) if cls in _BLANK_INIT else cls()
        memo[key] = new
        keep.append(value)
        state = new.__dict__
        old = value.__dict__
        state.update(old)  # the atoms (most entries) in one go, then the rest
        atoms = _ATOMS
        for k, v in old.items():
            if type(v) not in atoms:
                state[k] = _copy(v, memo, keep)
        return new
    if cls is list:
        new = []
        memo[key] = new
        keep.append(value)
        append = new.append
        atoms = _ATOMS
        for v in value:
            append(v if type(v) in atoms else _copy(v, memo, keep))
        return new
    return copy.deepcopy(value, memo)
