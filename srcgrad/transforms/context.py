"""What the early passes (normalize and the analyses) need from whoever runs them.

`Context` carries naming, the user's location for errors, the unroll option, and the
two questions normalize asks about the user's environment:
  * `helper(preferred, obj) -> name`: a name the generated code can use for `obj`
    (a builtin such as `range`, or a srcgrad runtime function);
  * `resolves_to(name, obj) -> bool`: whether a free name of the user's function means
    `obj` (a module may define its own `range`).
Both default to a standalone implementation (fresh names, and the names of `builtins`),
so normalize can run on a parsed function alone; the compiler passes its own binder
and resolver, which share names with the rest of the generated code and guard lookups.
"""
import builtins
import linecache

from ..errors import UnsupportedSyntaxError


class HelperNames:
    """The default helper binder: one fresh name per object, remembered in `bound`."""

    def __init__(self, namer):
        self.namer = namer
        self.bound = {}      # name -> object
        self._by_id = {}     # id(object) -> name

    def bind(self, preferred, obj):
        if id(obj) not in self._by_id:
            name_ = self.namer.fresh(preferred)
            self.bound[name_] = obj
            self._by_id[id(obj)] = name_
        return self._by_id[id(obj)]


def builtin_resolver(name_):
    """(found, value) of a free name when the function's module is unknown: builtins."""
    return (True, getattr(builtins, name_)) if hasattr(builtins, name_) else (False, None)


class Context:
    """Naming, errors, options and helper binding for normalize and the analyses.

    `helpers`: an object with `bind(preferred, obj) -> name` and a `bound` mapping
    (default `HelperNames(namer)`); `resolve`: `name -> (found, value)` for the user's
    free names (default: builtins only)."""

    def __init__(self, namer, filename, function, unroll="auto", helpers=None,
                 resolve=None):
        self.namer = namer
        self.filename = filename
        self.function = function
        self.unroll = unroll
        self.helpers = helpers if helpers is not None else HelperNames(namer)
        self.resolve = resolve if resolve is not None else builtin_resolver
        # (error, [(alias, base, index)]): in-place updates refused unless every alias
        # `alias = base[index]` is a scalar element; checked by transforms/aliasing.py
        self.deferred_aliases = []
        self.lookups = []  # (name, object or None) resolutions made while normalizing

    def helper(self, preferred, obj):
        """The name under which generated code reaches `obj`."""
        return self.helpers.bind(preferred, obj)

    def helper_names(self):
        return self.helpers.bound.keys()

    def resolves_to(self, name_, obj):
        """Whether the free name `name_` of the user's function refers to `obj`; each
        lookup is recorded in `lookups` (the compiler guards them)."""
        found, value = self.resolve(name_)
        self.lookups.append((name_, value if found else None))
        return found and value is obj

    def source_line(self, lineno):
        """The user's source line `lineno` (for comments in generated code)."""
        return linecache.getline(self.filename, lineno).strip()

    def error(self, message, node, cls=UnsupportedSyntaxError, hint=None):
        return cls(message, filename=self.filename, lineno=getattr(node, "lineno", None),
                   col=getattr(node, "col_offset", None), function=self.function, hint=hint)
