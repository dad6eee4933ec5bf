"""NASLib's NAS-Bench-201 files ``nb201_<dataset>_full_training.pickle``: one dataset per file.

Layout (read from automl/NASLib ``naslib/utils/get_dataset_api.py`` and
``naslib/search_spaces/nasbench201/graph.py::query``): a pickled dict keyed by the official
architecture string; each value maps the run name (``'cifar10-valid'``, ``'cifar100'`` or
``'ImageNet16-120'``) to a dict of per-epoch lists ``train_acc1es``, ``train_losses``,
``eval_acc1es``, ``eval_losses`` (and ``train_times``/``eval_times``), scalars ``params``, ``flop``,
``latency``, ``epochs`` and ``cost_info`` (``train_time`` per epoch, as NAS-Bench-x11 uses it).
NASLib answers both its validation and its test accuracy from the one ``eval_acc1es`` curve; we keep
that curve as ``valid_acc`` only, so a table converted from these files has no ``test_acc``.

NASLib's own op-index tuples (used as keys by some NASLib files) order ops
``skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3`` and edges
``(1,2),(1,3),(1,4),(2,3),(2,4),(3,4)`` (1-based nodes): positions 2 and 3 are swapped relative to
the official string's edge order. :func:`naslib_to_ops` / :func:`ops_to_naslib` convert.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError, InvalidArchitectureError
from nasbench_lab.loaders.base import Loader
from nasbench_lab.loaders.safe_pickle import DEFAULT_ALLOWED, safe_load
from nasbench_lab.loaders.space_kinds import space_as
from nasbench_lab.spaces.nb201 import NB201Space
from nasbench_lab.spaces.registry import space
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

#: file name -> dataset; NASLib's loader names the ImageNet file ``nb201_ImageNet16_full_training.pickle``
FILE_PATTERN = re.compile(r"^nb201_(cifar10|cifar100|ImageNet16(?:-120)?)_full_training\.pickle$")
_FILE_DATASET = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16": "ImageNet16-120",
                 "ImageNet16-120": "ImageNet16-120"}
#: NASLib's run name -> our dataset (NASLib queries CIFAR-10 from the 'cifar10-valid' runs)
RUN_DATASET = {"cifar10-valid": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "ImageNet16-120"}
#: the files hold only dicts, lists, tuples, numbers and strings (numpy scalars allowed)
ALLOWED = DEFAULT_ALLOWED

#: NASLib op index -> our op code (NASLib: skip, none, conv3x3, conv1x1, pool; ours: none, skip, conv1x1, conv3x3, pool)
NASLIB_TO_OP = np.array([1, 0, 3, 2, 4], dtype=np.int8)
OP_TO_NASLIB = np.argsort(NASLIB_TO_OP).astype(np.int8)
#: NASLib tuple position -> our edge position (NASLib's (1,4) is our 3<-0, its (2,3) our 2<-1)
NASLIB_EDGE_TO_EDGE = np.array([0, 1, 3, 2, 4, 5])
EDGE_TO_NASLIB_EDGE = np.argsort(NASLIB_EDGE_TO_EDGE)

_CURVES = {"valid_acc": "eval_acc1es", "valid_loss": "eval_losses", "train_acc": "train_acc1es",
           "train_loss": "train_losses"}
_UNITS = {"valid_acc": "%", "train_acc": "%", "valid_loss": "loss", "train_loss": "loss", "train_time": "s",
          "params": "M", "flops": "MFLOPs", "latency": "s"}


def naslib_to_ops(indices: object) -> np.ndarray:
    """NASLib op-index tuple(s) (shape (6,) or (n, 6)) -> our op codes in official edge order."""
    arr = np.asarray(indices)
    if arr.shape[-1:] != (6,) or arr.ndim not in (1, 2) or arr.dtype.kind not in "iu":
        raise InvalidArchitectureError(f"nb201: a NASLib op-index tuple is 6 integers, got {indices!r}")
    if arr.size and (arr.min() < 0 or arr.max() > 4):
        raise InvalidArchitectureError(f"nb201: NASLib op indices must be 0..4, got {indices!r}")
    return NASLIB_TO_OP[arr][..., EDGE_TO_NASLIB_EDGE]


def ops_to_naslib(archs: object) -> np.ndarray:
    """Our op codes (shape (6,) or (n, 6)) -> NASLib op-index tuple(s)."""
    batch, single = space("nb201").as_batch(archs)
    out = OP_TO_NASLIB[batch.astype(np.int64)][:, NASLIB_EDGE_TO_EDGE]
    return out[0] if single else out


def dataset_of_file(path: Path) -> str | None:
    """Our dataset name for a NASLib file name, or None when the name is not one of NASLib's."""
    match = FILE_PATTERN.match(path.name)
    return _FILE_DATASET[match.group(1)] if match else None


class NaslibNb201Loader(Loader):
    """NASLib ``nb201_*_full_training.pickle``: one file (its dataset) or a folder holding several."""

    name = "naslib-nb201"
    accepts_description = ("NASLib's nb201_{cifar10,cifar100,ImageNet16}_full_training.pickle, or a folder "
                           "holding one or more of them (each file adds its dataset)")

    def accepts(self, path: Path) -> bool:
        if path.is_dir():
            return bool(_files(path))
        return path.is_file() and dataset_of_file(path) is not None

    def convert(self, path: Path) -> BenchmarkTable:
        files = _files(path) if path.is_dir() else [path]
        nb201 = space_as("nb201", NB201Space)
        out: dict[str, DatasetTable] = {}
        for file in files:
            data = safe_load(file, ALLOWED)
            for ds, table in _convert_file(file, data, nb201).items():
                if ds in out:
                    raise DataFileError(f"{path}: two files hold dataset {ds}; keep one of them")
                out[ds] = table
        return BenchmarkTable(benchmark="nb201", datasets=out)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and dataset_of_file(p) is not None)


