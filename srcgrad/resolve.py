"""Compile-time resolution of what a call or attribute in the user's code refers to.

`Resolver.callee(call_node)` classifies a normalized call as a primitive with a rule,
a primitive without derivative, `stop_gradient`, a user function (differentiated by
compiling its own adjoint), or unknown. Every global or closure lookup that decided a
classification is recorded as a guard, so the compile cache can tell when a name has
been rebound since.
"""
import builtins
import functools
import os
import site
import sysconfig
import types

import gast

from . import rules
from .transforms.syntax import dotted_path

_OPERATORS = {}
_MISSING = object()


def _operators():
    if not _OPERATORS:
        import operator
        _OPERATORS.update({
            gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
            gast.Div: operator.truediv, gast.Pow: operator.pow, gast.MatMult: operator.matmul,
            gast.Mod: operator.mod, gast.FloorDiv: operator.floordiv,
            gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert, gast.BitAnd: operator.and_,
            gast.BitOr: operator.or_, gast.BitXor: operator.xor,
            gast.LShift: operator.lshift, gast.RShift: operator.rshift,
        })
    return _OPERATORS


def operator_for(op):
    return _operators()[type(op)]


class Callee:
    """What a call refers to. kind: rule | nondiff | stop | user | unknown.
    `reason`, when set, says why an unknown callee cannot be resolved (the refusal's
    message); `label` names it as the user wrote it."""

    def __init__(self, kind, obj=None, rule=None, label="", reason=None):
        self.kind = kind
        self.obj = obj
        self.rule = rule
        self.label = label
        self.reason = reason


class Resolver:
    """`locals_`: the function's local names; `user_names`: the names the user wrote
    (None: all of them), so that messages never name a temporary of normalize."""

    def __init__(self, source, locals_, user_names=None):
        self.source = source
        self.locals = locals_
        self.user_names = user_names
        self.guards = []  # (global or closure name, object) pairs
        self.links = []   # (parent, attribute, object) of each dotted-path step
        self.aliases = {}  # local name -> the global path of the module it is set to
        self._memo = {}
        self._static = {}  # dotted path -> static_object's answer
        # activity.value_kind's answers, by id(right-hand side): activity asks twice
        # per statement and reverse again. Each is kept with its node (alive, its id
        # names no other node).
        self.value_kinds = {}
        # The NameSets of the normalized body's statements (transforms/namesets.py),
        # set by pipeline.resolve (which reads their stores): activity reads them, and
        # reverse mode again. Valid until then only: optimize later changes those
        # statements in place.
        self.body_names = None

    def note_aliases(self, tree):
        """Remember locals assigned a module (`np = numpy`): a call through one cannot
        be resolved statically, and the refusal says so."""
        # Assignments are statements, which a normalized tree holds only in `body`
        # and `orelse` lists: visit those alone, in the order `walk` meets them
        # (a list read while it grows: breadth first), not every expression node.
        todo = [tree]
        for node in todo:
            todo.extend(getattr(node, "body", None) or ())
            todo.extend(getattr(node, "orelse", None) or ())
            if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], gast.Name):
                path = dotted_path(node.value)
                if path is None or path.split(".")[0] in self.locals:
                    continue
                obj = self._peek(path)
                if isinstance(obj, types.ModuleType):
                    self.aliases[node.targets[0].id] = path

    def _peek(self, path):
        """The object at a global/closure path, without guarding it (messages only)."""
        parts = path.split(".")
        found, obj = self.source.resolve(parts[0])
        for part in parts[1:]:
            obj = getattr(obj, part, None) if found else None
        return obj if found else None

    def lookup_path(self, path):
        """(found, object) for a dotted global/closure path such as 'np.linalg.norm'."""
        parts = path.split(".")
        found, obj = self.source.resolve(parts[0])
        self.guards.append((parts[0], obj if found else None))
        if not found:
            return False, None
        for part in parts[1:]:
            child = getattr(obj, part, _MISSING)
            self.links.append((obj, part, child))
            if child is _MISSING:
                return False, None
            obj = child
        return True, obj

    def static_object(self, node):
        """The object a global/closure Name or dotted Attribute chain refers to, or
        None (a local, an expression, or a name that does not resolve). Each path is
        looked up (and guarded) once: the passes ask again for the same calls."""
        path = dotted_path(node)
        if path is None:
            return None
        obj = self._static.get(path, _MISSING)
        if obj is _MISSING:
            if path.split(".")[0] in self.locals:
                obj = None
            else:
                found, obj = self.lookup_path(path)
                obj = obj if found else None
            self._static[path] = obj
        return obj

    def callee(self, call):
        func = call.func
        key = id(func)
        known = self._memo.get(key)
        if known is not None and known[0] is func:
            return known[1]
        path = dotted_path(func)
        root = path.split(".")[0] if path is not None else None
        if path is not None and root not in self.locals:
            found, obj = self.lookup_path(path)
            result = classify(obj, path) if found else Callee("unknown", label=path)
        elif isinstance(func, gast.Attribute):
            method = "ndarray." + func.attr
            result = self.method(method, func.attr)
            if result.kind == "unknown" and root in self.aliases:
                result.reason = (
                    f"`{root}` is a local name (for `{self.aliases[root]}`), so srcgrad "
                    f"cannot tell statically what `{path}()` is; it resolves calls "
                    "through global or closure names only")
        else:
            written = self._written(root)
            result = Callee("unknown", label=path if written else "this callable")
        # the node is kept with its result: alive, its id cannot name another node
        self._memo[key] = (func, result)
        return result

    def _written(self, name):
        """Whether `name` is a local the user wrote (not a temporary of normalize)."""
        return name is not None and name in self.locals and (
            self.user_names is None or name in self.user_names)

    def method(self, key, attr):
        rule = rules.lookup(key)
        if rule is not None:
            return Callee("rule", key, rule, "." + attr + "()")
        if rules.is_nondifferentiable(key):
            return Callee("nondiff", key, label="." + attr)
        return Callee("unknown", key, label="." + attr + "()")

    def attribute(self, attr):
        return self.method("ndarray." + attr, attr)


