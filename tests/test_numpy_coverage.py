"""NumPy's public callables are each exactly one of: a rule, non-differentiable, or
refused. Run with -s to see the counts."""
import collections

import numpy as np

from srcgrad import rules
from srcgrad.resolve import classify


def _public(namespace, prefix):
    for name in sorted(dir(namespace)):
        if name.startswith("_"):
            continue
        try:
            obj = getattr(namespace, name)
        except AttributeError:  # deprecated aliases that raise on access
            continue
        if callable(obj):
            yield prefix + name, obj


def _callables():
    yield from _public(np, "np.")
    yield from _public(np.linalg, "np.linalg.")
    yield from _public(np.fft, "np.fft.")
    for name in sorted(dir(np.ndarray)):
        if not name.startswith("_"):
            yield "ndarray." + name, "ndarray." + name  # methods are keyed by name


ITEMS = list(_callables())


def _kinds():
    return {label: classify(obj, label).kind for label, obj in ITEMS}


def test_no_callable_is_both_ruled_and_nondifferentiable():
    both = [label for label, obj in ITEMS
            if rules.lookup(obj) is not None and rules.is_nondifferentiable(obj)]
    assert not both


def test_counts():
    counts = collections.Counter(
        {"rule": "rule", "nondiff": "nondiff", "user": "user"}.get(kind, "refused")
        for kind in _kinds().values())
    print(f"\nNumPy public callables: {len(ITEMS)}; with a rule: {counts['rule']}, "
          f"non-differentiable: {counts['nondiff']}, refused: {counts['refused']}, "
          f"read as Python source (should be refused): {counts['user']}")
    assert sum(counts.values()) == len(ITEMS) and counts["rule"] and counts["nondiff"]


def test_every_callable_is_ruled_nondifferentiable_or_refused():
    # 'user' would mean srcgrad reads NumPy's own source instead of refusing
    others = sorted(label for label, kind in _kinds().items()
                    if kind not in ("rule", "nondiff", "unknown"))
    assert not others, others
