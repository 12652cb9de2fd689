"""The rule registry: derivative templates written in Python syntax.

A template is a function whose first parameter names the primitive's result and whose
other parameters name its arguments, in the primitive's own order and with its defaults:

    @adjoint(np.sin)
    def _(y, x):
        d[x] = d[y] * np.cos(x)

`d[v]` is the adjoint of `v`. A statement `d[v] = e` adds `e` to the adjoint of the
argument bound to `v`, and is dropped when that argument carries no derivative.
Other assignments define template-local temporaries (renamed fresh on use). Global
names the template uses (np, helper functions) are bound in the generated code.
Templates are never called: the reverse transform instantiates their syntax tree.

Every keyword a rule handles is a named parameter (no `**kwargs`): a call passing any
other keyword does not bind and is refused. `supports={param: values}` restricts a
parameter to constants the template handles; a call passing another value, or a value
not known when compiling, is refused too. The template language is checked when the
template is registered.
"""
import inspect
import textwrap

import gast

from .. import runtime


class _Adjoint:
    """`d[x]` inside templates; subscripting it outside a template is an error."""

    def __getitem__(self, key):
        raise TypeError("srcgrad.d is only meaningful inside an @adjoint template")

    __setitem__ = __getitem__


d = _Adjoint()


class Rule:
    """A parsed template. Invariant: `params[0]` is the result; the rest bind arguments."""

    def __init__(self, template, supports=None):
        self.template = template
        sig = inspect.signature(template)
        params = list(sig.parameters.values())
        if not params:
            raise TypeError("an adjoint template needs at least the result parameter")
        if any(p.kind is p.VAR_KEYWORD for p in params):
            raise TypeError(f"adjoint template {template.__qualname__}() takes **kwargs: "
                            "name every keyword it handles, so that others are refused")
        self.result = params[0].name
        self.signature = sig.replace(parameters=params[1:])
        self.supports = {k: tuple(v) for k, v in (supports or {}).items()}
        for pname, values in self.supports.items():
            param = self.signature.parameters.get(pname)
            if param is None:
                raise TypeError(f"supports names {pname!r}, not a parameter of "
                                f"{template.__qualname__}()")
            if param.default is not param.empty and not _among(param.default, values):
                raise TypeError(f"the default {pname}={param.default!r} of "
                                f"{template.__qualname__}() is not among its supported "
                                "values")
        self.globals = template.__globals__
        source = textwrap.dedent(inspect.getsource(template))
        tree = gast.parse(source).body[0]
        self.body = tree.body
        if (self.body and isinstance(self.body[0], gast.Expr)
                and isinstance(self.body[0].value, gast.Constant)
                and isinstance(self.body[0].value.value, str)):
            self.body = self.body[1:]  # docstring
        _check_template(self.body, set(self.signature.parameters), self.result,
                        template.__qualname__)

    def bind(self, args, kwargs):
        """Map parameter name -> argument node; unbound defaults become constants.

        Raises TypeError when the call does not fit the template's signature or passes
        a value its `supports` does not list. A default filled in here is marked
        `srcgrad_default`: a supported parameter's default is left out of the calls
        the template makes (the callee's default is the same).
        """
        bound = self.signature.bind(*args, **kwargs)
        for pname, values in self.supports.items():
            if pname in bound.arguments:
                _check_supported(pname, bound.arguments[pname], values)
        mapping = {}
        for name, param in self.signature.parameters.items():
            if name in bound.arguments:
                value = bound.arguments[name]
                if param.kind is param.VAR_POSITIONAL:
                    value = gast.Tuple(elts=list(value), ctx=gast.Load())
                mapping[name] = value
            elif param.kind is param.VAR_POSITIONAL:
                mapping[name] = gast.Tuple(elts=[], ctx=gast.Load())
            elif param.default is not param.empty:
                mapping[name] = gast.Constant(value=param.default, kind=None)
                mapping[name].srcgrad_default = True
        return mapping


