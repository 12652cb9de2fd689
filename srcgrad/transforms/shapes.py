"""Static shapes of the names of a normalized function, given its argument shapes.

Entry: `infer_shapes(tree, arg_shapes, resolver) -> {name: shape}`.

The analysis is flow-insensitive: a name gets a shape only if every assignment to it
produces that same shape (loops are iterated until nothing changes); otherwise it is
absent from the result (unknown). Unknown is always safe: the reverse transform then
keeps the run-time `unbroadcast`. Shapes are tuples; Python scalars have shape ().
"""
import numbers

import gast
import numpy as np

from .markers import Opaque, note
from .syntax import popped_list, statements

_REDUCTIONS = {"sum", "mean", "max", "min", "prod", "amax", "amin"}


def infer_shapes(tree, arg_shapes, resolver, fixed=None, memo=None):
    """`fixed`: names whose shapes are known already (every assignment to them keeps
    that shape); used for generated code, where the primal names keep their shapes.
    `memo`: a dict kept by a caller that infers again on the same tree with the same
    resolver: each statement's result, reused where it looks up the same shape objects
    again; the caller deletes `memo[id(s)]` for each statement `s` it changes."""
    body = list(statements(tree.body))
    ints = {s.target.id for s in body if isinstance(s, gast.For)}
    if memo is not None and memo.get(_INTS) != ints:
        memo.clear()  # the loop counters are part of every statement's inputs
        memo[_INTS] = ints
    env = _Recorder({k: v for k, v in arg_shapes.items() if v is not None})
    fixed = fixed or {}
    env.update(fixed)
    conflict = set()
    # A statement's shape depends only on the names its evaluation looked up: sweep
    # the statements in order as long as one changes a name, but evaluate only those
    # that looked up a name changed since they last ran (the others would give the
    # same shape again, which changes nothing): the same sweeps, without the repeats.
    readers = {}
    readers_get = readers.get
    # only loops and assignments to a name or tuple look anything up or assign a
    # name (_assigned), and what a statement gives a fixed name is never used:
    # the others would never be read
    body = [s for s in body if isinstance(s, gast.For) or isinstance(s, gast.Assign) and not (
        isinstance(s.targets[0], gast.Subscript) or
        isinstance(s.targets[0], gast.Name) and s.targets[0].id in fixed)]
    dirty = [True] * len(body)
    # a name only ever goes absent -> known -> unknown, so this reaches the fixpoint
    # (the loop reads env through dict's own methods, which a _Recorder does not
    # note, but for the statements' evaluation)
    memo_get = memo.get if memo is not None else None
    changed = True
    while changed:
        changed = False
        for i, s in enumerate(body):
            if not dirty[i]:
                continue
            dirty[i] = False
            assigned = None
            if memo_get is not None:
                # a statement's names and shapes are a function of the statement
                # and of the values it looked up: the same objects, the same result
                known = memo_get(id(s))
                if known is not None and known[0] is s:
                    for k, v in zip(known[1], known[2]):
                        if dict_get(env, k) is not v:
                            break
                    else:
                        seen, assigned = known[1], known[3]
            if assigned is None:
                seen = env.seen = set()
                assigned = _assigned(s, env, resolver, ints)
                if memo is not None:
                    seen = tuple(seen)
                    memo[id(s)] = (s, seen, [dict_get(env, k) for k in seen], assigned)
            for n in seen:
                found = readers_get(n)
                if found is None:
                    readers[n] = {i}
                else:
                    found.add(i)
            for name_, shape in assigned:
                if name_ in conflict or name_ in fixed:
                    continue
                if shape is None:
                    conflict.add(name_)
                    dict_pop(env, name_, None)
                else:
                    current = dict_get(env, name_, _ABSENT)
                    if current is _ABSENT:
                        env[name_] = shape
                    elif current != shape:
                        conflict.add(name_)
                        del env[name_]
                    else:
                        continue
                for j in readers_get(name_, ()):
                    dirty[j] = True
                    changed = True
    return dict(env)


_ABSENT = object()
dict_pop = dict.pop
_INTS = "loop counters"  # the memo's key for the `ints` its entries were made with
dict_get = dict.get  # a lookup that a _Recorder does not note


