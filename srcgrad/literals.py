"""The text of constants and f-strings that means what the tree holds.

astor writes numbers with its _handle_numeric_constant and other constants as their
repr, and an f-string by quoting a text its fields are written into; `codegen`'s
printer and `printer.Printer` write these texts instead where astor's would mean
another value (tests/test_printing_semantics.py: CPython compiling the tree itself is
the oracle).
"""
import ast
import copy
import math
import sys

import numpy as np


NUMBERS = (int, float, complex, np.generic)  # (np.generic: NumPy's scalars)


def number_text(value):
    """The text of a number: astor's (its _handle_numeric_constant: inf as 1e1000,
    nan as (1e1000-1e1000), a complex with a real part in parentheses), but where
    astor's text would mean another value. A complex number whose real part is a
    zero of the other sign than `1j` or `-1j` gives it, or whose imaginary part is
    -0.0 beside a nonzero real part, is a call of complex (`(0j).__class__`: no name
    a module may rebind); a NumPy scalar (optimize may fold into a constant what a
    NumPy operation gave) is a call of its NumPy type, `__import__('numpy')` (astor
    wrote its repr `np.float64(1.5)`, which reads whatever `np` is in the generated
    function's module, or `np.float64(1.0)j` for a complex one)."""
    if value.__class__ is int or value.__class__ is bool:  # (the common case)
        return repr(value)
    if isinstance(value, np.generic):
        return _numpy_text(value)

    def part(p, imaginary):
        s = "j" if imaginary else ""
        try:
            if math.isinf(p):
                return ("-1e1000" if p < 0 else "1e1000") + s
            if math.isnan(p):
                return "(1e1000%s-1e1000%s)" % (s, s)
        except OverflowError:  # an int too large for a float
            pass
        return repr(p) + s

    if not isinstance(value, complex):
        return part(value, False)
    real, imag = part(value.real, False), part(value.imag, True)
    # `Yj` is complex(0.0, Y), `-Yj` complex(-0.0, -Y); `(X+0j)` has +0.0 for imag
    if value.real == 0 and (math.copysign(1, value.real) < 0) == imag.startswith("-"):
        return imag
    if value.real != 0 and value.imag == 0 and math.copysign(1, value.imag) > 0:
        return "(%s+0j)" % real
    if value.real == 0 or value.imag == 0:
        return "(0j).__class__(%s, %s)" % (real, part(value.imag, False))
    return "(%s%s%s)" % (real, "" if imag.startswith("-") else "+", imag)


def _numpy_text(value):
    """`__import__('numpy').float32(0.5)`: NumPy's scalar `value` of its own type."""
    cls = value.__class__
    if getattr(np, cls.__name__, None) is not cls:
        raise TypeError(f"srcgrad cannot print the constant {value!r}")
    head = "__import__('numpy')." + cls.__name__
    item = value.item()
    if item.__class__ in (int, float, complex, bool):  # (exact: NumPy's own value)
        return head + "(" + number_text(item) + ")"
    if item.__class__ in (str, bytes):
        return head + "(" + repr(item) + ")"
    # a longdouble: its str is the shortest text NumPy reads back as the same value
    text = head + "(" + repr(str(value)) + ")"
    back = eval(text, {"__builtins__": {"__import__": __import__}})  # (only NumPy)
    if not all(a == b and np.signbit(a) == np.signbit(b) or a != a and b != b
               for a, b in ((back.real, value.real), (back.imag, value.imag))):
        raise TypeError(f"srcgrad cannot print the constant {value!r}")
    return text


def tuple_text(value):
    """The text of a tuple constant: its repr, but with its elements' texts (a float
    infinity's repr is the name `inf`)."""
    parts = []
    for v in value:
        if isinstance(v, NUMBERS):
            parts.append(number_text(v))
        elif v.__class__ is tuple:
            parts.append(tuple_text(v))
        elif v is Ellipsis:
            parts.append("...")
        else:
            parts.append(repr(v))
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def format_pieces(joined):
    """[(str.format template, its fields)]: one template for each field of f-string
    `joined` (with the text before it; the text after the last is the last's), whose
    sum is the f-string's value. Fields: the expression, then those of its spec."""
    pieces, text = [], []
    for value in joined.values:
        if isinstance(value, ast.FormattedValue):
            fields = []
            pieces.append(("".join(text) + _format_field(value, fields), fields))
            text = []
        else:
            text.append(value.value.replace("{", "{{").replace("}", "}}"))
    if text or not pieces:
        if pieces:
            template, fields = pieces.pop()
            pieces.append((template + "".join(text), fields))
        else:
            pieces.append(("".join(text).replace("{{", "{").replace("}}", "}"), []))
    return pieces


def _format_field(value, fields):
    fields.append(value.value)
    text = "{"
    if value.conversion != -1:
        text += "!" + chr(value.conversion)
    if value.format_spec is not None:
        text += ":"
        for part in value.format_spec.values:
            if isinstance(part, ast.FormattedValue):
                text += _format_field(part, fields)
            else:
                text += part.value.replace("{", "{{").replace("}", "}}")
    return text + "}"


def reads_back(joined, text):
    """Whether `text` parses to f-string `joined` (literal parts merged, a negative
    number written as a minus sign on a literal)."""
    try:
        parsed = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return False
    return _fstring_dump(parsed) == _fstring_dump(joined)


def _fstring_dump(node):
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if isinstance(sub, ast.JoinedStr):
            values = []
            for v in sub.values:
                if isinstance(v, ast.Constant) and values and \
                        isinstance(values[-1], ast.Constant):
                    values[-1] = ast.Constant(values[-1].value + v.value)
                elif not (isinstance(v, ast.Constant) and v.value == ""):
                    values.append(v)
            sub.values = values
        for field, value in ast.iter_fields(sub):
            if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub) and \
                    isinstance(value.operand, ast.Constant) and \
                    isinstance(value.operand.value, (int, float, complex)):
                setattr(sub, field, ast.Constant(-value.operand.value))
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant):
            sub.kind = None
    return ast.dump(node, **_DUMP_ALL)


# From 3.13 ast.dump leaves out empty fields by testing `value == []`, which raises for
# a NumPy constant (NumPy 2.5): show every field (both dumps compared alike)
_DUMP_ALL = {"show_empty": True} if sys.version_info >= (3, 13) else {}
