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

A primitive may also have a tangent template (forward mode), `t[y] = t[x] * np.cos(x)`:
see language.py for both languages, and shorthand.py for `elementwise`, `binary` and
`linear`, which state a derivative once and register both.

Every keyword a rule handles is a named parameter (no `**kwargs`): a call passing any
other keyword does not bind and is refused. `supports={param: values}` restricts a
parameter to constants the template handles; a call passing another value, or a value
not known when compiling, is refused too.

Built-in templates are parsed on first use (`import srcgrad` parses none) and their
language is checked by a test; a template a user registers with @adjoint is parsed and
checked when it is registered.
"""
import inspect
import textwrap

from .. import runtime

# gast, the markers (gast nodes) and language.py (gast) are imported where a template is
# parsed, checked or bound: registering the built-in rules at `import srcgrad` needs none.


class _Marker:
    """`d[x]` / `t[x]` inside templates; subscripting one outside a template is an error."""

    def __init__(self, what):
        self._what = what

    def __getitem__(self, key):
        raise TypeError(f"srcgrad.{self._what} is only meaningful inside a template")

    __setitem__ = __getitem__


d = _Marker("d")  # adjoints, in @adjoint templates
t = _Marker("t")  # tangents, in @tangent templates

_BUILTIN_PACKAGE = __name__.rsplit(".", 1)[0]  # srcgrad.rules


class Rule:
    """A template. Invariant: `result` names the primitive's result; `signature` binds
    its arguments. `body` (the template's statements) is parsed on first use."""

    def __init__(self, signature, result, globals_, module, where, source, kind="adjoint",
                 supports=None, template=None):
        self.signature, self.result, self.globals = signature, result, globals_
        self.module, self.where, self.kind, self.template = module, where, kind, template
        self._source, self._body = source, None  # source(): the statements, unchecked
        self.supports = {k: tuple(v) for k, v in (supports or {}).items()}
        for pname, values in self.supports.items():
            param = self.signature.parameters.get(pname)
            if param is None:
                raise TypeError(f"supports names {pname!r}, not a parameter of {where}()")
            if param.default is not param.empty and not _among(param.default, values):
                raise TypeError(f"the default {pname}={param.default!r} of {where}() is "
                                "not among its supported values")

    @classmethod
    def from_template(cls, template, kind="adjoint", supports=None):
        sig = inspect.signature(template)
        params = list(sig.parameters.values())
        if not params:
            raise TypeError(f"a {kind} template needs at least the result parameter")
        if any(p.kind is p.VAR_KEYWORD for p in params):
            raise TypeError(f"{kind} template {template.__qualname__}() takes **kwargs: "
                            "name every keyword it handles, so that others are refused")
        return cls(sig.replace(parameters=params[1:]), params[0].name,
                   template.__globals__, template.__module__, template.__qualname__,
                   lambda: _function_body(template), kind, supports, template)

    @property
    def builtin(self):
        """Whether srcgrad defines this rule (not a user's @adjoint)."""
        return self.module == _BUILTIN_PACKAGE or \
            self.module.startswith(_BUILTIN_PACKAGE + ".")

    @property
    def body(self):
        """The template's statements, parsed and checked on first use."""
        if self._body is None:
            from .language import check_adjoint, check_tangent
            body = self._source()
            check = check_adjoint if self.kind == "adjoint" else check_tangent
            check(body, set(self.signature.parameters), self.result, self.where)
            self._body = body
        return self._body

    def bind(self, args, kwargs):
        """Map parameter name -> argument node; unbound defaults become constants.

        Raises TypeError when the call does not fit the template's signature or passes
        a value its `supports` does not list. A default filled in here is marked
        with a `DefaultFilled` note: a supported parameter's default is left out of the calls
        the template makes (the callee's default is the same).
        """
        import gast

        from ..transforms.markers import DefaultFilled, annotate
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
                mapping[name] = annotate(gast.Constant(value=param.default, kind=None),
                                         DefaultFilled())
        return mapping


def _function_body(template):
    import gast
    source = textwrap.dedent(inspect.getsource(template))
    body = gast.parse(source).body[0].body
    if (body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]  # docstring
    return body


def _among(value, values):
    """`value in values`, without True matching 1 or 1.0 matching 1."""
    return any(type(value) is type(v) and value == v for v in values)


def _check_supported(pname, node, values):
    import gast
    shown = ", ".join(repr(v) for v in values)
    if not isinstance(node, gast.Constant):
        raise TypeError(f"{pname}= must be a constant srcgrad can read when compiling "
                        f"(one of {shown})")
    if not _among(node.value, values):
        raise TypeError(f"{pname}={node.value!r} is not supported; srcgrad "
                        f"differentiates {pname}= only for {shown}")


_rules = {}
_tangents = {}
_nondiff = {}
_primitives = {}  # key -> the primitive object (or method string) registered under it


def _key(primitive):
    # Method and attribute rules are keyed by strings like "ndarray.sum".
    return primitive if isinstance(primitive, str) else id(primitive)


_keepalive = []


def register(primitives, rule):
    """Register `rule` (an adjoint or tangent Rule) for each of `primitives`."""
    table = _rules if rule.kind == "adjoint" else _tangents
    for p in primitives:
        table[_key(p)] = rule
        _primitives[_key(p)] = p
        _keepalive.append(p)  # ids must stay unique for the registry's lifetime


def adjoint(*primitives, supports=None):
    """Register a derivative template for one or more primitives (public API).

    `supports={param: (value, ...)}`: the only (constant) values of `param` the
    template differentiates; calls passing others are refused when compiling. The
    template's language is checked here (TypeError)."""
    if not primitives:
        raise TypeError("adjoint() needs the primitive(s) the template differentiates")

    def decorate(template):
        rule = Rule.from_template(template, "adjoint", supports)
        if not rule.builtin:
            rule.body  # noqa: B018  (parse and check a user's template now)
        register(primitives, rule)
        return template

    return decorate


def tangent(*primitives):
    """Register a tangent template (`t[y] = ...`) for one or more primitives."""
    def decorate(template):
        rule = Rule.from_template(template, "tangent")
        if not rule.builtin:
            rule.body  # noqa: B018
        register(primitives, rule)
        return template

    return decorate


def nondifferentiable(*primitives):
    """Mark primitives whose results carry no derivative (comparisons, shapes, ...)."""
    for p in primitives:
        _nondiff[_key(p)] = p
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
    """The adjoint Rule of `primitive`, or None."""
    return _rules.get(_key(primitive))


def lookup_tangent(primitive):
    """The tangent Rule of `primitive`, or None."""
    return _tangents.get(_key(primitive))


def is_nondifferentiable(primitive):
    return _key(primitive) in _nondiff


def registered(builtin_only=False, kind="adjoint"):
    """[(primitive, rule)] for every primitive with a rule of `kind` ("adjoint" or
    "tangent"), in registration order; `builtin_only`: srcgrad's own rules (defined
    in srcgrad.rules), not the ones users register with @adjoint."""
    table = _rules if kind == "adjoint" else _tangents
    out = [(_primitives[k], rule) for k, rule in table.items()]
    if builtin_only:
        out = [(p, r) for p, r in out if r.builtin]
    return out


def nondifferentiable_primitives():
    """Every primitive marked non-differentiable, in registration order."""
    return list(_nondiff.values())


mark("stop", runtime.stop_gradient)
