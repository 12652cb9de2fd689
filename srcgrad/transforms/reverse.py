"""Reverse mode: the primal sweep (with saves) and the adjoint sweep.

Entry: `reverse(tree, job) -> Sweeps` for a normalized, activity-annotated function.

Invariants of the generated code:
  * Adjoint variables are created on first contribution (no zero-initialised
    adjoints that are then overwritten). The transform tracks for each adjoint a
    static state: ZERO (holds nothing yet), OWNED (a fresh array only this adjoint
    references, updated in place) or SOME (any value, possibly shared).
  * A name the adjoint sweep reads is restored to the value it had at each point:
    every assignment that overwrites such a name saves the old value (in a local, or
    on a per-call stack inside loops) and the adjoint sweep restores it right after
    differentiating that assignment. Subscript assignments save and restore the
    overwritten elements. Nothing else is saved.
  * Branch decisions are the branch's condition variable (restored like any name);
    `while` loops count their iterations; `for` loops replay `reversed(range)`.
"""
import builtins

import gast
import numpy as np

from ..errors import UnsupportedSyntaxError
from .. import runtime
from ..resolve import operator_for
from .activity import ValueKind, value_kind
from .setitem import int_names, is_basic, written_params
from .syntax import (assign, call, clone, comment, const, is_break_guard, load_names, name,
                     popped_list, pushed_list, rename, statements, store, store_names)

ZERO, OWNED, SOME = "zero", "owned", "some"


class Sweeps:
    """Result of the reverse transform, assembled into functions by `assemble`."""

    def __init__(self):
        self.primal = []
        self.adjoint = []
        self.preinit = []      # names set to None on entry so saves never fail
        self.uses_stack = False
        self.saved_names = set()  # primal names the adjoint sweep reads
        self.captured = {}     # intermediate wrt name -> name holding its gradient
        self.final_states = {}


