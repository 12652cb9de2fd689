"""The compiler: runs the pipeline (pipeline.py) for a function and a spec, serves
the callees' adjoints it requests, and caches the results.

`compile(fn, spec)` returns an `Artifact` (generated functions + source text). The
cache is keyed by the function object and the spec; an entry is valid while every
global or closure name that resolution looked at, and every step of a dotted path
(`acts.act`), still refers to the same object, and the function keeps its code object
and defaults (the guards), for the callees' adjoints too.
"""
import threading
import weakref

from . import guards as guards_mod, pipeline
from .codegen import locate  # noqa: F401 (the API locates RuntimeRefusals with it)
from .errors import UnsupportedSyntaxError
from .pipeline import Spec
from .transforms.specialize import with_numpy_fallback

_lock = threading.RLock()
_cache = weakref.WeakKeyDictionary()   # fn -> {spec key: Artifact}
_in_progress = []


class Artifact:
    """`guards`: (dict checks, attribute checks), each a list of (namespace, key,
    object) that must still hold; `deps`: the callees' artifacts this code calls."""

    def __init__(self, functions, text, guards, deps, spec, info):
        self.functions = functions
        self.text = text
        self.guards = guards
        self.deps = deps
        self.spec = spec
        self.info = info
        self.main = functions.get("main")
        self.generation = _generation[0]
        self._flatten()
        if self.main is not None and spec.use_math and spec.dtypes and \
                "float" in spec.dtypes:
            self.main = with_numpy_fallback(self.main, info["fn"], spec, info,
                                            lambda s: compile(info["fn"], s).main)

    def _flatten(self):
        """Compile `valid` from the guards of this artifact and of every callee's: it
        runs on every call, so it is one generated expression of `is` tests
        (identity, never ==) on dict items and attributes, with no loop."""
        dicts, attrs, seen = [], [], set()

        def visit(art):
            if id(art) in seen:
                return
            seen.add(id(art))
            dicts.extend(art.guards[0])
            attrs.extend(art.guards[1])
            for dep in art.deps:
                visit(dep)
        visit(self)
        self.valid = guards_mod.checker(dicts, attrs, _generation, self.generation)

    def valid(self):
        """Whether every name resolution this code relied on still holds (replaced
        per instance by the compiled check of guards.checker)."""
        raise AssertionError("replaced in __init__")

    def full_text(self):
        """This artifact's source followed by the callees' adjoints it uses (first, so
        that a file holding it keeps the line numbers of the code that runs)."""
        seen, parts = set(), []

        def visit(a):
            if id(a) in seen:
                return
            seen.add(id(a))
            parts.append(a.text)
            for dep in a.deps:
                visit(dep)
        visit(self)
        return "\n\n".join(parts)


_generation = [0]  # bumped by clear_cache(): older artifacts are no longer valid


def clear_cache():
    """Forget every compiled adjoint (the next call compiles again)."""
    with _lock:
        _cache.clear()
        _generation[0] += 1


def compile(fn, spec):
    """The Artifact for `fn` under `spec`, from the cache when still valid."""
    entry = _cache.get(fn)
    if entry is not None:
        art = entry.get(spec.key())
        if art is not None and art.valid():
            return art
    with _lock:
        if fn in _in_progress:
            raise UnsupportedSyntaxError(
                f"{fn.__qualname__}() is recursive; srcgrad cannot differentiate recursion.",
                filename=fn.__code__.co_filename, lineno=fn.__code__.co_firstlineno,
                function=fn.__qualname__, hint="Rewrite the recursion as a loop.")
        _in_progress.append(fn)
        try:
            art = _Job(fn, spec).run()
        finally:
            _in_progress.remove(fn)
        _cache.setdefault(fn, {})[spec.key()] = art
        return art


class _Job:
    """One compilation: the pipeline for `fn` under `spec`, with the callees' adjoints
    it requests compiled (through the cache) and kept as the artifact's deps."""

    def __init__(self, fn, spec):
        self.fn = fn
        self.spec = spec

    def run(self):
        callees = Callees(self.spec)
        gen = pipeline.build(self.fn, self.spec, callees)
        art = Artifact(gen.functions, gen.text, gen.guards, callees.deps, self.spec,
                       gen.info)
        if self.spec.save_to and callees.deps:  # the file holds the callees' adjoints too
            with open(self.spec.save_to, "w") as fh:
                fh.write(art.full_text())
        return art


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
            art = compile(fn, Spec(wrt=tuple(active_params), mode="vjp",
                                   optimize=self.optimize, unroll=self.unroll))
            if art not in self.deps:
                self.deps.append(art)
            self._served[key] = fn, art.functions["fwd"], art.functions["bwd"]
        return self._served[key][1:]


__all__ = ["compile", "clear_cache", "Spec", "Artifact", "locate"]
