"""NAS-Bench-101 training records: the official tfrecord, NASLib's pickle and the records JSON.

Every source yields :class:`Runs`: one row per training run (cell hash, epoch budget, the
8 official numbers) plus each cell's fixed statistics (adjacency, ops, trainable
parameters). :func:`runs_to_table` places them at the cells' indices of the ``nb101``
space, checking that every hash names a cell and that each record's graph has that hash.

Official tfrecord payload: the JSON list ``[hash, epochs, raw_adjacency, raw_operations,
base64(ModelMetrics)]`` with ``raw_adjacency`` the V*V row-major 0/1 string and
``raw_operations`` comma-separated; ``ModelMetrics`` (proto2) holds ``evaluation_data``
(field 1, repeated: [0] at step 0, [1] halfway, [2] final; each with doubles
current_epoch=1, training_time=2, train_accuracy=3, validation_accuracy=4,
test_accuracy=5 and string checkpoint_path=6), ``trainable_parameters`` (2, int32) and
``total_time`` (3, double).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import numpy as np

from nasbench_lab.errors import DataFileError, InvalidArchitectureError
from nasbench_lab.loaders import protobuf_lite as pb
from nasbench_lab.loaders.safe_pickle import safe_load
from nasbench_lab.loaders.tfrecord import read_tfrecord
from nasbench_lab.spaces.nb101_graph import OP_CODE, pack_many, spec_hash
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable

#: the official per-run keys (``computed_stats[epochs][repeat]``), in column order of ``Runs.values``
RUN_FIELDS = (
    "halfway_training_time", "halfway_train_accuracy", "halfway_validation_accuracy", "halfway_test_accuracy",
    "final_training_time", "final_train_accuracy", "final_validation_accuracy", "final_test_accuracy",
)
#: official key -> (our metric, scale): accuracies become percentages
METRIC_OF_FIELD = {
    "final_train_accuracy": ("train_acc", 100.0),
    "final_validation_accuracy": ("valid_acc", 100.0),
    "final_test_accuracy": ("test_acc", 100.0),
    "final_training_time": ("train_time", 1.0),
    "halfway_train_accuracy": ("train_acc_halfway", 100.0),
    "halfway_validation_accuracy": ("valid_acc_halfway", 100.0),
    "halfway_test_accuracy": ("test_acc_halfway", 100.0),
    "halfway_training_time": ("train_time_halfway", 1.0),
}
DATASET = "cifar10"
_DOUBLE_AT = struct.Struct("<d").unpack_from


class Runs:
    """Training runs in file order (compact arrays: the full official file has ~5 million), and the fixed
    statistics of each cell by hash, in order of first appearance."""

    def __init__(self) -> None:
        #: hash -> (adjacency matrix, ops, trainable parameters)
        self.fixed: dict[str, tuple[np.ndarray, list[str], int]] = {}
        self._cell_of: dict[str, int] = {}
        self._cells = array("l")
        self._epochs = array("l")
        self._values = array("d")

    def __len__(self) -> int:
        return len(self._cells)

    def add_fixed(self, source: str, cell_hash: str, matrix: np.ndarray, ops: list[str], params: int) -> None:
        known = self.fixed.get(cell_hash)
        if known is None:
            self.fixed[cell_hash] = (matrix, ops, int(params))
            self._cell_of[cell_hash] = len(self._cell_of)
        elif known[2] != int(params):
            raise DataFileError(f"{source}: cell {cell_hash} has {known[2]} and {params} trainable parameters "
                                "in different records")

    def add_run(self, cell_hash: str, epochs: int, row: Iterable[float]) -> None:
        """Appends one run of a cell whose fixed statistics were added; ``row`` follows RUN_FIELDS."""
        self._cells.append(self._cell_of[cell_hash])
        self._epochs.append(int(epochs))
        self._values.extend(row)

    @property
    def cells(self) -> np.ndarray:
        """Per run, the position of its cell's hash in ``fixed``."""
        return np.frombuffer(self._cells, dtype=np.dtype("l")).astype(np.int64)

    @property
    def epochs(self) -> np.ndarray:
        return np.frombuffer(self._epochs, dtype=np.dtype("l")).astype(np.int64)

    @property
    def values(self) -> np.ndarray:
        """(runs, 8) float64 in RUN_FIELDS order."""
        return np.frombuffer(self._values, dtype=np.float64).reshape(-1, len(RUN_FIELDS))

    @property
    def hashes(self) -> list[str]:
        """Per run, its cell's hash."""
        names = list(self.fixed)
        return [names[c] for c in self.cells]


