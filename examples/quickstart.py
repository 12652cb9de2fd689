"""Quick start: the chapter's first example, y = 2 x.x, differentiated by srcgrad.

Run:  python examples/quickstart.py
"""
import numpy as np

import srcgrad


def f(x):
    return 2 * np.dot(x, x)


def main():
    x = np.arange(4.0)
    df = srcgrad.grad(f)
    print("x        =", x)
    print("f(x)     =", f(x))
    print("df/dx    =", df(x))  # [ 0.  4.  8. 12.] = 4x
    np.testing.assert_allclose(df(x), 4 * x)
    print()
    print("The adjoint srcgrad generated for f and this x (exactly the code that runs):")
    print(srcgrad.show(f, args=(x,)))


if __name__ == "__main__":
    main()