class Reverse:
    def __init__(self, job):
        self.job = job
        self.ctx = job.ctx
        self.namer = job.ctx.namer
        self.active = job.active
        self.resolver = job.resolver
        self.cuts = job.cuts            # intermediate names given in wrt
        self.adjoints = {}              # primal name -> adjoint name
        self.primal_of = {}             # adjoint name -> primal name
        self.sites = {}                 # id(assign stmt) -> key for save/restore
        self.stack = None
        self.captured = {}
        self.call_saves = {}            # id(call stmt) -> name of its saved tuple
        # Primal names whose zero adjoint is made from their value. On a path where
        # such a name was never assigned its adjoint is never read, so it is preset to
        # None (and zeros_like(None) is a harmless 0.0).
        self.materialized = set()
        self.available = {}

    # names

    def d(self, x):
        if x not in self.adjoints:
            dn = self.namer.adjoint(x)
            self.adjoints[x] = dn
            self.primal_of[dn] = x
        return self.adjoints[x]

    def helper(self, obj, preferred):
        return self.ctx.helper(preferred, obj)

    def rt(self, fname):
        return name(self.helper(getattr(runtime, fname), fname))

    def stack_name(self):
        if self.stack is None:
            self.stack = self.namer.fresh("stack")
        return self.stack

    # ---- adjoint sweep ---------------------------------------------------------

    def adjoint_block(self, stmts, state, depth):
        out = []
        available = self.available_calls(stmts)
        for i, s in reversed(list(enumerate(stmts))):
            self.available = available[i]
            block = self.adjoint_stmt(s, state, depth)
            if block:
                origin = getattr(s, "origin", s)
                out.append(_origin_comment(self.ctx, origin))
                out.extend(block)
        return _merge_comments(out)

    def adjoint_stmt(self, s, state, depth):
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if isinstance(target, gast.Subscript):
                return self.adj_setitem(s, state, depth)
            if isinstance(target, gast.Tuple):
                return self.adj_unpack(s, state)
            return self.adj_assign(s, state, depth)
        if isinstance(s, gast.If):
            if is_break_guard(s):
                return []
            return self.adj_if(s, state, depth)
        if isinstance(s, gast.While):
            return self.adj_while(s, state, depth)
        if isinstance(s, gast.For):
            return self.adj_for(s, state, depth)
        if isinstance(s, gast.Expr) and pushed_list(s, self.resolver) in self.active:
            return self.adj_push(s, state)
        return []

    # A local list used as a stack (as in srcgrad's own generated code) gets a list of
    # adjoints that mirrors it: each pop pushes the popped value's adjoint, each
    # append pops one. This is what makes generated adjoints differentiable again.

    def adj_pop(self, y, lst, state, out):
        dl = self.d(lst)
        if state.get(dl, ZERO) == ZERO:
            out.append(assign(dl, gast.List(elts=[], ctx=gast.Load())))
            state[dl] = SOME
        dy = self.d(y)
        value = name(dy) if y in self.active and state.get(dy, ZERO) != ZERO else \
            call(self.rt("zeros_like"), [name(y)])
        out.append(gast.Expr(value=call(gast.Attribute(value=name(dl), attr="append",
                                                       ctx=gast.Load()), [value])))

    def adj_push(self, s, state):
        lst = s.value.func.value.id
        dl = self.d(lst)
        if state.get(dl, ZERO) == ZERO:
            return []
        popped = call(gast.Attribute(value=name(dl), attr="pop", ctx=gast.Load()))
        arg = s.value.args[0]
        out = []
        if self.is_active_name(arg):
            self.accumulate(arg.id, popped, state, out)
        else:
            out.append(gast.Expr(value=popped))
        return out

    def restore_marker(self, s, x):
        marker = gast.Expr(value=const(None))
        marker.srcgrad_restore = (id(s), x)
        return marker

    def adj_assign(self, s, state, depth):
        y = s.targets[0].id
        out = []
        dy = self.d(y)
        lst = popped_list(s.value, self.resolver)
        if y in self.cuts:
            self.captured[y] = self.capture(y, state, out)
        elif lst is not None:
            if lst in self.active:
                self.adj_pop(y, lst, state, out)
        elif y in self.active and state.get(dy, ZERO) != ZERO:
            out.extend(self.propagate(s, y, state, depth))
        state[dy] = ZERO
        # restores pop in the reverse order of the saves: [y, saved] were pushed
        if id(s) in self.call_saves:
            out.append(self.restore_marker(s, self.call_saves[id(s)]))
        out.append(self.restore_marker(s, y))
        return out

    def capture(self, y, state, out):
        grad = self.namer.fresh("grad_" + y)
        dy = self.d(y)
        if state.get(dy, ZERO) == ZERO:
            out.append(assign(grad, call(self.rt("zeros_like"), [name(y)])))
        else:
            out.append(assign(grad, name(dy)))
        return grad

    def accumulate(self, x, expr, state, out, fresh=False):
        """Add `expr` to the adjoint of `x` (nothing when `x` is not active)."""
        dx = self.d(x)
        st = state.get(dx, ZERO)
        if st == ZERO and x in self.pushed:  # its appends pop from it: make it a list
            expr = call(self.rt("as_list"), [expr])
        if st == ZERO:
            out.append(assign(dx, expr))
            state[dx] = OWNED if fresh else SOME
        elif x in self.containers:  # tuple/list adjoints add elementwise
            out.append(assign(dx, call(self.rt("add"), [name(dx), expr])))
            state[dx] = SOME
        elif st == OWNED:
            out.append(gast.AugAssign(target=store(dx), op=gast.Add(), value=expr))
        else:
            out.append(assign(dx, gast.BinOp(left=name(dx), op=gast.Add(), right=expr)))
            state[dx] = SOME

    def materialize(self, x, state, out):
        dx = self.d(x)
        self.materialized.add(x)
        if state.get(dx, ZERO) == ZERO:
            out.append(assign(dx, call(self.rt("zeros_like"), [name(x)])))
            state[dx] = OWNED

    def is_active_name(self, node):
        return isinstance(node, gast.Name) and node.id in self.active

    def propagate(self, s, y, state, depth):
        value = s.value
        kind = value_kind(value, self.resolver)
        out = []
        dy = name(self.d(y))
        if kind is ValueKind.COPY:
            if value.id in self.active:
                self.accumulate(value.id, dy, state, out)
            return out
        if isinstance(value, (gast.Tuple, gast.List)):
            for i, e in enumerate(value.elts):
                if self.is_active_name(e):
                    item = call(self.rt("element"), [dy, const(i)])
                    if y not in self.job.reals:
                        item = call(self.rt("real_like"), [item, name(e.id)])
                    self.accumulate(e.id, item, state, out)
            return out
        if isinstance(value, gast.Subscript):
            return self.adj_getitem(value, y, state)
        if kind is ValueKind.CALL:
            return self.adj_call(s, y, state)
        if kind is not ValueKind.OP:
            return out
        if isinstance(value, gast.BinOp):
            rule = self.rule_for(operator_for(value.op))
            bound = {p: a for p, a in zip(list(rule.signature.parameters), [value.left, value.right])}
            return self.instantiate(rule, y, bound, state, elide=_elide(value.left, value.right))
        if isinstance(value, gast.UnaryOp):
            rule = self.rule_for(operator_for(value.op))
            bound = {list(rule.signature.parameters)[0]: value.operand}
            return self.instantiate(rule, y, bound, state)
        if isinstance(value, gast.Attribute):
            callee = self.resolver.attribute(value.attr)
            bound = callee.rule.bind([value.value], {})
            return self.instantiate(callee.rule, y, bound, state)
        callee = self.resolver.callee(value)
        args = list(value.args)
        if isinstance(value.func, gast.Attribute) and callee.kind == "rule" \
                and isinstance(callee.obj, str):
            args = [value.func.value] + args  # method: the receiver is the first argument
        kwargs = {k.arg: k.value for k in value.keywords}
        try:
            bound = callee.rule.bind(args, kwargs)
        except TypeError as exc:
            raise self.ctx.error(f"srcgrad's rule for `{callee.label}` does not accept "
                                 f"these arguments ({exc}).", value, UnsupportedSyntaxError)
        elide = len(args) == 2 and not kwargs and _elide(*args)
        return self.instantiate(callee.rule, y, bound, state, elide=elide)

    def rule_for(self, op):
        from .. import rules
        return rules.lookup(op)

    def instantiate(self, rule, y, bound, state, elide=False):
        """Instantiate a rule template with the program's own names."""
        out = []
        temps = {}
        params = set(rule.signature.parameters)
        dy = self.d(y)

        def subst(node):
            node = clone(node)

            class _S(gast.NodeTransformer):
                def visit_Subscript(t, n):
                    if isinstance(n.value, gast.Name) and n.value.id == "d":
                        return name(dy)  # d[result]: the registry checked the template
                    t.generic_visit(n)
                    return n

                def visit_Call(t, n):
                    fobj = _template_object(n.func, rule.globals)
                    # a supported parameter left at its default: leave the keyword out
                    n.keywords = [k for k in n.keywords if not (
                        isinstance(k.value, gast.Name) and k.value.id in rule.supports
                        and getattr(bound.get(k.value.id), "srcgrad_default", False))]
                    t.generic_visit(n)
                    if fobj is runtime.unbroadcast:
                        if elide or self.same_shape(n.args[1], y):
                            return n.args[0]
                        return self.inline_unbroadcast(n, y)
                    if fobj in _MATMUL_GRADS:
                        return self.inline_matmul(n, fobj)
                    if fobj in (runtime.sum_grad, runtime.mean_grad):
                        return self.inline_reduction(n, fobj)
                    if fobj is np.where and isinstance(n.args[0], gast.Constant):
                        return n.args[1] if n.args[0].value else n.args[2]
                    if isinstance(fobj, np.ufunc) and not n.keywords:
                        known = self.available.get(_call_key(fobj, n.args))
                        if known is not None:
                            return name(known)
                    return n

                def visit_BinOp(t, n):
                    t.generic_visit(n)
                    return _fold(n)

                def visit_Name(t, n):
                    if n.id == rule.result:
                        return name(y)
                    if n.id in params:
                        arg = bound.get(n.id)
                        return clone(arg) if arg is not None else const(None)
                    if n.id in temps:
                        return name(temps[n.id])
                    if n.id in rule.globals:
                        return name(self.helper(rule.globals[n.id], n.id))
                    return n
            # elide before helper renaming: visit calls first by name
            return _S().visit(node)

        mixes = not elide and y not in self.job.reals and _may_mix(rule, bound)
        for stmt in rule.body:  # single assignments: the registry checked the template
            target = stmt.targets[0]
            if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) \
                    and target.value.id == "d":
                arg = bound.get(target.slice.id)
                if arg is None or not self.touches_active(arg):
                    continue
                expr = subst(stmt.value)
                if isinstance(arg, gast.Name):
                    if mixes and not _kept_unbroadcast(stmt.value, expr, rule):
                        expr = call(self.rt("real_like"), [expr, name(arg.id)])
                    self.accumulate(arg.id, expr, state, out)
                else:  # a tuple of arguments (e.g. *args): distribute the pieces
                    tmp = self.namer.fresh("d_parts")
                    out.append(assign(tmp, expr))
                    for i, e in enumerate(arg.elts):
                        if self.is_active_name(e):
                            self.accumulate(e.id, call(self.rt("element"), [name(tmp), const(i)]),
                                            state, out)
            else:
                temps[target.id] = self.namer.fresh(target.id)
                out.append(assign(temps[target.id], subst(stmt.value)))
        return out

    def available_calls(self, stmts):
        """For each statement of a block, the pure NumPy calls computed earlier in the
        block whose operands and result are unchanged since: {key: name}. An adjoint
        template that needs the same call (cos(x) in the rule of sin) reads the name."""
        avail, out = {}, []
        for st in stmts:
            out.append(dict(avail))
            changed = store_names(st) | {n.value.id for n in gast.walk(st)
                                         if isinstance(n, gast.Subscript)
                                         and isinstance(n.ctx, gast.Store)
                                         and isinstance(n.value, gast.Name)}
            avail = {k: v for k, v in avail.items()
                     if v not in changed and not (set(k[1]) & {("n", c) for c in changed})}
            if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name) and \
                    isinstance(st.value, gast.Call) and not st.value.keywords:
                callee = self.resolver.callee(st.value)
                key = _call_key(callee.obj, st.value.args)
                if callee.kind == "rule" and isinstance(callee.obj, np.ufunc) and key and \
                        ("n", st.targets[0].id) not in key[1]:
                    avail.setdefault(key, st.targets[0].id)
        return out

    def shape(self, node):
        if isinstance(node, gast.Name):
            return self.job.shapes.get(node.id)
        if isinstance(node, gast.Constant) and isinstance(node.value, (int, float)):
            return ()
        return None

    def inline_unbroadcast(self, n, y):
        """unbroadcast(g, x) as one `g.sum(axis=...)` when the shapes of g (that of y)
        and x are known statically; the helper call otherwise. The method form is
        used because g is then known to be an array, and it skips np.sum's dispatch."""
        gs, xs = self.job.shapes.get(y), self.shape(n.args[1])
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

    def inline_reduction(self, n, fobj):
        """The adjoint of a sum or mean over all elements of an array of known shape:
        the cotangent broadcast back (a view), with no helper call."""
        g, x, axis, keepdims = (list(n.args) + [const(None), const(False)])[:4]
        shape = self.shape(x)
        if shape is None or not isinstance(axis, gast.Constant) or axis.value is not None \
                or not isinstance(keepdims, gast.Constant):
            return n
        npn = name(self.helper(np, "np"))
        size = int(np.prod(shape))
        if fobj is runtime.mean_grad and size:  # an empty x: its gradient is empty
            g = gast.BinOp(left=g, op=gast.Div(), right=const(size))
        if shape == ():
            return g
        return call(gast.Attribute(value=npn, attr="broadcast_to", ctx=gast.Load()),
                    [g, const(shape)])

    def inline_matmul(self, n, fobj):
        """The adjoint of a product of vectors/matrices of statically known ranks,
        written out (g @ b.T, a.T @ g, ...) instead of a helper call."""
        g, a, b = n.args
        sa, sb = self.shape(a), self.shape(b)
        if sa is None or sb is None or not 1 <= len(sa) <= 2 or not 1 <= len(sb) <= 2:
            return n
        which = "a" if fobj in (runtime.matmul_grad_a, runtime.dot_grad_a) else "b"
        form = _MATMUL_FORMS[(len(sa), len(sb), which)]
        expr = gast.parse(form, mode="eval").body
        npn = self.helper(np, "np")
        return rename(expr, {"G": g, "A": a, "B": b, "np": npn})

    def same_shape(self, node, y):
        """Whether `node` is statically known to have the shape of `y` (after a
        template's substitution, before its names are bound)."""
        shapes = self.job.shapes
        if isinstance(node, gast.Name) and node.id in shapes and y in shapes:
            return shapes[node.id] == shapes[y]
        return False

    def touches_active(self, arg):
        if isinstance(arg, gast.Name):
            return arg.id in self.active
        if isinstance(arg, gast.Tuple):
            return any(self.is_active_name(e) for e in arg.elts)
        return False

    def adj_getitem(self, value, y, state):
        out = []
        base = value.value
        if not self.is_active_name(base):
            return out
        x = base.id
        dx = self.d(x)
        dy = name(self.d(y))
        st = state.get(dx, ZERO)
        index = clone(value.slice)
        index = _index_expr(index, self)
        if st == ZERO:
            out.append(assign(dx, call(self.rt("scatter_add"), [const(None), name(x), index, dy])))
        elif st == OWNED:
            out.append(assign(dx, call(self.rt("scatter_add"), [name(dx), name(x), index, dy])))
        else:
            fresh = call(self.rt("scatter_add"), [const(None), name(x), index, dy])
            out.append(assign(dx, gast.BinOp(left=name(dx), op=gast.Add(), right=fresh)))
        state[dx] = OWNED
        return out

    def adj_call(self, s, y, state):
        value = s.value
        callee = self.resolver.callee(value)
        saved = self.call_saves[id(s)]
        active_params = self.job.callee_active_params(value, callee)
        if not active_params:
            return []
        fwd, bwd = self.job.compile_callee(callee.obj, tuple(p for p, _ in active_params),
                                           value)
        bwd_name = self.helper(bwd, bwd.__name__)
        out = []
        grads = [self.namer.fresh("d_" + p) for p, _ in active_params]
        target = gast.Tuple(elts=[store(g) for g in grads], ctx=gast.Store()) \
            if len(grads) > 1 else store(grads[0])
        out.append(assign(target, call(name(bwd_name), [name(saved), name(self.d(y))])))
        for g, (p, arg) in zip(grads, active_params):
            self.accumulate(arg.id, name(g), state, out)
        return out

    def adj_unpack(self, s, state):
        out = []
        targets = [e.id for e in s.targets[0].elts]
        src = s.value.id
        if src in self.active and any(state.get(self.d(t), ZERO) != ZERO for t in targets
                                      if t in self.active):
            parts = []
            for t in targets:
                if t in self.active and state.get(self.d(t), ZERO) != ZERO:
                    parts.append(name(self.d(t)))
                else:
                    parts.append(call(self.rt("zeros_like"), [name(t)]))
            self.accumulate(src, gast.Tuple(elts=parts, ctx=gast.Load()), state, out)
        for t in reversed(targets):  # pops in the reverse order of the pushes
            state[self.d(t)] = ZERO
            out.append(self.restore_marker(s, t))
        return out

    def adj_setitem(self, s, state, depth):
        out = []
        target = s.targets[0]
        y = target.value.id
        dy = self.d(y)
        index = _index_expr(clone(target.slice), self)
        if y in self.active and state.get(dy, ZERO) != ZERO:
            v = s.value
            if self.is_active_name(v):
                part = "element" if is_basic(target.slice, self.ints, self.job.shapes) \
                    else "assigned_part"  # a repeated index: the last write wins
                piece = call(self.rt(part), [name(dy)] + ([name(y)] if part != "element"
                                                          else []) + [clone(index)])
                unb = call(name(self.helper(runtime.unbroadcast, "unbroadcast")),
                           [piece, name(v.id)])
                shapes = self.job.shapes
                if v.id in shapes and shapes[v.id] == () and isinstance(index, gast.Constant):
                    unb = piece if y in self.job.reals else \
                        call(self.rt("real_like"), [piece, name(v.id)])
                self.accumulate(v.id, unb, state, out)
            owned = const(state.get(dy) == OWNED)
            out.append(assign(dy, call(self.rt("zero_at"), [name(dy), name(y), clone(index),
                                                            owned])))
            state[dy] = OWNED
        # restore the overwritten elements
        saved = self.setitem_saves[id(s)]
        old = self.pop_expr() if depth else name(saved)
        restore = assign(gast.Subscript(value=name(y), slice=clone(target.slice),
                                        ctx=gast.Store()), old)
        restore.srcgrad_restore_into = y  # see setitem.own_before_restores
        out.append(restore)
        return out

    def pop_expr(self):
        return call(gast.Attribute(value=name(self.stack_name()), attr="pop",
                                   ctx=gast.Load()))

    def push_stmt(self, expr):
        return gast.Expr(value=call(gast.Attribute(value=name(self.stack_name()), attr="append",
                                                   ctx=gast.Load()), [expr]))

    def adj_if(self, s, state, depth):
        s_body = dict(state)
        s_else = dict(state)
        body = self.adjoint_block(s.body, s_body, depth)
        orelse = self.adjoint_block(s.orelse, s_else, depth)
        for dx in sorted(set(s_body) | set(s_else)):
            a, b = s_body.get(dx, ZERO), s_else.get(dx, ZERO)
            if a == b:
                continue
            if a == ZERO:
                self.materialize(self.primal_of[dx], s_body, body)
                a = OWNED
            if b == ZERO:
                self.materialize(self.primal_of[dx], s_else, orelse)
                b = OWNED
            s_body[dx] = s_else[dx] = a if a == b else SOME
        state.clear()
        state.update(s_body)
        return [gast.If(test=name(s.test.id), body=body or [gast.Pass()], orelse=orelse)]

    def loop_body(self, s, state, depth):
        """The reversed body of a loop, with entry/exit adjoint states made equal."""
        pre = []
        for _ in range(10):
            entry = dict(state)
            end = dict(state)
            body = self.adjoint_block(s.body, end, depth + 1)
            changed = False
            for dx in sorted(set(entry) | set(end)):
                a, b = entry.get(dx, ZERO), end.get(dx, ZERO)
                if a == b or (a == SOME and b == OWNED):
                    continue
                if a == ZERO:
                    self.materialize(self.primal_of[dx], state, pre)
                    changed = True
                elif b == ZERO:
                    self.materialize(self.primal_of[dx], end, body)
                elif a == OWNED and b == SOME:
                    state[dx] = SOME
                    changed = True
            if not changed:
                return pre, body
        raise AssertionError("adjoint states of a loop did not settle")

    def adj_while(self, s, state, depth):
        count = self.loop_counts[id(s)]
        pre, body = self.loop_body(s, state, depth)
        out = list(pre)
        if depth:
            out.append(assign(count, self.pop_expr()))
        it = self.namer.fresh("it")
        if _has_code(body) or _has_restores(body):
            rng = self.helper(builtins.range, "range")
            out.append(gast.For(target=store(it), iter=call(rng, [name(count)]),
                                body=body, orelse=[], type_comment=None))
        return out

    def adj_for(self, s, state, depth):
        pre, body = self.loop_body(s, state, depth)
        out = list(pre)
        rng = name(s.iter.id)
        count = self.loop_counts.get(id(s))
        if count is not None:
            if depth:
                out.append(assign(count, self.pop_expr()))
            rng = gast.Subscript(value=rng, slice=gast.Slice(lower=None, upper=name(count),
                                                             step=None), ctx=gast.Load())
        backwards = gast.Subscript(value=rng, slice=gast.Slice(lower=None, upper=None,
                                                               step=const(-1)),
                                   ctx=gast.Load())
        if _has_code(body) or _has_restores(body):
            out.append(gast.For(target=store(s.target.id), iter=backwards,
                                body=body, orelse=[], type_comment=None))
        return out

    # ---- primal sweep ------------------------------------------------------------

    def primal_block(self, stmts, depth):
        out = []
        for s in stmts:
            out.extend(self.primal_stmt(s, depth))
        return out

    def primal_stmt(self, s, depth):
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            out = []
            if isinstance(target, gast.Subscript):
                saved = call(self.rt("take_saved"), [name(target.value.id),
                                                     _index_expr(clone(target.slice), self)])
                if depth:
                    out.append(self.push_stmt(saved))
                else:
                    out.append(assign(self.setitem_saves[id(s)], saved))
                out.append(s)
                return out
            marker = gast.Expr(value=const(None))
            names = [e.id for e in target.elts] if isinstance(target, gast.Tuple) else \
                [target.id]
            if id(s) in self.call_saves:  # a callee's saved values are overwritten too
                names.append(self.call_saves[id(s)])
            marker.srcgrad_save = (id(s), names, depth)
            out.append(marker)
            if id(s) in self.call_saves:
                callee = self.resolver.callee(s.value)
                active_params = self.job.callee_active_params(s.value, callee)
                fwd, _ = self.job.compile_callee(callee.obj, tuple(p for p, _ in active_params),
                                                 s.value)
                fwd_name = self.helper(fwd, fwd.__name__)
                call_node = clone(s.value)
                call_node.func = name(fwd_name)
                out.append(assign(gast.Tuple(elts=[store(target.id),
                                                   store(self.call_saves[id(s)])],
                                             ctx=gast.Store()), call_node, s))
                return out
            out.append(s)
            return out
        if isinstance(s, gast.If):
            if is_break_guard(s):
                return [s]
            return [gast.If(test=s.test, body=self.primal_block(s.body, depth) or [gast.Pass()],
                            orelse=self.primal_block(s.orelse, depth))]
        if isinstance(s, gast.While):
            count = self.loop_counts[id(s)]
            body = self.primal_block(s.body, depth + 1)
            incr = assign(count, gast.BinOp(left=name(count), op=gast.Add(), right=const(1)))
            if body and is_break_guard(body[-1]):
                body = body[:-1] + [incr, body[-1]]
            else:
                body = body + [incr]
            out = [assign(count, const(0)), gast.While(test=s.test, body=body, orelse=[])]
            if depth:
                out.append(self.push_stmt(name(count)))
            return out
        if isinstance(s, gast.For):
            body = self.primal_block(s.body, depth + 1)
            count = self.loop_counts.get(id(s))
            out = []
            if count is not None:
                out.append(assign(count, const(0)))
                body = [assign(count, gast.BinOp(left=name(count), op=gast.Add(),
                                                 right=const(1)))] + body
            out.append(gast.For(target=s.target, iter=s.iter, body=body, orelse=[],
                                type_comment=None))
            if count is not None and depth:
                out.append(self.push_stmt(name(count)))
            return out
        if isinstance(s, gast.Return):
            return []
        return [s]

    # ---- driver ----------------------------------------------------------------------

    def prepare(self, body):
        """Allocate names for loop counters, call saves and subscript saves; find the
        names that hold tuples or lists (their adjoints are tuples or lists too)."""
        self.containers = set()
        self.ints = int_names(body)
        self.pushed = {pushed_list(s, self.resolver) for s in statements(body)} - {None}
        for s in statements(body):
            if isinstance(s, gast.Assign):
                t = s.targets[0]
                if isinstance(t, gast.Tuple):
                    self.containers.add(s.value.id)
                elif isinstance(t, gast.Name) and isinstance(s.value, (gast.Tuple, gast.List)):
                    self.containers.add(t.id)
        self.loop_counts = {}
        self.setitem_saves = {}
        for s in statements(body):
            if isinstance(s, gast.While):
                self.loop_counts[id(s)] = self.namer.fresh("n")
            elif isinstance(s, gast.For) and any(is_break_guard(b) for b in s.body):
                self.loop_counts[id(s)] = self.namer.fresh("n")
            elif isinstance(s, gast.Assign):
                target = s.targets[0]
                if isinstance(target, gast.Subscript):
                    self.setitem_saves[id(s)] = self.namer.fresh(target.value.id + "_old")
                elif isinstance(target, gast.Name) and target.id in self.active and \
                        value_kind(s.value, self.resolver) is ValueKind.CALL:
                    self.call_saves[id(s)] = self.namer.fresh("saved")

    def run(self, body, output):
        sweeps = Sweeps()
        self.prepare(body)
        state = {}
        if output is not None and output in self.active:
            state[self.d(output)] = SOME
        adjoint = self.adjoint_block(body, state, 0)
        primal = self.primal_block(body, 0)
        needed = _loads(adjoint) - set(self.adjoints.values()) - set(self.ctx.helper_names())
        assigned = _assign_sites(body)
        params = self.job.params
        # decide, per assignment site, whether to save/restore
        first_defs = _first_definitions(body, params)
        dead = _dead_restores(adjoint, set(params))
        # a save is useful only where its restore survives in the adjoint sweep (a loop
        # with nothing to replay is dropped whole, restores included) and is read
        restores = set(_markers(adjoint, "srcgrad_restore")) - dead
        save_sites = {}
        for (site, xs, depth) in _markers(primal, "srcgrad_save"):
            for x in xs:
                if (site, x) in first_defs or (site, x) not in restores:
                    continue  # no earlier value exists, or nothing reads it
                if x in needed and (assigned.get(x, 0) > 1 or x in params or depth > 0
                                    or self.job.in_loop(x)):
                    save_sites[(site, x)] = depth
        locals_for = {}
        for key, depth in save_sites.items():
            if not depth:
                locals_for[key] = self.namer.fresh(key[1] + "_old")
        primal = self.resolve_saves(primal, save_sites, locals_for)
        adjoint = self.resolve_restores(adjoint, save_sites, locals_for)
        sweeps.saved_names = _loads(adjoint) - set(self.adjoints.values()) - \
            set(self.ctx.helper_names())
        defined_first = {x for (_, x) in first_defs}
        sweeps.defined_first = defined_first
        sweeps.preinit = sorted(({x for (_, x) in save_sites} | self.materialized)
                                - set(params) - defined_first)
        # the gradient never changes its arguments: write into copies of them
        sweeps.primal = [assign(p, call(self.rt("copy_value"), [name(p)]))
                         for p in written_params(body, params)] + primal
        sweeps.adjoint = adjoint
        sweeps.uses_stack = self.stack is not None
        sweeps.captured = dict(self.captured)
        sweeps.final_states = state
        return sweeps

    def resolve_saves(self, stmts, save_sites, locals_for):
        out = []
        for s in stmts:
            info = getattr(s, "srcgrad_save", None)
            if info is not None:
                site, xs, depth = info
                for x in xs:
                    if (site, x) in save_sites:
                        if depth:
                            out.append(self.push_stmt(name(x)))
                        else:
                            out.append(assign(locals_for[(site, x)], name(x)))
                continue
            for field in ("body", "orelse"):
                if getattr(s, field, None):
                    setattr(s, field, self.resolve_saves(getattr(s, field), save_sites,
                                                         locals_for) or [gast.Pass()])
            out.append(s)
        return out

    def resolve_restores(self, stmts, save_sites, locals_for):
        out = []
        for s in stmts:
            info = getattr(s, "srcgrad_restore", None)
            if info is not None:
                if info in save_sites:
                    value = self.pop_expr() if save_sites[info] else name(locals_for[info])
                    out.append(assign(info[1], value))
                continue
            for field in ("body", "orelse"):
                if getattr(s, field, None):
                    setattr(s, field, self.resolve_restores(getattr(s, field), save_sites,
                                                            locals_for) or [gast.Pass()])
            if isinstance(s, gast.If) and not _has_code(s.body) and not _has_code(s.orelse):
                continue  # a branch with nothing left to replay
            out.append(s)
        return out


