"""Small file helpers shared by every writer: atomic writes and JSON for numpy values."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Writes ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    Interrupted sweeps therefore never leave half-written results behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def json_default(obj: object):
    """``json.dumps(default=...)`` hook: numpy scalars and arrays become plain Python values."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
