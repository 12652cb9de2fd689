"""The oracle of the wide-grammar random programs (tests/wide_programs.py).

`run(seed)` builds program `seed` as a module, draws a `wrt` form (int, name, negative
int, 1-tuple, tuple of ints and names) and a cotangent, and checks srcgrad's grad
(optimized and not), value_and_grad and vjp (pullback called twice) against the
reference: autograd on the same source with autograd.numpy when it can run it, central
finite differences otherwise (and always, as a check: where the two disagree the inputs
are near a kink and the example is skipped). After every call the arguments must equal
deep copies taken before it, and results handed out earlier must not have changed.
Programs with monkeypatched callees are then rebound and checked again.

The outcome is one of: pass, refused (a SrcgradError, which is always acceptable),
skipped (no reference: kink, overflow), and the failures wrong, mutated, crash.
"""
import copy
import itertools
import linecache
import traceback

import autograd
import numpy as np

import srcgrad
from wide_programs import WideProgram, arguments

LIMIT = 1e6
FAILURES = ("wrong", "mutated", "crash")
ORDER = ("wrong", "mutated", "crash", "refused", "pass")   # worst first
_count = itertools.count()


class Skip(Exception):
    """The example cannot be judged (no trustworthy reference)."""


class Outcome:
    def __init__(self, seed, prog, wrt=None):
        self.seed, self.prog, self.wrt = seed, prog, wrt
        self.issues = []          # (kind, check, message)
        self.kind = "pass"

    def add(self, kind, check, message):
        self.issues.append((kind, check, message))
        if ORDER.index(kind) < ORDER.index(self.kind):
            self.kind = kind

    def report(self):
        lines = [f"program {self.seed} ({', '.join(self.prog.features)}; "
                 f"container={self.prog.container}) wrt={self.wrt!r}: {self.kind}",
                 self.prog.source]
        lines += [f"  [{kind}] {check}: {message}" for kind, check, message in self.issues]
        return "\n".join(lines)


def build_module(src, tape=False):
    """Exec `src` as a module registered in linecache (so srcgrad can read it); with
    `tape`, on autograd.numpy."""
    if tape:
        src = src.replace("import numpy as np", "import autograd.numpy as np")
    n = next(_count)
    filename = f"<srcgrad-wide-{n}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"__name__": f"srcgrad_wide_{n}"}
    exec(compile(src, filename, "exec"), namespace)
    return namespace


def module_args(prog, namespace, seed):
    args = arguments(seed, prog.container)
    if prog.container == "namedtuple":
        args[3] = namespace["Pair"](*args[3])
    return args


# -- structures: floats, arrays, lists, tuples, NamedTuples -----------------------------
def flat(v):
    if isinstance(v, np.ndarray):
        return [float(e) for e in v.ravel()]
    if isinstance(v, (list, tuple)):
        return [e for item in v for e in flat(item)]
    return [float(v)]


def rebuild(template, values):
    """`template` with its floats taken in order from the iterator `values`."""
    if isinstance(template, np.ndarray):
        return np.array([next(values) for _ in range(template.size)],
                        dtype=float).reshape(template.shape)
    if isinstance(template, (list, tuple)):
        items = [rebuild(t, values) for t in template]
        if hasattr(template, "_fields"):
            return type(template)(*items)
        return type(template)(items)
    return next(values)


