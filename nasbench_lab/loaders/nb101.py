"""Loaders of NAS-Bench-101 files: the official tfrecord, NASLib's pickle, a records JSON and flat CSVs
(the benchmark is :mod:`nasbench_lab.benchmarks.nb101`)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError
from nasbench_lab.loaders.base import Loader, RowCheckingLoader
from nasbench_lab.loaders.flat_csv import ColumnSpec, percent_range, read_flat_csv
from nasbench_lab.loaders.nb101_records import (
    DATASET,
    METRIC_OF_FIELD,
    NOTES,
    Runs,
    read_naslib_pickle,
    read_official_tfrecord,
    read_records_json,
    runs_to_table,
)
from nasbench_lab.loaders.space_kinds import enumerable_space
from nasbench_lab.loaders.tfrecord import looks_like_tfrecord
from nasbench_lab.spaces.registry import space
from nasbench_lab.tables.table import BenchmarkTable

#: budget assumed for published columns without an epoch prefix (e.g. ``final_training_time``)
DEFAULT_EPOCHS = 108
_OFFICIAL_COLUMN = re.compile(r"^(?:(\d+)_)?((?:final|halfway)_(?:training_time|train_accuracy|validation_accuracy|"
                              r"test_accuracy))$")


def official_column(name: str) -> str:
    """Generic flat-CSV name of a column named with the official keys, else the name unchanged.

    ``108_final_validation_accuracy`` -> ``cifar10_valid_acc_108ep``; ``final_training_time`` ->
    ``cifar10_train_time_108ep_s``; ``trainable_parameters`` -> ``cifar10_params``.
    """
    if name == "trainable_parameters":
        return f"{DATASET}_params"
    match = _OFFICIAL_COLUMN.match(name)
    if not match:
        return name
    epochs = int(match.group(1) or DEFAULT_EPOCHS)
    metric, _ = METRIC_OF_FIELD[match.group(2)]
    unit = "_s" if metric.startswith("train_time") else ""
    return f"{DATASET}_{metric}_{epochs}ep{unit}"


def csv_mapper(col: ColumnSpec) -> tuple[str, str] | None:
    return (col.dataset, col.metric) if col.dataset == DATASET else None


class NB101CsvLoader(RowCheckingLoader):
    """Flat CSV keyed by ``nb101_hash`` (or ``index``/``arch_str``), generic or official column names."""

    name = "nb101-csv"
    accepts_description = ("a flat CSV keyed by nb101_hash with columns like 108_final_validation_accuracy "
                           "(fractions), final_training_time, trainable_parameters, or our export layout")

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".csv"

    def convert(self, path: Path, *, allow_partial: bool = False) -> BenchmarkTable:
        try:
            with open(path, newline="") as handle:
                header = next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise DataFileError(f"{path}: not a readable CSV file: {exc}") from None
        official = {official_column(c) for c in header if official_column(c) != c}

        def value_range(metric: str, col: ColumnSpec) -> tuple[float, float] | None:
            """Official accuracy columns are fractions; ours are percentages."""
            return (0.0, 1.0) if col.column in official and "_acc" in metric else percent_range(metric, col)

        tables = read_flat_csv(path, enumerable_space("nb101"), csv_mapper, rename=official_column,
                               allow_partial=allow_partial, value_range=value_range)
        if DATASET not in tables:
            raise DataFileError(f"{path}: no {DATASET} metric columns")
        table = tables[DATASET]
        for metric, mt in table.metrics.items():
            if not set(mt.source.split(",")) & official:
                continue
            if metric == "params":
                mt.values /= np.float32(1e6)
                mt.unit, mt.source = "M", "trainable_parameters / 1e6"
            elif "_acc" in metric:
                mt.values *= np.float32(100.0)
                mt.unit, mt.source = "%", f"{mt.source} (fractions x100)"
            elif metric.startswith("train_time"):
                mt.unit = "s"
        table.notes = {**NOTES, "partial": "cells absent from the file query as NaN; "
                                           "Benchmark.indices_with_data() lists the cells that have values",
                       "seeds": "one value per cell and budget (whether a repeat or a mean of repeats is not "
                                "stated by such files); every seed choice returns it"}
        if official and any(c.startswith("final_") or c.startswith("halfway_") for c in header):
            table.notes["budget"] = (f"columns without an epoch prefix (e.g. final_training_time) are taken "
                                     f"as the {DEFAULT_EPOCHS}-epoch budget")
        return BenchmarkTable(benchmark="nb101", datasets={DATASET: table})


class NB101RecordsLoader(Loader):
    """A file of NB101 records (each cell's fixed statistics and runs), read by ``read_runs`` and converted
    the one way every such format is."""

    def read_runs(self, path: Path) -> Runs:
        raise NotImplementedError

    def convert(self, path: Path) -> BenchmarkTable:
        return runs_to_table(str(path), self.read_runs(path), space("nb101"))


class NB101TFRecordLoader(NB101RecordsLoader):
    """The official ``nasbench_only108.tfrecord`` / ``nasbench_full.tfrecord``, read without TensorFlow."""

    name = "nb101-tfrecord"
    accepts_description = "the official nasbench_only108.tfrecord or nasbench_full.tfrecord"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and (path.suffix.lower() == ".tfrecord" or looks_like_tfrecord(path))

    def read_runs(self, path: Path) -> Runs:
        return read_official_tfrecord(path)


class NASLibPickleLoader(NB101RecordsLoader):
    """NASLib's ``nasbench_only108.pkl`` (hash -> (fixed_stats, computed_stats)), unpickled safely."""

    name = "nb101-naslib-pickle"
    accepts_description = "NASLib's nasbench_only108.pkl"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in (".pkl", ".pickle")

    def read_runs(self, path: Path) -> Runs:
        return read_naslib_pickle(path)


class RecordsJsonLoader(NB101RecordsLoader):
    """JSON {hash: {module_adjacency, module_operations, trainable_parameters, computed_stats}}."""

    name = "nb101-records-json"
    accepts_description = "a records JSON keyed by hash (the official fixed and computed statistics)"

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".json"

    def read_runs(self, path: Path) -> Runs:
        return read_records_json(path)
