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

Entry: `drop_broadcasts(func, arg_shapes, fixed, resolver, sinks[, walked, removed,
facts]) -> bool`.

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

from .inplace import nodes_and_calls, parent_list, put
from .shapes import expr_shape, infer_shapes
from .syntax import clone, const, name
from ..treewalk import CHILD_FIELDS, names, walk

# Trials rewrite `func` in place (each site swapped for a marker name in its parent)
# and undo a failed trial, instead of copying the whole function per trial; the
# dependence and the check are one linear pass each over the function.


def drop_broadcasts(func, arg_shapes, fixed, resolver, sinks, walked=None, removed=None,
                    facts=None):
    """Rewrite `func` in place; return whether anything was dropped. `fixed`: the
    primal names' shapes (restores give a primal name back a value of its own shape);
    `sinks`: names of helpers whose first argument may be any broadcastable value;
    `walked`: `nodes_and_calls(func)`, if the caller has it; `removed`: a list that
    gets the shape argument of each dropped site (what leaves the tree: the scalar
    keeps the site's `np` name and a number of its own); `facts`: a dict that gets,
    where they are known, what later passes would compute again on `func` as
    returned: "walked" (its `nodes_and_calls`) and "shapes" (its `infer_shapes` with
    these arguments).
    Tries all sites at once, then one at a time (each success removes a site)."""
    dropped = False
    memo = None
    shapes = None  # infer_shapes of func as it is now, once known
    while True:
        if walked is None:
            walked = nodes_and_calls(func)
        sites = [e for e in walked[1] if _is_broadcast(e[0], resolver)]
        if not sites:
            break
        changes = _holders(func, sites)
        if memo is None and len(sites) > 1:
            # more than one trial may infer: the shapes of the statements no trial
            # changed are inferred once (with one site, a second inference is rare,
            # and the memo's upkeep would cost more than it saves)
            memo = {}
        # a site is a node: one shared by two parents is dropped in both at once
        singles = [[s for s in sites if s[0] is node] for node, *_ in sites[:_MAX_SINGLE]]
        for chosen in [sites] + (singles if len(sites) > 1 else []):
            markers = _mark(chosen, resolver)
            if markers is None:
                continue
            start = {**arg_shapes, **{m: () for m in markers}}  # now a scalar
            _forget(memo, changes, chosen)
            after = infer_shapes(func, start, resolver, fixed, memo)
            _forget(memo, changes, chosen)  # rewritten again below, either way

            known = []

            def old():
                """The shapes before the trial (the markers': the broadcasts'),
                inferred on first use (a check that compares none needs none)."""
                nonlocal shapes
                if not known:
                    if shapes is None:
                        for node, parent, field, index in chosen:  # the sites, back
                            put(parent, field, index, node)
                        shapes = infer_shapes(func, arg_shapes, resolver, fixed, memo)
                        _forget(memo, changes, chosen)
                        for (_, parent, field, index), (_, m) in zip(
                                chosen, markers.values()):
                            put(parent, field, index, m)
                    known.append({**shapes, **{m: s for m, (s, _) in markers.items()}})
                return known[0]
            try:
                safe = _safe(func, set(markers), old, after, resolver, sinks)
            finally:
                old = None  # (a closure over the trial: keep nothing alive)
            if safe:
                scalars = []
                for node, parent, field, index in chosen:
                    scalars.append(_scalar(node))
                    put(parent, field, index, scalars[-1])
                    if removed is not None:
                        removed.append(node.args[1])
                dropped = True
                # where infer_shapes reads the site as an operand (it reads a
                # marker and the scalar alike, as shape ()), every statement infers
                # as it did with the marker: the other shapes stay as they are
                if all((p.__class__, f) in _OPERAND for _, p, f, _ in chosen):
                    for m in markers:
                        after.pop(m, None)
                    shapes = after
                else:
                    shapes = None
                walked = _rewalked(walked, chosen, scalars)
                break
            for node, parent, field, index in chosen:  # undo the trial
                put(parent, field, index, node)
        else:
            break  # no trial went: func is as it was (and `shapes` with it)
        if len(chosen) == len(sites):
            break  # every site is gone: a new walk would find none
    if facts is not None:
        if walked is not None:
            facts["walked"] = walked
        if shapes is not None:
            facts["shapes"] = shapes
    return dropped


