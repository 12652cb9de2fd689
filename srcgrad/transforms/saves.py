"""Save/restore planning of reverse mode.

The sweeps are first built with placeholders: before each assignment of the primal
sweep a `SaveMarker` (the names it overwrites), after its adjoint a `RestoreMarker`
per name. `plan_saves` decides which old values are worth keeping (the adjoint sweep
reads them, an earlier value exists, and the restore survives), and `resolve_saves` /
`resolve_restores` replace the markers by code (a local, or the per-call stack inside
loops) or drop them.
"""
import gast

from .activity import statements
from .markers import Marker, RestoreMarker, SaveMarker, is_origin_comment
from .namesets import NameSets
from .syntax import assign, load_names, name


class SavePlan:
    """`sites`: {(site, name): depth} of the old values saved; `locals`: {(site, name):
    local holding it} for those saved outside loops (depth 0); `first_defs`: the
    (site, name) assignments that overwrite no earlier value."""

    def __init__(self, sites, locals_, first_defs):
        self.sites, self.locals, self.first_defs = sites, locals_, first_defs


def plan_saves(body, primal, adjoint, params, needed, in_loop, fresh, names=None,
               body_names=None):
    """Which old values to save, given the original `body`, the swept `primal` and
    `adjoint` (with markers), the names the adjoint reads (`needed`), `in_loop(x)`
    (whether x is assigned in a loop) and `fresh(base)` for locals' names; `names`,
    `body_names`: the NameSets of the adjoint's and the body's statements, if the
    caller keeps them."""
    assigned, first_defs = assignments(body, params, body_names)
    # a save is useful only where its restore survives in the adjoint sweep (a loop
    # with nothing to replay is dropped whole, restores included) and is read
    restores = read_restores(adjoint, set(params), names)
    sites = {}
    for m in markers(primal, SaveMarker):
        for x in m.names:
            if (m.site, x) in first_defs or (m.site, x) not in restores:
                continue  # no earlier value exists, or nothing reads it
            if x in needed and (assigned.get(x, 0) > 1 or x in params or m.depth > 0
                                or in_loop(x)):
                sites[(m.site, x)] = m.depth
    locals_ = {}
    for key, depth in sites.items():
        if not depth:
            locals_[key] = fresh(key[1] + "_old")
    return SavePlan(sites, locals_, first_defs)


def resolve_saves(stmts, plan, push):
    """The primal sweep with its save markers replaced: `x_old = x`, or `push(x)`."""
    out = []
    for s in stmts:
        if isinstance(s, SaveMarker):
            for x in s.names:
                if (s.site, x) in plan.sites:
                    if s.depth:
                        out.append(push(name(x)))
                    else:
                        out.append(assign(plan.locals[(s.site, x)], name(x)))
            continue
        if s.__class__ in _BLOCKS:  # (markers are only ever in their blocks)
            if s.body:
                s.body = resolve_saves(s.body, plan, push) or [gast.Pass()]
            if s.orelse:
                s.orelse = resolve_saves(s.orelse, plan, push) or [gast.Pass()]
        out.append(s)
    return out


def resolve_restores(stmts, plan, pop):
    """The adjoint sweep with its restore markers replaced: `x = x_old`, or
    `x = pop()`; a branch left with nothing to replay is dropped."""
    out = []
    for s in stmts:
        if isinstance(s, RestoreMarker):
            if s.key in plan.sites:
                value = pop() if plan.sites[s.key] else name(plan.locals[s.key])
                out.append(assign(s.name, value))
            continue
        kind = s.__class__
        if kind in _BLOCKS:  # (markers are only ever in their blocks)
            if s.body:
                s.body = resolve_restores(s.body, plan, pop) or [gast.Pass()]
            if s.orelse:
                s.orelse = resolve_restores(s.orelse, plan, pop) or [gast.Pass()]
            if kind is _If and not has_code(s.body) and not has_code(s.orelse):
                continue  # a branch with nothing left to replay
        out.append(s)
    return out


