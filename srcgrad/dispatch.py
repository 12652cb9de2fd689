"""The warm path of a gradient function: calling generated code again for arguments of
the kinds it was specialized on costs a few `is` tests, not a dictionary lookup.

A gradient (api.py) keeps, besides its {argument kinds: (Artifact, entry)} table, the
entry of the most recent call, `table.last = (check, main, arity)`, replaced as one
object (so a thread never reads half of one). `check(a0, ...)` is made for one key:
per argument `type(a) is T` and, for an array, `a.dtype is D and a.shape == S`, then
the artifact's guards (the tests of its `valid()`, guards.py, which also fail once the
cache is cleared). It is a srcgrad._speedups.Checker (C, optional, about 3x cheaper:
no shape tuple is built) when that module was built and reads arrays right, else a
generated Python function of the same tests. A call that passes it runs `main`; any other call
takes the table lookup (api.py's `slow`), which installs the entry of what it found.
So generated code runs only for argument types, shapes and dtypes it was specialized
on (the test is stricter than the table's key: identity of dtype objects, never ==)
and only while its guards hold.

The gradient itself is generated per arity, so that it passes its arguments on
without building a tuple (`main(a0, a1)`, not `main(*args)`): CPython 3.11 inlines a
call from Python to Python only when its arguments are positional.
"""
import linecache
import os

import numpy as np

from .guards import MISSING, guard_tests, tests_function

_ndarray = np.ndarray
_NUMBERS = (float, int, bool, complex)
MAX_ARITY = 32  # more positional parameters: the generic gradient (*args)

_gradient_makers = {}  # arity (None: any) -> maker


def _exec(text, name):
    """Run `text` (a factory's definition) under a linecache-registered file name, so
    that tracebacks through the generated code show its lines."""
    filename = f"<srcgrad-dispatch {name}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = {}
    exec(compile(text, filename, "exec"), namespace)
    return namespace["make"]


def entry(args, guards, main):
    """(check, main, arity) for calls with arguments of the kinds of `args` while
    `guards` (an Artifact's flat_guards) hold, or None when an argument is not of a
    kind whose type (and an array's dtype and shape) is its whole key: lists, tuples,
    dicts and other objects take the table lookup. `check` is the C Checker when
    srcgrad._speedups is usable, else generated Python; both test the same."""
    specs = []  # (type, dtype or None, shape or None) per argument
    for a in args:
        t = type(a)
        if t is _ndarray:
            specs.append((t, a.dtype, a.shape))
        elif t in _NUMBERS:
            specs.append((t, None, None))
        elif isinstance(a, np.generic):
            specs.append((t, a.dtype, None))
        else:
            return None
    c = speedups()
    if c is not None:
        dicts, attrs, counter, generation = guards
        attrs = tuple(g for g in attrs if g[1].isidentifier())  # as guard_tests does
        return (c.Checker(tuple(specs), tuple(dicts), attrs, MISSING, counter, generation,
                          _ndarray), main, len(args))
    return _python_check(specs, guards), main, len(args)


def _python_check(specs, guards):
    env, tests = {}, []
    for i, (t, dtype, shape) in enumerate(specs):
        env[f"T{i}"] = t
        tests.append(f"type(a{i}) is T{i}")
        if dtype is not None:
            env[f"D{i}"] = dtype
            tests.append(f"a{i}.dtype is D{i}")
        if shape is not None:
            env[f"S{i}"] = shape
            tests.append(f"a{i}.shape == S{i}")
    guard_env, guard_tests_ = guard_tests(*guards)
    env.update(guard_env)
    return tests_function("check", len(specs), env, tests + guard_tests_)


_speedups = []  # [the usable C module or None], once looked for


def speedups():
    """srcgrad._speedups when it was built, reads NumPy arrays' struct as NumPy does
    (checked on sample arrays) and SRCGRAD_PURE_PYTHON is not set; else None."""
    if not _speedups:
        _speedups.append(_load_speedups())
    return _speedups[0]


def _load_speedups():
    if os.environ.get("SRCGRAD_PURE_PYTHON"):
        return None
    try:
        from . import _speedups as c
    except ImportError:  # not built (no C compiler at install): the Python check
        return None
    base = np.arange(24.0).reshape(2, 3, 4)
    samples = [np.ones(()), np.zeros(0), np.ones(5, np.float32),
               base, base.T, base[:, ::2], np.zeros((1, 0, 7), np.complex128),
               np.asfortranarray(base), np.zeros((3,), dtype=[("a", "f8"), ("b", "i4")])]
    for a in samples:
        ndim, shape, dtype = c.read_array(a, _ndarray)
        if (ndim, shape) != (a.ndim, a.shape) or dtype is not a.dtype:
            return None  # a NumPy whose array layout differs: stay in Python
    return c


def arity(signature):
    """How many positional arguments every call passes, when the signature fixes it
    (no defaults, no *args), else None."""
    if signature is None:
        return None
    n = 0
    for p in signature.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            if p.default is not p.empty:
                return None
            n += 1
    return n if n <= MAX_ARITY else None


def gradient(n, table, slow, refusal, locate):
    """A new gradient function for calls with `n` positional arguments (None: any):
    `table.last`'s main when its check passes, else `slow(args, kwargs)`; a `refusal`
    raised by generated code is re-raised as `locate(exc)` (the user's location)."""
    maker = _gradient_makers.get(n)
    if maker is None:
        maker = _gradient_makers[n] = _exec(_gradient_text(n), f"gradient {n}")
    return maker(table, slow, refusal, locate)


def _gradient_text(n):
    if n is None:
        test, unpack, args = "not kwargs", "", "*args"
        get, call = "check, main, n = table.last", "len(args) == n and check(*args)"
    else:
        args = ", ".join(f"a{i}" for i in range(n))
        test = f"not kwargs and len(args) == {n}"
        unpack = f"{args}{',' if n == 1 else ''} = args" if n else ""
        get, call = "check, main, _ = table.last", f"check({args})"
    body = [f"        if {test}:"]
    if unpack:
        body.append(f"            {unpack}")
    body += [f"            {get}",
             f"            if {call}:",
             "                try:",
             f"                    return main({args})",
             "                except refusal as exc:",
             "                    raise locate(exc)",
             "        return slow(args, kwargs)"]
    return ("def make(table, slow, refusal, locate):\n"
            "    def gradient(*args, **kwargs):\n" + "\n".join(body) + "\n"
            "    return gradient\n")
