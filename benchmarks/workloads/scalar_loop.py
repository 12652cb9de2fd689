"""Scalar loop: 300 elementwise steps on a Python float (interpreter-bound).

Measures pure per-operation overhead: a tape pays for boxing every float,
generated adjoint code should cost little more than the primal.
"""
import numpy as np

from . import Case

STEPS = 300


def scalar_loop(x, a):
    for i in range(300):
        x = x + 0.01 * (np.sin(x) * a + np.cos(x))
    return x


def scalar_loop_grad(x, a):
    """Hand-written adjoint: keep sin/cos of each step, then sweep back."""
    sins = []
    coss = []
    for i in range(300):
        s = np.sin(x)
        c = np.cos(x)
        sins.append(s)
        coss.append(c)
        x = x + 0.01 * (s * a + c)
    dx = 1.0
    da = 0.0
    for s, c in zip(reversed(sins), reversed(coss)):
        t = 0.01 * dx
        da += t * s
        dx += t * (a * c - s)
    return float(dx), float(da)


def make_torch(torch):
    def f(x, a):
        for i in range(300):
            x = x + 0.01 * (torch.sin(x) * a + torch.cos(x))
        return x
    return f


def make_jax(jnp):
    def f(x, a):
        for i in range(300):
            x = x + 0.01 * (jnp.sin(x) * a + jnp.cos(x))
        return x
    return f


def cases(quick=False):
    return [Case(
        name="scalar loop (300 steps)", workload="scalar_loop",
        fn=scalar_loop, wrt=(0, 1), args=(0.3, 0.7), hand=scalar_loop_grad,
        make_torch=make_torch, make_jax=make_jax,
        extra={"cold_args": (0.3, 0.7)},
    )]
