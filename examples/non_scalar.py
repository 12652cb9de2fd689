"""Backward for non-scalar variables: the gradient of y = x * x is 2x.

Chapter: 2.5.2 "Backward for non-scalar variables".

The derivative of a vector y with respect to a vector x is a matrix (the
Jacobian). Like the chapter's tape, srcgrad does not build it: for a
non-scalar output it differentiates the sum of the output, which is what a
batch of per-example losses needs.
"""
import numpy as np

import srcgrad


def square(x):
    return x * x


def sum_of_square(x):
    """The same thing written out: the chapter's `tf.reduce_sum(x * x)`."""
    return np.sum(x * x)


def main():
    x = np.arange(4.0)
    print("x     =", x)
    print("y     =", square(x))
    g = srcgrad.grad(square)(x)
    print("dy/dx =", g, "(gradient of sum(y))")
    np.testing.assert_allclose(g, [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_allclose(g, 2 * x)
    np.testing.assert_allclose(srcgrad.grad(sum_of_square)(x), g)


if __name__ == "__main__":
    main()
