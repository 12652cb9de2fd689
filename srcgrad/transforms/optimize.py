"""Clean-up of generated functions: forward substitution of single-use temporaries
and dead-code elimination.

Entry: `optimize(func, pure) -> func` where `pure(call) -> bool` tells which calls
have no side effects. Both rewrites preserve the values of every name that is read
later, so gradients are unchanged (the tests run optimized and unoptimized forms).
"""
import math
import operator

import gast

from .syntax import load_names, name as name_node
from ..treewalk import walk


def optimize(func, pure, keep=frozenset()):
    """`keep`: names (the user's own) that are never substituted away."""
    counts = _Counts(func)
    for _ in range(20):
        changed = _substitute(func, keep, counts) | _copies(func, keep, counts) | \
            _constants(func, keep, counts) | _dead_code(func, pure, counts)
        if not changed:
            break
    return func


def fill_empty_blocks(tree):
    """Give every block that holds only comments a `pass` (and drop such an `else:`)."""
    for node in walk(tree):
        if isinstance(node, (gast.For, gast.While, gast.If, gast.FunctionDef)) and \
                all(_is_comment(b) for b in node.body):
            node.body = node.body + [gast.Pass()]
        if isinstance(node, (gast.If, gast.For, gast.While)) and \
                all(_is_comment(b) for b in node.orelse):
            node.orelse = []
    return tree


def _is_comment(s):
    return isinstance(s, gast.Pass) or (
        isinstance(s, gast.Expr) and isinstance(s.value, gast.Call)
        and isinstance(s.value.func, gast.Name) and s.value.func.id == "__srcgrad_comment__")


class _Counts:
    """How often each name is defined and used (an augmented assignment's target
    counts as both) and how many augmented assignments target it, in the whole
    function. Each rewrite updates the tallies for the statements it changes,
    which saves walking the whole function before every rewrite; `snapshot()`
    gives a rewrite the tallies as of its start, the ones it decides by."""

    def __init__(self, func):
        self.defs, self.uses, self.augmented = {}, {}, {}
        self.add(func)

    def _tally(self, node, step):
        defs, uses, aug = self.defs, self.uses, self.augmented
        for n in walk(node):
            if isinstance(n, gast.Name):
                table = uses if isinstance(n.ctx, gast.Load) else defs
                table[n.id] = table.get(n.id, 0) + step
            elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                uses[n.target.id] = uses.get(n.target.id, 0) + step
                aug[n.target.id] = aug.get(n.target.id, 0) + step

    def add(self, node):
        self._tally(node, 1)

    def remove(self, node):
        self._tally(node, -1)

    def snapshot(self):
        return dict(self.defs), dict(self.uses)


def _blocks(node):
    for field in ("body", "orelse"):
        block = getattr(node, field, None)
        if isinstance(block, list) and block and isinstance(block[0], gast.stmt):
            yield node, field, block
    for child in getattr(node, "body", []) + getattr(node, "orelse", []):
        if isinstance(child, gast.stmt):
            yield from _blocks(child)


def _simple_target(s):
    return isinstance(s, gast.Assign) and len(s.targets) == 1 and \
        isinstance(s.targets[0], gast.Name)


def _substitute(func, keep, counts):
    """`t = e; <next statement using t once>` -> the next statement using e, when t is
    defined once and used once in the whole function."""
    defs, uses = counts.snapshot()
    params = {a.id for a in func.args.args + func.args.posonlyargs + func.args.kwonlyargs}
    changed = False
    for owner, field, block in list(_blocks(func)):
        i = 0
        while i < len(block) - 1:
            s, nxt = block[i], block[i + 1]
            if _simple_target(s) and isinstance(nxt, (gast.Assign, gast.AugAssign,
                                                      gast.Return, gast.Expr)):
                t = s.targets[0].id
                if defs.get(t) == 1 and uses.get(t) == 1 and t not in params and t not in keep and \
                        t in load_names(nxt):
                    counts.remove(nxt)
                    done = _replace(nxt, t, s.value)
                    counts.add(nxt)
                    if not done:
                        i += 1
                        continue
                    counts.remove(s)  # e, now in nxt, was counted there too
                    del block[i]
                    changed = True
                    continue
            i += 1
    return changed


def _constants(func, keep, counts):
    """Propagate numbers assigned once, at the top level, to a generated name (the
    seed `dresult = 1.0`), then fold arithmetic on numbers: the same Python operation,
    done once at compile time, so the values are identical."""
    defs, _ = counts.snapshot()
    augmented = {k for k, v in counts.augmented.items() if v > 0}
    values = {}
    for s in func.body:
        if _simple_target(s) and _number(s.value) and defs.get(s.targets[0].id) == 1 \
                and s.targets[0].id not in keep and s.targets[0].id not in augmented:
            values[s.targets[0].id] = s.value.value
    changed = [False]

    class _PropagateConstants(gast.NodeTransformer):
        def visit_Name(self, n):
            if n.id in values and isinstance(n.ctx, gast.Load):
                changed[0] = True
                counts.uses[n.id] -= 1
                return gast.Constant(value=values[n.id], kind=None)
            return n

        def visit_BinOp(self, n):
            self.generic_visit(n)
            if _number(n.left) and _number(n.right) and type(n.op) in _FOLD:
                try:
                    v = _FOLD[type(n.op)](n.left.value, n.right.value)
                except (ArithmeticError, ValueError):
                    return n
                if isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < 2 ** 53:
                    changed[0] = True
                    return gast.Constant(value=v, kind=None)
            return n
    _PropagateConstants().visit(func)
    return changed[0]