# ------------------------------------------------------------------------- official tfrecord
def decode_model_metrics(blob: bytes) -> tuple[int, list[tuple[float, float, float, float, float]]]:
    """(trainable parameters, [(epoch, training time, train, validation, test accuracy), ...]).

    A hand-rolled loop over the two message levels (a generic field list costs 5x more on
    the 1.3-5 million records of the official files); unknown fields are skipped.
    """
    params = 0
    evals: list[tuple[float, ...]] = []  # each built from the five-slot list ``e`` below
    pos, end = 0, len(blob)
    unpack = _DOUBLE_AT
    while pos < end:
        key = blob[pos]
        if key & 0x80:
            key, pos = pb.read_varint(blob, pos)
        else:
            pos += 1
        number, wire = key >> 3, key & 7
        if number == 1 and wire == pb.LENGTH:
            if pos < end and not blob[pos] & 0x80:
                size, pos = blob[pos], pos + 1
            else:
                size, pos = pb.read_varint(blob, pos)
            stop = pos + size
            if stop > end:
                raise DataFileError(f"protobuf: evaluation_data claims {size} bytes, only {end - pos} left")
            e = [0.0, 0.0, 0.0, 0.0, 0.0]
            while pos < stop:
                k2 = blob[pos]
                if k2 & 0x80:
                    k2, pos = pb.read_varint(blob, pos)
                else:
                    pos += 1
                if k2 & 7 == pb.FIXED64 and 1 <= k2 >> 3 <= 5:
                    if pos + 8 > stop:
                        raise DataFileError(f"protobuf: truncated double field {k2 >> 3} of evaluation_data")
                    e[(k2 >> 3) - 1] = unpack(blob, pos)[0]
                    pos += 8
                else:
                    pos = pb.skip(blob, pos, k2 & 7, k2 >> 3)
            if pos != stop:
                raise DataFileError("protobuf: evaluation_data fields overrun their message")
            evals.append(tuple(e))
        elif number == 2 and wire == pb.VARINT:
            value, pos = pb.read_varint(blob, pos)
            params = pb.as_signed(value)
        else:
            pos = pb.skip(blob, pos, wire, number)
    return params, cast("list[tuple[float, float, float, float, float]]", evals)


def encode_model_metrics(params: int, evals: Iterable[tuple[float, float, float, float, float]],
                         total_time: float = 0.0) -> bytes:
    """Serialises a ModelMetrics message (for fixtures and benchmarks built from real records)."""
    out = b""
    for ev in evals:
        body = b"".join(pb.encode_double_field(i + 1, float(x)) for i, x in enumerate(ev))
        out += pb.encode_bytes_field(1, body)
    return out + pb.encode_varint_field(2, int(params)) + pb.encode_double_field(3, float(total_time))


def encode_official_record(cell_hash: str, epochs: int, matrix: np.ndarray, ops: list[str], params: int,
                           run: dict[str, float]) -> bytes:
    """One tfrecord payload in the official layout, from a run dict with the official keys."""
    half = float(epochs) / 2
    evals = [
        (0.0, 0.0, 0.0, 0.0, 0.0),
        (half, run["halfway_training_time"], run["halfway_train_accuracy"], run["halfway_validation_accuracy"],
         run["halfway_test_accuracy"]),
        (float(epochs), run["final_training_time"], run["final_train_accuracy"], run["final_validation_accuracy"],
         run["final_test_accuracy"]),
    ]
    adjacency = "".join(str(int(x)) for x in np.asarray(matrix).ravel())
    metrics = base64.b64encode(encode_model_metrics(params, evals, run["final_training_time"])).decode("ascii")
    return json.dumps([cell_hash, int(epochs), adjacency, ",".join(ops), metrics]).encode("utf-8")


