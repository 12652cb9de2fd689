"""The template language, checked once per template.

An adjoint template holds only `d[param] = expr` (adds expr to the adjoint of the
argument bound to param) and `temp = expr`, and reads only `d[result]`.

A tangent template holds only `t[result] = expr`, each reading the tangent `t[p]` of
exactly one parameter p (the contribution of p's tangent to the result's; the
contributions add up, and one is dropped when its argument carries no tangent), and
`temp = expr` reading no tangent.

Built-in templates are checked by tests/test_tangents.py (all of them, so that
`import srcgrad` parses none); a user's @adjoint template when it is registered.
"""
import gast
from ..treewalk import walk


def check_adjoint(body, params, result, where):
    """Raise TypeError unless `body` is in the adjoint template language."""
    def fail(what):
        raise TypeError(f"adjoint template {where}(): {what}")

    for stmt in body:
        if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
            fail("a template contains only single assignments (`d[x] = ...`, `t = ...`)")
        target = stmt.targets[0]
        if is_marked(target, "d"):
            if not isinstance(target.slice, gast.Name) or target.slice.id not in params:
                fail("d[...] is assigned only for a parameter naming an argument")
        elif not isinstance(target, gast.Name) or target.id in params | {result, "d"}:
            fail("a temporary must be a plain name other than the parameters and d")
        for node in walk(stmt.value):
            if is_marked(node, "d") and not (isinstance(node.slice, gast.Name)
                                             and node.slice.id == result):
                fail(f"templates may read only d[{result}]")
            if isinstance(node, gast.Name) and node.id == "d" and not any(
                    is_marked(p, "d") and p.value is node for p in walk(stmt.value)):
                fail("d is used only as d[...]")


def check_tangent(body, params, result, where):
    """Raise TypeError unless `body` is in the tangent template language."""
    def fail(what):
        raise TypeError(f"tangent template {where}(): {what}")

    for stmt in body:
        if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
            fail("a template contains only single assignments (`t[y] = ...`, `u = ...`)")
        target = stmt.targets[0]
        reads = [n for n in walk(stmt.value) if is_marked(n, "t")]
        if any(not isinstance(n.slice, gast.Name) or n.slice.id not in params
               for n in reads):
            fail("t[...] is read only for a parameter naming an argument")
        if any(isinstance(n, gast.Name) and n.id == "t" for n in walk(stmt.value)) \
                and not reads:
            fail("t is used only as t[...]")
        if any(is_marked(n, "d") for n in walk(stmt.value)):
            fail("a tangent template reads no adjoint d[...]")
        if is_marked(target, "t"):
            if not isinstance(target.slice, gast.Name) or target.slice.id != result:
                fail(f"t[...] is assigned only for the result, t[{result}]")
            if len({n.slice.id for n in reads}) != 1:
                fail("each t[result] = ... reads the tangent of exactly one argument")
        elif not isinstance(target, gast.Name) or target.id in params | {result, "t"}:
            fail("a temporary must be a plain name other than the parameters and t")
        elif reads:
            fail("a temporary reads no tangent")


def is_marked(node, marker):
    """Whether `node` is `marker[...]` (d[...] or t[...])."""
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == marker
