"""Reference evaluation for the randomized tests: how far inputs are from a kink, the
reference gradient (autograd on the same source, or central finite differences), and the
comparison of every optimize x unroll variant of srcgrad against it."""
import ast
import os
import types

import numpy as np
from hypothesis import HealthCheck, Phase, assume, note
from hypothesis import strategies as st

import srcgrad
from programs import L
from reference import assert_close, build, numeric_grad, tape_grad

MARGIN = 1e-3             # distance from a branch boundary or a max tie we insist on
LIMIT = 1e6               # values beyond this say the program blew up: discarded
UNROLLS = ("auto", True, False)


# -- margins: how far the inputs are from a kink ---------------------------------------
class _Probe(ast.NodeTransformer):
    """Rewrites each comparison `a < b < c` into `_cmp([a, b, c], ['<', '<'])`."""

    SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
               ast.NotEq: "!="}

    def visit_Compare(self, node):
        self.generic_visit(node)
        ops = [ast.Constant(self.SYMBOLS[type(op)]) for op in node.ops]
        call = ast.Call(ast.Name("_cmp", ast.Load()),
                        [ast.List([node.left] + node.comparators, ast.Load()),
                         ast.List(ops, ast.Load())], [])
        return ast.copy_location(call, node)


def margin(src, args):
    """The smallest distance of any evaluated float comparison or max to a kink, and the
    value f returns. Exact ties (a - b == 0.0) are structural (x - x, untouched zeros,
    the two halves of np.outer(x, x)): they hold in a whole neighbourhood, so no kink."""
    gaps = [np.inf]

    def record(gap):
        gap = np.asarray(gap, dtype=float).ravel()
        gap = gap[gap != 0.0]
        if gap.size:
            gaps.append(float(np.min(gap)))

    def cmp(values, ops):
        result = True
        for a, b, op in zip(values, values[1:], ops):
            if not all(isinstance(v, (int, np.integer)) for v in (a, b)):
                scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
                record(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / scale)
            result = result & COMPARE[op](a, b)
        return result

    def top_gap(row):
        distinct = np.unique(row)
        return (distinct[-1] - distinct[-2]) / max(1.0, abs(distinct[-1])) \
            if distinct.size > 1 else 0.0

    def probe_max(a, axis=None):
        a = np.asarray(a, dtype=float)
        record(top_gap(a.ravel()) if axis is None else np.apply_along_axis(top_gap, axis, a))
        return np.max(a, axis=axis)

    fake_np = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np)
                                       if not k.startswith("__")})
    fake_np.max = probe_max
    tree = ast.fix_missing_locations(_Probe().visit(ast.parse(src)))
    namespace = {"np": fake_np, "_cmp": cmp}
    exec(compile(tree, "<margin-probe>", "exec"), namespace)
    with np.errstate(all="ignore"):
        out = namespace["f"](*args)
    return min(gaps), out


COMPARE = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
           "==": np.equal, "!=": np.not_equal}


# -- the comparison --------------------------------------------------------------------
WRTS = {0: (0,), 1: (1,), (0, 1): (0, 1), "x": (0,), ("x", "s"): (0, 1)}


def inputs(draw):
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.5, 1.5, size=L)
    s = float(rng.uniform(-1.5, 1.5))
    n = draw(st.integers(0, L))
    return [x, s, n]


def usable(src, args):
    try:
        gap, out = margin(src, args)
    except (OverflowError, ZeroDivisionError):
        gap, out = 0.0, np.inf   # Python floats raise where NumPy would give inf
    assume(gap > MARGIN)
    assume(np.all(np.isfinite(out)) and np.max(np.abs(out)) < LIMIT)


def compare_all(src, args, wrt, numeric):
    """Every optimize x unroll variant of srcgrad against the reference gradient."""
    positions = WRTS[wrt]
    f = build(src, "f")
    if not numeric:
        try:
            expected = tape_grad(src, "f", args, positions)
            rtol, atol = 1e-5, 1e-8
        except TypeError:
            # autograd cannot `v += box` into a plain array (v built from constants only)
            numeric = True
    if numeric:
        expected = tuple(numeric_grad(f, args, p) for p in positions)
        rtol, atol = 1e-4, 1e-6 * max(1.0, max(float(np.max(np.abs(e))) for e in expected))
    assume(all(np.all(np.isfinite(e)) and np.max(np.abs(e)) < LIMIT for e in expected))
    single = not isinstance(wrt, tuple)
    for optimize in (True, False):
        for unroll in UNROLLS:
            note(f"optimize={optimize} unroll={unroll} wrt={wrt!r}")
            got = srcgrad.grad(f, wrt=wrt, optimize=optimize, unroll=unroll)(
                args[0].copy(), args[1], args[2])
            got = (got,) if single else got
            assert len(got) == len(expected)
            for g, e, p in zip(got, expected, positions):
                assert_close(g, e, rtol=rtol, atol=atol)
                if p == 0:
                    assert isinstance(g, np.ndarray) and g.shape == (L,) and g.dtype == float
                else:
                    assert isinstance(g, float), type(g)


SETTINGS = dict(deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# SRCGRAD_RANDOM_SCALE=10 runs ten times as many programs (about 7 minutes on 2 cores);
# the default keeps the file near 35 seconds.
SCALE = float(os.environ.get("SRCGRAD_RANDOM_SCALE", "1"))


def examples(n):
    return max(1, int(n * SCALE))
