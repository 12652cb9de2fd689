"""Markdown report and the optional MLP scaling plot."""
import datetime
import os
import platform

from .systems import AUTOGRAD, HAND, ORDER, SRCGRAD

# The targets the srcgrad core is measured against.
HAND_RATIO = 1.25          # srcgrad time / hand-written time, at most
AUTOGRAD_SPEEDUP = 4.0     # autograd time / srcgrad time, at least ...
BLAS_SPEEDUP = 1.0         # ... except when BLAS-bound
COLD_COMPILE = 0.030       # seconds
WARM_LOOKUP = 5e-6         # seconds ("a few microseconds")
MEMORY_RATIO = 1.10        # srcgrad peak / hand-written peak


def fmt_time(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.3g} µs"
    if s < 1:
        return f"{s * 1e3:.3g} ms"
    return f"{s:.3g} s"


def fmt_bytes(n):
    return f"{n / 2 ** 20:.2f} MiB" if n >= 2 ** 20 else f"{n / 2 ** 10:.1f} KiB"


def _cell(row, system):
    status = row["status"].get(system)
    if status is None:
        return "-"
    if status in ("n/a", "ERROR"):
        return status
    t = row["times"].get(system)
    hand = row["times"].get(HAND)
    text = fmt_time(t)
    if t is not None and hand and system != HAND:
        text += f" ({t / hand:.2f}x)"
    if status == "MISMATCH":
        text += " **MISMATCH**"
    return text


def _speed_verdict(row):
    """(autograd/srcgrad text, target text, met text) for one timing row."""
    need = BLAS_SPEEDUP if row["case"].blas_bound else AUTOGRAD_SPEEDUP
    target = f"≤ {HAND_RATIO}x hand, ≥ {need:g}x autograd"
    t = row["times"]
    sg, hand, ag = t.get(SRCGRAD), t.get(HAND), t.get(AUTOGRAD)
    speedup = f"{ag / sg:.1f}x" if sg and ag else "-"
    if not sg or not hand or row["status"].get(SRCGRAD) != "ok":
        return speedup, target, "no (" + row["status"].get(SRCGRAD, "missing") + ")"
    misses = []
    if sg / hand > HAND_RATIO:
        misses.append(f"{sg / hand:.2f}x hand")
    if ag and ag / sg < need:
        # srcgrad can't beat autograd by more than the hand-written code does.
        misses.append(f"{ag / sg:.1f}x autograd (ceiling {ag / hand:.1f}x)")
    return speedup, target, "yes" if not misses else "no: " + ", ".join(misses)


