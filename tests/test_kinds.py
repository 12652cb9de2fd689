"""kinds.infer_kinds gives the same kinds whether it reads the statements' names from
a shared NameSets or walks the values itself."""
import textwrap

import gast
import pytest

from srcgrad.transforms.kinds import infer_kinds
from srcgrad.transforms.namesets import NameSets
from srcgrad.treewalk import name_nodes


def _kind_of(value, env):
    """'int' for integer constants and names of kind 'int', 'float' where a float
    constant or a 'float' name takes part; None where any name has no kind."""
    kinds = set()
    for n in name_nodes(value):
        if isinstance(n.ctx, gast.Load):
            if n.id not in env:
                return None
            kinds.add(env[n.id])
    for node in gast.walk(value):
        if isinstance(node, gast.Constant):
            kinds.add("float" if isinstance(node.value, float) else "int")
    return "float" if "float" in kinds else "int" if kinds else None


PROGRAMS = [
    """
    def f(x):
        a = x + 1
        b = a * 2.0
        c = b
        return c
    """,
    """
    def f(x, n):
        s = 0
        for i in range(n):
            s = t + 1
            t = s * 2
        t = 1
        return s
    """,
    """
    def f(x):
        a = 1
        a += x
        y = x
        y[0] = a
        b, c = y
        d = b + c
        e = 2
        e += 1.5
        return d
    """,
    """
    def f(x):
        u = v
        v = u
        w = x
        return w
    """,
]


@pytest.mark.parametrize("source", PROGRAMS)
def test_infer_kinds_reads_the_same_names_from_a_nameset(source):
    func = gast.parse(textwrap.dedent(source)).body[0]
    for env in ({"x": "int", "n": "int"}, {"x": "float"}, {}):
        alone = infer_kinds(func, env, _kind_of)
        shared = infer_kinds(func, env, _kind_of, names=NameSets())
        assert shared == alone
    assert infer_kinds(func, {"x": "int"}, _kind_of)  # the cases are not all empty
