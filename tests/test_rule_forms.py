"""Every registered primitive, in the forms its rule accepts, against a reference.

The table below is keyed by the primitive's label; test_every_primitive_has_cases fails
when a primitive is registered without test inputs. Each case checks srcgrad.grad (the
gradient of the sum) and srcgrad.vjp (a random cotangent) against HIPS autograd running
the same source with autograd.numpy ("tape"), or central finite differences ("fd"), and
that no input array was mutated. Refused forms must raise a SrcgradError when compiling.
"""
import math
import re

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import srcgrad
from srcgrad import runtime as rt
from srcgrad.rules.registry import registered
from reference import assert_close, build, numeric_grad

rng = np.random.default_rng(7)


def label(p):
    if isinstance(p, str):
        return p
    module = {"_operator": "operator", "numpy": "np", "numpy.linalg": "np.linalg",
              "srcgrad.runtime": "rt"}.get(p.__module__, p.__module__)
    return f"{module}.{p.__name__}"


def arr(shape, lo=-0.9, hi=0.9):
    if shape == "float":
        return float(rng.uniform(lo, hi))
    return rng.uniform(lo, hi, size=shape)


class Case:
    def __init__(self, params, expr, args, wrt=0, ref="tape", rtol=1e-6, second=False):
        self.params, self.expr, self.args = params, expr, args
        self.wrt, self.ref, self.rtol, self.second = wrt, ref, rtol, second

    def __repr__(self):
        shapes = ",".join(str(np.shape(a)) for a in self.args)
        return f"{self.expr} @ {shapes}"


CASES = {}
REFUSED = {}  # label -> (params, expr, args): a form the rule must refuse


def add(labels, *cases):
    for lab in labels.split():
        CASES.setdefault(lab, []).extend(cases)


def refuse(labels, params, expr, args):
    for lab in labels.split():
        REFUSED[lab] = (params, expr, args)


SHAPES = ["float", (), (3,), (2, 3), (2, 2, 3), (0,)]
PAIRS = [("float", "float"), ((), (3,)), ("float", (2, 3)), ((3,), (3,)), ((2, 3), (3,)),
         ((2, 1), (1, 3)), ((2, 2, 3), (2, 3)), ((0,), (0,)), ((2, 0), (1, 0))]

# --- elementwise, one argument (second order on a Python float) ---------------
UNARY = {
    "np.sin": ("np.sin(x)", -0.9, 0.9), "np.cos": ("np.cos(x)", -0.9, 0.9),
    "np.tan": ("np.tan(x)", -0.9, 0.9), "np.arcsin": ("np.arcsin(x)", -0.8, 0.8),
    "np.arccos": ("np.arccos(x)", -0.8, 0.8), "np.arctan": ("np.arctan(x)", -2, 2),
    "np.sinh": ("np.sinh(x)", -1, 1), "np.cosh": ("np.cosh(x)", -1, 1),
    "np.tanh": ("np.tanh(x)", -1, 1), "np.exp": ("np.exp(x)", -1, 1),
    "np.expm1": ("np.expm1(x)", -1, 1), "np.log": ("np.log(x)", 0.5, 2),
    "np.log1p": ("np.log1p(x)", 0.1, 2), "np.log2": ("np.log2(x)", 0.5, 2),
    "np.log10": ("np.log10(x)", 0.5, 2), "np.sqrt": ("np.sqrt(x)", 0.5, 2),
    "np.square": ("np.square(x)", -1, 1), "np.reciprocal": ("np.reciprocal(x)", 0.5, 2),
    "np.absolute": ("np.absolute(x)", 0.2, 1), "np.fabs": ("np.fabs(-x)", 0.2, 1),
    "builtins.abs": ("abs(-x)", 0.2, 1), "np.negative": ("np.negative(x)", -1, 1),
    "np.positive": ("np.positive(x)", -1, 1), "operator.neg": ("-x", -1, 1),
    "operator.pos": ("+x * 1.0", -1, 1), "np.copy": ("np.copy(x) * x", -1, 1),
    "np.array": ("np.array(x) * x", -1, 1), "np.asarray": ("np.asarray(x) * x", -1, 1),
    "np.ascontiguousarray": ("np.ascontiguousarray(x) * 2.0", -1, 1),
    "np.arcsinh": ("np.arcsinh(x)", -1, 1), "np.arccosh": ("np.arccosh(x)", 1.2, 2),
    "np.arctanh": ("np.arctanh(x)", -0.8, 0.8), "np.exp2": ("np.exp2(x)", -1, 1),
    "np.cbrt": ("np.cbrt(x)", 0.5, 2), "np.deg2rad": ("np.deg2rad(x)", -1, 1),
    "np.radians": ("np.radians(x)", -1, 1), "np.rad2deg": ("np.rad2deg(x)", -1, 1),
    "np.degrees": ("np.degrees(x)", -1, 1),
}
for lab, (expr, lo, hi) in UNARY.items():
    shapes = [s for s in SHAPES if not (lab == "np.ascontiguousarray" and s == "float")]
    # autograd has no rule for these
    ref = "fd" if lab in ("np.positive", "operator.pos", "np.copy", "np.asarray",
                          "np.ascontiguousarray", "np.cbrt") else "tape"
    add(lab, *[Case("x", expr, [arr(s, lo, hi)], ref=ref) for s in shapes])
    add(lab, Case("x", f"{expr} * x", [arr("float", lo, hi)], ref=ref, second=True))
