"""Desugaring and A-normal form.

Entry: `normalize(tree, ctx) -> tree` for a gast.FunctionDef.

After this pass the body consists only of:
  * `name = op(atoms)`: one operation (BinOp, UnaryOp, Compare, BoolOp, Call,
    Subscript, Attribute, Tuple, List), or a copy `name = atom`; an atom is a Name,
    a Constant, or a dotted global path such as `np.pi`. The target never appears
    among the operands (`x = x * 2` becomes `t = x * 2; x = t`).
  * `a, b = name` (unpacking), `name[index] = atom` (index built from atoms),
  * `if name:`, `while name:` (the test recomputed at the end of the body),
    `for name in name:` over a `range` object, `if name: break` as the last
    statement of a loop body, expression statements `f(atoms)`, `assert`, `raise`,
  * one `return name` as the last statement of the function.
`break`, `continue` and early `return` become flags; `for` over sequences,
`enumerate` and `zip` become loops over `range(len(seq))`. Literal-range loops are
unrolled according to `ctx.unroll`. Every new statement carries the location of the
user statement it came from. Unsupported syntax raises UnsupportedSyntaxError.
"""
import builtins

import gast

from .. import runtime
from ..errors import UnsupportedSyntaxError
from .syntax import (assign, call, clone, const, dotted_path, is_atom, is_break_guard,
                     located, name, store, store_names)

UNROLL_AUTO_LIMIT = 16  # literal-range trip counts unrolled by unroll="auto"
UNROLL_AUTO_BODY = 12   # ... when the body has at most this many statements

_UNSUPPORTED = {
    gast.Try: "try/except is not supported in differentiated functions",
    gast.With: "`with` blocks are not supported in differentiated functions",
    gast.AsyncWith: "async code is not supported",
    gast.AsyncFor: "async code is not supported",
    gast.AsyncFunctionDef: "async functions are not supported",
    gast.ClassDef: "class definitions inside a differentiated function are not supported",
    gast.Global: "`global` declarations are not supported (writes to globals cannot be "
                 "differentiated)",
    gast.Nonlocal: "`nonlocal` declarations are not supported (writes to enclosing "
                   "variables cannot be differentiated)",
    gast.Delete: "`del` is not supported in differentiated functions",
    gast.Import: "imports inside a differentiated function are not supported",
    gast.ImportFrom: "imports inside a differentiated function are not supported",
}

_UNSUPPORTED_EXPR = {
    gast.Yield: "generators (`yield`) cannot be differentiated",
    gast.YieldFrom: "generators (`yield from`) cannot be differentiated",
    gast.Await: "async code is not supported",
    gast.NamedExpr: "assignment expressions (:=) are not supported",
}

_HINTS = {
    gast.Try: "Move the try/except outside the function you differentiate.",
    gast.Global: "Pass the value in as an argument and return the new value instead.",
    gast.Nonlocal: "Pass the value in as an argument and return the new value instead.",
    gast.FunctionDef: "Define the helper function at module level and call it.",
}


class Context:
    """What normalize needs from the compiler: naming, errors, options."""

    def __init__(self, namer, filename, function, unroll="auto"):
        self.namer = namer
        self.filename = filename
        self.function = function
        self.unroll = unroll
        # (error, [(alias, base, index)]): in-place updates refused unless every alias
        # `alias = base[index]` is a scalar element; checked by transforms/aliasing.py
        self.deferred_aliases = []

    def error(self, message, node, cls=UnsupportedSyntaxError, hint=None):
        return cls(message, filename=self.filename, lineno=getattr(node, "lineno", None),
                   col=getattr(node, "col_offset", None), function=self.function, hint=hint)


