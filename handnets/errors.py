"""The one error tree of handnets: every exception the package raises for bad input.

A failed check or a wrong student answer is a returned value, never an exception; these
are for input that cannot be read or a request that cannot be served. The CLI turns
every ``HandnetsError`` into one ``error: ...`` line on stderr and exit code 2; anything
else is a real bug and keeps its traceback.

    HandnetsError(Exception)
    ├── InputError(HandnetsError, ValueError)        bad input in general
    │   ├── InvalidWeights(InputError)               a threshold-network weights file or table
    │   ├── InvalidNumber(InputError)                a number that is not an exact int/decimal/fraction
    │   ├── InvalidSpec(InputError)                  model code / layer constructors (params)
    │   ├── InvalidKey(InputError)                   a grading key
    │   ├── InvalidSheet(InputError)                 a student's answer sheet
    │   ├── InvalidTask(InputError)                  a threshold-network task (a Mealy machine) file
    │   ├── InvalidExport(InputError)                an LMS export or its column mapping (handnets.lms)
    │   └── InvalidRequest(InputError)               arguments a computation cannot serve (field: which)
    └── UsageError(HandnetsError)                    a command-line request that makes no sense
"""

from __future__ import annotations

__all__ = [
    "HandnetsError",
    "InputError",
    "InvalidWeights",
    "InvalidNumber",
    "InvalidSpec",
    "InvalidKey",
    "InvalidSheet",
    "InvalidExport",
    "InvalidRequest",
    "InvalidTask",
    "UsageError",
]


class HandnetsError(Exception):
    """Base of every error handnets raises on purpose."""


class InputError(HandnetsError, ValueError):
    """Input that cannot be read: names where (source, field) and what was expected.

    >>> str(InputError("W_xh must be 3x2, got 2x3", source="adder.toml", field="W_xh"))
    'adder.toml: W_xh: W_xh must be 3x2, got 2x3'
    """

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.message = message
        self.source = source
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ": ".join(part for part in (self.source, self.field) if part)
        return f"{where}: {self.message}" if where else self.message

    def __reduce__(self):  # keep pickling (worker processes) working with keyword-only fields
        return (_rebuild, (type(self), self.message, self.source, self.field))


def _rebuild(cls, message, source, field):
    return cls(message, source=source, field=field)


class InvalidWeights(InputError):
    """A threshold-network weights file (or an answer sheet's weights table) is malformed."""


class InvalidNumber(InputError):
    """A value that should be an exact number (int, decimal as written, "p/q") is not."""


class InvalidSpec(InputError):
    """Model-building code or a layer constructor that cannot be read."""


class InvalidKey(InputError):
    """A grading key that cannot be read."""


class InvalidSheet(InputError):
    """A student's answer sheet that cannot be read at all."""


class InvalidTask(InputError):
    """A task file (a reference Mealy machine for threshold networks) that cannot be read."""


class InvalidExport(InputError):
    """An LMS export (Canvas, Moodle, PrairieLearn, Forms) or a column mapping that cannot be read."""


class InvalidRequest(InputError):
    """Arguments a computation cannot serve (an enumeration length, a state bound, an operand's size).

    Raised by computation, which knows no command-line flags; ``field`` names the argument
    (``"max_len"``), and the CLI words the message in terms of its own flag.
    """


class UsageError(HandnetsError):
    """A command-line request that makes no sense (exit code 2)."""
