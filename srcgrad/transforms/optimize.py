"""Clean-up of generated functions: forward substitution of single-use temporaries
and dead-code elimination.

Entry: `optimize(func, pure) -> func` where `pure(call) -> bool` tells which calls
have no side effects. Both rewrites preserve the values of every name that is read
later, so gradients are unchanged (the tests run optimized and unoptimized forms).
`at_fixpoint(func)`: whether the last optimize of `func` stopped because no rewrite
applied any more (not at the round limit); true only while `func` is unchanged since.
"""
import math
import operator
from ast import AST

import gast

from .markers import Fixpoint, annotate, note
from .syntax import name as name_node
from ..treewalk import CHILD_FIELDS as _CHILD_FIELDS

_Name, _Load, _AugAssign, _BinOp = gast.Name, gast.Load, gast.AugAssign, gast.BinOp
_Constant, _Call, _Attribute, _Assign = gast.Constant, gast.Call, gast.Attribute, gast.Assign
_STORES = (gast.Store, gast.Param)  # (syntax.STORES)
# the traversals below read only the fields that can hold a name, a call or a
# statement (treewalk.CHILD_FIELDS)


def _node_list(node):
    """Every node under `node` that can hold a name (operators and contexts left out),
    as a list in no particular order: for tallies, where order does not matter. The
    commonest classes of generated code read their child fields directly (a
    generated tree is printed and compiled, so their fields are all there); any
    other class reads its treewalk.CHILD_FIELDS."""
    out = [node]
    push, extend, fields_of = out.append, out.extend, _CHILD_FIELDS
    for n in out:  # a list read while it grows: the nodes still to expand
        cls = n.__class__
        if cls is _Name:
            annotation = getattr(n, "annotation", None)
            if annotation is not None and isinstance(annotation, AST):
                push(annotation)
            continue
        if cls is _Constant:
            continue
        if cls is _BinOp:
            push(n.left)
            push(n.right)
            continue
        if cls is _Call:
            push(n.func)
            extend(n.args)
            extend(n.keywords)
            continue
        if cls is _Attribute:
            push(n.value)
            continue
        if cls is _Assign:
            extend(n.targets)
            push(n.value)
            continue
        for field in fields_of[cls]:
            value = getattr(n, field, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        push(item)
            elif isinstance(value, AST):
                push(value)
    return out


def optimize(func, pure, keep=frozenset(), counts=None):
    """`keep`: names (the user's own) that are never substituted away; `counts`:
    `counted(func)[0]`, if the caller has it and `func` is unchanged since."""
    counts = _Counts(func) if counts is None else counts
    annotate(func, Fixpoint(False))
    for _ in range(20):
        # the blocks stay those of the round's start until _dead_code, which makes
        # them anew: the rewrites before it delete plain assignments only
        blocks = _blocks(func)
        rewritten = _substitute(func, keep, counts, blocks) | \
            _copies(func, keep, counts, blocks)
        propagated = _constants(func, keep, counts)
        if not (rewritten | propagated | _dead_code(func, pure, counts, blocks)):
            # a round that changed nothing: a new run on this func would decide the
            # same (the tallies are exact) and change nothing either
            annotate(func, Fixpoint(True))
            break
    return func


def counted(func):
    """(optimize's first tallies of `func`, syntax.store_names(func), its Call nodes
    in no particular order): one walk for a pass before optimize that needs the
    last two (drop_real_helpers). The tallies hold while `func` is unchanged."""
    stores, calls = set(), []
    return _Counts(func, (stores, calls)), stores, calls


def at_fixpoint(func):
    n = note(func, Fixpoint)
    return n is not None and n.reached


def fill_empty_blocks(tree):
    """Give every block that holds only comments a `pass` (and drop such an `else:`)."""
    for node in _statements_anywhere(tree):
        if isinstance(node, (gast.For, gast.While, gast.If, gast.FunctionDef)) and \
                all(_is_comment(b) for b in node.body):
            node.body = node.body + [gast.Pass()]
        if isinstance(node, (gast.If, gast.For, gast.While)) and \
                all(_is_comment(b) for b in node.orelse):
            node.orelse = []
    return tree


def _statements_anywhere(tree):
    """`tree` and every statement (and except handler, match case) in it: what
    `walk` would yield of them, found without entering expressions."""
    stack = [tree]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _STATEMENT_LIKE):
                        push(item)


