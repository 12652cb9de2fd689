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
from ..treewalk import name_nodes


def infer_kinds(func, env, kind_of, skip=lambda s: False, names=None):
    """`env`: the parameters' kinds (copied); `kind_of(expr, env)`: an expression's
    kind or None, from the kinds of the names in `expr` only; `skip(stmt)`:
    assignments that cannot change a name's kind; `names`: a NameSets of the body's
    statements, if the caller shares one."""
    env = dict(env)
    unknown = set()
    assigns = []
    sources = []  # per assignment: its statement, if `names` answers for its value
    for s in statements(func.body):
        if isinstance(s, gast.Assign) and not skip(s):
            assigns.append((s.targets, s.value))
            sources.append(s if names is not None and all(map(_plain, s.targets))
                           else None)
        elif isinstance(s, gast.AugAssign):
            assigns.append(([s.target], gast.BinOp(left=s.target, op=s.op, right=s.value)))
            sources.append(s if names is not None else None)
        elif isinstance(s, gast.For):
            unknown |= all_names(s.target)
    for n in unknown:
        env.pop(n, None)
    assigned = set()
    for targets, _ in assigns:
        for t in targets:
            if _plain(t):
                assigned.add(t.id)
            else:
                assigned |= all_names(t)
    # An assignment's outcome (waiting, or a kind) depends only on the names in its
    # value: sweep in order while anything changes, but evaluate only the
    # assignments with a name changed since they last ran (the others would do
    # again what they did, which changes nothing): the same sweeps without repeats.
    waits, readers = [], {}
    for i, (_, value) in enumerate(assigns):
        s = sources[i]
        if s is not None:
            # the names the statement reads are those its value reads (plain targets
            # read none; an augmented one's target is stored, its index read), and
            # its value's names are those and the ones it stores but its plain
            # targets (an augmented one's target is among its value's names)
            read, written = names.of(s)
            waits.append(read & assigned)
            if s.__class__ is gast.Assign:
                written = written.difference([t.id for t in s.targets])
            found = read | written if written else read
        else:
            nodes = name_nodes(value)  # walk(value)'s Name nodes, as a list
            waits.append({n.id for n in nodes if isinstance(n.ctx, gast.Load) and
                          n.id in assigned})
            found = {n.id for n in nodes}
        for n in found:
            readers.setdefault(n, []).append(i)
    dirty = [True] * len(assigns)
    waiting = [False] * len(assigns)
    # the one name of an assignment to one plain name (most), settled inline below
    single = [targets[0].id if len(targets) == 1 and _plain(targets[0]) else None
              for targets, _ in assigns]

    def settle(targets, kind):
        changed = False
        for t in targets:
            for n in _settle(t, kind, env, unknown):
                changed = True
                for j in readers.get(n, ()):
                    dirty[j] = True
        return changed

    while True:
        changed = True
        while changed:
            changed = False
            for i, (targets, value) in enumerate(assigns):
                if not dirty[i]:
                    continue
                dirty[i] = False
                wait = waits[i]
                waiting[i] = bool(wait) and any(
                    n not in env and n not in unknown for n in wait)
                if waiting[i]:
                    continue
                kind = kind_of(value, env)
                n = single[i]
                if n is None:
                    changed |= settle(targets, kind)
                elif n not in unknown:  # _settle of a plain target, inline
                    if kind is None or (n in env and env[n] != kind):
                        unknown.add(n)
                        env.pop(n, None)
                    elif n not in env:
                        env[n] = kind
                    else:
                        continue
                    changed = True
                    for j in readers.get(n, ()):
                        dirty[j] = True
        if not any(waiting):
            return env
        for i, (targets, _) in enumerate(assigns):
            if waiting[i]:
                settle(targets, None)


def _settle(t, kind, env, unknown):
    """Record that target `t` gets a value of `kind` (a tuple target: unknown);
    return the names whose kind changed."""
    changed = []
    for n in (t.id,) if _plain(t) else all_names(t):
        k = kind if isinstance(t, gast.Name) else None
        if n in unknown:
            continue
        if k is None or (n in env and env[n] != k):
            unknown.add(n)
            env.pop(n, None)
            changed.append(n)
        elif n not in env:
            env[n] = k
            changed.append(n)
    return changed


def _plain(t):
    """Whether target `t` is a plain name, whose one name is all all_names finds."""
    return t.__class__ is gast.Name and getattr(t, "annotation", None) is None
