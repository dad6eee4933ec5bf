"""``nasbench_lab.download``: fetch, verify, unpack and convert the official files of a benchmark."""

from __future__ import annotations

import math
import os
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nasbench_lab.errors import ChecksumMismatchError, ConfigError, DataFileError
from nasbench_lab.official.manifest import Manifest, OfficialFile, load_manifest
from nasbench_lab.official.store import (
    CHECK_LENGTH,
    CHECK_NONE,
    CHECK_SHA256,
    CHECK_SIZE,
    check_file,
    file_path,
    part_path,
    read_stamp,
    write_stamp,
)
from nasbench_lab.official.transfer import MIN_RATE, Transfer, TransferError, fetch
from nasbench_lab.official.unpack import unpack
from nasbench_lab.paths import cached_table_path
from nasbench_lab.paths import data_dir as default_data_dir
from nasbench_lab.registry import Registry

MIRROR_ENV = "NASBENCH_LAB_MIRROR"
#: how ``list`` words each kind of check
STATE_WORDS = {CHECK_SHA256: "verified (sha256)", CHECK_SIZE: "present, size checked (no published checksum)",
               CHECK_LENGTH: "present, transfer complete (no published checksum or size)",
               CHECK_NONE: "present, unchecked (no published checksum or size)"}

#: the manifest's "convert" field -> makes a ready file (or unpacked folder) loadable; returns what to load
PREPARERS: Registry[Callable[[OfficialFile, Path], Path]] = Registry("conversion")


@dataclass(frozen=True)
class FileResult:
    """What ``download`` did for one file."""

    benchmark: str
    name: str
    path: Path
    #: "downloaded", "already verified", "verified in place" or "manual step needed"
    action: str
    #: how the file was checked (see nasbench_lab.official.store), None when it is not there
    check: str | None = None
    sha256: str | None = None
    transfer: Transfer | None = None
    #: the converted table or usable folder, when ``convert`` was asked for
    ready: Path | None = None
    #: what a person has to do, for files that need a manual step
    instructions: str | None = None


@PREPARERS.register("table")
def _convert_table(entry: OfficialFile, source: Path) -> Path:
    from nasbench_lab.api import table_file
    from nasbench_lab.benchmarks.spec import BENCHMARKS

    return table_file(BENCHMARKS.get(entry.benchmark), source)


@PREPARERS.register("folder")
def _usable_folder(entry: OfficialFile, source: Path) -> Path:
    if not source.is_dir():
        raise DataFileError(f"{source} should be a folder after unpacking {entry.name}")
    return source