def _among(value, values):
    """`value in values`, without True matching 1 or 1.0 matching 1."""
    return any(type(value) is type(v) and value == v for v in values)


def _check_supported(pname, node, values):
    shown = ", ".join(repr(v) for v in values)
    if not isinstance(node, gast.Constant):
        raise TypeError(f"{pname}= must be a constant srcgrad can read when compiling "
                        f"(one of {shown})")
    if not _among(node.value, values):
        raise TypeError(f"{pname}={node.value!r} is not supported; srcgrad "
                        f"differentiates {pname}= only for {shown}")


def _check_template(body, params, result, where):
    """Templates hold only `d[param] = expr` and `temp = expr`, and read only d[result]."""
    def fail(what):
        raise TypeError(f"adjoint template {where}(): {what}")

    for stmt in body:
        if not isinstance(stmt, gast.Assign) or len(stmt.targets) != 1:
            fail("a template contains only single assignments (`d[x] = ...`, `t = ...`)")
        target = stmt.targets[0]
        if _is_adjoint(target):
            if not isinstance(target.slice, gast.Name) or target.slice.id not in params:
                fail("d[...] is assigned only for a parameter naming an argument")
        elif not isinstance(target, gast.Name) or target.id in params | {result, "d"}:
            fail("a temporary must be a plain name other than the parameters and d")
        for node in gast.walk(stmt.value):
            if _is_adjoint(node) and not (isinstance(node.slice, gast.Name)
                                          and node.slice.id == result):
                fail(f"templates may read only d[{result}]")
            if isinstance(node, gast.Name) and node.id == "d" and not any(
                    _is_adjoint(p) and p.value is node for p in gast.walk(stmt.value)):
                fail("d is used only as d[...]")


def _is_adjoint(node):
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == "d"


_rules = {}
_nondiff = {}
_primitives = {}  # key -> the primitive object (or method string) registered under it


def _key(primitive):
    # Method and attribute rules are keyed by strings like "ndarray.sum".
    return primitive if isinstance(primitive, str) else id(primitive)


_keepalive = []


def adjoint(*primitives, supports=None):
    """Register a derivative template for one or more primitives (public API).

    `supports={param: (value, ...)}`: the only (constant) values of `param` the
    template differentiates; calls passing others are refused when compiling."""
    if not primitives:
        raise TypeError("adjoint() needs the primitive(s) the template differentiates")

    def register(template):
        rule = Rule(template, supports)
        for p in primitives:
            _rules[_key(p)] = rule
            _primitives[_key(p)] = p
            _keepalive.append(p)  # ids must stay unique for the registry's lifetime
        return template

    return register


def nondifferentiable(*primitives):
    """Mark primitives whose results carry no derivative (comparisons, shapes, ...)."""
    for p in primitives:
        _nondiff[_key(p)] = True
        _keepalive.append(p)


_markers = {}  # key -> kind: calls the compiler treats specially ('stop': no derivative)


def mark(kind, *primitives):
    for p in primitives:
        _markers[_key(p)] = kind
        _keepalive.append(p)


def marker(primitive):
    """The marker kind registered for `primitive`, or None."""
    return _markers.get(_key(primitive))


def lookup(primitive):
    return _rules.get(_key(primitive))


def is_nondifferentiable(primitive):
    return _key(primitive) in _nondiff


def registered(builtin_only=False):
    """[(primitive, rule)] for every primitive with a rule, in registration order;
    `builtin_only`: srcgrad's own rules (templates defined in srcgrad.rules), not the
    ones users register with @adjoint."""
    out = [(_primitives[k], rule) for k, rule in _rules.items()]
    if builtin_only:
        out = [(p, r) for p, r in out
               if r.template.__module__.startswith(__name__.rsplit(".", 1)[0])]
    return out


mark("stop", runtime.stop_gradient)
