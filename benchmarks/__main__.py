import os
import sys

from .threads import limit_threads_from_argv

# Thread limits only take effect if set before NumPy, torch and JAX load.
limit_threads_from_argv(sys.argv[1:], os.environ)

if sys.argv[1:2] == ["compile"]:  # the compiler at scale (benchmarks/scale.py)
    from .scale import main as scale_main  # noqa: E402
    sys.exit(scale_main(sys.argv[2:]))

from .runner import main  # noqa: E402

sys.exit(main())
