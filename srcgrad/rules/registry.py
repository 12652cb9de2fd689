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
"""
import inspect
import textwrap

import gast


class _Adjoint:
    """`d[x]` inside templates; subscripting it outside a template is an error."""

    def __getitem__(self, key):
        raise TypeError("srcgrad.d is only meaningful inside an @adjoint template")

    __setitem__ = __getitem__


d = _Adjoint()


class Rule:
    """A parsed template. Invariant: `params[0]` is the result; the rest bind arguments."""

    def __init__(self, template):
        self.template = template
        sig = inspect.signature(template)
        params = list(sig.parameters.values())
        if not params:
            raise TypeError("an adjoint template needs at least the result parameter")
        self.result = params[0].name
        self.signature = sig.replace(parameters=params[1:])
        self.globals = template.__globals__
        source = textwrap.dedent(inspect.getsource(template))
        tree = gast.parse(source).body[0]
        self.body = tree.body
        if (self.body and isinstance(self.body[0], gast.Expr)
                and isinstance(self.body[0].value, gast.Constant)
                and isinstance(self.body[0].value.value, str)):
            self.body = self.body[1:]  # docstring

    def bind(self, args, kwargs):
        """Map parameter name -> argument node; unbound defaults become constants.

        Raises TypeError when the call does not fit the template's signature.
        """
        bound = self.signature.bind(*args, **kwargs)
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
        return mapping


_rules = {}
_nondiff = {}


def _key(primitive):
    # Method and attribute rules are keyed by strings like "ndarray.sum".
    return primitive if isinstance(primitive, str) else id(primitive)


_keepalive = []


def adjoint(*primitives):
    """Register a derivative template for one or more primitives (public API)."""
    if not primitives:
        raise TypeError("adjoint() needs the primitive(s) the template differentiates")

    def register(template):
        rule = Rule(template)
        for p in primitives:
            _rules[_key(p)] = rule
            _keepalive.append(p)  # ids must stay unique for the registry's lifetime
        return template

    return register


def nondifferentiable(*primitives):
    """Mark primitives whose results carry no derivative (comparisons, shapes, ...)."""
    for p in primitives:
        _nondiff[_key(p)] = True
        _keepalive.append(p)


def lookup(primitive):
    return _rules.get(_key(primitive))


def is_nondifferentiable(primitive):
    return _key(primitive) in _nondiff
