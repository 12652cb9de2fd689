"""Reverse mode's refinements of instantiated templates (templates.Hooks): unbroadcast
elided or written as a sum where shapes are known, matrix-product and reduction
adjoints written out, calls the primal sweep already computed reused, `np.where` with a
constant condition chosen, and a real argument's adjoint taken as a real part where a
complex one may meet it."""
import math

import gast
import numpy as np

from .. import runtime
from .namesets import NameSets
from .syntax import call, const, name
from .templates import Hooks, copy_argument, template_object, template_plan


class Shapes:
    """Static shapes (job.shapes: name -> tuple) of names and Python numbers."""

    def __init__(self, shapes):
        self.shapes = shapes

    def of(self, node):
        if isinstance(node, gast.Name):
            return self.shapes.get(node.id)
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)):
            return ()
        return None


class ReverseHooks(Hooks):
    """The refinements for one instantiation of `rule` with arguments `bound`, whose
    result is named `y`.

    `elide`: no unbroadcast is needed (every other operand is a Python number);
    `available`: {call key: name} of calls computed before (see available_calls);
    `reals`: names statically real; `helper(obj, preferred)` names a global."""

    def __init__(self, rule, bound, y, shapes, reals, available, helper, elide=False):
        self.shapes, self.helper = Shapes(shapes), helper
        self.reset(rule, bound, y, shapes, reals, available, elide)

    def reset(self, rule, bound, y, shapes, reals, available, elide=False):
        """These hooks made for another instantiation (a reverse transform keeps one
        object: it instantiates one template at a time); `helper` is kept."""
        self.rule, self.y, self.available, self.elide = rule, y, available, elide
        if self.shapes.shapes is not shapes:
            self.shapes = Shapes(shapes)
        self.mixes = not elide and y not in reals and _may_mix(rule, bound)
        return self

    def unbroadcast(self, n):
        if self.elide or self.same_shape(n.args[1]):
            return n.args[0]
        return self.inline_unbroadcast(n)

    def skips_unbroadcast(self, arg):
        return self.elide or self.same_shape(arg)

    def matmul(self, n, fobj):
        """The adjoint of a product of vectors/matrices of statically known ranks,
        written out (g @ b.T, a.T @ g, ...) instead of a helper call."""
        g, a, b = n.args
        sa, sb = self.shapes.of(a), self.shapes.of(b)
        if sa is None or sb is None or not 1 <= len(sa) <= 2 or not 1 <= len(sb) <= 2:
            return n
        which = "a" if fobj in (runtime.matmul_grad_a, runtime.dot_grad_a) else "b"
        form = _matmul_form((len(sa), len(sb), which))
        npn = self.helper(np, "np")
        # g, a and b belong to the call `n`, which this replaces: used as they are
        return _fill(form, {"G": g, "A": a, "B": b}, npn)

    def reduction(self, n, fobj):
        """The adjoint of a sum or mean over all elements of an array of known shape:
        the cotangent broadcast back (a view), with no helper call."""
        g, x, axis, keepdims = (list(n.args) + [const(None), const(False)])[:4]
        shape = self.shapes.of(x)
        if shape is None or not isinstance(axis, gast.Constant) or axis.value is not None \
                or not isinstance(keepdims, gast.Constant):
            return n
        npn = name(self.helper(np, "np"))
        size = int(math.prod(shape))  # (np.prod is slow on a small tuple)
        if fobj is runtime.mean_grad and size:  # an empty x: its gradient is empty
            g = gast.BinOp(left=g, op=gast.Div(), right=const(size))
        if shape == ():
            return g
        return call(gast.Attribute(value=npn, attr="broadcast_to", ctx=gast.Load()),
                    [g, const(shape)])

    def where(self, n):
        if isinstance(n.args[0], gast.Constant):
            return n.args[1] if n.args[0].value else n.args[2]
        return n

    def reuse(self, fobj, n):
        known = self.available.get(call_key(fobj, n.args))
        return name(known) if known is not None else None

    def contribution(self, template_expr, expr, arg):
        if self.mixes and not _kept_unbroadcast(template_expr, expr, self.rule):
            return call(name(self.helper(runtime.real_like, "real_like")), [expr, name(arg)])
        return expr

    def same_shape(self, node):
        """Whether `node` is statically known to have the shape of the result (after a
        template's substitution, before its names are bound)."""
        shapes = self.shapes.shapes
        if isinstance(node, gast.Name) and node.id in shapes and self.y in shapes:
            return shapes[node.id] == shapes[self.y]
        return False

    def inline_unbroadcast(self, n):
        """unbroadcast(g, x) as one `g.sum(axis=...)` when the shapes of g (that of y)
        and x are known statically; the helper call otherwise. The method form is
        used because g is then known to be an array, and it skips np.sum's dispatch."""
        gs, xs = self.shapes.shapes.get(self.y), self.shapes.of(n.args[1])
        if gs is None or xs is None or len(xs) > len(gs):
            return n
        lead = len(gs) - len(xs)
        kept = [lead + i for i, k in enumerate(xs) if k == 1 and gs[lead + i] != 1]
        axes = list(range(lead)) + kept
        if not axes:
            return n.args[0]
        keywords = [gast.keyword(arg="axis", value=const(
            axes[0] if len(axes) == 1 else tuple(axes)))]
        if not lead:
            keywords.append(gast.keyword(arg="keepdims", value=const(True)))
        total = call(gast.Attribute(value=n.args[0], attr="sum", ctx=gast.Load()), [],
                     keywords)
        if not lead or not kept:
            return total
        return call(gast.Attribute(value=total, attr="reshape", ctx=gast.Load()),
                    [const(tuple(xs))])


