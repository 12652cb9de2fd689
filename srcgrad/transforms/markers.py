"""Typed markers the passes leave in the trees they build (never ad-hoc attributes).

Two kinds:
  * Marker statements (`SaveMarker`, `RestoreMarker`): not code, placeholders that
    save planning (saves.py) replaces by code or drops before anything is printed.
  * Notes attached to nodes that stay code, read by later passes: `OriginLine`,
    `RestoresInto` (reverse), `Opaque`, `InPlaceError`, `Harmless` (normalize),
    `DefaultFilled` (the registry's argument binding); `note(node, kind)` reads one,
    `annotate(node, note)` sets it.
"""
import gast


class Marker(gast.stmt):
    """A placeholder statement with no child nodes; never printed. (Made by the ten
    thousand: the constructors skip ast.AST's, which has no fields to set.)"""
    _fields = ()


class SaveMarker(Marker):
    """Where the primal sweep may save the old values of `names` before the assignment
    `site` (an id) overwrites them; `depth` > 0 inside a loop (saved on the stack)."""

    def __init__(self, site=None, names=(), depth=0):
        self.site, self.names, self.depth = site, list(names), depth


class RestoreMarker(Marker):
    """Where the adjoint sweep may restore `name` as it was before the assignment
    `site` (an id) overwrote it."""

    def __init__(self, site=None, name=None):
        self.site, self.name = site, name

    @property
    def key(self):
        return (self.site, self.name)


class Note:
    """Base of the notes attached to statements that stay code."""


class OriginLine(Note):
    """On a `# grad of:` comment: the user's line whose adjoint follows (or None)."""

    def __init__(self, line):
        self.line = line


class RestoresInto(Note):
    """On `y[idx] = old` of the adjoint sweep: it writes into the array `name` (see
    setitem.own_before_restores)."""

    def __init__(self, name):
        self.name = name


class Opaque(Note):
    """On an expression normalize does not decompose (f-strings, dicts, comprehensions):
    activity analysis refuses it where a derivative must flow through it."""


class InPlaceError(Note):
    """On `s += e`: the message to raise at run time if `s` turns out to be an array
    another live name shares (normalize reads `s += e` as `s = s + e`)."""

    def __init__(self, message):
        self.message = message


class Harmless(Note):
    """On a call srcgrad inserts that reads its arguments and changes nothing."""


class DefaultFilled(Note):
    """On a rule argument the registry filled in from the template's default."""


class Fixpoint(Note):
    """On a function optimize ran on: whether its last round changed nothing (so
    another run would change nothing either, while the function is unchanged since)."""

    def __init__(self, reached):
        self.reached = reached


_ATTR = "srcgrad_notes"


def annotate(node, note):
    """Attach `note` to `node` (one note of each kind) and return `node`."""
    notes = dict(getattr(node, _ATTR, None) or {})
    notes[type(note)] = note
    setattr(node, _ATTR, notes)
    return node


def note(node, kind):
    """The note of class `kind` attached to `node`, or None."""
    notes = getattr(node, _ATTR, None)
    return notes.get(kind) if notes else None


def is_origin_comment(node):
    # only the `# grad of:` comments (expression statements) carry an OriginLine; the
    # test runs on every statement of the adjoint sweep, several times over
    if node.__class__ is not gast.Expr:
        return False
    notes = node.__dict__.get(_ATTR)
    return notes is not None and OriginLine in notes


def restored_into(node):
    """The array name a restore of elements writes into, or None."""
    n = note(node, RestoresInto)
    return n.name if n is not None else None
