"""Detaching computation: srcgrad.stop_gradient.

Chapter: 2.5.3 "Detaching computation".

u has the value of y = x * x, but gradients do not flow back through it, so
z = u * x differentiates as (constant u) * x: dz/dx = u, not 3x^2.
Because one function holds y, u and z, `of="y"` differentiates y from the same
function (the chapter needs a persistent tape for that).
"""
import numpy as np

import srcgrad


def detached(x):
    y = x * x
    u = srcgrad.stop_gradient(y)
    z = u * x
    return z


def attached(x):
    """Without stop_gradient, for contrast: z = x^3."""
    y = x * x
    z = y * x
    return z


def main():
    x = np.arange(4.0)
    u = x * x
    dz_dx = srcgrad.grad(detached)(x)
    print("x               =", x)
    print("u               =", u)
    print("dz/dx           =", dz_dx)
    print("dz/dx == u      :", dz_dx == u)
    np.testing.assert_allclose(dz_dx, u)

    dy_dx = srcgrad.grad(detached, of="y")(x)
    print("dy/dx           =", dy_dx)
    print("dy/dx == 2 * x  :", dy_dx == 2 * x)
    np.testing.assert_allclose(dy_dx, 2 * x)

    # Without the detach the gradient is that of x^3.
    full = srcgrad.grad(attached)(x)
    print("without detach  =", full, "(3x^2)")
    np.testing.assert_allclose(full, 3 * x * x)


if __name__ == "__main__":
    main()
