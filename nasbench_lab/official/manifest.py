"""The manifest of official data files: where each is published, how to check it, which loader reads it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from nasbench_lab.errors import DataFileError, UnknownNameError

#: the packaged manifest (data/manifest.json at the top of a checkout is an identical copy)
MANIFEST_PATH = Path(__file__).resolve().parents[1] / "data" / "manifest.json"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")


@dataclass(frozen=True)
class ManualStep:
    """A file whose host needs a browser (or similar): where to get it by hand."""

    host: str
    page: str
    source: str


@dataclass(frozen=True)
class OfficialFile:
    """One official file: URLs, what is known to check it, and how nasbench_lab reads it."""

    benchmark: str
    name: str
    description: str
    urls: tuple[str, ...]
    size_bytes: int | None
    approx_size: str | None
    sha256: str | None
    checksum_source: str | None
    manual: ManualStep | None
    page: str | None
    unpack: str | None
    loader: str | None
    convert: str | None
    #: a subfolder of the benchmark's folder the file goes into (``HELP-latency`` for HELP's ``<device>.pt``
    #: files, so that the NB201 data folder finds them); also a name that selects all its files at once
    folder: str | None = None
    #: the file's format for the content check (``tar``, ``pbz2``, ...); None: the one its name's suffix gives
    format: str | None = None

    @property
    def unpacked_name(self) -> str:
        """Folder name an archive unpacks to: its name without the archive suffix."""
        for suffix in ARCHIVE_SUFFIXES:
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name

    @property
    def where_to_get(self) -> str:
        """The page a person opens to fetch the file by hand."""
        if self.manual is not None:
            return self.manual.page
        return self.page or (self.urls[0] if self.urls else "")


@dataclass(frozen=True)
class BenchmarkFiles:
    """The official files of one benchmark."""

    name: str
    title: str
    page: str
    licence: str
    default_file: str | None
    packaged: str | None
    files: tuple[OfficialFile, ...]

    def file(self, name: str) -> OfficialFile:
        for entry in self.files:
            if entry.name == name:
                return entry
        raise UnknownNameError(f"file of benchmark {self.name}", name, [f.name for f in self.files])

    def select(self, names: list[str] | None) -> list[OfficialFile]:
        """The files ``names`` (``["all"]`` for every one), or the default file when ``names`` is empty."""
        if not names:
            return [self.file(self.default_file)] if self.default_file else []
        if names == ["all"]:
            return list(self.files)
        folders = {f.folder for f in self.files if f.folder}
        known = {f.name for f in self.files}
        for name in names:
            if name not in known and name not in folders:
                raise UnknownNameError(f"file of benchmark {self.name}", name,
                                       [*(f.name for f in self.files), *sorted(folders), "all"])
        chosen = [f for n in names for f in ([self.file(n)] if n in known else
                                             [f for f in self.files if f.folder == n])]
        return list(dict.fromkeys(chosen))  # a file named twice (alone and through its folder) is fetched once


@dataclass(frozen=True)
class Manifest:
    """Every benchmark's official files, keyed by benchmark name."""

    benchmarks: dict[str, BenchmarkFiles]
    path: Path

    def benchmark(self, name: str) -> BenchmarkFiles:
        try:
            return self.benchmarks[name]
        except KeyError:
            raise UnknownNameError("benchmark with official files", name, sorted(self.benchmarks)) from None


def plain_name(name: object, what: str) -> str:
    """A benchmark or file name of a manifest: one path component, so that a file is written inside its folder
    (``../../escape.bin`` or ``a/b`` would leave it); raises TypeError/ValueError, reported with the manifest."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, got {name!r}")
    if not name or name in (".", "..") or any(c in name for c in "/\\\x00") or Path(name).is_absolute():
        raise ValueError(f"{what} {name!r} is not a plain file name (accepted: one name without '/', '\\' or "
                         "'..', so the file stays inside its benchmark's folder of --data-dir)")
    return name


def _file(benchmark: str, raw: dict) -> OfficialFile:
    manual = raw.get("manual")
    return OfficialFile(
        benchmark=plain_name(benchmark, "benchmark name"), name=plain_name(raw["name"], "file name"),
        description=raw.get("description", ""),
        urls=tuple(raw.get("urls") or ()), size_bytes=raw.get("size_bytes"), approx_size=raw.get("approx_size"),
        sha256=(raw.get("sha256") or None) and raw["sha256"].lower(), checksum_source=raw.get("checksum_source"),
        manual=ManualStep(manual["host"], manual["page"], manual.get("source", "")) if manual else None,
        page=raw.get("page"), unpack=raw.get("unpack"), loader=raw.get("loader"), convert=raw.get("convert"),
        folder=plain_name(raw["folder"], "folder name") if raw.get("folder") is not None else None,
        format=raw.get("format"),
    )


def load_manifest(path: str | os.PathLike | None = None) -> Manifest:
    """Reads a manifest (the packaged one by default); a clear DataFileError when it is malformed."""
    path = Path(path) if path is not None else MANIFEST_PATH
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        benchmarks = {
            name: BenchmarkFiles(name=name, title=b["title"], page=b["page"], licence=b.get("licence", ""),
                                 default_file=b.get("default_file"), packaged=b.get("packaged"),
                                 files=tuple(_file(name, f) for f in b.get("files", [])))
            for name, b in raw["benchmarks"].items()
        }
    except FileNotFoundError:
        raise DataFileError(f"manifest not found: {path}") from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:  # JSON and name errors
        raise DataFileError(f"{path} is not a valid data manifest ({type(exc).__name__}: {exc})") from None
    return Manifest(benchmarks, path)
