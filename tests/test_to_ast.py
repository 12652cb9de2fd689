"""codegen.to_ast builds what gast.gast_to_ast builds (the printer's input), and turns
comment statements in bodies and else blocks into the printer's comment nodes."""
import ast
import textwrap

import gast

from srcgrad.codegen import to_ast
from srcgrad.transforms.syntax import comment

SOURCES = [
    """
    def f(x, /, y: int = 2, *args, z, w=3, **kw) -> float:
        '''doc'''
        global g
        a, *b = x[1:2, ::3], y
        c = [i * j for i in range(3) if i for j in (1, 2)]
        d = {k: v for k, v in kw.items()}
        e = lambda u, *, v=1: u + v
        f = f"{x!r:>{y}} {a}"
        x += 1; y @= z; del c[0]
        if not (x < y <= z) and (a or b):
            pass
        elif x is None:
            return
        else:
            raise ValueError("no") from None
        for i in range(3):
            continue
        else:
            yield i
        while x:
            break
        return -x ** 2 if y else ~y
    """,
    """
    import os, numpy as np
    from a.b import c as d
    @dec(1)
    class C(Base, metaclass=M):
        x: int = 1
        async def m(self):
            async with a as b, c:
                await b
            async for i in b:
                pass
    try:
        with open(p) as fh:
            pass
    except (KeyError, OSError) as err:
        print(err, sep="")
    except Exception:
        assert False, "x"
    else:
        nonlocal_ = {1, 2}
    finally:
        q = (yield from g())
    """,
    """
    match point:
        case (0, y) if y > 1:
            pass
        case {"k": [1, *rest]} | Point(x=0):
            pass
        case _:
            pass
    """,
]


def test_same_tree_as_gast():
    for src in SOURCES:
        tree = gast.parse(textwrap.dedent(src))
        expected = ast.dump(gast.gast_to_ast(tree))
        assert ast.dump(to_ast(tree, None)) == expected


def test_comments_in_blocks_only():
    tree = gast.parse(textwrap.dedent("""
    def f(x):
        if x:
            y = 1
        else:
            y = 2
        try:
            pass
        finally:
            pass
        return y
    """))
    fn = tree.body[0]
    fn.body.insert(0, comment("top"))
    fn.body[1].orelse.append(comment("else"))
    fn.body[2].finalbody.append(comment("final"))  # not a block comments are printed in
    made = []

    def make(text):
        made.append(text)
        return ast.Pass()
    out = to_ast(tree, make)
    assert made == ["top", "else"]
    body = out.body[0].body
    assert isinstance(body[0], ast.Pass) and isinstance(body[1].orelse[-1], ast.Pass)
    assert isinstance(body[2].finalbody[-1], ast.Expr)  # kept as the call, as before
