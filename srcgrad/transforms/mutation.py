"""Refusals of calls that change arrays in place, and of subscripts whose index holds a
differentiated value.

Entry: `check_statement(stmt, resolver, ctx, varied, active)`, called by activity
analysis for every normalized statement.

srcgrad follows values through names: a call that mutates one of its arguments (or
its receiver) changes a value behind srcgrad's back, so the derivative would be
silently wrong. Such calls are refused wherever a value that depends on `wrt` (a
*varied* name, whether or not it is useful) takes part:
  * an expression statement (a call whose result is discarded) is there for its
    side effect, so it is refused unless it is known to change nothing srcgrad
    follows (`print`, srcgrad's own checks; `L.append(v)` on a local list is handled
    by the list machinery);
  * any call with an `out=` keyword;
  * the known in-place methods and functions (`y.sort()`, `np.copyto`, `np.add.at`,
    ...) even when their (None) result is assigned.
"""
import builtins

import gast
import numpy as np

from ..errors import UnsupportedSyntaxError
from .. import runtime
from .markers import Harmless, note
from .syntax import dotted_path, load_names, pushed_list
from ..treewalk import names

# ndarray (and list) methods that change their receiver
_MUTATING_METHODS = {"sort", "partition", "put", "fill", "resize", "itemset", "setfield",
                     "byteswap", "shuffle", "extend", "insert", "remove", "reverse",
                     "clear", "setdefault", "update", "popitem"}

_MUTATING_FUNCTIONS = (np.copyto, np.place, np.putmask, np.put, np.put_along_axis,
                       np.fill_diagonal, np.random.shuffle)

# expression statements that read values without changing any
_HARMLESS = (builtins.print, runtime.refuse_shared_array)
# both by identity, as `obj is f` for each (they live as long as the module)
_MUTATING_IDS = frozenset(map(id, _MUTATING_FUNCTIONS))
_HARMLESS_IDS = frozenset(map(id, _HARMLESS))

_NEW_ARRAY_HINT = ("Use a function that returns a new array instead (e.g. `y = np.sort(y)` "
                   "for `y.sort()`, `y = np.where(mask, v, y)` for `np.putmask`), or "
                   "subscript assignment `y[i] = v`.")


def check_statement(stmt, resolver, ctx, varied, active, reads=None):
    """Raise a located error if `stmt` mutates an array through a call, or indexes
    with a differentiated value, where a derivative is involved. `reads`:
    load_names(stmt), if the caller has it (left unchanged)."""
    if reads is None:
        reads = load_names(stmt)
    if reads.isdisjoint(varied) and not _stores_varied(stmt, varied):
        return
    if isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call):
        _check_call(stmt.value, resolver, ctx, discarded=True)
    elif isinstance(stmt, gast.Assign):
        if isinstance(stmt.value, gast.Call):
            _check_call(stmt.value, resolver, ctx, discarded=False)
        _check_index(stmt, resolver, ctx, active)


def _stores_varied(stmt, varied):
    """Whether `stmt` is an assignment storing into a name in `varied`."""
    if not isinstance(stmt, gast.Assign):
        return False
    targets = stmt.targets
    if len(targets) == 1 and targets[0].__class__ is gast.Name and \
            getattr(targets[0], "annotation", None) is None:
        return targets[0].id in varied  # (the commonest: one name, stored)
    stored = set()
    for t in stmt.targets:
        names(t, gast.Store, into=stored)
    return not stored.isdisjoint(varied)


def _receiver_label(func):
    """`.sort` for a method of an expression (what the user wrote after the dot)."""
    return "." + func.attr if isinstance(func, gast.Attribute) else "this function"


def _check_call(value, resolver, ctx, discarded):
    label = dotted_path(value.func) or _receiver_label(value.func)
    for k in value.keywords:
        if k.arg == "out":
            raise ctx.error(f"`{label}(..., out=...)` writes its result into an existing "
                            "array; srcgrad cannot differentiate in-place updates.", value,
                            UnsupportedSyntaxError,
                            hint="Drop `out=` and assign the result to a name.")
    func = value.func
    obj = resolver.static_object(func)
    mutating = False
    if obj is not None:
        mutating = id(obj) in _MUTATING_IDS or (
            isinstance(func, gast.Attribute) and func.attr in ("at", "reduceat") and
            isinstance(resolver.static_object(func.value), np.ufunc))
    elif isinstance(func, gast.Attribute) and func.attr in _MUTATING_METHODS:
        mutating = True
    if mutating:
        raise ctx.error(f"`{label}()` changes an array (or list) in place; srcgrad "
                        "cannot differentiate in-place updates made by calls.", value,
                        UnsupportedSyntaxError, hint=_NEW_ARRAY_HINT)
    if not discarded:
        return
    if pushed_list(gast.Expr(value=value), resolver) is not None:
        return  # L.append(v): the list machinery follows it
    if note(value, Harmless) is not None or \
            obj is not None and id(obj) in _HARMLESS_IDS:
        return
    raise ctx.error(f"the result of `{label}()` is discarded, so it is called for its "
                    "side effect, and it receives a differentiated value; srcgrad cannot "
                    "follow changes a call makes to its arguments.", value,
                    UnsupportedSyntaxError,
                    hint="Assign the result to a name (`y = ...`) if the call returns the "
                         "new value, or " + _NEW_ARRAY_HINT[0].lower() + _NEW_ARRAY_HINT[1:])


def _check_index(stmt, resolver, ctx, active):
    """A subscript whose index holds an active value: its derivative would flow into
    the index, which only srcgrad's rules for the subscripted object could know
    (np.r_[x, y] concatenates its "index"; an array index is an integer)."""
    target = stmt.targets[0]
    for sub in (target, stmt.value):
        if not isinstance(sub, gast.Subscript):
            continue
        hit = sorted(load_names(sub.slice) & active)
        if not hit:
            continue
        obj = resolver.static_object(sub.value)
        if obj is np.r_ or obj is np.c_:
            which = "r_" if obj is np.r_ else "c_"
            raise ctx.error(f"srcgrad cannot differentiate through `np.{which}[...]`.", sub,
                            UnsupportedSyntaxError,
                            hint="Use np.concatenate([...]) instead of np.r_, or "
                                 "np.stack([...], axis=1) instead of np.c_ on 1-D parts.")
        raise ctx.error(f"the index of this subscript depends on a differentiated value "
                        f"(`{hit[0]}`); srcgrad cannot differentiate through an index.",
                        sub, UnsupportedSyntaxError,
                        hint="Compute the index from values that carry no derivative, or "
                             "wrap it in srcgrad.stop_gradient().")
