"""Reverse mode's primal sweep: the function's statements, with a `SaveMarker` before
each assignment to names (saves.py decides which old values are kept), the elements a
subscript assignment overwrites saved, loops counted where the adjoint sweep needs the
count, and calls of user functions made through their forward functions (which also
return the values their pullbacks need)."""
import builtins

import gast

from .. import runtime
from .markers import SaveMarker
from .syntax import assign, call, clone, const, is_break_guard, name, store


class PrimalSweep:
    """`loop_counts`, `setitem_saves`, `call_saves`: {id(stmt): name} allocated by
    Reverse.prepare; `helper(obj, preferred)` names a global; `push(expr)` is the
    statement pushing `expr` on the per-call stack. From `job` it reads `resolver`,
    `callee_active_params` and `compile_callee`."""

    def __init__(self, job, loop_counts, setitem_saves, call_saves, helper, push):
        self.job, self.loop_counts, self.setitem_saves, self.call_saves = \
            job, loop_counts, setitem_saves, call_saves
        self.helper, self.push = helper, push

    def block(self, stmts, depth):
        """The primal sweep of a block at loop nesting `depth`."""
        out = []
        for s in stmts:
            out.extend(self.stmt(s, depth))
        return out

    def stmt(self, s, depth):
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            out = []
            if isinstance(target, gast.Subscript):
                take = name(self.helper(runtime.take_saved, "take_saved"))
                saved = call(take, [name(target.value.id),
                                    index_expr(clone(target.slice), self.helper)])
                if depth:
                    out.append(self.push(saved))
                else:
                    out.append(assign(self.setitem_saves[id(s)], saved))
                out.append(s)
                return out
            names = [e.id for e in target.elts] if isinstance(target, gast.Tuple) else \
                [target.id]
            if id(s) in self.call_saves:  # a callee's saved values are overwritten too
                names.append(self.call_saves[id(s)])
            out.append(SaveMarker(id(s), names, depth))
            if id(s) in self.call_saves:
                callee = self.job.resolver.callee(s.value)
                active_params = self.job.callee_active_params(s.value, callee)
                fwd, _ = self.job.compile_callee(
                    callee.obj, tuple(p for p, _ in active_params), s.value)
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
            return [gast.If(test=s.test, body=self.block(s.body, depth) or [gast.Pass()],
                            orelse=self.block(s.orelse, depth))]
        if isinstance(s, gast.While):
            count = self.loop_counts[id(s)]
            body = self.block(s.body, depth + 1)
            incr = assign(count, gast.BinOp(left=name(count), op=gast.Add(), right=const(1)))
            if body and is_break_guard(body[-1]):
                body = body[:-1] + [incr, body[-1]]
            else:
                body = body + [incr]
            out = [assign(count, const(0)), gast.While(test=s.test, body=body, orelse=[])]
            if depth:
                out.append(self.push(name(count)))
            return out
        if isinstance(s, gast.For):
            body = self.block(s.body, depth + 1)
            count = self.loop_counts.get(id(s))
            out = []
            if count is not None:
                out.append(assign(count, const(0)))
                body = [assign(count, gast.BinOp(left=name(count), op=gast.Add(),
                                                 right=const(1)))] + body
            out.append(gast.For(target=s.target, iter=s.iter, body=body, orelse=[],
                                type_comment=None))
            if count is not None and depth:
                out.append(self.push(name(count)))
            return out
        if isinstance(s, gast.Return):
            return []
        return [s]


def index_expr(index, helper):
    """An index as an expression that can be passed to a helper (slices -> slice(),
    through the name `helper` binds to the builtin)."""
    if isinstance(index, gast.Slice):
        return call(helper(builtins.slice, "slice"),
                    [index.lower or const(None), index.upper or const(None),
                     index.step or const(None)])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[index_expr(e, helper) for e in index.elts], ctx=gast.Load())
    return index
