"""Errors srcgrad raises about the user's code.

Every error carries the location of the offending construct (file, line, column),
shows that source line with a caret under the column, and says what to do instead.
"""
import linecache


class SrcgradError(Exception):
    """Base class of every error srcgrad raises about the user's code."""

    def __init__(self, message, *, filename=None, lineno=None, col=None,
                 function=None, hint=None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.function = function
        self.hint = hint
        super().__init__(self._format())

    def _format(self):
        parts = []
        where = []
        if self.filename:
            where.append(f'File "{self.filename}"')
        if self.lineno:
            where.append(f"line {self.lineno}")
        if self.col is not None and self.lineno:
            where.append(f"column {self.col + 1}")
        if self.function:
            where.append(f"in {self.function}()")
        if where:
            parts.append(", ".join(where) + ":")
        parts.append(self.message)
        if self.filename and self.lineno:
            line = linecache.getline(self.filename, self.lineno)
            if line.strip():
                text = line.rstrip("\n")
                stripped = text.lstrip()
                parts.append("    " + stripped)
                col = self.col if self.col is not None else len(text) - len(stripped)
                offset = max(col - (len(text) - len(stripped)), 0)
                parts.append("    " + " " * offset + "^")
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class UnsupportedSyntaxError(SrcgradError):
    """A construct srcgrad cannot differentiate (try/except, yield, ...)."""


class NoRuleError(SrcgradError):
    """A differentiated call to a function with no derivative rule and no source."""


class SourceUnavailableError(SrcgradError):
    """The source of a function cannot be retrieved."""


class ArgumentError(SrcgradError):
    """Bad `wrt`/`of` arguments, or a non-differentiable value named in `wrt`."""


class RuntimeRefusal(SrcgradError):
    """Raised by a srcgrad.runtime helper when a value known only at run time (an
    argument value, a shape, a dtype) cannot be differentiated. The helper knows no
    location: the gradient wrapper adds the user's file and line of the statement
    whose derivative raised it."""
