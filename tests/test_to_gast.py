"""source.to_gast builds exactly what gast.ast_to_gast builds from a parsed tree: the
same classes, fields, locations and attribute order (source.get reads functions with it)."""
import ast
import glob
import os
import textwrap

import gast

from srcgrad.source import to_gast
from test_to_ast import SOURCES


def _same(a, b, path="tree"):
    assert type(a) is type(b), path
    if isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, ast.AST):
        assert list(a.__dict__) == list(b.__dict__), path
        for key in a.__dict__:
            _same(a.__dict__[key], b.__dict__[key], f"{path}.{key}")
    else:
        assert a == b or (a != a and b != b), path


def test_same_tree_as_gast():
    for src in SOURCES:
        tree = ast.parse(textwrap.dedent(src))
        _same(gast.ast_to_gast(tree), to_gast(tree))


def test_same_tree_as_gast_on_srcgrad_itself():
    root = os.path.join(os.path.dirname(__file__), "..", "srcgrad")
    files = sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True))
    assert files
    for path in files:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
        _same(gast.ast_to_gast(tree), to_gast(tree), path)
        _same(gast.ast_to_gast(tree.body[-1]), to_gast(tree.body[-1]), path)
