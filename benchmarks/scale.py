"""`python -m benchmarks compile`: the compiler at scale, in one run.

Reports import time, cold compile per workload, compile time against function size
(with a fitted growth exponent), memory after many redefinitions and many shapes,
warm overhead per call, compiles in two threads, and a new process's cold start with
and without the disk cache. Each figure is a median over repetitions; processes are
timed as whole commands (`python -c ...`), so import and start-up costs are real.
"""
import argparse
import gc
import importlib
import linecache
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import tracemalloc
import weakref

import numpy as np

from .workloads import all_modules

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks compile", description=__doc__)
    p.add_argument("--quick", action="store_true",
                   help="smaller sizes and fewer repetitions (< ~60 s)")
    p.add_argument("--out", metavar="PATH",
                   help="also write the Markdown report here")
    return p.parse_args(argv)


def _median_process(code, runs, env=None):
    """Median wall seconds of `python -c code` over `runs` fresh processes."""
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                       env=env, stdout=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def _env(bytecode, prefix=None):
    env = dict(os.environ)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    elif prefix:
        env["PYTHONPYCACHEPREFIX"] = prefix
    return env


def import_time(runs):
    """Seconds `import srcgrad` adds to a new process beyond `import numpy`, the only
    package it imports (gast, astor and the compiler load at the first compile):
    (as installed, numpy alone; without bytecode).

    As installed means with bytecode, as pip and a first import leave it: a warm-up
    process writes it into a temporary PYTHONPYCACHEPREFIX (the checkout stays
    clean), then every run reads it. Without bytecode (PYTHONDONTWRITEBYTECODE, as in
    some sandboxes) srcgrad's modules are compiled from source in each process, while
    numpy's still load from the bytecode its install wrote."""
    with tempfile.TemporaryDirectory() as prefix:
        env = _env(True, prefix)
        _median_process("import srcgrad", 1, env)  # writes the bytecode
        installed, base = _paired("import numpy", "import srcgrad", runs, env)
        own = _self_timed(runs, env)
    raw, _ = _paired("import numpy", "import srcgrad", runs, _env(False))
    return installed, base, raw, own


def _paired(base_code, code, runs, env):
    """(median of the differences, median of `base_code`) over `runs` pairs of new
    processes, run alternately so that the machine's load drifts out of the difference."""
    diffs, bases = [], []
    for _ in range(runs):
        b = _median_process(base_code, 1, env)
        diffs.append(_median_process(code, 1, env) - b)
        bases.append(b)
    return statistics.median(diffs), statistics.median(bases)


def _self_timed(runs, env):
    """Median seconds of `import srcgrad` after numpy, as `python -X importtime` times it."""
    ts = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c",
                              "import numpy; import srcgrad"], check=True, cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in out.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[2].strip() == "srcgrad":
                ts.append(int(parts[1]) * 1e-6)
    return statistics.median(ts) if ts else None


_counter = [0]


def define(source, name, namespace=None):
    """A function compiled from `source` under a fresh file name registered in
    linecache (as a notebook cell is); the entry is removed with `forget`."""
    _counter[0] += 1
    filename = f"<bench-scale {_counter[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ns = {"np": np} if namespace is None else namespace
    exec(compile(source, filename, "exec"), ns)
    return ns[name], filename


def forget(filename):
    linecache.cache.pop(filename, None)


def straight_line(n):
    """Source of a straight-line function of about `n` statements."""
    lines = ["def big(x):", "    t0 = x", "    t1 = np.sin(x)"]
    for i in range(2, n):
        op = ("np.sin(t{a}) * 0.5 + t{b}", "t{a} * t{b} - 0.25 * t{a}",
              "np.tanh(t{a}) + np.cos(t{b})")[i % 3]
        lines.append(f"    t{i} = " + op.format(a=i - 1, b=i - 2))
    lines.append(f"    return np.sum(t{n - 1})")
    return "\n".join(lines) + "\n"