def _dead_restores(adjoint, live_at_end):
    """Restore markers (site, name) whose restored value the rest of the adjoint sweep
    never reads: by liveness analysis over the structured adjoint code."""
    dead = set()

    def block(stmts, live, final):
        for st in reversed(stmts):
            live = stmt(st, live, final)
        return live

    def stmt(st, live, final):
        info = getattr(st, "srcgrad_restore", None)
        if info is not None:
            if final and info[1] not in live:
                dead.add(info)
            return live - {info[1]}
        if getattr(st, "srcgrad_comment", False):
            return live
        if isinstance(st, gast.If):
            return block(st.body, live, final) | block(st.orelse, live, final) | \
                load_names(st.test)
        if isinstance(st, (gast.For, gast.While)):
            head = load_names(st.iter if isinstance(st, gast.For) else st.test)
            cur = set(live)
            for _ in range(20):
                new = live | block(st.body, cur, False) | head
                if new == cur:
                    break
                cur = new
            block(st.body, cur, final)
            return cur
        uses = load_names(st)
        if isinstance(st, gast.AugAssign) and isinstance(st.target, gast.Name):
            uses.add(st.target.id)
        defs = store_names(st) if isinstance(st, (gast.Assign, gast.AugAssign)) else set()
        return (live - defs) | uses

    block(adjoint, set(live_at_end), True)
    return dead


