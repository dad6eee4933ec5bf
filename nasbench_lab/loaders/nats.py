"""The official NATS-Bench topology files (``NATS-tss-v1_0-3ffb9-simple``): per-epoch curves, all seeds.

Layout (read from D-X-Y/NATS-Bench ``nats_bench/api_utils.py``/``api_topology.py`` and
D-X-Y/AutoDL-Projects ``exps/NATS-Bench/tss-collect.py``): a folder with ``meta.pickle.pbz2``
(``{'meta_archs': [15625 strings], 'total_archs', 'arch2infos': None, 'evaluated_indexes'}``) and one
bz2-compressed pickle ``{index:06d}.pickle.pbz2`` per cell holding ``{'12': state, '200': state}``, one
``ArchResults`` state dict per training schedule. Its ``all_results[(run, seed)]`` are ``ResultsCount``
state dicts: ``train_acc1es``/``train_losses``/``train_times`` keyed by epoch (0-based),
``eval_acc1es``/``eval_losses`` keyed ``'<set>@<epoch>'``, ``params`` (M), ``flop`` (M), ``latency``
(list of seconds), ``epochs``. The single-file form ``NATS-tss-v1_0-3ffb9.pickle.pbz2`` holds the same
per-cell dicts under ``arch2infos`` and is accepted too.

Fidelities are epochs: 1..200 from the 200-epoch schedule (``hp='200'``), except that fidelity 12 is
the final epoch of the separate 12-epoch schedule (``hp='12'``, the official low fidelity, whose
learning rate reaches zero at epoch 12); the 200-epoch curve's own 12th epoch is therefore not kept.
"""

from __future__ import annotations

import bz2
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np
from tqdm import tqdm

from nasbench_lab.errors import DataFileError, UnsafePickleError
from nasbench_lab.loaders.base import Loader
from nasbench_lab.loaders.safe_pickle import DEFAULT_ALLOWED, safe_loads
from nasbench_lab.loaders.space_kinds import space_as
from nasbench_lab.spaces.nb201 import NB201Space
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

META_FILE = "meta.pickle.pbz2"
_ARCH_FILE = re.compile(r"^(\d+)\.pickle\.pbz2$")
_SINGLE_FILE = re.compile(r"^NATS-tss-v\d+_\d+-[0-9a-f]+\.pickle\.pbz2$")
#: the files hold only dicts, lists, tuples, sets, numbers, strings and OrderedDicts
ALLOWED = DEFAULT_ALLOWED
#: the schedule whose per-epoch curve fills fidelities 1..N, and the short schedules kept as one point each
CURVE_HP = "200"
POINT_HPS = {"12": 12}


@dataclass(frozen=True)
class Source:
    """Where one of our metrics comes from: official run name, evaluation set, and quantity."""

    run: str  # 'cifar10-valid', 'cifar10', 'cifar100', 'ImageNet16-120'
    split: str  # 'train', 'x-valid', 'x-test', 'ori-test'
    quantity: str  # 'acc', 'loss', 'time' (cumulative training seconds), 'params', 'flops', 'latency'


def _sources(run: str, valid_run: str, sets: dict[str, str]) -> dict[str, Source]:
    out = {"train_acc": Source(run, "train", "acc"), "train_loss": Source(run, "train", "loss"),
           "train_time": Source(run, "train", "time"), "params": Source(run, "train", "params"),
           "flops": Source(run, "train", "flops"), "latency": Source(run, "train", "latency")}
    for prefix, split in sets.items():
        src_run = valid_run if prefix == "valid" else run
        out[f"{prefix}_acc"] = Source(src_run, split, "acc")
        if prefix != "valtest":  # nobody needs the loss on both halves of the test set; it costs 40 MB
            out[f"{prefix}_loss"] = Source(src_run, split, "loss")
    return out