def compile_seconds(srcgrad, fn, args):
    srcgrad.clear_cache()
    t0 = time.perf_counter()
    srcgrad.grad(fn)(*args)
    return time.perf_counter() - t0


def growth(srcgrad, sizes, limit):
    """[(statements, seconds)] and the fitted exponent of seconds ~ statements**k."""
    rows = []
    x = np.linspace(0.1, 0.9, 4)
    for n in sizes:
        fn, filename = define(straight_line(n), "big")
        try:
            secs = compile_seconds(srcgrad, fn, (x,))
        except RecursionError:
            secs = float("nan")
        finally:
            forget(filename)
        rows.append((n, secs))
        if secs > limit:  # the next size would take too long to be worth it
            break
    good = [(n, s) for n, s in rows if s == s and s > 0]
    k = None
    if len(good) >= 2:
        lx = np.log([n for n, _ in good])
        ly = np.log([s for _, s in good])
        k = float(np.polyfit(lx, ly, 1)[0])
    return rows, k


def cold_workloads(srcgrad, reps):
    out = []
    for mod in all_modules():
        case = mod.cases(quick=True)[0]
        args = case.extra.get("cold_args", case.args)
        ts = []
        for _ in range(reps):
            srcgrad.clear_cache()
            t0 = time.perf_counter()
            srcgrad.grad(case.fn, wrt=case.wrt)(*args)
            ts.append(time.perf_counter() - t0)
        out.append((case.fn.__name__, statistics.median(ts)))
    return out


_CELL = textwrap.dedent("""\
    def cell(x):
        h = np.tanh(x * {k}.0)
        return np.sum(h * h)
""")


def redefinitions(srcgrad, n):
    """Memory, linecache entries and live functions after `n` cells are defined,
    differentiated once and dropped (clear_cache() is called at the end)."""
    x = np.linspace(-1.0, 1.0, 8)
    gc.collect()
    lines_before = len(linecache.cache)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    refs = []
    for k in range(n):
        fn, filename = define(_CELL.format(k=k), "cell")
        srcgrad.grad(fn)(x)
        refs.append(weakref.ref(fn))
        forget(filename)  # the user's cell text goes; srcgrad's own entries are its own
        del fn
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    srcgrad.clear_cache()
    gc.collect()
    after_clear = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    alive = sum(r() is not None for r in refs)
    return dict(grown=grown, after_clear=after_clear, alive=alive,
                linecache=len(linecache.cache) - lines_before)


def many_shapes(srcgrad, n):
    """Memory kept by one function called with `n` shapes (under tracemalloc), and the
    median compile time per new shape (measured apart: tracemalloc slows every
    allocation, which the passes make many of)."""
    fn, filename = define(_CELL.format(k=3), "cell")
    g = srcgrad.grad(fn)
    ts = []
    for m in range(1, min(n, 100) + 1):
        x = np.ones(m)
        t0 = time.perf_counter()
        g(x)
        ts.append(time.perf_counter() - t0)
    srcgrad.clear_cache()
    g = srcgrad.grad(fn)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for m in range(1, n + 1):
        g(np.ones(m))
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    forget(filename)
    srcgrad.clear_cache()
    return dict(grown=grown, per_shape=statistics.median(ts), n=n)


_SIX = textwrap.dedent("""\
    def six(a, b, c, d, e, f):
        return np.sum(a * b + c * d + e * f)
""")


