"""Checks on the user's function before normalize rewrites it.

`check_supported(tree, ctx)` refuses constructs srcgrad cannot differentiate (try,
with, generators, nested functions, loop `else`...). `check_aliasing(tree, ctx)`
refuses in-place updates of an array another local name shares; where only shapes can
tell (element reads such as `a = x[0]`) it defers the error to `ctx.deferred_aliases`
(decided by aliasing.py), and where only the run can tell (`s += 1.0` with `s` maybe an
array) it leaves the message on the statement (an `InPlaceError` note), for which
normalize emits a runtime check. All errors carry the user's location.
"""
import gast

from .markers import InPlaceError, annotate
from ..treewalk import walk

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



def check_supported(tree, ctx, nodes=None):
    """`nodes`: the nodes of `tree` in walk's order (walked here if not given;
    contexts and operators may be left out)."""
    if isinstance(tree, gast.AsyncFunctionDef):
        raise ctx.error(_UNSUPPORTED[gast.AsyncFunctionDef], tree)
    for node in (nodes if nodes is not None else walk(tree)):
        kind = type(node)
        if kind not in _CHECKED or node is tree:  # most nodes: one test
            continue
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


# the classes check_supported looks at
_CHECKED = frozenset(set(_UNSUPPORTED) | set(_UNSUPPORTED_EXPR) |
                     {gast.FunctionDef, gast.Lambda, gast.While, gast.For})

# the statements check_aliasing links names in, and those that may update in place
_LINKING = frozenset((gast.Assign, gast.For, gast.While))
_MUTATING = frozenset((gast.Assign, gast.AugAssign))

_VIEW_METHODS = {"T", "reshape", "ravel", "transpose", "view", "swapaxes", "squeeze"}


def check_aliasing(tree, ctx, nodes=None):
    """Refuse in-place updates of an array that another local name also refers to
    (`nodes`: the nodes of `tree` in walk's order, walked here if not given;
    contexts and operators may be left out).

    `z = y; z += 1` changes y too in NumPy; srcgrad reads `z += e` as `z = z + e` and
    tracks values, not objects, so such a program would get a silently wrong gradient.
    """
    aliases = {}  # name -> {(other name, line where they start to share)}
    loops = []  # (first, last line) of each loop, filled by the first walk below
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

    if nodes is None:
        nodes = list(walk(tree))  # read twice below
    # most nodes are none of the statements looked at: skipped by their class first
    # (a parsed tree holds no subclasses of gast's statements)
    for node in nodes:
        if node.__class__ not in _LINKING:
            continue
        if isinstance(node, (gast.For, gast.While)):
            loops.append((node.lineno, node.end_lineno))
        if isinstance(node, gast.Assign):
            line[0] = getattr(node, "lineno", 0)
            for target in node.targets:
                if isinstance(target, gast.Name):
                    link(target.id, _alias_source(node.value), node.value)
                elif isinstance(target, (gast.Tuple, gast.List)) and \
                        isinstance(node.value, (gast.Tuple, gast.List)):
                    for t, v in zip(target.elts, node.value.elts):
                        if isinstance(t, gast.Name):
                            link(t.id, _alias_source(v))
        elif isinstance(node, gast.For):  # the loop variable is a row (a view) of the iterable
            line[0] = getattr(node, "lineno", 0)
            sources = node.iter.args if isinstance(node.iter, gast.Call) and \
                isinstance(node.iter.func, gast.Name) and \
                node.iter.func.id in ("enumerate", "zip") else [node.iter]
            for t in walk(node.target):
                if isinstance(t, gast.Name):
                    for src in sources:
                        link(t.id, _alias_source(src))
    if not aliases:
        return
    for node in nodes:
        if node.__class__ not in _MUTATING:
            continue
        mutated = None
        if isinstance(node, gast.AugAssign):
            target = node.target
            mutated = target.id if isinstance(target, gast.Name) else \
                _base_name(target)
        elif isinstance(node, gast.Assign):
            for t in node.targets:
                if isinstance(t, gast.Subscript):
                    mutated = _base_name(t)
        if mutated is None:  # most nodes: nothing is updated in place (no alias has None)
            continue
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
                annotate(node, InPlaceError(str(error)))
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