#: our dataset -> our metric -> official source; the split semantics of ``benchmarks/nb201.py``:
#: CIFAR-10 searches on the 'cifar10-valid' runs' x-valid split and reports the 'cifar10' runs' test set.
METRIC_SOURCES: dict[str, dict[str, Source]] = {
    "cifar10": _sources("cifar10", "cifar10-valid", {"valid": "x-valid", "test": "ori-test"}),
    "cifar100": _sources("cifar100", "cifar100", {"valid": "x-valid", "test": "x-test", "valtest": "ori-test"}),
    "ImageNet16-120": _sources("ImageNet16-120", "ImageNet16-120",
                               {"valid": "x-valid", "test": "x-test", "valtest": "ori-test"}),
}
_UNITS = {"acc": "%", "loss": "loss", "time": "s", "params": "M", "flops": "MFLOPs", "latency": "s"}
_CONSTANT = ("params", "flops", "latency")
#: official run -> [(our dataset, our metric, source)] for every metric that run feeds
_BY_RUN: dict[str, list[tuple[str, str, Source]]] = {}
for _ds, _metrics in METRIC_SOURCES.items():
    for _metric, _src in _metrics.items():
        _BY_RUN.setdefault(_src.run, []).append((_ds, _metric, _src))
#: NAS-Bench-201 trained with seeds 777, 888, 999: the seed axis starts with room for three
_SEED_CAPACITY = 3
#: metrics the official files give the same value for every seed (tss-collect.py resets the training
#: times of all seeds to one pseudo time per epoch): stored once, not per seed
_SAME_FOR_ALL_SEEDS = ("train_time",)


def read_pbz2(path: Path, allowed=ALLOWED) -> object:
    """Decompresses and safely unpickles one ``.pickle.pbz2`` file."""
    try:
        raw = bz2.decompress(path.read_bytes())
    except FileNotFoundError:
        raise DataFileError(f"file not found: {path}") from None
    except (OSError, EOFError, ValueError) as exc:
        raise DataFileError(f"{path}: truncated or corrupted bz2 data ({exc})") from None
    try:
        return safe_loads(raw, allowed, source=str(path))
    except UnsafePickleError as exc:
        if "torch" in str(exc):  # the '-full' archive stores trained weights as torch tensors
            raise UnsafePickleError(f"{exc}. Use the '-simple' NATS-Bench archive: the '-full' one also "
                                    "stores network weights, which need torch to unpickle") from None
        raise


class NatsTopologyLoader(Loader):
    """Official NATS-Bench topology archive (folder ``NATS-tss-v1_0-3ffb9-simple`` or the single file)."""

    name = "nats-tss"
    accepts_description = ("the NATS-tss-v1_0-3ffb9-simple folder (meta.pickle.pbz2 + one <index>.pickle.pbz2 "
                           "per cell) or the single file NATS-tss-v1_0-3ffb9.pickle.pbz2")

    def accepts(self, path: Path) -> bool:
        if path.is_dir():
            return (path / META_FILE).is_file()
        return path.is_file() and bool(_SINGLE_FILE.match(path.name))

    def convert(self, path: Path) -> BenchmarkTable:
        nb201 = space_as("nb201", NB201Space)
        strings = [nb201.to_string(a) for a in nb201.all()]
        cells: Iterable[tuple[int, list[Row]]]
        if path.is_dir():
            _check_meta(read_pbz2(path / META_FILE), path / META_FILE, strings)
            jobs = [(index, str(file), strings[_check_index(index, file, nb201.size)])
                    for index, file in sorted(_arch_files(path))]
            _no_duplicates([index for index, _, _ in jobs], path)
            n_cells = len(jobs)
            cells = map(_read_cell, jobs)
        else:
            whole = _check_meta(read_pbz2(path), path, strings)
            infos = whole.get("arch2infos")
            if not isinstance(infos, dict):
                raise DataFileError(f"{path}: 'arch2infos' should be a dict of cells, got {type(infos).__name__}")
            records = [(_check_index(i, f"{path}[arch2infos]", nb201.size), rec) for i, rec in infos.items()]
            _no_duplicates([index for index, _ in records], path)
            n_cells = len(records)
            cells = ((i, extract_cell(i, rec, f"{path}[arch2infos][{i}]", strings[i])) for i, rec in records)
        builder = _Builder(nb201.size)
        for index, rows in tqdm(cells, total=n_cells, desc="NATS-Bench cells", unit="cell", disable=None,
                                leave=False):
            builder.place(index, rows)
        return BenchmarkTable(benchmark="nb201", datasets=builder.tables(), attrs={"seeds": builder.seed_note()})


