"""Each derivative written once: shorthands that register an adjoint AND a tangent.

    elementwise(np.sin, "g * np.cos(x)")

states the derivative of y = sin(x) as what it does to an incoming derivative `g`. The
adjoint is `d[x] = d[y] * np.cos(x)` (g is d[y]) and the tangent `t[y] = t[x] *
np.cos(x)` (g is t[x]): an elementwise derivative is a pointwise product, the same map
in both directions (as ChainRules' @scalar_rule; for complex numbers it is the
holomorphic rule, see rules/numpy/elementwise.py). The expression may use x, the
result y, and the globals of the module calling the shorthand.

    binary(np.arctan2, "g * y / (x * x + y * y)", "-g * x / (x * x + y * y)")

z = f(x, y) elementwise with broadcasting: one expression per argument; the adjoint
unbroadcasts each to its argument's shape (`d[x] = unbroadcast(..., x)`), the tangent
adds the two contributions (`t[z] = ...` twice; language.py).

    linear(np.negative, "-g")
    @linear(np.sum, "ndarray.sum")
    def _(y, x, axis=None, keepdims=False): ...

An operation linear in its first argument: its tangent is the operation itself applied
to that argument's tangent (autograd's def_linear), so only the adjoint is written,
as an expression in g (unary) or as an @adjoint template.

The statements built here are exactly what the equivalent handwritten @adjoint template
parses to, so the generated code does not depend on which spelling a rule uses. Nothing
is parsed until the rule is first used.
"""
import inspect
import sys

import numpy as np

from .registry import Rule, register

_X = inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD)
_Y = inspect.Parameter("y", inspect.Parameter.POSITIONAL_OR_KEYWORD)
UNARY = inspect.Signature([_X])
BINARY = inspect.Signature([_X, _Y])


def elementwise(primitives, derivative, tangent=None):
    """y = f(x) elementwise, `derivative` in terms of g, x and y. `tangent`: the
    tangent's expression (in g = t[x]) where it is not `derivative`'s (functions that
    are not holomorphic, such as abs on complex numbers)."""
    primitives = _as_tuple(primitives)
    globals_ = sys._getframe(1).f_globals
    where = f"elementwise({_label(primitives[0])})"
    _register_unary(primitives, derivative, tangent or derivative, globals_, where)


def binary(primitives, wrt_x, wrt_y):
    """z = f(x, y) elementwise with broadcasting; the derivative along each argument in
    terms of g, x, y and the result z."""
    primitives = _as_tuple(primitives)
    globals_ = sys._getframe(1).f_globals
    where = f"binary({_label(primitives[0])})"

    def adjoint():
        return [_statement(f"d[x] = unbroadcast({wrt_x}, x)", "d[z]"),
                _statement(f"d[y] = unbroadcast({wrt_y}, y)", "d[z]")]

    def tangent():
        return [_statement(f"t[z] = {wrt_x}", "t[x]"), _statement(f"t[z] = {wrt_y}", "t[y]")]

    module = globals_["__name__"]
    register(primitives, Rule(BINARY, "z", globals_, module, where, adjoint))
    register(primitives, Rule(BINARY, "z", globals_, module, where, tangent, "tangent"))


def linear(primitives, derivative=None, supports=None):
    """An operation linear in its first argument. With `derivative` (an expression in
    g): a unary one, registered here. Without: a decorator for its @adjoint template."""
    primitives = _as_tuple(primitives)
    globals_ = sys._getframe(1).f_globals
    if derivative is not None:
        where = f"linear({_label(primitives[0])})"
        adjoint = Rule(UNARY, "y", globals_, globals_["__name__"], where,
                       lambda: [_statement(f"d[x] = {derivative}", "d[y]")])
        register(primitives, adjoint)
        _register_applied(primitives, adjoint, globals_)
        return None

    def decorate(template):
        adjoint = Rule.from_template(template, "adjoint", supports)
        register(primitives, adjoint)
        _register_applied(primitives, adjoint, globals_)
        return template

    return decorate


def _register_unary(primitives, derivative, tangent, globals_, where):
    module = globals_["__name__"]
    register(primitives, Rule(UNARY, "y", globals_, module, where,
                              lambda: [_statement(f"d[x] = {derivative}", "d[y]")]))
    register(primitives, Rule(UNARY, "y", globals_, module, where,
                              lambda: [_statement(f"t[y] = {tangent}", "t[x]")], "tangent"))


def _register_applied(primitives, adjoint, globals_):
    """Per primitive, the tangent `t[y] = primitive(t[x], other arguments)`."""
    params = list(adjoint.signature.parameters.values())
    first, rest = params[0].name, params[1:]
    args = []
    for p in rest:
        args.append(f"*{p.name}" if p.kind is p.VAR_POSITIONAL else f"{p.name}={p.name}")
    for prim in primitives:
        if isinstance(prim, str):  # "ndarray.name": a method or an attribute of t[x]
            attr = prim.split(".", 1)[1]
            call = f"t[{first}].{attr}"
            if callable(getattr(np.ndarray, attr)):
                call += f"({', '.join(args)})"
            names = globals_
        else:  # bound under a name of its own: no spelling of it is assumed
            call = f"primitive({', '.join([f't[{first}]'] + args)})"
            names = {**globals_, "primitive": prim}

        def source(call=call):
            return [_statement(f"t[{adjoint.result}] = {call}")]

        register([prim], Rule(adjoint.signature, adjoint.result, names, adjoint.module,
                              f"linear({_label(prim)})", source, "tangent"))


def _statement(source, g=None):
    """Parse one template statement, the name g standing for the expression `g`."""
    import gast  # on first use of the rule, not when it is registered
    stmt = gast.parse(source).body[0]
    if g is None:
        return stmt

    class _G(gast.NodeTransformer):
        def visit_Name(self, node):
            if node.id == "g":
                return gast.parse(g, mode="eval").body
            return node

    stmt.value = _G().visit(stmt.value)
    return stmt


def _as_tuple(primitives):
    return primitives if isinstance(primitives, tuple) else (primitives,)


def _label(primitive):
    return primitive if isinstance(primitive, str) else getattr(
        primitive, "__name__", repr(primitive))