add("ndarray.copy", *[Case("x", "x.copy() * x", [arr(s)], ref="fd")
                      for s in [(3,), (2, 3), (0,)]])

# --- elementwise, two arguments ---------------------------------------------
BINARY = {
    "operator.add np.add": ("x + y", "np.add(x, y)"),
    "operator.sub np.subtract": ("x - y", "np.subtract(x, y)"),
    "operator.mul np.multiply": ("x * y", "np.multiply(x, y)"),
    "operator.truediv np.divide": ("x / y", "np.divide(x, y)"),
    "operator.pow np.power": ("x ** y", "np.power(x, y)"),
    "operator.mod np.remainder": ("x % y", "np.remainder(x, y)"),
}
for labs, forms in BINARY.items():
    op_lab, np_lab = labs.split()
    for lab, expr in zip((op_lab, np_lab), forms):
        add(lab, *[Case("x, y", expr, [arr(a, 0.5, 1.5), arr(b, 0.5, 1.5)], wrt=(0, 1))
                   for a, b in PAIRS])
        add(lab, Case("x", re.sub(r"\by\b", "1.7", expr) + " * x", [arr("float", 0.5, 1.5)],
                      second=True))
for lab in ["np.maximum", "np.minimum", "np.fmax", "np.fmin", "np.logaddexp",
            "np.logaddexp2", "np.arctan2", "np.hypot"]:
    add(lab, *[Case("x, y", f"{lab}(x, y)", [arr(a), arr(b)], wrt=(0, 1), ref="fd"
                    if lab in ("np.fmax", "np.fmin") else "tape") for a, b in PAIRS])
    add(lab, Case("x", f"{lab}(x, 0.3) * x", [0.7], second=True, ref="fd"))
add("np.where", *[Case("x, y", "np.where(x > y, x * y, y)", [arr(a), arr(b)], wrt=(0, 1),
                       ref="fd") for a, b in PAIRS])  # autograd does not unbroadcast
add("np.sign", *[Case("x", "np.sign(x) * x", [arr(s)]) for s in ["float", (), (3,), (2, 3)]])
add("np.broadcast_to", *[Case("x", "np.broadcast_to(x, (2, 3)) ** 2", [arr(s)], ref="fd")
                         for s in [(), (3,), (1, 3), (2, 3)]])
add("np.clip",
    *[Case("x", "np.clip(x, -0.5, 0.5)", [arr(s)]) for s in SHAPES],
    Case("x, lo, hi", "np.clip(x, lo, hi)", [arr((4, 3), -2, 2), arr((3,), -1.5, -0.5),
                                            arr((4, 1), 0.5, 1.5)], wrt=(0, 1, 2), ref="fd"),
    Case("x, lo", "np.clip(x, lo, None)", [arr((5,), -2, 2), -0.3], wrt=(0, 1), ref="fd"))
add("ndarray.astype", *[Case("x", "x.astype(np.float64) * x", [arr(s)], ref="fd")
                        for s in [(3,), (2, 3)]],
    Case("x", "x.astype(int) * x", [arr((3,), 0.2, 0.8)], ref="fd"))

