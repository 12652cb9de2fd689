"""Static facts about subscript assignments `y[index] = v` for the reverse transform.

`y[[0, 0, 1]] = v` keeps the *last* write to a repeated position (NumPy assigns in
order), so the adjoint of v takes the cotangent only at the positions each element
won: `runtime.assigned_part`. A basic index (integers and slices) never repeats a
position, and then the plain `runtime.element` suffices. These functions decide,
from the syntax, which indices are certainly basic.
"""
import gast

from .markers import restored_into
from .syntax import statements
from ..treewalk import name_nodes

_INT_OPS = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)


def int_names(body):
    """Names that hold Python integers whenever they are set: `for` targets (normalized
    loops run over range objects), len(...), and integer arithmetic on those and on
    integer constants."""
    defs = {}
    for s in statements(body):
        if isinstance(s, gast.For):
            defs.setdefault(s.target.id, []).append(None)  # None: an int by construction
        elif isinstance(s, gast.Assign):
            for t in s.targets:
                for n in name_nodes(t):
                    if isinstance(n.ctx, gast.Store):
                        defs.setdefault(n.id, []).append(s.value if t is n else False)
    ints = set(defs)
    changed = True
    while changed:  # drop names with a definition that is not certainly an int
        changed = False
        for n in sorted(ints):
            if not all(d is None or (d is not False and _is_int(d, ints))
                       for d in defs[n]):
                ints.discard(n)
                changed = True
    return ints


def _is_int(e, ints):
    if isinstance(e, gast.Constant):
        return type(e.value) is int
    if isinstance(e, gast.Name):
        return e.id in ints
    if isinstance(e, gast.BinOp) and isinstance(e.op, _INT_OPS):
        return _is_int(e.left, ints) and _is_int(e.right, ints)
    if isinstance(e, gast.UnaryOp) and isinstance(e.op, gast.USub):
        return _is_int(e.operand, ints)
    if isinstance(e, gast.Call) and isinstance(e.func, gast.Name) and e.func.id == "len":
        return True
    return False


def is_basic(index, ints, shapes):
    """Whether `index` (a normalized subscript index) is certainly a basic index:
    integers, slices and tuples of them, which select each position at most once.
    A name of static shape () is a scalar, which can only be an integer or a bool
    (a float index raises)."""
    if isinstance(index, gast.Slice):
        return True
    if isinstance(index, gast.Tuple):
        return all(is_basic(e, ints, shapes) for e in index.elts)
    if isinstance(index, gast.Constant):
        return type(index.value) is int
    if isinstance(index, gast.Name):
        return index.id in ints or shapes.get(index.id) == ()
    return False


# --- the adjoint sweep never writes into an array it does not own -----------------------

def own_before_restores(adjoint, unowned, rebinding_owns, copy_name):
    """Insert `y = copy_value(y)` before the adjoint sweep restores elements of `y`
    (`y[idx] = old`, noted `markers.RestoresInto`) while `y` may hold an array that
    someone else sees: the value a vjp returned and the arrays saved for a pullback
    that may run again, or the value value_and_grad returns.

    `unowned`: the names that may not hold the sweep's own array when it starts
    (None: every name). `rebinding_owns`: whether a name the sweep rebinds (restores)
    then holds an array the sweep owns (true when the sweep runs only once)."""
    if unowned is None:
        unowned = _restored_into(adjoint)

    def copy(n):
        c = gast.Assign(targets=[gast.Name(id=n, ctx=gast.Store(), annotation=None,
                                           type_comment=None)],
                        value=gast.Call(func=gast.Name(id=copy_name, ctx=gast.Load(),
                                                       annotation=None, type_comment=None),
                                        args=[gast.Name(id=n, ctx=gast.Load(), annotation=None,
                                                        type_comment=None)],
                                        keywords=[]))
        return c

    def block(stmts, u):
        """The statements with copies inserted, and the names that may be unowned after."""
        out = []
        for st in stmts:
            into = restored_into(st)
            if into is not None:
                if into in u:
                    out.append(copy(into))
                    u = u - {into}
            elif isinstance(st, gast.Assign):
                names = {t.id for t in st.targets if isinstance(t, gast.Name)}
                u = u - names if rebinding_owns else u | names
            elif isinstance(st, gast.If):
                st.body, a = block(st.body, u)
                st.orelse, b = block(st.orelse, u)
                u = a | b
            elif isinstance(st, gast.For):
                bound = _rebound(st.body) | {st.target.id}
                hoist = sorted((_restored_into(st.body) & u) - bound)
                out.extend(copy(n) for n in hoist)  # once, before the loop
                u = u - set(hoist)
                entry = u if rebinding_owns else u | bound
                st.body, end = block(st.body, entry)  # end <= entry: a fixpoint
                u = entry | end
            out.append(st)
        return out, u

    try:
        return block(adjoint, set(unowned))[0]
    finally:
        block = None  # it calls itself through its cell: break the cycle


def _restored_into(stmts):
    return {restored_into(s) for st in stmts for s in _walk(st)
            if restored_into(s) is not None}


def _rebound(stmts):
    out = set()
    for st in stmts:
        for s in _walk(st):
            if isinstance(s, gast.Assign):
                out |= {t.id for t in s.targets if isinstance(t, gast.Name)}
            elif isinstance(s, gast.For):
                out.add(s.target.id)
    return out


def _walk(st):
    yield st
    for field in ("body", "orelse"):
        for s in getattr(st, field, None) or []:
            yield from _walk(s)
