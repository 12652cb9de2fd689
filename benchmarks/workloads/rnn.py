"""RNN: tanh cell unrolled by a Python loop over 50 steps.

Loss is the sum of all hidden states; gradient wrt Wx, Wh, b. Also the
workload of the peak-memory measurement (what the forward sweep keeps alive).
"""
import numpy as np

from . import Case, rng

STEPS = 50
# (batch, inputs, hidden): the small one is interpreter-bound, the large one
# spends most of its time in small GEMMs. Memory is measured on the large one.
SIZES = [(16, 32, 64), (32, 64, 128)]


def rnn_loss(Wx, Wh, b, xs, h):
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        loss = loss + np.sum(h)
    return loss


def rnn_loss_grad(Wx, Wh, b, xs, h):
    """Hand-written adjoint: the forward keeps only the hidden states."""
    hs = [h]
    for t in range(xs.shape[0]):
        z = xs[t] @ Wx
        z += h @ Wh
        z += b
        h = np.tanh(z, out=z)
        hs.append(h)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    dh = np.ones_like(h)              # d loss / d h_T from the last sum term
    for t in range(xs.shape[0] - 1, -1, -1):
        dz = hs[t + 1] * hs[t + 1]    # tanh' = 1 - h^2
        np.subtract(1.0, dz, out=dz)
        dz *= dh
        dWx += xs[t].T @ dz
        dWh += hs[t].T @ dz
        db += dz.sum(axis=0)
        if t:                         # h_0 is an input we don't differentiate
            dh = dz @ Wh.T
            dh += 1.0                 # the sum term of step t-1
    return dWx, dWh, db


def make_torch(torch):
    def f(Wx, Wh, b, xs, h):
        loss = 0.0
        for t in range(xs.shape[0]):
            h = torch.tanh(xs[t] @ Wx + h @ Wh + b)
            loss = loss + torch.sum(h)
        return loss
    return f


def make_jax(jnp):
    def f(Wx, Wh, b, xs, h):
        loss = 0.0
        for t in range(xs.shape[0]):
            h = jnp.tanh(xs[t] @ Wx + h @ Wh + b)
            loss = loss + jnp.sum(h)
        return loss
    return f


def make_inputs(steps, batch, n_in, hidden, seed=1):
    r = rng(seed)
    Wx = r.standard_normal((n_in, hidden)) / np.sqrt(n_in)
    Wh = r.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    b = r.standard_normal(hidden) * 0.1
    xs = r.standard_normal((steps, batch, n_in))
    h0 = np.zeros((batch, hidden))
    return Wx, Wh, b, xs, h0


def cases(quick=False):
    return [Case(
        name=f"rnn T={STEPS} b={batch} in={n_in} h={hidden}", workload="rnn",
        fn=rnn_loss, wrt=(0, 1, 2), args=make_inputs(STEPS, batch, n_in, hidden),
        hand=rnn_loss_grad, make_torch=make_torch, make_jax=make_jax,
        blas_bound=hidden >= 128,
        extra={"cold_args": make_inputs(3, 2, 3, 4)},
    ) for batch, n_in, hidden in SIZES]
