"""Peak memory of one gradient call, as tracemalloc sees it (NumPy reports its
array buffers to tracemalloc; torch and JAX allocate outside its view)."""
import gc
import tracemalloc


def peak_bytes(run, repeats=3):
    run()  # warm: lazy compilation and caches are not part of the peak
    peaks = []
    for _ in range(repeats):
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            result = run()
            peaks.append(tracemalloc.get_traced_memory()[1] - base)
            del result
        finally:
            tracemalloc.stop()
    return min(peaks)
