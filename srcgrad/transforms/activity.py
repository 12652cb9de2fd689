"""Activity analysis: which names carry derivatives from `wrt` to the output.

Entry: `activity(tree, wrt, output, resolver, ctx[, names]) -> set of active names`.

A name is *varied* if some value of `wrt` can flow into it through differentiable
operations, *useful* if it can flow into the output; active = varied and useful.
The analysis is flow-insensitive over the normalized body (a name is active if any
of its assignments is), which is conservative and never misses a derivative.
It refuses, with a located error, operations that would need a derivative srcgrad
does not have.
"""
import enum

import gast

from ..errors import NoRuleError, UnsupportedSyntaxError
from ..resolve import operator_for
from .. import rules
from .markers import Opaque, note
from .mutation import check_statement
from .syntax import load_names, popped_list, pushed_list, statements


def flows(stmt, resolver, reads=None):
    """(targets, sources) of one normalized statement: the names a derivative can flow
    into, and the local names it can flow from. Empty when nothing differentiable.
    `reads`: load_names(stmt), if the caller has it (not to be changed afterwards)."""
    if stmt.__class__ is not gast.Assign:  # (the commonest statement: tested first)
        if isinstance(stmt, gast.For):
            return (), ()
        if isinstance(stmt, gast.Expr):
            lst = pushed_list(stmt, resolver)
            if lst is not None:  # L.append(v): the derivative flows into the list
                return (lst,), _names(stmt.value.args[0])
            return (), ()
        if not isinstance(stmt, gast.Assign):
            return (), ()
    target = stmt.targets[0]
    value = stmt.value
    if isinstance(target, gast.Subscript):  # y[i] = v: the derivative flows into y
        # (and from the index, which mutation.py then refuses when it is active)
        return (target.value.id,), _names(value) | {target.value.id} | _names(target.slice)
    if isinstance(target, gast.Tuple):
        return tuple(e.id for e in target.elts), _names(value)
    kind = value_kind(value, resolver)
    if kind in (ValueKind.NONE, ValueKind.STOP, ValueKind.NONDIFF):
        return (), ()
    if isinstance(value, gast.Subscript):
        # an index holding a derivative (np.r_[x, y]) is refused by mutation.py
        return (target.id,), _names(value.value) | _names(value.slice)
    if reads is not None and len(stmt.targets) == 1 and target.__class__ is gast.Name:
        # every name the value reads (an Attribute's attr is none), and the one
        # target, a Name, reads none: load_names(stmt), built in the same order
        return (target.id,), reads
    if isinstance(value, gast.Attribute):
        return (target.id,), _names(value.value)
    return (target.id,), _names(value)


def _names(node):
    return load_names(node)


class ValueKind(enum.Enum):
    """How a normalized right-hand side treats derivatives (see value_kind)."""
    NONE = "a constant: no derivative"
    COPY = "a name: the derivative is copied"
    OP = "an operation with a derivative rule"
    CALL = "a call of a user function, differentiated from its source"
    STOP = "stop_gradient(): no derivative flows"
    NONDIFF = "a comparison, or an operation without a derivative"
    POP = "L.pop() of a local list"
    UNKNOWN = "a call or attribute with no known rule"
    OPAQUE = "an expression srcgrad does not decompose"


_CALLEE_KINDS = {"rule": ValueKind.OP, "nondiff": ValueKind.NONDIFF, "stop": ValueKind.STOP,
                 "user": ValueKind.CALL}


def value_kind(value, resolver):
    """The ValueKind of a normalized right-hand side (found once per node: kept in
    `resolver.value_kinds`)."""
    known = resolver.value_kinds.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    kind = _value_kind(value, resolver)
    resolver.value_kinds[id(value)] = (value, kind)
    return kind


def _value_kind(value, resolver):
    if note(value, Opaque) is not None:
        return ValueKind.OPAQUE
    cls = value.__class__
    fixed = _FIXED_KINDS.get(cls)  # (most nodes: no isinstance chain)
    if fixed is not None:
        return fixed
    if cls is gast.BinOp or cls is gast.UnaryOp:
        return ValueKind.NONDIFF if rules.is_nondifferentiable(operator_for(value.op)) \
            else ValueKind.OP
    if cls is gast.Call:
        if popped_list(value, resolver) is not None:
            return ValueKind.POP
        return _CALLEE_KINDS.get(resolver.callee(value).kind, ValueKind.UNKNOWN)
    return _subclass_kind(value, resolver)


_FIXED_KINDS = {gast.Constant: ValueKind.NONE, gast.Name: ValueKind.COPY,
                gast.Compare: ValueKind.NONDIFF, gast.BoolOp: ValueKind.NONDIFF,
                gast.Tuple: ValueKind.OP, gast.List: ValueKind.OP,
                gast.Subscript: ValueKind.OP}


