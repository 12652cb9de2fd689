"""srcgrad compile latency: cold compile of each workload and warm lookup cost."""
import statistics
from time import perf_counter

from .systems import exec_source
from .timing import interleaved


def trivial(x):
    return x * 2.0


def fresh_function(srcgrad, fn):
    """A function whose gradient srcgrad has not compiled yet.

    Prefers srcgrad.clear_cache(); without it, a new function object is built
    from the same source (registered in linecache so srcgrad can read it).
    """
    if hasattr(srcgrad, "clear_cache"):
        srcgrad.clear_cache()
        return fn
    return exec_source(fn, {}, tag="cold")


def cold_compile(srcgrad, fn, wrt, args, repeats, min_sample, clock=perf_counter):
    """Median seconds of grad(f) creation + first call, minus a warm call."""
    g = srcgrad.grad(fn, wrt=wrt)
    warm = interleaved({"warm": lambda: g(*args)}, max(3, repeats), min_sample,
                       clock=clock)["warm"]
    ts = []
    for _ in range(repeats):
        f = fresh_function(srcgrad, fn)
        t0 = clock()
        srcgrad.grad(f, wrt=wrt)(*args)
        ts.append(clock() - t0)
    # Leave srcgrad's cache warm again for whatever runs next.
    srcgrad.grad(fn, wrt=wrt)(*args)
    return max(statistics.median(ts) - warm, 0.0), warm


def warm_lookup(srcgrad, repeats, min_sample, clock=perf_counter):
    """Seconds that `srcgrad.grad(f)(x)` costs over calling a kept gradient."""
    g = srcgrad.grad(trivial)
    g(1.5)
    t = interleaved({"kept": lambda: g(1.5),
                     "lookup": lambda: srcgrad.grad(trivial)(1.5)},
                    repeats, min_sample, clock=clock)
    return t["lookup"] - t["kept"], t["kept"]
