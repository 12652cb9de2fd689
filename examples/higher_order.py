"""Higher-order derivatives: srcgrad.grad(srcgrad.grad(f)).

Chapter: TensorFlow tutorial "Higher-order gradients" (y = x * x * x at x = 1:
dy/dx = 3, d2y/dx2 = 6) and Exercise 1 ("why does a second derivative cost
more than a first?").

The gradient srcgrad emits is ordinary Python source, so srcgrad can read and
differentiate it again, as many times as wanted, through branches and loops.
"""
import numpy as np

import srcgrad


def cube(x):
    return x * x * x


def branchy(x):
    if x > 0:
        y = x * x * x
    else:
        y = -x * x
    return y


def power(x, n):
    """x ** n as a loop with a run-time trip count."""
    y = 1.0
    for i in range(n):
        y = y * x
    return y


def main():
    d1 = srcgrad.grad(cube)
    d2 = srcgrad.grad(d1)
    d3 = srcgrad.grad(d2)
    print("y = x * x * x at x = 1: dy/dx =", d1(1.0), " d2y/dx2 =", d2(1.0), " d3y/dx3 =", d3(1.0))
    np.testing.assert_allclose(d1(1.0), 3.0)
    np.testing.assert_allclose(d2(1.0), 6.0)
    np.testing.assert_allclose(d3(1.0), 6.0)

    # Through a branch: x^3 for x > 0 (f'' = 6x), -x^2 otherwise (f'' = -2).
    b2 = srcgrad.grad(srcgrad.grad(branchy))
    print("branchy: f''(1) =", b2(1.0), " f''(-1) =", b2(-1.0))
    np.testing.assert_allclose(b2(1.0), 6.0)
    np.testing.assert_allclose(b2(-1.0), -2.0)

    # Through a loop: x^4 at x = 2 gives 4x^3 = 32 and 12x^2 = 48.
    p1 = srcgrad.grad(power)
    p2 = srcgrad.grad(p1)
    print("power(x, 4) at x = 2: first =", p1(2.0, 4), " second =", p2(2.0, 4))
    np.testing.assert_allclose(p1(2.0, 4), 32.0)
    np.testing.assert_allclose(p2(2.0, 4), 48.0)

    # Exercise 1: the second-order adjoint differentiates the whole first-order
    # adjoint (forward sweep and backward sweep), so it is longer and runs more.
    first = srcgrad.show(cube)
    second = srcgrad.show(d1)
    print(f"generated lines: first order {len(first.splitlines())}, "
          f"second order {len(second.splitlines())}")


if __name__ == "__main__":
    main()