def warm_overhead(srcgrad, reps):
    """(overhead with the C check or None when srcgrad._speedups is not built,
    overhead with the Python check, floor): seconds a warm `g(*args)` costs over the
    generated code it runs, and what testing each argument's type, dtype and shape
    alone costs in Python (what a never-stale dispatch written in Python must read),
    all in the same loop."""
    fn, filename = define(_SIX, "six")
    fn_py, filename_py = define(_SIX, "six")  # its own gradient (grad(fn) is memoized)
    args = [np.full(3, float(i + 1)) for i in range(6)]
    dispatch = importlib.import_module("srcgrad.dispatch")
    with_c = dispatch.speedups() is not None
    g_c = srcgrad.grad(fn)
    g_c(*args)  # its warm entry is made now, with the C check when there is one
    saved = list(dispatch._speedups)
    dispatch._speedups[:] = [None]
    try:
        g_py = srcgrad.grad(fn_py)
        g_py(*args)  # this one's entry has the Python check
    finally:
        dispatch._speedups[:] = saved
    inner = _generated_main(srcgrad, fn, args)
    per = 20000

    def timed(call):
        t0 = time.perf_counter()
        for _ in range(per):
            call(*args)
        return (time.perf_counter() - t0) / per
    tests, empty = _floor_functions(args)
    runs = {"c": [], "py": [], "inner": [], "tests": [], "empty": []}
    calls = {"c": g_c, "py": g_py, "inner": inner, "tests": tests, "empty": empty}
    for _ in range(reps):
        for key, call in calls.items():
            runs[key].append(timed(call) if call is not None else float("nan"))
    forget(filename)
    forget(filename_py)
    med = {key: statistics.median(ts) for key, ts in runs.items()}
    return ((med["c"] - med["inner"]) if with_c else None, med["py"] - med["inner"],
            med["tests"] - med["empty"])


def _floor_functions(args):
    """A function of len(args) parameters testing `type(a) is T and a.dtype is D and
    a.shape == S` for each, and one doing nothing."""
    names = [f"a{i}" for i in range(len(args))]
    env = {}
    tests = []
    for i, a in enumerate(args):
        env.update({f"T{i}": type(a), f"D{i}": a.dtype, f"S{i}": a.shape})
        tests.append(f"type(a{i}) is T{i} and a{i}.dtype is D{i} and a{i}.shape == S{i}")
    text = (f"def tests({', '.join(names)}):\n    return {' and '.join(tests)}\n"
            f"def empty({', '.join(names)}):\n    return None\n")
    exec(compile(text, "<bench-scale floor>", "exec"), env)
    return env["tests"], env["empty"]


def _generated_main(srcgrad, fn, args):
    """The specialized generated function `grad(fn)(*args)` runs, if reachable."""
    compiler = importlib.import_module("srcgrad.compiler")
    api = importlib.import_module("srcgrad.api")
    try:
        spec = compiler.Spec(mode="grad").with_shapes(api.shape_key(args),
                                                      api.dtype_key(args))
        return compiler.compile(fn, spec).main
    except Exception:  # internal API moved: report the whole call instead
        return None


def thread_wait(srcgrad, big_n):
    """Seconds a small compile takes while another thread compiles a big function."""
    big, f1 = define(straight_line(big_n), "big")
    small, f2 = define(_CELL.format(k=7), "cell")
    x = np.linspace(0.1, 0.9, 4)
    srcgrad.clear_cache()
    started = threading.Event()

    def compile_big():
        started.set()
        srcgrad.grad(big)(x)
    t = threading.Thread(target=compile_big)
    t.start()
    started.wait()
    time.sleep(0.005)
    t0 = time.perf_counter()
    srcgrad.grad(small)(x)
    waited = time.perf_counter() - t0
    t.join()
    srcgrad.clear_cache()
    alone = compile_seconds(srcgrad, small, (x,))
    forget(f1)
    forget(f2)
    return waited, alone


_COLD_START = textwrap.dedent("""\
    import numpy as np, srcgrad
    from benchmarks.workloads import mlp
    case = mlp.cases(quick=True)[0]
    srcgrad.grad(case.fn, wrt=case.wrt)(*case.args)
""")


