"""The textbook chapter's data-dependent function on a vector.

The trip count of the while loop and the branch taken depend on the values,
so a compiler must record the control flow in the forward sweep.
"""
import numpy as np

from . import Case, rng


def textbook(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c)


def textbook_grad(a):
    """Hand-written adjoint: replay the control flow, then d/da is a constant."""
    b = a * 2
    scale = 2.0
    while np.linalg.norm(b) < 1000:
        b *= 2                        # b is a fresh array, so in place is safe
        scale *= 2.0
    if not np.sum(b) > 0:
        scale *= 100.0
    return np.full_like(a, scale)


def make_torch(torch):
    def f(a):
        b = a * 2
        while torch.linalg.norm(b) < 1000:
            b = b * 2
        if torch.sum(b) > 0:
            c = b
        else:
            c = 100 * b
        return torch.sum(c)
    return f


def make_jax(jnp):
    def f(a):
        b = a * 2
        while jnp.linalg.norm(b) < 1000:
            b = b * 2
        if jnp.sum(b) > 0:
            c = b
        else:
            c = 100 * b
        return jnp.sum(c)
    return f


def make_inputs(n=100, seed=2, sign=1.0):
    a = np.abs(rng(seed).standard_normal(n)) * 0.1 * sign
    return (a,)


def cases(quick=False):
    note = "jax.jit cannot trace value-dependent Python control flow"
    return [
        Case(name="textbook while/if (n=100, c=b)", workload="textbook",
             fn=textbook, wrt=0, args=make_inputs(), hand=textbook_grad,
             make_torch=make_torch, make_jax=make_jax, jit_ok=False, jit_note=note,
             extra={"cold_args": make_inputs(n=3)}),
        Case(name="textbook while/if (n=100, c=100*b)", workload="textbook",
             fn=textbook, wrt=0, args=make_inputs(sign=-1.0), hand=textbook_grad,
             make_torch=make_torch, make_jax=make_jax, jit_ok=False, jit_note=note,
             extra={"cold_args": make_inputs(n=3, sign=-1.0)}),
    ]
