"""Interleaved timing: every repetition times each system once, in rotating order.

Interleaving spreads slow drifts of a noisy machine (frequency, neighbours)
over all systems instead of penalising whichever ran during the bad minute.
"""
import math
import statistics
from time import perf_counter


def calibrate(run, min_sample):
    """Inner loop count so one sample of `number` calls takes >= min_sample s."""
    number = 1
    while True:
        t0 = perf_counter()
        for _ in range(number):
            run()
        elapsed = perf_counter() - t0
        if elapsed >= min_sample:
            return number
        # Aim 20% above the threshold so one fast sample doesn't fall under it.
        guess = math.ceil(number * 1.2 * min_sample / max(elapsed, 1e-9))
        number = max(number * 2, min(guess, number * 100))


def sample(run, number):
    t0 = perf_counter()
    for _ in range(number):
        run()
    return (perf_counter() - t0) / number


def interleaved(runners, repeats, min_sample, progress=None):
    """runners: {name: run}. Returns {name: median seconds per call}."""
    names = list(runners)
    numbers = {n: calibrate(runners[n], min_sample) for n in names}
    times = {n: [] for n in names}
    for rep in range(repeats):
        if progress:
            progress(rep, repeats)
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(sample(runners[name], numbers[name]))
    return {n: statistics.median(ts) for n, ts in times.items()}


def median_of(fn, repeats):
    """Median wall time of fn() over `repeats` single calls."""
    ts = []
    for _ in range(repeats):
        t0 = perf_counter()
        fn()
        ts.append(perf_counter() - t0)
    return statistics.median(ts)