# --- the math module, on Python floats (autograd cannot run math on its boxes) ------
MATH_UNARY = {"sin": (-1, 1), "cos": (-1, 1), "tan": (-0.8, 0.8), "asin": (-0.8, 0.8),
              "acos": (-0.8, 0.8), "atan": (-2, 2), "sinh": (-1, 1), "cosh": (-1, 1),
              "tanh": (-1, 1), "asinh": (-1, 1), "acosh": (1.2, 2), "atanh": (-0.8, 0.8),
              "exp": (-1, 1), "expm1": (-1, 1), "log": (0.5, 2), "log1p": (0.1, 2),
              "log2": (0.5, 2), "log10": (0.5, 2), "sqrt": (0.5, 2), "fabs": (0.2, 1),
              "erf": (-1, 1), "erfc": (-1, 1), "radians": (-1, 1), "degrees": (-1, 1)}
for fn, (lo, hi) in MATH_UNARY.items():
    add(f"math.{fn}", Case("x", f"math.{fn}(x)", [arr("float", lo, hi)], ref="fd"),
        Case("x", f"math.{fn}(x) * x", [arr("float", lo, hi)], ref="fd", second=True))
for fn in ["atan2", "hypot", "pow"]:
    add(f"math.{fn}", Case("x, y", f"math.{fn}(x, y)", [arr("float", 0.5, 1.5),
                                                        arr("float", 0.5, 1.5)],
                           wrt=(0, 1), ref="fd"),
        Case("x", f"math.{fn}(x, 1.3) * x", [arr("float", 0.5, 1.5)], ref="fd", second=True))
refuse("math.log", "x", "math.log(x, 3.0)", [1.5])
refuse("math.hypot", "x", "math.hypot(x, 1.0, 2.0)", [1.5])

# --- reductions -------------------------------------------------------------
REDUCTION_FORMS = [("", ["float", (), (3,), (2, 3), (2, 3, 2)]),
                   (", axis=0", [(3,), (2, 3), (2, 3, 2)]),
                   (", axis=-1", [(2, 3), (2, 3, 2)]),
                   (", axis=(0, 2)", [(2, 3, 2)]),
                   (", axis=None, keepdims=True", [(2, 3)]),
                   (", axis=1, keepdims=True", [(2, 3), (2, 3, 2)])]
for fname in ["sum", "mean", "prod", "max", "min", "amax", "amin"]:
    for form, shapes in REDUCTION_FORMS:
        add(f"np.{fname}", *[Case("x", f"np.{fname}(x{form})", [arr(s, 0.5, 1.5)])
                             for s in shapes])
    if fname in ("sum", "mean", "prod", "max", "min"):
        for form, shapes in REDUCTION_FORMS:
            add(f"ndarray.{fname}", *[Case("x", f"x.{fname}({form[2:]})",
                                           [arr(s, 0.5, 1.5)])
                                      for s in shapes if s not in ("float", ())])
    unhandled = "initial=-5.0" if fname in ("max", "min", "amax", "amin") else "where=x > 0.0"
    refuse(f"np.{fname}", "x", f"np.{fname}(x, {unhandled})", [arr((3,))])
add("np.sum", Case("x", "np.sum(x)", [arr((0,))]), Case("x", "np.sum(x, axis=0)",
                                                         [arr((0, 3))]))
add("np.max", Case("x", "np.max(x)", [np.array([1.0, 3.0, 3.0, 2.0])]))  # a tie

# --- np.linalg.norm: every ord (finite differences: autograd's matrix ord=2 is the
# Frobenius gradient and it has no 1/inf matrix norms) ---------------------------
NORM_FORMS = [
    ("", (4,)), ("", (2, 3)), ("", (2, 3, 2)), ("ord=2", (4,)), ("ord=1", (4,)),
    ("ord=-1", (4,)), ("ord=np.inf", (4,)), ("ord=-np.inf", (4,)), ("ord=0", (4,)),
    ("ord=0.5", (4,)), ("ord=3", (4,)), ("ord=4", (4,)), ("ord=-2", (4,)),
    ("ord=2.5, axis=1", (2, 3)), ("ord=3, axis=-1, keepdims=True", (2, 3)),
    ("axis=0", (2, 3)), ("axis=(0,)", (2, 3)), ("axis=(1, 2)", (2, 3, 2)),
    ("keepdims=True", (2, 3)), ("ord=np.inf, axis=0", (3, 2)),
    ("ord='fro'", (2, 3)), ("ord='nuc'", (3, 2)), ("ord=2", (3, 2)), ("ord=-2", (2, 3)),
    ("ord=1", (3, 2)), ("ord=-1", (3, 2)), ("ord=np.inf", (2, 3)),
    ("ord=-np.inf", (2, 3)), ("ord=2, axis=(1, 2)", (2, 3, 2)),
    ("ord=2, axis=(2, 0)", (3, 2, 4)), ("ord='nuc', axis=(0, 2), keepdims=True", (3, 2, 4)),
    ("ord=-2, axis=(-1, -2)", (2, 3, 4)), ("ord=1, axis=(2, 1)", (2, 3, 4)),
    ("ord=-np.inf, axis=(0, 1), keepdims=True", (3, 2, 2)),
    ("ord='fro', axis=(0, 2)", (3, 2, 2)),
]
add("np.linalg.norm", *[Case("x", f"np.linalg.norm(x, {form})" if form else
                             "np.linalg.norm(x)", [arr(s, 0.2, 1.2) * rng.choice([-1, 1], s)],
                             ref="fd", rtol=1e-5)
                        for form, s in NORM_FORMS])