_STATEMENT_LIKE = (gast.stmt, gast.excepthandler, gast.match_case)


def _is_comment(s):
    return isinstance(s, gast.Pass) or (
        isinstance(s, gast.Expr) and isinstance(s.value, gast.Call)
        and isinstance(s.value.func, gast.Name) and s.value.func.id == "__srcgrad_comment__")


class _Counts:
    """How often each name is defined and used (an augmented assignment's target
    counts as both) and how many augmented assignments target it, in the whole
    function. Each rewrite updates the tallies for what it changes (by a walk of a
    removed statement, or by the known difference, e.g. a substitution removes one
    definition and one read of its name), which saves walking the whole function
    before every rewrite; `snapshot()` gives a rewrite the tallies as of its start,
    the ones it decides by.

    `foldable`: whether the function may hold arithmetic on two numbers that
    _constants has not tried to fold (see there)."""

    def __init__(self, func, found=None):  # found: (stores, calls) to fill, see counted
        self.defs, self.uses, self.augmented = {}, {}, {}
        self.foldable = False
        self._tally(func, 1, found)

    def _tally(self, node, step, found=None):
        # _node_list's loop with the counting inlined (this walks the whole function):
        # a name is counted as it is met, an operation is only expanded
        defs, uses, aug = self.defs, self.uses, self.augmented
        foldable = False
        stores, calls = found if found is not None else (None, None)
        todo = [node]
        push, extend, fields_of = todo.append, todo.extend, _CHILD_FIELDS
        for n in todo:
            cls = n.__class__
            if cls is _Name:
                ctx = n.ctx
                table = uses if isinstance(ctx, _Load) else defs
                table[n.id] = table.get(n.id, 0) + step
                if stores is not None and isinstance(ctx, _STORES):
                    stores.add(n.id)
                annotation = getattr(n, "annotation", None)
                if annotation is not None and isinstance(annotation, AST):
                    push(annotation)
            elif cls is _Constant:
                pass
            elif cls is _BinOp:
                left, right = n.left, n.right
                if not foldable and _number(left) and _number(right):
                    foldable = True
                push(left)
                push(right)
            elif cls is _Call:
                if calls is not None:
                    calls.append(n)
                push(n.func)
                extend(n.args)
                extend(n.keywords)
            elif cls is _Attribute:
                push(n.value)
            elif cls is _Assign:
                extend(n.targets)
                push(n.value)
            else:
                if cls is _AugAssign and n.target.__class__ is _Name:
                    uses[n.target.id] = uses.get(n.target.id, 0) + step
                    aug[n.target.id] = aug.get(n.target.id, 0) + step
                for field in fields_of[cls]:
                    value = getattr(n, field, None)
                    if value.__class__ is list:
                        for item in value:
                            if isinstance(item, AST):
                                push(item)
                    elif isinstance(value, AST):
                        push(value)
        if foldable and step > 0:
            self.foldable = True

    def add(self, node):
        self._tally(node, 1)

    def remove(self, node):
        self._tally(node, -1)

    def used(self, name, step):
        self.uses[name] = self.uses.get(name, 0) + step

    def defined(self, name, step):
        self.defs[name] = self.defs.get(name, 0) + step

    def snapshot(self):
        return dict(self.defs), dict(self.uses)


