"""The optional disk cache: generated source kept between processes.

Off unless `SRCGRAD_CACHE_DIR` names a directory or `srcgrad.set_disk_cache(path)` was
called. An entry is one JSON file, `<dir>/<sha256>.json`, named by a hash of the user's
function (its file's whole text, which must compile to the running code, its line,
name and defaults), the spec, and srcgrad itself (the text of
its own modules, the rules users registered). It holds the generated text with its
SHA-256, and what the text's free names, guards and callees were bound to, as import
paths (`numpy.tanh`), literals, or references to the callees' own entries: never a
pickle. A new process loads the entry and compile()s the text instead of running the
passes, only if every reference resolves to the very object it named, every callee's
adjoint has the recorded text, and the text matches its hash; else the entry is
ignored and rewritten. Entries are written to a temporary file and renamed, so two
processes racing leave one whole entry. To clear the cache delete the directory.
"""
import importlib
import linecache
import os
import sys
import types

import numpy as np

from . import guards as guards_mod

# hashlib, codegen (astor, gast) and source (gast) are imported where used: `import
# srcgrad` needs only set_disk_cache; a process without a disk cache never loads them.

FORMAT = 1
_dir = [None]  # set_disk_cache's directory; None: the environment decides
_fingerprint = []


class _Unsupported(Exception):
    """What cannot be written as a reference that a new process can check."""


def set_disk_cache(path):
    """Keep generated code in directory `path` across processes (None: off, unless the
    environment variable SRCGRAD_CACHE_DIR names a directory). Returns the previous
    setting."""
    old, _dir[0] = _dir[0], (None if path is None else os.fspath(path))
    return old


def directory():
    return _dir[0] if _dir[0] is not None else (os.environ.get("SRCGRAD_CACHE_DIR") or None)


def _srcgrad_fingerprint():
    """A hash of srcgrad's own modules (a new version generates other code)."""
    if not _fingerprint:
        import hashlib
        h = hashlib.sha256()
        root = os.path.dirname(os.path.abspath(__file__))
        for base, dirs, files in sorted(os.walk(root)):
            dirs.sort()
            for f in sorted(files):
                if f.endswith(".py"):
                    h.update(f.encode())
                    with open(os.path.join(base, f), "rb") as fh:
                        h.update(fh.read())
        _fingerprint.append(h.hexdigest())
    return _fingerprint[0]


def _user_rules():
    """What users registered (@srcgrad.adjoint, nondifferentiable): it changes the text."""
    import hashlib

    from .rules import registry
    out = []
    rules = registry.registered() + registry.registered(kind="tangent")
    for p, rule in rules:
        if rule.builtin:  # srcgrad's own rules are in its modules' text, hashed above
            continue
        t = rule.template
        try:
            text = "".join(linecache.getlines(t.__code__.co_filename))
        except Exception:
            text = None
        out.append((repr(p), t.__module__, t.__qualname__, t.__code__.co_firstlineno,
                    hashlib.sha256((text or "").encode()).hexdigest()))
    return sorted(out), len(registry._nondiff)


def _key(fn, spec):
    """The entry name: the whole text of fn's file (any edit there makes new entries),
    where fn is in it, and what else decides the generated code."""
    import hashlib
    code = fn.__code__
    text = "".join(linecache.getlines(code.co_filename))
    parts = [FORMAT, _srcgrad_fingerprint(), sys.version, np.__version__,
             code.co_filename, code.co_firstlineno, code.co_name, fn.__qualname__,
             hashlib.sha256(text.encode()).hexdigest(), repr(spec.key()),
             _literal_repr(fn.__defaults__), _literal_repr(fn.__kwdefaults__),
             repr(_user_rules())]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _literal_repr(value):
    if value is None or type(value) in (bool, int, float, str):
        return repr(value)
    if type(value) is tuple:
        return "(" + ", ".join(_literal_repr(v) for v in value) + ",)"
    if type(value) is dict:
        return "{" + ", ".join(f"{k!r}: {_literal_repr(v)}" for k, v in value.items()) + "}"
    raise _Unsupported("a default that is not a literal")


# -- references to objects ---------------------------------------------------------

