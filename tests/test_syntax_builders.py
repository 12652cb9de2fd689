"""The node builders of srcgrad/transforms/syntax.py make nodes with `cls.__new__`:
each must be indistinguishable from the node gast's keyword constructor makes (same
class, same attributes in the same order), and `located` must give the same
locations as a walk over the tree that fills what each node lacks."""
import gast

from srcgrad.transforms import syntax


def _state(node):
    """Every node's class and attributes (in order), nodes compared by structure."""
    out = []
    for n in gast.walk(node):
        out.append((type(n).__name__, [(k, v if not isinstance(v, (gast.AST, list)) else
                                        type(v).__name__) for k, v in n.__dict__.items()]))
    return out


def test_builders_make_what_the_constructors_make():
    pairs = [
        (syntax.name("x"), gast.Name(id="x", ctx=gast.Load(), annotation=None,
                                     type_comment=None)),
        (syntax.store("y"), gast.Name(id="y", ctx=gast.Store(), annotation=None,
                                      type_comment=None)),
        (syntax.const(1.5), gast.Constant(value=1.5, kind=None)),
        (syntax.attribute(syntax.name("np"), "sin"),
         gast.Attribute(value=gast.Name(id="np", ctx=gast.Load(), annotation=None,
                                        type_comment=None), attr="sin", ctx=gast.Load())),
        (syntax.binop(syntax.name("a"), gast.Add(), syntax.const(2)),
         gast.BinOp(left=gast.Name(id="a", ctx=gast.Load(), annotation=None,
                                   type_comment=None), op=gast.Add(),
                    right=gast.Constant(value=2, kind=None))),
        (syntax.expr_stmt(syntax.const(None)),
         gast.Expr(value=gast.Constant(value=None, kind=None))),
    ]
    for built, expected in pairs:
        assert _state(built) == _state(expected)
    assign = syntax.assign("t", syntax.call("np.cos", [syntax.name("x")]))
    source = gast.parse("t = np.cos(x)").body[0]
    for n in gast.walk(source):  # the parser's locations aside
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            n.__dict__.pop(attr, None)
    assert _state(assign) == _state(source)
    assert gast.dump(syntax.comment("hi")) == gast.dump(gast.Expr(value=gast.Call(
        func=gast.Name(id="__srcgrad_comment__", ctx=gast.Load(), annotation=None,
                       type_comment=None),
        args=[gast.Constant(value="hi", kind=None)], keywords=[])))


def test_located_fills_only_what_lacks_a_location():
    origin = gast.parse("\n\nz = 1").body[0]
    inner = syntax.name("kept")
    inner.lineno, inner.col_offset, inner.end_lineno, inner.end_col_offset = 9, 1, 9, 5
    node = syntax.assign("t", syntax.binop(inner, gast.Mult(), syntax.const(3)), origin)
    for n in gast.walk(node):
        expected = (9, 1, 9, 5) if n is inner else (
            origin.lineno, origin.col_offset, origin.end_lineno, origin.end_col_offset)
        assert (n.lineno, n.col_offset, n.end_lineno, n.end_col_offset) == expected
    assert list(node.__dict__)[-4:] == ["lineno", "col_offset", "end_lineno",
                                        "end_col_offset"]
    assert syntax.located(syntax.name("x"), None).__dict__.get("lineno") is None