def _subclass_kind(value, resolver):
    """_value_kind of any other node, by isinstance (a subclass of a node class)."""
    if isinstance(value, gast.Constant):
        return ValueKind.NONE
    if isinstance(value, gast.Name):
        return ValueKind.COPY
    if isinstance(value, (gast.Compare, gast.BoolOp)):
        return ValueKind.NONDIFF
    if isinstance(value, (gast.BinOp, gast.UnaryOp)):
        op = operator_for(value.op)
        return ValueKind.NONDIFF if rules.is_nondifferentiable(op) else ValueKind.OP
    if isinstance(value, (gast.Tuple, gast.List, gast.Subscript)):
        return ValueKind.OP
    if isinstance(value, gast.Attribute):
        callee = resolver.attribute(value.attr)
        return {"rule": ValueKind.OP, "nondiff": ValueKind.NONDIFF}.get(
            callee.kind, ValueKind.UNKNOWN)
    if isinstance(value, gast.Call):
        if popped_list(value, resolver) is not None:
            return ValueKind.POP
        return _CALLEE_KINDS.get(resolver.callee(value).kind, ValueKind.UNKNOWN)
    return ValueKind.OPAQUE


def activity(tree, wrt, output, resolver, ctx, names=None):
    """`names`: a transforms.namesets.NameSets for the body's statements, if the
    caller shares one (reverse mode reads the same statements' names again)."""
    params = {a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs}
    body = list(statements(tree.body))
    # (flows and check_statement share them)
    reads = [names.of(stmt)[0] for stmt in body] if names is not None else \
        [load_names(stmt) for stmt in body]
    edges = [(stmt, *flows(stmt, resolver, r)) for stmt, r in zip(body, reads)]
    varied = _forward(edges, set(wrt))
    useful = _backward(edges, varied, {output} if output is not None else set())
    active = varied & useful
    for stmt, targets, sources in edges:
        if not active.isdisjoint(targets) and not active.isdisjoint(sources):
            _check(stmt, resolver, ctx, active, params)
    for stmt, r in zip(body, reads):
        check_statement(stmt, resolver, ctx, varied, active, r)
    return active


def _forward(edges, varied):
    """The least set holding `varied` and the targets of every edge with a source in
    it (a worklist over uses: linear in the edges, where re-sweeping them until
    nothing changes is quadratic on a long chain)."""
    users = {}
    for i, (_, targets, sources) in enumerate(edges):
        if targets:
            for n in sources:
                users.setdefault(n, []).append(i)
    work = list(varied)
    while work:
        for i in users.pop(work.pop(), ()):
            for t in edges[i][1]:
                if t not in varied:
                    varied.add(t)
                    work.append(t)
    return varied


def _backward(edges, varied, useful):
    """The least set holding `useful` and the varied sources of every edge with a
    target in it (the same worklist, over definitions)."""
    defs = {}
    for i, (_, targets, _) in enumerate(edges):
        for t in targets:
            defs.setdefault(t, []).append(i)
    work = list(useful)
    while work:
        for i in defs.pop(work.pop(), ()):
            for n in edges[i][2]:
                if n in varied and n not in useful:
                    useful.add(n)
                    work.append(n)
    return useful


def _check(stmt, resolver, ctx, active, params):
    if isinstance(stmt, gast.Expr):  # L.append(v)
        if stmt.value.func.value.id in params:
            raise ctx.error("appending to a list argument mutates the caller's list; "
                            "srcgrad cannot differentiate that.", stmt,
                            UnsupportedSyntaxError,
                            hint="Build a new local list instead (e.g. `xs = list(xs)`).")
        return
    value = stmt.value
    target = stmt.targets[0]
    if isinstance(target, gast.Subscript) or isinstance(target, gast.Tuple):
        return
    kind = value_kind(value, resolver)
    if kind is ValueKind.OPAQUE:
        raise ctx.error("srcgrad cannot differentiate through this expression "
                        f"({type(value).__name__}).", value, UnsupportedSyntaxError,
                        hint="Rewrite it with plain operations, or wrap it in "
                             "srcgrad.stop_gradient() if no derivative should flow.")
    if kind is ValueKind.UNKNOWN:
        callee = None if isinstance(value, gast.Attribute) else resolver.callee(value)
        if callee is not None and callee.reason:  # e.g. a call through a local alias
            raise ctx.error(callee.reason + ".", value, NoRuleError,
                            hint="Call it through a global or closure name (e.g. the "
                                 "module-level `import numpy as np`), or wrap the call "
                                 "in srcgrad.stop_gradient() if no derivative should "
                                 "flow.")
        label = value.attr if callee is None else callee.label
        raise ctx.error(f"no derivative rule for `{label}`, and srcgrad cannot read its "
                        "source.", value, NoRuleError,
                        hint="Register one with @srcgrad.adjoint, or wrap the call in "
                             "srcgrad.stop_gradient() if no derivative should flow.")
    if isinstance(value, gast.Call):
        for a in value.args + [k.value for k in value.keywords]:
            if isinstance(a, gast.Starred) or (a is None):
                raise ctx.error("`*args`/`**kwargs` in a differentiated call are not "
                                "supported", value, UnsupportedSyntaxError,
                                hint="Pass the arguments one by one.")
        for k in value.keywords:
            if k.arg is None:
                raise ctx.error("`**kwargs` in a differentiated call are not supported",
                                value, UnsupportedSyntaxError)
