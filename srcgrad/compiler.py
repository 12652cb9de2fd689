"""The compiler: runs the pipeline (pipeline.py) for a function and a spec, and serves
the callees' adjoints it requests.

`_Job(fn, spec).run()` returns an `Artifact` (generated functions + source text).
`compile(fn, spec)`, `clear_cache` and `Artifact` are the cache's (srcgrad/cache.py),
re-exported here: that is where an artifact is reused while its guards hold.
"""
import gc
import threading

# The cache (srcgrad/cache.py: compile, clear_cache, Artifact) hands itself in when it
# is imported (`install`): a job builds its Artifact and compiles the callees it is
# asked for through the cache, and this module never imports cache.py (which imports
# it), so the layers stay a line: api -> cache -> compiler -> pipeline.
compile = clear_cache = Artifact = None


def __getattr__(name):
    """`Spec` (pipeline.py) and `locate` (codegen.py, the API locates RuntimeRefusals
    with it), imported on first use: `import srcgrad` loads neither the passes nor
    gast and astor, only the first compile does (Python's import lock makes that
    thread-safe)."""
    if name in ("Spec", "locate"):
        from .codegen import locate
        from .pipeline import Spec
        globals().update(Spec=Spec, locate=locate)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install(compile_fn, clear_fn, artifact_cls):
    global compile, clear_cache, Artifact
    compile, clear_cache, Artifact = compile_fn, clear_fn, artifact_cls


class _Job:
    """One compilation: the pipeline for `fn` under `spec`, with the callees' adjoints
    it requests compiled (through the cache) and kept as the artifact's deps."""

    def __init__(self, fn, spec):
        self.fn = fn
        self.spec = spec

    def run(self):
        from . import pipeline  # the passes: loaded by the first compile
        callees = Callees(self.spec)
        with _gc_paused:
            gen = pipeline.build(self.fn, self.spec, callees)
        art = Artifact(gen.functions, gen.text, gen.guards, callees.deps, self.spec,
                       gen.info)
        if self.spec.save_to and callees.deps:  # the file holds the callees' adjoints too
            with open(self.spec.save_to, "w") as fh:
                fh.write(art.full_text())
        return art


class _GcPause:
    """Cyclic garbage collection paused while any thread compiles. The passes build
    and keep hundreds of thousands of syntax nodes, each allocation burst triggering
    collections that traverse all of them (30% of a 1,000-statement compile); what
    the passes drop is freed by reference counting, and any cycle is collected after.
    Re-entrant and shared by threads: the collector is enabled again when the last
    compile ends, and only if it was enabled when the first began."""

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    def __enter__(self):
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc):
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                gc.enable()


_gc_paused = _GcPause()


class Callees:
    """The callees' adjoints one compilation requests: `request(fn, active_params)`
    compiles `fn`'s forward and backward sweeps in those parameters (once per
    (fn, active parameters)) and keeps their artifacts in `deps`."""

    def __init__(self, spec):
        self.optimize = spec.optimize
        self.unroll = spec.unroll
        self.deps = []
        self._served = {}

    def request(self, fn, active_params):
        key = (id(fn), tuple(active_params))
        if key not in self._served:  # (fn kept in the entry: its id stays unique)
            from .pipeline import Spec
            art = compile(fn, Spec(wrt=tuple(active_params), mode="vjp",
                                   optimize=self.optimize, unroll=self.unroll))
            if art not in self.deps:
                self.deps.append(art)
            self._served[key] = fn, art.functions["fwd"], art.functions["bwd"]
        return self._served[key][1:]


__all__ = ["compile", "clear_cache", "Spec", "Artifact", "locate"]  # noqa: F822 (__getattr__)
