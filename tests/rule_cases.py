"""Every registered derivative rule, called as users call it, on 0-d (a Python float and a
0-d array), 1-d, n-d, empty and broadcast shapes. tests/test_random_wide.py checks each
case against central finite differences and that this table covers the registry.

A rule is (primitive, call, arity, domain, shape sets): `call` is the expression over the
arguments a (and b); the shape sets say which shapes the call is valid for. The rules of
srcgrad's own run-time helpers (for higher-order derivatives) are reached through
grad(grad(...)), not by users, and are not listed.
"""
import builtins
import math
import operator

import numpy as np

UNARY = [(), "float", (3,), (2, 3), (0,), (2, 0)]
VECTORS = [(3,), (2, 3), (0,), (2, 0)]           # at least 1-d
BINARY = [((), ()), ("float", (3,)), ((3,), ()), ((3,), (3,)), ((2, 3), (3,)),
          ((2, 1), (1, 3)), ((2, 3), (2, 3)), ((0,), ()), ((0,), (0,)), ((2, 0), (1, 0)),
          ((), "float")]
AXIS = [(3,), (2, 3), (2, 0), (2, 3, 2)]          # reductions with axis=0 / keepdims

CASES = [
    # elementwise
    (np.sin, "np.sin(a)", 1, "any", UNARY), (np.cos, "np.cos(a)", 1, "any", UNARY),
    (np.tan, "np.tan(a)", 1, "unit", UNARY), (np.arcsin, "np.arcsin(a)", 1, "unit", UNARY),
    (np.arccos, "np.arccos(a)", 1, "unit", UNARY),
    (np.arctan, "np.arctan(a)", 1, "any", UNARY), (np.sinh, "np.sinh(a)", 1, "any", UNARY),
    (np.cosh, "np.cosh(a)", 1, "any", UNARY), (np.tanh, "np.tanh(a)", 1, "any", UNARY),
    (np.exp, "np.exp(a)", 1, "any", UNARY), (np.expm1, "np.expm1(a)", 1, "any", UNARY),
    (np.log, "np.log(a)", 1, "pos", UNARY), (np.log1p, "np.log1p(a)", 1, "pos", UNARY),
    (np.log2, "np.log2(a)", 1, "pos", UNARY), (np.log10, "np.log10(a)", 1, "pos", UNARY),
    (np.sqrt, "np.sqrt(a)", 1, "pos", UNARY), (np.square, "np.square(a)", 1, "any", UNARY),
    (np.reciprocal, "np.reciprocal(a)", 1, "pos", UNARY),
    (np.abs, "np.abs(a)", 1, "nonzero", UNARY),
    (np.absolute, "np.absolute(a)", 1, "nonzero", UNARY),
    (np.fabs, "np.fabs(a)", 1, "nonzero", UNARY), (builtins.abs, "abs(a)", 1, "nonzero", UNARY),
    (np.arcsinh, "np.arcsinh(a)", 1, "any", UNARY),
    (np.arccosh, "np.arccosh(a)", 1, "gt1", UNARY),
    (np.arctanh, "np.arctanh(a)", 1, "unit", UNARY),
    (np.exp2, "np.exp2(a)", 1, "any", UNARY), (np.cbrt, "np.cbrt(a)", 1, "nonzero", UNARY),
    (np.deg2rad, "np.deg2rad(a)", 1, "any", UNARY),
    (np.radians, "np.radians(a)", 1, "any", UNARY),
    (np.rad2deg, "np.rad2deg(a)", 1, "any", UNARY),
    (np.degrees, "np.degrees(a)", 1, "any", UNARY),
    (np.logaddexp2, "np.logaddexp2(a, b)", 2, "any", BINARY),
    (np.arctan2, "np.arctan2(a, b)", 2, "nonzero", BINARY),
    (np.hypot, "np.hypot(a, b)", 2, "nonzero", BINARY),
    (np.maximum, "np.maximum(a, b)", 2, "any", BINARY),
    (np.fmax, "np.fmax(a, b)", 2, "any", BINARY),
    (np.minimum, "np.minimum(a, b)", 2, "any", BINARY),
    (np.fmin, "np.fmin(a, b)", 2, "any", BINARY),
    (np.where, "np.where(a > 0.1, a * 2.0, b)", 2, "nonzero", BINARY),
    (np.clip, "np.clip(a, -0.5, 0.7)", 1, "clip", UNARY),
    (np.logaddexp, "np.logaddexp(a, b)", 2, "any", BINARY),
    (np.copy, "np.copy(a) * 2.0", 1, "any", UNARY),
    (np.array, "np.array(a) * 2.0", 1, "any", UNARY),
    (np.asarray, "np.asarray(a) * 2.0", 1, "any", UNARY),
    (np.ascontiguousarray, "np.ascontiguousarray(a) * 2.0", 1, "any", VECTORS),
    ("ndarray.copy", "np.asarray(a).copy() * 2.0", 1, "any", UNARY),
    ("ndarray.astype", "np.asarray(a).astype(np.float64) * 2.0", 1, "any", UNARY),
    # complex parts, on real inputs through a complex intermediate (tests/test_complex.py
    # checks complex inputs)
    (np.real, "np.real(a * (1 + 2j))", 1, "any", UNARY),
    (np.imag, "np.imag(a * (1 + 2j))", 1, "any", UNARY),
    (np.conjugate, "np.real(np.conjugate(a * (1 + 2j)) * (2 - 1j))", 1, "any", UNARY),
    (np.angle, "np.angle(a * (1 + 2j) + 0.5)", 1, "any", UNARY),
    ("ndarray.real", "np.asarray(a * (1 + 2j)).real", 1, "any", UNARY),
    ("ndarray.imag", "np.asarray(a * (1 + 2j)).imag", 1, "any", UNARY),
    ("ndarray.conj", "np.real(np.asarray(a * (1 + 2j)).conj() * (2 - 1j))", 1, "any", UNARY),
    ("ndarray.conjugate", "np.real(np.asarray(a * (1 + 2j)).conjugate() * (2 - 1j))", 1,
     "any", UNARY),
    # constructors with float endpoints or fill values
    (np.linspace, "np.linspace(a, a + 2.0, 5)", 1, "any", [(), "float", (3,)]),
    (np.full, "np.full((2, 3), a)", 1, "any", [(), "float"]),
    (np.full_like, "np.full_like(np.ones(3), a)", 1, "any", [(), "float"]),
    (np.arange, "np.arange(a, a + 3.5)", 1, "any", ["float"]),
    # the math module, on Python floats
    *[(getattr(math, fn), f"math.{fn}(a)", 1, domain, ["float"]) for fn, domain in [
        ("sin", "any"), ("cos", "any"), ("tan", "unit"), ("asin", "unit"), ("acos", "unit"),
        ("atan", "any"), ("sinh", "any"), ("cosh", "any"), ("tanh", "any"),
        ("asinh", "any"), ("acosh", "gt1"), ("atanh", "unit"), ("exp", "any"),
        ("expm1", "any"), ("log", "pos"), ("log1p", "pos"), ("log2", "pos"),
        ("log10", "pos"), ("sqrt", "pos"), ("fabs", "nonzero"), ("erf", "any"),
        ("erfc", "any"), ("radians", "any"), ("degrees", "any")]],
    *[(getattr(math, fn), f"math.{fn}(a, b)", 2, domain, [("float", "float")])
      for fn, domain in [("atan2", "nonzero"), ("hypot", "nonzero"), ("pow", "pos")]],
    (np.sign, "np.sign(a) * a", 1, "nonzero", UNARY),
    (np.broadcast_to, "np.broadcast_to(a, (2, 3))", 1, "any", [(), "float", (3,), (1, 3)]),
    # operators
    (operator.add, "a + b", 2, "any", BINARY), (np.add, "np.add(a, b)", 2, "any", BINARY),
    (operator.sub, "a - b", 2, "any", BINARY),
    (np.subtract, "np.subtract(a, b)", 2, "any", BINARY),
    (operator.mul, "a * b", 2, "any", BINARY),
    (np.multiply, "np.multiply(a, b)", 2, "any", BINARY),
    (operator.truediv, "a / b", 2, "nonzero", BINARY),
    (np.divide, "np.divide(a, b)", 2, "nonzero", BINARY),
    (np.true_divide, "np.true_divide(a, b)", 2, "nonzero", BINARY),
    (operator.pow, "a ** b", 2, "pos", BINARY), (np.power, "np.power(a, b)", 2, "pos", BINARY),
    (operator.mod, "a % b", 2, "mod", BINARY), (np.mod, "np.mod(a, b)", 2, "mod", BINARY),
    (np.remainder, "np.remainder(a, b)", 2, "mod", BINARY),
    (operator.neg, "-a", 1, "any", UNARY), (np.negative, "np.negative(a)", 1, "any", UNARY),
    (operator.pos, "+a", 1, "any", UNARY), (np.positive, "np.positive(a)", 1, "any", UNARY),
    (operator.matmul, "a @ b", 2, "any", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
                                          ((2, 3), (3, 2)), ((0,), (0,)), ((2, 0), (0, 3)),
                                          ((2, 2, 3), (3, 2))]),
    (np.matmul, "np.matmul(a, b)", 2, "any", [((2, 3), (3,)), ((2, 3), (3, 2)),
                                              ((2, 0), (0, 3))]),
    # reductions
    (np.sum, "np.sum(a)", 1, "any", UNARY), (np.sum, "np.sum(a, axis=0)", 1, "any", AXIS),
    (np.sum, "np.sum(a, axis=-1, keepdims=True)", 1, "any", AXIS),
    ("ndarray.sum", "np.asarray(a).sum()", 1, "any", UNARY),
    (np.mean, "np.mean(a, axis=0)", 1, "any", [(3,), (2, 3), (2, 3, 2)]),
    (np.mean, "np.mean(a)", 1, "any", [(), "float", (3,), (2, 3)]),
    ("ndarray.mean", "np.asarray(a).mean(axis=-1)", 1, "any", [(3,), (2, 3)]),
    (np.prod, "np.prod(a)", 1, "nonzero", UNARY),
    (np.prod, "np.prod(a, axis=0)", 1, "nonzero", AXIS),
    ("ndarray.prod", "np.asarray(a).prod(axis=-1, keepdims=True)", 1, "nonzero", AXIS),
    (np.max, "np.max(a)", 1, "any", [(), "float", (3,), (2, 3)]),
    (np.max, "np.max(a, axis=0)", 1, "any", [(3,), (2, 3), (2, 3, 2)]),
    (np.amax, "np.amax(a, axis=-1)", 1, "any", [(3,), (2, 3)]),
    ("ndarray.max", "np.asarray(a).max(axis=0, keepdims=True)", 1, "any", [(3,), (2, 3)]),
    (np.min, "np.min(a)", 1, "any", [(), "float", (3,), (2, 3)]),
    (np.amin, "np.amin(a, axis=0)", 1, "any", [(3,), (2, 3)]),
    ("ndarray.min", "np.asarray(a).min()", 1, "any", [(3,), (2, 3)]),
    (np.linalg.norm, "np.linalg.norm(a)", 1, "nonzero", [(), "float", (3,), (2, 3)]),
    (np.linalg.norm, "np.linalg.norm(a, axis=0)", 1, "nonzero", [(3,), (2, 3)]),
    (np.linalg.norm, "np.linalg.norm(a, ord=1)", 1, "nonzero", [(3,)]),
    (np.linalg.norm, "np.linalg.norm(a, ord='fro')", 1, "nonzero", [(2, 3)]),
    # products
    (np.dot, "np.dot(a, b)", 2, "any", [((), ()), ((3,), ()), ((3,), (3,)), ((2, 3), (3,)),
                                        ((3,), (3, 2)), ((2, 3), (3, 2)), ((0,), (0,)),
                                        ((2, 3, 2), (2,)), ((2, 0), (0, 3))]),
    ("ndarray.dot", "a.dot(b)", 2, "any", [((3,), (3,)), ((2, 3), (3,))]),
    (np.outer, "np.outer(a, b)", 2, "any", [((3,), (2,)), ((), (3,)), ((2, 2), (3,)),
                                            ((0,), (3,))]),
    (np.tensordot, "np.tensordot(a, b, axes=1)", 2, "any", [((2, 3), (3, 2)), ((3,), (3,)),
                                                            ((2, 0), (0, 3))]),
    (np.tensordot, "np.tensordot(a, b)", 2, "any", [((2, 3), (2, 3)), ((2, 2, 3), (2, 3))]),
    # shapes
    (np.transpose, "np.transpose(a) * np.arange(np.size(a)).reshape(np.shape(a)[::-1])", 1,
     "any", VECTORS),
    ("ndarray.transpose", "a.transpose() * 2.0", 1, "any", VECTORS),
    ("ndarray.T", "a.T * 2.0", 1, "any", VECTORS),
    (np.reshape, "np.reshape(a, (-1,)) * np.arange(np.size(a))", 1, "any", UNARY),
    ("ndarray.reshape", "np.asarray(a).reshape(1, -1) * 2.0", 1, "any", UNARY),
    (np.expand_dims, "np.expand_dims(a, 0) * 2.0", 1, "any", UNARY),
    (np.squeeze, "np.squeeze(a) * 2.0", 1, "any", [(1, 3), (3,), (2, 1), ()]),
    ("ndarray.squeeze", "a.squeeze() * 2.0", 1, "any", [(1, 3), (2, 1)]),
    (np.ravel, "np.ravel(a) * np.arange(np.size(a))", 1, "any", UNARY),
    ("ndarray.ravel", "np.asarray(a).ravel() * 2.0", 1, "any", UNARY),
    ("ndarray.flatten", "np.asarray(a).flatten() * 2.0", 1, "any", UNARY),
    (np.concatenate, "np.concatenate([a, b, a]) * 2.0", 2, "any",
     [((3,), (2,)), ((2, 3), (1, 3)), ((0,), (3,)), ((0,), (0,))]),
    (np.stack, "np.stack([a, b]) * 2.0", 2, "any", [((), ()), ((3,), (3,)), ((2, 3), (2, 3)),
                                                    ((0,), (0,))]),
]


def sample(shape, domain, rng):
    """A value of `shape` ("float": a Python float) in the rule's domain, with distinct
    elements (no ties for max/min) away from kinks."""
    size = 1 if shape == "float" else int(np.prod(shape))
    if domain == "pos":
        v = rng.uniform(0.5, 2.0, size)
    elif domain == "gt1":
        v = rng.uniform(1.2, 2.5, size)
    elif domain == "unit":
        v = rng.uniform(-0.8, 0.8, size)
    elif domain == "nonzero":
        v = rng.choice([-1.0, 1.0], size) * rng.uniform(0.4, 1.5, size)
    elif domain == "clip":
        v = rng.choice([-1.2, -0.2, 0.3, 1.1], size) + rng.uniform(-0.05, 0.05, size)
    elif domain == "mod":
        v = rng.uniform(1.1, 1.4, size) + rng.integers(0, 3, size)
    else:
        v = rng.uniform(-1.5, 1.5, size) + np.arange(size) * 1e-2
    if shape == "float":
        return float(v[0])
    return v.reshape(shape)
