"""Compact adjoints: drop `np.broadcast_to` where broadcasting later does the same job.

The adjoint of `sum(x)` or `mean(x)` is the scalar cotangent spread over x's shape,
which the reverse transform writes as `np.broadcast_to(g, shape)`. When that value
only flows through elementwise arithmetic into something of the full shape (the
common case: `dx = broadcast_to(0.025, s) * 2 * t` for a mean), the NumPy scalar
gives the same numbers with no array built: `dx = np.float64(0.025) * 2 * t`. On
vectors this also turns a chain of adjoint updates `db = db * 2` into scalar
arithmetic. Only constant cotangents (the seed of a scalar output, folded) are
compacted: their dtype is known to be float64, and a NumPy scalar keeps the array's
promotion and error semantics where a Python float would not.

Entry: `drop_broadcasts(func, arg_shapes, fixed, resolver, sinks) -> bool`.

Invariant that makes a drop safe (checked, never assumed): after the drop, every
expression that depends on a dropped site and is used anywhere except as an operand
of elementwise arithmetic (operators, NumPy ufuncs, comparisons, the first argument
of a `sinks` helper such as `cast_like`, which broadcasts itself) has the same
statically known shape as before. Elementwise operations give equal values on a
broadcast operand, so every such use sees the same numbers. Static shapes come from
`infer_shapes` over the generated function; an unknown shape means no drop.
"""

import gast
import numpy as np

from .shapes import expr_shape, infer_shapes
from .syntax import clone, const, name, rename
from ..treewalk import walk


def drop_broadcasts(func, arg_shapes, fixed, resolver, sinks):
    """Rewrite `func` in place; return whether anything was dropped. `fixed`: the
    primal names' shapes (restores give a primal name back a value of its own shape);
    `sinks`: names of helpers whose first argument may be any broadcastable value.
    Tries all sites at once, then one at a time (each success removes a site)."""
    dropped = False
    while True:
        sites = [i for i, n in enumerate(walk(func)) if _is_broadcast(n, resolver)]
        if not sites:
            return dropped
        before = infer_shapes(func, arg_shapes, resolver, fixed)
        for chosen in [sites] + ([[s] for s in sites[:_MAX_SINGLE]] if len(sites) > 1 else []):
            trial = clone(func)
            markers = _mark(trial, set(chosen), before, resolver)
            if markers is None:
                continue
            old = {**before, **{m: shape for m, (g, shape) in markers.items()}}
            start = {**arg_shapes, **{m: () for m in markers}}  # now a scalar
            after = infer_shapes(trial, start, resolver, fixed)
            if _safe(trial, set(markers), old, after, resolver, sinks):
                rename(trial, {m: g for m, (g, shape) in markers.items()})
                func.body = trial.body
                dropped = True
                break
        else:
            return dropped


_MAX_SINGLE = 8  # sites tried one by one (compile time stays bounded)
_MARKER = "__srcgrad_compact_{}__"


def _is_broadcast(node, resolver):
    if not (isinstance(node, gast.Call) and len(node.args) == 2 and not node.keywords
            and isinstance(node.func, gast.Attribute) and node.func.attr == "broadcast_to"
            and isinstance(node.func.value, gast.Name)):
        return False
    return resolver.static_object(node.func.value) is np


def _mark(func, chosen, before, resolver):
    """Replace the chosen sites (by walk position) with marker names; return
    {marker: (scalar expression, broadcast shape)}, or None if a site cannot go."""
    targets = {id(n) for i, n in enumerate(walk(func)) if i in chosen}
    markers = {}

    class _SitesToMarkers(gast.NodeTransformer):
        def visit_Call(self, n):
            self.generic_visit(n)
            if id(n) in targets:
                m = _MARKER.format(len(markers))
                g = n.args[0]
                if not (isinstance(g, gast.Constant) and type(g.value) in (int, float)):
                    markers[m] = None  # a cotangent of unknown dtype: keep it
                    return n
                # a NumPy scalar, not the Python number: the same dtype and
                # arithmetic (overflow, division by zero) as the broadcast array
                scalar = gast.Call(func=gast.Attribute(value=clone(n.func.value),
                                                       attr="float64", ctx=gast.Load()),
                                   args=[const(float(g.value))], keywords=[])
                markers[m] = (scalar, expr_shape(n, before, resolver))
                return name(m)
            return n
    _SitesToMarkers().visit(func)
    if any(v is None or v[1] is None for v in markers.values()):
        return None
    return markers


