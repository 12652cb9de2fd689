"""MLP training gradient: MSE loss of a 2-hidden-layer tanh MLP.

Run at sizes from overhead-bound (batch 4, width 8) to BLAS-bound
(batch 256, width 1024); the gradient is taken wrt all weights and biases.
"""
import numpy as np

from . import Case, rng

# (batch, width); input and hidden layers have `width` units, output OUT.
SIZES = [(4, 8), (16, 32), (32, 64), (64, 128), (128, 256), (256, 512), (256, 1024)]
QUICK_SIZES = [(4, 8), (64, 128), (256, 1024)]
OUT = 10


def mlp_loss(W1, b1, W2, b2, W3, b3, x, y):
    h1 = np.tanh(np.dot(x, W1) + b1)
    h2 = np.tanh(np.dot(h1, W2) + b2)
    out = np.dot(h2, W3) + b3
    return np.mean((out - y) ** 2)


def mlp_loss_grad(W1, b1, W2, b2, W3, b3, x, y):
    """Hand-written adjoint; activations are updated in place to avoid temporaries."""
    h1 = np.dot(x, W1)
    h1 += b1
    np.tanh(h1, out=h1)
    h2 = np.dot(h1, W2)
    h2 += b2
    np.tanh(h2, out=h2)
    g = np.dot(h2, W3)
    g += b3
    g -= y
    g *= 2.0 / g.size                 # d loss / d out
    dW3 = np.dot(h2.T, g)
    db3 = g.sum(axis=0)
    g = np.dot(g, W3.T)               # d loss / d h2
    h2 *= h2                          # tanh' = 1 - h^2, reusing h2's buffer
    np.subtract(1.0, h2, out=h2)
    g *= h2
    dW2 = np.dot(h1.T, g)
    db2 = g.sum(axis=0)
    g = np.dot(g, W2.T)               # d loss / d h1
    h1 *= h1
    np.subtract(1.0, h1, out=h1)
    g *= h1
    dW1 = np.dot(x.T, g)
    db1 = g.sum(axis=0)
    return dW1, db1, dW2, db2, dW3, db3


def make_torch(torch):
    def f(W1, b1, W2, b2, W3, b3, x, y):
        h1 = torch.tanh(x @ W1 + b1)
        h2 = torch.tanh(h1 @ W2 + b2)
        out = h2 @ W3 + b3
        return torch.mean((out - y) ** 2)
    return f


def make_jax(jnp):
    def f(W1, b1, W2, b2, W3, b3, x, y):
        h1 = jnp.tanh(jnp.dot(x, W1) + b1)
        h2 = jnp.tanh(jnp.dot(h1, W2) + b2)
        out = jnp.dot(h2, W3) + b3
        return jnp.mean((out - y) ** 2)
    return f


def make_inputs(batch, width, seed=0):
    r = rng(seed)
    scale = 1.0 / np.sqrt(width)
    W1 = r.standard_normal((width, width)) * scale
    b1 = r.standard_normal(width) * 0.1
    W2 = r.standard_normal((width, width)) * scale
    b2 = r.standard_normal(width) * 0.1
    W3 = r.standard_normal((width, OUT)) * scale
    b3 = r.standard_normal(OUT) * 0.1
    x = r.standard_normal((batch, width))
    y = r.standard_normal((batch, OUT))
    return W1, b1, W2, b2, W3, b3, x, y


def n_params(width):
    return 2 * (width * width + width) + width * OUT + OUT


def cases(quick=False):
    out = []
    for batch, width in (QUICK_SIZES if quick else SIZES):
        out.append(Case(
            name=f"mlp b={batch} w={width}", workload="mlp",
            fn=mlp_loss, wrt=(0, 1, 2, 3, 4, 5), args=make_inputs(batch, width),
            hand=mlp_loss_grad, make_torch=make_torch, make_jax=make_jax,
            blas_bound=width >= 512, size=n_params(width),
            extra={"batch": batch, "width": width, "cold_args": make_inputs(4, 8)},
        ))
    return out
