"""A value srcgrad learns only at run time and cannot differentiate (a complex input
to a rule that orders values, a list gradient of the wrong length...) raises a
RuntimeRefusal that names the user's file and line, through grad, value_and_grad and
vjp alike."""
import numpy as np
import pytest

import srcgrad
from srcgrad.errors import RuntimeRefusal
from reference import build

SRC = """
def f(z):
    w = z * 2.0
    m = np.maximum(w, 0.5)
    return np.sum(np.abs(m))
"""
Z = np.array([1.0 + 2.0j, -0.5 + 0.1j])


def _check(exc, filename):
    assert exc.filename == filename
    assert exc.lineno == 4  # the line of np.maximum in SRC
    assert "np.maximum" in str(exc) and "line 4" in str(exc)


@pytest.mark.parametrize("mode", ["grad", "value_and_grad"])
def test_runtime_refusal_names_the_users_line(mode):
    f = build(SRC, "f", filename="<located-refusal-%s>" % mode)
    with pytest.raises(RuntimeRefusal) as info:
        getattr(srcgrad, mode)(f)(Z)
    _check(info.value, "<located-refusal-%s>" % mode)


def test_runtime_refusal_in_a_pullback_names_the_users_line():
    f = build(SRC, "f", filename="<located-refusal-vjp>")
    _, pullback = srcgrad.vjp(f, Z)
    with pytest.raises(RuntimeRefusal) as info:
        pullback(1.0)
    _check(info.value, "<located-refusal-vjp>")
