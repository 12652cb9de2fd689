"""The warm path of a gradient function: calling generated code again for arguments of
the kinds it was specialized on costs a few `is` tests, not a dictionary lookup.

A gradient (api.py) keeps, besides its {argument kinds: (Artifact, entry)} table, the
entry of the most recent call, `table.last = (check, main, arity)`, replaced as one
object (so a thread never reads half of one). `check(a0, ...)` is generated for one
key: per argument `type(a) is T` and, for an array, `a.dtype is D and a.shape == S`,
then the artifact's guards inline (the tests of its `valid()`, guards.py, which also
fail once the cache is cleared). A call that passes it runs `main`; any other call
takes the table lookup (api.py's `slow`), which installs the entry of what it found.
So generated code runs only for argument types, shapes and dtypes it was specialized
on (the test is stricter than the table's key: identity of dtype objects, never ==)
and only while its guards hold.

The gradient itself is generated per arity, so that it passes its arguments on
without building a tuple (`main(a0, a1)`, not `main(*args)`): CPython 3.11 inlines a
call from Python to Python only when its arguments are positional.
"""
import functools
import linecache

import numpy as np

from .guards import GUARD_ERRORS, guard_tests

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


@functools.lru_cache(maxsize=256)  # the same text for every shape of a function
def _check_code(text):
    return compile(text, "<srcgrad-dispatch check>", "exec")


def entry(args, guards, main):
    """(check, main, arity) for calls with arguments of the kinds of `args` while
    `guards` (an Artifact's flat_guards) hold, or None when an argument is not of a
    kind whose type (and an array's dtype and shape) is its whole key: lists, tuples,
    dicts and other objects take the table lookup."""
    env, tests = {}, []
    for i, a in enumerate(args):
        t = type(a)
        env[f"T{i}"] = t
        tests.append(f"type(a{i}) is T{i}")
        if t is _ndarray or (t not in _NUMBERS and isinstance(a, np.generic)):
            env[f"D{i}"] = a.dtype
            tests.append(f"a{i}.dtype is D{i}")
            if t is _ndarray:
                env[f"S{i}"] = a.shape
                tests.append(f"a{i}.shape == S{i}")
        elif t not in _NUMBERS:
            return None
    guard_env, guard_tests_ = guard_tests(*guards)
    env.update(guard_env)
    names = sorted(env)
    params = ", ".join(f"a{i}" for i in range(len(args)))
    text = (f"def make({', '.join(names)}):\n"
            f"    def check({params}):\n"
            "        try:\n"
            f"            return {' and '.join(tests + guard_tests_)}\n"
            f"        except {GUARD_ERRORS}:  # a guarded name removed\n"
            "            return False\n"
            "    return check\n")
    namespace = {}
    exec(_check_code(text), namespace)
    return namespace["make"](*[env[n] for n in names]), main, len(args)


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