def _rewalked(walked, chosen, scalars):
    """`nodes_and_calls(func)` once each chosen site is the scalar made for it, from
    `walked`, the walk before, without a new one; None (walk again) where a node the
    rewrite replaces or removes is held twice. The scalar's nodes take the places of
    the site's in walk's breadth-first order: the call, its function (the `np.`
    attribute), the attribute's `np` name and the call's first argument; the second
    argument, the shape, goes with all the nodes under it and the calls among them."""
    nodes, calls = walked
    replace, remove = {}, set()
    for (site, *_), new in zip(chosen, scalars):
        if getattr(site.func.value, "annotation", None) is not None:
            return None  # the clone of `np` would bring nodes of its own
        replace.update({site: new, site.func: new.func, site.func.value: new.func.value,
                        site.args[0]: new.args[0]})
        remove.update(nodes_and_calls(site.args[1])[0])
    if len(replace) != 4 * len(chosen) or not remove.isdisjoint(replace):
        return None
    places = [i for i, n in enumerate(nodes) if n in replace or n in remove]
    if len(places) != len(replace) + len(remove):
        return None  # a node held twice
    kept, start = [], 0
    for i in places:
        n = nodes[i]
        kept += nodes[start:i]
        start = i + 1
        if n in replace:
            kept.append(replace[n])
    kept += nodes[start:]
    calls = [(replace[c[0]],) + c[1:] if c[0] in replace else c
             for c in calls if c[0] not in remove]
    return kept, calls


def _holders(func, sites):
    """{id(site node): the statements holding it, innermost first}: for a site held
    directly by a statement (the usual `d = np.broadcast_to(...)`), that statement,
    and otherwise all of them. (infer_shapes reads the innermost one only: a
    compound statement's assignments do not depend on what its body holds.)"""
    if all(isinstance(parent, gast.stmt) for _, parent, *_ in sites):
        return {id(node): [parent] for node, parent, *_ in sites}
    up = {id(n): parent for n, parent, *_ in parent_list(func)}
    holders = {}
    for node, *_ in sites:
        found, n = [], node
        while n is not None:
            if isinstance(n, gast.stmt):
                found.append(n)
            n = up.get(id(n))
        holders[id(node)] = found
    return holders


def _forget(memo, holders, chosen):
    """Drop the memo's entries for the statements that hold a chosen site."""
    if memo is None:
        return
    for node, *_ in chosen:
        for s in holders[id(node)]:
            memo.pop(id(s), None)


# (parent class, field) where infer_shapes reads a node by its shape alone
_OPERAND = {(gast.Assign, "value"), (gast.BinOp, "left"), (gast.BinOp, "right"),
            (gast.UnaryOp, "operand"), (gast.Call, "args")}
_MAX_SINGLE = 8  # sites tried one by one (compile time stays bounded)
_MARKER = "__srcgrad_compact_{}__"


def _is_broadcast(node, resolver):
    if not (isinstance(node, gast.Call) and len(node.args) == 2 and not node.keywords
            and isinstance(node.func, gast.Attribute) and node.func.attr == "broadcast_to"
            and isinstance(node.func.value, gast.Name)):
        return False
    return resolver.static_object(node.func.value) is np


def _mark(chosen, resolver):
    """Put a marker name in place of each chosen site; return {marker: (broadcast
    shape, the marker's Name node)}, or None (and nothing changed) if a site cannot
    go: a cotangent of unknown dtype or an unknown shape. (infer_shapes gives a
    `broadcast_to` the shape its second argument spells as a literal tuple, and
    None for any other: whatever the names' shapes, so none are needed here.)"""
    shapes = []
    for node, *_ in chosen:
        g = node.args[0]
        if not (isinstance(g, gast.Constant) and type(g.value) in (int, float)):
            return None
        shape = expr_shape(node, {}, resolver)
        if shape is None:
            return None
        shapes.append(shape)
    markers = {}
    for (node, parent, field, index), shape in zip(chosen, shapes):
        m = _MARKER.format(len(markers))
        markers[m] = (shape, name(m))
        put(parent, field, index, markers[m][1])
    return markers


def _scalar(site):
    """A NumPy scalar, not the Python number: the same dtype and arithmetic
    (overflow, division by zero) as the broadcast array."""
    return gast.Call(func=gast.Attribute(value=clone(site.func.value),
                                         attr="float64", ctx=gast.Load()),
                     args=[const(float(site.args[0].value))], keywords=[])