def read_official_tfrecord(path: str | os.PathLike, verify: bool = True) -> Runs:
    """Reads ``nasbench_only108.tfrecord`` or ``nasbench_full.tfrecord`` (CRC-checked unless ``verify=False``)."""
    path = Path(path)
    runs = Runs()
    fixed = runs.fixed
    for n, payload in enumerate(read_tfrecord(path, verify=verify)):
        try:
            cell_hash, epochs, raw_adjacency, raw_ops, raw_metrics = json.loads(payload)
            params, evals = decode_model_metrics(base64.b64decode(raw_metrics, validate=True))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise DataFileError(f"{path}: record {n} is not an official NAS-Bench-101 record "
                                f"([hash, epochs, adjacency, ops, base64 metrics]): {exc}") from None
        except DataFileError as exc:
            raise DataFileError(f"{path}: record {n}: bad metrics message: {exc}") from None
        if len(evals) < 3:
            raise DataFileError(f"{path}: record {n} ({cell_hash}) has {len(evals)} evaluations; the official "
                                "layout has 3 (start, halfway, final)")
        if cell_hash not in fixed:
            dim = int(round(len(raw_adjacency) ** 0.5))
            if dim * dim != len(raw_adjacency) or set(raw_adjacency) - {"0", "1"}:
                raise DataFileError(f"{path}: record {n}: adjacency {raw_adjacency!r} is not a square 0/1 matrix")
            matrix = np.frombuffer(raw_adjacency.encode("ascii"), dtype=np.uint8).reshape(dim, dim) - ord("0")
            runs.add_fixed(str(path), cell_hash, matrix.astype(np.int8), raw_ops.split(","), params)
        elif fixed[cell_hash][2] != params:
            runs.add_fixed(str(path), cell_hash, fixed[cell_hash][0], fixed[cell_hash][1], params)
        half, final = evals[1], evals[2]
        runs.add_run(cell_hash, epochs, (half[1], half[2], half[3], half[4], final[1], final[2], final[3], final[4]))
    if not len(runs):
        raise DataFileError(f"{path}: no records")
    return runs


# ------------------------------------------------------------------ NASLib pickle / records JSON
#: NASLib's nasbench_only108.pkl: {hash: (fixed_stats, computed_stats)} with numpy adjacency arrays
def read_naslib_pickle(path: str | os.PathLike) -> Runs:
    """Reads NASLib's NB101 pickle (e.g. ``nasbench_only108.pkl``) with the restricted unpickler."""
    data = safe_load(path)
    if not isinstance(data, dict) or not data:
        raise DataFileError(f"{path}: expected NASLib's NB101 pickle, a dict hash -> (fixed_stats, computed_stats)")
    runs = Runs()
    for cell_hash, entry in data.items():
        if not (isinstance(entry, (tuple, list)) and len(entry) == 2):
            raise DataFileError(f"{path}: entry {cell_hash!r} is not a (fixed_stats, computed_stats) pair")
        _add_cell(runs, str(path), str(cell_hash), entry[0], entry[1])
    return runs


def read_records_json(path: str | os.PathLike) -> Runs:
    """Reads the records JSON layout: {hash: {module_adjacency, module_operations, trainable_parameters,
    computed_stats: {epochs: [run, ...]}}} (NASLib's test assets use it)."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise DataFileError(f"file not found: {path}") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DataFileError(f"{path}: not a JSON file: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise DataFileError(f"{path}: expected a JSON object hash -> record")
    runs = Runs()
    for cell_hash, rec in data.items():
        if not isinstance(rec, dict) or "computed_stats" not in rec:
            raise DataFileError(f"{path}: record {cell_hash!r} has no computed_stats")
        _add_cell(runs, str(path), str(cell_hash), rec, rec["computed_stats"])
    return runs


def _add_cell(runs: Runs, source: str, cell_hash: str, fixed: dict, computed: dict) -> None:
    try:
        matrix = np.asarray(fixed["module_adjacency"], dtype=np.int8)
        ops = [str(o) for o in fixed["module_operations"]]
        params = int(fixed["trainable_parameters"])
        budgets = {int(e): reps for e, reps in computed.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise DataFileError(f"{source}: record {cell_hash!r} lacks the official fixed statistics: {exc}") from None
    runs.add_fixed(source, cell_hash, matrix, ops, params)
    for epochs in sorted(budgets):
        for run in budgets[epochs]:
            try:
                row = tuple(float(run[k]) for k in RUN_FIELDS)
            except (KeyError, TypeError, ValueError) as exc:
                raise DataFileError(f"{source}: run of {cell_hash!r} at {epochs} epochs lacks {exc}") from None
            runs.add_run(cell_hash, epochs, row)


# ----------------------------------------------------------------------------------- to table
def _check_graphs(source: str, space, runs: Runs, hashes: list[str], idx: np.ndarray) -> None:
    """Each record's (matrix, ops) must be the cell its hash names (same packed code, else same hash)."""
    nv = np.zeros(len(hashes), dtype=np.int64)
    mats = np.zeros((len(hashes), 7, 7), dtype=np.int8)
    labels = np.full((len(hashes), 7), -3, dtype=np.int64)
    odd = []
    for k, h in enumerate(hashes):
        matrix, ops, _ = runs.fixed[h]
        n = matrix.shape[0] if matrix.ndim == 2 and matrix.shape[0] == matrix.shape[1] else 0
        codes = [OP_CODE.get(o, -9) for o in ops[1:-1]]
        if not 2 <= n <= 7 or len(ops) != n or ops[0] != "input" or ops[-1] != "output" or -9 in codes:
            odd.append(k)
            continue
        nv[k] = n
        mats[k, :n, :n] = matrix
        labels[k, 1:n - 1] = codes
    packed = pack_many(np.maximum(nv, 2), mats, np.maximum(labels, 0))
    mismatch = set(np.flatnonzero(packed != space.cell_codes[idx]).tolist()) | set(odd)
    for k in sorted(mismatch):  # not the canonical form: fall back to the hash itself
        matrix, ops, _ = runs.fixed[hashes[k]]
        try:
            got = spec_hash(matrix, ops)
        except InvalidArchitectureError as exc:
            raise DataFileError(f"{source}: cell {hashes[k]}: {exc}") from None
        if got != hashes[k]:
            raise DataFileError(f"{source}: the record keyed {hashes[k]} holds a graph whose official hash is {got}")