def normalize(tree, ctx):
    _check_supported(tree, ctx)
    _check_aliasing(tree, ctx)
    params = [a.id for a in tree.args.posonlyargs + tree.args.args + tree.args.kwonlyargs]
    if tree.args.vararg is not None:
        params.append(tree.args.vararg.id)
    if tree.args.kwarg is not None:
        params.append(tree.args.kwarg.id)
    body = _Jumps(ctx).function_body(tree.body)
    locals_ = set(params) | set().union(*(store_names(s) for s in body)) if body else set(params)
    anf = _Anf(ctx, locals_)
    tree.body = anf.block(body)
    if not tree.body or not isinstance(tree.body[-1], gast.Return):
        ret = gast.Return(value=const(None))
        tree.body.append(located(ret, tree))
    return tree


def _check_supported(tree, ctx):
    if isinstance(tree, gast.AsyncFunctionDef):
        raise ctx.error(_UNSUPPORTED[gast.AsyncFunctionDef], tree)
    for node in gast.walk(tree):
        if node is tree:
            continue
        kind = type(node)
        if kind in _UNSUPPORTED:
            raise ctx.error(_UNSUPPORTED[kind], node, hint=_HINTS.get(kind))
        if kind in _UNSUPPORTED_EXPR:
            raise ctx.error(_UNSUPPORTED_EXPR[kind], node)
        if kind is gast.FunctionDef:
            raise ctx.error("functions defined inside a differentiated function are not "
                            "supported", node, hint=_HINTS[gast.FunctionDef])
        if kind is gast.Lambda:
            raise ctx.error("lambda expressions inside a differentiated function are not "
                            "supported", node, hint="Define the lambda outside the function "
                            "and call it.")
        if kind in (gast.While, gast.For) and node.orelse:
            raise ctx.error("`else` clauses on loops are not supported", node.orelse[0])


_VIEW_METHODS = {"T", "reshape", "ravel", "transpose", "view", "swapaxes", "squeeze"}


def _check_aliasing(tree, ctx):
    """Refuse in-place updates of an array that another local name also refers to.

    `z = y; z += 1` changes y too in NumPy; srcgrad reads `z += e` as `z = z + e` and
    tracks values, not objects, so such a program would get a silently wrong gradient.
    """
    aliases = {}  # name -> {(other name, line where they start to share)}
    loops = [(n.lineno, n.end_lineno) for n in gast.walk(tree)
             if isinstance(n, (gast.For, gast.While))]
    line = [0]

    def link(a, b, value=None):
        if a is not None and b is not None and a != b:
            # `a = b[index]` may be an element (a copy): aliasing.py decides from shapes
            elem = (a, b, value.slice) if isinstance(value, gast.Subscript) and \
                isinstance(value.value, gast.Name) else None
            aliases.setdefault(a, set()).add((b, line[0], elem))
            aliases.setdefault(b, set()).add((a, line[0], elem))

    def shared_before(alias_line, mutation_line):
        # a link made earlier, or anywhere in a loop around both, may be live
        return alias_line < mutation_line or any(
            lo <= alias_line <= hi and lo <= mutation_line <= hi for lo, hi in loops)

    for node in gast.walk(tree):
        line[0] = getattr(node, "lineno", 0)
        if isinstance(node, gast.Assign):
            for target in node.targets:
                if isinstance(target, gast.Name):
                    link(target.id, _alias_source(node.value), node.value)
                elif isinstance(target, (gast.Tuple, gast.List)) and \
                        isinstance(node.value, (gast.Tuple, gast.List)):
                    for t, v in zip(target.elts, node.value.elts):
                        if isinstance(t, gast.Name):
                            link(t.id, _alias_source(v))
        elif isinstance(node, gast.For):  # the loop variable is a row (a view) of the iterable
            sources = node.iter.args if isinstance(node.iter, gast.Call) and \
                isinstance(node.iter.func, gast.Name) and \
                node.iter.func.id in ("enumerate", "zip") else [node.iter]
            for t in gast.walk(node.target):
                if isinstance(t, gast.Name):
                    for src in sources:
                        link(t.id, _alias_source(src))
    if not aliases:
        return
    for node in gast.walk(tree):
        mutated = None
        if isinstance(node, gast.AugAssign):
            target = node.target
            mutated = target.id if isinstance(target, gast.Name) else \
                _base_name(target)
        elif isinstance(node, gast.Assign):
            for t in node.targets:
                if isinstance(t, gast.Subscript):
                    mutated = _base_name(t)
        links = sorted(((o, at, elem) for o, at, elem in aliases.get(mutated, ())
                        if shared_before(at, node.lineno)), key=lambda k: (k[0], k[1]))
        live = [o for o, _, _ in links]
        if live:
            other = live[0]
            error = ctx.error(
                f"in-place update of `{mutated}`, which shares its array with `{other}`: "
                "srcgrad cannot follow changes made through another name",
                node, hint=f"Make a copy first (`{mutated} = {other}.copy()`), or write "
                           f"`{mutated} = {mutated} + ...` to build a new array.")
            if all(elem is not None for _, _, elem in links):
                # only element reads: not views if they are scalars (known from shapes)
                deferred = getattr(ctx, "deferred_aliases", None)
                if deferred is not None:
                    deferred.append((error, [elem for _, _, elem in links]))
                    continue
            if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                # `s += 1.0` only shares state when s is an array: check when it runs
                node.srcgrad_inplace_error = str(error)
            else:
                raise error


