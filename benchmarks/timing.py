"""Interleaved timing: every repetition times each system once, in rotating order.

Interleaving spreads slow drifts of a noisy machine (frequency, neighbours)
over all systems instead of penalising whichever ran during the bad minute.
"""
import math
import statistics
import time
from time import perf_counter

# "cpu" counts only the CPU time of this process: on a shared machine whose
# load exceeds its cores, wall time mostly measures how often we were
# descheduled. Meaningful with --threads 1 (BLAS workers' time adds up).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def calibrate(run, min_sample, clock=perf_counter):
    """Inner loop count so one sample of `number` calls takes >= min_sample s."""
    number = 1
    while True:
        t0 = clock()
        for _ in range(number):
            run()
        elapsed = clock() - t0
        if elapsed >= min_sample:
            return number
        # Aim 20% above the threshold so one fast sample doesn't fall under it.
        guess = math.ceil(number * 1.2 * min_sample / max(elapsed, 1e-9))
        number = max(number * 2, min(guess, number * 100))


def sample(run, number, clock=perf_counter):
    t0 = clock()
    for _ in range(number):
        run()
    return (clock() - t0) / number


def interleaved(runners, repeats, min_sample, progress=None, clock=perf_counter):
    """runners: {name: run}. Returns {name: median seconds per call}."""
    names = list(runners)
    numbers = {n: calibrate(runners[n], min_sample, clock) for n in names}
    times = {n: [] for n in names}
    for rep in range(repeats):
        if progress:
            progress(rep, repeats)
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(sample(runners[name], numbers[name], clock))
    return {n: statistics.median(ts) for n, ts in times.items()}