def timing_table(rows, systems):
    cols = [s for s in ORDER if s in systems]
    head = ["workload"] + cols + ["autograd / srcgrad", "target", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        speedup, target, met = _speed_verdict(row)
        cells = [row["case"].name] + [_cell(row, s) for s in cols] + [speedup, target, met]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def compile_table(comp):
    lines = ["| srcgrad latency | measured | warm call | target | met |",
             "|---|---|---|---|---|"]
    for c in comp["cold"]:
        if c.get("error"):
            lines.append(f"| cold compile `{c['name']}` | ERROR | - | "
                         f"< {COLD_COMPILE * 1e3:g} ms | no |")
            continue
        met = "yes" if c["cold"] < COLD_COMPILE else "no"
        lines.append(f"| cold compile `{c['name']}` | {fmt_time(c['cold'])} | "
                     f"{fmt_time(c['warm'])} | < {COLD_COMPILE * 1e3:g} ms | {met} |")
    if comp["lookup"] is not None:
        over, kept = comp["lookup"]
        met = "yes" if over <= WARM_LOOKUP else "no"
        lines.append(f"| warm `srcgrad.grad(f)(x)` lookup overhead | {fmt_time(over)} | "
                     f"{fmt_time(kept)} | ≤ {WARM_LOOKUP * 1e6:g} µs | {met} |")
    return lines


def memory_table(mem):
    hand = mem.get(HAND)
    lines = [f"Peak memory of one gradient call on `{mem['case']}` (tracemalloc peak):", "",
             "| system | peak | ratio to hand-written | target | met |",
             "|---|---|---|---|---|"]
    for system in (HAND, SRCGRAD, AUTOGRAD):
        if system not in mem:
            continue
        peak = mem[system]
        ratio = f"{peak / hand:.2f}x" if hand else "-"
        target, met = "", ""
        if system == SRCGRAD:
            target = f"≤ {MEMORY_RATIO:.2f}x"
            met = "yes" if hand and peak / hand <= MEMORY_RATIO else "no"
        lines.append(f"| {system} | {fmt_bytes(peak)} | {ratio} | {target} | {met} |")
    return lines


def problems_section(problems):
    """One entry per distinct failure, listing every case it hit."""
    groups = {}
    for p in problems:
        key = (p["system"], p["kind"], p["message"], p["source"])
        groups.setdefault(key, dict(p, cases=[]))["cases"].append(p["case"])
    lines = ["## Problems", ""]
    for p in groups.values():
        lines += [f"### {p['system']} ({p['kind']}): {'; '.join(p['cases'])}", "",
                  "```", p["message"], "```", ""]
        if p["detail"]:
            lines += ["<details><summary>traceback</summary>", "", "```",
                      p["detail"], "```", "</details>", ""]
        lines += ["Workload source:", "", "```python", p["source"].rstrip(), "```", ""]
    return lines


def markdown(results, argv):
    opts = results["opts"]
    vers = ", ".join(f"{k} {v}" for k, v in results["versions"].items())
    lines = [
        "# srcgrad benchmarks", "",
        "`" + " ".join(["python -m benchmarks"] + list(argv)) + "`",
        "",
        f"{datetime.date.today()}, Python {platform.python_version()}, {vers}, "
        f"{os.cpu_count()} CPUs, BLAS/torch/XLA threads: {opts.threads or 'library defaults'}, "
        f"load average {results['load'][0]:.2f} before / {results['load'][-1]:.2f} after. "
        f"Clock: {'time.perf_counter' if opts.clock == 'wall' else 'time.process_time'}. "
        f"Median of {opts.reps} interleaved repetitions, "
        f"each sample ≥ {opts.min_sample * 1e3:g} ms; time is per gradient call, "
        "(ratio) is to the hand-written NumPy adjoint. The autograd column's ratio "
        "is also the ceiling of srcgrad's speed-up over autograd.", "",
    ]
    if results["rows"]:
        lines += timing_table(results["rows"], results["systems"]) + [""]
    if results["compile"]:
        lines += compile_table(results["compile"]) + [""]
    if results["memory"] and len(results["memory"]) > 1:
        lines += memory_table(results["memory"]) + [""]
    notes = list(results["notes"])
    na = {}
    for row in results["rows"]:
        for system, why in row.get("na", {}).items():
            na.setdefault((system, why), []).append(row["case"].name)
    notes += [f"{s} n/a on {', '.join(names)}: {why}." for (s, why), names in na.items()]
    if notes:
        lines += ["Notes:", ""] + [f"- {n}" for n in notes] + [""]
    if results["problems"]:
        lines += problems_section(results["problems"])
    else:
        lines += ["All gradients agree with the hand-written adjoints "
                  "(np.allclose, rtol 1e-6).", ""]
    return "\n".join(lines)


def plot_mlp(rows, path):
    """Log-log time against parameter count, one line per system."""
    mlp = [r for r in rows if r["case"].size is not None and r["times"]]
    if len(mlp) < 2:
        return "MLP plot skipped: fewer than two MLP sizes were run."
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "MLP plot skipped: matplotlib is not installed."
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for system in ORDER:
        pts = [(r["case"].size, r["times"][system]) for r in mlp
               if system in r["times"] and r["status"].get(system) == "ok"]
        if len(pts) >= 2:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", label=system,
                    linewidth=2.5 if system == SRCGRAD else 1.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model size (parameters)")
    ax.set_ylabel("time per gradient (s)")
    ax.set_title("MLP gradient: time against model size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return f"MLP plot written to {path}"
