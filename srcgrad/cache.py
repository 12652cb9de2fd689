"""The compile cache: one Artifact per (function, spec), reused while still valid.

An entry is valid while every global or closure name that resolution looked at, and
every step of a dotted path (`acts.act`), still refers to the same object, and the
function keeps its code object and defaults (the guards), for the callees' adjoints
too; `clear_cache()` invalidates every entry.

Lifetime: a function's entries live in its own `__dict__` (`_Entries`), never in a
weak-keyed table, because an artifact refers back to its function (its guards, its
info, the generated code's defaults): held by the function, that is a cycle the
garbage collector frees with the function; held as a weak table's value, it would
keep its key alive for ever. Each function keeps at most `limit()` specializations,
the least recently used dropped first (`set_cache_limit`, `SRCGRAD_CACHE_LIMIT`).

Threads: a function is compiled by one thread at a time (others wanting it wait, then
find the artifact), different functions in parallel. A thread that needs a function
it is compiling itself, or that another thread waiting for it is compiling, has met
recursion, which is refused.
"""
import collections
import os
import sys
import threading
import weakref

from . import compiler, diskcache, guards as guards_mod
from .errors import ArgumentError, UnsupportedSyntaxError

_ATTR = "__srcgrad_cache__"
_generation = [0]  # bumped by clear_cache(): older artifacts are no longer valid
_state = threading.Condition(threading.Lock())  # guards _busy and _waiting
_busy = {}     # fn -> id of the thread compiling it
_waiting = {}  # thread id -> fn it waits for
_holders = weakref.WeakSet()  # functions holding entries (for clear_cache)
_others = weakref.WeakKeyDictionary()  # entries of callables without a __dict__


def _env_limit():
    text = os.environ.get("SRCGRAD_CACHE_LIMIT", "").strip()
    try:
        n = int(text)
    except ValueError:
        return 64
    return n if n > 0 else 64


_limit = [_env_limit()]


def set_cache_limit(n):
    """Keep at most `n` compiled specializations (argument shapes and dtypes, options)
    per function, dropping the least recently used; the default is 64, or the
    environment variable SRCGRAD_CACHE_LIMIT. Returns the previous limit."""
    if type(n) is not int or n < 1:
        raise ArgumentError(f"the cache limit must be a positive int, not {n!r}",
                            hint="For example srcgrad.set_cache_limit(16).")
    old, _limit[0] = _limit[0], n
    return old


def limit():
    return _limit[0]


class _Entries(collections.OrderedDict):
    """A function's {spec key: Artifact}, least recently used first. `owner` tells
    it from a copy functools.wraps made into a wrapper's __dict__."""

    def __init__(self, owner):
        super().__init__()
        self.owner = weakref.ref(owner)
        self.generation = _generation[0]

    def __reduce__(self):  # pickling fn's __dict__ (cloudpickle) leaves its cache out
        return _nothing, ()


def _nothing():
    return None


def _entries(fn, create=False):
    holder = getattr(fn, "__dict__", None)
    if type(holder) is dict:
        found = holder.get(_ATTR)
        if type(found) is _Entries and found.owner() is fn and \
                found.generation == _generation[0]:
            return found
        if not create:
            return None
        found = holder[_ATTR] = _Entries(fn)
        _holders.add(fn)
        return found
    found = _others.get(fn)
    if found is None and create:
        found = _others[fn] = _Entries(fn)
    return found


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
            from .transforms.specialize import with_numpy_fallback  # (after the passes)
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
        self.flat_guards = (dicts, attrs, _generation, self.generation)  # dispatch.py
        self.valid = guards_mod.checker(*self.flat_guards)

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


def clear_cache():
    """Forget every compiled adjoint and every source read (the next call reads the
    source and compiles again)."""
    source = sys.modules.get(__package__ + ".source")  # loaded by the first compile
    if source is not None:
        source.forget()
    with _state:
        _generation[0] += 1
        for fn in list(_holders):
            entries = fn.__dict__.get(_ATTR)
            if type(entries) is _Entries and entries.owner() is fn:
                del fn.__dict__[_ATTR]
        _holders.clear()
        _others.clear()
        for table in list(_tables.values()):
            table.clear()


def _no_match(*args):
    return False


class Table(dict):
    """A gradient's own {argument kinds: (Artifact, entry)} (api.py), and `last`, the
    entry its warm path tries first (dispatch.py); emptied by clear_cache."""

    __slots__ = ("__weakref__", "last")
    EMPTY = (_no_match, None, -1)  # an entry no call passes

    def __init__(self):
        super().__init__()
        self.last = self.EMPTY
        _tables[id(self)] = self

    def clear(self):
        self.last = self.EMPTY
        super().clear()


