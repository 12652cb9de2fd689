"""The pipeline's contract: one function lists the passes in order, callees are
requested through the compiler's narrow interface (once per function and active set),
and the Spec is frozen and hashable."""
import ast
import dataclasses
import inspect

import numpy as np
import pytest

import srcgrad
from srcgrad import compiler, pipeline, resolve, runtime
from srcgrad.rules import registry
from reference import assert_close, build, tape_grad


def _calls_in_order(fn):
    """The names of the functions `fn` calls, in source order."""
    tree = ast.parse(inspect.getsource(fn))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    out = []
    for c in calls:
        f = c.func
        out.append(f.id if isinstance(f, ast.Name) else f.attr if
                   isinstance(f, ast.Attribute) else None)
    return out


def test_build_lists_the_passes_in_order():
    assert list(inspect.signature(pipeline.build).parameters) == ["fn", "spec", "callees"]
    calls = _calls_in_order(pipeline.build)
    passes = ["read_source", "context", "normalize", "resolve", "select", "analyze",
              "Reverse", "seed", "run", "assemble", "drop_real_helpers", "optimize",
              "compact", "emit", "guards"]
    positions = [calls.index(p) for p in passes]
    assert positions == sorted(positions), calls
    # the module docstring names the same passes, in the same order
    doc = pipeline.__doc__.split("\n\n")[1]
    named = ["source", "normalize", "resolve", "targets", "activity", "shapes", "kinds",
             "reverse", "assemble", "optimize", "specialize", "codegen"]
    where = [doc.index(p) for p in named]
    assert where == sorted(where)


def test_pipeline_runs_without_the_compiler():
    """A function with no callees needs nothing from the compiler: the pipeline run
    with a callee service that refuses every request gives the compiler's code."""
    f = build("def f(x):\n    return np.sum(np.sin(x) * x)\n", "f")

    class NoCallees:
        def request(self, fn, active_params):
            raise AssertionError("no callee was expected")

    spec = compiler.Spec()
    gen = pipeline.build(f, spec, NoCallees())
    assert gen.text == compiler.compile(f, spec).text
    x = np.linspace(-1.0, 1.0, 4)
    assert_close(gen.functions["main"](x), tape_grad(
        "def f(x):\n    return np.sum(np.sin(x) * x)\n", "f", (x,)))


CALLER = """
def h(a, b):
    return a * b + np.sin(a)

def f(x, y):
    u = h(x, 2.0)
    v = h(x, 3.0)
    w = h(x, y)
    return np.sum(u + v * w)
"""


def test_callee_request_served_once_per_function_and_active_set(monkeypatch):
    f = build(CALLER, "f")
    compiled, requested = [], []
    real_compile = compiler.compile

    def counting(fn, spec):
        if spec.mode == "vjp":
            compiled.append((fn.__name__, spec.wrt))
        return real_compile(fn, spec)
    monkeypatch.setattr(compiler, "compile", counting)

    class Recording(compiler.Callees):
        def request(self, fn, active_params):
            requested.append((fn.__name__, tuple(active_params)))
            return super().request(fn, active_params)

    compiler.clear_cache()
    callees = Recording(compiler.Spec(wrt=(0, 1)))
    gen = pipeline.build(f, compiler.Spec(wrt=(0, 1)), callees)
    # h(x, 2.0) and h(x, 3.0) share one active set ('a'); h(x, y) has another
    assert sorted(set(requested)) == [("h", ("a",)), ("h", ("a", "b"))]
    assert len(requested) > len(set(requested))
    assert sorted(compiled) == [("h", ("a",)), ("h", ("a", "b"))]
    assert len(callees.deps) == 2
    x, y = np.linspace(0.1, 1.0, 3), np.linspace(-1.0, 0.5, 3)
    assert_close(gen.functions["main"](x, y), tape_grad(CALLER, "f", (x, y), wrt=(0, 1)))


def test_spec_is_frozen_and_hashable():
    spec = compiler.Spec(wrt=1, mode="value_and_grad")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.mode = "grad"
    assert spec.wrt == (1,) and spec.single
    same = compiler.Spec(wrt=1, mode="value_and_grad")
    assert spec == same and hash(spec) == hash(same) and spec.key() == same.key()
    assert len({spec, same, compiler.Spec(wrt=(1,), mode="value_and_grad")}) == 2
    shaped = spec.with_shapes(((3,),), ("<f8",))
    assert shaped is not spec and spec.shapes is None and spec.dtypes is None
    assert shaped.shapes == ((3,),) and shaped.single and shaped.wrt == (1,)
    assert shaped.key() != spec.key()
    assert shaped.mode == spec.mode and shaped.save_to == spec.save_to


def test_spec_refuses_a_bad_unroll():
    with pytest.raises(srcgrad.SrcgradError):
        compiler.Spec(unroll="sometimes")


def test_stop_gradient_is_a_runtime_marker():
    assert srcgrad.stop_gradient is runtime.stop_gradient
    assert registry.marker(runtime.stop_gradient) == "stop"
    assert resolve.classify(srcgrad.stop_gradient, "stop_gradient").kind == "stop"
    imported = {n.module for n in ast.walk(ast.parse(inspect.getsource(resolve)))
                if isinstance(n, ast.ImportFrom)}
    assert "api" not in imported and "compiler" not in imported


def test_stop_gradient_still_stops_the_derivative():
    src = """
def f(x):
    return np.sum(x * srcgrad.stop_gradient(x))
"""
    f = build(src, "f")
    x = np.linspace(-1.0, 2.0, 5)
    # d/dx sum(x * c) with c = x held constant is c: autograd with the value unboxed
    from autograd.tracer import getval
    import types
    expected = tape_grad(src, "f", (x,), extra={"srcgrad": types.SimpleNamespace(
        stop_gradient=getval)})
    assert_close(srcgrad.grad(f)(x), expected)


def test_resolve_finds_the_stored_names_of_a_walk_and_keeps_the_statements_names():
    """resolve's locals (from the NameSets it keeps for analyze) are the given ones
    and every Store name of the normalized tree, temporaries included."""
    import gast
    from srcgrad.treewalk import names
    src = ("def f(x, n):\n    s = 0.0\n    for i in range(n):\n        if x[i] > 0 and i:\n"
           "            s = s + x[i] ** 2\n        else:\n            a, b = x[i], i\n"
           "            s -= a * b\n    return s if n else -s\n")
    fun = pipeline.read_source(build(src, "f"))
    ctx = pipeline.context(fun, pipeline.Spec())
    given = set(ctx.helpers.locals)
    tree = pipeline.normalize(fun.tree, ctx)
    resolver = pipeline.resolve(fun, tree, ctx)
    assert ctx.helpers.locals == names(tree, gast.Store, into=set(given))
    assert {"s", "i", "a", "b"} <= ctx.helpers.locals
    assert ctx.helpers.locals - given  # normalize's temporaries
    assert resolver.body_names.of(tree.body[0])[1] == {"s"}