add("np.linalg.norm", Case("x", "np.linalg.norm(x)", [arr((3, 2))]),  # vs autograd too
    Case("x", "np.linalg.norm(x, ord=3)", [arr((5,), 0.2, 1)]),
    Case("x", "np.linalg.norm(x, ord='nuc')", [arr((3, 2))]))

# --- products ---------------------------------------------------------------
DOT_PAIRS = [("float", (3,)), ((), (2, 3)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
             ((2, 3), (3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 3), (2, 3, 4)),
             ((2, 2, 3), (4, 3, 2)), ((2, 3), ()), ((0, 3), (3, 2))]
add("np.dot", *[Case("x, y", "np.dot(x, y)", [arr(a), arr(b)], wrt=(0, 1))
                for a, b in DOT_PAIRS])
add("ndarray.dot", *[Case("x, y", "x.dot(y)", [arr(a), arr(b)], wrt=(0, 1), ref="fd")
                     for a, b in DOT_PAIRS if a not in ("float", ())])
MATMUL_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                ((2, 2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 2, 3), (3, 4)),
                ((2, 1, 2, 3), (4, 3, 2)), ((0, 3), (3, 2))]
add("operator.matmul", *[Case("x, y", "x @ y", [arr(a), arr(b)], wrt=(0, 1))
                         for a, b in MATMUL_PAIRS])
add("np.matmul", *[Case("x, y", "np.matmul(x, y)", [arr(a), arr(b)], wrt=(0, 1))
                   for a, b in MATMUL_PAIRS])
add("np.outer", *[Case("x, y", "np.outer(x, y)", [arr(a), arr(b)], wrt=(0, 1), ref="fd")
                  for a, b in [("float", (3,)), ((), (3,)), ((3,), (4,)), ((2, 2), (3,)),
                               ((0,), (3,))]])
TENSORDOT = [((3, 4), (4, 3), "0"), ((2, 3), (3, 4), "1"), ((2, 3, 4), (3, 4, 2), "2"),
             ((3, 4, 5), (2, 3, 4), "[(1, 0), (2, 1)]"), ((3, 4), (4, 2), "([1], [0])"),
             ((3, 4), (2, 4), "(1, 1)"), ((2, 3, 4), (4, 2, 3), "((-1, 1), (0, 2))"),
             ((3,), (3,), "1"), ((), (2, 3), "0"), ((2, 3), (3, 2), "[[0, 1], [1, 0]]")]
add("np.tensordot", *[Case("x, y", f"np.tensordot(x, y, axes={ax})", [arr(a), arr(b)],
                           wrt=(0, 1)) for a, b, ax in TENSORDOT],
    Case("x, y", "np.tensordot(x, y)", [arr((2, 3, 4)), arr((3, 4))], wrt=(0, 1)))

# --- shape --------------------------------------------------------------------
W = {(2, 3, 4): np.arange(24.0).reshape(2, 3, 4)}
add("np.transpose", *[Case("x, w", f"np.transpose(x{form}) * w", [arr((2, 3, 4)), w], ref=r)
                      for form, w, r in [("", W[2, 3, 4].T, "tape"),
                                         (", (2, 0, 1)", np.transpose(W[2, 3, 4], (2, 0, 1)),
                                          "tape"),
                                         (", (-1, 0, 1)", np.transpose(W[2, 3, 4], (2, 0, 1)),
                                          "fd"),
                                         (", axes=(1, 0, 2)",
                                          np.transpose(W[2, 3, 4], (1, 0, 2)), "tape")]],
    Case("x", "np.transpose(x)", [arr((3,))]), Case("x", "np.transpose(x)", [arr(())]))