_MATMUL_GRADS = (runtime.matmul_grad_a, runtime.matmul_grad_b, runtime.dot_grad_a,
                 runtime.dot_grad_b)

# (ndim of a, ndim of b, which operand) -> adjoint of a @ b given its cotangent G.
# np.dot rather than @: the same product for operands of at most two dimensions, with
# less call overhead on small arrays.
_MATMUL_FORMS = {
    (1, 1, "a"): "G * B", (1, 1, "b"): "G * A",
    (2, 2, "a"): "np.dot(G, B.T)", (2, 2, "b"): "np.dot(A.T, G)",
    (2, 1, "a"): "np.outer(G, B)", (2, 1, "b"): "np.dot(A.T, G)",
    (1, 2, "a"): "np.dot(B, G)", (1, 2, "b"): "np.outer(A, G)",
}


def _call_key(obj, args):
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


def _template_object(func, globals_):
    """The object a template's call refers to (`np.where` -> numpy.where), or None."""
    path = []
    while isinstance(func, gast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or func.id not in globals_:
        return None
    obj = globals_[func.id]
    for part in reversed(path):
        obj = getattr(obj, part, None)
    return obj


def _fold(n):
    """Fold arithmetic on numeric constants and the identities x ** 1, x * 1, 1 * x."""
    left, right = n.left, n.right
    lc = isinstance(left, gast.Constant) and isinstance(left.value, (int, float)) and \
        not isinstance(left.value, bool)
    rc = isinstance(right, gast.Constant) and isinstance(right.value, (int, float)) and \
        not isinstance(right.value, bool)
    ops = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
           gast.Mult: lambda a, b: a * b}
    if lc and rc and type(n.op) in ops:
        return const(ops[type(n.op)](left.value, right.value))
    if rc and right.value == 1 and isinstance(n.op, (gast.Pow, gast.Mult, gast.Div)):
        return left
    if lc and left.value == 1 and isinstance(n.op, gast.Mult):
        return right
    return n