def check_transfer_settings(mirror: str | None, timeout: float, min_rate: float = MIN_RATE) -> None:
    """Refuses a timeout that is not a positive finite number of seconds, a minimum rate that is not a finite
    number >= 0 and a mirror that is not an http(s) URL (before anything is fetched or written)."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
            or timeout <= 0:
        raise ConfigError(f"--timeout must be a positive finite number of seconds, got {timeout!r}")
    if isinstance(min_rate, bool) or not isinstance(min_rate, (int, float)) or not math.isfinite(min_rate) \
            or min_rate < 0:
        raise ConfigError(f"--min-rate must be a finite number of bytes per second >= 0 (0: no limit), "
                          f"got {min_rate!r}")
    if mirror is not None:
        parts = urllib.parse.urlsplit(mirror)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in mirror):
            raise ConfigError(f"--mirror (or ${MIRROR_ENV}) must be an http:// or https:// base URL such as "
                              f"https://example.org/nasbench, got {mirror!r}")


def download(benchmark: str, files: str | Sequence[str] | None = None, *, convert: bool = False,
             mirror: str | None = None, data_dir: str | os.PathLike | None = None,
             manifest: Manifest | str | os.PathLike | None = None, timeout: float = 60.0, force: bool = False,
             progress: bool = True, min_rate: float = MIN_RATE) -> list[FileResult]:
    """Fetches official files of ``benchmark`` (its default file, the named ``files``, or ``"all"``).

    Each file is streamed to ``<name>.part`` (resumed with an HTTP range request after an
    interruption), checked against the manifest's size and sha256, and only then moved into place.
    A file already verified is not fetched again; ``force`` fetches it again (the old file stays
    until the new one passed its checks). ``mirror`` (or ``$NASBENCH_LAB_MIRROR``) is a base URL
    serving the same file names. ``timeout`` bounds each wait for data, ``min_rate`` (bytes/s averaged
    over each ``timeout`` seconds; 0: none) a trickling server. Files whose host needs a browser come
    back with instructions.
    ``convert`` unpacks archives and converts the file to the HDF5 table that ``load`` reads.
    """
    base = mirror if mirror is not None else (os.environ.get(MIRROR_ENV) or None)
    check_transfer_settings(base, timeout, min_rate)
    man = manifest if isinstance(manifest, Manifest) else load_manifest(manifest)
    bench = man.benchmark(benchmark)
    names = [files] if isinstance(files, str) else list(files or [])
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    return [_download_one(entry, root, base, timeout=timeout, force=force, convert=convert, progress=progress,
                          min_rate=min_rate) for entry in bench.select(names)]


def _download_one(entry: OfficialFile, root: Path, mirror: str | None, *, timeout: float, force: bool,
                  convert: bool, progress: bool, min_rate: float = MIN_RATE) -> FileResult:
    dest = file_path(root, entry)
    if dest.exists() and not force:
        result = _check_in_place(entry, dest)
    else:
        urls = [f"{mirror.rstrip('/')}/{entry.name}"] if mirror else list(entry.urls)
        if not urls:
            return FileResult(entry.benchmark, entry.name, dest, "manual step needed",
                              instructions=manual_instructions(entry, dest))
        result = _fetch_verified(entry, dest, urls, timeout=timeout, progress=progress, min_rate=min_rate)
    if convert:
        result = replace(result, ready=prepare(entry, dest, rebuild=force))
    return result


def _check_in_place(entry: OfficialFile, dest: Path) -> FileResult:
    stamp = read_stamp(dest, entry)
    if stamp is not None:
        return FileResult(entry.benchmark, entry.name, dest, "already verified", stamp.check, stamp.sha256)
    try:
        check, sha256, content = check_file(dest, entry)
    except ChecksumMismatchError as exc:
        raise type(exc)(f"{exc}; left {dest} as it is: delete it or fetch it again with --force") from None
    write_stamp(dest, check, sha256, content)
    return FileResult(entry.benchmark, entry.name, dest, "verified in place", check, sha256)


def _fetch_verified(entry: OfficialFile, dest: Path, urls: list[str], *, timeout: float,
                    progress: bool, min_rate: float = MIN_RATE) -> FileResult:
    part = part_path(dest)
    error: TransferError | None = None
    for url in urls:
        try:
            transfer = fetch(url, part, timeout=timeout, label=entry.name, progress=progress, min_rate=min_rate)
            break
        except TransferError as exc:
            error = exc
    else:
        raise TransferError(f"{error}; alternative: get {entry.name} by hand from {entry.where_to_get} and put it "
                            f"at {dest}, then run the same command to verify it")
    try:
        check, sha256, content = check_file(part, entry, announced_size=transfer.total)
    except ChecksumMismatchError as exc:  # a wrong file, not a stalled transfer: nothing of it is kept
        part.unlink(missing_ok=True)
        _remove_if_empty(part.parent, 1 + bool(entry.folder))
        raise type(exc)(f"{exc} (downloaded from {url}); deleted the partial file {part}, nothing was kept") from None
    os.replace(part, dest)
    write_stamp(dest, check, sha256, content)
    return FileResult(entry.benchmark, entry.name, dest, "downloaded", check, sha256, transfer)


def _remove_if_empty(folder: Path, levels: int) -> None:
    """Removes ``folder`` and up to ``levels - 1`` of its parents while they are empty (the benchmark folder a
    refused download created), so that a refused file leaves nothing behind."""
    for _ in range(levels):
        try:
            folder.rmdir()
        except OSError:  # not empty (or gone): stop
            return
        folder = folder.parent


def source_path(entry: OfficialFile, dest: Path) -> Path:
    """What the loaders read: the unpacked folder of an archive, else the file itself."""
    return dest.with_name(entry.unpacked_name) if entry.unpack else dest


def prepare(entry: OfficialFile, dest: Path, *, rebuild: bool = False) -> Path:
    """Unpacks (archives) and converts a verified file; returns the table or folder that ``load`` reads."""
    if entry.convert is None:
        raise DataFileError(f"{entry.name} has no conversion: {_no_conversion_reason(entry)}")
    source = source_path(entry, dest)
    if entry.unpack and (rebuild or not source.exists()):
        unpack(dest, entry.unpack, source)
    return PREPARERS.get(entry.convert)(entry, source)


def _no_conversion_reason(entry: OfficialFile) -> str:
    if entry.loader == "suite-zero":
        return "read it with nasbench_lab.benchmarks.proxies.load_proxies(path) or `nasbench-lab proxies`"
    if entry.loader is None:
        return "no loader of nasbench_lab reads it"
    return f"it is read as is by the loader {entry.loader}"


def manual_instructions(entry: OfficialFile, dest: Path) -> str:
    """The exact steps for a file whose host needs a browser."""
    host = entry.manual.host if entry.manual else "a host without a direct link"
    flags = f"--file {entry.name}" + (" --convert" if entry.convert else "")
    steps = [f"{entry.name} ({entry.benchmark}) is on {host}, which needs a browser; get it by hand:",
             f"  1. open {entry.where_to_get}",
             f"  2. save the file as {dest}",
             f"  3. run `nasbench-lab download {entry.benchmark} {flags}` to verify it"
             + (" and convert it" if entry.convert else ""),
             f"  or fetch it from a copy of your own: `nasbench-lab download {entry.benchmark} {flags} --mirror "
             f"BASE_URL` (serving BASE_URL/{entry.name}; or set ${MIRROR_ENV})"]
    if entry.loader is None:
        steps.append("  note: no loader of nasbench_lab reads this file")
    return "\n".join(steps)


def file_states(manifest: Manifest | str | os.PathLike | None = None,
                root: str | os.PathLike | None = None) -> list[dict]:
    """Per benchmark, whether each official file is present, verified, and converted (no hashing: fast)."""
    man = manifest if isinstance(manifest, Manifest) else load_manifest(manifest)
    folder = Path(root) if root is not None else default_data_dir()
    out = []
    for name, bench in man.benchmarks.items():
        rows = []
        for entry in bench.files:
            dest = file_path(folder, entry)
            rows.append({"name": entry.name, "path": str(dest), "state": _state(entry, dest),
                         "converted": _converted(entry, dest), "manual": entry.manual is not None,
                         "checksum_published": entry.sha256 is not None})
        out.append({"benchmark": name, "title": bench.title, "data_dir": str(folder), "packaged": bench.packaged,
                    "files": rows})
    return out


def _state(entry: OfficialFile, dest: Path) -> str:
    stamp = read_stamp(dest, entry) if dest.exists() else None
    if stamp is not None:
        return STATE_WORDS.get(stamp.check, stamp.check)
    if dest.exists():
        return "present, not checked yet (run download to check it)"
    part = part_path(dest)
    if part.exists():
        return f"partial ({part.stat().st_size} bytes; download again to resume)"
    return "missing"


def _converted(entry: OfficialFile, dest: Path) -> str | None:
    source = source_path(entry, dest)
    if entry.convert == "table":
        table = cached_table_path(entry.benchmark, source)
        return str(table) if source.exists() and table.exists() else "no"
    if entry.convert == "folder":
        return str(source) if source.is_dir() else "no"
    return None