def read_restores(adjoint, live_at_end, names=None):
    """Restore markers' keys (site, name) whose restored value the rest of the adjoint
    sweep reads: by liveness analysis over the structured adjoint code (`names`:
    NameSets of its statements, made here if not given). Its final visit of each
    statement (one per marker) also finds the markers."""
    read, dead = set(), set()
    names = names if names is not None else NameSets()
    of = names.of

    # `live` is updated in place (a new set per statement costs O(live names) each:
    # quadratic on long straight-line code); a branch or loop body gets a copy
    def block(stmts, live, final):
        for st in reversed(stmts):
            if st.__class__ is _Assign:  # most statements: no call of stmt
                uses, defs = of(st)
                live -= defs
                live |= uses
            else:
                live = stmt(st, live, final)
        return live

    def stmt(st, live, final):
        kind = st.__class__
        if kind is _Assign or kind is _AugAssign:  # most statements: the end below
            uses, defs = names.of(st)
            live -= defs
            live |= uses
            if kind is _AugAssign and isinstance(st.target, gast.Name):
                live.add(st.target.id)
            return live
        if kind is RestoreMarker:
            if final:
                (read if st.name in live else dead).add((st.site, st.name))
            live.discard(st.name)
            return live
        if is_origin_comment(st):
            return live
        if isinstance(st, gast.If):
            body = block(st.body, set(live), final)
            live = block(st.orelse, live, final)
            live |= body
            live |= load_names(st.test)
            return live
        if isinstance(st, (gast.For, gast.While)):
            head = load_names(st.iter if isinstance(st, gast.For) else st.test)
            cur = set(live)
            for _ in range(20):
                new = block(st.body, set(cur), False)
                new |= live
                new |= head
                if new == cur:
                    break
                cur = new
            block(st.body, set(cur), final)
            return cur
        uses, defs = names.of(st)
        if isinstance(st, (gast.Assign, gast.AugAssign)):
            live -= defs
        live |= uses
        if isinstance(st, gast.AugAssign) and isinstance(st.target, gast.Name):
            live.add(st.target.id)
        return live

    block(adjoint, set(live_at_end), True)
    return read - dead  # (a key found twice is dead if either is)


def assignments(body, params, names=None):
    """(counts, first definitions) of `body`: how many assignments (for loops
    included) bind each name, anywhere in it; and the (site, name) pairs of
    unconditional top-level assignments that define a name before anything else
    assigns it, sites that overwrite no earlier value (`names`: NameSets of the
    body's statements, made here if not given). One pass over the top level."""
    names = names if names is not None else NameSets()
    counts = {}
    seen = set(params)
    first = set()
    stored = names.stored
    for s in body:
        if s.__class__ is _Assign:
            target = s.targets[0]
            if target.__class__ is _Name:  # (most: _assigned's one name, inline)
                n = target.id
                counts[n] = counts.get(n, 0) + 1
                if n not in seen:
                    first.add((id(s), n))
                seen |= stored(s)
                continue
            for n in _assigned(target):
                counts[n] = counts.get(n, 0) + 1
                if n not in seen:
                    first.add((id(s), n))
        else:
            _count_sites((s,), counts)
        seen |= stored(s)
    return counts, first


def has_code(stmts):
    """Whether `stmts` hold more than markers, origin comments and `pass`."""
    return any(not (isinstance(s, (Marker, gast.Pass)) or is_origin_comment(s))
               for s in stmts)


def has_restores(stmts):
    """Whether restore markers (which may become code) are among `stmts`."""
    return any(True for _ in markers(stmts, RestoreMarker))


def markers(stmts, kind, out=None):
    """The markers of class `kind` in `stmts` and their nested blocks, in order (a
    list: a recursive generator costs a step per statement and level)."""
    out = [] if out is None else out
    for s in stmts:
        if isinstance(s, kind):
            out.append(s)
        elif s.__class__ in _BLOCKS:
            markers(s.body, kind, out)
            if s.orelse:
                markers(s.orelse, kind, out)
    return out


def loads(stmts, names=None):
    """Names the statements read (origin comments read nothing, those nested in a
    branch or loop aside); `names`: NameSets of the statements, if kept."""
    names = names if names is not None else NameSets()
    out = set()
    of = names.of
    for s in stmts:
        kind = s.__class__
        if kind in _BLOCKS:
            out |= _loads_of(s, names)
        elif kind is RestoreMarker:  # (half the statements: they read nothing)
            continue
        elif kind is not _Expr or not is_origin_comment(s):
            out |= of(s)[0]
    return out


def _loads_of(s, names):
    """load_names(s), from the NameSets of the simple statements within `s`."""
    if not isinstance(s, _COMPOUND):
        return names.of(s)[0]
    out = set()
    for field in s._fields:
        value = getattr(s, field, None)
        if field == "body" or field == "orelse":
            for child in value or ():
                out |= _loads_of(child, names)
        elif isinstance(value, gast.AST):
            out |= load_names(value)
    return out


_COMPOUND = (gast.If, gast.For, gast.While)
# the statements with blocks (body and orelse) in the sweeps: normalized code holds no
# others (no try, with or nested def)
_BLOCKS = frozenset(_COMPOUND)
_Assign, _AugAssign, _If, _Expr, _Name = (gast.Assign, gast.AugAssign, gast.If, gast.Expr,
                                         gast.Name)


def _assigned(target):
    return [e.id for e in target.elts] if isinstance(target, gast.Tuple) else \
        [target.id] if isinstance(target, gast.Name) else []


def _count_sites(body, counts):
    for s in statements(body):
        if isinstance(s, gast.Assign):
            for n in _assigned(s.targets[0]):
                counts[n] = counts.get(n, 0) + 1
        elif isinstance(s, gast.For):
            counts[s.target.id] = counts.get(s.target.id, 0) + 1
