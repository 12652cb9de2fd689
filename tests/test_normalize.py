"""The contract of normalize (transforms/normalize.py), checked on normalize run alone.

After normalize every statement is `name = operation(atoms)` (or a copy), `a, b = name`,
`name[index] = atom`, `if name`, `while name`, `for name in name` over a range object,
`if flag: break` as a loop's last statement, an expression call on atoms, `assert`,
`raise`, or the one final `return name` (`return None` where the user's had none).
The normalized function must also compute what the user's function computes: each case
is run both ways and compared.
"""
import builtins
import copy
import re
import textwrap

import gast
import numpy as np
import pytest

from srcgrad.codegen import to_source
from srcgrad.errors import UnsupportedSyntaxError
from srcgrad.naming import Namer
from srcgrad.transforms.context import Context
from srcgrad.transforms.normalize import normalize
from srcgrad.transforms.syntax import dotted_path, is_break_guard, statements

CASES = {
    "nested_expression": ("""
        def f(x, y):
            return np.sin(x * y + 2.0) / (1.0 + x ** 2)
        """, (0.7, 1.3)),
    "target_in_operands": ("""
        def f(x):
            x = x * 2.0
            x = np.exp(x) + x
            return x
        """, (0.4,)),
    "attribute_and_method": ("""
        def f(x):
            a = np.array([x, 2.0 * x, 3.0])
            return a.sum() + a.T[1] + np.pi
        """, (0.5,)),
    "subscripts_and_slices": ("""
        def f(x):
            a = np.array([x, x + 1.0, x + 2.0, x * 3.0])
            return a[1:3].sum() + a[::2][-1] + a[len(a) - 1]
        """, (0.9,)),
    "short_circuit": ("""
        def f(x):
            ok = x > 0 and np.cos(x) > 0.1 or x < -5
            return x * 2.0 if ok else -x
        """, (0.3,)),
    "tuple_swap_and_unpack": ("""
        def f(x, y):
            a, b = y, x
            a, b = b, a
            c, (d, e) = a, (b, a * b)
            return a - 2.0 * b + c * d + e
        """, (1.5, 0.25)),
    "augmented_subscript": ("""
        def f(x):
            a = np.zeros(3)
            a[1] += x * 2.0
            a[0] = a[1] * x
            s = 1.0
            s *= a[0]
            return s
        """, (1.1,)),
    "while_with_call_test": ("""
        def f(x):
            b = x
            while np.abs(b) < 100.0:
                b = b * 3.0
            return b
        """, (0.5,)),
    "for_range_variable": ("""
        def f(x, n):
            s = x
            for i in range(1, n, 2):
                s = s * x + i
            return s
        """, (0.9, 7)),
    "for_sequence_enumerate_zip": ("""
        def f(x):
            xs = [x, 2.0 * x, 3.0]
            ys = [1.0, x]
            s = 0.0
            for v in xs:
                s = s + v
            for i, v in enumerate(xs, 1):
                s = s + i * v
            for a, b in zip(xs, ys):
                s = s + a * b
            return s
        """, (0.6,)),
    "break_continue": ("""
        def f(x, n):
            s = x
            for i in range(n):
                if i == 1:
                    continue
                s = s * 1.5
                if s > 10.0:
                    break
                s = s + x
            return s
        """, (1.2, 9)),
    "early_return_in_nested_loops": ("""
        def f(x, n):
            for i in range(n):
                j = 0
                while j < n:
                    if x * i * j > 2.0:
                        return x * i
                    j = j + 1
            return -x
        """, (0.8, 4)),
    "no_return": ("""
        def f(x):
            y = x * 2.0
        """, (0.8,)),
}


def _parse(src):
    return gast.parse(textwrap.dedent(src)).body[0]


def _normalize(src, **kw):
    tree = _parse(src)
    ctx = Context(Namer.for_tree(tree), "<test>", tree.name, **kw)
    return normalize(tree, ctx), ctx


def _run(tree, ctx, args):
    scope = {"np": np, **ctx.helpers.bound}
    exec(compile(to_source(copy.deepcopy(tree)), "<normalized>", "exec"), scope)
    return scope[tree.name](*args)


def _is_operand(node):
    """An atom: a name, a constant, or a dotted global path such as np.pi."""
    return isinstance(node, (gast.Name, gast.Constant)) or dotted_path(node) is not None


def _operands_ok(value):
    if isinstance(value, (gast.Name, gast.Constant)) or getattr(value, "srcgrad_opaque", 0):
        return True
    if isinstance(value, gast.BinOp):
        return _is_operand(value.left) and _is_operand(value.right)
    if isinstance(value, gast.UnaryOp):
        return _is_operand(value.operand)
    if isinstance(value, gast.Compare):
        return all(map(_is_operand, [value.left] + value.comparators))
    if isinstance(value, gast.BoolOp):
        return all(map(_is_operand, value.values))
    if isinstance(value, (gast.Tuple, gast.List)):
        return all(map(_is_operand, value.elts))
    if isinstance(value, gast.Attribute):
        return _is_operand(value.value)
    if isinstance(value, gast.Subscript):
        return _is_operand(value.value) and _index_ok(value.slice)
    if isinstance(value, gast.Call):
        args = [a.value if isinstance(a, gast.Starred) else a for a in value.args]
        return _is_operand(value.func) and all(map(_is_operand, args)) and \
            all(_is_operand(k.value) for k in value.keywords)
    return False


