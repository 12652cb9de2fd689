"""Workloads: one module each, all exposing `cases(quick)` -> list of Case.

A workload module holds
- the function in plain NumPy source (srcgrad differentiates it; autograd gets
  the same source text exec'd against autograd.numpy),
- a hand-written adjoint (the speed limit),
- `make_torch(torch)` / `make_jax(jnp)` returning the same program for those
  frameworks (imported lazily, since both are optional),
- an input builder.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Tuple, Union

import numpy as np


@dataclass
class Case:
    name: str                      # unique row label, e.g. "mlp b=4 w=8"
    workload: str                  # module short name, used by --only
    fn: Callable                   # the plain NumPy program
    wrt: Union[int, Tuple[int, ...]]
    args: tuple
    hand: Callable                 # hand(*args) -> gradient(s), same shape as srcgrad's
    make_torch: Optional[Callable] = None
    make_jax: Optional[Callable] = None
    jit_ok: bool = True            # False: jax.jit cannot trace the program
    jit_note: str = ""
    blas_bound: bool = False       # relaxes the speed-vs-autograd target to >= 1x
    size: Optional[int] = None     # parameter count, for the MLP scaling plot
    extra: dict = field(default_factory=dict)


def wrt_tuple(wrt) -> Tuple[int, ...]:
    return tuple(wrt) if isinstance(wrt, (tuple, list)) else (wrt,)


def as_grad_tuple(wrt, grads) -> Tuple[Any, ...]:
    """Normalise a system's result to a tuple of gradients, one per wrt."""
    if isinstance(wrt, (tuple, list)):
        return tuple(grads)
    return (grads,)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def all_modules():
    # Imported here so a broken workload module only breaks its own rows.
    from . import mlp, rnn, scalar_loop, textbook
    return [scalar_loop, mlp, rnn, textbook]
