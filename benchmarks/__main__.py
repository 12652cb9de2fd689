import os
import sys

from .threads import limit_threads_from_argv

# Thread limits only take effect if set before NumPy, torch and JAX load.
limit_threads_from_argv(sys.argv[1:], os.environ)

from .runner import main  # noqa: E402

sys.exit(main())