def _blocks(node):
    """[(owner, field, block)] of every non-empty statement list (body, orelse) in
    `node`, in pre-order: a block before the blocks nested in its statements."""
    # A stack, not a recursive closure: a closure that calls itself is a reference
    # cycle, and `out` (every block, which _dead_code replaces) would then stay alive
    # until the garbage collector runs, paused while compiling.
    out = []
    stack = [node]
    while stack:
        node = stack.pop()
        children = []
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if block.__class__ is list:
                if block and isinstance(block[0], gast.stmt):
                    out.append((node, field, block))
                children.extend(child for child in block if child.__class__ in _COMPOUND)
        stack.extend(reversed(children))
    return out


# statements that may hold blocks of their own
_COMPOUND = frozenset(c for c in vars(gast).values() if isinstance(c, type) and
                      issubclass(c, gast.stmt) and
                      ("body" in c._fields or "orelse" in c._fields))


def _simple_target(s):
    return s.__class__ is gast.Assign and len(s.targets) == 1 and \
        s.targets[0].__class__ is _Name


def _params(func):
    return {a.id for a in func.args.args + func.args.posonlyargs + func.args.kwonlyargs}


def _substitute(func, keep, counts, blocks):
    """`t = e; <next statement using t once>` -> the next statement using e, when t is
    defined once and used once in the whole function."""
    # The live tallies decide: a substitution changes only the counts of its own t,
    # whose one definition it deletes (the snapshot of the start would read the same)
    defs, uses = counts.defs, counts.uses
    params = _params(func)
    changed = False
    into, assign_cls, name_cls = _INTO, _Assign, _Name  # (locals: read per statement)
    for owner, field, block in blocks:
        # the pairs (s, nxt) in order; when s goes, nxt is paired with the statement
        # after it. The kept statements are collected and put back in one go (a
        # `del` per substitution would move the rest of a long block each time).
        kept = []
        s = block[0]
        for k in range(1, len(block)):
            nxt = block[k]
            if nxt.__class__ in into and s.__class__ is assign_cls and \
                    len(s.targets) == 1 and s.targets[0].__class__ is name_cls:
                t = s.targets[0].id
                # (_replace finds t's one read or changes nothing)
                if uses.get(t) == 1 and defs.get(t) == 1 and t not in params and \
                        t not in keep and _replace(nxt, t, s.value):
                    # e moves from s into nxt: one read and the definition of t go
                    counts.used(t, -1)
                    counts.defined(t, -1)
                    if _number(s.value):  # it may now be an operand next to a number
                        counts.foldable = True
                    s = nxt
                    continue
            kept.append(s)
            s = nxt
        kept.append(s)
        if len(kept) < len(block):
            block[:] = kept
            changed = True
    return changed


_INTO = frozenset((gast.Assign, gast.AugAssign, gast.Return, gast.Expr))  # substituted into


