"""The contract of template instantiation (srcgrad/transforms/templates.py): a rule's
template with the given names gives the expected statements, hooks applied or not.
Each instantiated expression is also evaluated and compared with autograd's vjp."""
import ast

import autograd
import autograd.numpy as anp
import gast
import numpy as np

from srcgrad import rules, runtime
from srcgrad.rules.registry import Rule
from srcgrad.transforms import templates
from srcgrad.transforms.refinements import ReverseHooks, call_key
from srcgrad.transforms.syntax import name
from srcgrad.transforms.templates import NO_HOOKS, Contribution, Hooks, Names, Temporary

d = rules.d


def _names(result="y", cotangent="dy"):
    made = []

    def fresh(base):
        made.append(base)
        return f"{base}_{len(made)}"
    return Names(result, cotangent, lambda obj, preferred: preferred, fresh)


def _src(node):
    return ast.unparse(gast.gast_to_ast(node))


def _eval(node, env):
    """Value of an instantiated expression; the template's helpers by their names."""
    scope = {"np": np, "unbroadcast": runtime.unbroadcast, "real_like": runtime.real_like}
    return eval(compile(ast.Expression(ast.fix_missing_locations(gast.gast_to_ast(node))),
                        "<t>", "eval"), scope, dict(env))


def _vjp(fun, args, i, g):
    return autograd.make_vjp(lambda a: fun(*[a if j == i else v for j, v in enumerate(args)]))(
        args[i])[0](g)


def test_sin_with_given_names():
    pieces = list(templates.instantiate(rules.lookup(np.sin), {"x": name("x")}, _names()))
    assert [type(p) for p in pieces] == [Contribution]
    (p,) = pieces
    assert p.param == "x" and p.arg.id == "x"
    assert _src(p.expr) == "dy * np.cos(x)"
    x, dy = 0.3, 1.7
    assert np.isclose(_eval(p.expr, {"x": x, "dy": dy}), _vjp(anp.sin, [x], 0, dy))


def test_other_names_are_bound():
    (p,) = templates.instantiate(rules.lookup(np.sin), {"x": name("a")}, _names("b", "g_b"))
    assert _src(p.expr) == "g_b * np.cos(a)"


MUL = rules.lookup(np.multiply)


def test_unbroadcast_kept_without_hooks():
    pieces = list(templates.instantiate(MUL, {"x": name("a"), "y": name("b")}, _names("c", "dc")))
    assert [_src(p.expr) for p in pieces] == ["unbroadcast(dc * b, a)", "unbroadcast(dc * a, b)"]
    a, b, g = np.ones((3, 4)) * 2.0, np.arange(4.0), np.linspace(0, 1, 12).reshape(3, 4)
    env = {"a": a, "b": b, "dc": g}
    for p, i in zip(pieces, (0, 1)):
        np.testing.assert_allclose(_eval(p.expr, env), _vjp(anp.multiply, [a, b], i, g))


def _reverse_hooks(rule, bound, y, shapes, available=None, elide=False, reals=None):
    return ReverseHooks(rule, bound, y, shapes, set(bound) | {y} if reals is None else reals,
                        available or {}, lambda obj, preferred: preferred, elide)


def test_unbroadcast_elided_and_inlined_by_the_reverse_hooks():
    bound = {"x": name("a"), "y": name("b")}
    shapes = {"a": (3, 4), "b": (4,), "c": (3, 4)}
    hooks = _reverse_hooks(MUL, bound, "c", shapes, reals={"a", "b", "c"})
    pieces = list(templates.instantiate(MUL, bound, _names("c", "dc"), hooks))
    # a has the result's shape: no unbroadcast; b was broadcast along axis 0: one sum
    assert [_src(p.expr) for p in pieces] == ["dc * b", "(dc * a).sum(axis=0)"]
    a, b, g = np.ones((3, 4)) * 2.0, np.arange(4.0), np.linspace(0, 1, 12).reshape(3, 4)
    for p, i in zip(pieces, (0, 1)):
        np.testing.assert_allclose(_eval(p.expr, {"a": a, "b": b, "dc": g}),
                                   _vjp(anp.multiply, [a, b], i, g))