def _dependence(func, markers, sinks):
    """The predicate `depends(expr)`: whether expr's value depends on a dropped site,
    through names assigned from one (a fixpoint over assignments). A sink's result is
    the same either way."""
    tainted = set(markers)

    def depends(expr):
        todo = [expr]
        while todo:
            n = todo.pop()
            if isinstance(n, gast.Name) and n.id in tainted and isinstance(n.ctx, gast.Load):
                return True
            if not _is_sink(n, sinks):
                todo.extend(gast.iter_child_nodes(n))
        return False
    changed = True
    while changed:
        changed = False
        for s in walk(func):
            if isinstance(s, gast.Assign) and depends(s.value):
                targets = s.targets
            elif isinstance(s, gast.AugAssign) and depends(s.value):
                targets = [s.target]
            else:
                continue
            for t in targets:
                for n in walk(t):
                    if isinstance(n, gast.Name) and n.id not in tainted:
                        tainted.add(n.id)
                        changed = True
    return depends


def _safe(func, markers, before, after, resolver, sinks):
    depends = _dependence(func, markers, sinks)
    ints = {s.target.id for s in walk(func) if isinstance(s, gast.For)
            and isinstance(s.target, gast.Name)}

    def same(node):
        a = expr_shape(node, after, resolver, ints)
        return a is not None and a == expr_shape(node, before, resolver, ints)

    def check(node, free):
        """False if a dependent expression in a shape-sensitive position changed.
        Tuples and lists are containers: only their elements are checked."""
        if isinstance(node, gast.expr) and not free and \
                not isinstance(node, (gast.Tuple, gast.List)) and \
                depends(node) and not same(node):
            return False
        for child, child_free in _children(node, resolver, sinks):
            if not check(child, child_free):
                return False
        return True

    for s in walk(func):
        if isinstance(s, gast.AugAssign) and depends(s.value):
            t = expr_shape(s.target, after, resolver, ints)
            v = expr_shape(s.value, after, resolver, ints)
            if t is None or v is None or not same(s.target) or \
                    tuple(np.broadcast_shapes(t, v)) != t:
                return False
    return check(func, False)


def _children(node, resolver, sinks):
    """(child, free) pairs: free children may hold a broadcast-equivalent value."""
    if isinstance(node, gast.Assign):
        single = len(node.targets) == 1 and isinstance(node.targets[0], gast.Name)
        return [(node.value, single)] + [(t, False) for t in node.targets]
    if isinstance(node, gast.AugAssign):
        return [(node.value, True)]  # checked against the target's shape separately
    if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
        return [(node.left, True), (node.right, True)]
    if isinstance(node, gast.UnaryOp):
        return [(node.operand, True)]
    if isinstance(node, gast.Compare):
        return [(node.left, True)] + [(c, True) for c in node.comparators]
    if isinstance(node, gast.IfExp):
        return [(node.test, False), (node.body, True), (node.orelse, True)]
    if isinstance(node, gast.Call):
        elementwise = not node.keywords and _is_ufunc(node.func, resolver)
        sink = _is_sink(node, sinks)
        # a method's receiver is what must keep its shape, not the bound method
        func = node.func.value if isinstance(node.func, gast.Attribute) else node.func
        return [(func, False)] + [
            (a, elementwise or (sink and i == 0)) for i, a in enumerate(node.args)] + [
            (k.value, False) for k in node.keywords]
    return [(c, False) for c in gast.iter_child_nodes(node)
            if isinstance(c, (gast.expr, gast.stmt))]


def _is_sink(node, sinks):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
        node.func.id in sinks


def _is_ufunc(func, resolver):
    return isinstance(resolver.static_object(func), np.ufunc)
