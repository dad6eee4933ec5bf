"""Where official files live on disk, and the record ("stamp") that a file there was verified."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from nasbench_lab.errors import ChecksumMismatchError
from nasbench_lab.fileio import atomic_write
from nasbench_lab.official.manifest import OfficialFile
from nasbench_lab.tables.checksums import sha256_file

#: how a file was checked, strongest first
CHECK_SHA256 = "sha256"
CHECK_SIZE = "size only"
CHECK_LENGTH = "transfer length only"
CHECK_NONE = "not checked"


class UnverifiedFileWarning(UserWarning):
    """A file was accepted without a published checksum (size or transfer length checked only)."""


@dataclass(frozen=True)
class Stamp:
    """Recorded after a file passed its checks; valid while the file keeps its size and mtime."""

    check: str
    sha256: str
    size: int
    mtime_ns: int


def file_path(root: Path, entry: OfficialFile) -> Path:
    """``root/<benchmark>/<name>``, or ``root/<benchmark>/<folder>/<name>`` for a file of a subfolder."""
    return root / entry.benchmark / (entry.folder or "") / entry.name


def part_path(path: Path) -> Path:
    """The partial download beside ``path`` (same folder, so the final move is atomic)."""
    return path.with_name(path.name + ".part")


def unpacked_path(root: Path, entry: OfficialFile) -> Path:
    return file_path(root, entry).with_name(entry.unpacked_name)


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified.json")


def read_stamp(path: Path, entry: OfficialFile) -> Stamp | None:
    """The stamp of ``path`` if it still describes the file there and agrees with the manifest, else None."""
    try:
        raw = json.loads(_stamp_path(path).read_text())
        stamp = Stamp(raw["check"], raw["sha256"], int(raw["size"]), int(raw["mtime_ns"]))
        stat = path.stat()
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    if (stat.st_size, stat.st_mtime_ns) != (stamp.size, stamp.mtime_ns):
        return None
    if entry.sha256 is not None and stamp.sha256 != entry.sha256:
        return None
    return stamp


def write_stamp(path: Path, check: str, sha256: str) -> Stamp:
    stat = path.stat()
    stamp = Stamp(check, sha256, stat.st_size, stat.st_mtime_ns)
    atomic_write(_stamp_path(path), json.dumps(stamp.__dict__, indent=1))
    return stamp


def check_file(path: Path, entry: OfficialFile, *, announced_size: int | None = None) -> tuple[str, str]:
    """Checks ``path`` against the manifest; returns (how it was checked, its sha256).

    Raises ChecksumMismatchError on a wrong size or checksum; warns (UnverifiedFileWarning) when the
    manifest has no checksum, so that the user knows how little was checked.
    """
    size = path.stat().st_size
    if entry.size_bytes is not None and size != entry.size_bytes:
        raise ChecksumMismatchError(f"{entry.name} has {size} bytes, the manifest says {entry.size_bytes}")
    actual = sha256_file(path)
    if entry.sha256 is not None:
        if actual != entry.sha256:
            raise ChecksumMismatchError(f"{entry.name} has sha256 {actual}, the manifest says {entry.sha256} "
                                        f"({entry.checksum_source})")
        return CHECK_SHA256, actual
    if entry.size_bytes is not None:
        check = CHECK_SIZE
        what = f"checked its size ({size} bytes) only"
    else:
        check = CHECK_LENGTH if announced_size is not None else CHECK_NONE
        what = ("no exact size is known either: checked only that the transfer was complete"
                if announced_size is not None else "no exact size is known either: nothing was checked")
    warnings.warn(f"{entry.name}: no published checksum; {what} (sha256 {actual})", UnverifiedFileWarning,
                  stacklevel=3)
    return check, actual