def _dependent(func, markers, sinks, resolver):
    """The ids of the expressions whose value depends on a dropped site, through
    names assigned from one (propagated along assignments by a worklist); a sink's
    result is the same either way. Only the statements that read such a name are
    walked for them: `skip` holds the ids of the simple statements that do not.
    Also returns the ids of the nodes with no dependent one under them (those
    statements, the `_quiet` ones, and the clean parts of the walked ones), the
    augmented assignments and loop counters."""
    flows, augs, ints, skip, parts = [], [], set(), {}, []
    assign, load = gast.Assign, gast.Load
    for s, simple in _statements(func):
        # reads: every name the statement loads, sinks included (check looks inside)
        if isinstance(s, assign):
            value = names(s.value, load)
            if value.isdisjoint(sinks):  # (_reads' answer, at once)
                reads = value
            else:
                value, reads = _reads(s.value, sinks)
            flows.append((value, s.targets))
            # a stored name loads nothing: only a subscript or tuple target reads
            if len(s.targets) != 1 or not _is_stored_name(s.targets[0]):
                reads = reads.union(*[_reads(t, sinks)[1] for t in s.targets
                                      if not _is_stored_name(t)])
        elif isinstance(s, gast.AugAssign):
            value, reads = _reads(s.value, sinks)
            flows.append((value, [s.target]))
            augs.append(s)
            if not _is_stored_name(s.target):
                reads = reads | _reads(s.target, sinks)[1]
        else:
            if isinstance(s, gast.For) and isinstance(s.target, gast.Name):
                ints.add(s.target.id)
            reads = _reads(s, sinks)[1] if simple else None
        if simple:
            skip[id(s)] = (s, reads)
        else:  # the expressions of a compound statement, not its statements
            parts += [c for c in gast.iter_child_nodes(s)
                      if not isinstance(c, (gast.stmt, gast.excepthandler))]
    readers = {}
    for i, (reads, _) in enumerate(flows):
        for r in reads:
            readers.setdefault(r, []).append(i)
    tainted = set(markers)
    todo = list(markers)
    fired = set()
    while todo:
        for i in readers.get(todo.pop(), ()):
            if i in fired:
                continue
            fired.add(i)
            for t in flows[i][1]:
                # (the commonest target, a plain name, is the one name walk finds)
                plain = t.__class__ is gast.Name and getattr(t, "annotation", None) is None
                for n in (t,) if plain else walk(t):
                    if isinstance(n, gast.Name) and n.id not in tainted:
                        tainted.add(n.id)
                        todo.append(n.id)
    ufuncs = {}
    for key, (s, reads) in list(skip.items()):
        if not reads.isdisjoint(tainted) and not _quiet(s, tainted, resolver, ufuncs):
            del skip[key]
            parts.append(s)
    dependent, clean = set(), set(skip)
    for part in parts:
        _mark_dependent(part, tainted, sinks, dependent, clean)
    return dependent, clean, augs, ints


def _quiet(s, tainted, resolver, ufuncs):
    """Whether `check` finds nothing to compare in simple statement `s`, whatever in
    it depends on a site: `name = e` with `e` made of names, numbers, operators but
    `@`, comparisons and ufunc calls (no keywords) only. Every part of `e` is then
    an operand of elementwise arithmetic (free), but a call's function, whose name
    (not tainted) holds no dependent value, and the target is a stored name, which
    loads none. `ufuncs`: {function's path: whether a ufunc}, kept by the caller
    (a Name or `root.attr` resolves by its path alone)."""
    if s.__class__ is not gast.Assign or len(s.targets) != 1 or \
            not _is_stored_name(s.targets[0]):
        return False
    todo = [s.value]
    pop, push = todo.pop, todo.append
    name_, constant, attribute = gast.Name, gast.Constant, gast.Attribute
    while todo:
        n = pop()
        cls = n.__class__
        if cls is name_:
            if getattr(n, "annotation", None) is not None:
                return False
        elif cls is gast.BinOp:
            if n.op.__class__ is gast.MatMult:
                return False
            push(n.left)
            push(n.right)
        elif cls is gast.Call:
            func = n.func
            if n.keywords:
                return False
            if func.__class__ is attribute and func.value.__class__ is name_:
                root, path = func.value, (func.value.id, func.attr)
            elif func.__class__ is name_:
                root, path = func, func.id
            else:
                return False
            if root.id in tainted or getattr(root, "annotation", None) is not None:
                return False
            elementwise = ufuncs.get(path)
            if elementwise is None:
                elementwise = ufuncs[path] = _is_ufunc(func, resolver)
            if not elementwise:
                return False
            todo += n.args
        elif cls is gast.UnaryOp:
            push(n.operand)
        elif cls is gast.Compare:
            push(n.left)
            todo += n.comparators
        elif cls is not constant:
            return False
    return True