def _check_meta(meta: object, where: Path, strings: list[str]) -> dict:
    """``meta`` once checked to be a NATS-Bench meta record listing the official NB201 cells in order."""
    if not isinstance(meta, dict) or "meta_archs" not in meta:
        raise DataFileError(f"{where}: not a NATS-Bench meta record (a dict with 'meta_archs' expected)")
    archs = meta["meta_archs"]
    if not isinstance(archs, list) or len(archs) != len(strings):
        raise DataFileError(f"{where}: 'meta_archs' should list {len(strings)} architecture strings "
                            f"(the topology space), got {len(archs) if isinstance(archs, list) else type(archs)}")
    if archs != strings:
        bad = next(i for i, (a, b) in enumerate(zip(archs, strings)) if a != b)
        raise DataFileError(f"{where}: meta_archs[{bad}] is {archs[bad]!r} but the official NB201 order has "
                            f"{strings[bad]!r}; is this the topology (tss) archive?")
    return meta


def _check_index(index: object, where: object, size: int) -> int:
    if not isinstance(index, (int, np.integer)) or not 0 <= int(index) < size:
        raise DataFileError(f"{where}: cell index {index!r} out of range; accepted: 0 to {size - 1}")
    return int(index)


def _no_duplicates(indices: list[int], where: Path) -> None:
    if len(set(indices)) != len(indices):
        dup = next(i for i, n in Counter(indices).items() if n > 1)
        raise DataFileError(f"{where}: cell {dup} appears twice (e.g. as {dup:06d}.pickle.pbz2 and {dup}.pickle.pbz2)")


def _arch_files(folder: Path) -> Iterator[tuple[int, Path]]:
    with os.scandir(folder) as entries:
        for entry in entries:
            match = _ARCH_FILE.match(entry.name)
            if match:
                yield int(match.group(1)), Path(entry.path)


#: one value extracted from a cell: (our dataset, our metric, seed or None for a constant, hp, values)
Row = tuple[str, str, "int | None", str, "np.ndarray | float"]


def _read_cell(job: tuple[int, str, str]) -> tuple[int, list[Row]]:
    """Reads and extracts one per-cell file (a pure function of the file, so it could run in a process pool)."""
    index, file, expected = job
    return index, extract_cell(index, read_pbz2(Path(file)), file, expected)


def extract_cell(index: int, record: object, where: str, expected: str) -> list[Row]:
    """Every value of one cell's ``{'12': ..., '200': ...}`` record, named by our dataset and metric."""
    if not isinstance(record, dict):
        raise DataFileError(f"{where}: expected a dict of training schedules ('12', '200'), "
                            f"got {type(record).__name__}")
    rows: list[Row] = []
    try:
        for hp, state in record.items():
            hp = str(hp)
            if hp != CURVE_HP and hp not in POINT_HPS:
                continue
            arch_str = state.get("arch_str")
            if arch_str is not None and arch_str != expected:
                raise DataFileError(f"{where}: cell {index} is {arch_str!r}, which is not the official cell at "
                                    f"that index ({expected!r})")
            for (run, seed), rc in state["all_results"].items():
                for ds, metric, src in _BY_RUN.get(run, ()):
                    if src.quantity in _CONSTANT:
                        value = _constant(rc, src.quantity)
                        if value is not None:  # the same in every schedule and seed: averaged
                            rows.append((ds, metric, None, hp, value))
                        continue
                    series = _series(rc, src)
                    if series is not None:
                        rows.append((ds, metric, int(seed), hp, series))
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as exc:
        raise DataFileError(f"{where}: unexpected NATS-Bench record layout ({type(exc).__name__}: {exc})") from None
    return rows


