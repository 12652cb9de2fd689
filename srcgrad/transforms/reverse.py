"""Reverse mode: the primal sweep (with saves) and the adjoint sweep.

Entry: `Reverse(job).run(body, output) -> Sweeps`, where `body` is the statements of a
normalized, activity-annotated function and `output` the name it returns. From `job`
(the compiler's job for one function) it reads: `ctx` (namer, helpers, source lines,
errors), `active`, `resolver`, `cuts` (intermediate names given in wrt), `params`,
`shapes`, `reals`, `in_loop(x)`, and, for calls of user functions,
`callee_active_params` and `compile_callee`.

Derivative templates are instantiated by templates.py with this mode's refinements
(refinements.py); saves and restores are planned by saves.py.

Invariants of the generated code:
  * Adjoint variables are created on first contribution (no zero-initialised
    adjoints that are then overwritten). The transform tracks for each adjoint a
    static `AdjointState`: ZERO (holds nothing yet), OWNED (a fresh array only this
    adjoint references, updated in place) or SOME (any value, possibly shared).
  * A name the adjoint sweep reads is restored to the value it had at each point:
    every assignment that overwrites such a name saves the old value (in a local, or
    on a per-call stack inside loops) and the adjoint sweep restores it right after
    differentiating that assignment. Subscript assignments save and restore the
    overwritten elements. Nothing else is saved.
  * Branch decisions are the branch's condition variable (restored like any name);
    `while` loops count their iterations; `for` loops replay `reversed(range)`.
"""
import builtins
import enum

import gast

from ..errors import UnsupportedSyntaxError
from .. import rules, runtime
from ..resolve import operator_for
from .activity import ValueKind, value_kind
from .markers import OriginLine, RestoreMarker, RestoresInto, annotate
from .primal import PrimalSweep, index_expr
from .refinements import ReverseHooks, available_calls, no_unbroadcast_needed
from .namesets import NameSets
from .saves import (has_code, has_restores, loads, plan_saves, resolve_restores,
                    resolve_saves)
from .setitem import int_names, is_basic
from .syntax import (assign, binop, call, clone, comment, const, is_break_guard, name, popped_list,
                     pushed_list, statements, store)
from . import templates
from .templates import Names, Temporary


class AdjointState(enum.Enum):
    """What an adjoint variable holds at a point of the adjoint sweep."""
    ZERO = "zero"    # nothing yet (the variable is unset or stale)
    OWNED = "owned"  # a fresh array only this adjoint references: updated in place
    SOME = "some"    # any value, possibly shared: updated by rebinding


ZERO, OWNED, SOME = AdjointState.ZERO, AdjointState.OWNED, AdjointState.SOME


class Sweeps:
    """Result of the reverse transform, assembled into functions by the compiler's
    `assemble`."""

    def __init__(self):
        self.primal = []
        self.adjoint = []
        self.preinit = []      # names set to None on entry so saves never fail
        self.uses_stack = False
        self.saved_names = set()  # primal names the adjoint sweep reads
        self.captured = {}     # intermediate wrt name -> name holding its gradient
        self.final_states = {}  # adjoint name -> AdjointState at the end of the sweep
        self.defined_first = set()  # names whose first assignment overwrites nothing


