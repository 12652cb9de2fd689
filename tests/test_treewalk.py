"""srcgrad.treewalk must match the standard library exactly: the passes rely on
ast.walk's order and on deepcopy's structure (the generated text depends on both)."""
import ast
import copy
import inspect

import gast

from srcgrad import pipeline, treewalk
from srcgrad.transforms import reverse


def _trees():
    for mod in (pipeline, reverse):
        yield gast.ast_to_gast(ast.parse(inspect.getsource(mod)))


def test_walk_yields_what_ast_walk_yields_in_order():
    for tree in _trees():
        assert [id(n) for n in treewalk.walk(tree)] == [id(n) for n in ast.walk(tree)]


def test_walk_reads_children_before_yielding_a_node():
    tree = gast.parse("a = b + c")
    seen = []
    for n in treewalk.walk(tree):
        seen.append(type(n).__name__)
        if isinstance(n, gast.Assign):
            n.value = gast.Constant(value=1, kind=None)  # as with ast.walk: too late
    assert "BinOp" in seen and "Constant" not in seen


def test_copy_tree_is_deepcopy():
    for tree in _trees():
        tree.body[0].note = {"kept": [tree.body[1]]}  # an attribute outside _fields
        shared = gast.Name(id="s", ctx=gast.Load(), annotation=None, type_comment=None)
        tree.body.append(gast.Expr(value=gast.Tuple(elts=[shared, shared], ctx=gast.Load())))
        got, want = treewalk.copy_tree(tree), copy.deepcopy(tree)
        assert gast.dump(got) == gast.dump(want)
        assert got.body[0].note["kept"][0] is got.body[1]
        elts = got.body[-1].value.elts
        assert elts[0] is elts[1] and elts[0] is not shared
        assert all(a is not b for a, b in zip(ast.walk(got), ast.walk(tree)))


def test_names_collects_what_a_walk_collects_in_the_same_order():
    for tree in _trees():
        for contexts in (None, gast.Load, (gast.Store, gast.Param)):
            want = {n.id for n in ast.walk(tree) if isinstance(n, gast.Name) and
                    (contexts is None or isinstance(n.ctx, contexts))}
            got = treewalk.names(tree, contexts)
            assert got == want and list(got) == list(want)


def test_name_nodes_are_the_name_nodes_of_a_walk_in_order():
    for tree in _trees():
        want = [id(n) for n in ast.walk(tree) if isinstance(n, gast.Name)]
        assert [id(n) for n in treewalk.name_nodes(tree)] == want


def test_child_nodes_are_a_walk_without_contexts_and_operators_in_order():
    leaves = (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop)
    for tree in _trees():
        want = [id(n) for n in ast.walk(tree) if not isinstance(n, leaves)]
        assert [id(n) for n in treewalk.child_nodes(tree)] == want


def test_copy_tree_keeps_each_node_s_attribute_order():
    for tree in _trees():
        got = treewalk.copy_tree(tree)  # the original's order (3.13's deepcopy
        assert [list(vars(n)) for n in ast.walk(got)] == \
            [list(vars(n)) for n in ast.walk(tree)]  # rebuilds nodes in its own)
