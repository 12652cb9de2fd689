"""Randomized whole-program tests of the wide grammar (tests/wide_programs.py) and of every
registered rule on every kind of shape (tests/rule_cases.py).

Program k is drawn from a numpy Generator seeded with k, so the run is deterministic and
a failure names the program to rerun (`-k "wide_program and [k]"`). The oracle
(tests/wide_oracle.py): grad, value_and_grad and vjp, for a random wrt form, give the
reference gradient (autograd, or central finite differences where autograd cannot run
the program) or raise a SrcgradError; any other exception, a wrong number, a gradient of
the wrong type, structure, shape or dtype, or a mutated argument or result fails.
SRCGRAD_RANDOM_SCALE=N runs N times as many programs; tests/census.py counts outcomes.
"""
import os

import numpy as np
import pytest

import srcgrad
import srcgrad.runtime as rt
import wide_oracle
from rule_cases import CASES, sample
from srcgrad.rules import registry
from wide_oracle import FAILURES, Skip, build_module, finite_differences, mismatch, rebuild

pytestmark = pytest.mark.filterwarnings("ignore")
SCALE = float(os.environ.get("SRCGRAD_RANDOM_SCALE", "1"))
PROGRAMS = max(1, int(150 * SCALE))


@pytest.mark.parametrize("seed", range(PROGRAMS))
def test_wide_program(seed):
    try:
        outcome = wide_oracle.run(seed)
    except Skip as why:
        pytest.skip(str(why))
    assert outcome.kind not in FAILURES, outcome.report()


# -- every registered rule on every shape -------------------------------------------------
def _label(shape):
    return "float" if shape == "float" else "x".join(map(str, shape)) or "0d"


def _rule_cases():
    for prim, call, arity, domain, shapes in CASES:
        name = prim if isinstance(prim, str) else \
            f"{getattr(prim, '__module__', '') or ''}.{prim.__name__}".lstrip(".")
        for shape in shapes:
            shape = shape if arity == 2 else (shape,)
            yield pytest.param(call, domain, shape,
                               id=f"{name}:{call}:{'-'.join(map(_label, shape))}")


@pytest.mark.parametrize("call, domain, shapes", list(_rule_cases()))
def test_rule_on_shape(call, domain, shapes):
    params = ["a", "b"][:len(shapes)]
    src = (f"import math\n\nimport numpy as np\n\n\ndef f({', '.join(params)}):\n"
           f"    return {call}\n")
    f = build_module(src)["f"]
    rng = np.random.default_rng(abs(hash((call, str(shapes)))) % 2 ** 32)
    args = [sample(s, domain, rng) for s in shapes]
    with np.errstate(all="ignore"):
        out = f(*args)
    positions = tuple(range(len(args)))
    wrt = positions if len(args) > 1 else 0   # the 1-tuple forms are the wide test's
    fine = [finite_differences(f, args, p, None, 1e-6) for p in positions]
    coarse = [finite_differences(f, args, p, None, 1e-4) for p in positions]
    scale = max([1.0] + [abs(v) for g in fine for v in g])
    if not all(np.allclose(a, b, rtol=1e-3, atol=1e-5 * scale) for a, b in zip(fine, coarse)):
        pytest.skip("near a kink")
    expected = [rebuild(args[p], iter(g)) for p, g in zip(positions, fine)]
    for api in ("grad", "value_and_grad", "vjp"):
        try:
            if api == "grad":
                got = srcgrad.grad(f, wrt=wrt)(*args)
            elif api == "value_and_grad":
                value, got = srcgrad.value_and_grad(f, wrt=wrt)(*args)
                assert np.shape(value) == np.shape(out) and np.allclose(value, out)
            else:
                value, pullback = srcgrad.vjp(f, *args, wrt=wrt)
                got = pullback(np.ones(np.shape(out)) if np.ndim(out) else 1.0)
        except srcgrad.SrcgradError:
            continue
        if wrt == 0:
            got = (got,)
        assert isinstance(got, tuple) and len(got) == len(args), (api, got)
        for g, e, a in zip(got, expected, args):
            why = mismatch(g, e, a, 1e-5, 1e-6 * scale)
            assert why is None, f"{api}: {why}\n{src}args={args!r}"


def test_rule_cases_cover_the_registry():
    """Every rule users can reach is in rule_cases.CASES (add a new rule's cases there)."""
    listed = {registry._key(prim) for prim, *_ in CASES}
    helpers = {id(getattr(rt, name)) for name in dir(rt)}
    builtin = {registry._key(p) for p, _ in registry.registered(builtin_only=True)}
    missing = [key for key in builtin if key not in listed and key not in helpers]
    named = {registry._key(p): p for p in registry._keepalive}
    assert not missing, [getattr(named.get(k), "__name__", k) for k in missing]
