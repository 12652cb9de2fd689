"""Per-statement name facts of the reverse transform, found once and shared.

The liveness analysis of the adjoint sweep (saves.read_restores, whose loops re-read
their bodies), `saves.loads` (asked before and after restores are resolved), the
available calls of each block (refinements.available_calls) and the first definitions
of the body (saves.assignments) all ask which names a statement reads or writes.
A `NameSets` answers each statement with one pass over it, the first time it is asked.
"""
from ast import AST

import gast

from ..treewalk import CHILD_FIELDS

_NOTHING = frozenset()
_NO_FACTS = (None, _NOTHING, _NOTHING, _NOTHING, _NOTHING)


class NameSets:
    """The names each statement reads and writes, as syntax.load_names and
    syntax.store_names give them, kept per statement. Statements must not be changed
    while their sets are kept, and the sets returned must not be changed; an entry
    holds its statement, so that its id is not reused for another."""

    def __init__(self):
        self._facts = {}

    def _of(self, st):
        if not st._fields:  # a marker statement (markers.Marker): no names
            return _NO_FACTS
        facts = self._facts.get(id(st))
        if facts is None:
            facts = self._facts[id(st)] = (st,) + _scan(st)
        return facts

    def of(self, st):
        """(names read, names written: Store or Param context) by `st`."""
        facts = self._facts.get(id(st))  # (asked most: the known case inline)
        if facts is None:
            facts = self._of(st)
        return facts[1], facts[2]

    def stored(self, st):
        """The names `st` binds in a Store context (Param ones aside)."""
        return self._of(st)[3]

    def changed(self, st):
        """The names whose value `st` changes: those it writes and the arrays it
        assigns elements of."""
        facts = self._of(st)
        return facts[2] | facts[4] if facts[4] else facts[2]

    def written_into(self, st):
        """The names of the arrays `st` assigns elements of (`y[i] = v`)."""
        return self._of(st)[4]


def _scan(st):
    """(read, written, stored, written into) of `st`: the Name nodes treewalk.walk
    would reach, visited with a stack (their order does not matter for sets), without
    descending into a Constant or the fields that hold no names (treewalk's table:
    strings, contexts, operators). The commonest nodes of generated code (calls,
    binary operations, attributes, assignments) push their children directly."""
    read, stored, params, into = set(), set(), _NOTHING, _NOTHING
    todo = [st]
    pop, push, extend = todo.pop, todo.append, todo.extend
    table = CHILD_FIELDS
    name_cls, constant_cls, subscript_cls = gast.Name, gast.Constant, gast.Subscript
    call_cls, binop_cls, attribute_cls, assign_cls = _Call, _BinOp, _Attribute, _Assign
    load_cls, store_cls, param_cls = gast.Load, gast.Store, gast.Param
    while todo:
        node = pop()
        kind = node.__class__
        if kind is name_cls:
            ctx = node.ctx.__class__
            if ctx is load_cls:
                read.add(node.id)
            elif ctx is store_cls:
                stored.add(node.id)
            elif ctx is param_cls:
                params = params | {node.id}
            annotation = getattr(node, "annotation", None)
            if annotation is not None:  # (a parameter's annotation holds names)
                push(annotation)
            continue
        if kind is constant_cls:
            continue
        # (the fields of these are nodes, lists of nodes, strings or operators)
        if kind is call_cls:
            push(node.func)
            extend(node.args)
            for k in node.keywords:
                push(k.value)
            continue
        if kind is binop_cls:
            push(node.left)
            push(node.right)
            continue
        if kind is attribute_cls:
            push(node.value)
            continue
        if kind is assign_cls:
            extend(node.targets)
            push(node.value)
            continue
        if kind is subscript_cls and type(node.ctx) is store_cls and \
                type(node.value) is name_cls:
            into = into | {node.value.id}
        fields = table.get(kind)
        if fields is None:
            fields = table[kind]
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
    written = stored | params if params else stored
    return read, written, stored, into


_Call, _BinOp, _Attribute, _Assign = gast.Call, gast.BinOp, gast.Attribute, gast.Assign
