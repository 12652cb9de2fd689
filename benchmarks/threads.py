"""`--threads N`: cap the thread pools of every BLAS / framework before they load.

Default 1. On a 2-core machine shared with other work, multi-threaded OpenBLAS
is pathological: a descheduled worker stalls every small GEMM (measured: the
50-step RNN gradient went from 6 ms to 3.6 s under load 5). `--threads 0`
leaves every library its own default.
"""
DEFAULT = 1


def requested_threads(argv):
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return DEFAULT


def limit_threads_from_argv(argv, environ):
    n = requested_threads(argv)
    if n <= 0:
        return
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        environ[var] = str(n)
    if n == 1:
        flags = environ.get("XLA_FLAGS", "")
        environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                "intra_op_parallelism_threads=1").strip()
