"""A simple example: the gradient of y = 2 x^T x is 4x.

Chapter: 2.5.1 "A simple example" (d2l, TensorFlow) and 2.3.1 "Simple example"
(the same function on a (4, 1) column, with `tf.matmul(tf.transpose(x), x)`).

Where TensorFlow records `y` on a GradientTape and calls `t.gradient(y, x)`,
srcgrad compiles `f` once into an adjoint function and calls it.
"""
import numpy as np

import srcgrad


def two_dot(x):
    """y = 2 x.x for a vector x (the chapter's `2 * tf.tensordot(x, x, axes=1)`)."""
    return 2 * np.dot(x, x)


def two_xtx(x):
    """y = 2 x^T x for a (4, 1) column; y is a (1, 1) matrix."""
    return 2 * (x.T @ x)


def total(x):
    """Another function of the same x (the chapter's `tf.reduce_sum(x)`)."""
    return np.sum(x)


def main():
    x = np.arange(4.0)
    print("x =", x)

    y, x_grad = srcgrad.value_and_grad(two_dot)(x)
    print("y = 2 * np.dot(x, x) =", y)
    print("dy/dx               =", x_grad)
    np.testing.assert_allclose(y, 28.0)
    np.testing.assert_allclose(x_grad, [0.0, 4.0, 8.0, 12.0])
    print("dy/dx == 4 * x      :", x_grad == 4 * x)
    assert np.all(x_grad == 4 * x)

    # The same function on a column vector: the gradient keeps x's (4, 1) shape.
    col = x.reshape(4, 1)
    col_grad = srcgrad.grad(two_xtx)(col)
    print("x as a (4, 1) column; d(2 x.T @ x)/dx =", col_grad.ravel(), "shape", col_grad.shape)
    assert col_grad.shape == (4, 1)
    np.testing.assert_allclose(col_grad, 4 * col)

    # A new function of the same x. TensorFlow's comment says the old gradient is
    # "overwritten"; srcgrad never accumulates, each call returns a fresh array.
    ones = srcgrad.grad(total)(x)
    print("d(np.sum(x))/dx     =", ones)
    np.testing.assert_allclose(ones, np.ones(4))
    np.testing.assert_allclose(x_grad, [0.0, 4.0, 8.0, 12.0])  # untouched


if __name__ == "__main__":
    main()
