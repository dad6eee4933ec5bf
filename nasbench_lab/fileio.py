"""Small file helpers shared by every writer: atomic writes and JSON for numpy values."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Writes ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    Interrupted sweeps therefore never leave half-written results behind.
    """
    with atomic_open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return Path(path)


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """A file to stream into that appears at ``path`` whole when the block ends, or not at all.

    It is written as ``.NAME.PID.RANDOM.tmp`` beside ``path`` (unique per process and call, so two processes
    writing the same file, e.g. two identical compares into one folder, never share one) and renamed into
    place (the last rename wins; both wrote whole files); on an error (a full disk, an exception in the
    block) the temporary file is removed and ``path`` keeps its old content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def json_default(obj: object):
    """``json.dumps(default=...)`` hook: numpy scalars and arrays become plain Python values."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
