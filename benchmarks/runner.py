"""`python -m benchmarks`: check every system's gradient, time them, report."""
import argparse
import inspect
import os
import sys
import time
import traceback

import numpy as np

from . import latency, memory, report
from .systems import AUTOGRAD, HAND, SRCGRAD, NotApplicable, Systems
from .threads import DEFAULT as DEFAULT_THREADS
from .timing import CLOCKS, interleaved
from .workloads import all_modules

HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ("compile", "memory")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true",
                   help="few repetitions and sizes: a smoke test (< ~60 s)")
    p.add_argument("--only", metavar="NAME",
                   help="comma-separated workloads (scalar_loop, mlp, rnn, textbook), "
                        "substrings of row names, or sections (compile, memory)")
    p.add_argument("--png", metavar="PATH",
                   help="MLP time-vs-size plot (needs matplotlib); full runs default "
                        "to benchmarks/mlp_scaling.png")
    p.add_argument("--out", metavar="PATH",
                   help="where to write the Markdown report (default benchmarks/results.md; "
                        "--quick writes none unless given, to keep the full results)")
    p.add_argument("--reps", type=int, help="repetitions per system (default 31, quick 5)")
    p.add_argument("--min-sample", type=float, default=0.002,
                   help="seconds each timed sample lasts at least (default 0.002)")
    p.add_argument("--threads", type=int, metavar="N", default=DEFAULT_THREADS,
                   help="cap BLAS/torch/XLA thread pools to N (default 1; 0: the "
                        "libraries' own defaults)")
    p.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                   help="wall: time.perf_counter (default); cpu: time.process_time, "
                        "steadier on a loaded machine (use with --threads 1)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 if any gradient mismatches or any system fails")
    args = p.parse_args(argv)
    if args.reps is None:
        args.reps = 5 if args.quick else 31
    if args.out is None and not args.quick:
        args.out = os.path.join(HERE, "results.md")
    args.only = [t.strip() for t in args.only.split(",")] if args.only else None
    return args


class Progress:
    """One status line on stderr (rewritten in place on a terminal)."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.width = 0

    def __call__(self, msg, transient=False, final=False):
        """transient: a detail worth showing only where it can be overwritten."""
        if self.tty:
            pad = max(self.width - len(msg), 0)
            sys.stderr.write("\r" + msg + " " * pad + ("\n" if final else ""))
            self.width = 0 if final else len(msg)
        elif not transient:
            sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    def loud(self, msg):
        if self.tty and self.width:
            sys.stderr.write("\n")
            self.width = 0
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()


def selected(case, only):
    if only is None:
        return True
    return any(t == case.workload or (t not in SECTIONS and t in case.name) for t in only)


def section_on(name, only, aliases=()):
    return only is None or any(t == name or t in aliases for t in only)


def compare(expected, got):
    """None if the gradients agree, else a description of the difference."""
    if len(got) != len(expected):
        return f"returned {len(got)} gradients, expected {len(expected)}"
    for i, (e, g) in enumerate(zip(expected, got)):
        e, g = np.asarray(e, dtype=float), np.asarray(g)
        if g.shape != e.shape:
            return f"gradient {i}: shape {g.shape}, expected {e.shape}"
        scale = max(1.0, float(np.max(np.abs(e))) if e.size else 1.0)
        if not np.allclose(g, e, rtol=1e-6, atol=1e-9 * scale):
            err = float(np.max(np.abs(g - e)))
            return (f"gradient {i}: max abs error {err:.3g} "
                    f"(max |expected| {float(np.max(np.abs(e))):.3g})")
    return None


def type_problem(case, got):
    """srcgrad promises each gradient has its argument's type, shape and dtype."""
    wrt = case.wrt if isinstance(case.wrt, tuple) else (case.wrt,)
    for i, g in zip(wrt, got):
        a = case.args[i]
        if isinstance(a, np.ndarray):
            if not isinstance(g, np.ndarray) or g.dtype != a.dtype:
                return (f"gradient wrt arg {i}: {type(g).__name__} "
                        f"{getattr(g, 'dtype', '')}, expected ndarray {a.dtype}")
        elif isinstance(a, float) and not isinstance(g, (float, np.floating)):
            return f"gradient wrt arg {i}: {type(g).__name__}, expected float"
    return None


def short_tb():
    lines = traceback.format_exc().rstrip().splitlines()
    return "\n".join(lines[-25:])


