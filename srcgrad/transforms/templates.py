"""Template instantiation: a derivative rule's template body with the program's names.

A template (see rules/registry.py) is a list of single assignments over the rule's
parameters, its result, `d[result]` (the result's cotangent) and temporaries:
`d[x] = d[y] * np.cos(x)` contributes to the adjoint of argument `x`. `instantiate`
substitutes the bound argument nodes and the given names, and yields the pieces in
the template's order; the mode that asks decides what to do with each.

Refinements that depend on the mode (reverse mode's unbroadcast elision, inlined
adjoints, reuse of computed calls, real parts) are `Hooks` passed in; the base class
applies none.
"""
from ast import AST

import gast
import numpy as np

from .. import runtime
from .markers import DefaultFilled, note
from .syntax import clone, const, name
from ..treewalk import walk


class Hooks:
    """Refinements of an instantiation; each gets the call after its own arguments
    were substituted and returns its replacement. This base changes nothing."""

    def unbroadcast(self, node):
        """`runtime.unbroadcast(g, x)`."""
        return node

    def matmul(self, node, fobj):
        """A call of one of the matrix-product adjoints (`runtime.matmul_grad_a`...)."""
        return node

    def reduction(self, node, fobj):
        """`runtime.sum_grad(...)` or `runtime.mean_grad(...)`."""
        return node

    def where(self, node):
        """`np.where(cond, a, b)`."""
        return node

    def reuse(self, fobj, node):
        """A ufunc call with no keywords: a node to use instead (say, the name of the
        same call computed before), or None."""
        return None

    def contribution(self, template_expr, expr, arg):
        """The final expression added to the adjoint of the argument named `arg`."""
        return expr


NO_HOOKS = Hooks()


class Names:
    """The names an instantiation binds: the rule's result `result`, its cotangent
    `cotangent`; `helper(obj, preferred)` names a global a template uses, `fresh(base)`
    makes a temporary's name."""

    def __init__(self, result, cotangent, helper, fresh):
        self.result, self.cotangent = result, cotangent
        self.helper, self.fresh = helper, fresh


class Contribution:
    """`d[param] += expr` where `param` is bound to `arg` (a Name, or a Tuple of
    arguments such as *args); `template_expr` is the template's right-hand side."""

    def __init__(self, param, arg, expr, template_expr):
        self.param, self.arg, self.expr, self.template_expr = param, arg, expr, template_expr


class Temporary:
    """`name = expr`: a temporary of the template, renamed."""

    def __init__(self, name, expr):
        self.name, self.expr = name, expr


def instantiate(rule, bound, names, hooks=NO_HOOKS, wanted=lambda arg: True):
    """Yield the template of `rule` instantiated, one `Contribution` or `Temporary`
    per template statement, lazily and in order (so names are made in that order).

    `bound`: parameter -> argument node (a missing parameter becomes None);
    `wanted(arg)`: whether the adjoint of an argument is needed at all (a statement
    for an unwanted one is skipped before it is substituted)."""
    plan = template_plan(rule)
    temps = {}
    build = _Builder(rule, plan, bound, names, temps, hooks).build
    for param, temp, value in plan.statements:
        if param is not None:
            arg = bound.get(param)
            if arg is None or not wanted(arg):
                continue
            expr = build(value)
            if isinstance(arg, gast.Name):
                expr = hooks.contribution(value, expr, arg.id)
            yield Contribution(param, arg, expr, value)
        else:
            temps[temp] = names.fresh(temp)
            yield Temporary(temps[temp], build(value))


class TemplatePlan:
    """What instantiating a rule needs from its template, worked out once per rule:
    `statements`: [(param, None, expr)] for `d[param] = expr`, [(None, temp, expr)]
    for `temp = expr`, in order; `adjoint_params`: the params of the former;
    `objects`: {id(call node): the object the call refers to} (template_object);
    `attributes`: {id(call node): its attributes that are not fields (its location)};
    `roles`: {id(call node): the refinement its call gets (_role)}."""

    def __init__(self, rule):
        self.statements = []
        self.objects, self.attributes, self.roles = {}, {}, {}
        for stmt in rule.body:  # single assignments: the registry checked the template
            target = stmt.targets[0]
            if _is_adjoint(target):
                self.statements.append((target.slice.id, None, stmt.value))
            else:
                self.statements.append((None, target.id, stmt.value))
            for node in walk(stmt.value):
                if isinstance(node, gast.Call):
                    fobj = self.objects[id(node)] = template_object(node.func, rule.globals)
                    self.roles[id(node)] = _role(fobj)
                    self.attributes[id(node)] = {k: v for k, v in node.__dict__.items()
                                                 if k not in node._fields}
        self.adjoint_params = {p for p, _, _ in self.statements if p is not None}
        self.params = set(rule.signature.parameters)


# The refinement (Hooks method) a template's call gets, by the object it calls
_UNBROADCAST, _MATMUL, _REDUCTION, _WHERE, _UFUNC = (
    "unbroadcast", "matmul", "reduction", "where", "ufunc")


def _role(fobj):
    """The role of a call of `fobj` in a template (see _Builder.call), or None."""
    if fobj is runtime.unbroadcast:
        return _UNBROADCAST
    if fobj in MATMUL_GRADS:
        return _MATMUL
    if fobj in (runtime.sum_grad, runtime.mean_grad):
        return _REDUCTION
    if fobj is np.where:
        return _WHERE
    if isinstance(fobj, np.ufunc):
        return _UFUNC
    return None


