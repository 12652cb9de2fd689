"""A flow-insensitive fixpoint over the assignments of a generated function, shared
by the float64 inference (dtypes.py) and the Python-float inference (scalars.py).

Entry: `infer_kinds(func, env, kind_of, skip) -> env`. A name gets a kind only if
every assignment to it (augmented ones included) gives that kind; otherwise it is
unknown (absent from the result). Loop variables are unknown. Names only ever go
absent -> kind -> unknown, so the iteration terminates. An assignment that reads a
name with no kind yet waits, so loop-carried names get their kind; if it still waits
at the fixpoint, its targets become unknown and the iteration resumes.
"""
import gast

from .syntax import all_names, statements
from ..treewalk import walk


def infer_kinds(func, env, kind_of, skip=lambda s: False):
    """`env`: the parameters' kinds (copied); `kind_of(expr, env)`: an expression's
    kind or None; `skip(stmt)`: assignments that cannot change a name's kind."""
    env = dict(env)
    unknown = set()
    assigns = []
    for s in statements(func.body):
        if isinstance(s, gast.Assign) and not skip(s):
            assigns.append((s.targets, s.value))
        elif isinstance(s, gast.AugAssign):
            assigns.append(([s.target], gast.BinOp(left=s.target, op=s.op, right=s.value)))
        elif isinstance(s, gast.For):
            unknown |= all_names(s.target)
    for n in unknown:
        env.pop(n, None)
    assigned = set().union(*[all_names(t) for targets, _ in assigns for t in targets])
    while True:
        changed = True
        while changed:
            changed, waiting = False, []
            for targets, value in assigns:
                if any(isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and
                       n.id in assigned and n.id not in env and n.id not in unknown
                       for n in walk(value)):
                    waiting.append(targets)
                    continue
                kind = kind_of(value, env)
                for t in targets:
                    changed |= _settle(t, kind, env, unknown)
        if not waiting:
            return env
        for targets in waiting:
            for t in targets:
                _settle(t, None, env, unknown)


def _settle(t, kind, env, unknown):
    """Record that target `t` gets a value of `kind` (a tuple target: unknown);
    return whether anything changed."""
    changed = False
    for n in all_names(t):
        k = kind if isinstance(t, gast.Name) else None
        if n in unknown:
            continue
        if k is None or (n in env and env[n] != k):
            unknown.add(n)
            env.pop(n, None)
            changed = True
        elif n not in env:
            env[n] = k
            changed = True
    return changed