def _index_ok(idx):
    if isinstance(idx, gast.Slice):
        return all(p is None or _is_operand(p) for p in (idx.lower, idx.upper, idx.step))
    if isinstance(idx, gast.Tuple):
        return all(map(_index_ok, idx.elts))
    return _is_operand(idx)


def _check_block(body, in_loop, problems):
    for i, s in enumerate(body):
        where = to_source(gast.Module(body=[copy.deepcopy(s)], type_ignores=[])).strip()
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if len(s.targets) != 1:
                problems.append(("several targets", where))
            elif isinstance(target, gast.Name):
                reads = {n.id for n in gast.walk(s.value) if isinstance(n, gast.Name)}
                if not _operands_ok(s.value) or target.id in reads:
                    problems.append(("not name = op(atoms)", where))
            elif isinstance(target, gast.Tuple):
                if not all(isinstance(e, gast.Name) for e in target.elts) or \
                        not isinstance(s.value, gast.Name):
                    problems.append(("unpacking other than names = name", where))
            elif isinstance(target, gast.Subscript):
                if not (isinstance(target.value, gast.Name) and _index_ok(target.slice)
                        and _is_operand(s.value)):
                    problems.append(("subscript store not name[atoms] = atom", where))
            else:
                problems.append(("assignment target", where))
        elif isinstance(s, gast.If):
            if is_break_guard(s):
                if not (in_loop and i == len(body) - 1 and isinstance(s.test, gast.Name)):
                    problems.append(("break guard not last in a loop", where))
                continue
            if not isinstance(s.test, gast.Name):
                problems.append(("if test not a name", where))
            _check_block(s.body, in_loop, problems)
            _check_block(s.orelse, in_loop, problems)
        elif isinstance(s, gast.While):
            if not isinstance(s.test, (gast.Name, gast.Constant)) or s.orelse:
                problems.append(("while test not a name", where))
            _check_block(s.body, True, problems)
        elif isinstance(s, gast.For):
            if not (isinstance(s.target, gast.Name) and isinstance(s.iter, gast.Name)) \
                    or s.orelse:
                problems.append(("for not `for name in name`", where))
            _check_block(s.body, True, problems)
        elif isinstance(s, gast.Expr):
            if not (isinstance(s.value, gast.Call) and _operands_ok(s.value)):
                problems.append(("expression statement not a call on atoms", where))
        elif isinstance(s, gast.Return):
            added = isinstance(s.value, gast.Constant) and s.value.value is None
            if in_loop is not None or i != len(body) - 1 or \
                    not (isinstance(s.value, gast.Name) or added):
                problems.append(("return not `return name` at the end", where))
        elif not isinstance(s, (gast.Assert, gast.Raise)):
            problems.append((type(s).__name__, where))


def _contract_problems(tree):
    problems = []
    _check_block(tree.body, None, problems)
    if not isinstance(tree.body[-1], gast.Return):
        problems.append(("no final return", ""))
    return problems


@pytest.mark.parametrize("unroll", ["auto", "never"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_contract_and_meaning(case, unroll):
    src, args = CASES[case]
    tree, ctx = _normalize(src, unroll=unroll)
    assert _contract_problems(tree) == [], to_source(copy.deepcopy(tree))
    user = {"np": np}
    exec(textwrap.dedent(src), user)
    expected = user["f"](*args)
    got = _run(tree, ctx, args)
    assert got is expected if expected is None else np.allclose(got, expected)


def test_every_statement_is_located():
    src, _ = CASES["early_return_in_nested_loops"]
    tree, _ = _normalize(src)
    for s in statements(tree.body):
        assert getattr(s, "lineno", None) is not None, to_source(copy.deepcopy(s))


def _loops(tree):
    return [s for s in statements(tree.body) if isinstance(s, (gast.For, gast.While))]


def _assigned_constants(tree):
    return {(s.targets[0].id, s.value.value) for s in statements(tree.body)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Constant)}


def test_break_and_continue_become_flags():
    tree, _ = _normalize(CASES["break_continue"][0])
    (loop,) = _loops(tree)
    consts = _assigned_constants(tree)
    # stop = False before the loop, skip = False first in its body; break sets both
    assert {("stop", False), ("skip", False), ("stop", True), ("skip", True)} <= consts
    first, last = loop.body[0], loop.body[-1]
    assert (first.targets[0].id, first.value.value) == ("skip", False)
    assert is_break_guard(last) and last.test.id == "stop"
    assert not any(isinstance(s, gast.Continue) for s in gast.walk(tree))
    breaks = [s for s in gast.walk(tree) if isinstance(s, gast.Break)]
    assert breaks == last.body  # the guard's is the only break left


def test_early_return_becomes_a_flag():
    tree, _ = _normalize(CASES["early_return_in_nested_loops"][0])
    returns = [s for s in gast.walk(tree) if isinstance(s, gast.Return)]
    assert returns == [tree.body[-1]] and returns[0].value.id == "result"
    consts = _assigned_constants(tree)
    assert {("returned", False), ("returned", True), ("result", None)} <= consts
    # both loops are left through their flags once the inner one returns
    outer, inner = _loops(tree)
    assert is_break_guard(outer.body[-1]) and is_break_guard(inner.body[-1])


def _plain_for(src, **kw):
    tree, ctx = _normalize(src, **kw)
    (loop,) = [s for s in statements(tree.body) if isinstance(s, gast.For)]
    defs = {s.targets[0].id: s.value for s in statements(tree.body)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)}
    return tree, ctx, loop, defs