def _constant(rc: dict, quantity: str) -> float | None:
    value: Any  # whatever the unpickled record holds; float() of a wrong type raises, reported by extract_cell
    if quantity == "latency":
        lat = rc.get("latency")  # a list of seconds; the official API averages it
        value = float(np.mean(lat)) if isinstance(lat, (list, tuple)) and lat else lat
    else:
        value = rc.get("params" if quantity == "params" else "flop")
    if value is None or not np.isfinite(float(value)) or (quantity == "latency" and float(value) <= 0):
        return None
    return float(value)


@cache
def _eval_keys(split: str, epochs: int) -> tuple[str, ...]:
    return tuple(f"{split}@{i}" for i in range(epochs))


def _series(rc: dict, src: Source) -> np.ndarray | None:
    """Per-epoch values (index 0 = after the first epoch), NaN where the record has none."""
    epochs = int(rc["epochs"])
    if src.split == "train":
        field = {"acc": "train_acc1es", "loss": "train_losses", "time": "train_times"}[src.quantity]
        values = _by_epoch(rc.get(field), epochs)
        if values is not None and src.quantity == "time":
            values = np.cumsum(values)
        return values
    table = rc.get("eval_acc1es" if src.quantity == "acc" else "eval_losses") or {}
    names = rc.get("eval_names")
    present = src.split in names if isinstance(names, list) else any(k.startswith(f"{src.split}@") for k in table)
    if not present:
        return None
    return np.array([_num(table.get(k)) for k in _eval_keys(src.split, epochs)], dtype=np.float64)