add("ndarray.transpose",
    *[Case("x, w", f"x.transpose({form}) * w", [arr((2, 3, 4)), np.transpose(
        W[2, 3, 4], axes)], ref="fd") for form, axes in [("", None), ("(2, 0, 1)", (2, 0, 1)),
                                                ("2, 0, 1", (2, 0, 1)), ("None", None),
                                                ("(1, 0, 2)", (1, 0, 2))]])
add("ndarray.T", Case("x, w", "x.T * w", [arr((2, 3)), arr((3, 2))]),
    Case("x, w", "x.T * w", [arr((2, 3, 4)), arr((4, 3, 2))]),
    Case("x", "x.T * 2.0", [arr((3,))]))
V6 = np.arange(6.0)
for lab, expr in [("np.reshape", "np.reshape(x, (3, 2){o}).ravel() * v"),
                  ("ndarray.reshape", "x.reshape(3, 2{o}).ravel() * v"),
                  ("ndarray.reshape", "x.reshape((3, 2){o}).ravel() * v"),
                  ("ndarray.reshape", "x.reshape(-1{o}) * v"),
                  ("np.ravel", "np.ravel(x{o}) * v"), ("ndarray.ravel", "x.ravel({p}) * v"),
                  ("ndarray.flatten", "x.flatten({p}) * v")]:
    for o, p in [("", ""), (", order='C'", "order='C'"), (", order='F'", "order='F'"),
                 (", order='F'", "'F'")]:
        add(lab, Case("x, v", expr.format(o=o, p=p), [arr((2, 3)), V6]))
add("np.reshape", Case("x, v", "np.reshape(x, shape=(3, 2)) * v", [arr((2, 3)),
                                                                    V6.reshape(3, 2)],
                       ref="fd"))
refuse("np.reshape", "x", "np.reshape(x, (3, 2), order='A')", [arr((2, 3))])
refuse("ndarray.reshape", "x", "x.reshape(3, 2, order='A')", [arr((2, 3))])
refuse("np.ravel", "x", "np.ravel(x, order='K')", [arr((2, 3))])
refuse("ndarray.ravel", "x", "x.ravel(order='A')", [arr((2, 3))])
refuse("ndarray.flatten", "x", "x.flatten(order='K')", [arr((2, 3))])
add("np.squeeze", Case("x", "np.squeeze(x) * np.arange(3.0)", [arr((1, 3, 1))]),
    Case("x", "np.squeeze(x, axis=0)", [arr((1, 3, 1))]),
    Case("x", "np.squeeze(x, axis=(0, 2))", [arr((1, 3, 1))]))
add("ndarray.squeeze", Case("x", "x.squeeze() * np.arange(3.0)", [arr((1, 3, 1))]),
    Case("x", "x.squeeze(0)", [arr((1, 3, 1))]), Case("x", "x.squeeze(axis=2)",
                                                       [arr((1, 3, 1))], ref="fd"))
add("np.expand_dims", Case("x", "np.expand_dims(x, 0) * np.ones((2, 1, 3))", [arr((3,))]),
    Case("x", "np.expand_dims(x, axis=-1)", [arr((2, 3))]),
    Case("x", "np.expand_dims(x, (0, 2))", [arr((3,))], ref="fd"))
add("np.concatenate",
    Case("x, y", "np.concatenate([x, y]) * np.arange(5.0)", [arr((2,)), arr((3,))],
         wrt=(0, 1)),
    Case("x, y", "np.concatenate((x, y), axis=1)", [arr((2, 2)), arr((2, 3))], wrt=(0, 1)),
    Case("x, y", "np.concatenate([x, y], axis=-1)", [arr((2, 2)), arr((2, 3))], wrt=(0, 1)),
    Case("x, y", "np.concatenate([x, y], axis=None)", [arr((2, 2)), arr((3,))], wrt=(0, 1),
         ref="fd"))
