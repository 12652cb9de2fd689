"""The compile cache's guards: what must still hold for generated code to be reused.

`guards(...)` lists them when an adjoint is compiled: each global or closure name
resolution looked at (and, for a builtin, that the module still does not define the
name), each step of a dotted path (`acts.act` after `import acts`), and the function's
`__code__`, `__defaults__` and `__kwdefaults__` (replaced by %autoreload or by hand).
`checker(...)` compiles them into one function of `is` tests, which runs on every call.
"""
import functools

MISSING = object()  # a guard's object for a name that must stay undefined


def checker(dicts, attrs, counter, generation):
    """A function returning whether every guard still holds: `d[key] is obj` for the
    dict guards (`key not in d` for a name that must stay undefined) and
    `o.attr is obj` for the attribute guards, and `counter[0] == generation` (the
    compile cache was not cleared since)."""
    env, tests = guard_tests(dicts, attrs, counter, generation)
    return tests_function("valid", 0, env, tests)


def tests_function(name, n, env, tests):
    """A function `name(a0, ..., a{n-1})` returning whether all `tests` (Python
    expressions of its parameters and of the names in `env`) hold; a test raising
    one of GUARD_ERRORS (a guarded name removed or emptied) is False."""
    names = sorted(env)
    text = (f"def make({', '.join(names)}):\n"
            f"    def {name}({', '.join(f'a{i}' for i in range(n))}):\n"
            "        try:\n"
            f"            return ({' and '.join(tests)})\n"
            f"        except {GUARD_ERRORS}:  # removed or emptied\n"
            "            return False\n"
            f"    return {name}\n")
    namespace = {}
    exec(_code(text), namespace)
    return namespace["make"](*[env[n] for n in names])


@functools.lru_cache(maxsize=256)
def _code(text):
    """A compiled tests_function text: the same function compiled again (after the
    cache is cleared, or for other shapes) has the same text."""
    return compile(text, "<srcgrad-guards>", "exec")


GUARD_ERRORS = "(KeyError, AttributeError, ValueError)"  # what a failing test raises


def guard_tests(dicts, attrs, counter, generation):
    """(env, tests): checker's tests as Python expressions, and the objects they name
    (gen, G, d0, v0, ..., o0, w0, ...), for generated code that checks them inline."""
    env = {"gen": counter, "G": generation}
    tests = ["gen[0] == G"]
    for i, (d, key, obj) in enumerate(dicts):
        env[f"d{i}"] = d
        if obj is MISSING:
            tests.append(f"{key!r} not in d{i}")
        else:
            env[f"v{i}"] = obj
            tests.append(f"d{i}[{key!r}] is v{i}")
    for i, (o, attr, obj) in enumerate(attrs):
        if not attr.isidentifier():  # never from source, but keep the text valid
            continue
        env[f"o{i}"], env[f"w{i}"] = o, obj
        tests.append(f"o{i}.{attr} is w{i}")
    return env, tests


def guards(src, fn, lookups, links):
    """(dict checks, attribute checks) of (namespace, key, object), one per distinct
    lookup: every call checks them (Artifact.valid). `lookups`: (free name, object);
    `links`: (parent, attribute, object) of each step of a dotted path."""
    dicts, attrs = {}, {}
    for key, obj in lookups:
        if key in src.closure:
            cell = src.closure[key]
            attrs.setdefault((id(cell), "cell_contents"), (cell, "cell_contents", obj))
        else:  # a builtin or an undefined name: the module must still not define it
            value = obj if key in src.globals else MISSING
            dicts.setdefault((id(src.globals), key), (src.globals, key, value))
    for parent, attr, obj in links:
        namespace = getattr(parent, "__dict__", None)
        if type(namespace) is dict and namespace.get(attr, MISSING) is obj:
            dicts.setdefault((id(namespace), attr), (namespace, attr, obj))
        elif getattr(parent, attr, MISSING) is obj:  # the same object on every lookup
            attrs.setdefault((id(parent), attr), (parent, attr, obj))
        # else a new object per lookup (a bound method): only its parent is guarded
    for attr in ("__code__", "__defaults__", "__kwdefaults__"):  # %autoreload, patches
        attrs[(id(fn), attr)] = (fn, attr, getattr(fn, attr, MISSING))
    return list(dicts.values()), list(attrs.values())