def _constants(func, keep, counts):
    """Propagate numbers assigned once, at the top level, to a generated name (the
    seed `dresult = 1.0`), then fold arithmetic on numbers: the same Python operation,
    done once at compile time, so the values are identical.

    The walk of the function is skipped when it would change nothing: no read is
    left of a name to propagate (the tallies are exact), and no arithmetic on two
    numbers is new since the last walk (`counts.foldable`: set by the first tally
    when it sees any, and by a substitution of a number; a walk folds bottom up what
    it can, and a fold that failed fails again; the other rewrites put no number
    anywhere)."""
    defs = counts.defs  # (only reads change below)
    augmented = {k for k, v in counts.augmented.items() if v > 0}
    values = {}
    first = None  # the index of the first statement defining one of them
    for k, s in enumerate(func.body):
        if s.__class__ is _Assign and s.value.__class__ is _Constant and \
                _simple_target(s) and _number(s.value) and defs.get(s.targets[0].id) == 1 \
                and s.targets[0].id not in keep and s.targets[0].id not in augmented:
            values[s.targets[0].id] = s.value.value
            if first is None:
                first = k
    uses = counts.uses
    reads = sum(max(uses.get(n, 0), 0) for n in values)
    foldable = counts.foldable
    if not foldable and not reads:
        return False
    counts.foldable = False
    changed = [False]
    # Without new arithmetic on numbers, the walk starts at the first definition of
    # a name in `values` and stops after the last read (the tallies are exact):
    # nothing outside would change. The BinOps holding that read are still folded,
    # on the way back up. Reads before that definition (not in generated code) are
    # found by a walk of the whole function after it, which changes nothing of
    # what was walked already (a fold that failed fails again).
    left = [reads if not foldable else -1]

    def fold(n):
        """`n` after its children are visited: a number for arithmetic on numbers."""
        if _number(n.left) and _number(n.right) and type(n.op) in _FOLD:
            try:
                v = _FOLD[type(n.op)](n.left.value, n.right.value)
            except (ArithmeticError, ValueError):
                return n
            if isinstance(v, (int, float)) and math.isfinite(v) and abs(v) < 2 ** 53:
                changed[0] = True
                return gast.Constant(value=v, kind=None)
        return n

    def child(n):
        """What replaces the child node `n` (a name is not entered, as a
        NodeTransformer's visit_Name would not)."""
        if n.__class__ is _Name:
            if n.id in values and isinstance(n.ctx, _Load):
                changed[0] = True
                uses[n.id] -= 1
                left[0] -= 1
                return gast.Constant(value=values[n.id], kind=None)
            return n
        if n.__class__ is _Constant:
            return n  # (no node inside)
        visit(n)
        return fold(n) if n.__class__ is _BinOp else n

    def visit(n):
        """Rewrite the children of `n` in place, depth first, left to right."""
        for field in _CHILD_FIELDS[n.__class__]:
            if not left[0]:
                return
            value = getattr(n, field, None)
            if value.__class__ is list:
                for i, item in enumerate(value):
                    if not left[0]:
                        return
                    if isinstance(item, AST):
                        new = child(item)
                        if new is not item:
                            value[i] = new
            elif isinstance(value, AST):
                new = child(value)
                if new is not value:
                    setattr(n, field, new)
    if foldable:
        visit(func)
    else:
        for s in func.body[first:]:  # (a statement is never replaced: see child)
            if not left[0]:
                break
            visit(s)
        if left[0]:
            visit(func)
    # child and visit call each other through their cells: a reference cycle, which
    # the paused garbage collector would free only after the compile (clearing one
    # cell breaks it)
    visit = None
    return changed[0]


_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv}


def _number(node):
    return node.__class__ is gast.Constant and type(node.value) in (int, float)


def _copies(func, keep, counts, blocks):
    """Copy propagation inside a block: after `a = b`, read `b` for `a` while `b` is
    unchanged; the copy goes when no read of `a` is left. Self-copies `a = a` go."""
    defs, uses = counts.snapshot()
    params = _params(func)
    changed = False
    for owner, field, block in blocks:
        # a copy that goes is left in place until the block is done (a `del` per
        # copy would move the rest of a long block each time): _propagate reads only
        # the statements after it, and the kept ones are put back in one go
        gone = []
        for i in range(len(block)):
            s = block[i]
            if s.__class__ is _Assign and s.value.__class__ is _Name and \
                    _simple_target(s):
                a, b = s.targets[0].id, s.value.id
                if a == b or (defs.get(a) == 1 and a not in params and a not in keep and
                              _propagate(block, i + 1, a, b, uses.get(a, 0), counts)):
                    counts.defined(a, -1)  # the copy goes: its definition and read
                    counts.used(b, -1)
                    gone.append(i)
        if gone:
            gone = set(gone)
            block[:] = [s for i, s in enumerate(block) if i not in gone]
            changed = True
    return changed