def _walk(module, qualname):
    obj = sys.modules.get(module) or importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _ref(obj, deps=()):
    """A JSON reference that resolves to `obj` in another process, or _Unsupported."""
    if obj is None or type(obj) in (bool, int, str) or (
            type(obj) is float and obj == obj and abs(obj) != float("inf")):
        return ["lit", obj]
    if obj is guards_mod.MISSING:
        return ["missing"]
    for i, dep in enumerate(deps):
        for role, f in dep.functions.items():
            if f is obj:
                return ["dep", i, role]
    if isinstance(obj, types.ModuleType):
        if sys.modules.get(obj.__name__) is obj:
            return ["module", obj.__name__]
        raise _Unsupported("a module not in sys.modules")
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname \
            and module != "__main__":
        try:
            if _walk(module, qualname) is obj:
                return ["obj", module, qualname]
        except Exception:
            pass
    raise _Unsupported(f"no import path for {type(obj).__name__}")


def _deref(ref, deps):
    kind = ref[0]
    if kind == "lit":
        return ref[1]
    if kind == "missing":
        return guards_mod.MISSING
    if kind == "dep":
        return deps[ref[1]].functions[ref[2]]
    if kind == "module":
        return importlib.import_module(ref[1])
    if kind == "obj":
        return _walk(ref[1], ref[2])
    raise _Unsupported(kind)


def _namespace_ref(fn, ns):
    if ns is fn.__globals__:
        return ["globals"]
    name = ns.get("__name__") if type(ns) is dict else None
    module = sys.modules.get(name) if isinstance(name, str) else None
    if module is not None and module.__dict__ is ns:
        return ["module", name]
    raise _Unsupported("a namespace that is not a module's")


def _parent_ref(fn, obj):
    if obj is fn:
        return ["fn"]
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        if cell is obj:
            return ["cell", name]
    return _ref(obj)


def _guard_refs(fn, art):
    dicts, attrs = art.guards
    out_d = [[_namespace_ref(fn, d), key, _ref(obj)] for d, key, obj in dicts]
    out_a = []
    for o, attr, obj in attrs:
        parent = _parent_ref(fn, o)
        if parent == ["fn"]:  # its code and defaults as they are now: keyed above
            out_a.append([parent, attr, ["current"]])
        else:
            out_a.append([parent, attr, _ref(obj)])
    return [out_d, out_a]


def _guards_from(fn, refs):
    dicts = []
    for ns, key, ref in refs[0]:
        d = fn.__globals__ if ns == ["globals"] else vars(importlib.import_module(ns[1]))
        obj = _deref(ref, ())
        if d.get(key, guards_mod.MISSING) is not obj:
            return None  # the names mean something else here
        dicts.append((d, key, obj))
    attrs = []
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    for parent, attr, ref in refs[1]:
        if parent == ["fn"]:
            o = fn
        elif parent[0] == "cell":
            o = cells.get(parent[1])
            if o is None:
                return None
        else:
            o = _deref(parent, ())
        current = getattr(o, attr, guards_mod.MISSING)
        obj = current if ref == ["current"] else _deref(ref, ())
        if current is not obj:
            return None
        attrs.append((o, attr, obj))
    return dicts, attrs


def _spec_args(key):
    wrt, single, of, mode, optimize, unroll, save_to, shapes, dtypes, use_math = key
    return [list(wrt), single, of, mode, optimize, unroll, shapes, dtypes, use_math]


def _tuples(x):
    return tuple(_tuples(v) for v in x) if isinstance(x, list) else x


def _spec_from(Spec, args):
    wrt, single, of, mode, optimize, unroll, shapes, dtypes, use_math = args
    wrt = _tuples(wrt)
    return Spec(wrt[0] if single else wrt, of, mode, optimize, unroll, None,
                _tuples(shapes), _tuples(dtypes), use_math)


# -- entries -----------------------------------------------------------------------

def _path(key):
    return os.path.join(directory(), key + ".json")


def _sha(text):
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def _storable(fn, spec):
    # a srcgrad gradient is compiled from its function's generated code, not its own
    return not spec.save_to and directory() is not None and \
        not hasattr(fn, "__srcgrad_wrapped__")


