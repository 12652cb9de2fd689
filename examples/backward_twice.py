"""Exercise 2: run the backward function twice.

Chapter: "Exercises", question 2 ("run backward again right after running
it"). PyTorch answers with "Trying to backward through the graph a second
time" and TensorFlow's non-persistent tape refuses a second `gradient()`,
because both free the recorded graph after the first backward pass.

`srcgrad.vjp(fun, *args)` runs the primal once and returns
`(value, pullback)`. The values the pullback needs are kept by the pullback
itself, not in a shared graph, so it can be called any number of times, with
any cotangent.
"""
import numpy as np

import srcgrad


def two_dot(x):
    return 2 * np.dot(x, x)


def square(x):
    return x * x


def main():
    x = np.arange(4.0)

    y, pullback = srcgrad.vjp(two_dot, x)
    first = pullback(1.0)
    second = pullback(1.0)
    print("y =", y)
    print("first backward  =", first)
    print("second backward =", second)
    np.testing.assert_allclose(y, 28.0)
    np.testing.assert_allclose(first, [0.0, 4.0, 8.0, 12.0])
    np.testing.assert_allclose(second, first)
    # Nothing accumulates: a cotangent of 2 doubles the gradient, once.
    np.testing.assert_allclose(pullback(2.0), 2 * first)
    np.testing.assert_allclose(first, [0.0, 4.0, 8.0, 12.0])

    # A non-scalar output takes a cotangent of its own shape: v -> 2 x v.
    y, pullback = srcgrad.vjp(square, x)
    v = np.array([1.0, 0.5, -1.0, 2.0])
    print("pullback(ones) =", pullback(np.ones(4)), " pullback(v) =", pullback(v))
    np.testing.assert_allclose(pullback(np.ones(4)), 2 * x)
    np.testing.assert_allclose(pullback(v), 2 * x * v)


if __name__ == "__main__":
    main()
