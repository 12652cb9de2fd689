"""A-normal form: every statement does at most one operation, on atoms.

Entry: `ANormalForm(ctx, locals_).block(body) -> body`, run after jumps.py (the only
jumps it accepts are `if flag: break` at the end of a loop body). normalize.py states
the form of its output. Expressions it does not decompose (comprehensions, f-strings,
dicts...) stay whole and are marked with an `Opaque` note for activity analysis to refuse
when a derivative must flow through them. Literal-range loops are unrolled according
to `ctx.unroll`; other `for` loops become loops over a `range` object.
"""
import builtins
import enum

import gast

from .. import runtime
from .jumps import contains, is_docstring
from .markers import Harmless, InPlaceError, Opaque, annotate, note
from .syntax import (all_names, assign, attribute, binop, call, clone, const, dotted_path, is_atom,
                     is_break_guard, located, name, store, store_names)

UNROLL_AUTO_LIMIT = 16  # literal-range trip counts unrolled by unroll="auto"
UNROLL_AUTO_BODY = 12   # ... when the body has at most this many statements


class Iterable(enum.Enum):
    """What a `for` loop iterates over, which decides the loop it becomes."""
    RANGE = "the builtin range()"
    ENUMERATE = "the builtin enumerate()"
    ZIP = "the builtin zip()"
    SEQUENCE = "anything else: indexed by position"