def mismatch(got, expected, template, rtol, atol, where="gradient"):
    """Why `got` is not `expected` in the type, structure, shape and dtype of
    `template`, or None."""
    if isinstance(template, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != template.shape or \
                got.dtype != template.dtype:
            return (f"{where}: got {type(got).__name__} {getattr(got, 'shape', '')} "
                    f"{getattr(got, 'dtype', '')}, want ndarray {template.shape} "
                    f"{template.dtype}")
    elif isinstance(template, (list, tuple)):
        if type(got) is not type(template) or len(got) != len(template):
            return f"{where}: got {type(got).__name__}, want {type(template).__name__}"
        for i, (g, e, t) in enumerate(zip(got, expected, template)):
            why = mismatch(g, e, t, rtol, atol, f"{where}[{i}]")
            if why:
                return why
        return None
    elif not isinstance(got, float):
        return f"{where}: got {type(got).__name__} {got!r}, want float"
    g = np.asarray(got, dtype=float)
    e = np.asarray(expected, dtype=float)
    if not np.allclose(g, e, rtol=rtol, atol=atol):
        return f"{where}: got {g!r}, want {e!r}"
    return None


def unchanged(now, before):
    """`now` still equals its deep copy `before` (types, structure, values)."""
    if type(now) is not type(before):
        return False
    if isinstance(now, np.ndarray):
        return now.shape == before.shape and now.dtype == before.dtype and \
            np.array_equal(now, before, equal_nan=True)
    if isinstance(now, (list, tuple)):
        return len(now) == len(before) and all(map(unchanged, now, before))
    if isinstance(now, float):
        return now == before or (now != now and before != before)
    return now == before


# -- references ------------------------------------------------------------------------
def objective(f, cot):
    def total(*args):
        out = f(*copy.deepcopy(args))
        return np.sum(np.real(out if cot is None else cot * out))
    return total


def finite_differences(f, args, p, cot, eps):
    total = objective(f, cot)
    base = flat(args[p])
    grads = []
    for i in range(len(base)):
        sides = []
        for sign in (1, -1):
            moved = list(base)
            moved[i] += sign * eps
            a = list(args)
            a[p] = rebuild(args[p], iter(moved))
            with np.errstate(all="ignore"):
                sides.append(total(*a))
        grads.append((sides[0] - sides[1]) / (2 * eps))
    return grads


def close_flat(a, b, rtol, atol):
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                       rtol=rtol, atol=atol)


def reference(prog, f, args, positions, cot, seed, patches=()):
    """The expected gradient for each position (structured like the argument), the
    tolerances, and whether it came from the tape."""
    fine = [finite_differences(f, args, p, cot, 1e-5) for p in positions]
    coarse = [finite_differences(f, args, p, cot, 1e-4) for p in positions]
    scale = max([1.0] + [abs(v) for g in fine for v in g])
    if not all(np.all(np.isfinite(g)) for g in fine) or scale > LIMIT:
        raise Skip("the gradient overflows")
    if not all(close_flat(a, b, 1e-3, 1e-5 * scale) for a, b in zip(fine, coarse)):
        raise Skip("near a kink (finite differences depend on the step)")
    try:
        tape_ns = build_module(prog.source, tape=True)
        for name, replacement in patches:
            tape_ns[name] = tape_ns[replacement]
        tape_args = module_args(prog, tape_ns, seed)
        total = objective(tape_ns["f"], cot)
        with np.errstate(all="ignore"):
            tape = [flat(autograd.grad(total, p)(*tape_args)) for p in positions]
    except Exception:
        tape = None
    if tape is not None and all(close_flat(a, b, 1e-3, 1e-5 * scale)
                                for a, b in zip(tape, fine)):
        grads, rtol, atol = tape, 1e-5, 1e-8 * scale
    else:
        # autograd cannot run it (in-place writes, NamedTuples), or runs it differently
        grads, rtol, atol = fine, 1e-4, 1e-6 * scale
    expected = [rebuild(args[p], iter(g)) for p, g in zip(positions, grads)]
    return expected, rtol, atol


# -- wrt forms ---------------------------------------------------------------------------
def draw_wrt(prog, rng):
    """A wrt form and the positions it names."""
    diff = [0, 1] + ([3] if prog.container else [])

    def one(p):
        form = rng.integers(3)
        if form == 1:
            return prog.params[p]
        if form == 2 and p == len(prog.params) - 1:
            return -1
        return p
    form = ("int", "name", "one_tuple", "tuple")[int(rng.integers(4))]
    if form in ("int", "name"):
        p = int(rng.choice(diff))
        return (p if form == "int" else prog.params[p]), (p,)
    if form == "one_tuple":
        p = int(rng.choice(diff))
        return (one(p),), (p,)
    k = int(rng.integers(2, len(diff) + 1))
    ps = [int(p) for p in rng.permutation(diff)[:k]]
    return tuple(one(p) for p in ps), tuple(ps)


# -- the checks --------------------------------------------------------------------------
FAILED = object()   # what a call that raised returns