add("np.stack", Case("x, y", "np.stack([x, y]) * np.arange(6.0).reshape(2, 3)",
                     [arr((3,)), arr((3,))], wrt=(0, 1)),
    Case("x, y", "np.stack((x, y), axis=1)", [arr((2, 3)), arr((2, 3))], wrt=(0, 1)),
    Case("x, y", "np.stack([x, y], axis=-1)", [arr((2, 3)), arr((2, 3))], wrt=(0, 1)))

# --- constructors with a float argument -------------------------------------------
add("np.linspace",
    Case("a, b", "np.linspace(a, b, 5)", [1.2, 3.4], wrt=(0, 1), ref="fd"),
    Case("a, b", "np.linspace(a, b, 5) ** 2", [1.2, 3.4], wrt=(0, 1), ref="fd"),
    Case("a, b", "np.linspace(a, b, num=4, endpoint=False) ** 2", [0.2, 1.4], wrt=(0, 1),
         ref="fd"),
    Case("a, b", "np.linspace(a, b, 1) * 3.0", [0.2, 1.4], wrt=(0, 1), ref="fd"),
    Case("a, b", "np.linspace(a, b, 0)", [0.2, 1.4], wrt=(0, 1), ref="fd"),
    Case("a, b", "np.linspace(a, b, 4) ** 2", [arr((3,)), arr((2, 3))], wrt=(0, 1),
         ref="fd"),
    Case("a, b", "np.linspace(a, b, 4, axis=1) ** 2", [arr((2, 3)), 0.5], wrt=(0, 1),
         ref="fd"),
    Case("a, b", "np.linspace(a, b, 4, axis=-1) ** 2", [arr((2, 3)), arr((3,))],
         wrt=(0, 1), ref="fd"))
refuse("np.linspace", "a, b", "np.linspace(a, b, 5, retstep=True)[0]", [1.0, 2.0])
add("np.full", Case("v", "np.full((2, 3), v) ** 2", [0.7], ref="fd"),
    Case("v", "np.full((2, 3), v) ** 2", [arr((3,))], ref="fd"),
    Case("v", "np.full(4, fill_value=v) * np.arange(4.0)", [arr(())], ref="fd"))
add("np.full_like", Case("x, v", "np.full_like(x, v) ** 2", [arr((2, 3)), 0.7], wrt=1,
                         ref="fd"),
    Case("x, v", "np.full_like(x, v) * x", [arr((2, 3)), arr((3,))], wrt=(0, 1), ref="fd"))
add("np.arange", Case("a", "np.arange(a, a + 3.5) ** 2", [0.3], ref="fd"),
    Case("a, s", "np.arange(a, 4.0, s) ** 2", [0.3, 0.7], wrt=(0, 1), ref="fd"),
    Case("a, s", "np.arange(0.5, a, step=s) ** 2", [3.6, 0.7], wrt=(0, 1), ref="fd"))

# --- complex parts, on real inputs (tests/test_complex.py covers complex ones) --
for lab, expr in [("np.real", "np.real(x * (1 + 2j))"), ("np.imag", "np.imag(x * (1 + 2j))"),
                  ("np.conjugate", "np.real(np.conjugate(x * (1 + 2j)) * (2 - 1j))"),
                  ("np.angle", "np.angle(x * (1 + 2j) + 0.5)"),
                  ("ndarray.real", "(x * (1 + 2j)).real"),
                  ("ndarray.imag", "(x * (1 + 2j)).imag"),
                  ("ndarray.conj", "np.real((x * (1 + 2j)).conj() * (2 - 1j))"),
                  ("ndarray.conjugate", "np.real((x * (1 + 2j)).conjugate() * (2 - 1j))")]:
    # autograd's boxes have no .real/.imag attributes: finite differences there; a
    # Python complex has no .conj(): arrays only for the methods
    add(lab, *[Case("x", expr, [arr(s)], ref="fd" if lab.startswith("ndarray") else "tape")
               for s in ([(3,), (2, 3)] if lab.startswith("ndarray") else [(), (3,), (2, 3)])])

