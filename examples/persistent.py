"""Several gradients from one function (TensorFlow's persistent tape).

Chapter: 2.3.2 "Training mode and prediction mode" and the TensorFlow tutorial's
persistent GradientTape: y = x * x, z = y * y at x = 3 gives dz/dx = 108
(4x^3) and dy/dx = 6.

A TensorFlow tape is freed after one `gradient()` call unless it is
persistent. srcgrad keeps no tape: each choice of `of`/`wrt` is its own
compiled function, and any of them can be called any number of times.
"""
import numpy as np

import srcgrad


def square_twice(x):
    y = x * x
    z = y * y
    return z


def two_dot(x, w):
    """2 x.w, differentiated with respect to both inputs at once."""
    return 2 * np.dot(x, w)


def main():
    dz_dx = srcgrad.grad(square_twice)
    dy_dx = srcgrad.grad(square_twice, of="y")
    print("at x = 3: dz/dx =", dz_dx(3.0), " dy/dx =", dy_dx(3.0))
    np.testing.assert_allclose(dz_dx(3.0), 108.0)
    np.testing.assert_allclose(dy_dx(3.0), 6.0)

    # 2.3.2 does the same on the (4, 1) column [0, 1, 2, 3].
    col = np.arange(4.0).reshape(4, 1)
    print("on a column: dz/dx =", dz_dx(col).ravel(), " dy/dx =", dy_dx(col).ravel())
    np.testing.assert_allclose(dz_dx(col), [[0.0], [4.0], [32.0], [108.0]])
    np.testing.assert_allclose(dy_dx(col), [[0.0], [2.0], [4.0], [6.0]])

    # Several inputs: wrt=(0, 1) returns one gradient per input.
    x = np.arange(4.0)
    w = np.array([1.0, -1.0, 0.5, 2.0])
    dx, dw = srcgrad.grad(two_dot, wrt=(0, 1))(x, w)
    print("d(2 x.w)/dx =", dx, " d(2 x.w)/dw =", dw)
    np.testing.assert_allclose(dx, 2 * w)
    np.testing.assert_allclose(dw, 2 * x)


if __name__ == "__main__":
    main()