class _Recorder(dict):
    """A shape environment that notes the names looked up in it (`seen`)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.seen = set()

    def get(self, key, default=None):
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)


def expr_shape(node, env, resolver, ints=frozenset()):
    """The static shape of expression `node` under `env`, or None if unknown."""
    try:
        return _shape_of(node, env, resolver, ints)
    except Exception:  # any surprise means "unknown"
        return None


def _assigned(s, env, resolver, ints):
    """(name, shape or None) for each name statement `s` assigns; `ints` are the names
    that hold loop counters."""
    if isinstance(s, gast.For):
        return [(s.target.id, ())]  # loops run over ranges after normalization
    if not isinstance(s, gast.Assign):
        return []
    target = s.targets[0]
    if isinstance(target, gast.Subscript):
        return []  # writes into an array keep its shape
    if isinstance(target, gast.Tuple):
        return [(e.id, None) for e in target.elts]
    try:
        shape = _shape_of(s.value, env, resolver, ints)
    except Exception:  # any surprise means "unknown", never a wrong shape
        shape = None
    return [(target.id, shape)]


def _constant(node, env, resolver, ints):
    kind = node.value.__class__
    scalar = _SCALAR_TYPES.get(kind)
    if scalar is None:  # an isinstance of ABCs: asked once per type
        scalar = _SCALAR_TYPES[kind] = issubclass(kind, (numbers.Number, np.generic)) \
            and not issubclass(kind, bool)
    return () if scalar else None


_SCALAR_TYPES = {}  # a Constant's value's type -> whether it is a shape-() number


def _name(node, env, resolver, ints):
    return env.get(node.id)


def _atom(node, env):
    if isinstance(node, gast.Constant):
        return _constant(node, env, None, None)
    if isinstance(node, gast.Name):
        return env.get(node.id)
    return None


def _shape_of(value, env, resolver, ints):
    """The shape of any expression: atoms directly, nested expressions (in optimized
    generated code) recursively. Dispatched on the node's class: this runs for every
    expression of every statement, several times per compile."""
    cls = value.__class__
    if cls is _NAME:  # the commonest: _name's lookup, inline
        return env.get(value.id)
    rule = _RULES.get(cls)
    return rule(value, env, resolver, ints) if rule is not None else None



def _broadcast(shapes):
    if None in shapes:
        return None
    # the common cases without NumPy's general (and slow) broadcast_shapes: equal
    # shapes, or scalars with one shape of Python ints (plain loops: this runs for
    # every operator and ufunc call)
    first = None
    for s in shapes:
        if s != ():
            if first is None:
                first = s
            elif s != first:
                return tuple(np.broadcast_shapes(*shapes))
    if first is None:
        return ()
    for d in first:
        if type(d) is not int or d < 0:
            return tuple(np.broadcast_shapes(*shapes))
    return first


def _matmul(a, b):
    if a is None or b is None or len(a) == 0 or len(b) == 0:
        return None
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        return None
    batch = tuple(np.broadcast_shapes(a2[:-2], b2[:-2]))
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _const(node):
    if isinstance(node, gast.Constant):
        return True, node.value
    if isinstance(node, gast.Tuple) and all(isinstance(e, gast.Constant) for e in node.elts):
        return True, tuple(e.value for e in node.elts)
    return False, None


def _binop(value, env, resolver, ints):
    a = _shape_of(value.left, env, resolver, ints)
    b = _shape_of(value.right, env, resolver, ints)
    if isinstance(value.op, gast.MatMult):
        return _matmul(a, b)
    if a is None or b is None:
        return None
    # _broadcast's commonest cases: equal shapes, or a scalar (the same object back)
    if a == ():
        first = b
    elif b == () or b == a:
        first = a
    else:
        return _broadcast([a, b])
    for d in first:
        if type(d) is not int or d < 0:
            return _broadcast([a, b])
    return first


def _unaryop(value, env, resolver, ints):
    return _shape_of(value.operand, env, resolver, ints)


def _compare(value, env, resolver, ints):
    return _broadcast([_shape_of(e, env, resolver, ints)
                       for e in [value.left] + value.comparators])


def _attribute(value, env, resolver, ints):
    base = _shape_of(value.value, env, resolver, ints)
    if value.attr == "T" and base is not None:
        return tuple(reversed(base))
    return None


def _subscript_rule(value, env, resolver, ints):
    return _subscript(value, env, ints)


_SHAPED_KINDS = ("rule", "nondiff")  # value_kind's OP and NONDIFF for a call


def _call_rule(value, env, resolver, ints):
    callee = resolver.callee(value)
    obj = callee.obj
    if obj is np.float64 and len(value.args) == 1 and not value.keywords:
        # how compacted adjoints write a scalar (broadcasts.py)
        return () if _shape_of(value.args[0], env, resolver, ints) == () else None
    # value_kind(value) in (OP, NONDIFF), from the callee found already
    if obj is np.broadcast_to or (
            callee.kind in _SHAPED_KINDS and note(value, Opaque) is None and
            popped_list(value, resolver) is None):
        return _call(value, callee, env, resolver, ints)
    return None


_NAME = gast.Name
_RULES = {gast.Constant: _constant, gast.Name: _name, gast.BinOp: _binop,
          gast.UnaryOp: _unaryop, gast.Compare: _compare, gast.Attribute: _attribute,
          gast.Subscript: _subscript_rule, gast.Call: _call_rule}


def _subscript(value, env, ints):
    base = _atom(value.value, env)
    if base is None:
        return None
    idx = value.slice
    items = idx.elts if isinstance(idx, gast.Tuple) else [idx]
    dummy = []
    for it in items:
        if isinstance(it, gast.Slice):
            parts = []
            for p in (it.lower, it.upper, it.step):
                if p is None:
                    parts.append(None)
                elif isinstance(p, gast.Constant) and isinstance(p.value, int):
                    parts.append(p.value)
                else:
                    return None
            dummy.append(slice(*parts))
        elif isinstance(it, gast.Constant) and isinstance(it.value, int):
            dummy.append(it.value)
        elif isinstance(it, gast.Constant) and it.value is None:
            dummy.append(None)
        elif isinstance(it, gast.Name) and env.get(it.id) == () and it.id in ints:
            dummy.append(0)
        else:
            return None
    probe = np.lib.stride_tricks.as_strided(np.zeros(1, dtype=bool), shape=base,
                                            strides=(0,) * len(base))
    return tuple(probe[tuple(dummy)].shape)


def _call(value, callee, env, resolver, ints):
    obj = callee.obj
    args = list(value.args)
    if isinstance(value.func, gast.Attribute) and isinstance(obj, str):
        args = [value.func.value] + args  # method: receiver first
        fname = obj.split(".", 1)[1]
    else:
        fname = getattr(obj, "__name__", "")
    for a in args:
        if isinstance(a, gast.Starred):
            return None
    shapes = [_shape_of(a, env, resolver, ints) for a in args]
    kwargs = {k.arg: k.value for k in value.keywords} if value.keywords else {}
    if isinstance(obj, np.ufunc) and not kwargs:
        return _broadcast(shapes)
    if fname in _REDUCTIONS and args:
        return _reduction(shapes[0], args[1:], kwargs)
    if fname in ("dot", "matmul") and len(shapes) == 2:
        a, b = shapes
        if fname == "dot" and (a == () or b == ()):
            return _broadcast([a, b])
        if fname == "dot" and a is not None and b is not None and max(len(a), len(b)) > 2:
            return None
        return _matmul(a, b)
    if fname == "broadcast_to" and len(args) == 2 and not kwargs:
        ok, target = _const(args[1])
        return tuple(target) if ok and isinstance(target, tuple) else None
    if fname == "where" and len(shapes) == 3:
        return _broadcast(shapes)
    if fname == "clip" and shapes:
        return _broadcast([s if s is not None else () for s in shapes[:1]] + [
            s for s in shapes[1:] if s is not None])
    if fname in ("reshape",) and shapes and shapes[0] is not None:
        rest = args[1:] if fname == "reshape" else []
        spec = kwargs.get("newshape") or kwargs.get("shape")
        if spec is None and len(rest) == 1:
            spec = rest[0]
        ok, target = _const(spec) if spec is not None else (False, None)
        if not ok and rest and all(isinstance(r, gast.Constant) for r in rest):
            ok, target = True, tuple(r.value for r in rest)
        if ok:
            size = int(np.prod(shapes[0]))
            probe = np.empty(size, dtype=bool) if size <= 1 << 22 else None
            return tuple(probe.reshape(target).shape) if probe is not None else None
    return None


def _reduction(shape, rest, kwargs):
    if shape is None:
        return None
    axis = kwargs.get("axis", rest[0] if rest else None)
    keep = kwargs.get("keepdims", rest[1] if len(rest) > 1 else None)
    ok_a, axis_v = _const(axis) if axis is not None else (True, None)
    ok_k, keep_v = _const(keep) if keep is not None else (True, False)
    if not (ok_a and ok_k):
        return None
    ndim = len(shape)
    axes = range(ndim) if axis_v is None else (
        axis_v if isinstance(axis_v, tuple) else (axis_v,))
    axes = {a % ndim for a in axes} if ndim else set()
    if keep_v:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)