# --- srcgrad's run-time helpers (what second-order code differentiates) ----------
RT = [
    ("rt.cast_like", "g", "rt.cast_like(g, z23) * w23", [arr((3,))]),
    ("rt.unbroadcast", "g", "rt.unbroadcast(g, z3) * w3", [arr((2, 3))]),
    ("rt.broadcast_like", "g", "rt.broadcast_like(g, z23) * w23", [arr((3,))]),
    ("rt.sum_grad", "g", "rt.sum_grad(g, z23, 1, False) * w23", [arr((2,))]),
    ("rt.sum_grad", "g", "rt.sum_grad(g, z23) * w23", ["float"]),
    ("rt.mean_grad", "g", "rt.mean_grad(g, z23, 0, True) * w23", [arr((1, 3))]),
    ("rt.element", "g", "rt.element(g, 1) * w3", [arr((3, 3))]),
    ("rt.take_saved", "g", "rt.take_saved(g, 1) * w3", [arr((2, 3))]),
    ("rt.scatter_add", "a, g", "rt.scatter_add(a * 1.0, z23, 1, g) * w23",
     [arr((2, 3)), arr((3,))]),
    ("rt.zero_at", "g", "rt.zero_at(g, z23, 0, False) * w23", [arr((2, 3))]),
    ("rt.add", "a, g", "rt.add(a, g) * w3", [arr((3,)), arr((3,))]),
    ("rt.assigned_part", "g", "rt.assigned_part(g, z4, i001) * w3", [arr((4,))]),
    ("rt.assigned_part", "g", "rt.assigned_part(g, z4, 1) * w3", [arr((4, 3))]),
    ("rt.copy_value", "g", "rt.copy_value(g) * w3", [arr((3,))]),
    ("rt.as_list", "g", "np.stack(rt.as_list(g)) * w23", [arr((2, 3))]),
    ("rt.real_like", "g", "rt.real_like(g * (1 + 2j), z3) * w3", [arr((3,))]),
    ("rt.real_like", "g", "rt.real_like(g, z3) * w3", [arr((3,))]),
    ("rt.refuse_complex", "g", "rt.refuse_complex(g, z3, 'f') * w3", [arr((3,))]),
    ("rt.conj", "g", "np.real(rt.conj(g * (1 + 2j)) * (2 - 1j)) * w3", [arr((3,))]),
]
for fn in ["matmul_grad_a", "dot_grad_a"]:
    RT.append((f"rt.{fn}", "g, b", f"rt.{fn}(g, z23, b) * w23", [arr((2, 4)), arr((3, 4))]))
for fn in ["matmul_grad_b", "dot_grad_b"]:
    RT.append((f"rt.{fn}", "g, a", f"rt.{fn}(g, a, z34) * w34", [arr((2, 4)), arr((2, 3))]))
RT_NAMES = {"rt": rt, "math": math, "z4": np.zeros(4), "i001": np.array([0, 0, 1]),
            "z23": np.zeros((2, 3)), "z3": np.zeros(3), "z34": np.zeros((3, 4)),
            "w23": rng.normal(size=(2, 3)), "w3": rng.normal(size=3),
            "w34": rng.normal(size=(3, 4))}
for lab, params, expr, args in RT:
    args = [arr(a) if isinstance(a, str) else a for a in args]
    wrt = tuple(range(len(args))) if len(args) > 1 else 0
    add(lab, Case(params, expr, args, wrt=wrt, ref="fd"))


# --- the checks -------------------------------------------------------------------

def _source(case):
    return f"def f({case.params}):\n    return {case.expr}\n"


def _positions(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def _reference_grads(case, f, args, cotangent):
    """Per position in wrt: the gradient of sum(f * cotangent)."""
    if case.ref == "tape":
        fa = build(_source(case), "f", anp, RT_NAMES)
        return [autograd.make_vjp(fa, p)(*args)[0](cotangent) for p in _positions(case.wrt)]
    return [numeric_grad(lambda *a: f(*a) * cotangent, args, p) for p in _positions(case.wrt)]


def _as_tuple(got, wrt):
    return got if isinstance(wrt, tuple) else (got,)


def _check_case(case):
    f = build(_source(case), "f", np, RT_NAMES)
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in case.args]
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    value = f(*args)
    ones = np.ones_like(np.asarray(value, dtype=float))
    expected = _reference_grads(case, f, args, ones if np.ndim(value) else 1.0)
    got = _as_tuple(srcgrad.grad(f, wrt=case.wrt)(*args), case.wrt)
    for g, e, p in zip(got, expected, _positions(case.wrt)):
        assert np.shape(g) == np.shape(args[p])
        assert_close(g, e, rtol=case.rtol, atol=1e-7)
    cotangent = rng.normal(size=np.shape(value))
    if not np.ndim(value):
        cotangent = float(cotangent)
    expected = _reference_grads(case, f, args, cotangent)
    _, pullback = srcgrad.vjp(f, *args, wrt=case.wrt)
    got = _as_tuple(pullback(cotangent), case.wrt)
    for g, e in zip(got, expected):
        assert_close(g, e, rtol=case.rtol, atol=1e-7)
    for a, b in zip(args, before):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)  # no input was updated in place
    if case.second:
        x = args[0]
        fa = build(_source(case), "f", anp, RT_NAMES)
        second = srcgrad.grad(srcgrad.grad(f))(x)
        if case.ref == "tape":
            reference = autograd.grad(autograd.grad(fa))(x)
        else:
            reference = numeric_grad(srcgrad.grad(f), [x], 0)
        assert_close(second, reference, rtol=1e-5, atol=1e-7)