def _first_definitions(body, params):
    """(site, name) pairs of unconditional top-level assignments that define a name
    before anything else assigns it: such a site overwrites no earlier value."""
    seen = set(params)
    out = set()
    for s in body:
        if isinstance(s, gast.Assign):
            t = s.targets[0]
            names = [e.id for e in t.elts] if isinstance(t, gast.Tuple) else \
                [t.id] if isinstance(t, gast.Name) else []
            for n in names:
                if n not in seen:
                    out.add((id(s), n))
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                seen.add(n.id)
    return out


def _index_expr(index, rev):
    """An index as an expression that can be passed to a helper (slices -> slice(),
    through the name `rev` binds to the builtin)."""
    if isinstance(index, gast.Slice):
        return call(rev.helper(builtins.slice, "slice"),
                    [index.lower or const(None), index.upper or const(None),
                     index.step or const(None)])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[_index_expr(e, rev) for e in index.elts], ctx=gast.Load())
    return index


def _may_mix(rule, bound):
    """Whether a real argument may meet a complex one: then its adjoint is the real
    part (runtime.real_like, removed at compile time where statically real)."""
    targets = {st.targets[0].slice.id for st in rule.body if isinstance(st, gast.Assign)
               and isinstance(st.targets[0], gast.Subscript)}
    return sum(1 for p in targets if p in bound and not (
        isinstance(bound[p], gast.Constant) and type(bound[p].value) in (int, float, bool)
    )) > 1