def available_calls(stmts, resolver, names=None):
    """For each statement of a block, the pure NumPy calls computed earlier in the
    block whose operands and result are unchanged since, as a view with
    `.get(key) -> name or None`. An adjoint template that needs the same call (cos(x)
    in the rule of sin) reads the name.

    Each key keeps the statement intervals in which it is available, and each name
    the keys it occurs in, so that the views cost O(1) each (a copy of the available
    calls per statement is quadratic on long straight-line code). `names`: NameSets
    of the statements, made here if not given."""
    names = names if names is not None else NameSets()
    spans = {}  # key -> [[defined at, last visible at, name]]
    live = {}   # key -> its open span
    mentions = {}  # name -> keys whose operands or result hold it
    end = len(stmts)
    for i, st in enumerate(stmts):
        for c in names.changed(st):
            for key in mentions.pop(c, ()):
                span = live.get(key)
                # (a key re-added under another name may be mentioned by a stale one)
                if span is not None and (span[2] == c or ("n", c) in key[1]):
                    del live[key]
                    span[1] = i  # still visible to statement i, computed before it
        if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name) and \
                isinstance(st.value, gast.Call) and not st.value.keywords:
            callee = resolver.callee(st.value)
            key = call_key(callee.obj, st.value.args)
            target = st.targets[0].id
            if callee.kind == "rule" and isinstance(callee.obj, np.ufunc) and key and \
                    ("n", target) not in key[1] and key not in live:
                live[key] = span = [i, end, target]
                spans.setdefault(key, []).append(span)
                for n in {target} | {v for tag, v in key[1] if tag == "n"}:
                    mentions.setdefault(n, set()).add(key)
    return [_Available(spans, i) for i in range(len(stmts))]


class _Available:
    """The calls available to statement `i` of a block (see available_calls)."""
    __slots__ = ("spans", "i")

    def __init__(self, spans, i):
        self.spans, self.i = spans, i

    def get(self, key, default=None):
        for start, last, held in self.spans.get(key, ()):
            if start < self.i <= last:
                return held
        return default


def call_key(obj, args):
    """A hashable key for the call obj(*args) over atoms, or None."""
    parts = []
    for a in args:
        if isinstance(a, gast.Name):
            parts.append(("n", a.id))
        elif isinstance(a, gast.Constant) and isinstance(a.value, (int, float)):
            parts.append(("c", a.value))
        else:
            return None
    return (id(obj), tuple(parts))


def no_unbroadcast_needed(*operands):
    """No unbroadcast is needed when every other operand is a Python number."""
    consts = 0
    for o in operands:
        if isinstance(o, gast.Constant) and isinstance(o.value, (int, float)):
            consts += 1
    return consts == len(operands) - 1 or (
        len(operands) == 2 and isinstance(operands[0], gast.Name)
        and isinstance(operands[1], gast.Name) and operands[0].id == operands[1].id)


# (ndim of a, ndim of b, which operand) -> adjoint of a @ b given its cotangent G.
# np.dot rather than @: the same product for operands of at most two dimensions, with
# less call overhead on small arrays.
_MATMUL_FORMS = {
    (1, 1, "a"): "G * B", (1, 1, "b"): "G * A",
    (2, 2, "a"): "np.dot(G, B.T)", (2, 2, "b"): "np.dot(A.T, G)",
    (2, 1, "a"): "np.outer(G, B)", (2, 1, "b"): "np.dot(A.T, G)",
    (1, 2, "a"): "np.dot(B, G)", (1, 2, "b"): "np.outer(A, G)",
}


_matmul_trees = {}  # _MATMUL_FORMS' keys -> the form parsed (once per process)


def _matmul_form(key):
    tree = _matmul_trees.get(key)
    if tree is None:
        tree = _matmul_trees[key] = gast.parse(_MATMUL_FORMS[key], mode="eval").body
    return tree


def _fill(node, operands, npn):
    """A copy of the parsed form `node` with the names G, A, B replaced by the nodes
    `operands` gives (each occurs once in a form) and np by the name `npn`."""
    if isinstance(node, gast.Name):
        if node.id in operands:
            return operands[node.id]
        new = copy_argument(node)
        if new.id == "np":
            new.id = npn
        return new
    kind = type(node)
    new = kind.__new__(kind)
    state = new.__dict__
    state.update(node.__dict__)
    for field in node._fields:
        value = state.get(field)
        if isinstance(value, gast.AST):
            state[field] = _fill(value, operands, npn)
        elif type(value) is list:
            state[field] = [_fill(v, operands, npn) for v in value]
    return new


def _may_mix(rule, bound):
    """Whether a real argument may meet a complex one: then its adjoint is the real
    part (runtime.real_like, removed at compile time where statically real)."""
    targets = template_plan(rule).adjoint_params
    return sum(1 for p in targets if p in bound and not (
        isinstance(bound[p], gast.Constant) and type(bound[p].value) in (int, float, bool)
    )) > 1


# helpers that take the real part of their result themselves (see runtime.py)
SELF_REAL = (runtime.unbroadcast, runtime.matmul_grad_a, runtime.matmul_grad_b,
             runtime.dot_grad_a, runtime.dot_grad_b)


def _kept_unbroadcast(template_expr, expr, rule):
    """Whether `expr` is still the call the template wrote of a helper that takes
    the real part itself (SELF_REAL)."""
    return isinstance(template_expr, gast.Call) and isinstance(expr, gast.Call) and \
        isinstance(expr.func, gast.Name) and \
        template_object(template_expr.func, rule.globals) in SELF_REAL
