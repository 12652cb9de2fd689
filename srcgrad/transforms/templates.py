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
import gast
import numpy as np

from .. import runtime
from .markers import DefaultFilled, note
from .syntax import clone, const, name


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
    temps = {}
    sub = Substitution(rule, bound, names, temps, hooks)
    for stmt in rule.body:  # single assignments: the registry checked the template
        target = stmt.targets[0]
        if _is_adjoint(target):
            param = target.slice.id
            arg = bound.get(param)
            if arg is None or not wanted(arg):
                continue
            expr = sub.visit(clone(stmt.value))
            if isinstance(arg, gast.Name):
                expr = hooks.contribution(stmt.value, expr, arg.id)
            yield Contribution(param, arg, expr, stmt.value)
        else:
            temps[target.id] = names.fresh(target.id)
            yield Temporary(temps[target.id], sub.visit(clone(stmt.value)))


def _is_adjoint(node):
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == "d"


class Substitution(gast.NodeTransformer):
    """Rewrites a (cloned) template expression in place: names bound, helpers named,
    calls refined by the hooks, constant arithmetic folded."""

    def __init__(self, rule, bound, names, temps, hooks):
        self.rule, self.bound, self.names, self.temps, self.hooks = \
            rule, bound, names, temps, hooks
        self.params = set(rule.signature.parameters)

    def visit_Subscript(self, n):
        if _is_adjoint(n):
            return name(self.names.cotangent)  # d[result]: the registry checked it
        self.generic_visit(n)
        return n

    def visit_Call(self, n):
        # the object is looked up before the names are bound: calls are refined by
        # what the template wrote
        fobj = template_object(n.func, self.rule.globals)
        # a supported parameter left at its default: leave the keyword out
        n.keywords = [k for k in n.keywords if not (
            isinstance(k.value, gast.Name) and k.value.id in self.rule.supports
            and note(self.bound.get(k.value.id), DefaultFilled) is not None)]
        self.generic_visit(n)
        hooks = self.hooks
        if fobj is runtime.unbroadcast:
            return hooks.unbroadcast(n)
        if fobj in MATMUL_GRADS:
            return hooks.matmul(n, fobj)
        if fobj in (runtime.sum_grad, runtime.mean_grad):
            return hooks.reduction(n, fobj)
        if fobj is np.where:
            return hooks.where(n)
        if isinstance(fobj, np.ufunc) and not n.keywords:
            known = hooks.reuse(fobj, n)
            if known is not None:
                return known
        return n

    def visit_BinOp(self, n):
        self.generic_visit(n)
        return fold(n)

    def visit_Name(self, n):
        if n.id == self.rule.result:
            return name(self.names.result)
        if n.id in self.params:
            arg = self.bound.get(n.id)
            return clone(arg) if arg is not None else const(None)
        if n.id in self.temps:
            return name(self.temps[n.id])
        if n.id in self.rule.globals:
            return name(self.names.helper(self.rule.globals[n.id], n.id))
        return n


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
