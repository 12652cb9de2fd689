"""The naming service: fresh, readable names that never collide with the user's.

Invariant: every name handed out is distinct from every name reserved so far
(the user's own names, helpers, and earlier fresh names), and the sequence of names
is a pure function of the requests, so generated code is stable from run to run.
"""
import keyword
import re

import gast
from .treewalk import walk


class Namer:
    def __init__(self, reserved=()):
        self.taken = set(reserved)
        self._next = {}  # base -> the smallest suffix that may still be free

    @classmethod
    def for_tree(cls, tree, extra=()):
        """A namer that reserves every identifier appearing in `tree`."""
        names = set(extra)
        for node in walk(tree):
            if isinstance(node, gast.Name):
                names.add(node.id)
            elif isinstance(node, (gast.FunctionDef, gast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, gast.alias):
                names.add(node.asname or node.name.split(".")[0])
        return cls(names)

    def reserve(self, name):
        self.taken.add(name)

    def fresh(self, base):
        """A new name based on `base`: `base` itself if free, else base_1, base_2...
        A base that is no identifier (made from metadata) is made one first."""
        if not base.isidentifier() or keyword.iskeyword(base):
            base = re.sub(r"\W", "_", base)
            if not base.isidentifier() or keyword.iskeyword(base):
                base = "n_" + base
        base = base.strip("_") or "t"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = "n_" + base
        if base not in self.taken:
            self.taken.add(base)
            return base
        # `taken` only grows, so the smallest free suffix never decreases: searching
        # from the last one found keeps the names identical and each call O(1)
        i = self._next.get(base, 1)
        while f"{base}_{i}" in self.taken:
            i += 1
        name = f"{base}_{i}"
        self.taken.add(name)
        self._next[base] = i + 1
        return name

    def adjoint(self, name):
        """The adjoint name of a primal name: x -> dx (or dx_1 when taken)."""
        return self.fresh("d" + name.lstrip("_"))
