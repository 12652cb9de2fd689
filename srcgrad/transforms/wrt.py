"""Which names `wrt=` and `of=` select in a normalized function (the targets pass).

`select(spec_wrt, of, source, params, original, tree, namer) -> Targets`: the names
differentiated with respect to (parameters, or intermediates assigned once, which cut
the function there), the output differentiated and the name holding the value
returned. Misuse is an ArgumentError at the user's function.
"""
import dataclasses

import gast

from ..errors import ArgumentError
from .syntax import assign, const, name
from ..treewalk import walk


@dataclasses.dataclass
class Targets:
    """`wrt`: names; `cuts`: the intermediate ones; `output`: the name differentiated
    (None: a function returning no name); `value_name`: the name holding the value the
    gradient comes with; `body`: the function's body without its return."""
    wrt: list
    cuts: set
    output: object
    value_name: object
    body: list


def select(spec_wrt, of, source, params, original, tree, namer):
    ret = tree.body[-1]
    body = tree.body[:-1]
    where = _Where(source, original)
    wrt_names, cuts = _resolve_wrt(spec_wrt, params, original, where)
    output, value_name, body = _resolve_output(of, original, body, ret, namer, where)
    return Targets(wrt_names, cuts, output, value_name, body)


class _Where:
    """The user's function, for the location of an ArgumentError."""

    def __init__(self, source, original):
        self.name = source.name
        self.filename = source.filename
        self.lineno = original.lineno

    def error(self, message, hint=None):
        return ArgumentError(message, filename=self.filename, lineno=self.lineno,
                             function=self.name, hint=hint)


def _resolve_wrt(spec_wrt, params, original, where):
    names, cuts = [], set()
    assigned = _assignment_counts(original)
    for w in spec_wrt:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise ArgumentError(f"wrt must be parameter positions or names, got {w!r}")
        if isinstance(w, int):
            star = original.args.vararg or original.args.kwarg
            if not -len(params) <= w < len(params) and star is not None:
                raise where.error(  # e.g. a decorator's `wrapper(*args, **kwargs)`
                    f"wrt={w} is an argument {where.name}() receives through "
                    "*args/**kwargs; srcgrad cannot differentiate through those",
                    hint="Give the function (a decorator's wrapper too) named "
                         "parameters, e.g. `def wrapper(x): return 2 * fn(x)`.")
            if not -len(params) <= w < len(params):
                varargs = original.args.vararg is not None
                raise where.error(
                    f"wrt={w} is out of range: {where.name}() has "
                    f"{len(params)} named parameter(s)" +
                    (f" and takes *{original.args.vararg.id}; srcgrad differentiates "
                     "with respect to named parameters only" if varargs else ""),
                    hint="Give the values you differentiate with respect to their "
                         "own parameters, e.g. def f(x, y, *rest)." if varargs else
                         "wrt counts parameters from 0.")
            names.append(params[w])
        elif w in params:
            names.append(w)
        else:
            _check_once(w, assigned, "wrt", where)
            names.append(w)
            cuts.add(w)
    return names, cuts


def _check_once(w, assigned, what, where):
    count = assigned.get(w, 0)
    if count != 1:
        how = "never assigned" if count == 0 else f"assigned {count} times"
        raise where.error(
            f"{what}={w!r} must name a parameter or a local variable assigned exactly "
            f"once, but {w!r} is {how} in {where.name}()",
            hint="Give the intermediate value its own name, assigned once.")


def _resolve_output(of, original, body, ret, namer, where):
    result = ret.value.id if isinstance(ret.value, gast.Name) else None
    if of is None:
        if result is None:  # return of a constant
            tmp = namer.fresh("result")
            body = body + [assign(tmp, ret.value, ret)]
            result = tmp
        return result, result, body
    if isinstance(of, str):
        _check_once(of, _assignment_counts(original), "of", where)
        return of, of, body
    if isinstance(of, int) and not isinstance(of, bool):
        returned = [n.value for n in walk(original) if isinstance(n, gast.Return)]
        sizes = {len(v.elts) for v in returned if isinstance(v, (gast.Tuple, gast.List))}
        if len(sizes) != 1 or len(sizes) != len({id(v) for v in returned}) and \
                not all(isinstance(v, (gast.Tuple, gast.List)) for v in returned):
            raise where.error(
                f"of={of} selects an element of a returned tuple, but "
                f"{where.name}() does not return a tuple literal",
                hint="Use of=NAME for a local variable.")
        size = sizes.pop()
        if not -size <= of < size:
            raise where.error(
                f"of={of} is out of range: {where.name}() returns {size} values")
        tmp = namer.fresh("out")
        body = body + [assign(tmp, gast.Subscript(value=name(result), slice=const(of),
                                                  ctx=gast.Load()), ret)]
        return tmp, tmp, body
    raise ArgumentError(f"of must be a local variable name or a tuple index, not {of!r}")


def _assignment_counts(tree):
    counts = {}

    def visit(stmts, in_loop):
        for s in stmts:
            targets = []
            if isinstance(s, (gast.Assign,)):
                targets = s.targets
            elif isinstance(s, (gast.AugAssign, gast.AnnAssign)):
                targets = [s.target]
            elif isinstance(s, gast.For):
                targets = [s.target]
            for t in targets:
                for n in walk(t):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                        counts[n.id] = counts.get(n.id, 0) + (2 if in_loop else 1)
            for field in ("body", "orelse"):
                sub = getattr(s, field, None)
                if isinstance(sub, list):
                    visit(sub, in_loop or isinstance(s, (gast.For, gast.While)))
    visit(tree.body, False)
    return counts


def loop_assigned(body):
    """The names assigned inside a loop of `body` (their saves go on the stack)."""
    out = set()

    def visit(stmts, in_loop):
        for s in stmts:
            if in_loop:
                for n in walk(s):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                        out.add(n.id)
            for field in ("body", "orelse"):
                sub = getattr(s, field, None)
                if isinstance(sub, list):
                    visit(sub, in_loop or isinstance(s, (gast.For, gast.While)))
    visit(body, False)
    return out
