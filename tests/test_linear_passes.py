"""The passes rewritten to be linear in the code compute what the plain quadratic
algorithms they replaced computed: each is checked here against that reference
(kept in this file) on random inputs."""
import random

import gast
import numpy as np

from srcgrad import pipeline
from srcgrad.naming import Namer
from srcgrad.transforms import activity
from srcgrad.transforms.refinements import available_calls, call_key
from srcgrad.transforms.syntax import store_names
from srcgrad.treewalk import walk
from reference import build


def _fixpoint(edges, wrt, output):
    """activity's sweep-until-nothing-changes, as it was."""
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for _, targets, sources in edges:
            if targets and sources & varied and not set(targets) <= varied:
                varied.update(targets)
                changed = True
    useful = {output}
    changed = True
    while changed:
        changed = False
        for _, targets, sources in edges:
            if set(targets) & useful:
                new = (sources & varied) - useful
                if new:
                    useful |= new
                    changed = True
    return varied, useful


def test_activity_worklists_equal_the_fixpoint():
    rng = random.Random(0)
    names = [f"v{i}" for i in range(12)]
    for _ in range(300):
        edges = [(None, tuple(rng.sample(names, rng.choice([0, 1, 1, 2]))),
                  set(rng.sample(names, rng.randint(0, 3))))
                 for _ in range(rng.randint(0, 25))]
        wrt, output = rng.sample(names, 2), rng.choice(names)
        varied, useful = _fixpoint(edges, wrt, output)
        assert activity._forward(edges, set(wrt)) == varied
        assert activity._backward(edges, varied, {output}) == useful


def _available_reference(stmts, resolver):
    """available_calls as it was: a copy of the available calls per statement."""
    avail, out = {}, []
    for st in stmts:
        out.append(dict(avail))
        changed = store_names(st) | {n.value.id for n in walk(st)
                                     if isinstance(n, gast.Subscript)
                                     and isinstance(n.ctx, gast.Store)
                                     and isinstance(n.value, gast.Name)}
        avail = {k: v for k, v in avail.items()
                 if v not in changed and not (set(k[1]) & {("n", c) for c in changed})}
        if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name) and \
                isinstance(st.value, gast.Call) and not st.value.keywords:
            callee = resolver.callee(st.value)
            key = call_key(callee.obj, st.value.args)
            if callee.kind == "rule" and isinstance(callee.obj, np.ufunc) and key and \
                    ("n", st.targets[0].id) not in key[1]:
                avail.setdefault(key, st.targets[0].id)
    return out


def _random_block(rng, n):
    names = ["x", "a", "b", "c", "d"]
    lines = ["def f(x):", "    a = b = c = d = x"]
    for _ in range(n):
        t = rng.choice(names[1:])
        fn = rng.choice(["np.sin", "np.cos", "np.exp"])
        arg = rng.choice(names + ["2.0"])
        lines.append(rng.choice([f"    {t} = {fn}({arg})", f"    {t} = {arg} * 2.0",
                                 f"    {t} = {fn}({arg})"]))
    lines.append("    return a + b + c + d")
    return "\n".join(lines) + "\n"


def test_available_calls_equal_the_copying_reference():
    rng = random.Random(1)
    hits = 0
    for k in range(60):
        fn = build(_random_block(rng, rng.randint(1, 30)), "f")
        fun = pipeline.read_source(fn)
        ctx = pipeline.context(fun, pipeline.Spec())
        tree = pipeline.normalize(fun.tree, ctx)
        resolver = pipeline.resolve(fun, tree, ctx)
        views = available_calls(tree.body, resolver)
        expected = _available_reference(tree.body, resolver)
        assert len(views) == len(expected)
        keys = {key for e in expected for key in e} | {(0, (("n", "x"),))}
        for view, want in zip(views, expected):
            for key in keys:
                assert view.get(key) == want.get(key), (k, key)
                hits += want.get(key) is not None
    assert hits > 100  # the blocks do reuse calls

def test_fresh_names_are_the_smallest_free_suffix():
    namer = Namer({"t", "t_2"})
    got = [namer.fresh("t") for _ in range(3)]
    namer.reserve("t_5")
    got += [namer.fresh("t") for _ in range(2)]
    assert got == ["t_1", "t_3", "t_4", "t_6", "t_7"]