def classify(obj, label):
    if rules.registry.marker(obj) == "stop":
        return Callee("stop", obj, label=label)
    try:
        rule = rules.lookup(obj)
    except TypeError:
        rule = None
    if rule is not None:
        return Callee("rule", obj, rule, label)
    if rules.is_nondifferentiable(obj):
        return Callee("nondiff", obj, label=label)
    if isinstance(obj, types.FunctionType):
        if is_library(obj) and not hasattr(obj, "__srcgrad_wrapped__"):
            # its source is no business of the user's: refuse at the call (a srcgrad
            # gradient is differentiated through its generated code)
            return Callee("unknown", obj, label=label)
        return Callee("user", obj, label=label)
    if isinstance(obj, type) or obj in vars(builtins).values():
        return Callee("unknown", obj, label=label)
    return Callee("unknown", obj, label=label)


_library_files = {}  # code filename -> whether it belongs to a library


@functools.lru_cache(maxsize=None)
def _library_dirs():
    dirs = set()
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            dirs.add(paths[key])
    for getter in ("getsitepackages", "getusersitepackages"):
        try:
            found = getattr(site, getter)()
        except AttributeError:  # some virtualenvs' site module lacks them
            continue
        dirs.update([found] if isinstance(found, str) else found)
    here = os.path.dirname(os.path.abspath(__file__))
    dirs.add(here)  # srcgrad itself, but for its runtime helpers (see is_library)
    return tuple(os.path.realpath(d) + os.sep for d in dirs if d)


def is_library(fn):
    """Whether `fn` is defined in the standard library, an installed package or srcgrad
    (whose runtime helpers excepted: higher-order derivatives read their source)."""
    filename = fn.__code__.co_filename
    known = _library_files.get(filename)
    if known is None:
        if filename.startswith("<frozen "):
            known = True
        elif filename.startswith("<"):
            known = False
        else:
            real = os.path.realpath(filename)
            here = os.path.dirname(os.path.realpath(__file__))
            known = real != os.path.join(here, "runtime.py") and \
                any(real.startswith(d) for d in _library_dirs())
        _library_files[filename] = known
    return known
