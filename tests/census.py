"""Counts the outcomes of the wide-grammar random programs (tests/wide_oracle.py).

    PYTHONPATH=. python tests/census.py [--start K] [--count N] [--features a,b] [-v]

prints the outcome counts (pass, refused, skipped, wrong, mutated, crash), the failing
programs per likely cause, the failing checks grouped by their first words, and with -v
every failing program in full.
"""
import argparse
import collections
import os
import re
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wide_oracle  # noqa: E402


def cause(outcome, kind, check, message):
    """A guess at the root cause of one failing check, for the totals."""
    wrt = outcome.wrt
    if check.startswith("vjp pullback") and isinstance(wrt, tuple) and len(wrt) == 1:
        return "vjp with a 1-tuple wrt"
    if "__new__() missing" in message:
        return "gradient of a NamedTuple argument"
    if "decorated" in outcome.prog.features:
        return "program with a decorated callee"
    suspects = [f for f in ("setitem", "sort", "complex", "container", "helper", "patched",
                            "partial", "method", "shadow", "namedtuple", "string")
                if f in outcome.prog.features]
    return "program with " + (", ".join(sorted(set(suspects))) or "arith only")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--features", default="")
    parser.add_argument("-v", "--verbose", action="store_true")
    opts = parser.parse_args()
    warnings.filterwarnings("ignore")
    features = opts.features.split(",") if opts.features else None
    counts, checks, causes = collections.Counter(), collections.Counter(), collections.Counter()
    started = time.time()
    for seed in range(opts.start, opts.start + opts.count):
        try:
            outcome = wide_oracle.run(seed, features)
        except wide_oracle.Skip:
            counts["skipped"] += 1
            continue
        except Exception as exc:   # a bug of the generator (its program is invalid)
            counts["invalid"] += 1
            print(f"program {seed} is invalid: {type(exc).__name__}: {exc}")
            continue
        counts[outcome.kind] += 1
        found = set()
        for kind, check, message in outcome.issues:
            if kind in wide_oracle.FAILURES:
                checks[f"{kind}: {re.sub(r'got .*', 'got ...', message)[:110]}"] += 1
                found.add(f"{kind}: {cause(outcome, kind, check, message)}")
        causes.update(found)
        if opts.verbose and outcome.kind in wide_oracle.FAILURES:
            print(outcome.report(), "\n")
    print(f"{opts.count} programs in {time.time() - started:.0f} s: "
          + ", ".join(f"{k} {counts[k]}" for k in
                      ("pass", "refused", "skipped", "wrong", "mutated", "crash", "invalid")))
    print("programs per likely cause:")
    for key, n in causes.most_common():
        print(f"{n:5d}  {key}")
    print("failing checks:")
    for key, n in checks.most_common(25):
        print(f"{n:5d}  {key}")


if __name__ == "__main__":
    main()
