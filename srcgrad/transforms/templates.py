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

    def skips_unbroadcast(self, arg):
        """Whether `unbroadcast(g, x)` is `g` alone, `x` bound to `arg` (a node or
        None), decided before the call is built (it is then not built)."""
        return False

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
    inst = _Instance(bound, names, temps, hooks)
    for (param, temp, value), build in zip(plan.statements, plan.builders):
        if param is not None:
            arg = bound.get(param)
            if arg is None or not wanted(arg):
                continue
            expr = build(inst)
            if isinstance(arg, gast.Name):
                expr = hooks.contribution(value, expr, arg.id)
            yield Contribution(param, arg, expr, value)
        else:
            temps[temp] = names.fresh(temp)
            yield Temporary(temps[temp], build(inst))


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
        self.param_names = tuple(rule.signature.parameters)
        # the parameters, when a call passing each of them positionally binds them in
        # order (no *args, no supported values to check): see `bind`
        self.positional = self.param_names if not rule.supports and all(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            for p in rule.signature.parameters.values()) else None
        # `builders`: per statement, the function that builds its instantiated value
        # (compile_expr). A temporary is named before its value is built, and
        # every temporary statement runs: the names that are temporaries at each
        # statement are known here.
        self.builders, temps = [], set()
        for _, temp, value in self.statements:
            if temp is not None:
                temps.add(temp)
            self.builders.append(compile_expr(value, rule, self, frozenset(temps)))


def bind(rule, args, kwargs):
    """`rule.bind(args, kwargs)`: parameter -> argument node. A call that passes
    every parameter positionally (the commonest) is bound here, without inspect's
    binding, to the same mapping."""
    positional = template_plan(rule).positional
    if positional is not None and not kwargs and len(args) == len(positional):
        return dict(zip(positional, args))
    return rule.bind(args, kwargs)


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


class _Instance:
    """What the builders of one instantiation read: the bound arguments, the names,
    the temporaries named so far and the hooks."""
    __slots__ = ("bound", "names", "temps", "hooks")

    def __init__(self, bound, names, temps, hooks):
        self.bound, self.names, self.temps, self.hooks = bound, names, temps, hooks


# A template expression is compiled once per rule into nested functions of an
# _Instance, each building the instantiated copy of one node: names bound, helpers
# named, calls refined by the hooks, constant arithmetic folded. What each node is
# (the rule's result, a parameter, a temporary, a call and its refinement) is decided
# here rather than per instantiated node. Children are built in field order before
# their parent is refined, so names are made in the order a visit of the template
# makes them.

def compile_expr(n, rule, plan, temps):
    """The builder of template node `n` (`temps`: the temporaries named by then)."""
    kind = type(n)
    if kind is gast.Subscript and _is_adjoint(n):
        return _cotangent  # d[result]: the registry checked it
    if kind is gast.Call:
        return _compile_call(n, rule, plan, temps)
    if kind is gast.BinOp:
        copy = _compile_copy(n, rule, plan, temps)
        return lambda inst: fold(copy(inst))
    if kind is gast.Name:
        return _compile_name(n, rule, plan, temps)
    return _compile_copy(n, rule, plan, temps)


def _cotangent(inst):
    return name(inst.names.cotangent)


def _result(inst):
    return name(inst.names.result)


def _compile_name(n, rule, plan, temps):
    id_ = n.id
    if id_ == rule.result:
        return _result
    if id_ in plan.params:
        def param(inst):
            arg = inst.bound.get(id_)
            return copy_argument(arg) if arg is not None else const(None)
        return param
    if id_ in temps:
        return lambda inst: name(inst.temps[id_])
    globals_, copy = rule.globals, _compile_copy(n, rule, plan, temps)

    def global_or_copy(inst):
        if id_ in globals_:
            return name(inst.names.helper(globals_[id_], id_))
        return copy(inst)
    return global_or_copy