def runs_to_table(source: str, runs: Runs, space) -> BenchmarkTable:
    """Dense (cells, repeats, epoch budgets) arrays of every run metric, plus parameters (millions)."""
    unique = list(runs.fixed)
    idx = space.indices_of_hashes(unique)
    if (idx < 0).any():
        missing = [h for h, i in zip(unique, idx) if i < 0]
        raise DataFileError(f"{source}: {len(missing)} hash(es) name no NAS-Bench-101 cell, e.g. {missing[0]!r}")
    _check_graphs(source, space, runs, unique, idx)
    rows = idx[runs.cells]
    epochs = runs.epochs
    fidelities = tuple(int(e) for e in np.unique(epochs))
    fpos = np.searchsorted(np.asarray(fidelities), epochs)
    key = rows * len(fidelities) + fpos
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.searchsorted(sorted_key, sorted_key, side="left")
    repeat = np.empty(len(key), dtype=np.int64)
    repeat[order] = np.arange(len(key)) - first
    n_seeds = int(repeat.max()) + 1
    values = runs.values
    metrics = {}
    for col, name in enumerate(RUN_FIELDS):
        metric, scale = METRIC_OF_FIELD[name]
        arr = np.full((space.size, n_seeds, len(fidelities)), np.nan, dtype=np.float32)
        arr[rows, repeat, fpos] = values[:, col] * scale
        unit = "%" if scale == 100.0 else "s"
        metrics[metric] = MetricTable(arr, per_seed=True, unit=unit, source=f"{name} (x{scale:g})")
    params = np.full((space.size, 1, len(fidelities)), np.nan, dtype=np.float32)
    params[idx, 0, :] = (np.asarray([runs.fixed[h][2] for h in unique], dtype=np.float64) / 1e6)[:, None]
    metrics["params"] = MetricTable(params, per_seed=False, unit="M", source="trainable_parameters / 1e6")
    table = DatasetTable(name=DATASET, space="nb101", fidelities=fidelities, metrics=metrics,
                         notes={**NOTES, **_RUN_NOTES})
    return BenchmarkTable(benchmark="nb101", datasets={DATASET: table},
                          attrs={"cells_with_data": str(len(unique)), "runs": str(len(rows))})


NOTES = {
    "search": "valid_acc is the accuracy on 10,000 images held out from the CIFAR-10 training set "
              "(the networks train on the other 40,000)",
    "report": "test_acc is the accuracy on the 10,000 CIFAR-10 test images; it never enters search",
    "halfway": "*_halfway metrics are the same run evaluated after half of its epoch budget (fidelity = the "
               "run's full budget, e.g. valid_acc_halfway at fidelity 108 is epoch 54 of a 108-epoch run, "
               "whose learning-rate schedule is not that of a 54-epoch run)",
    "cost": "train_time is the training time in seconds (TPU v2, evaluation excluded) of the run up to its "
            "budget; train_time_halfway up to half of it",
}
_RUN_NOTES = {"seeds": "one value per repeat (3 per cell and budget in the official files), in file order; "
                       "params (millions, float32) is per cell"}
