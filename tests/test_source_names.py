"""FunctionSource.names: the identifiers of a function's source and the names it
assigns, as Namer.for_tree and a walk for Store contexts find them; and
FunctionSource.working_copy: what copy_tree of its tree gives."""
import linecache

import gast

from srcgrad import source
from srcgrad.naming import Namer
from srcgrad.treewalk import walk

TEXT = '''\
import os.path as osp
def f(x, *args, k=1, **kw):
    import numpy.linalg
    from math import sin as s, cos
    y = x + k
    a, (b, c) = y, (x, y)
    for i in range(3):
        y = y * i
        if y:
            z = [w for w in args]
    while y:
        y = y - 1
    else:
        q = 2
    try:
        pass
    except ValueError as err:
        r = err
    def g(u):
        return u + v
    class C:
        attr = 1
    lam = lambda t: t * y
    return y
'''


def _function():
    filename = "<srcgrad-test-source-names>"
    linecache.cache[filename] = (len(TEXT), None, TEXT.splitlines(True), filename)
    scope = {}
    exec(compile(TEXT, filename, "exec"), scope)
    return scope["f"]


def test_names_are_those_of_namer_for_tree_and_of_store_contexts():
    src = source.get(_function())
    every, stored = src.names()
    assert every == frozenset(Namer.for_tree(src.tree).taken)
    assert stored == frozenset(n.id for n in walk(src.tree) if isinstance(n, gast.Name)
                               and isinstance(n.ctx, gast.Store))
    assert {"numpy", "s", "cos", "g", "C", "err", "w", "u", "t"} <= every
    assert {"y", "a", "b", "c", "i", "z", "q", "r", "lam"} <= stored
    assert src.names() is src.names()  # found once


def test_working_copy_is_a_copy_of_the_tree():
    import ast

    from srcgrad.treewalk import copy_tree
    from test_to_gast import _same

    source.forget()
    src = source.get(_function())
    want = copy_tree(src.tree)
    for _ in range(2):  # the spare conversion first, then a copy
        got = src.working_copy()
        _same(want, got)
        tree_ids = {id(n) for n in ast.walk(src.tree)}
        assert not any(id(n) in tree_ids for n in ast.walk(got))
        got.body.clear()  # rewriting the copy leaves the shared tree alone
        assert src.tree.body