_SELF_REAL = (runtime.unbroadcast, runtime.matmul_grad_a, runtime.matmul_grad_b,
              runtime.dot_grad_a, runtime.dot_grad_b)


def _kept_unbroadcast(template_expr, expr, rule):
    """Whether `expr` is still the call the template wrote of a helper that takes
    the real part itself (_SELF_REAL)."""
    return isinstance(template_expr, gast.Call) and isinstance(expr, gast.Call) and \
        isinstance(expr.func, gast.Name) and \
        _template_object(template_expr.func, rule.globals) in _SELF_REAL


def _elide(*operands):
    """No unbroadcast is needed when every other operand is a Python number."""
    consts = [isinstance(o, gast.Constant) and isinstance(o.value, (int, float))
              for o in operands]
    return sum(consts) == len(operands) - 1 or (
        len(operands) == 2 and isinstance(operands[0], gast.Name)
        and isinstance(operands[1], gast.Name) and operands[0].id == operands[1].id)


def _has_code(stmts):
    for s in stmts:
        if getattr(s, "srcgrad_restore", None) is not None or getattr(s, "srcgrad_comment", False):
            continue
        if isinstance(s, gast.Pass):
            continue
        return True
    return False


def _has_restores(stmts):
    """Whether restore markers (which may become code) are among `stmts`."""
    return any(True for _ in _markers(stmts, "srcgrad_restore"))