ALL = [(lab, case) for lab, cases in CASES.items() for case in cases]


@pytest.mark.parametrize("lab, case", ALL, ids=[f"{lab}-{i}" for i, (lab, _)
                                                in enumerate(ALL)])
def test_rule_form(lab, case):
    _check_case(case)


def test_every_primitive_has_cases():
    labels = {label(p) for p, _ in registered(builtin_only=True)}
    missing = sorted(lab for lab in labels if not CASES.get(lab))
    assert not missing, f"registered primitives without test inputs: {missing}"
    assert not set(CASES) - labels, sorted(set(CASES) - labels)


@pytest.mark.parametrize("lab", sorted(REFUSED))
def test_refused_form(lab):
    params, expr, args = REFUSED[lab]
    f = build(f"def f({params}):\n    return {expr}\n", "f", np, RT_NAMES)
    f(*args)  # NumPy itself accepts the call
    with pytest.raises(srcgrad.SrcgradError):
        srcgrad.grad(f)(*args)


# Parameters a template may leave without `d[...]`: they carry no derivative (shapes,
# axes, flags, dtypes, a boolean condition, arange's stop, linspace's count, the primal
# a run-time helper reads only for its shape). A new template that ignores a float
# argument fails here instead of returning zero for it.
ZERO_DERIVATIVE_PARAMS = {"axis", "keepdims", "ord", "axes", "shape", "order", "copy",
                          "dtype", "casting", "subok", "c", "num", "endpoint", "retstep",
                          "stop"}
ZERO_DERIVATIVE_BY_LABEL = {"np.full_like": {"a"}, "rt.refuse_complex": {"probe", "what"},
                            "rt.assigned_part": {"y"},
                            "rt.real_like": {"x"}, "rt.matmul_grad_a": {"a"},
                            "rt.dot_grad_a": {"a"}, "rt.matmul_grad_b": {"b"},
                            "rt.dot_grad_b": {"b"}}


def test_templates_differentiate_every_float_parameter():
    for p, rule in registered(builtin_only=True):
        lab = label(p)
        assigned = {s.targets[0].slice.id for s in rule.body
                    if getattr(s.targets[0], "slice", None) is not None}
        ignored = set(rule.signature.parameters) - assigned - ZERO_DERIVATIVE_PARAMS - \
            ZERO_DERIVATIVE_BY_LABEL.get(lab, set())
        if lab.startswith("rt."):
            ignored -= {"x", "idx", "owned"}  # shape references and indices
        assert not ignored, (lab, ignored)


@pytest.mark.parametrize("form", ["", "ord=2", "ord=3", "ord=1", "axis=1", "ord='nuc'"])
def test_norm_of_complex_follows_autograd(form):
    """The gradient of a real f(z) is df/dx - i df/dy (autograd's conj(x) convention);
    ord=1 against finite differences on the real and imaginary parts."""
    z = rng.normal(size=(3, 2)) + 1j * rng.normal(size=(3, 2))
    if form in ("ord=2", "ord=3", "ord=1"):
        z = z[:, 0]
    src = f"def f(z):\n    return np.linalg.norm(z{', ' + form if form else ''})\n"
    f = build(src, "f", np)
    got = srcgrad.grad(f)(z)
    if form == "ord=1":
        re_part = numeric_grad(lambda x: f(x + 1j * z.imag), [z.real], 0)
        im_part = numeric_grad(lambda y: f(z.real + 1j * y), [z.imag], 0)
        expected = re_part - 1j * im_part
    else:
        expected = autograd.grad(lambda v: anp.sum(build(src, "f", anp)(v)))(z)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)
