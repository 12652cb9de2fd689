"""Exercise 5: plot f(x) = sin(x) and df/dx without using f'(x) = cos(x).

One vectorized call: f returns sin(x) elementwise, srcgrad differentiates the
sum of that output, and d(sum(sin(x)))/dx_i = cos(x_i), so one gradient
evaluation over the whole grid gives the derivative at every point.

Run:  python examples/plot_sin.py [--out sin.png]
Plotting needs matplotlib (the optional `examples` extra); without it the
script still computes and checks the derivative.
"""
import argparse

import numpy as np

import srcgrad


def f(x):
    return np.sin(x)


def derivative_on_grid(n=100):
    """Grid on [-3 pi, 3 pi], f on it, and df/dx from srcgrad."""
    x = np.linspace(-3 * np.pi, 3 * np.pi, n)
    return x, f(x), srcgrad.grad(f)(x)


def plot(x, y, dy, path):
    """Write the plot to path; return False if matplotlib is not installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(x, y, label="f(x) = sin(x)")
    ax.plot(x, dy, "--", label="df/dx (srcgrad)")
    ax.set_xlabel("x")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="sin.png", help="PNG file to write")
    args = parser.parse_args(argv)

    x, y, dy = derivative_on_grid()
    error = np.max(np.abs(dy - np.cos(x)))
    print(f"max |df/dx - cos(x)| over {x.size} points: {error:.3g}")
    np.testing.assert_allclose(dy, np.cos(x), rtol=1e-12, atol=1e-12)

    if plot(x, y, dy, args.out):
        print("wrote", args.out)
    else:
        print("matplotlib is not installed (pip install srcgrad[examples]); skipped the plot")


if __name__ == "__main__":
    main()
