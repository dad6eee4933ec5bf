"""Trajectory: every query of one run in the order its result arrived, plus what the run was."""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError
from nasbench_lab.fileio import atomic_write, json_default  # noqa: F401  (atomic_write re-exported)

_ARRAYS = ("archs", "valid", "test", "fidelity", "cost", "start", "finish")
#: arrays only multi-objective or constrained runs have (files without them read as None)
_OPTIONAL = ("objectives", "violation")
_DTYPES = {"archs": np.int64, "fidelity": np.int64}
FORMAT = "nasbench_lab.trajectory/1"


@dataclass
class Trajectory:
    """One run: architectures, the search value the optimizer saw, the reported test value, cost, clock.

    ``valid`` is the search metric as the optimizer saw it (a drawn seed when the table has
    several); ``test`` is the report metric, recorded for analysis only. Rows are in the order
    results arrived on the simulated clock (``finish`` is non-decreasing). A multi-objective or
    constrained run also records ``objectives`` (an ``(n, m)`` matrix of every objective's value per
    query, in the metrics' own units and directions, named in ``meta["objectives"]``; its first column
    is ``valid``) and ``violation`` (each query's total constraint violation, 0 where feasible).
    """

    archs: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    fidelity: np.ndarray
    cost: np.ndarray
    start: np.ndarray
    finish: np.ndarray
    meta: dict = field(default_factory=dict)
    objectives: np.ndarray | None = None
    violation: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.valid)

    @property
    def higher_is_better(self) -> bool:
        return bool(self.meta.get("search_higher_is_better", True))

    @property
    def feasible(self) -> np.ndarray:
        """True for each query that satisfies every constraint (all True for a run without constraints)."""
        if self.violation is None:
            return np.ones(len(self), dtype=bool)
        return np.asarray(self.violation) == 0

    def incumbent(self) -> np.ndarray:
        """Row index of the incumbent after each result: the best feasible ``valid`` at the highest fidelity seen
        (before the first feasible result, the first row: see :meth:`incumbent_valid`)."""
        score = np.where(np.isfinite(self.valid), self.valid if self.higher_is_better else -self.valid, -np.inf)
        if self.violation is not None:
            score = np.where(self.feasible, score, -np.inf)
        n = len(score)
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if np.all(self.fidelity == self.fidelity[0]):
            prev_best = np.maximum.accumulate(np.concatenate([[-np.inf], score[:-1]]))
            new = score > prev_best
            new[0] = True
            return np.maximum.accumulate(np.where(new, np.arange(n), 0))
        out = np.empty(n, dtype=np.int64)
        best, top_fid = 0, self.fidelity[0]
        for i in range(n):
            f = self.fidelity[i]
            if f > top_fid or (f == top_fid and score[i] > score[best]):
                best, top_fid = i, f
            out[i] = best
        return out

    def _before_feasible(self) -> np.ndarray:
        """True for each row before which (inclusive) no feasible result arrived: no incumbent exists yet."""
        return ~np.logical_or.accumulate(self.feasible) if len(self) else np.zeros(0, dtype=bool)

    def incumbent_valid(self) -> np.ndarray:
        """Search value of the incumbent after each result (NaN while no feasible result has arrived)."""
        out = self.valid[self.incumbent()]
        return np.where(self._before_feasible(), np.nan, out) if self.violation is not None else out

    def incumbent_test(self) -> np.ndarray:
        """Test value of the incumbent (chosen by validation) after each result (NaN while none is feasible)."""
        out = self.test[self.incumbent()]
        return np.where(self._before_feasible(), np.nan, out) if self.violation is not None else out

    @property
    def n_feasible(self) -> int:
        """How many queries satisfied every constraint."""
        return int(self.feasible.sum())

    @property
    def final_test(self) -> float:
        """Test value of the architecture with the best validation value seen."""
        return float(self.incumbent_test()[-1]) if len(self) else float("nan")

    @property
    def final_valid(self) -> float:
        return float(self.incumbent_valid()[-1]) if len(self) else float("nan")

    # ------------------------------------------------------------------ files
    def to_bytes(self) -> bytes:
        """The trajectory as an ``.npz`` file's bytes (arrays plus JSON metadata)."""
        buf = io.BytesIO()
        np.savez_compressed(buf, meta=np.array(json.dumps({"format": FORMAT, **self.meta}, default=json_default)),
                            **{name: getattr(self, name) for name in _ARRAYS},
                            **{name: getattr(self, name) for name in _OPTIONAL if getattr(self, name) is not None})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<bytes>") -> Trajectory:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                meta = json.loads(str(npz["meta"]))
                arrays = {name: npz[name] for name in _ARRAYS}
                arrays.update({name: npz[name] for name in _OPTIONAL if name in npz.files})
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
            # flipped bytes surface late (a CRC or inflate error while an array is read): one line, never a traceback
            raise DataFileError(f"{source} is damaged or not a nasbench_lab trajectory file "
                                f"({type(exc).__name__}: {exc})") from None
        if not isinstance(meta, dict):
            raise DataFileError(f"{source} is not a {FORMAT} file")
        if meta.pop("format", None) != FORMAT:
            raise DataFileError(f"{source} is not a {FORMAT} file")
        return cls(meta=meta, **arrays)

    def to_json(self) -> str:
        """The trajectory as JSON (arrays as lists; readable anywhere, larger than ``.npz``)."""
        body = {name: getattr(self, name).tolist() for name in _ARRAYS}
        body.update({name: getattr(self, name).tolist() for name in _OPTIONAL if getattr(self, name) is not None})
        body["arch_dtype"] = str(self.archs.dtype)
        return json.dumps({"format": FORMAT, "meta": self.meta, **body}, default=json_default, allow_nan=True)

    @classmethod
    def from_json(cls, text: str, source: str = "<json>") -> Trajectory:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"not a {FORMAT} document")
            arrays = {name: np.asarray(data[name], dtype=_DTYPES.get(name, np.float64)) for name in _ARRAYS}
            arrays["archs"] = arrays["archs"].astype(data.get("arch_dtype", "int64"))
            arrays.update({name: np.asarray(data[name], dtype=np.float64) for name in _OPTIONAL if name in data})
            if "objectives" in arrays:
                arrays["objectives"] = arrays["objectives"].reshape(len(arrays["valid"]), -1)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DataFileError(f"{source} is not a nasbench_lab trajectory file: {exc}") from None
        return cls(meta=data.get("meta", {}), **arrays)

    def save(self, path: str | os.PathLike) -> Path:
        """Writes ``.npz`` (or ``.json`` by suffix) atomically (a temporary file renamed into place)."""
        path = Path(path)
        data = self.to_json().encode() if path.suffix == ".json" else self.to_bytes()
        return atomic_write(path, data)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Trajectory:
        """Reads a file written by :meth:`save` (``.npz`` or ``.json``)."""
        path = Path(path)
        if not path.is_file():
            raise DataFileError(f"trajectory file not found: {path}")
        if path.suffix == ".json":
            return cls.from_json(path.read_text(), str(path))
        return cls.from_bytes(path.read_bytes(), str(path))