_plans = {}  # Rule -> TemplatePlan (rules live as long as the registry: never evicted)


def template_plan(rule):
    """The rule's TemplatePlan, made on first use."""
    plan = _plans.get(rule)
    if plan is None:
        plan = _plans[rule] = TemplatePlan(rule)
    return plan


def _is_adjoint(node):
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == "d"


class _Builder:
    """Builds the instantiated copy of a template expression in one pass over it:
    names bound, helpers named, calls refined by the hooks, constant arithmetic
    folded. Children are built in field order before their parent is refined, so
    names are made in the order a visit of the template makes them."""

    def __init__(self, rule, plan, bound, names, temps, hooks):
        self.rule, self.plan, self.bound, self.names, self.temps, self.hooks = \
            rule, plan, bound, names, temps, hooks

    def build(self, n):
        special = _SPECIAL.get(type(n))
        return special(self, n) if special is not None else self.copy(n)

    def copy(self, n):
        """A new node like `n` (its attributes, locations included) whose children
        are built."""
        kind = type(n)
        new = kind.__new__(kind)  # what kind() makes, without gast's __init__ (hot)
        state = new.__dict__
        state.update(n.__dict__)
        build = self.build
        for field in n._fields:
            value = state.get(field)
            if isinstance(value, AST):
                state[field] = build(value)
            elif type(value) is list:
                state[field] = [build(v) if isinstance(v, AST) else v for v in value]
        return new

    def subscript(self, n):
        if _is_adjoint(n):
            return name(self.names.cotangent)  # d[result]: the registry checked it
        return self.copy(n)

    def call(self, n):
        # the object is looked up before the names are bound: calls are refined by
        # what the template wrote
        fobj = self.plan.objects[id(n)]
        bound, supports = self.bound, self.rule.supports
        build = self.build
        new = _Call.__new__(_Call)  # what gast.Call(func=, args=, keywords=) makes
        state = new.__dict__
        # built in field order: names are made in the order a visit makes them
        state["func"] = build(n.func)
        state["args"] = [build(a) for a in n.args]
        state["keywords"] = [
            # a supported parameter left at its default: left out
            self.copy(k) for k in n.keywords if not (
                isinstance(k.value, gast.Name) and k.value.id in supports
                and note(bound.get(k.value.id), DefaultFilled) is not None)]
        state.update(self.plan.attributes[id(n)])
        role = self.plan.roles[id(n)]
        if role is None:
            return new
        hooks = self.hooks
        if role is _UNBROADCAST:
            return hooks.unbroadcast(new)
        if role is _MATMUL:
            return hooks.matmul(new, fobj)
        if role is _REDUCTION:
            return hooks.reduction(new, fobj)
        if role is _WHERE:
            return hooks.where(new)
        if not state["keywords"]:  # _UFUNC
            known = hooks.reuse(fobj, new)
            if known is not None:
                return known
        return new

    def binop(self, n):
        return fold(self.copy(n))

    def name(self, n):
        id_ = n.id
        if id_ == self.rule.result:
            return name(self.names.result)
        if id_ in self.plan.params:
            arg = self.bound.get(id_)
            return copy_argument(arg) if arg is not None else const(None)
        if id_ in self.temps:
            return name(self.temps[id_])
        globals_ = self.rule.globals
        if id_ in globals_:
            return name(self.names.helper(globals_[id_], id_))
        return self.copy(n)


_SPECIAL = {gast.Subscript: _Builder.subscript, gast.Call: _Builder.call,
            gast.BinOp: _Builder.binop, gast.Name: _Builder.name}


def copy_argument(arg):
    """A copy of a bound argument node: a Name or Constant (what normalized code
    binds, nearly always) directly, anything else with clone. Attributes are atoms
    or notes, which are never changed in place (markers.annotate replaces them)."""
    kind = type(arg)
    if kind is gast.Name or kind is gast.Constant:
        new = kind.__new__(kind)  # what kind() makes, without gast's __init__
        new.__dict__.update(arg.__dict__)
        if kind is gast.Name:
            ctx = type(arg.ctx)
            new.ctx = ctx.__new__(ctx)
        return new
    return clone(arg)


_Call = gast.Call

MATMUL_GRADS = (runtime.matmul_grad_a, runtime.matmul_grad_b, runtime.dot_grad_a,
                runtime.dot_grad_b)


def template_object(func, globals_):
    """The object a template's call refers to (`np.where` -> numpy.where), or None."""
    path = []
    while isinstance(func, gast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, gast.Name) or func.id not in globals_:
        return None
    obj = globals_[func.id]
    for part in reversed(path):
        obj = getattr(obj, part, None)
    return obj


def fold(n):
    """Fold arithmetic on numeric constants and the identities x ** 1, x * 1, 1 * x."""
    left, right = n.left, n.right
    lc = isinstance(left, gast.Constant) and isinstance(left.value, (int, float)) and \
        not isinstance(left.value, bool)
    rc = isinstance(right, gast.Constant) and isinstance(right.value, (int, float)) and \
        not isinstance(right.value, bool)
    ops = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
           gast.Mult: lambda a, b: a * b}
    if lc and rc and type(n.op) in ops:
        return const(ops[type(n.op)](left.value, right.value))
    if rc and right.value == 1 and isinstance(n.op, (gast.Pow, gast.Mult, gast.Div)):
        return left
    if lc and left.value == 1 and isinstance(n.op, gast.Mult):
        return right
    return n