def test_elide_drops_unbroadcast():
    bound = {"x": name("a"), "y": gast.Constant(value=2.0, kind=None)}
    hooks = _reverse_hooks(MUL, bound, "c", {}, elide=True)
    (p,) = templates.instantiate(MUL, bound, _names("c", "dc"), hooks,
                                 wanted=lambda arg: isinstance(arg, gast.Name))
    assert _src(p.expr) == "dc * 2.0"


def test_wanted_skips_an_argument():
    bound = {"x": name("a"), "y": name("b")}
    pieces = list(templates.instantiate(MUL, bound, _names("c", "dc"),
                                        wanted=lambda arg: arg.id == "b"))
    assert [p.param for p in pieces] == ["y"]


def test_reuse_of_a_computed_call():
    rule = rules.lookup(np.sin)
    bound = {"x": name("x")}
    available = {call_key(np.cos, [name("x")]): "c"}
    hooks = _reverse_hooks(rule, bound, "y", {}, available)
    (p,) = templates.instantiate(rule, bound, _names(), hooks)
    assert _src(p.expr) == "dy * c"
    x, dy = 0.3, 1.7
    assert np.isclose(_eval(p.expr, {"x": x, "dy": dy, "c": np.cos(x)}),
                      _vjp(anp.sin, [x], 0, dy))
    # a call on other operands is not reused
    (p,) = templates.instantiate(rule, {"x": name("z")}, _names(), hooks)
    assert _src(p.expr) == "dy * np.cos(z)"


def test_where_with_a_constant_condition():
    rule = rules.lookup(np.where)
    bound = {"c": gast.Constant(value=True, kind=None), "x": name("a"), "y": name("b")}
    shapes = {"a": (3,), "b": (3,), "z": (3,)}
    hooks = _reverse_hooks(rule, bound, "z", shapes)
    plain = [_src(p.expr) for p in templates.instantiate(rule, bound, _names("z", "dz"))]
    refined = [_src(p.expr) for p in templates.instantiate(rule, bound, _names("z", "dz"), hooks)]
    assert plain == ["unbroadcast(np.where(True, dz, 0.0), a)",
                     "unbroadcast(np.where(True, 0.0, dz), b)"]
    assert refined == ["dz", "0.0"]
    a, b, g = np.arange(3.0), np.ones(3), np.array([0.5, -1.0, 2.0])
    for src, i in zip(refined, (0, 1)):
        want = _vjp(lambda a, b: anp.where(True, a, b), [a, b], i, g)
        np.testing.assert_allclose(eval(src, {"np": np}, {"dz": g}), want)


def test_real_part_where_a_complex_argument_may_meet_a_real_one():
    bound = {"x": name("a"), "y": name("b")}
    shapes = {"a": (3,), "b": (3,), "c": (3,)}
    hooks = _reverse_hooks(MUL, bound, "c", shapes, reals=set())
    pieces = list(templates.instantiate(MUL, bound, _names("c", "dc"), hooks))
    assert [_src(p.expr) for p in pieces] == ["real_like(dc * b, a)", "real_like(dc * a, b)"]
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1 + 2j, 0.5j, -1.0])
    g = np.array([1.0 - 1j, 2.0, 0.5j])
    for p, i in zip(pieces, (0, 1)):
        np.testing.assert_allclose(_eval(p.expr, {"a": a, "b": b, "dc": g}),
                                   _vjp(anp.multiply, [a, b], i, g))
    # kept unbroadcast calls take the real part themselves: no wrapping
    kept = list(templates.instantiate(MUL, bound, _names("c", "dc"), _reverse_hooks(
        MUL, bound, "c", {}, reals=set())))
    assert [_src(p.expr) for p in kept] == ["unbroadcast(dc * b, a)", "unbroadcast(dc * a, b)"]