_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv}


def _number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _copies(func, keep, counts):
    """Copy propagation inside a block: after `a = b`, read `b` for `a` while `b` is
    unchanged; the copy goes when no read of `a` is left. Self-copies `a = a` go."""
    defs, uses = counts.snapshot()
    params = {a.id for a in func.args.args + func.args.posonlyargs + func.args.kwonlyargs}
    changed = False
    for owner, field, block in list(_blocks(func)):
        i = 0
        while i < len(block):
            s = block[i]
            if _simple_target(s) and isinstance(s.value, gast.Name) and \
                    s.value.id == s.targets[0].id:
                counts.remove(s)
                del block[i]
                changed = True
                continue
            if _simple_target(s) and isinstance(s.value, gast.Name):
                a, b = s.targets[0].id, s.value.id
                if defs.get(a) == 1 and a not in params and a not in keep and \
                        _propagate(block[i + 1:], a, b, uses.get(a, 0), counts):
                    counts.remove(s)
                    del block[i]
                    changed = True
                    continue
            i += 1
    return changed


def _propagate(rest, a, b, n_uses, counts):
    """Rewrite reads of `a` in `rest` into `b` if all n_uses reads come before `b`
    changes; return whether that succeeded (nothing is changed otherwise)."""
    plan = []
    seen = 0
    for s in rest:
        reads = sum(1 for n in walk(s) if isinstance(n, gast.Name) and n.id == a
                    and isinstance(n.ctx, gast.Load))
        if _simple_target(s) and s.targets[0].id == b and isinstance(s.value, gast.Name) \
                and s.value.id == a:
            plan.append(s)  # `b = a` keeps b's value: it becomes `b = b` and goes
            seen += 1
            continue
        writes_b = any(isinstance(n, gast.Name) and n.id == b and
                       not isinstance(n.ctx, gast.Load) for n in walk(s)) or (
            isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name)
            and s.target.id == b)
        if reads:
            compound = isinstance(s, (gast.If, gast.For, gast.While))
            if compound and writes_b:
                return False
            plan.append(s)
            seen += reads
        if writes_b or seen >= n_uses:
            break
    if seen != n_uses:
        return False

    for s in plan:
        counts.remove(s)
        _rewrite_reads(s, a, lambda n: name_node(b), limit=None)
        counts.add(s)
    return True


def _replace(stmt, name, value):
    """Replace the first read of `name` in `stmt` by the expression `value`."""
    return _rewrite_reads(stmt, name, lambda n: value, limit=1) > 0


def _rewrite_reads(stmt, name, make, limit):
    """Replace reads of `name` in `stmt` (its right-hand side for assignments) by
    make(node), at most `limit` times; return how many were replaced."""
    count = [0]

    class _ReadRewriter(gast.NodeTransformer):
        def visit_Name(self, n):
            if n.id == name and isinstance(n.ctx, gast.Load) and \
                    (limit is None or count[0] < limit):
                count[0] += 1
                return make(n)
            return n
    if isinstance(stmt, (gast.Assign, gast.AugAssign)):
        stmt.value = _ReadRewriter().visit(stmt.value)
    else:
        _ReadRewriter().visit(stmt)
    return count[0]


def _dead_code(func, pure, counts):
    defs, uses = counts.snapshot()
    changed = False
    for owner, field, block in list(_blocks(func)):
        keep = []
        for s in block:
            if _simple_target(s) and uses.get(s.targets[0].id, 0) == 0 and \
                    _is_pure(s.value, pure):
                changed = True
                counts.remove(s)
                continue
            if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name) and \
                    uses.get(s.target.id, 0) == 1 and _is_pure(s.value, pure):
                changed = True  # only the augmented assignment itself reads it
                counts.remove(s)
                continue
            if isinstance(s, (gast.For, gast.If)) and \
                    all(_is_comment(b) for b in s.body + s.orelse) and \
                    _is_pure(s.iter if isinstance(s, gast.For) else s.test, pure):
                changed = True  # a loop or branch left with nothing to do
                counts.remove(s)
                continue
            keep.append(s)
        if not keep:
            keep = [gast.Pass()]
        setattr(owner, field, keep)
    return changed


def _is_pure(expr, pure):
    for node in walk(expr):
        if isinstance(node, gast.Call) and not pure(node):
            return False
    return True