def run_case(case, systems, opts, problems, say):
    """Check and time every system on one case; returns the table row."""
    row = {"case": case, "times": {}, "status": {}}
    runners = {}
    expected = None
    for system in systems.available:
        try:
            run, to_numpy = systems.build(system, case)
            got = to_numpy(run())
        except NotApplicable as exc:
            row["status"][system] = "n/a"
            row.setdefault("na", {})[system] = str(exc)
            continue
        except Exception as exc:
            row["status"][system] = "ERROR"
            problems.append(dict(system=system, case=case.name, kind="error",
                                 message=f"{type(exc).__name__}: {exc}",
                                 detail=short_tb(), source=inspect.getsource(case.fn)))
            say.loud(f"!!! {system} FAILED on {case.name}: {type(exc).__name__}: {exc}")
            continue
        if system == HAND:
            expected = got
            row["status"][system] = "ok"
        else:
            bad = compare(expected, got)
            if bad is None and system == SRCGRAD:
                bad = type_problem(case, got)
            row["status"][system] = "MISMATCH" if bad else "ok"
            if bad:
                problems.append(dict(system=system, case=case.name, kind="mismatch",
                                     message=bad, detail="",
                                     source=inspect.getsource(case.fn)))
                say.loud(f"!!! GRADIENT MISMATCH: {system} on {case.name}: {bad}")
        runners[system] = run
    if HAND not in runners:
        return row  # nothing to compare against

    def progress(rep, reps):
        say(f"  {case.name}: repetition {rep + 1}/{reps} ({', '.join(runners)})",
            transient=True)
    row["times"] = interleaved(runners, opts.reps, opts.min_sample, progress,
                               CLOCKS[opts.clock])
    return row


def run_compile(systems, modules, opts, problems, say):
    out = {"cold": [], "lookup": None}
    sg = systems.srcgrad
    reps = 3 if opts.quick else 9
    for mod in modules:
        case = mod.cases(quick=True)[0]
        say(f"  cold compile: {case.fn.__name__}")
        args = case.extra.get("cold_args", case.args)
        try:
            cold, warm = latency.cold_compile(sg, case.fn, case.wrt, args, reps,
                                              opts.min_sample, CLOCKS[opts.clock])
            out["cold"].append(dict(name=case.fn.__name__, cold=cold, warm=warm))
        except Exception as exc:
            out["cold"].append(dict(name=case.fn.__name__, error=True))
            problems.append(dict(system=SRCGRAD, case=f"cold compile of {case.fn.__name__}",
                                 kind="error", message=f"{type(exc).__name__}: {exc}",
                                 detail=short_tb(), source=inspect.getsource(case.fn)))
    say("  warm lookup")
    try:
        out["lookup"] = latency.warm_lookup(sg, opts.reps, opts.min_sample,
                                            CLOCKS[opts.clock])
    except Exception as exc:
        problems.append(dict(system=SRCGRAD, case="warm lookup", kind="error",
                             message=f"{type(exc).__name__}: {exc}", detail=short_tb(),
                             source=inspect.getsource(latency.trivial)))
    return out


def run_memory(systems, opts, problems, say):
    from .workloads import rnn
    case = rnn.cases()[-1]
    out = {"case": case.name}
    for system in (HAND, SRCGRAD, AUTOGRAD):
        if system not in systems.available:
            continue
        say(f"  peak memory: {system}")
        try:
            run, _ = systems.build(system, case)
            out[system] = memory.peak_bytes(run)
        except Exception as exc:
            problems.append(dict(system=system, case="peak memory of " + case.name,
                                 kind="error", message=f"{type(exc).__name__}: {exc}",
                                 detail=short_tb(), source=inspect.getsource(case.fn)))
    return out


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    say = Progress()
    say("importing systems...")
    load_before = os.getloadavg()[0]
    systems = Systems(threads=opts.threads or None)
    modules = all_modules()
    cases = [c for m in modules for c in m.cases(quick=opts.quick) if selected(c, opts.only)]
    problems, rows = [], []
    for i, case in enumerate(cases):
        t0 = time.perf_counter()
        say(f"[{i + 1}/{len(cases)}] {case.name}")
        rows.append(run_case(case, systems, opts, problems, say))
        say(f"[{i + 1}/{len(cases)}] {case.name}: {time.perf_counter() - t0:.1f} s",
            final=True)
    results = {"rows": rows, "problems": problems, "notes": list(systems.notes),
               "versions": systems.versions(), "opts": opts,
               "systems": systems.available, "compile": None, "memory": None,
               "load": [load_before]}
    if SRCGRAD in systems.available and section_on("compile", opts.only, ("latency",)):
        say("compile latency")
        results["compile"] = run_compile(systems, modules, opts, problems, say)
    if section_on("memory", opts.only, ("rnn",)):
        say("peak memory")
        results["memory"] = run_memory(systems, opts, problems, say)
    say("done", final=True)
    results["load"].append(os.getloadavg()[0])

    md = report.markdown(results, argv=sys.argv[1:] if argv is None else argv)
    print(md)
    if opts.out:
        with open(opts.out, "w") as fh:
            fh.write(md)
        sys.stderr.write(f"report written to {opts.out}\n")
    png = opts.png or (None if opts.quick else os.path.join(HERE, "mlp_scaling.png"))
    if png:
        note = report.plot_mlp(rows, png)
        sys.stderr.write(note + "\n")
    if problems:
        sys.stderr.write(f"!!! {len(problems)} problem(s): see the Problems section\n")
    return 1 if (opts.strict and problems) else 0
