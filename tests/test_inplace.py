"""srcgrad.transforms.inplace: walk_parents must yield what treewalk.walk yields, in
the same order (the rewrites built on it depend on that order), with each node's
true parent, and put must put a node back exactly where it was yielded."""
import ast
import inspect

import gast

from srcgrad import pipeline, treewalk
from srcgrad.transforms import inplace, reverse


def _trees():
    for mod in (pipeline, reverse):
        yield gast.ast_to_gast(ast.parse(inspect.getsource(mod)))


def test_walk_parents_yields_what_walk_yields_in_order():
    for tree in _trees():
        assert [id(e[0]) for e in inplace.walk_parents(tree)] == \
            [id(n) for n in treewalk.walk(tree)]


def test_walk_parents_names_each_nodes_place():
    for tree in _trees():
        entries = list(inplace.walk_parents(tree))
        assert entries[0] == (tree, None, None, None)
        for node, parent, field, index in entries[1:]:
            held = getattr(parent, field)
            assert (held if index is None else held[index]) is node


def test_put_replaces_in_a_field_and_in_a_list():
    tree = gast.parse("a = b + c\nd = e")
    entries = list(inplace.walk_parents(tree))
    one = gast.Constant(value=1, kind=None)
    two = gast.Constant(value=2, kind=None)
    for node, parent, field, index in entries:
        if isinstance(node, gast.BinOp):
            inplace.put(parent, field, index, one)  # Assign.value: a field
        elif isinstance(node, gast.Assign) and node is tree.body[1]:
            inplace.put(parent, field, index, gast.Expr(value=two))  # Module.body[1]
    assert ast.unparse(gast.gast_to_ast(tree)).split("\n") == ["a = 1", "2"]


def test_parent_list_is_walk_parents_as_a_list():
    for tree in _trees():
        listed = inplace.parent_list(tree)
        walked = list(inplace.walk_parents(tree))
        assert len(listed) == len(walked)
        for a, b in zip(listed, walked):
            assert a[0] is b[0] and a[1] is b[1] and a[2:] == b[2:]


def test_nodes_and_calls_are_walk_and_its_call_entries():
    for tree in _trees():
        nodes, calls = inplace.nodes_and_calls(tree)
        walked = list(inplace.walk_parents(tree))
        leaves = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop,
                  gast.boolop)
        assert [id(n) for n in nodes] == [
            id(e[0]) for e in walked if not isinstance(e[0], leaves)]
        wanted = [e for e in walked if isinstance(e[0], gast.Call)]
        assert len(calls) == len(wanted)
        for a, b in zip(calls, wanted):
            assert a[0] is b[0] and a[1] is b[1] and a[2:] == b[2:]
    call = gast.parse("f(x)").body[0].value
    assert inplace.nodes_and_calls(call)[1] == [(call, None, None, None)]


def test_complexes_calls_are_the_call_nodes_of_a_walk():
    from srcgrad.transforms import complexes
    for tree in _trees():
        wanted = {id(n) for n in treewalk.walk(tree) if isinstance(n, gast.Call)}
        found = complexes._calls(tree)
        assert len(found) == len(wanted) and {id(n) for n in found} == wanted


def test_complexes_stores_and_calls_are_store_names_and_the_calls_of_a_walk():
    from srcgrad.transforms import complexes, syntax
    for tree in _trees():
        stores, calls = complexes._stores_and_calls(tree)
        assert stores == syntax.store_names(tree)
        wanted = {id(n) for n in treewalk.walk(tree) if isinstance(n, gast.Call)}
        assert len(calls) == len(wanted) and {id(n) for n in calls} == wanted


def test_optimize_counted_is_the_tallies_store_names_and_the_calls_of_a_walk():
    from srcgrad.transforms import optimize, syntax
    for tree in _trees():
        counts, stores, calls = optimize.counted(tree)
        alone = optimize._Counts(tree)
        assert (counts.defs, counts.uses, counts.augmented, counts.foldable) == \
            (alone.defs, alone.uses, alone.augmented, alone.foldable)
        assert stores == syntax.store_names(tree)
        wanted = {id(n) for n in treewalk.walk(tree) if isinstance(n, gast.Call)}
        assert len(calls) == len(wanted) and {id(n) for n in calls} == wanted


def test_specialize_walk_and_stores_is_nodes_and_calls_and_store_names():
    from srcgrad.transforms import specialize, syntax
    for tree in _trees():
        stores, (nodes, calls) = specialize.walk_and_stores(tree)
        want_nodes, want_calls = inplace.nodes_and_calls(tree)
        assert stores == syntax.store_names(tree)
        assert [id(n) for n in nodes] == [id(n) for n in want_nodes]
        assert len(calls) == len(want_calls)
        for a, b in zip(calls, want_calls):
            assert a[0] is b[0] and a[1] is b[1] and a[2:] == b[2:]
