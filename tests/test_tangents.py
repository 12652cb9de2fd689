"""Tangent rules against central finite differences, the registry's completeness, and
the template language of every built-in rule.

Forward mode does not exist yet: tangent templates are data. `tangent_of` below
instantiates one on arrays (each `t[p]` read as the tangent given for argument p; the
contributions added, broadcast to the result) and test_tangent compares it with
(f(a + h v) - f(a - h v)) / 2h for a random direction v of the differentiated arguments.
"""
import ast
import copy
import math
import operator
import subprocess
import sys

import gast
import numpy as np
import pytest

from srcgrad.rules import registry
from srcgrad.rules.language import is_marked
from test_rule_forms import CASES as ADJOINT_CASES, label

rng = np.random.default_rng(11)


def val(shape, lo=-0.9, hi=0.9, complex_=False):
    """A Python float for "float", else an array of `shape` in [lo, hi]."""
    if shape == "float":
        return float(rng.uniform(lo, hi))
    v = rng.uniform(lo, hi, size=shape)
    return v + 1j * rng.uniform(lo, hi, size=shape) if complex_ else v


class Case:
    """Arguments (positional, then keywords) and the positions differentiated."""

    def __init__(self, args, wrt=(0,), kwargs=None, rtol=1e-6):
        self.args, self.wrt, self.kwargs, self.rtol = args, wrt, kwargs or {}, rtol

    def __repr__(self):
        return f"{[np.shape(a) for a in self.args]} {self.kwargs}"


CASES = {}


def add(labels, *cases):
    for lab in labels.split():
        CASES.setdefault(lab, []).extend(cases)


SHAPES = ["float", (), (3,), (2, 3)]
PAIRS = [("float", "float"), ((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 1), (1, 3)),
         ((3,), ()), ((), (2, 3))]

UNARY = {  # label -> domain
    "np.sin np.cos np.arctan np.sinh np.cosh np.tanh np.arcsinh np.exp np.exp2 np.expm1 "
    "np.square np.deg2rad np.radians np.rad2deg np.degrees np.negative np.positive "
    "operator.neg operator.pos np.copy np.array np.asarray np.real np.imag "
    "np.conjugate": (-0.9, 0.9),
    "np.tan np.arcsin np.arccos np.arctanh": (-0.8, 0.8),
    "np.arccosh": (1.2, 2.0),
    "np.log np.log1p np.log2 np.log10 np.sqrt np.cbrt np.reciprocal np.absolute "
    "np.fabs builtins.abs np.angle": (0.3, 2.0),
}
for labs, (lo, hi) in UNARY.items():
    add(labs, *[Case([val(s, lo, hi)]) for s in SHAPES])
add("np.absolute np.fabs builtins.abs", *[Case([-val(s, 0.3, 2.0)]) for s in SHAPES])
add("np.ascontiguousarray", *[Case([val(s)]) for s in SHAPES[1:]])
for lab in ["np.sin", "np.exp", "np.log", "np.sqrt", "np.absolute", "np.angle", "np.real",
            "np.imag", "np.conjugate", "np.square"]:  # complex inputs and directions
    add(lab, Case([val((3,), 0.3, 1.5, complex_=True)]))
for lab in ["ndarray.real", "ndarray.imag", "ndarray.conj", "ndarray.conjugate",
            "ndarray.copy"]:
    add(lab, *[Case([val(s, complex_=lab != "ndarray.copy")]) for s in [(), (3,), (2, 3)]])

BINARY = {
    "operator.add np.add operator.sub np.subtract operator.mul np.multiply "
    "np.maximum np.minimum np.fmax np.fmin np.logaddexp np.logaddexp2": (-0.9, 0.9),
    "operator.truediv np.divide operator.pow np.power np.arctan2 "
    "np.hypot": (0.5, 1.5),
    "operator.mod np.remainder": (1.1, 1.4),
}
for labs, (lo, hi) in BINARY.items():
    add(labs, *[Case([val(a, lo, hi), val(b, lo, hi)], wrt=(0, 1)) for a, b in PAIRS])
add("operator.mod np.remainder", Case([val((3,), 2.1, 2.4), 0.8], wrt=(0, 1)))

MATH = {"sin cos atan sinh cosh tanh asinh exp expm1 erf erfc radians degrees": (-1, 1),
        "tan asin acos atanh": (-0.8, 0.8), "acosh": (1.2, 2.0),
        "log log1p log2 log10 sqrt fabs": (0.3, 2.0)}
for names, (lo, hi) in MATH.items():
    add(" ".join(f"math.{n}" for n in names.split()), Case([val("float", lo, hi)]))
add("math.atan2 math.hypot math.pow",
    Case([val("float", 0.5, 1.5), val("float", 0.5, 1.5)], wrt=(0, 1)))