def cold_start(runs):
    """(no cache, disk cache warm) seconds for a new process to import srcgrad and
    compute one MLP gradient; the second is None when srcgrad has no disk cache."""
    plain = _median_process(_COLD_START, runs)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, SRCGRAD_CACHE_DIR=cache)
        _median_process(_COLD_START, 1, env)  # fills the cache
        filled = any(os.scandir(cache))
        cached = _median_process(_COLD_START, runs, env) if filled else None
    return plain, cached


def ms(s):
    return "n/a" if s is None or s != s else f"{s * 1e3:.1f} ms"


def us(s):
    return "n/a" if s is None or s != s else f"{s * 1e6:.2f} µs"


def mb(b):
    return f"{b / 2**20:.2f} MB"


def main(argv):
    opts = parse_args(argv)
    srcgrad = importlib.import_module("srcgrad")
    quick = opts.quick
    say = lambda msg: sys.stderr.write(msg + "\n")  # noqa: E731
    out = ["# srcgrad at scale (`python -m benchmarks compile" + (" --quick" if quick else "")
           + "`)", "", f"Python {sys.version.split()[0]}, NumPy {np.__version__}, "
           f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}.", "",
           "| what | measured |", "|---|---|"]
    say("import time")
    imp, deps, raw, own = import_time(7 if quick else 15)
    out.append(f"| `import srcgrad` beyond `import numpy`, with bytecode as installed "
               f"(`import numpy` alone: {ms(deps)}; -X importtime: {ms(own)}) | {ms(imp)} |")
    out.append(f"| `import srcgrad` beyond `import numpy`, no bytecode "
               f"(PYTHONDONTWRITEBYTECODE) | {ms(raw)} |")
    say("cold compile per workload")
    for name, secs in cold_workloads(srcgrad, 3 if quick else 7):
        out.append(f"| cold compile `{name}` | {ms(secs)} |")
    say("compile time vs size")
    sizes = (100, 250, 500) if quick else (100, 250, 500, 1000, 2000)
    rows, k = growth(srcgrad, sizes, limit=20.0 if quick else 60.0)
    for n, secs in rows:
        out.append(f"| compile, {n} statements | {ms(secs)} |")
    out.append(f"| growth exponent (seconds ~ statements^k) | "
               f"{'n/a' if k is None else f'{k:.2f}'} |")
    say("redefinitions")
    n_def = 200 if quick else 1000
    r = redefinitions(srcgrad, n_def)
    out.append(f"| {n_def} redefinitions: memory kept / after clear_cache() | "
               f"{mb(r['grown'])} / {mb(r['after_clear'])} |")
    out.append(f"| {n_def} redefinitions: functions alive, linecache entries added | "
               f"{r['alive']}, {r['linecache']} |")
    say("many shapes")
    n_sh = 300 if quick else 2000
    s = many_shapes(srcgrad, n_sh)
    out.append(f"| {n_sh} shapes of one function: memory, compile per new shape | "
               f"{mb(s['grown'])}, {ms(s['per_shape'])} |")
    say("warm overhead")
    over_c, over_py, floor = warm_overhead(srcgrad, 5 if quick else 11)
    out.append(f"| warm call overhead, 6 array arguments: C check / Python check "
               f"(floor of a check in Python: their type, dtype, shape alone) | "
               f"{us(over_c) if over_c is not None else 'not built'} / {us(over_py)} "
               f"({us(floor)}) |")
    say("threads")
    waited, alone = thread_wait(srcgrad, 150 if quick else 400)
    out.append(f"| small compile beside a big one in another thread (alone) | "
               f"{ms(waited)} ({ms(alone)}) |")
    say("cold start")
    plain, cached = cold_start(3 if quick else 5)
    out.append(f"| new process, import + one MLP gradient: no cache / disk cache | "
               f"{ms(plain)} / {ms(cached)} |")
    md = "\n".join(out) + "\n"
    print(md)
    if opts.out:
        with open(opts.out, "w") as fh:
            fh.write(md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