class Reverse:
    """The reverse transform of one function (see the module docstring); `run` builds
    the sweeps. The compiler also reads `stack`, `adjoints`, `d()` and `rt()`."""

    def __init__(self, job):
        self.job = job
        self.ctx = job.ctx
        self.namer = job.ctx.namer
        self.active = job.active
        self.resolver = job.resolver
        self.cuts = job.cuts            # intermediate names given in wrt
        self.adjoints = {}              # primal name -> adjoint name
        self.primal_of = {}             # adjoint name -> primal name
        self.stack = None
        self.captured = {}
        self.call_saves = {}            # id(call stmt) -> name of its saved tuple
        # Primal names whose zero adjoint is made from their value. On a path where
        # such a name was never assigned its adjoint is never read, so it is preset to
        # None (and zeros_like(None) is a harmless 0.0).
        self.materialized = set()
        self._names = self._hooks = None  # those of instantiate, made on first use

    # names

    def d(self, x):
        dn = self.adjoints.get(x)
        if dn is None:
            dn = self.namer.adjoint(x)
            self.adjoints[x] = dn
            self.primal_of[dn] = x
        return dn

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
        """The adjoint of a block: its statements' adjoints in reverse order, each
        after a `# grad of:` comment, except one that repeats the previous comment or
        has no code after it."""
        out = []
        available = available_calls(stmts, self.resolver, self.body_names)
        last_line = None
        for i in range(len(stmts) - 1, -1, -1):
            s = stmts[i]
            block = self.adjoint_stmt(s, state, depth, available[i])
            if block:
                line = getattr(getattr(s, "origin", s), "lineno", None)
                if line != last_line and has_code(block):
                    last_line = line
                    out.append(_origin_comment(self.ctx, line))
                out.extend(block)
        return out

    def adjoint_stmt(self, s, state, depth, available):
        """The adjoint of statement `s` (`available`: the calls computed before it in
        its block, whose results an adjoint may read)."""
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if isinstance(target, gast.Subscript):
                return self.adj_setitem(s, state, depth)
            if isinstance(target, gast.Tuple):
                return self.adj_unpack(s, state)
            return self.adj_assign(s, state, depth, available)
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

    def adj_assign(self, s, state, depth, available):
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
            out.extend(self.propagate(s, y, state, available))
        state[dy] = ZERO
        # restores pop in the reverse order of the saves: [y, saved] were pushed
        if id(s) in self.call_saves:
            out.append(RestoreMarker(id(s), self.call_saves[id(s)]))
        out.append(RestoreMarker(id(s), y))
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
        dx = self.adjoints.get(x) or self.d(x)
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
            out.append(assign(dx, binop(name(dx), gast.Add(), expr)))
            state[dx] = SOME

    def materialize(self, x, state, out):
        dx = self.d(x)
        self.materialized.add(x)
        if state.get(dx, ZERO) == ZERO:
            out.append(assign(dx, call(self.rt("zeros_like"), [name(x)])))
            state[dx] = OWNED

    def is_active_name(self, node):
        return isinstance(node, gast.Name) and node.id in self.active

    def propagate(self, s, y, state, available):
        value = s.value
        kind = value_kind(value, self.resolver)  # (found by activity already)
        if kind is ValueKind.OP and isinstance(value, gast.BinOp):  # the commonest: first
            rule = self.rule_for(operator_for(value.op))
            bound = dict(zip(templates.template_plan(rule).param_names,
                             (value.left, value.right)))
            return self.instantiate(rule, y, bound, state, available,
                                    elide=no_unbroadcast_needed(value.left, value.right))
        out = []
        if kind is ValueKind.COPY:
            if value.id in self.active:
                self.accumulate(value.id, name(self.d(y)), state, out)
            return out
        if isinstance(value, (gast.Tuple, gast.List)):
            dy = name(self.d(y))
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
        if isinstance(value, gast.UnaryOp):
            rule = self.rule_for(operator_for(value.op))
            bound = {templates.template_plan(rule).param_names[0]: value.operand}
            return self.instantiate(rule, y, bound, state, available)
        if isinstance(value, gast.Attribute):
            callee = self.resolver.attribute(value.attr)
            bound = templates.bind(callee.rule, [value.value], {})
            return self.instantiate(callee.rule, y, bound, state, available)
        callee = self.resolver.callee(value)
        args = list(value.args)
        if isinstance(value.func, gast.Attribute) and callee.kind == "rule" \
                and isinstance(callee.obj, str):
            args = [value.func.value] + args  # method: the receiver is the first argument
        kwargs = {k.arg: k.value for k in value.keywords}
        try:
            bound = templates.bind(callee.rule, args, kwargs)
        except TypeError as exc:
            raise self.ctx.error(f"srcgrad's rule for `{callee.label}` does not accept "
                                 f"these arguments ({exc}).", value, UnsupportedSyntaxError)
        elide = len(args) == 2 and not kwargs and no_unbroadcast_needed(*args)
        return self.instantiate(callee.rule, y, bound, state, available, elide=elide)

    def rule_for(self, op):
        return rules.lookup(op)

    def instantiate(self, rule, y, bound, state, available, elide=False):
        """The adjoint of `y = rule(**bound)`: its template instantiated with the
        program's names and reverse mode's refinements (`available`: the calls
        computed before, see refinements.available_calls)."""
        out = []
        # one Names and one ReverseHooks, set for each instantiation (one at a time)
        names, hooks = self._names, self._hooks
        if names is None:
            names = self._names = Names(y, self.d(y), self.helper, self.namer.fresh)
            hooks = self._hooks = ReverseHooks(rule, bound, y, self.job.shapes,
                                              self.job.reals, available, self.helper, elide)
        else:
            names.result, names.cotangent = y, self.d(y)
            hooks.reset(rule, bound, y, self.job.shapes, self.job.reals, available, elide)
        for piece in templates.instantiate(rule, bound, names, hooks, self.touches_active):
            if isinstance(piece, Temporary):
                out.append(assign(piece.name, piece.expr))
            elif isinstance(piece.arg, gast.Name):
                self.accumulate(piece.arg.id, piece.expr, state, out)
            else:  # a tuple of arguments (e.g. *args): distribute the pieces
                tmp = self.namer.fresh("d_parts")
                out.append(assign(tmp, piece.expr))
                for i, e in enumerate(piece.arg.elts):
                    if self.is_active_name(e):
                        self.accumulate(e.id, call(self.rt("element"), [name(tmp), const(i)]),
                                        state, out)
        return out

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
        index = index_expr(index, self.helper)
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
            out.append(RestoreMarker(id(s), t))
        return out

    def adj_setitem(self, s, state, depth):
        out = []
        target = s.targets[0]
        y = target.value.id
        dy = self.d(y)
        index = index_expr(clone(target.slice), self.helper)
        if y in self.active and state.get(dy, ZERO) != ZERO:
            v = s.value
            if self.is_active_name(v):
                if self.ints is None:  # a body without element assignments never scans
                    self.ints = int_names(self.body)
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
        out.append(annotate(restore, RestoresInto(y)))  # see setitem.own_before_restores
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
        if has_code(body) or has_restores(body):
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
        if has_code(body) or has_restores(body):
            out.append(gast.For(target=store(s.target.id), iter=backwards,
                                body=body, orelse=[], type_comment=None))
        return out

    # ---- driver ----------------------------------------------------------------------

    def prepare(self, body):
        """Allocate names for loop counters, call saves and subscript saves; find the
        names that hold tuples or lists (their adjoints are tuples or lists too)."""
        # the body's statements' names, read once (by activity, on the same resolver)
        self.body_names = self.resolver.body_names or NameSets()
        self.containers, self.pushed = set(), set()
        self.body, self.ints = body, None  # int_names(body), found on first use
        self.loop_counts = {}
        self.setitem_saves = {}
        self.written = set()  # the arrays the body writes into (`x[i] = v`)
        for s in statements(body):  # one pass; names are made in statement order
            if isinstance(s, gast.Assign):
                target = s.targets[0]
                if isinstance(target, gast.Tuple):
                    self.containers.add(s.value.id)
                elif isinstance(target, gast.Name) and isinstance(s.value, (gast.Tuple,
                                                                            gast.List)):
                    self.containers.add(target.id)
                if isinstance(target, gast.Subscript):
                    self.setitem_saves[id(s)] = self.namer.fresh(target.value.id + "_old")
                    self.written.add(target.value.id)
                elif isinstance(target, gast.Name) and target.id in self.active:
                    if value_kind(s.value, self.resolver) is ValueKind.CALL:
                        self.call_saves[id(s)] = self.namer.fresh("saved")
            elif isinstance(s, gast.While):
                self.loop_counts[id(s)] = self.namer.fresh("n")
            elif isinstance(s, gast.For) and any(is_break_guard(b) for b in s.body):
                self.loop_counts[id(s)] = self.namer.fresh("n")
            elif isinstance(s, gast.Expr):
                lst = pushed_list(s, self.resolver)
                if lst is not None:
                    self.pushed.add(lst)

    def run(self, body, output):
        """The sweeps of the function body `body` (normalized, activity-annotated)
        whose result is the name `output` (None: no active result)."""
        sweeps = Sweeps()
        self.prepare(body)
        state = {}
        if output is not None and output in self.active:
            state[self.d(output)] = SOME
        adjoint = self.adjoint_block(body, state, 0)
        primal = PrimalSweep(self.job, self.loop_counts, self.setitem_saves, self.call_saves,
                             self.helper, self.push_stmt).block(body, 0)
        not_primal = set(self.adjoints.values()) | set(self.ctx.helper_names())
        params = self.job.params
        names = NameSets()  # each adjoint statement's names, read once
        read = loads(adjoint, names)
        plan = plan_saves(body, primal, adjoint, params, read - not_primal,
                          self.job.in_loop, self.namer.fresh, names, self.body_names)
        straight = _BLOCK_CLASSES.isdisjoint(map(type, adjoint))
        primal = resolve_saves(primal, plan, self.push_stmt)
        adjoint = resolve_restores(adjoint, plan, self.pop_expr)
        if straight:
            # no blocks: resolving left every statement as it was, replaced each kept
            # restore marker by `x = x_old` (or `x = stack.pop()`) and dropped the rest
            read = read | set(plan.locals.values())
            if self.stack is not None and any(plan.sites.values()):
                read.add(self.stack)
        else:  # (a branch left with nothing to replay is dropped, with what it read)
            read = loads(adjoint, names)
        sweeps.saved_names = read - not_primal
        defined_first = {x for (_, x) in plan.first_defs}
        sweeps.defined_first = defined_first
        sweeps.preinit = sorted(({x for (_, x) in plan.sites} | self.materialized)
                                - set(params) - defined_first)
        # the gradient never changes its arguments: write into copies of them
        sweeps.primal = [assign(p, call(self.rt("copy_value"), [name(p)]))
                         for p in params if p in self.written] + primal
        sweeps.adjoint = adjoint
        sweeps.uses_stack = self.stack is not None
        sweeps.captured = dict(self.captured)
        sweeps.final_states = state
        return sweeps


_BLOCK_CLASSES = frozenset((gast.If, gast.For, gast.While))


def _origin_comment(ctx, line):
    c = comment("grad of: " + ctx.source_line(line)) if line else comment("")
    return annotate(c, OriginLine(line))
