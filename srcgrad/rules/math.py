"""Rules for the `math` module: the Python-float path (transforms/scalars.py) emits
math.sin for np.sin on Python floats, and users call math directly; both are
differentiated again for higher order. The derivatives are the real ones (math has no
complex numbers)."""
import math

import numpy as np  # noqa: F401  (templates call it)

from ..runtime import unbroadcast  # noqa: F401  (binary rules' adjoints call it)
from .shorthand import binary, elementwise, linear

elementwise(math.sin, "g * math.cos(x)")
elementwise(math.cos, "-g * math.sin(x)")
elementwise(math.tan, "g * (1.0 + y * y)")
elementwise(math.asin, "g / math.sqrt(1.0 - x * x)")
elementwise(math.acos, "-g / math.sqrt(1.0 - x * x)")
elementwise(math.atan, "g / (1.0 + x * x)")
elementwise(math.sinh, "g * math.cosh(x)")
elementwise(math.cosh, "g * math.sinh(x)")
elementwise(math.tanh, "g * (1.0 - y * y)")
elementwise(math.asinh, "g / math.sqrt(x * x + 1.0)")
elementwise(math.acosh, "g / math.sqrt(x * x - 1.0)")
elementwise(math.atanh, "g / (1.0 - x * x)")
elementwise(math.exp, "g * y")
elementwise(math.expm1, "g * (y + 1.0)")
elementwise(math.log, "g / x")  # one argument only: math.log(x, base) is refused
elementwise(math.log1p, "g / (1.0 + x)")
elementwise(math.log2, "g / (x * math.log(2.0))")
elementwise(math.log10, "g / (x * math.log(10.0))")
elementwise(math.sqrt, "g * 0.5 / y")
elementwise(math.fabs, "g * np.sign(x)")
elementwise(math.erf, "g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)")
elementwise(math.erfc, "-g * (2.0 / math.sqrt(math.pi)) * math.exp(-x * x)")
linear(math.radians, "g * (math.pi / 180.0)")
linear(math.degrees, "g * (180.0 / math.pi)")
binary(math.atan2, "g * y / (x * x + y * y)", "-g * x / (x * x + y * y)")
binary(math.hypot, "g * x / z", "g * y / z")  # two arguments only
binary(math.pow, "g * y * x ** np.where(y, y - 1, 1.0)", "g * np.log(np.where(x, x, 1.0)) * z")