def _scaled(y, x):
    t = x * 3.0
    d[x] = d[y] * t * 1


def test_temporaries_are_renamed_in_order_and_constants_folded():
    rule = Rule.from_template(_scaled)
    pieces = list(templates.instantiate(rule, {"x": name("u")}, _names("v", "dv")))
    assert [type(p) for p in pieces] == [Temporary, Contribution]
    assert pieces[0].name == "t_1" and _src(pieces[0].expr) == "u * 3.0"
    assert _src(pieces[1].expr) == "dv * t_1"  # `* 1` folded away
    u, g = 0.7, 1.3
    t = _eval(pieces[0].expr, {"u": u})
    assert np.isclose(_eval(pieces[1].expr, {"t_1": t, "dv": g}),
                      _vjp(lambda u: anp.square(u) * 1.5, [u], 0, g))


class _Count(Hooks):
    def __init__(self):
        self.seen = []

    def unbroadcast(self, node):
        self.seen.append("unbroadcast")
        return node


def test_hooks_are_called_per_call_and_the_base_changes_nothing():
    bound = {"x": name("a"), "y": name("b")}
    counting = _Count()
    counted = [_src(p.expr) for p in templates.instantiate(MUL, bound, _names("c", "dc"),
                                                           counting)]
    assert counting.seen == ["unbroadcast", "unbroadcast"]
    assert counted == [_src(p.expr) for p in templates.instantiate(
        MUL, bound, _names("c", "dc"), NO_HOOKS)]


def test_a_missing_argument_gives_no_contribution():
    assert list(templates.instantiate(rules.lookup(np.sin), {}, _names())) == []


def test_matrix_product_adjoints_written_out():
    import operator
    rule = rules.lookup(operator.matmul)
    rng = np.random.default_rng(0)
    for sa, sb in [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        g = rng.standard_normal(np.shape(a @ b))
        bound = {"x": name("a"), "y": name("b")}
        hooks = _reverse_hooks(rule, bound, "z", {"a": sa, "b": sb, "z": np.shape(a @ b)})
        for _ in range(2):  # each instantiation builds its own tree from the parsed form
            pieces = list(templates.instantiate(rule, bound, _names("z", "dz"), hooks))
            assert "matmul_grad" not in " ".join(_src(p.expr) for p in pieces)
            for p, i in zip(pieces, (0, 1)):
                np.testing.assert_allclose(_eval(p.expr, {"a": a, "b": b, "dz": g}),
                                           _vjp(anp.matmul, [a, b], i, g))
        assert pieces[0].expr is not pieces[1].expr


def test_bind_matches_the_rules_binding():
    # templates.bind binds a call passing every parameter positionally itself, and
    # must give what Rule.bind gives (same mapping, same order); others go to it
    a, b = name("a"), name("b")
    for rule, args, kwargs in [(MUL, [a, b], {}), (rules.lookup(np.sin), [a], {}),
                               (rules.lookup(np.sum), [a], {}),
                               (rules.lookup(np.sum), [a], {"axis": b})]:
        mine, theirs = templates.bind(rule, args, kwargs), rule.bind(args, kwargs)
        assert list(mine) == list(theirs)
        assert all(mine[k] is theirs[k] or (
            isinstance(mine[k], gast.Constant) and mine[k].value == theirs[k].value)
            for k in mine)


def test_an_elided_unbroadcast_still_names_its_helper():
    # decided before the call is built, but its helper is bound as when it is built
    # (the generated code's free names depend on it), before the cotangent's part
    asked = []
    names = Names("c", "dc", lambda obj, preferred: asked.append(preferred) or preferred,
                  lambda base: base)
    bound = {"x": name("a"), "y": name("b")}
    hooks = _reverse_hooks(MUL, bound, "c", {"a": (3,), "b": (3,), "c": (3,)})
    pieces = list(templates.instantiate(MUL, bound, names, hooks))
    assert [_src(p.expr) for p in pieces] == ["dc * b", "dc * a"]
    assert asked == ["unbroadcast", "unbroadcast"]
