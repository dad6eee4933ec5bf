"""Where official files live on disk, and the record ("stamp") that a file there was verified."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from nasbench_lab.errors import ChecksumMismatchError, DataNote
from nasbench_lab.fileio import atomic_write
from nasbench_lab.official.content import check_content
from nasbench_lab.official.manifest import OfficialFile
from nasbench_lab.tables.checksums import CHECK_SHA256, Stamp, current_stamp, sha256_file, stamp_path

#: how a file was checked, strongest first (CHECK_SHA256, from tables.checksums, is the strongest)
CHECK_SIZE = "size only"
CHECK_LENGTH = "transfer length only"
CHECK_NONE = "not checked"


class UnverifiedFileWarning(UserWarning):
    """A file was accepted without a published checksum (size or transfer length checked only)."""


def file_path(root: Path, entry: OfficialFile) -> Path:
    """``root/<benchmark>/<name>``, or ``root/<benchmark>/<folder>/<name>`` for a file of a subfolder."""
    return root / entry.benchmark / (entry.folder or "") / entry.name


def part_path(path: Path) -> Path:
    """The partial download beside ``path`` (same folder, so the final move is atomic)."""
    return path.with_name(path.name + ".part")


def unpacked_path(root: Path, entry: OfficialFile) -> Path:
    return file_path(root, entry).with_name(entry.unpacked_name)


def read_stamp(path: Path, entry: OfficialFile) -> Stamp | None:
    """The stamp of ``path`` if it still describes the file there and agrees with the manifest, else None."""
    stamp = current_stamp(path)
    if stamp is None:
        return None
    if entry.sha256 is not None and stamp.sha256 != entry.sha256:
        return None
    return stamp


def first_sha256(path: Path) -> str | None:
    """The sha256 the first verified copy of ``path`` had (kept in its stamp even after the file changed)."""
    try:
        raw = json.loads(stamp_path(path).read_text())
        return str(raw.get("first_sha256") or raw["sha256"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def write_stamp(path: Path, check: str, sha256: str, content: str = "") -> Stamp:
    """Records that ``path`` passed its checks; a DataNote when its sha256 differs from the first verified copy's
    (trust on first use: for files without a published checksum, the only sign that the source changed)."""
    first = first_sha256(path)
    if first is not None and first != sha256:
        warnings.warn(f"{path.name}: sha256 {sha256} differs from the first verified copy's {first} (trust on first "
                      "use): the source changed the file, or one of the two copies is not the official one",
                      DataNote, stacklevel=3)
    stat = path.stat()
    stamp = Stamp(check, sha256, stat.st_size, stat.st_mtime_ns, first or sha256, content)
    atomic_write(stamp_path(path), json.dumps(stamp.__dict__, indent=1))
    return stamp


def check_file(path: Path, entry: OfficialFile, *, announced_size: int | None = None) -> tuple[str, str, str]:
    """Checks ``path`` against the manifest and by its content; returns (how it was checked, its sha256, what the
    content check found).

    Raises ChecksumMismatchError on a wrong size or checksum, ContentMismatchError (a subclass) when the
    content is not what the entry's format says; warns (UnverifiedFileWarning) when the manifest has no
    checksum, so that the user knows how little was checked.
    """
    size = path.stat().st_size
    if entry.size_bytes is not None and size != entry.size_bytes:
        raise ChecksumMismatchError(f"{entry.name} has {size} bytes, the manifest says {entry.size_bytes}")
    actual = sha256_file(path)
    if entry.sha256 is not None:
        if actual != entry.sha256:
            raise ChecksumMismatchError(f"{entry.name} has sha256 {actual}, the manifest says {entry.sha256} "
                                        f"({entry.checksum_source})")
        return CHECK_SHA256, actual, check_content(path, entry)
    content = check_content(path, entry)
    if entry.size_bytes is not None:
        check = CHECK_SIZE
        what = f"checked its size ({size} bytes) only"
    else:
        check = CHECK_LENGTH if announced_size is not None else CHECK_NONE
        what = ("no exact size is known either: checked only that the transfer was complete"
                if announced_size is not None else "no exact size is known either: nothing was checked")
    warnings.warn(f"{entry.name}: no published checksum; {what}; content: {content} (sha256 {actual})",
                  UnverifiedFileWarning, stacklevel=3)
    return check, actual, content