class _Calls:
    """Runs srcgrad calls, classifying what they do into an Outcome."""

    def __init__(self, outcome):
        self.outcome = outcome
        self.handed_out = []      # (check, result, deep copy) of every result so far

    def call(self, check, fn, args):
        before = copy.deepcopy(args)
        try:
            with np.errstate(all="ignore"):
                result = fn(*args)
        except srcgrad.SrcgradError as exc:
            self.outcome.add("refused", check, str(exc).splitlines()[1][:160])
            return FAILED
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)
            where = f"{frames[-1].filename.split('/')[-1]}:{frames[-1].lineno}"
            self.outcome.add("crash", check, f"{type(exc).__name__}: {exc} ({where})"[:300])
            return FAILED
        finally:
            if not unchanged(args, before):
                self.outcome.add("mutated", check, "an argument changed during the call")
            for name, old, snapshot in self.handed_out:
                if not unchanged(old, snapshot):
                    self.outcome.add("mutated", check, f"the result of {name} changed")
        self.handed_out.append((check, result, copy.deepcopy(result)))
        return result

    def compare(self, check, got, expected, templates, single, rtol, atol):
        if single:
            got = (got,)
        elif not isinstance(got, tuple) or len(got) != len(expected):
            self.outcome.add("wrong", check, f"got {type(got).__name__}, want a tuple of "
                                             f"{len(expected)}")
            return
        for i, (g, e, t) in enumerate(zip(got, expected, templates)):
            why = mismatch(g, e, t, rtol, atol, f"gradient {i}")
            if why:
                self.outcome.add("wrong", check, why)
                return


def run(seed, features=None, container="random"):
    """Program `seed` through every check: an Outcome (raises Skip)."""
    prog = WideProgram(seed, features, container)
    rng = np.random.default_rng(seed + 10 ** 6)
    ns = build_module(prog.source)
    f = ns["f"]
    args = module_args(prog, ns, seed)
    with np.errstate(all="ignore"):
        out = f(*copy.deepcopy(args))
    if not np.all(np.isfinite(out)) or np.max(np.abs(out)) > LIMIT:
        raise Skip("the value overflows")
    wrt, positions = draw_wrt(prog, rng)
    single = not isinstance(wrt, tuple)
    outcome = Outcome(seed, prog, wrt)
    calls = _Calls(outcome)
    templates = [args[p] for p in positions]
    expected, rtol, atol = reference(prog, f, args, positions, None, seed)

    unroll = ("auto", True, False)[int(rng.integers(3))]
    for optimize in (True, False):
        check = f"grad(optimize={optimize}, unroll={unroll})"
        got = calls.call(check, srcgrad.grad(f, wrt=wrt, optimize=optimize, unroll=unroll),
                         args)
        if got is not FAILED:
            calls.compare(check, got, expected, templates, single, rtol, atol)

    vg = calls.call("value_and_grad", srcgrad.value_and_grad(f, wrt=wrt), args)
    if vg is not FAILED:
        value, got = vg
        if np.shape(value) != np.shape(out) or not np.allclose(value, out, rtol=1e-7):
            outcome.add("wrong", "value_and_grad", f"value {value!r}, want {out!r}")
        calls.compare("value_and_grad", got, expected, templates, single, rtol, atol)

    cot = rng.normal(size=np.shape(out))
    cot = float(cot) if np.ndim(out) == 0 else cot
    vjp = calls.call("vjp", lambda *a: srcgrad.vjp(f, *a, wrt=wrt), args)
    if vjp is not FAILED:
        value, pullback = vjp
        if np.shape(value) != np.shape(out) or not np.allclose(value, out, rtol=1e-7):
            outcome.add("wrong", "vjp", f"value {value!r}, want {out!r}")
        exp_v, rtol_v, atol_v = reference(prog, f, args, positions, cot, seed)
        for k in range(2):   # twice: nothing may be consumed or overwritten
            got = calls.call(f"vjp pullback #{k + 1}", pullback, [copy.deepcopy(cot)])
            if got is not FAILED:
                calls.compare(f"vjp pullback #{k + 1}", got, exp_v, templates, single,
                              rtol_v, atol_v)

    if prog.patches:
        for name, replacement in prog.patches:
            ns[name] = ns[replacement]
        expected, rtol, atol = reference(prog, f, args, positions, None, seed, prog.patches)
        got = calls.call("grad after rebinding the callee", srcgrad.grad(f, wrt=wrt), args)
        if got is not FAILED:
            calls.compare("grad after rebinding the callee", got, expected, templates,
                          single, rtol, atol)
    return outcome