def _alias_source(value):
    """The local name whose array `value` may share (copies, views), else None."""
    if isinstance(value, gast.Name):
        return value.id
    if isinstance(value, gast.Subscript):  # basic indexing returns a view
        return _alias_source(value.value)
    if isinstance(value, gast.Attribute) and value.attr == "T" and \
            isinstance(value.value, gast.Name):
        return value.value.id
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute):
        f = value.func
        if f.attr in _VIEW_METHODS and isinstance(f.value, gast.Name) and \
                f.value.id not in ("np", "numpy"):
            return f.value.id
        if f.attr in ("reshape", "transpose", "ravel", "squeeze") and value.args and \
                isinstance(value.args[0], gast.Name):
            return value.args[0].id
    return None


def _base_name(target):
    while isinstance(target, gast.Subscript):
        target = target.value
    return target.id if isinstance(target, gast.Name) else None


# --- break / continue / return -> flags ---------------------------------------

def _contains(stmts, kinds, into_loops=False):
    for s in stmts:
        for n in _walk_stmt(s, into_loops):
            if isinstance(n, kinds):
                return True
    return False


def _walk_stmt(stmt, into_loops):
    yield stmt
    if isinstance(stmt, gast.If):
        for s in stmt.body + stmt.orelse:
            yield from _walk_stmt(s, into_loops)
    elif isinstance(stmt, (gast.For, gast.While)) and into_loops:
        for s in stmt.body:
            yield from _walk_stmt(s, into_loops)