_tables = weakref.WeakValueDictionary()  # id -> Table (dicts are unhashable)


def _lookup(fn, key):
    entries = _entries(fn)
    if entries is not None:
        art = entries.get(key)
        if art is not None:
            if art.valid():
                entries.move_to_end(key)
                return art
            entries.pop(key, None)
    return None


def forget(fn, art):
    """Drop `art` from fn's entries (a wrapper evicted it: keep the two caches alike)."""
    art = getattr(art, "art", art)  # api's _ValueChecked holds its artifact
    entries = _entries(fn)
    if entries is not None:
        key = art.spec.key()
        if entries.get(key) is art:
            entries.pop(key, None)


def _recursive(fn):
    return UnsupportedSyntaxError(
        f"{fn.__qualname__}() is recursive; srcgrad cannot differentiate recursion.",
        filename=fn.__code__.co_filename, lineno=fn.__code__.co_firstlineno,
        function=fn.__qualname__, hint="Rewrite the recursion as a loop.")


def _waits_for(owner, me):
    """Whether thread `owner` waits, directly or through others, for thread `me`."""
    seen = set()
    while owner not in seen:
        seen.add(owner)
        fn = _waiting.get(owner)
        if fn is None:
            return False
        owner = _busy.get(fn)
        if owner is None:
            return False
        if owner == me:
            return True
    return False


_room = threading.Lock()
_raised = [0, None]  # compiles running with a raised recursion limit, the limit before
_DEEPER = (8000, 30000)  # limits to retry with (Python frames only: a deep expression
#                          costs the passes several frames per level, CPython's own
#                          compiler a few C frames; 3.11 runs Python calls on no C stack)


class _RecursionRoom:
    """A recursion limit of at least `limit` while compiling: raised once by the first
    compile that needs it, restored when the last such compile (in any thread) ends."""

    def __init__(self, limit):
        self.limit = limit

    def __enter__(self):
        with _room:
            if _raised[0] == 0:
                _raised[1] = sys.getrecursionlimit()
            _raised[0] += 1
            if sys.getrecursionlimit() < self.limit:
                sys.setrecursionlimit(self.limit)

    def __exit__(self, *exc):
        with _room:
            _raised[0] -= 1
            if _raised[0] == 0:
                sys.setrecursionlimit(_raised[1])


def _build(fn, spec):
    """_build_once, again with room for deeper recursion where the passes (gast, astor,
    ours: recursive tree walks) ran out of it on a deep or long expression that
    CPython compiled."""
    try:
        return _build_once(fn, spec)
    except RecursionError:
        pass
    for i, limit in enumerate(_DEEPER):
        with _RecursionRoom(limit):
            try:
                return _build_once(fn, spec)
            except RecursionError:
                if i == len(_DEEPER) - 1:
                    code = fn.__code__
                    raise UnsupportedSyntaxError(
                        f"{fn.__qualname__}() nests its expressions too deeply for "
                        "srcgrad's passes.", filename=code.co_filename,
                        lineno=code.co_firstlineno, function=fn.__qualname__,
                        hint="Split the deepest expression into several statements "
                             "(partial sums, intermediate variables).") from None


def _build_once(fn, spec):
    """Run the passes, or rebuild the artifact from the disk cache when it has it."""
    if diskcache.directory() is None:
        return compiler._Job(fn, spec).run()
    loaded = diskcache.load(fn, spec, compile, compiler.Spec)
    if loaded is not None:
        return Artifact(*loaded[:4], spec, loaded[4])
    art = compiler._Job(fn, spec).run()
    diskcache.store(fn, spec, art)
    return art


def compile(fn, spec):
    """The Artifact for `fn` under `spec`, from the cache when still valid."""
    key = spec.key()
    art = _lookup(fn, key)
    if art is not None:
        return art
    me = threading.get_ident()
    with _state:
        while True:
            owner = _busy.get(fn)
            if owner is None:
                break
            if owner == me or _waits_for(owner, me):
                raise _recursive(fn)
            _waiting[me] = fn
            try:
                _state.wait()
            finally:
                del _waiting[me]
        art = _lookup(fn, key)  # compiled by the thread we waited for
        if art is not None:
            return art
        _busy[fn] = me
    try:
        art = _build(fn, spec)
        entries = _entries(fn, create=True)
        entries[key] = art
        while len(entries) > _limit[0]:
            entries.popitem(last=False)
    finally:
        with _state:
            del _busy[fn]
            _state.notify_all()
    return art


compiler.install(compile, clear_cache, Artifact)
