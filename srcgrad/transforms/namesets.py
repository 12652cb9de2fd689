"""Per-statement name facts of the reverse transform, found once and shared.

The liveness analysis of the adjoint sweep (saves.dead_restores, whose loops re-read
their bodies), `saves.loads` (asked before and after restores are resolved), the
available calls of each block (refinements.available_calls) and the first definitions
of the body (saves.first_definitions) all ask which names a statement reads or writes.
A `NameSets` answers each statement with one walk over it, the first time it is asked.
"""
import gast

from ..treewalk import walk

_NOTHING = frozenset()
_NO_FACTS = (None, _NOTHING, _NOTHING, _NOTHING, _NOTHING)


class NameSets:
    """The names each statement reads and writes, as syntax.load_names and
    syntax.store_names give them, kept per statement. Statements must not be changed
    while their sets are kept, and the sets returned must not be changed; an entry
    holds its statement, so that its id is not reused for another."""

    def __init__(self):
        self._facts = {}

    def _of(self, st):
        if not st._fields:  # a marker statement (markers.Marker): no names
            return _NO_FACTS
        facts = self._facts.get(id(st))
        if facts is None:
            read, stored, params, into = set(), set(), _NOTHING, _NOTHING
            for n in walk(st):
                kind = type(n)
                if kind is gast.Name:
                    ctx = type(n.ctx)
                    if ctx is gast.Load:
                        read.add(n.id)
                    elif ctx is gast.Store:
                        stored.add(n.id)
                    elif ctx is gast.Param:
                        params = params | {n.id}
                elif kind is gast.Subscript and type(n.ctx) is gast.Store and \
                        type(n.value) is gast.Name:
                    into = into | {n.value.id}
            written = stored | params if params else stored
            facts = self._facts[id(st)] = (st, read, written, stored, into)
        return facts

    def of(self, st):
        """(names read, names written: Store or Param context) by `st`."""
        facts = self._of(st)
        return facts[1], facts[2]

    def stored(self, st):
        """The names `st` binds in a Store context (Param ones aside)."""
        return self._of(st)[3]

    def written_into(self, st):
        """The names of the arrays `st` assigns elements of (`y[i] = v`)."""
        return self._of(st)[4]
