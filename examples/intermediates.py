"""Gradients of and with respect to intermediate values.

Chapter: TensorFlow tutorial "Automatic differentiation and gradient tape",
section "Gradient tapes": x = ones((2, 2)), y = reduce_sum(x), z = y * y;
dz/dx = 8 everywhere and, using the intermediate y, dz/dy = 8.

srcgrad names intermediates by their local variable name:
- `of="y"` differentiates the local y instead of the return value;
- `wrt="y"` gives d(output)/d(y) for the intermediate y;
- `of=1` picks element 1 of a returned tuple.
A name given to `of`/`wrt` must be assigned exactly once in the function,
otherwise "the value of y" is ambiguous and srcgrad raises SrcgradError.
"""
import numpy as np

import srcgrad


def sum_squared(x):
    y = np.sum(x)
    z = y * y
    return z


def reassigned(x):
    """y is assigned twice: which y would `of="y"` mean?"""
    y = x * 2
    y = y * y
    return y


def square_and_cube(x):
    return x * x, x * x * x


def refused(fun, x, **options):
    """Return the SrcgradError that srcgrad raises for these options, or None."""
    try:
        srcgrad.grad(fun, **options)(x)
    except srcgrad.SrcgradError as error:
        return error
    return None


def main():
    x = np.ones((2, 2))

    dz_dx = srcgrad.grad(sum_squared)(x)
    print("dz/dx =\n", dz_dx)
    np.testing.assert_allclose(dz_dx, np.full((2, 2), 8.0))

    dz_dy = srcgrad.grad(sum_squared, wrt="y")(x)
    print("dz/dy =", dz_dy)
    np.testing.assert_allclose(dz_dy, 8.0)

    dy_dx = srcgrad.grad(sum_squared, of="y")(x)
    print("dy/dx =\n", dy_dx)
    np.testing.assert_allclose(dy_dx, np.ones((2, 2)))

    # of=int: one element of a returned tuple.
    print("d(x*x)/dx   at 3 =", srcgrad.grad(square_and_cube, of=0)(3.0))
    print("d(x*x*x)/dx at 3 =", srcgrad.grad(square_and_cube, of=1)(3.0))
    np.testing.assert_allclose(srcgrad.grad(square_and_cube, of=0)(3.0), 6.0)
    np.testing.assert_allclose(srcgrad.grad(square_and_cube, of=1)(3.0), 27.0)

    # Names that are not assigned exactly once are refused.
    for fun, options in [
        (reassigned, {"of": "y"}),
        (reassigned, {"wrt": "y"}),
        (sum_squared, {"of": "w"}),
    ]:
        error = refused(fun, x, **options)
        print(f"grad({fun.__name__}, {options}) -> SrcgradError: {error}")
        assert isinstance(error, srcgrad.SrcgradError), (fun.__name__, options)


if __name__ == "__main__":
    main()
