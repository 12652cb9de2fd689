"""Gradients through Python control flow whose path depends on the data.

Chapter: 2.5.4 / "Computing the gradient of Python control flow", 2.3.3,
Exercise 3 (a random vector or matrix a), Exercise 4 (design your own
control-flow example), and the TensorFlow tutorial's "Recording control flow".

srcgrad compiles the `while` and `if` into an adjoint that records how many
times the loop ran and which branch was taken, then replays them backwards.
"""
import numpy as np

import srcgrad


def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def tutorial_f(x, y):
    """The TensorFlow tutorial's loop: multiplies by x for i = 2, 3, 4 only."""
    output = 1.0
    for i in range(y):
        if 1 < i < 5:
            output = output * x
    return output


def forward(x, y):
    """Exercise 4: a branch chosen by the data, differentiated wrt both inputs."""
    if np.sum(x) > 0:
        output = x * y
    else:
        output = x + y
    return output


def check_scalar(a):
    d = f(a)
    d_grad = srcgrad.grad(f)(a)
    print(f"a = {a:+.6f}: f(a) = {d:+.6g}, df/da = {d_grad:.6g}, f(a)/a = {d / a:.6g}")
    np.testing.assert_allclose(d_grad, d / a)
    return d_grad


def check_array(a):
    """f(a) = k * a with one scalar k, so the gradient of sum(f(a)) is k everywhere.

    Hence grad == f(a) / a elementwise wherever a != 0. Where a == 0, f(a) / a is
    0 / 0 = nan while the gradient is still k: the chapter's check does not hold
    there, the gradient does. (Comparing with `==` can also fail by one rounding
    in the `100 * b` branch, which is why this compares with a tolerance.)
    """
    d = f(a)
    d_grad = srcgrad.grad(f)(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = d / a
    k = d_grad.flat[0]
    nonzero = a != 0
    print(f"a with shape {a.shape}: k = {k:.6g}")
    print("  df/da  =", d_grad.ravel())
    print("  f(a)/a =", ratio.ravel())
    assert d_grad.shape == a.shape
    np.testing.assert_allclose(d_grad, np.full(a.shape, k))
    np.testing.assert_allclose(d_grad[nonzero], ratio[nonzero])
    if not nonzero.all():
        print("  where a == 0, f(a)/a is nan but df/da is still k")
        assert np.isnan(ratio[~nonzero]).all()
    return d_grad


def main():
    # Exact values: 0.5 doubles up to 1024 = 2048 * 0.5; -0.5 also takes the else branch.
    np.testing.assert_allclose(check_scalar(0.5), 2048.0)
    np.testing.assert_allclose(check_scalar(-0.5), 204800.0)

    rng = np.random.default_rng(0)
    check_scalar(float(rng.standard_normal()))   # 2.5.4: a random scalar
    check_array(rng.standard_normal((1, 1)))     # 2.3.3: a random (1, 1) matrix
    check_array(rng.standard_normal(3))          # exercise 3: a random vector
    check_array(rng.standard_normal((3, 1)))     # exercise 3: a column, as in the notes
    check_array(rng.standard_normal((2, 3)))     # exercise 3: a random matrix
    check_array(np.array([0.0, 1.5, -0.25]))     # where the f(a)/a check breaks down

    # The TensorFlow tutorial: d/dx at x = 2 for y = 6, 5 and 4.
    dtf = srcgrad.grad(tutorial_f)
    for y, expected in [(6, 12.0), (5, 12.0), (4, 4.0)]:
        print(f"tutorial f: y = {y}, df/dx at x = 2.0 is {dtf(2.0, y)}")
        np.testing.assert_allclose(dtf(2.0, y), expected)

    # Exercise 4, taking the product branch: the gradients are y and x.
    x = np.array([1.0, -2.0, 3.0])
    y = np.array([0.5, 1.0, -0.5])
    dx, dy = srcgrad.grad(forward, wrt=(0, 1))(x, y)
    print("exercise 4: dx =", dx, " dy =", dy)
    np.testing.assert_allclose(dx, [0.5, 1.0, -0.5])
    np.testing.assert_allclose(dy, [1.0, -2.0, 3.0])
    # ... and the sum branch when sum(x) <= 0: both gradients are ones.
    dx, dy = srcgrad.grad(forward, wrt=(0, 1))(-x, y)
    np.testing.assert_allclose(dx, np.ones(3))
    np.testing.assert_allclose(dy, np.ones(3))


if __name__ == "__main__":
    main()
