"""NameSets (srcgrad/transforms/namesets.py) answers what syntax.load_names and
syntax.store_names answer, for each statement, from one walk kept per statement."""
import gast

from srcgrad.transforms.markers import RestoreMarker, SaveMarker
from srcgrad.transforms.namesets import NameSets
from srcgrad.transforms.syntax import load_names, store_names

SOURCE = """
a = b + c
x[i] = f(y, k=z)
p, q = r
s += t
u.v = w
g = lambda m: m + n
for e in range(h):
    o[e] = e * j
if cond:
    l2 = l1
"""


def test_same_names_as_load_and_store_names():
    names = NameSets()
    for st in gast.parse(SOURCE).body:
        read, written = names.of(st)
        assert read == load_names(st)
        assert written == store_names(st)
        stored = {n.id for n in gast.walk(st)
                  if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        assert names.stored(st) == stored


def test_arrays_written_into():
    names = NameSets()
    body = gast.parse(SOURCE).body
    assert names.written_into(body[1]) == {"x"}
    assert names.written_into(body[0]) == set()
    assert names.written_into(body[6]) == {"o"}  # nested in the loop


def test_lambda_parameters_are_written_not_stored():
    (st,) = gast.parse("g = lambda m: m + n").body
    names = NameSets()
    assert "m" in names.of(st)[1] and "m" not in names.stored(st)


def test_kept_per_statement_and_markers_have_none():
    names = NameSets()
    (st,) = gast.parse("a = b").body
    assert names.of(st) is not None and names.of(st)[0] is names.of(st)[0]
    for marker in (RestoreMarker(1, "a"), SaveMarker(1, ["a"], 0)):
        assert names.of(marker) == (set(), set())
        assert not names.written_into(marker)


def test_names_in_a_parameter_annotation_and_nested_functions():
    (st,) = gast.parse("def h(m: T = dflt) -> R:\n    return m + k\n").body
    read, written = NameSets().of(st)
    assert read == load_names(st) and written == store_names(st)
    assert {"T", "dflt", "R", "k", "m"} <= read


def test_changed_names():
    names = NameSets()
    body = gast.parse(SOURCE).body
    assert names.changed(body[0]) == {"a"}
    assert names.changed(body[1]) == {"x"}  # the array written into
    assert names.changed(body[6]) == {"e", "o"}