def _propagate(block, start, a, b, n_uses, counts):
    """Rewrite reads of `a` in block[start:] into `b` if all n_uses reads come before
    `b` changes; return whether that succeeded (nothing is changed otherwise)."""
    plan = []
    seen = 0
    for k in range(start, len(block)):
        s = block[k]
        if s.__class__ is _Assign and s.value.__class__ is _Name and \
                s.value.id == a and _simple_target(s) and s.targets[0].id == b:
            plan.append(s)  # `b = a` keeps b's value: it becomes `b = b` and goes
            seen += 1
            continue
        reads, writes_b = 0, False
        for n in _node_list(s):
            if n.__class__ is _Name:
                if isinstance(n.ctx, _Load):
                    if n.id == a:
                        reads += 1
                elif n.id == b:
                    writes_b = True
            elif n.__class__ is _AugAssign and n.target.__class__ is _Name and \
                    n.target.id == b:
                writes_b = True
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

    for s in plan:  # (an assignment's reads on its right-hand side only)
        if isinstance(s, (gast.Assign, gast.AugAssign)):
            value = s.value
            if value.__class__ is _Name:
                done = 0
                if value.id == a and isinstance(value.ctx, _Load):
                    s.value = name_node(b)
                    done = 1
            else:
                done = _rename_reads(value, a, b)
        else:
            done = _rename_reads(s, a, b)
        counts.used(a, -done)
        counts.used(b, done)
    return True


def _replace(stmt, name, value):
    """Replace the first read of `name` in `stmt` (its right-hand side for
    assignments) by the expression `value`, depth first, left to right (a
    NodeTransformer's order); return whether there was one."""
    if isinstance(stmt, (gast.Assign, gast.AugAssign)):
        root = stmt.value
        if root.__class__ is _Name:
            if root.id == name and isinstance(root.ctx, _Load):
                stmt.value = value
                return True
            return False
    else:
        root = stmt
    where = _first_read(root, name)
    if where is None:
        return False
    holder, key = where
    if holder.__class__ is list:
        holder[key] = value
    else:
        setattr(holder, key, value)
    return True


def _first_read(n, name):
    """(list, index) or (node, field) of the first read of `name` among the nodes
    under `n` (not `n` itself), depth first, left to right, a Name's own children
    not entered; None if there is none."""
    for field in _CHILD_FIELDS[n.__class__]:
        value = getattr(n, field, None)
        if value.__class__ is list:
            for i, item in enumerate(value):
                if item.__class__ is _Name:
                    if item.id == name and isinstance(item.ctx, _Load):
                        return value, i
                elif isinstance(item, AST):
                    found = _first_read(item, name)
                    if found is not None:
                        return found
        elif value.__class__ is _Name:
            if value.id == name and isinstance(value.ctx, _Load):
                return n, field
        elif isinstance(value, AST):
            found = _first_read(value, name)
            if found is not None:
                return found
    return None


def _rename_reads(n, a, b):
    """Replace every read of `a` among the nodes under `n` (not `n` itself) by a new
    read of `b`, a Name's own children not entered; return how many."""
    done = 0
    for field in _CHILD_FIELDS[n.__class__]:
        value = getattr(n, field, None)
        if value.__class__ is list:
            for i, item in enumerate(value):
                if item.__class__ is _Name:
                    if item.id == a and isinstance(item.ctx, _Load):
                        value[i] = name_node(b)
                        done += 1
                elif isinstance(item, AST):
                    done += _rename_reads(item, a, b)
        elif value.__class__ is _Name:
            if value.id == a and isinstance(value.ctx, _Load):
                setattr(n, field, name_node(b))
                done += 1
        elif isinstance(value, AST):
            done += _rename_reads(value, a, b)
    return done


def _dead_code(func, pure, counts, blocks):
    uses = dict(counts.uses)  # as of the start (only reads decide here)
    changed = False
    for owner, field, block in blocks:
        if not block:  # emptied by _copies: not a block any more (see _blocks)
            continue
        keep = []
        for s in block:
            if s.__class__ is _Assign:  # (none of the other cases below)
                if len(s.targets) == 1 and s.targets[0].__class__ is _Name and \
                        uses.get(s.targets[0].id, 0) == 0 and _is_pure(s.value, pure):
                    changed = True
                    counts.remove(s)
                    continue
                keep.append(s)
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
    for node in _node_list(expr):
        if isinstance(node, _Call) and not pure(node):
            return False
    return True
