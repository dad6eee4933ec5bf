"""A restricted unpickler: only allow-listed globals may be loaded (pickles can run code)."""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from nasbench_lab.errors import DataFileError, UnsafePickleError

#: what plain numpy arrays, numpy scalars and ordered dicts need, under numpy 1.x and 2.x names
NUMPY_GLOBALS: frozenset[tuple[str, str]] = frozenset({
    ("numpy", "dtype"),
    ("numpy", "ndarray"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
})
BUILTIN_GLOBALS: frozenset[tuple[str, str]] = frozenset({
    ("collections", "OrderedDict"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("_codecs", "encode"),  # how protocol-2 pickles store bytes
})
DEFAULT_ALLOWED = NUMPY_GLOBALS | BUILTIN_GLOBALS


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler whose ``find_class`` refuses every global not in ``allowed``."""

    def __init__(self, file: BinaryIO, allowed: Iterable[tuple[str, str]] = DEFAULT_ALLOWED, *, source: str = ""):
        super().__init__(file)
        self._allowed = frozenset(allowed)
        self._source = source

    def find_class(self, module: str, name: str):
        if (module, name) not in self._allowed:
            allowed = ", ".join(f"{m}.{n}" for m, n in sorted(self._allowed))
            raise UnsafePickleError(
                f"{self._source or 'pickle'} asks for {module}.{name}, which is not an allowed type; "
                f"allowed: {allowed}"
            )
        return super().find_class(module, name)


def safe_loads(data: bytes, allowed: Iterable[tuple[str, str]] = DEFAULT_ALLOWED, *, source: str = "") -> object:
    """Unpickles ``data`` allowing only ``allowed`` globals; truncated/corrupted data -> DataFileError."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), allowed, source=source).load()
    except UnsafePickleError:
        raise
    except Exception as exc:  # corrupt bytes raise almost anything from C code (Overflow, Memory, Lookup, System...)
        raise DataFileError(
            f"{source or 'pickle'}: truncated or corrupted pickle ({type(exc).__name__}: {exc})") from None


def safe_load(path: str | os.PathLike, allowed: Iterable[tuple[str, str]] = DEFAULT_ALLOWED) -> object:
    """Reads and safely unpickles the file at ``path``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"file not found: {p}") from None
    return safe_loads(data, allowed, source=str(p))