def _compile_copy(n, rule, plan, temps):
    """A builder of a new node like `n` (its attributes, locations included) whose
    children are built."""
    kind, source = type(n), n.__dict__
    children = []  # (field, builder, None) or (field, None, [(builder or None, item)])
    for field in n._fields:
        value = source.get(field)
        if isinstance(value, AST):
            children.append((field, compile_expr(value, rule, plan, temps), None))
        elif type(value) is list:
            children.append((field, None, [
                (compile_expr(v, rule, plan, temps) if isinstance(v, AST) else None, v)
                for v in value]))

    if all(build is not None for _, build, _ in children) and len(children) <= 2:
        # one or two node children (operands, an attribute's value): built without
        # the loop, in the same order
        if not children:
            def copy(inst):
                new = kind.__new__(kind)  # what kind() makes, without gast's __init__
                new.__dict__.update(source)
                return new
        elif len(children) == 1:
            ((field, build, _),) = children

            def copy(inst):
                new = kind.__new__(kind)
                state = new.__dict__
                state.update(source)
                state[field] = build(inst)
                return new
        else:
            (field, build, _), (field2, build2, _) = children

            def copy(inst):
                new = kind.__new__(kind)
                state = new.__dict__
                state.update(source)
                state[field] = build(inst)
                state[field2] = build2(inst)
                return new
        return copy

    def copy(inst):
        new = kind.__new__(kind)  # what kind() makes, without gast's __init__ (hot)
        state = new.__dict__
        state.update(source)
        for field, build, items in children:
            if build is not None:
                state[field] = build(inst)
            else:
                state[field] = [b(inst) if b is not None else v for b, v in items]
        return new
    return copy


def _compile_call(n, rule, plan, temps):
    # the object is looked up before the names are bound: calls are refined by what
    # the template wrote
    fobj, role, attributes = plan.objects[id(n)], plan.roles[id(n)], plan.attributes[id(n)]
    func = compile_expr(n.func, rule, plan, temps)
    args = [compile_expr(a, rule, plan, temps) for a in n.args]
    # (a supported parameter it passes, or None; its builder): a keyword passing a
    # supported parameter left at its default is left out
    keywords = [(k.value.id if isinstance(k.value, gast.Name) and k.value.id in rule.supports
                 else None, _compile_copy(k, rule, plan, temps)) for k in n.keywords]
    # unbroadcast(g, x) of a parameter x: the hooks may tell before it is built that
    # it is g alone (most are, where shapes are known). Its name is still made (the
    # helper bound: the names the generated code binds, and their order, stay the
    # same), then g is built, as a whole build would.
    skippable = n.args[1].id if role is _UNBROADCAST and len(n.args) == 2 and \
        not n.keywords and isinstance(n.args[1], gast.Name) and \
        n.args[1].id in plan.params else None
    first = args[0] if skippable is not None else None

    def build_call(inst):
        if skippable is not None and inst.hooks.skips_unbroadcast(inst.bound.get(skippable)):
            func(inst)
            return first(inst)
        new = _Call.__new__(_Call)  # what gast.Call(func=, args=, keywords=) makes
        state = new.__dict__
        # built in field order: names are made in the order a visit makes them
        state["func"] = func(inst)
        state["args"] = [build(inst) for build in args]
        bound = inst.bound
        state["keywords"] = [
            build(inst) for supported, build in keywords
            if supported is None or note(bound.get(supported), DefaultFilled) is None]
        state.update(attributes)
        if role is None:
            return new
        hooks = inst.hooks
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
    return build_call


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
    ops = _FOLDED
    if lc and rc and type(n.op) in ops:
        return const(ops[type(n.op)](left.value, right.value))
    if rc and right.value == 1 and isinstance(n.op, (gast.Pow, gast.Mult, gast.Div)):
        return left
    if lc and left.value == 1 and isinstance(n.op, gast.Mult):
        return right
    return n


_FOLDED = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
           gast.Mult: lambda a, b: a * b}
