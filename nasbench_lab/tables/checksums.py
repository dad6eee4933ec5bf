"""File checksums recorded in converted tables, and the stamps ``nasbench-lab download`` leaves beside verified
files (read here, below the loaders, so that a loader can take only verified companion files)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from nasbench_lab.errors import ChecksumMismatchError, DataFileError
from nasbench_lab.tables.table import SourceFile


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(chunk):
                digest.update(block)
    except FileNotFoundError:
        raise DataFileError(f"file not found: {path}") from None
    return digest.hexdigest()


def sha256_tree(path: str | os.PathLike) -> str:
    """SHA-256 over a file, or over every file of a directory (names and contents, sorted)."""
    p = Path(path)
    if p.is_file():
        return sha256_file(p)
    if not p.is_dir():
        raise DataFileError(f"file not found: {path}")
    digest = hashlib.sha256()
    for child in sorted(q for q in p.rglob("*") if q.is_file()):
        digest.update(str(child.relative_to(p)).encode())
        digest.update(sha256_file(child).encode())
    return digest.hexdigest()


def _tree_stat(p: Path) -> tuple[int, int, int]:
    """(total size, newest mtime, newest ctime) of a file, or of a directory and every file under it.

    A directory's own mtime does not change when a file inside it is rewritten, so the files count.
    The ctime catches an in-place edit whose size and mtime were kept (``os.utime`` cannot set it back).
    """
    stat = p.stat()
    if p.is_file():
        return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns
    size, newest, changed = 0, stat.st_mtime_ns, stat.st_ctime_ns
    for child in p.rglob("*"):
        if child.is_file():
            child_stat = child.stat()
            size += child_stat.st_size
            newest = max(newest, child_stat.st_mtime_ns)
            changed = max(changed, child_stat.st_ctime_ns)
    return size, newest, changed


def describe_source(path: str | os.PathLike) -> SourceFile:
    """A SourceFile record (absolute path, checksum, size, mtime, ctime) for ``path``."""
    p = Path(path).resolve()
    size, mtime_ns, ctime_ns = _tree_stat(p)
    return SourceFile(str(p), sha256_tree(p), size, mtime_ns, ctime_ns)


def stat_unchanged(recorded: SourceFile) -> bool:
    """True when the source's size, mtime and ctime are those recorded (False also when it is gone)."""
    p = Path(recorded.path)
    return p.exists() and _tree_stat(p) == (recorded.size, recorded.mtime_ns, recorded.ctime_ns)


def restat(recorded: SourceFile) -> SourceFile:
    """The record with the source's current stat if its bytes still hash as recorded, else unchanged.

    The stat is taken before hashing, so a write during the hash moves the ctime and is caught next time.
    """
    p = Path(recorded.path)
    if not p.exists():
        return recorded
    size, mtime_ns, ctime_ns = _tree_stat(p)
    if sha256_tree(p) != recorded.sha256:
        return recorded
    return SourceFile(recorded.path, recorded.sha256, size, mtime_ns, ctime_ns)


def verify_source(recorded: SourceFile, *, full: bool = False) -> None:
    """Raises ChecksumMismatchError if the source file changed since it was converted.

    Size, mtime and ctime unchanged are taken as unchanged unless ``full``; otherwise the
    checksum is recomputed (so a copied or touched but identical source is still accepted).
    A source that no longer exists is not an error (tables travel).
    """
    p = Path(recorded.path)
    if not p.exists():
        return
    if stat_unchanged(recorded) and not full:
        return
    actual = sha256_tree(p)
    if actual != recorded.sha256:
        raise ChecksumMismatchError(
            f"source file {p} changed since it was converted (sha256 {actual[:12]}... but the table records "
            f"{recorded.sha256[:12]}...)"
        )


def verify_expected(path: str | os.PathLike, expected_sha256: str) -> None:
    """Raises ChecksumMismatchError if ``path`` does not have the expected SHA-256."""
    actual = sha256_file(path)
    if actual != expected_sha256.lower():
        raise ChecksumMismatchError(f"checksum mismatch for {path}: expected {expected_sha256}, got {actual}")


#: a stamp's ``check`` when the file matched the manifest's published SHA-256 (the strongest check)
CHECK_SHA256 = "sha256"


@dataclass(frozen=True)
class Stamp:
    """Recorded after a downloaded file passed its checks; valid while the file keeps its size and mtime."""

    check: str
    sha256: str
    size: int
    mtime_ns: int
    #: the sha256 of the first verified copy of this file (trust on first use: later copies are compared to it)
    first_sha256: str = ""
    #: what the content check found (see nasbench_lab.official.content)
    content: str = ""


def stamp_path(path: Path) -> Path:
    """Where the stamp of ``path`` is kept: ``.NAME.verified.json`` beside it."""
    return path.with_name(f".{path.name}.verified.json")


def current_stamp(path: Path) -> Stamp | None:
    """The stamp of ``path`` if there is one and the file still has the size and mtime it records, else None
    (no hashing: cheap enough to ask on every load)."""
    try:
        raw = json.loads(stamp_path(path).read_text())
        stamp = Stamp(raw["check"], raw["sha256"], int(raw["size"]), int(raw["mtime_ns"]),
                      str(raw.get("first_sha256") or raw["sha256"]), str(raw.get("content", "")))
        stat = path.stat()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return stamp if (stat.st_size, stat.st_mtime_ns) == (stamp.size, stamp.mtime_ns) else None