def load(fn, spec, compile_fn, Spec):
    """(functions, text, guards, deps, info) rebuilt from fn's entry, or None."""
    if not _storable(fn, spec):
        return None
    import json

    from . import source as source_mod
    try:
        code = fn.__code__
        linecache.checkcache(code.co_filename)  # the file as it is now...
        source_mod._check_current(fn, code, code.co_filename)  # ...runs
        key = _key(fn, spec)
        with open(_path(key), encoding="utf-8") as fh:
            entry = json.load(fh)
    except (OSError, ValueError, _Unsupported):
        return None
    except Exception:  # the source is unreadable or stale: the passes say why
        return None
    try:
        return _rebuild(fn, spec, key, entry, compile_fn, Spec)
    except Exception:  # a foreign or damaged entry: compile, and it is rewritten
        return None


def _rebuild(fn, spec, key, entry, compile_fn, Spec):
    import re

    from . import codegen
    text = entry["text"]
    filename = fn.__code__.co_filename
    if entry.get("format") != FORMAT or entry.get("key") != key or \
            entry.get("sha256") != _sha(text):
        return None
    deps = []
    for callee_ref, spec_args, text_sha in entry["deps"]:
        callee = _deref(callee_ref, ())
        dep = compile_fn(callee, _spec_from(Spec, spec_args))
        if _sha(dep.text) != text_sha:
            return None  # the callee's adjoint is not the one this text was bound to
        deps.append(dep)
    guards = _guards_from(fn, entry["guards"])
    if guards is None:
        return None
    helpers = {n: _deref(r, deps) for n, r in entry["helpers"].items()}
    match = re.search(r"^def (\w+)\(", text, re.M)
    roles = entry["roles"]
    if match is None or match.group(1) != entry["factory"]:
        return None
    lines = {int(k): v for k, v in entry["lines"].items()}
    built, _ = codegen.build(text, entry["factory"], set(roles.values()), helpers, fn,
                             origins=(filename, entry["name"], lines))
    functions = {role: built[n] for role, n in roles.items()}
    for f in functions.values():
        f.__srcgrad_source__ = text
    first = functions.get("main") or functions["fwd"]
    first.__defaults__ = fn.__defaults__
    first.__kwdefaults__ = fn.__kwdefaults__
    info = dict(entry["info"], fn=fn, filename=filename)
    return functions, text, guards, deps, info


def store(fn, spec, art):
    """Write art's entry (atomically); what cannot be referenced is not stored."""
    if not _storable(fn, spec):
        return
    try:
        entry = _entry(fn, spec, art)
    except _Unsupported:
        return
    except Exception:  # never fail a compile because the cache cannot hold it
        return
    import json
    import tempfile
    folder = directory()
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            os.replace(tmp, _path(entry["key"]))
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        return


def _entry(fn, spec, art):
    import json
    import re

    from . import codegen
    key = _key(fn, spec)
    user_cells = set(map(id, fn.__closure__ or ()))
    helpers, roles = {}, {}
    for role, f in art.functions.items():
        f = getattr(f, "__wrapped__", f)
        roles[role] = f.__code__.co_name
        for name, cell in zip(f.__code__.co_freevars, f.__closure__ or ()):
            if id(cell) not in user_cells:
                helpers[name] = _ref(cell.cell_contents, art.deps)
    deps = []
    for dep in art.deps:
        callee = dep.info["fn"]
        deps.append([_ref(callee), _spec_args(dep.spec.key()), _sha(dep.text)])
    match = re.search(r"^def (\w+)\(", art.text, re.M)
    main = art.functions.get("main") or art.functions["fwd"]
    origins = codegen._origins.get(main.__code__.co_filename)
    info = {k: v for k, v in art.info.items() if k not in ("fn", "filename")}
    json.dumps(info)  # TypeError (not stored) if anything in it is not plain data
    return {"format": FORMAT, "key": key, "sha256": _sha(art.text), "text": art.text,
            "factory": match.group(1),
            "name": origins[1] if origins else fn.__code__.co_name, "roles": roles, "helpers": helpers,
            "guards": _guard_refs(fn, art), "deps": deps,
            "lines": {str(k): v for k, v in (origins[2] if origins else {}).items()},
            "info": info}
