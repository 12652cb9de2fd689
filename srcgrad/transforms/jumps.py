"""break, continue and early return become flags, so that every block runs to its end.

Entry: `JumpsToFlags(ctx).function_body(body) -> body`. Afterwards the only jumps left
are `if stop: break` as the last statement of a loop body, and (when the function
returned early) one `return result` at the end. A loop with `break`/`continue` gets
`stop = False` before it and `skip = False` at the start of its body; `break` sets
both, `continue` sets `skip`, and the statements after a jump run under `if not skip:`.
An early `return v` sets `result = v; returned = True` (and leaves every enclosing
loop through its flags); the statements after it run under `if not returned:`.
Docstrings are dropped.
"""
import gast

from .syntax import assign, const, located, name


def contains(stmts, kinds, into_loops=False):
    """Whether a statement of `stmts` is one of `kinds` (looking into ifs, and into
    loops when `into_loops`)."""
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


class JumpsToFlags:
    """Rewrite break/continue/early return into flags, so every block runs to its end.

    Invariant of the output: the only jumps left are `if flag: break` as the last
    statement of a loop body, and one `return` at the end of the function.
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self.ret_flag = None
        self.ret_value = None

    def function_body(self, body):
        body = [s for s in body if not is_docstring(s)]
        early = [s for s in body[:-1] if contains([s], gast.Return, into_loops=True)]
        last = body[-1] if body else None
        tail_return = isinstance(last, gast.Return)
        if not early and not (last is not None and not tail_return
                              and contains([last], gast.Return, into_loops=True)):
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
        if not (contains(stmt.body, (gast.Break, gast.Continue))
                or contains(stmt.body, gast.Return, into_loops=True)):
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
            jumps = contains(inner, (gast.Break, gast.Continue)) or \
                contains(inner, gast.Return, into_loops=True)
            s.body = self.block(s.body, loop) or [gast.Pass()]
            s.orelse = self.block(s.orelse, loop)
            return [s], jumps
        if isinstance(s, (gast.For, gast.While)):
            has_return = contains(s.body, gast.Return, into_loops=True)
            new = self.loop(s)
            if has_return and loop is not None:
                # propagate a return out of the enclosing loop as well
                new.append(located(gast.If(test=name(self.ret_flag), body=[
                    assign(loop["skip"], const(True), s),
                    assign(loop["stop"], const(True), s)], orelse=[]), s))
            return new, has_return
        return [s], False


def is_docstring(s):
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant) and \
        isinstance(s.value.value, str)

