"""Reader of NAS-Bench-Graph's official files (the benchmark is :mod:`nasbench_lab.benchmarks.nbgraph`).

Two official layouts are read (restricted unpickler, numpy scalar/dtype globals only):

* light tables ``{dataset}.bench`` shipped inside the ``nas-bench-graph`` package (the default):
  ``{hash: {'valid_perf', 'perf', 'latency', 'para'}}``, one final value per architecture,
  stored at fidelity :data:`FINAL_FIDELITY` with no seed axis;
* the full per-seed files ``{dataset}{0,1,2}.bench`` from figshare:
  ``{hash: {'dur': [[train, valid, test, train_loss, valid_loss, test_loss, best], ...per epoch]}}``,
  stored with a seed axis and fidelities 1..E (fidelity ``f`` is ``dur[f - 1]``).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError, InvalidArchitectureError
from nasbench_lab.loaders.base import Loader
from nasbench_lab.loaders.safe_pickle import safe_load
from nasbench_lab.loaders.space_kinds import space_as
from nasbench_lab.spaces.nbgraph import ALL_SKIP_HASH, NBGraphSpace
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv", "proteins")
DEFAULT_DATASET = "cora"
#: fidelity label of the light tables' single final result: a label, not an epoch count (the light
#: files do not record the schedule), and never confused with the full files' epochs, which start at 1
FINAL_FIDELITY = 0
#: the light and full pickles reference only these globals (numpy scalars such as 'para')
ALLOWED_GLOBALS = frozenset({
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
})
_FILE_RE = re.compile(rf"^({'|'.join(DATASETS)})(\d?)\.bench$")
#: columns of one 'dur' epoch row -> (metric, is an accuracy/performance fraction)
DUR_COLUMNS = (
    ("train_acc", True), ("valid_acc", True), ("test_acc", True),
    ("train_loss", False), ("valid_loss", False), ("test_loss", False),
    ("best_test_acc", True),
)
_LIGHT_KEYS = ("valid_perf", "perf", "latency", "para")


def space_name(dataset: str) -> str:
    """Search space of a dataset: proteins was evaluated with its own 5-op set."""
    return "nbgraph-proteins" if dataset == "proteins" else "nbgraph"


def embedded_light_dir() -> Path | None:
    """The ``light/`` folder of the installed nas-bench-graph package (found without importing it)."""
    spec = importlib.util.find_spec("nas_bench_graph")
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "light"
        if folder.is_dir():
            return folder
    return None


def bench_files(path: Path) -> dict[str, dict[str, Path]]:
    """Official files under ``path`` (a folder or one file): dataset -> {'' light | seed digit: file}."""
    candidates = [path] if path.is_file() else sorted(path.iterdir()) if path.is_dir() else []
    out: dict[str, dict[str, Path]] = {}
    for file in candidates:
        match = _FILE_RE.match(file.name)
        if match and file.is_file():
            out.setdefault(match.group(1), {})[match.group(2)] = file
    return out


# ------------------------------------------------------------------------------ reading pickles
def _load_dict(path: Path) -> dict:
    data = safe_load(path, ALLOWED_GLOBALS)
    if not isinstance(data, dict) or not data:
        raise DataFileError(f"{path}: expected a non-empty dict {{official hash: record}}, got {type(data).__name__}")
    return data


def _rows(data: dict, path: Path, space: NBGraphSpace) -> tuple[np.ndarray, list]:
    """(official indices, records) of a table, leaving out the all-skip architecture if present."""
    keys, records = [], []
    for key, record in data.items():
        if not isinstance(key, (int, np.integer)) or isinstance(key, bool):
            raise DataFileError(f"{path}: keys must be official integer hashes, got {key!r}")
        if int(key) == ALL_SKIP_HASH:
            continue  # the all-skip network, outside the space (the package lists 26,206 without it)
        if not isinstance(record, dict):
            raise DataFileError(f"{path}: record of hash {key} is a {type(record).__name__}, expected a dict")
        keys.append(int(key))
        records.append(record)
    try:
        idx = space.indices_of_hashes(np.asarray(keys, dtype=np.int64))
    except InvalidArchitectureError as exc:
        raise DataFileError(f"{path}: {exc}") from None
    return idx, records


def _field(records: list, key: str, path: Path) -> np.ndarray:
    try:
        return np.asarray([r[key] for r in records], dtype=np.float64)
    except KeyError:
        raise DataFileError(f"{path}: a record lacks {key!r}; light records hold {', '.join(_LIGHT_KEYS)}") from None
    except (TypeError, ValueError) as exc:
        raise DataFileError(f"{path}: field {key!r} holds a non-number ({exc})") from None


def _units(dataset: str) -> str:
    return "% (ROC-AUC x 100)" if dataset == "proteins" else "%"


def read_light(path: Path, dataset: str) -> DatasetTable:
    """One light table: percent valid/test performance, latency (s), params (M), at FINAL_FIDELITY."""
    space = space_as(space_name(dataset), NBGraphSpace)
    idx, records = _rows(_load_dict(path), path, space)
    n = space.size

    def column(values: np.ndarray, scale: float, unit: str, source: str) -> MetricTable:
        out = np.full((n, 1, 1), np.nan, dtype=np.float32)
        out[idx, 0, 0] = values * scale
        return MetricTable(out, per_seed=False, unit=unit, source=f"{path.name}: {source}")

    perf_unit = _units(dataset)
    metrics = {
        "valid_acc": column(_field(records, "valid_perf", path), 100.0, perf_unit, "valid_perf x 100"),
        "test_acc": column(_field(records, "perf", path), 100.0, perf_unit, "perf x 100"),
        "latency": column(_field(records, "latency", path), 1.0, "s", "latency"),
        "params": column(_field(records, "para", path), 1.0, "M", "para"),
    }
    return DatasetTable(dataset, space.name, (FINAL_FIDELITY,), metrics, notes=dict(LIGHT_NOTES))


def read_full(seed_files: dict[int, Path], dataset: str, light: Path | None = None) -> DatasetTable:
    """Per-seed per-epoch files: seeds axis, fidelities 1..E; latency/params from the records or ``light``."""
    space = space_as(space_name(dataset), NBGraphSpace)
    seeds = sorted(seed_files)
    parsed = []
    for s in seeds:
        path = seed_files[s]
        idx, records = _rows(_load_dict(path), path, space)
        parsed.append((path, idx, records, [_dur(r, path) for r in records]))
    n_epochs = max(d.shape[0] for _, _, _, durs in parsed for d in durs)
    values = np.full((len(DUR_COLUMNS), space.size, len(seeds), n_epochs), np.nan, dtype=np.float32)
    for si, (_, idx, _, durs) in enumerate(parsed):
        for i, d in zip(idx, durs):
            values[:, i, si, : d.shape[0]] = d.T
    metrics: dict[str, MetricTable] = {}
    names = ", ".join(str(seed_files[s].name) for s in seeds)
    for col, (metric, is_perf) in enumerate(DUR_COLUMNS):
        v = values[col]
        scale = 100.0 if is_perf and np.nanmax(np.abs(v), initial=0.0) <= 1.0 else 1.0
        unit = _units(dataset) if is_perf else "loss"
        metrics[metric] = MetricTable(v * scale, per_seed=True, unit=unit,
                                      source=f"{names}: dur[epoch - 1][{col}]" + (" x 100" if scale != 1 else ""))
    for metric, key, unit in (("latency", "latency", "s"), ("params", "para", "M")):
        table = _final_only(parsed, key, space.size, n_epochs, unit)
        if table is None and light is not None:
            lt = read_light(light, dataset).metrics[metric]
            table = MetricTable(np.full((space.size, 1, n_epochs), np.nan, dtype=np.float32), per_seed=False,
                                unit=unit, source=lt.source)
            table.values[:, 0, -1] = lt.values[:, 0, 0]
        if table is not None:
            metrics[metric] = table
    notes = {"fidelity": f"fidelity f = epochs trained: the values of dur[f - 1], f = 1..{n_epochs}",
             "seeds": f"{len(seeds)} seed files ({names}); seed index i is the i-th of them"}
    return DatasetTable(dataset, space.name, tuple(range(1, n_epochs + 1)), metrics, notes=notes)


def _dur(record: dict, path: Path) -> np.ndarray:
    try:
        d = np.asarray(record["dur"], dtype=np.float64)
    except KeyError:
        raise DataFileError(f"{path}: a record lacks 'dur' (per-epoch metrics of the full files)") from None
    except (TypeError, ValueError) as exc:
        raise DataFileError(f"{path}: 'dur' is not a list of equal-length number rows ({exc})") from None
    if d.ndim != 2 or d.shape[1] != len(DUR_COLUMNS) or d.shape[0] == 0:
        raise DataFileError(f"{path}: 'dur' has shape {d.shape}; expected (epochs, {len(DUR_COLUMNS)}) rows of "
                            "[train, valid, test, train_loss, valid_loss, test_loss, best]")
    return d


def _final_only(parsed: list, key: str, n: int, n_epochs: int, unit: str) -> MetricTable | None:
    """A per-seed metric given once per record, placed at the last fidelity; None if records lack it."""
    if not all(key in r for _, _, records, _ in parsed for r in records):
        return None
    out = np.full((n, len(parsed), n_epochs), np.nan, dtype=np.float32)
    for si, (path, idx, records, _) in enumerate(parsed):
        out[idx, si, -1] = _field(records, key, path)
    return MetricTable(out, per_seed=True, unit=unit, source=f"records' {key!r}")


class NBGraphLoader(Loader):
    """A folder (or one file) of official NAS-Bench-Graph ``.bench`` pickles, light or per-seed."""

    name = "nbgraph-bench"
    accepts_description = ("a folder holding {dataset}.bench light tables (e.g. the package's light/) or the full "
                           "per-seed {dataset}0.bench..{dataset}2.bench files, or one such file")

    def accepts(self, path: Path) -> bool:
        return bool(bench_files(path))

    def convert(self, path: Path) -> BenchmarkTable:
        found = bench_files(path)
        if not found:
            raise DataFileError(f"{path}: no NAS-Bench-Graph files; expected {self.accepts_description}")
        tables: dict[str, DatasetTable] = {}
        for dataset in (d for d in DATASETS if d in found):
            files = found[dataset]
            seeds = {int(s): p for s, p in files.items() if s}
            tables[dataset] = read_full(seeds, dataset, files.get("")) if seeds else read_light(files[""], dataset)
        light = all(t.fidelities == (FINAL_FIDELITY,) for t in tables.values())
        layout = "light" if light else "full per-seed" if all(FINAL_FIDELITY not in t.fidelities
                                                               for t in tables.values()) else "mixed"
        return BenchmarkTable(benchmark="nbgraph", datasets=tables, attrs={"layout": layout})


#: layout-specific notes, stored in the converted table (the spec's notes above are layout-independent)
LIGHT_NOTES = {
    "fidelity": f"the light tables give one final result per architecture, stored at fidelity {FINAL_FIDELITY}: a "
                "label, not an epoch count (the light files do not record the schedule); the full per-seed "
                "files give epochs 1..E",
    "seeds": "light values are means over the three training seeds (their granularity is 1/3 of the split's), "
             "so every seed choice returns that mean",
}