def _index_of_key(key: object, nb201: NB201Space) -> int:
    if isinstance(key, str):
        return int(nb201.index(nb201.from_string(key)))
    if isinstance(key, (tuple, list)):
        return int(nb201.index(naslib_to_ops(np.asarray(key, dtype=np.int64))))
    raise InvalidArchitectureError(f"nb201: a NASLib key is an architecture string or op-index tuple, got {key!r}")


def _convert_file(file: Path, data: object, nb201: NB201Space) -> dict[str, DatasetTable]:
    if not isinstance(data, dict) or not data:
        raise DataFileError(f"{file}: expected a non-empty dict keyed by architecture, got {type(data).__name__}")
    rows: dict[str, dict[str, dict[int, np.ndarray]]] = {}  # dataset -> metric -> index -> values
    for key, entry in data.items():
        try:
            index = _index_of_key(key, nb201)
        except InvalidArchitectureError as exc:
            raise DataFileError(f"{file}: bad architecture key: {exc}") from None
        if not isinstance(entry, dict):
            raise DataFileError(f"{file}: entry of {key!r} should be a dict keyed by run name, got "
                                f"{type(entry).__name__}")
        for run, record in entry.items():
            ds = RUN_DATASET.get(run)
            if ds is None:
                raise DataFileError(f"{file}: unknown run {run!r} for {key!r}; accepted: {', '.join(RUN_DATASET)}")
            try:
                metrics = _record_metrics(record)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise DataFileError(f"{file}: unexpected record layout for {key!r}/{run} "
                                    f"({type(exc).__name__}: {exc})") from None
            per_ds = rows.setdefault(ds, {})
            for metric, values in metrics.items():
                per_ds.setdefault(metric, {})[index] = values
    expected = dataset_of_file(file)
    if expected is not None and set(rows) - {expected}:
        raise DataFileError(f"{file}: the name says {expected} but the file holds runs of {sorted(rows)}")
    return {ds: _dataset_table(ds, metrics, nb201.size) for ds, metrics in rows.items()}


def _record_metrics(record: dict) -> dict[str, np.ndarray]:
    """Per-epoch curves (1-D) and scalars (0-d) of one NASLib record."""
    out: dict[str, np.ndarray] = {}
    for metric, field in _CURVES.items():
        if record.get(field) is not None:
            out[metric] = _floats(record[field])
    cost = record.get("cost_info") or {}
    if record.get("train_times") is not None:
        out["train_time"] = np.cumsum(_floats(record["train_times"]))
    elif cost.get("train_time"):  # seconds per epoch
        epochs = max((len(v) for v in out.values()), default=0)
        out["train_time"] = float(cost["train_time"]) * np.arange(1, epochs + 1, dtype=np.float64)
    for metric, keys in (("params", ("params",)), ("flops", ("flop", "flops")), ("latency", ("latency",))):
        value = next((src[k] for src in (record, cost) for k in keys if src.get(k) is not None), None)
        if isinstance(value, (list, tuple)):
            value = float(np.mean(value)) if value else None
        if value is not None and not (metric == "latency" and float(value) <= 0):
            out[metric] = np.asarray(float(value))
    return out


def _floats(values: object) -> np.ndarray:
    if isinstance(values, dict):
        values = [values[k] for k in sorted(values)]
    if not isinstance(values, (list, tuple, np.ndarray)):
        raise TypeError(f"a per-epoch curve should be a list, got {type(values).__name__}")
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _dataset_table(ds: str, metrics: dict[str, dict[int, np.ndarray]], n: int) -> DatasetTable:
    n_epochs = max((len(v) for m in metrics.values() for v in m.values() if v.ndim == 1), default=1)
    fidelities = tuple(range(1, n_epochs + 1))
    tables = {}
    for metric, by_index in metrics.items():
        values = np.full((n, 1, n_epochs), np.nan, dtype=np.float32)
        for index, v in by_index.items():
            if v.ndim == 0:
                values[index, 0, :] = v
            else:
                values[index, 0, : len(v)] = v
        tables[metric] = MetricTable(values, per_seed=False, unit=_UNITS.get(metric, ""),
                                     source=f"NASLib {_CURVES.get(metric, metric)}")
    return DatasetTable(name=ds, space="nb201", fidelities=fidelities, metrics=tables, notes={
        "source": "NASLib nb201_*_full_training.pickle: one value per epoch, as given by the file (NASLib "
                  "does not say which seeds it averaged, so no per-seed values)",
        "naslib_eval": "NASLib's single eval_acc1es curve is kept as valid_acc only; NASLib also answers "
                       "test accuracy from it, so these files give no separate test_acc",
        "fidelities": f"epochs 1..{n_epochs} of the one schedule in the file",
    })


__all__ = ["ALLOWED", "FILE_PATTERN", "RUN_DATASET", "NaslibNb201Loader", "dataset_of_file", "naslib_to_ops",
           "ops_to_naslib"]