class ANormalForm:
    def __init__(self, ctx, locals_):
        self.ctx = ctx
        self.locals = set(locals_)
        self.namer = ctx.namer
        # id -> temporary assignment `atom` gave a location to, with all its nodes (the
        # node kept: its id cannot name another); `stmt` need not walk it again
        self.placed = {}

    def temp(self, hint="t"):
        name_ = self.namer.fresh(hint)
        self.locals.add(name_)
        return name_

    # statements

    def block(self, stmts):
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s):
        method = _method(_STMT_METHODS, "stmt_", type(s))
        if method is None:
            raise self.ctx.error(f"`{type(s).__name__}` statements are not supported", s)
        out = []
        result = method(self, s, out)
        if result is not None:
            out.extend(result if isinstance(result, list) else [result])
        placed = self.placed
        for n in out:
            if placed.get(id(n)) is not n:
                located(n, s)
            if not hasattr(n, "origin"):
                n.origin = s
        return out

    def stmt_Pass(self, s, out):
        return None

    def stmt_Expr(self, s, out):
        if is_docstring(s):
            return None
        if isinstance(s.value, gast.Call):
            return gast.Expr(value=self.operation(s.value, out))
        self.atom(s.value, out)
        return None

    def stmt_Assert(self, s, out):
        return s

    def stmt_Raise(self, s, out):
        return s

    def stmt_Break(self, s, out):
        return s  # only `if flag: break` reaches here (see jumps.py)

    def stmt_Return(self, s, out):
        value = s.value if s.value is not None else const(None)
        return gast.Return(value=name(self.named(value, out, "result")))

    def stmt_AnnAssign(self, s, out):
        if s.value is None:
            return None
        return self.stmt_Assign(gast.Assign(targets=[s.target], value=s.value), out)

    def stmt_Assign(self, s, out):
        targets = s.targets
        if len(targets) > 1:
            value = self.named(s.value, out)
            for t in targets:
                self.assign_to(t, name(value), out)
            return None
        self.assign_to(targets[0], s.value, out)
        return None

    def stmt_AugAssign(self, s, out):
        target = s.target
        if isinstance(target, gast.Name):
            load = name(target.id)
        elif isinstance(target, gast.Subscript):
            base = self.subscript_base(target)
            index = self.index(target.slice, out)
            old = self.temp("t")
            out.append(assign(old, gast.Subscript(value=name(base), slice=index,
                                                  ctx=gast.Load())))
            value = gast.BinOp(left=name(old), op=s.op, right=s.value)
            new = self.named(value, out)
            out.append(assign(gast.Subscript(value=name(base), slice=clone(index),
                                             ctx=gast.Store()), name(new)))
            return None
        else:
            raise self.ctx.error("augmented assignment to this target is not supported", s)
        pending = note(s, InPlaceError)
        if pending is not None:
            guard = self.ctx.helper("refuse_shared_array", runtime.refuse_shared_array)
            check = annotate(call(name(guard), [name(target.id), const(pending.message)]),
                             Harmless())
            out.append(gast.Expr(value=check))
        self.assign_to(target, gast.BinOp(left=load, op=s.op, right=s.value), out)
        return None

    def assign_to(self, target, value, out):
        if isinstance(target, gast.Name):
            op = self.operation(value, out)
            if target.id in all_names(op):  # keep targets out of operands
                tmp = self.temp()
                out.append(assign(tmp, op))
                op = name(tmp)
            out.append(assign(store(target.id), op))
        elif isinstance(target, (gast.Tuple, gast.List)):
            if any(isinstance(e, gast.Starred) for e in target.elts):
                raise self.ctx.error("starred assignment targets are not supported", target)
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                atoms = [self.named(v, out) for v in value.elts]
                if store_names(target) & set(atoms):  # a, b = b, a: copy sources first
                    copies = [self.temp() for _ in atoms]
                    for c, a in zip(copies, atoms):
                        out.append(assign(c, name(a)))
                    atoms = copies
                for t, a in zip(target.elts, atoms):
                    self.assign_to(t, name(a), out)
                return
            src = self.named(value, out)
            simple = [e if isinstance(e, gast.Name) else None for e in target.elts]
            if all(simple):
                names = [e.id for e in simple]
                if src in names:
                    tmp = self.temp()
                    out.append(assign(tmp, name(src)))
                    src = tmp
                out.append(assign(gast.Tuple(elts=[store(n) for n in names], ctx=gast.Store()),
                                  name(src)))
                return
            temps = [e.id if isinstance(e, gast.Name) else self.temp() for e in target.elts]
            out.append(assign(gast.Tuple(elts=[store(n) for n in temps], ctx=gast.Store()),
                              name(src)))
            for t, tmp in zip(target.elts, temps):
                if not isinstance(t, gast.Name):
                    self.assign_to(t, name(tmp), out)
        elif isinstance(target, gast.Subscript):
            base = self.subscript_base(target)
            index = self.index(target.slice, out)
            val = self.atom(value, out)
            out.append(assign(gast.Subscript(value=name(base), slice=index, ctx=gast.Store()),
                              val))
        else:
            raise self.ctx.error("assignment to attributes is not supported (it mutates an "
                                 "object srcgrad cannot track)", target,
                                 hint="Assign to a local variable instead.")

    def subscript_base(self, target):
        if not isinstance(target.value, gast.Name) or target.value.id not in self.locals:
            raise self.ctx.error("subscript assignment is supported only into a local "
                                 "array variable (`y[i] = ...`)", target)
        return target.value.id

    def stmt_If(self, s, out):
        test = self.named(s.test, out, "cond")
        body = self.block(s.body)
        orelse = self.block(s.orelse)
        if is_break_guard(s):
            return gast.If(test=name(test), body=[gast.Break()], orelse=[])
        return gast.If(test=name(test), body=body or [], orelse=orelse)

    def stmt_While(self, s, out):
        test_stmts = []
        if isinstance(s.test, gast.Constant):
            test = s.test
        else:
            cond = self.temp("cond")
            self.assign_to(store(cond), s.test, test_stmts)
            test = name(cond)
        out.extend(test_stmts)
        body = self.block(s.body)
        again = [clone(t) for t in test_stmts]
        for t in again:
            t.origin = s
        if body and is_break_guard(body[-1]):
            body = body[:-1] + again + [body[-1]]
        else:
            body = body + again
        return gast.While(test=test, body=body, orelse=[])

    def stmt_For(self, s, out):
        it = s.iter
        kind = self.iter_kind(it)
        if kind is Iterable.RANGE:
            if len(it.args) not in (1, 2, 3) or it.keywords:
                raise self.ctx.error("range() takes 1 to 3 positional arguments", it)
            unrolled = self.try_unroll(s)
            if unrolled is not None:
                return self.block(unrolled)
            args = [self.atom(a, out) for a in it.args]
            rng = self.temp("steps")
            out.append(assign(rng, call(self.ctx.helper("range", builtins.range), args)))
            if isinstance(s.target, gast.Name):
                body = self.block(s.body)
                return gast.For(target=store(s.target.id), iter=name(rng), body=body,
                                orelse=[], type_comment=None)
            var = self.temp("i")
            pre = [gast.Assign(targets=[s.target], value=name(var))]
            return gast.For(target=store(var), iter=name(rng), body=self.block(pre + s.body),
                            orelse=[], type_comment=None)
        k = self.temp("k")
        count, item = self.iter_plan(it, k, out)
        return self.index_loop(s, k, count, item, out)

    def iter_plan(self, it, k, out):
        """(count, item): how many items the iterable `it` has and the item at index k.
        enumerate() and zip() are taken apart; anything else is indexed."""
        kind = self.iter_kind(it)
        if kind is Iterable.ENUMERATE:
            count, item = self.iter_plan(it.args[0], k, out)
            index = name(k) if len(it.args) == 1 else gast.BinOp(
                left=name(k), op=gast.Add(), right=self.atom(it.args[1], out))
            return count, gast.Tuple(elts=[index, item], ctx=gast.Load())
        if kind is Iterable.ZIP:
            plans = [self.iter_plan(a, k, out) for a in it.args]
            counts = [c for c, _ in plans]
            count = counts[0] if len(counts) == 1 else \
                call(self.ctx.helper("min", builtins.min), counts)
            return count, gast.Tuple(elts=[i for _, i in plans], ctx=gast.Load())
        if kind is Iterable.RANGE:
            rng = self.named(it, out, "steps")
            length = self.ctx.helper("len", builtins.len)
            return call(length, [name(rng)]), gast.Subscript(value=name(rng), slice=name(k),
                                                             ctx=gast.Load())
        seq = self.named(it, out, "seq")
        length = self.ctx.helper("len", builtins.len)
        return call(length, [name(seq)]), gast.Subscript(value=name(seq), slice=name(k),
                                                         ctx=gast.Load())

    def index_loop(self, s, k, count, item, out):
        n = self.temp("n")
        self.assign_to(store(n), count, out)
        rng = self.temp("steps")
        out.append(assign(rng, call(self.ctx.helper("range", builtins.range), [name(n)])))
        pre = [located(gast.Assign(targets=[s.target], value=item), s)]
        body = self.block(pre + s.body)
        return gast.For(target=store(k), iter=name(rng), body=body, orelse=[],
                        type_comment=None)

    def iter_kind(self, it):
        if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) \
                and it.func.id not in self.locals:
            fid = it.func.id  # the builtin, unless the module defines its own
            if fid == "range" and self.ctx.resolves_to(fid, builtins.range):
                return Iterable.RANGE
            if fid == "enumerate" and 1 <= len(it.args) <= 2 and not it.keywords and \
                    self.ctx.resolves_to(fid, builtins.enumerate):
                return Iterable.ENUMERATE
            if fid == "zip" and it.args and not it.keywords and \
                    self.ctx.resolves_to(fid, builtins.zip):
                return Iterable.ZIP
        return Iterable.SEQUENCE

    def try_unroll(self, s):
        mode = self.ctx.unroll
        if mode is False or mode == "never":
            return None
        args = s.iter.args
        if not all(isinstance(a, gast.Constant) and isinstance(a.value, int) for a in args):
            return None
        values = range(*[a.value for a in args])
        if contains(s.body, (gast.Break, gast.Continue, gast.Return), into_loops=False):
            return None
        if mode == "auto" and (len(values) > UNROLL_AUTO_LIMIT
                               or _count_stmts(s.body) > UNROLL_AUTO_BODY):
            return None
        out = []
        for v in values:
            out.append(located(gast.Assign(targets=[clone(s.target)], value=const(v)), s))
            out.extend(clone(b) for b in s.body)
        return out

    # expressions

    def named(self, expr, out, hint="t"):
        """Normalize `expr` into a local Name (for tests, returns and sequences)."""
        a = self.atom(expr, out, hint)
        if isinstance(a, gast.Name) and a.id in self.locals:
            return a.id
        tmp = self.temp(hint)
        out.append(assign(tmp, a))
        return tmp

    def atom(self, expr, out, hint="t"):
        """Normalize `expr` into an atom, emitting statements for its parts."""
        if isinstance(expr, gast.Constant):
            return const(expr.value)
        if isinstance(expr, gast.Name):
            return name(expr.id)
        if self.is_global_path(expr):
            return clone(expr)
        op = self.operation(expr, out)
        if is_atom(op) or self.is_global_path(op):
            return op
        tmp = self.temp(hint)
        temp = located(assign(tmp, op), expr)
        if getattr(expr, "lineno", None) is not None:  # then every node of it has one
            self.placed[id(temp)] = temp
        out.append(temp)
        return name(tmp)

    def is_global_path(self, expr):
        if not isinstance(expr, gast.Attribute):  # (tested first: the cheaper test)
            return False
        path = dotted_path(expr)
        return path is not None and path.split(".")[0] not in self.locals

    def operation(self, expr, out):
        """Normalize `expr` into one operation over atoms (or an atom)."""
        method = _method(_EXPR_METHODS, "expr_", type(expr))
        if method is None:
            return self.opaque(expr)
        return method(self, expr, out)

    def opaque(self, expr):
        # Expressions srcgrad does not decompose (f-strings, dicts, comprehensions...)
        # stay whole; activity analysis refuses them if a derivative must flow through.
        return annotate(expr, Opaque())

    def expr_Constant(self, e, out):
        return const(e.value)

    def expr_Name(self, e, out):
        return name(e.id)

    def expr_BinOp(self, e, out):
        return binop(self.atom(e.left, out), e.op, self.atom(e.right, out))

    def expr_UnaryOp(self, e, out):
        if isinstance(e.op, gast.UAdd):
            return gast.UnaryOp(op=e.op, operand=self.atom(e.operand, out))
        operand = self.atom(e.operand, out)
        if isinstance(e.op, gast.USub) and isinstance(operand, gast.Constant) \
                and isinstance(operand.value, (int, float)):
            return const(-operand.value)
        return gast.UnaryOp(op=e.op, operand=operand)

    def expr_Compare(self, e, out):
        left = self.atom(e.left, out)
        comparators = [self.atom(c, out) for c in e.comparators]
        return gast.Compare(left=left, ops=e.ops, comparators=comparators)

    def expr_BoolOp(self, e, out):
        first = self.atom(e.values[0], out)
        rest_out = []
        rest = [self.atom(v, rest_out) for v in e.values[1:]]
        if not rest_out:
            return gast.BoolOp(op=e.op, values=[first] + rest)
        # later operands need statements: keep short-circuit order with ifs
        result = self.temp("t")
        out.append(assign(result, first))
        self.short_circuit(e.op, result, e.values[1:], out)
        return name(result)

    def short_circuit(self, op, result, values, out):
        if not values:
            return
        inner = []
        self.assign_to(store(result), values[0], inner)
        self.short_circuit(op, result, values[1:], inner)
        test = result
        if isinstance(op, gast.Or):
            test = self.temp("t")
            out.append(assign(test, gast.UnaryOp(op=gast.Not(), operand=name(result))))
        out.append(gast.If(test=name(test), body=inner, orelse=[]))

    def expr_IfExp(self, e, out):
        test = self.named(e.test, out, "cond")
        result = self.temp("t")
        body, orelse = [], []
        self.assign_to(store(result), e.body, body)
        self.assign_to(store(result), e.orelse, orelse)
        out.append(gast.If(test=name(test), body=body, orelse=orelse))
        return name(result)

    def expr_Call(self, e, out):
        func = e.func
        if self.is_global_path(func) or (isinstance(func, gast.Name)):
            func = clone(func)
        elif isinstance(func, gast.Attribute):
            func = attribute(self.atom(func.value, out), func.attr)
        else:
            func = self.atom(func, out)
        args = []
        for a in e.args:
            if isinstance(a, gast.Starred):
                args.append(gast.Starred(value=self.atom(a.value, out), ctx=gast.Load()))
            else:
                args.append(self.atom(a, out))
        keywords = [gast.keyword(arg=k.arg, value=self.atom(k.value, out))
                    for k in e.keywords]
        return call(func, args, keywords)

    def expr_Attribute(self, e, out):
        if self.is_global_path(e):
            return clone(e)
        return attribute(self.atom(e.value, out), e.attr)

    def expr_Subscript(self, e, out):
        value = self.atom(e.value, out)
        return gast.Subscript(value=value, slice=self.index(e.slice, out), ctx=gast.Load())

    def index(self, idx, out):
        if isinstance(idx, gast.Slice):
            return gast.Slice(lower=self.atom(idx.lower, out) if idx.lower else None,
                              upper=self.atom(idx.upper, out) if idx.upper else None,
                              step=self.atom(idx.step, out) if idx.step else None)
        if isinstance(idx, gast.Tuple):
            return gast.Tuple(elts=[self.index(i, out) for i in idx.elts], ctx=gast.Load())
        return self.atom(idx, out)

    def expr_Tuple(self, e, out):
        if any(isinstance(x, gast.Starred) for x in e.elts):
            return self.opaque(e)
        return gast.Tuple(elts=[self.atom(x, out) for x in e.elts], ctx=gast.Load())

    def expr_List(self, e, out):
        if any(isinstance(x, gast.Starred) for x in e.elts):
            return self.opaque(e)
        return gast.List(elts=[self.atom(x, out) for x in e.elts], ctx=gast.Load())


# node class -> ANormalForm's method for it (or None), found by name once per class
_STMT_METHODS, _EXPR_METHODS = {}, {}


def _method(table, prefix, cls):
    try:
        return table[cls]
    except KeyError:
        method = table[cls] = getattr(ANormalForm, prefix + cls.__name__, None)
        return method


def _count_stmts(stmts):
    n = 0
    for s in stmts:
        n += 1
        for field in ("body", "orelse"):
            n += _count_stmts(getattr(s, field, []) or [])
    return n