def _markers(stmts, attr):
    for s in stmts:
        info = getattr(s, attr, None)
        if info is not None:
            yield info
        for field in ("body", "orelse"):
            yield from _markers(getattr(s, field, None) or [], attr)


def _loads(stmts):
    names = set()
    for s in stmts:
        if not getattr(s, "srcgrad_comment", False):
            names |= load_names(s)
    return names


def _assign_sites(body):
    counts = {}
    for s in statements(body):
        if isinstance(s, gast.Assign):
            t = s.targets[0]
            names = [e.id for e in t.elts] if isinstance(t, gast.Tuple) else \
                [t.id] if isinstance(t, gast.Name) else []
            for n in names:
                counts[n] = counts.get(n, 0) + 1
        elif isinstance(s, gast.For):
            counts[s.target.id] = counts.get(s.target.id, 0) + 1
    return counts


def _origin_comment(ctx, origin):
    line = getattr(origin, "lineno", None)
    c = comment("grad of: " + ctx.source_line(line)) if line else comment("")
    c.srcgrad_comment = True
    c.srcgrad_line = line
    return c


def _merge_comments(stmts):
    """Drop a comment that repeats the previous one or has no code after it."""
    out = []
    last_line = None
    for i, s in enumerate(stmts):
        if getattr(s, "srcgrad_comment", False):
            nxt = stmts[i + 1:]
            upto = []
            for n in nxt:
                if getattr(n, "srcgrad_comment", False):
                    break
                upto.append(n)
            if s.srcgrad_line == last_line or not _has_code(upto):
                continue
            last_line = s.srcgrad_line
        out.append(s)
    return out
