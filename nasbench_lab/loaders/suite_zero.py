"""NAS-Bench-Suite-Zero proxy files (NASLib's ``zc_<benchmark>.json``): precomputed zero-cost proxies.

Two layouts exist: ``{dataset: {key: {"val_accuracy": v, proxy: {"score": s, "time": t}}}}``
(NB201, NB301) and ``{"nasbench101": {dataset: {key: {"val_accuracy": v, proxy: s}}}}`` (NB101).
Keys name architectures in NASLib's notations; :data:`KEY_PARSERS` turns them into ours:

- NB201: a 6-tuple of op indices in NASLib's order (0 skip_connect, 1 none, 2 nor_conv_3x3,
  3 nor_conv_1x1, 4 avg_pool_3x3), edges in NASLib's order (1,2),(1,3),(1,4),(2,3),(2,4),(3,4) (1-based
  nodes), which swaps positions 2 and 3 of the official string's order (checked on real data);
- NB101: a flattened n x n adjacency followed by n op indices (0 input, 1 output, 2 maxpool3x3,
  3 conv1x1-bn-relu, 4 conv3x3-bn-relu), pruned and hashed like the official cells;
- NB301: NASLib's compact DARTS genotype, ``[[(input, op) x 8], [(input, op) x 8]]``.

:func:`read_suite_zero` reads a file into :class:`ProxyRecords`; the benchmarks over them
(``load_proxies``, ``with_proxies``) are in :mod:`nasbench_lab.benchmarks.proxies`.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError, InvalidArchitectureError, UnknownNameError
from nasbench_lab.loaders.naslib_nb201 import naslib_to_ops
from nasbench_lab.loaders.space_kinds import space_as
from nasbench_lab.registry import Registry
from nasbench_lab.spaces.base import SearchSpace
from nasbench_lab.spaces.darts import DartsSpace
from nasbench_lab.spaces.nb101 import NB101Space
from nasbench_lab.spaces.registry import space as get_space

#: prefix of proxy metrics: ``zc_synflow`` etc.
PROXY_PREFIX = "zc_"
#: the 13 proxies of NAS-Bench-Suite-Zero (a file may hold fewer)
SUITE_ZERO_PROXIES = ("epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "params",
                      "plain", "snip", "synflow", "zen")
#: training epochs behind each benchmark's val_accuracy (the fidelity the proxies are compared with)
EPOCHS = {"nb201": 200, "nb101": 108, "nb301": 100}
_WRAPPERS = {"nasbench101": "nb101", "nasbench201": "nb201", "nasbench301": "nb301"}
_SPACE_OF = {"nb201": "nb201", "nb101": "nb101", "nb301": "darts"}
_NB101_NASLIB_OPS = ("input", "output", "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")

#: benchmark name -> function (space, key texts) -> architecture batch
KEY_PARSERS: Registry[Callable[[SearchSpace, list[str]], np.ndarray]] = Registry("Suite-Zero key format")


@dataclass
class ProxyRecords:
    """One dataset of a Suite-Zero file: architectures, their validation accuracy and proxy scores."""

    benchmark: str
    dataset: str
    space: str
    archs: np.ndarray
    val_acc: np.ndarray
    scores: dict[str, np.ndarray]
    #: seconds each proxy took per architecture (NaN where the file gives none)
    times: dict[str, np.ndarray] = field(default_factory=dict)
    #: number of keys that named an architecture already listed (isomorphic cells); values averaged
    duplicates: int = 0
    #: keys averaged into each row (1 for a cell the file lists once)
    multiplicity: np.ndarray | None = None

    @property
    def proxies(self) -> list[str]:
        return sorted(self.scores)

    def __len__(self) -> int:
        return len(self.archs)


# ------------------------------------------------------------------------------- key parsing
def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise InvalidArchitectureError(f"Suite-Zero key {text!r} is not a tuple of integers") from None
    if not isinstance(value, tuple) or not all(isinstance(v, int) for v in value):
        raise InvalidArchitectureError(f"Suite-Zero key {text!r} is not a tuple of integers")
    return value


@KEY_PARSERS.register("nb201")
def parse_nb201_keys(space: SearchSpace, keys: list[str]) -> np.ndarray:
    """NASLib op-index 6-tuples (NASLib's op and edge order) -> official op codes in official edge order."""
    raw = np.array([_int_tuple(k) for k in keys], dtype=np.int64).reshape(len(keys), -1)
    if raw.shape[1] != 6 or raw.min(initial=0) < 0 or raw.max(initial=0) > 4:
        raise InvalidArchitectureError(f"nb201 Suite-Zero keys must be 6 op indices 0..4 in NASLib's order; "
                                       f"got e.g. {keys[0]!r}")
    return space.validate(naslib_to_ops(raw))


@KEY_PARSERS.register("nb101")
def parse_nb101_keys(space: SearchSpace, keys: list[str]) -> np.ndarray:
    """Flattened n x n adjacency + n NASLib op indices -> cells (pruned and hashed officially)."""
    nb101 = space_as(space, NB101Space)
    out = []
    for key in keys:
        tup = _int_tuple(key)
        n = int(round((-1 + np.sqrt(1 + 4 * len(tup))) / 2))
        if n * n + n != len(tup) or not all(0 <= t < len(_NB101_NASLIB_OPS) for t in tup[n * n:]):
            raise InvalidArchitectureError(f"nb101 Suite-Zero key of length {len(tup)} is not an n x n adjacency "
                                           f"followed by n op indices 0..4: {key[:80]}...")
        matrix = np.array(tup[: n * n], dtype=np.int64).reshape(n, n)
        ops = [_NB101_NASLIB_OPS[t] for t in tup[n * n:]]
        out.append(np.asarray(nb101.from_spec(matrix, ops)))
    return np.stack(out) if out else np.zeros((0, *space.arch_shape), dtype=space.arch_dtype)


@KEY_PARSERS.register("nb301")
def parse_nb301_keys(space: SearchSpace, keys: list[str]) -> np.ndarray:
    """NASLib compact DARTS genotypes -> DARTS-space architectures."""
    darts = space_as(space, DartsSpace)
    out = []
    for key in keys:
        try:
            compact = ast.literal_eval(key)
        except (ValueError, SyntaxError):
            raise InvalidArchitectureError(f"nb301 Suite-Zero key {key[:80]!r} is not a compact genotype") from None
        out.append(darts.from_compact(compact))
    return np.stack(out) if out else np.zeros((0, *space.arch_shape), dtype=space.arch_dtype)


# ---------------------------------------------------------------------------------- reading
def _detect_benchmark(first_key: str) -> str:
    text = first_key.strip()
    if text.startswith("["):
        return "nb301"
    try:
        n = len(_int_tuple(text))
    except InvalidArchitectureError:
        raise DataFileError(f"unrecognised Suite-Zero key {text[:80]!r}: expected an NB201 op tuple, an NB101 "
                            "adjacency+ops tuple or an NB301 compact genotype") from None
    return "nb201" if n == 6 else "nb101"


def read_suite_zero(path: str | os.PathLike, benchmark: str | None = None) -> dict[str, ProxyRecords]:
    """Every dataset of a Suite-Zero JSON file as ProxyRecords (``benchmark`` is detected from the keys
    when not given: nb201, nb101 or nb301)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"Suite-Zero proxy file not found: {path} (NASLib's zc_<benchmark>.json)")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DataFileError(f"{path} is not a JSON file: {exc}") from None
    if not isinstance(doc, dict) or not doc:
        raise DataFileError(f"{path}: expected a JSON object of datasets")
    if len(doc) == 1 and next(iter(doc)) in _WRAPPERS:  # NB101 layout: {"nasbench101": {dataset: ...}}
        wrapper = next(iter(doc))
        benchmark = benchmark or _WRAPPERS[wrapper]
        doc = doc[wrapper]
    out = {}
    for dataset, entries in doc.items():
        if not isinstance(entries, dict) or not entries:
            raise DataFileError(f"{path}: dataset {dataset!r} holds no architectures")
        out[dataset] = _records(path, dataset, entries, benchmark or _detect_benchmark(next(iter(entries))))
    return out


def _records(path: Path, dataset: str, entries: dict, benchmark: str) -> ProxyRecords:
    if benchmark not in _SPACE_OF:
        raise UnknownNameError("Suite-Zero benchmark", benchmark, list(_SPACE_OF))
    sp = get_space(_SPACE_OF[benchmark])
    keys = list(entries)
    archs = KEY_PARSERS.get(benchmark)(sp, keys)
    names = sorted({k for e in entries.values() for k in e if k not in ("val_accuracy", "idx", "arch")})
    n = len(keys)
    val = np.full(n, np.nan)
    scores = {p: np.full(n, np.nan) for p in names}
    times = {p: np.full(n, np.nan) for p in names}
    for i, key in enumerate(keys):
        entry = entries[key]
        if "val_accuracy" not in entry:
            raise DataFileError(f"{path}: {dataset} entry {key[:60]!r} has no val_accuracy")
        val[i] = float(entry["val_accuracy"])
        for p in names:
            item = entry.get(p)
            if isinstance(item, dict):
                scores[p][i] = float(item.get("score", np.nan))
                times[p][i] = float(item.get("time", np.nan))
            elif item is not None:
                scores[p][i] = float(item)
    # isomorphic keys (NB101 cells given in unpruned form) collapse onto one architecture: average them
    uniq_keys, first, inverse = np.unique(sp.keys(archs), return_index=True, return_inverse=True)
    dup = n - len(uniq_keys)
    multiplicity = np.bincount(inverse)
    if dup:
        def avg(v: np.ndarray) -> np.ndarray:
            ok = np.isfinite(v)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.bincount(inverse, weights=np.where(ok, v, 0.0)) / np.bincount(inverse, weights=ok)

        archs, val = archs[first], avg(val)  # rows now in sorted-key order, like multiplicity
        scores = {p: avg(v) for p, v in scores.items()}
        times = {p: avg(v) for p, v in times.items()}
    order = np.argsort(sp.keys(archs), kind="stable")
    return ProxyRecords(benchmark, dataset, sp.name, archs[order], val[order],
                        {p: v[order] for p, v in scores.items()},
                        {p: v[order] for p, v in times.items() if np.isfinite(v).any()}, dup,
                        multiplicity[order] if dup else np.ones(len(order), dtype=np.int64))
