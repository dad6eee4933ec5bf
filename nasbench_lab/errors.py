"""Exception types of nasbench_lab: every user-facing failure is one of these."""

from __future__ import annotations

from collections.abc import Iterable


class NasbenchLabError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidArchitectureError(NasbenchLabError, ValueError):
    """An architecture is malformed or not a member of its search space."""


class UnknownNameError(NasbenchLabError, KeyError):
    """A benchmark, dataset, metric, fidelity, algorithm or other name is not known."""

    def __init__(self, kind: str, name: object, accepted: Iterable[object]):
        self.kind = kind
        self.name = name
        self.accepted = list(accepted)
        super().__init__(f"unknown {kind} {name!r}; accepted: {', '.join(map(str, self.accepted))}")

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0])


class DataFileError(NasbenchLabError, OSError):
    """A data file is missing, truncated, corrupted or of the wrong layout."""


class ChecksumMismatchError(DataFileError):
    """A file's checksum differs from the one recorded for it."""


class UnsafePickleError(DataFileError):
    """A pickle asked for a type that the restricted unpickler does not allow."""


class ConfigError(NasbenchLabError, ValueError):
    """A configuration value (budget, size, parameter) is out of its accepted range."""


class DataNote(UserWarning):
    """A one-line note about data that was accepted but deserves a word (a partial table, a reconversion).

    The CLI prints these as ``note:`` lines on stderr (``--quiet`` hides them).
    """