def _calls(value, ctx, obj):
    return isinstance(value, gast.Call) and isinstance(value.func, gast.Name) and \
        ctx.helpers.bound.get(value.func.id) is obj


def test_for_over_range_iterates_a_range_object():
    _, ctx, loop, defs = _plain_for("""
        def f(x, n):
            for i in range(n):
                x = x * 2.0
            return x
        """)
    assert loop.target.id == "i"
    assert _calls(defs[loop.iter.id], ctx, builtins.range)
    assert [a.id for a in defs[loop.iter.id].args] == ["n"]


@pytest.mark.parametrize("header, item", [
    ("for v in xs:", "v = xs[k]"),
    ("for i, v in enumerate(xs):", "i, v = k, xs[k]"),
    ("for a, b in zip(xs, ys):", "a, b = xs[k], ys[k]"),
])
def test_for_over_sequence_becomes_an_index_loop(header, item):
    src = f"""
        def f(xs, ys):
            s = 0.0
            {header}
                s = s + 1.0
            return s
        """
    tree, ctx, loop, defs = _plain_for(src)
    assert loop.target.id == "k"
    steps = defs[loop.iter.id]
    assert _calls(steps, ctx, builtins.range)
    count = defs[steps.args[0].id]
    if header.endswith("zip(xs, ys):"):  # the shorter sequence's length
        assert _calls(count, ctx, builtins.min)
        assert all(_calls(defs[a.id], ctx, builtins.len) for a in count.args)
    else:
        assert _calls(count, ctx, builtins.len) and count.args[0].id == "xs"
    # the loop variables are read from the sequences at k first in the body
    head = _temps_in_order(to_source(gast.Module(body=copy.deepcopy(loop.body),
                                                 type_ignores=[])))
    wanted = {"v = xs[k]": ["v = xs[k]"],
              "i, v = k, xs[k]": ["t0 = xs[k]", "i = k", "v = t0"],
              "a, b = xs[k], ys[k]": ["t0 = xs[k]", "t1 = ys[k]", "a = t0", "b = t1"]}
    assert head.splitlines()[:len(wanted[item])] == wanted[item], head


def _temps_in_order(text):
    """Temporaries `t`, `t_3`... renamed t0, t1... in order of appearance."""
    seen = {}
    return re.sub(r"\bt(_\d+)?\b", lambda m: seen.setdefault(m.group(0), f"t{len(seen)}"),
                  text)


def test_literal_range_unrolled_by_option():
    src = """
        def f(x):
            for i in range(3):
                x = x * 2.0
            return x
        """
    assert _loops(_normalize(src)[0]) == []
    assert len(_loops(_normalize(src, unroll="never")[0])) == 1
    long = src.replace("range(3)", "range(100)")
    assert len(_loops(_normalize(long)[0])) == 1  # over the auto limit
    assert _loops(_normalize(long, unroll=True)[0]) == []


def test_shadowed_range_is_a_sequence():
    """The context says what a free name means: a module's own `range` is not the
    builtin, so the loop indexes whatever it returns."""
    src = """
        def f(x, n):
            for i in range(n):
                x = x * 2.0
            return x
        """
    tree = _parse(src)
    mine = lambda n: [0, 1]  # noqa: E731
    ctx = Context(Namer.for_tree(tree), "<test>", "f",
                  resolve=lambda n: (True, mine) if n == "range" else (False, None))
    tree = normalize(tree, ctx)
    assert ("range", mine) in ctx.lookups
    (loop,) = _loops(tree)
    assert loop.target.id == "k"  # the index loop of a sequence


def test_default_context_binds_helpers_once():
    tree, ctx = _normalize("""
        def f(xs):
            s = 0.0
            for v in xs:
                s = s + v
            for v in xs:
                s = s * v
            return s
        """)
    assert dict(ctx.helpers.bound) == {"len": builtins.len, "range": builtins.range}
    assert set(ctx.helper_names()) == {"len", "range"}


def test_refusal_names_the_user_line():
    with pytest.raises(UnsupportedSyntaxError) as info:
        _normalize("""
            def f(x):
                y = x
                with open("p") as fh:
                    y = x * 2.0
                return y
            """)
    assert info.value.lineno == 4 and "with" in str(info.value)
