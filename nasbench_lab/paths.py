"""Where converted tables are cached (no global state: read at call time)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CACHE_ENV = "NASBENCH_LAB_CACHE"
DATA_ENV = "NASBENCH_LAB_DATA"


def cache_dir() -> Path:
    """``$NASBENCH_LAB_CACHE`` if set, else ``~/.cache/nasbench_lab``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "nasbench_lab"


def data_dir() -> Path:
    """Where official files are downloaded: ``$NASBENCH_LAB_DATA``, else a checkout's ``data/``, else the cache."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file() and (checkout / "data" / "manifest.json").is_file():
        return checkout / "data"
    return cache_dir() / "data"


def cached_table_path(benchmark: str, source: str | os.PathLike, directory: Path | None = None) -> Path:
    """The cache file for ``benchmark`` converted from ``source`` (keyed by its absolute path)."""
    key = hashlib.sha1(str(Path(source).resolve()).encode()).hexdigest()[:16]
    return (directory or cache_dir()) / f"{benchmark}-{Path(source).name}-{key}.h5"
