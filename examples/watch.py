"""Choosing what to differentiate: `wrt` plays the part of the tape's `watch`.

Chapter: the introduction of 2.3 ("GradientTape watches trainable variables;
use tape.watch() for constants") and 2.3.1's `t.watch(x)`.

srcgrad has no variables to watch: every argument is a plain value, and `wrt`
(positions or parameter names) says which ones get a gradient. Any float or
float-array argument may be chosen. Integer, bool and str arguments (a loop
count, a flag, a label) have no derivative; naming one in `wrt` is refused
with SrcgradError rather than answered with a silent zero.
"""
import numpy as np

import srcgrad


def model(w, x, n, flip, name):
    """(w.x)^n, negated if flip; `name` only labels the run."""
    y = np.dot(w, x)
    out = 1.0
    for i in range(n):
        out = out * y
    if flip:
        out = -out
    return out


def main():
    w = np.array([1.0, 2.0])
    x = np.array([0.5, -1.0])
    args = (w, x, 3, False, "demo")
    y = np.dot(w, x)  # -1.5

    dw = srcgrad.grad(model)(*args)
    print("wrt=0 (w):        ", dw)
    np.testing.assert_allclose(dw, 3 * y**2 * x)

    dw, dx = srcgrad.grad(model, wrt=("w", "x"))(*args)
    print("wrt=('w', 'x'):   ", dw, dx)
    np.testing.assert_allclose(dw, 3 * y**2 * x)
    np.testing.assert_allclose(dx, 3 * y**2 * w)

    dx = srcgrad.grad(model, wrt=1)(w, x, 3, True, "demo")
    print("wrt=1, flip=True: ", dx)
    np.testing.assert_allclose(dx, -3 * y**2 * w)

    for wrt in ["n", "flip", "name", 2]:
        try:
            srcgrad.grad(model, wrt=wrt)(*args)
        except srcgrad.SrcgradError as error:
            print(f"wrt={wrt!r} refused: {error}")
        else:
            raise AssertionError(f"wrt={wrt!r} should be refused")


if __name__ == "__main__":
    main()