class _Builder:
    """Places extracted rows into dense (architectures, seeds, fidelities) arrays per dataset and metric."""

    def __init__(self, n: int):
        self.n = n
        self.fidelities = tuple(range(1, int(CURVE_HP) + 1))
        self.pos = {f: i for i, f in enumerate(self.fidelities)}
        #: positions the long schedule's curve fills (not those reserved for the short schedules' final epochs)
        self.curve_mask = np.array([f not in POINT_HPS.values() for f in self.fidelities])
        self.seeds: dict[str, dict[int, int]] = {ds: {} for ds in METRIC_SOURCES}  # seed -> slot
        self.curves: dict[tuple[str, str], np.ndarray] = {}
        self.const_sum = {(ds, m): np.zeros(n) for ds in METRIC_SOURCES for m in _CONSTANT}
        self.const_cnt = {(ds, m): np.zeros(n) for ds in METRIC_SOURCES for m in _CONSTANT}

    def place(self, index: int, rows: Iterable[Row]) -> None:
        for ds, metric, seed, hp, values in rows:
            if seed is None:
                self.const_sum[(ds, metric)][index] += values
                self.const_cnt[(ds, metric)][index] += 1
                continue
            values = cast(np.ndarray, values)  # extract_cell gives a curve for every row with a seed
            slot = self._slot(ds, seed)
            arr = self._curve(ds, metric)
            if hp == CURVE_HP:
                n = min(len(values), len(self.fidelities))
                keep = self.curve_mask[:n]
                arr[index, slot, :n][keep] = values[:n][keep]
            elif len(values) >= POINT_HPS[hp]:
                arr[index, slot, self.pos[POINT_HPS[hp]]] = values[POINT_HPS[hp] - 1]

    def _slot(self, ds: str, seed: int) -> int:
        """Seed axis position of ``seed`` (in order of first appearance; sorted when the tables are built)."""
        slots = self.seeds[ds]
        slot = slots.get(seed)
        if slot is None:
            slot = slots[seed] = len(slots)
            for key, arr in self.curves.items():
                if key[0] == ds and arr.shape[1] <= slot:  # grow the seed axis (rare: capacity starts at 3)
                    pad = np.full((self.n, arr.shape[1], len(self.fidelities)), np.nan, dtype=np.float32)
                    self.curves[key] = np.concatenate([arr, pad], axis=1)
        return slot

    def _curve(self, ds: str, metric: str) -> np.ndarray:
        arr = self.curves.get((ds, metric))
        if arr is None:
            width = max(_SEED_CAPACITY, len(self.seeds[ds]))
            arr = self.curves[(ds, metric)] = np.full((self.n, width, len(self.fidelities)), np.nan, dtype=np.float32)
        return arr

    def seed_note(self) -> str:
        return "; ".join(f"{ds}: seed axis = official seeds {sorted(s)}" for ds, s in self.seeds.items() if s)

    def _constant_table(self, ds: str, metric: str, src: Source) -> MetricTable | None:
        cnt = self.const_cnt[(ds, metric)]
        if not cnt.any():
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(cnt > 0, self.const_sum[(ds, metric)] / cnt, np.nan).astype(np.float32)
        values = np.broadcast_to(mean[:, None, None], (self.n, 1, len(self.fidelities)))  # no copy
        return MetricTable(values, per_seed=False, unit=_UNITS[src.quantity], source=f"{src.run} runs, mean over seeds")

    def _curve_table(self, ds: str, metric: str, src: Source) -> MetricTable | None:
        arr = self.curves.get((ds, metric))
        if arr is None:
            return None
        slots = self.seeds[ds]
        order = [slots[seed] for seed in sorted(slots)]
        if order != list(range(arr.shape[1])):
            arr = arr[:, order, :]
        if metric in _SAME_FOR_ALL_SEEDS:
            arr = np.fmax.reduce(arr, axis=1, keepdims=True)  # the one value any seed has (NaN if none)
            return MetricTable(arr, per_seed=False, unit=_UNITS[src.quantity], source=_describe(src))
        return MetricTable(arr, per_seed=True, unit=_UNITS[src.quantity], source=_describe(src))

    def tables(self) -> dict[str, DatasetTable]:
        out = {}
        for ds, metrics in METRIC_SOURCES.items():
            tables: dict[str, MetricTable] = {}
            for metric, src in metrics.items():
                build = self._constant_table if src.quantity in _CONSTANT else self._curve_table
                table = build(ds, metric, src)
                if table is not None:
                    tables[metric] = table
            if tables:
                seeds = sorted(self.seeds[ds])
                out[ds] = DatasetTable(name=ds, space="nb201", fidelities=self.fidelities, metrics=tables, notes={
                    "seeds": f"seed index i is official training seed {seeds}[i]",
                    "fidelities": "epochs 1..200 of the 200-epoch schedule (hp='200'), except fidelity 12, which "
                                  "is the final epoch of the separate 12-epoch schedule (hp='12')",
                    "source": "official NATS-Bench topology archive (NATS-tss-v1_0-3ffb9)",
                })
        if not out:
            raise DataFileError("the NATS-Bench archive holds no cell with results")
        return out


def _describe(src: Source) -> str:
    what = {"acc": "accuracy", "loss": "loss", "time": "cumulative training seconds"}[src.quantity]
    return f"{src.run} runs, {src.split} {what}"


def _num(value: Any) -> float:
    """A record's number as a float, NaN where it has none (float() of a wrong type raises, as for any record)."""
    return np.nan if value is None else float(value)


def _by_epoch(values: object, epochs: int) -> np.ndarray | None:
    """A dict keyed by 0-based epoch or a list, as a float array of length ``epochs``."""
    if values is None:
        return None
    if isinstance(values, dict):
        return np.array([_num(values.get(i)) for i in range(epochs)], dtype=np.float64)
    if isinstance(values, (list, tuple)):
        out = np.full(epochs, np.nan)
        n = min(len(values), epochs)
        out[:n] = [_num(v) for v in values[:n]]
        return out
    raise TypeError(f"per-epoch values should be a dict or list, got {type(values).__name__}")


__all__ = ["ALLOWED", "CURVE_HP", "METRIC_SOURCES", "META_FILE", "POINT_HPS", "NatsTopologyLoader", "read_pbz2"]