add("np.where", *[Case([val(a) > 0, val(a), val(b)], wrt=(1, 2))
                  for a, b in [((3,), (3,)), ((2, 3), (3,)), ((), ())]])
add("np.clip", Case([val((4, 3), -2, 2), val((3,), -1.5, -0.5), val((4, 1), 0.5, 1.5)],
                    wrt=(0, 1, 2)),
    Case([val((5,), -2, 2), -0.3, None], wrt=(0, 1)), Case([val((3,), -2, 2), -0.5, 0.5]))

for lab in ["np.sum", "np.mean", "ndarray.sum", "ndarray.mean"]:
    add(lab, Case([val((2, 3))]), Case([val((2, 3))], kwargs={"axis": 0}),
        Case([val((2, 3, 2))], kwargs={"axis": (0, 2), "keepdims": True}))
add("np.sum np.mean", Case([val("float")]), Case([val(())]))
add("np.transpose", Case([val((2, 3, 4))]), Case([val((2, 3, 4)), (2, 0, 1)]))
add("ndarray.transpose", Case([val((2, 3, 4))]), Case([val((2, 3, 4)), 2, 0, 1]))
add("ndarray.T", Case([val((2, 3))]))
add("np.reshape", Case([val((2, 3)), (3, 2)]), Case([val((2, 3)), (6,)],
                                                         kwargs={"order": "F"}))
add("ndarray.reshape", Case([val((2, 3)), 3, 2]), Case([val((2, 3)), (6,)],
                                                        kwargs={"order": "F"}))
add("np.ravel ndarray.ravel ndarray.flatten", Case([val((2, 3))]),
    Case([val((2, 3))], kwargs={"order": "F"}))
add("np.squeeze ndarray.squeeze", Case([val((1, 3, 1))]),
    Case([val((1, 3, 1))], kwargs={"axis": 0}))
add("np.expand_dims", Case([val((3,)), 0]), Case([val((2, 3)), (0, 2)]))
add("np.broadcast_to", Case([val((3,)), (2, 3)]), Case([val((1, 3)), (4, 3)]),
    Case([val(()), (2,)]))
add("np.sign", *[Case([val(s, 0.3, 2.0)]) for s in SHAPES])  # zero, away from 0
add("np.concatenate", Case([[val((2,)), val((3,))]]),
    Case([(val((2, 2)), val((2, 3)))], kwargs={"axis": 1}))
add("np.stack", Case([[val((3,)), val((3,))]]), Case([[val((2, 3)), val((2, 3))]],
                                                       kwargs={"axis": -1}))

PRODUCT_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4))]
add("operator.matmul np.matmul", *[Case([val(a), val(b)], wrt=(0, 1))
                                   for a, b in PRODUCT_PAIRS + [((2, 2, 3), (3, 2))]])
add("np.dot ndarray.dot", *[Case([val(a), val(b)], wrt=(0, 1))
                            for a, b in PRODUCT_PAIRS + [((2, 2, 3), (3,))]])
add("np.dot", Case([val(()), val((2, 3))], wrt=(0, 1)))
add("np.outer", *[Case([val(a), val(b)], wrt=(0, 1)) for a, b in [((3,), (2,)),
                                                                   ((2, 2), (3,))]])
add("np.tensordot", Case([val((2, 3, 4)), val((3, 4, 2))], wrt=(0, 1)),
    Case([val((2, 3)), val((3, 4)), 1], wrt=(0, 1)),
    Case([val((3, 4, 5)), val((2, 3, 4)), [(1, 0), (2, 1)]], wrt=(0, 1)))


# --- the evaluator ----------------------------------------------------------------

def _call(prim, args, kwargs):
    if isinstance(prim, str):
        member = getattr(np.asarray(args[0]), prim.split(".", 1)[1])
        return member(*args[1:], **kwargs) if callable(member) else member
    return prim(*args, **kwargs)


def _eval(expr, env):
    tree = ast.fix_missing_locations(gast.gast_to_ast(gast.Expression(body=expr)))
    code = compile(tree, "<tangent>", "eval")
    return eval(code, dict(env))


def tangent_of(rule, args, kwargs, tangents):
    """The tangent the template gives at `args`, for {parameter: tangent}."""
    bound = rule.signature.bind(*args, **kwargs)
    bound.apply_defaults()
    env = dict(rule.globals)
    env.update(bound.arguments)
    env[rule.result] = _call_primal(rule, args, kwargs)
    total = np.zeros(np.shape(env[rule.result]), dtype=np.result_type(env[rule.result], 1.0))
    for stmt in rule.body:
        reads = {n.slice.id for n in gast.walk(stmt.value) if is_marked(n, "t")}
        if not is_marked(stmt.targets[0], "t"):
            env[stmt.targets[0].id] = _eval(stmt.value, env)
            continue
        (param,) = reads
        if param not in tangents:
            continue  # that argument carries no tangent: the contribution is dropped

        class _T(gast.NodeTransformer):
            def visit_Subscript(self, n):
                if is_marked(n, "t"):
                    return gast.Name(id="_tangent", ctx=gast.Load(), annotation=None,
                                     type_comment=None)
                self.generic_visit(n)
                return n

        env["_tangent"] = tangents[param]
        total = total + _eval(_T().visit(copy.deepcopy(stmt.value)), env)
    return total