class _Jumps:
    """Rewrite break/continue/early return into flags, so every block runs to its end.

    Invariant of the output: the only jumps left are `if flag: break` as the last
    statement of a loop body, and one `return` at the end of the function.
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self.ret_flag = None
        self.ret_value = None

    def function_body(self, body):
        body = [s for s in body if not _is_docstring(s)]
        early = [s for s in body[:-1] if _contains([s], gast.Return, into_loops=True)]
        last = body[-1] if body else None
        tail_return = isinstance(last, gast.Return)
        if not early and not (last is not None and not tail_return
                              and _contains([last], gast.Return, into_loops=True)):
            return [n for s in body for n in self.loops(s)]
        namer = self.ctx.namer
        self.ret_flag = namer.fresh("returned")
        self.ret_value = namer.fresh("result")
        out = [assign(self.ret_flag, const(False), body[0]),
               assign(self.ret_value, const(None), body[0])]
        out += self.block(body, loop=None)
        out.append(located(gast.Return(value=name(self.ret_value)), last))
        return out

    def loops(self, stmt):
        """Recurse into loops of a statement that has no early return."""
        if isinstance(stmt, (gast.For, gast.While)):
            return self.loop(stmt)
        if isinstance(stmt, gast.If):
            stmt.body = [n for s in stmt.body for n in self.loops(s)]
            stmt.orelse = [n for s in stmt.orelse for n in self.loops(s)]
        return [stmt]

    def loop(self, stmt):
        if not (_contains(stmt.body, (gast.Break, gast.Continue))
                or _contains(stmt.body, gast.Return, into_loops=True)):
            stmt.body = [n for s in stmt.body for n in self.loops(s)]
            return [stmt]
        info = {"skip": self.ctx.namer.fresh("skip"), "stop": self.ctx.namer.fresh("stop")}
        body = self.block(stmt.body, loop=info)
        stmt.body = ([assign(info["skip"], const(False), stmt)] + body +
                     [located(gast.If(test=name(info["stop"]), body=[gast.Break()],
                                      orelse=[]), stmt)])
        return [assign(info["stop"], const(False), stmt), stmt]

    def block(self, stmts, loop):
        out = []
        for i, s in enumerate(stmts):
            new, jumps = self.stmt(s, loop)
            out.extend(new)
            rest = stmts[i + 1:]
            if jumps and rest:
                guard = self.guard(loop, rest[0])
                inner = self.block(rest, loop)
                if inner:
                    out.append(located(gast.If(test=guard, body=inner, orelse=[]), rest[0]))
                return out
        return out

    def guard(self, loop, origin):
        flag = loop["skip"] if loop is not None else self.ret_flag
        return located(gast.UnaryOp(op=gast.Not(), operand=name(flag)), origin)

    def stmt(self, s, loop):
        """(statements, may_jump): the rewritten statement and whether it can jump."""
        if isinstance(s, gast.Break):
            return [assign(loop["skip"], const(True), s), assign(loop["stop"], const(True), s)], True
        if isinstance(s, gast.Continue):
            return [assign(loop["skip"], const(True), s)], True
        if isinstance(s, gast.Return):
            value = s.value if s.value is not None else const(None)
            out = [assign(self.ret_value, value, s), assign(self.ret_flag, const(True), s)]
            if loop is not None:
                out += [assign(loop["skip"], const(True), s), assign(loop["stop"], const(True), s)]
            return out, True
        if isinstance(s, gast.If):
            inner = s.body + s.orelse
            jumps = _contains(inner, (gast.Break, gast.Continue)) or \
                _contains(inner, gast.Return, into_loops=True)
            s.body = self.block(s.body, loop) or [gast.Pass()]
            s.orelse = self.block(s.orelse, loop)
            return [s], jumps
        if isinstance(s, (gast.For, gast.While)):
            has_return = _contains(s.body, gast.Return, into_loops=True)
            new = self.loop(s)
            if has_return and loop is not None:
                # propagate a return out of the enclosing loop as well
                new.append(located(gast.If(test=name(self.ret_flag), body=[
                    assign(loop["skip"], const(True), s),
                    assign(loop["stop"], const(True), s)], orelse=[]), s))
            return new, has_return
        return [s], False


def _is_docstring(s):
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant) and \
        isinstance(s.value.value, str)


# --- A-normal form -------------------------------------------------------------

class _Anf:
    def __init__(self, ctx, locals_):
        self.ctx = ctx
        self.locals = set(locals_)
        self.namer = ctx.namer

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
        method = getattr(self, "stmt_" + type(s).__name__, None)
        if method is None:
            raise self.ctx.error(f"`{type(s).__name__}` statements are not supported", s)
        out = []
        result = method(s, out)
        if result is not None:
            out.extend(result if isinstance(result, list) else [result])
        for n in out:
            located(n, s)
            if not hasattr(n, "origin"):
                n.origin = s
        return out

    def stmt_Pass(self, s, out):
        return None

    def stmt_Expr(self, s, out):
        if _is_docstring(s):
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
        return s  # only `if flag: break` reaches here (see _Jumps)

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
        message = getattr(s, "srcgrad_inplace_error", None)
        if message is not None:
            guard = self.ctx.helper("refuse_shared_array", runtime.refuse_shared_array)
            check = call(name(guard), [name(target.id), const(message)])
            check.srcgrad_harmless = True  # reads the value, changes nothing
            out.append(gast.Expr(value=check))
        self.assign_to(target, gast.BinOp(left=load, op=s.op, right=s.value), out)
        return None

    def assign_to(self, target, value, out):
        if isinstance(target, gast.Name):
            op = self.operation(value, out)
            if target.id in _names_in(op):  # keep targets out of operands
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
        if kind == "range":
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
        if kind == "enumerate":
            count, item = self.iter_plan(it.args[0], k, out)
            index = name(k) if len(it.args) == 1 else gast.BinOp(
                left=name(k), op=gast.Add(), right=self.atom(it.args[1], out))
            return count, gast.Tuple(elts=[index, item], ctx=gast.Load())
        if kind == "zip":
            plans = [self.iter_plan(a, k, out) for a in it.args]
            counts = [c for c, _ in plans]
            count = counts[0] if len(counts) == 1 else \
                call(self.ctx.helper("min", builtins.min), counts)
            return count, gast.Tuple(elts=[i for _, i in plans], ctx=gast.Load())
        if kind == "range":
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
                return "range"
            if fid == "enumerate" and 1 <= len(it.args) <= 2 and not it.keywords and \
                    self.ctx.resolves_to(fid, builtins.enumerate):
                return "enumerate"
            if fid == "zip" and it.args and not it.keywords and \
                    self.ctx.resolves_to(fid, builtins.zip):
                return "zip"
        return "sequence"

    def try_unroll(self, s):
        mode = self.ctx.unroll
        if mode is False or mode == "never":
            return None
        args = s.iter.args
        if not all(isinstance(a, gast.Constant) and isinstance(a.value, int) for a in args):
            return None
        values = range(*[a.value for a in args])
        if _contains(s.body, (gast.Break, gast.Continue, gast.Return), into_loops=False):
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
        out.append(located(assign(tmp, op), expr))
        return name(tmp)

    def is_global_path(self, expr):
        path = dotted_path(expr)
        return path is not None and isinstance(expr, gast.Attribute) and \
            path.split(".")[0] not in self.locals

    def operation(self, expr, out):
        """Normalize `expr` into one operation over atoms (or an atom)."""
        method = getattr(self, "expr_" + type(expr).__name__, None)
        if method is None:
            return self.opaque(expr)
        return method(expr, out)

    def opaque(self, expr):
        # Expressions srcgrad does not decompose (f-strings, dicts, comprehensions...)
        # stay whole; activity analysis refuses them if a derivative must flow through.
        expr.srcgrad_opaque = True
        return expr

    def expr_Constant(self, e, out):
        return const(e.value)

    def expr_Name(self, e, out):
        return name(e.id)

    def expr_BinOp(self, e, out):
        return gast.BinOp(left=self.atom(e.left, out), op=e.op, right=self.atom(e.right, out))

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
            func = gast.Attribute(value=self.atom(func.value, out), attr=func.attr,
                                  ctx=gast.Load())
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
        return gast.Call(func=func, args=args, keywords=keywords)

    def expr_Attribute(self, e, out):
        if self.is_global_path(e):
            return clone(e)
        return gast.Attribute(value=self.atom(e.value, out), attr=e.attr, ctx=gast.Load())

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


def _names_in(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def _count_stmts(stmts):
    n = 0
    for s in stmts:
        n += 1
        for field in ("body", "orelse"):
            n += _count_stmts(getattr(s, field, []) or [])
    return n
