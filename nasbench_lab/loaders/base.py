"""Loader: converts one kind of official file into a BenchmarkTable."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from nasbench_lab.tables.table import BenchmarkTable


class Loader(ABC):
    """Recognises and converts one file layout (official tfrecord, pickle, CSV, ...)."""

    #: short name shown in errors and ``nasbench-lab list``
    name: str = ""
    #: what a user should pass, in one phrase
    accepts_description: str = ""

    @abstractmethod
    def accepts(self, path: Path) -> bool:
        """Cheap sniff (name, suffix, first bytes): can this loader read ``path``?"""

    @abstractmethod
    def convert(self, path: Path) -> BenchmarkTable:
        """Reads ``path`` completely into a BenchmarkTable; raises DataFileError on bad content."""

    def source_files(self, path: Path) -> list[Path]:
        """The files (or folders) a conversion of ``path`` reads: the converted table records each one's checksum,
        so a change to any of them, or a file added or removed, converts again. ``path`` itself by default."""
        return [path]

    def read(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        """``convert``, passing the caller's word that a partial table is intended to loaders that check rows."""
        return self.convert(path)


class RowCheckingLoader(Loader):
    """A loader for layouts that can lack rows (flat CSVs): ``convert`` takes the caller's ``allow_partial``."""

    @abstractmethod
    def convert(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        """Reads ``path`` completely; raises DataFileError on bad content or, unless ``allow_partial``, missing rows."""

    def read(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        """``convert`` with the caller's word that a partial table is intended."""
        return self.convert(path, allow_partial=allow_partial)