def _mark_dependent(part, tainted, sinks, dependent, clean):
    """Add to `dependent` the ids of the nodes of `part` that load a tainted name,
    and of their ancestors in `part` up to (not including) a sink's call; and to
    `clean` those of the nodes with no dependent node under them (the check has
    nothing to look at there). Contexts and operators are left out: childless,
    they load nothing."""
    nodes, parents = [part], [None]
    push, up = nodes.append, parents.append
    ast, fields_of = gast.AST, CHILD_FIELDS
    for node in nodes:  # breadth first, with each node's parent alongside
        for field in fields_of[node.__class__]:
            value = getattr(node, field, None)
            if isinstance(value, ast):
                push(value)
                up(node)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast):
                        push(item)
                        up(node)
    add, name = dependent.add, gast.Name
    holds = set()  # the nodes with a dependent node under them, through sinks too
    # bottom up: the reverse of breadth-first order visits children before parents
    for i in range(len(nodes) - 1, -1, -1):
        n = nodes[i]
        key = id(n)
        if isinstance(n, name) and n.id in tainted and isinstance(n.ctx, gast.Load):
            add(key)
        if key in dependent or key in holds:
            parent = parents[i]
            if parent is not None:
                holds.add(id(parent))
                if key in dependent and not _is_sink(parent, sinks):
                    add(id(parent))
        else:
            clean.add(key)


def _statements(func):
    """(statement, simple) for every statement in `func` and `func` itself, nested
    ones included (in handlers too); simple: it holds no statements."""
    todo = [func]
    simple = _SIMPLE
    while todo:
        s = todo.pop()
        if s.__class__ in simple:
            yield s, True
            continue
        inner = []
        for field in s._fields:
            value = getattr(s, field, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, gast.stmt):
                        inner.append(item)
                    elif isinstance(item, gast.AST) and \
                            isinstance(getattr(item, "body", None), list):
                        inner += [b for b in item.body if isinstance(b, gast.stmt)]
        yield s, not inner
        todo += reversed(inner)


# statements whose fields hold no statements (nor handlers, cases): the commonest
_SIMPLE = frozenset({
    gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr, gast.Return, gast.Pass,
    gast.Break, gast.Continue, gast.Delete, gast.Raise, gast.Assert, gast.Import,
    gast.ImportFrom, gast.Global, gast.Nonlocal})


def _is_stored_name(target):
    return target.__class__ is gast.Name and not isinstance(target.ctx, gast.Load)


def _reads(expr, sinks):
    """(the names `expr` loads outside sinks, all the names it loads)."""
    loaded = names(expr, gast.Load)
    if loaded.isdisjoint(sinks):
        return loaded, loaded  # a sink's call loads its name: there is none in expr
    outside, inside = set(), set()
    todo = [(expr, False)]
    while todo:
        n, in_sink = todo.pop()
        if isinstance(n, gast.Name):
            if isinstance(n.ctx, gast.Load):
                (inside if in_sink else outside).add(n.id)
            continue
        in_sink = in_sink or _is_sink(n, sinks)
        for field in n._fields:
            value = getattr(n, field, None)
            if isinstance(value, gast.AST):
                todo.append((value, in_sink))
            elif isinstance(value, list):
                todo += [(v, in_sink) for v in value if isinstance(v, gast.AST)]
    return outside, outside | inside


def _safe(func, markers, old, after, resolver, sinks):
    """Whether the trial (markers in place of its sites) is a safe drop: `old()`
    gives the shapes before it, `after` those with the markers scalars."""
    dependent, skip, augs, ints = _dependent(func, markers, sinks, resolver)

    def same(node):
        a = expr_shape(node, after, resolver, ints)
        return a is not None and a == expr_shape(node, old(), resolver, ints)

    def check(node, free):
        """False if a dependent expression in a shape-sensitive position changed.
        Tuples and lists are containers: only their elements are checked."""
        if id(node) in skip:
            return True  # holds no dependent expression: nothing in it changed
        if not free and id(node) in dependent and isinstance(node, gast.expr) and \
                not isinstance(node, (gast.Tuple, gast.List)) and not same(node):
            return False
        for child, child_free in _children(node, resolver, sinks):
            if not check(child, child_free):
                return False
        return True

    for s in augs:
        if id(s.value) in dependent:
            t = expr_shape(s.target, after, resolver, ints)
            v = expr_shape(s.value, after, resolver, ints)
            if t is None or v is None or not same(s.target) or \
                    tuple(np.broadcast_shapes(t, v)) != t:
                return False
    try:
        return check(func, False)
    finally:
        check = None  # it calls itself through its cell: break the cycle

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