_primal = {}


def _call_primal(rule, args, kwargs):
    return _call(_primal[id(rule)], args, kwargs)


def _shift(v, dv, h):
    if isinstance(v, (list, tuple)):
        return type(v)(_shift(a, b, h) for a, b in zip(v, dv))
    return v + h * dv


def _direction(v):
    if isinstance(v, (list, tuple)):
        return type(v)(_direction(a) for a in v)
    d = rng.normal(size=np.shape(v))
    if np.iscomplexobj(v):
        d = d + 1j * rng.normal(size=np.shape(v))
    return float(d) if isinstance(v, float) else d


TANGENTS = registry.registered(builtin_only=True, kind="tangent")
ALL = [(label(p), p, rule, case) for p, rule in TANGENTS for case in CASES.get(label(p), [])]


@pytest.mark.parametrize("lab, prim, rule, case", ALL,
                         ids=[f"{a[0]}-{i}" for i, a in enumerate(ALL)])
def test_tangent(lab, prim, rule, case):
    _primal[id(rule)] = prim
    names = list(rule.signature.bind(*case.args, **case.kwargs).arguments)
    directions = {i: _direction(case.args[i]) for i in case.wrt}
    got = tangent_of(rule, case.args, case.kwargs,
                     {names[i]: v for i, v in directions.items()})
    h = 1e-6

    def moved(sign):
        args = [_shift(a, directions[i], sign * h) if i in directions else a
                for i, a in enumerate(case.args)]
        return np.asarray(_call(prim, args, case.kwargs))

    expected = (moved(1) - moved(-1)) / (2 * h)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


# --- completeness and the template language ----------------------------------------

def test_every_tangent_rule_has_cases():
    """Each mode a primitive has is checked: adjoints in tests/test_rule_forms.py,
    tangents here."""
    labels = {label(p) for p, _ in TANGENTS}
    missing = sorted(lab for lab in labels if not CASES.get(lab))
    assert not missing, f"tangent rules without test inputs: {missing}"
    assert not set(CASES) - labels, sorted(set(CASES) - labels)
    adjoints = {label(p) for p, _ in registry.registered(builtin_only=True)}
    assert not sorted(lab for lab in adjoints if not ADJOINT_CASES.get(lab))


def test_elementwise_shorthand_gives_both_modes():
    """A primitive registered by elementwise/binary/linear has both rules."""
    adjoints = {registry._key(p) for p, _ in registry.registered(builtin_only=True)}
    for p, rule in TANGENTS:
        assert registry._key(p) in adjoints, label(p)
    for p in [np.sin, np.hypot, np.negative, math.sin, operator.add, "ndarray.sum"]:
        assert registry.lookup(p) is not None and registry.lookup_tangent(p) is not None


@pytest.mark.parametrize("kind", ["adjoint", "tangent"])
def test_every_builtin_template_is_in_the_language(kind):
    """Built-in templates are parsed on first use, not when registered: check them all
    (registry.Rule.body raises TypeError for a template outside the language)."""
    rules = registry.registered(builtin_only=True, kind=kind)
    assert rules
    for p, rule in rules:
        assert rule.body, label(p)


def test_shorthand_adjoints_are_the_handwritten_statements():
    """What elementwise() builds is what the equivalent @adjoint template parses to."""
    def handwritten(y, x):
        d[x] = d[y] * np.cos(x)  # noqa: F821

    expected = registry.Rule.from_template(handwritten).body
    assert gast.dump(registry.lookup(np.sin).body[0]) == gast.dump(expected[0])
    assert gast.dump(registry.lookup_tangent(np.sin).body[0]) == gast.dump(
        gast.parse("t[y] = t[x] * np.cos(x)").body[0])


def test_import_parses_no_template():
    code = ("import srcgrad\nfrom srcgrad.rules import registry\n"
            "rules = registry.registered() + registry.registered(kind='tangent')\n"
            "assert rules and all(r._body is None for _, r in rules)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_user_template_is_checked_when_registered():
    with pytest.raises(TypeError, match="only single assignments"):
        @registry.adjoint("ndarray.no_such_method_for_this_test")
        def _(y, x):
            return x
