"""Counts the outcomes of the wide-grammar random programs (tests/wide_oracle.py).

    PYTHONPATH=. python tests/census.py [--start K] [--count N] [--features a,b] [-v]

prints the outcome counts (pass, refused, skipped, wrong, mutated, crash), the failing
checks grouped by their first words, and with -v every failing program in full.
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--features", default="")
    parser.add_argument("-v", "--verbose", action="store_true")
    opts = parser.parse_args()
    warnings.filterwarnings("ignore")
    features = opts.features.split(",") if opts.features else None
    counts, checks, features_of = collections.Counter(), collections.Counter(), {}
    started = time.time()
    for seed in range(opts.start, opts.start + opts.count):
        try:
            outcome = wide_oracle.run(seed, features)
        except wide_oracle.Skip:
            counts["skipped"] += 1
            continue
        counts[outcome.kind] += 1
        for kind, check, message in outcome.issues:
            if kind in wide_oracle.FAILURES:
                key = f"{kind}: {re.sub(r'got .*', 'got ...', message)[:110]}"
                checks[key] += 1
                features_of.setdefault(key, set()).update(outcome.prog.features)
        if opts.verbose and outcome.kind in wide_oracle.FAILURES:
            print(outcome.report(), "\n")
    print(f"{opts.count} programs in {time.time() - started:.0f} s: "
          + ", ".join(f"{k} {counts[k]}" for k in
                      ("pass", "refused", "skipped", "wrong", "mutated", "crash")))
    for key, n in checks.most_common():
        print(f"{n:5d}  {key}")


if __name__ == "__main__":
    main()
