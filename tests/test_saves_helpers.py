"""Helpers of save planning (srcgrad/transforms/saves.py): which names each body
assigns, and which restores the adjoint sweep reads."""
import gast

from srcgrad.transforms.markers import RestoreMarker
from srcgrad.transforms.saves import assignments, read_restores

BODY = """
a = p
b = a
a = b
if c:
    b = a
for i in r:
    d = i
"""


def test_assignments_counts_and_first_definitions():
    body = gast.parse(BODY).body
    counts, first = assignments(body, ["p"])
    assert counts == {"a": 2, "b": 2, "d": 1, "i": 1}
    # a and b are first defined at the top level; the later ones overwrite a value
    assert first == {(id(body[0]), "a"), (id(body[1]), "b")}


def test_read_restores_keeps_the_ones_read_later():
    # in the adjoint sweep's order: a is restored, then read; b restored, not read
    use_a = gast.parse("g = a").body[0]
    adjoint = [RestoreMarker(2, "a"), use_a, RestoreMarker(1, "b")]
    assert read_restores(adjoint, set()) == {(2, "a")}
    assert read_restores(adjoint, {"b"}) == {(1, "b"), (2, "a")}  # b read after the end
