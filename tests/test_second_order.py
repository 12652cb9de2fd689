"""Second-order derivatives through the run-time helpers' own rules (the compiler
differentiates its generated code): np.dot on operands above two dimensions,
against autograd's grad of grad."""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import srcgrad
from reference import build

SRC = """
def f(a, b):
    return np.sum(np.sin({call}))

def h(a, b):
    return np.sum(gf(a, b) * w)
"""
rng = np.random.default_rng(3)


def _pair(call, sa, sb, first, second):
    src = SRC.format(call=call)
    w = rng.normal(size=sa if first == 0 else sb)
    ours = build(src, "h", extra={"w": w})
    ours.__globals__["gf"] = srcgrad.grad(ours.__globals__["f"], wrt=first)
    ref = build(src, "h", anp, extra={"w": w})
    ref.__globals__["gf"] = autograd.grad(ref.__globals__["f"], first)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    got = srcgrad.grad(ours, wrt=second)(a, b)
    np.testing.assert_allclose(got, autograd.grad(ref, second)(a, b), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)),
                                   ((3,), (2, 3, 4)), ((2, 3), (3,)), ((2, 2, 3), (2, 3, 2))])
@pytest.mark.parametrize("first,second", [(0, 1), (1, 0), (0, 0), (1, 1)])
def test_dot_second_order(sa, sb, first, second):
    _pair("np.dot(a, b)", sa, sb, first, second)
@pytest.mark.parametrize("call", ["np.max(a * b, axis=0)", "np.min(a * b)"])
def test_extremum_second_order(call):
    _pair(call, (3, 4), (3, 4), 0, 1)
