"""HELP's device latencies added to the tables of another NB201 loader, from verified files in a folder it names.

Why: users get NB201 accuracies from PyPI (the ``nb201`` extra) or the official files, and HELP's latency files
from ``nasbench-lab download nb201 --file HELP-latency`` (into ``<data folder>/nb201/HELP-latency/``).
:class:`WithDeviceLatency` wraps such a loader: its tables also get one ``latency_<device>`` metric per device,
added as the NB201 folder adds them (:func:`nb201_folder.add_shared_metrics`), and its ``source_files`` list the
latency files, so a converted table is converted again when they appear, change or go, and its data checksum
covers them. Only files ``nasbench-lab download`` verified (a current stamp, SHA-256 checked) are read: the user
named the accuracy source, not these files; others are left out with a note saying how to verify them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nasbench_lab.errors import DataNote
from nasbench_lab.loaders.base import Loader
from nasbench_lab.loaders.help_latency import INDEX_FILE, UNIT, read_help_folder
from nasbench_lab.loaders.nb201_folder import (
    HELP_FOLDER,
    SharedMetrics,
    add_shared_metrics,
    device_metrics,
    latency_note,
)
from nasbench_lab.tables.checksums import CHECK_SHA256, current_stamp
from nasbench_lab.tables.table import BenchmarkTable

#: the command that fetches HELP's files into the data folder, or verifies copies already there
DOWNLOAD_COMMAND = f"nasbench-lab download nb201 --file {HELP_FOLDER}"


@dataclass(frozen=True)
class LatencyFiles:
    """The HELP files of ``folder`` that may be read (the index and the verified ``<device>.pt``), and the names of
    the ``.pt`` files there that are not verified."""

    folder: Path
    files: tuple[Path, ...]
    devices: tuple[str, ...]
    unverified: tuple[str, ...]


def _verified(path: Path) -> bool:
    stamp = current_stamp(path)
    return stamp is not None and stamp.check == CHECK_SHA256


def latency_files(folder: Path) -> LatencyFiles:
    """The verified HELP files of ``folder/HELP-latency`` (none without a verified ``str_arch2idx.pt``); no hashing:
    a stamp is current while the file keeps the size and mtime it was verified with."""
    help_dir = folder / HELP_FOLDER
    found = sorted(help_dir.glob("*.pt")) if help_dir.is_dir() else []
    verified = [p for p in found if _verified(p)]
    unverified = tuple(p.name for p in found if p not in verified)
    if help_dir / INDEX_FILE not in verified:
        return LatencyFiles(help_dir, (), (), unverified)
    devices = tuple(p.stem for p in verified if p.name != INDEX_FILE)
    return LatencyFiles(help_dir, tuple(verified) if devices else (), devices, unverified)


def _unverified_note(found: LatencyFiles) -> str:
    names = ", ".join(found.unverified[:3]) + (f" and {len(found.unverified) - 3} more" if len(found.unverified) > 3
                                                else "")
    data = found.folder.parent
    how = (f"verify them in place with `{DOWNLOAD_COMMAND} --data-dir {data.parent}` (nothing is fetched again)"
           if data.name == "nb201" else
           f"`{DOWNLOAD_COMMAND}` verifies files in a data folder's nb201/{HELP_FOLDER}/ only")
    return (f"{found.folder}: {len(found.unverified)} HELP latency file(s) not verified by nasbench-lab download "
            f"({names}): left out; {how}")


def add_device_latencies(table: BenchmarkTable, found: LatencyFiles) -> None:
    """Adds the devices of ``found`` to every dataset of ``table`` as ``latency_<device>`` (ms), with a note."""
    note = (latency_note(f"{found.folder}/<device>.pt") + f"; {len(found.devices)} device(s), files verified by "
            f"`{DOWNLOAD_COMMAND}` (SHA-256 pinned in the manifest)")
    shared = SharedMetrics(device_metrics(lambda path: read_help_folder(path, list(found.devices))), UNIT, "latency",
                           note)
    add_shared_metrics(table.datasets, found.folder, shared)


class WithDeviceLatency(Loader):
    """``inner`` with the verified HELP latencies of the folder ``where(path)`` added to its tables."""

    def __init__(self, inner: Loader, where: Callable[[Path], Path], where_text: str):
        self.inner = inner
        self.where = where
        self.name = inner.name
        self.accepts_description = (f"{inner.accepts_description}; with the device latencies of {where_text} "
                                    f"once `{DOWNLOAD_COMMAND}` verified them")

    def accepts(self, path: Path) -> bool:
        return self.inner.accepts(path)

    def source_files(self, path: Path) -> list[Path]:
        found = latency_files(self.where(path))
        if found.unverified:
            warnings.warn(_unverified_note(found), DataNote, stacklevel=3)
        return self.inner.source_files(path) + list(found.files)

    def convert(self, path: Path) -> BenchmarkTable:
        return self.read(path)

    def read(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        table = self.inner.read(path, allow_partial=allow_partial)
        found = latency_files(self.where(path))
        if found.devices:
            add_device_latencies(table, found)
        return table


__all__ = ["DOWNLOAD_COMMAND", "LatencyFiles", "WithDeviceLatency", "add_device_latencies", "latency_files"]
