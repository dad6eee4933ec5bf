"""Feature matrices for predictors: a space's own encodings plus predictor-side ones, joined by ``+``.

``featurize(space, batch, "onehot+path")`` concatenates encodings. Names are looked up first in
``space.encodings()`` and then in :data:`ENCODINGS` under ``"<space>:<name>"`` (extra encodings that
only predictors use, e.g. NB201 ``live`` = one-hot with edges off every input-output path set to
``none``, and ``counts`` = op counts on live edges, connectivity and depth).

A :data:`FeatureFn` maps a validated batch to extra columns; :func:`benchmark_features` builds one
from a benchmark's metrics (lower-fidelity accuracy, zero-cost proxies).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.registry import Registry
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace

#: batch of architectures -> (n, k) extra feature columns
FeatureFn = Callable[[np.ndarray], np.ndarray]

#: predictor-side encodings, keyed ``"<space name>:<encoding name>"``; each maps (space, batch) -> matrix
ENCODINGS: Registry[Callable[[SearchSpace, np.ndarray], np.ndarray]] = Registry("predictor encoding")


#: per space, the encoding each model family does best with (measured in docs/predictors.md)
PREFERRED_ENCODINGS: dict[str, dict[str, str]] = {
    "nb201": {"tree": "onehot+live+counts", "mlp": "path+live+counts", "kernel": "live+counts"},
}


def default_encoding(space: SearchSpace, family: str = "tree") -> str:
    """The preferred encoding of ``space`` for a model ``family`` (tree, mlp, kernel); else one-hot."""
    preferred = PREFERRED_ENCODINGS.get(space.name, {}).get(family)
    if preferred:
        return preferred
    own = space.encodings()
    return "onehot" if "onehot" in own else own[0]


def available_encodings(space: SearchSpace) -> list[str]:
    """Every encoding name ``featurize`` accepts for ``space``."""
    extra = [k.split(":", 1)[1] for k in ENCODINGS.names() if k.startswith(f"{space.name}:")]
    return sorted(set(space.encodings()) | set(extra))


#: enumerable spaces up to this many members encode their whole listing once per encoding (NB201: 15,625 rows,
#: a few MB per encoding), when first asked for a batch of at least LISTING_MIN_BATCH architectures; from then on
#: every batch is rows of it
LISTING_LIMIT = 50_000
LISTING_MIN_BATCH = 256


@dataclass(frozen=True)
class ListingFeatures:
    """One encoding of every member of an enumerable space, in index order: row ``i`` is ``distinct[row_of[i]]``
    (many members share a row: NB201's path+live+counts has 9,445 distinct rows for 15,625 cells)."""

    matrix: np.ndarray
    distinct: np.ndarray
    row_of: np.ndarray


def listing_features(space: SearchSpace, encoding: str, build: bool = True) -> ListingFeatures | None:
    """The encoding of ``space``'s whole listing, computed once per space (not built now unless ``build``); None
    for spaces too large to list."""
    if not isinstance(space, EnumerableSpace) or space.size > LISTING_LIMIT:
        return None
    return space.memo(("listing features", encoding), (lambda: _encode_listing(space, encoding)) if build else None)


def _encode_listing(space: EnumerableSpace, encoding: str) -> ListingFeatures:
    matrix = _featurize(space, space.all(), encoding)
    distinct, row_of = np.unique(matrix, axis=0, return_inverse=True)
    for array in (matrix, distinct, row_of):
        array.flags.writeable = False  # shared by every caller
    return ListingFeatures(matrix, distinct, row_of.reshape(-1))


def featurize(space: SearchSpace, batch: np.ndarray, encoding: str | Callable) -> np.ndarray:
    """Float32 matrix (n, d) of ``encoding`` ("a+b" concatenates; a callable maps batch -> matrix). Large
    batches of a small enumerable space are rows of its listing's encoding, computed once."""
    if isinstance(encoding, str) and encoding and isinstance(space, EnumerableSpace):
        listing = listing_features(space, encoding, build=len(batch) >= LISTING_MIN_BATCH)
        if listing is not None:
            return listing.matrix[np.asarray(space.index(batch))]
    return _featurize(space, batch, encoding)


def _featurize(space: SearchSpace, batch: np.ndarray, encoding: str | Callable) -> np.ndarray:
    if callable(encoding):
        out = np.asarray(encoding(batch), dtype=np.float32)
        return out.reshape(len(batch), -1)
    if not isinstance(encoding, str) or not encoding:
        raise ConfigError(f"encoding must be a name such as 'onehot' or 'onehot+path', got {encoding!r}")
    if encoding == "none":
        return np.zeros((len(batch), 0), dtype=np.float32)
    own = set(space.encodings())
    parts = []
    for name in encoding.split("+"):
        name = name.strip()
        if name in own:
            parts.append(space.encode(batch, name))
        elif f"{space.name}:{name}" in ENCODINGS:
            parts.append(ENCODINGS.get(f"{space.name}:{name}")(space, batch))
        else:
            raise UnknownNameError(f"encoding of space {space.name}", name, available_encodings(space))
    return parts[0] if len(parts) == 1 else np.hstack(parts).astype(np.float32, copy=False)


def benchmark_features(benchmark, columns: Sequence[tuple[str, int | None]], *, log: Sequence[str] = ()) -> FeatureFn:
    """A FeatureFn returning ``benchmark.query(batch, metric, fidelity)`` for each (metric, fidelity).

    Metrics named in ``log`` are passed through ``sign(x) * log1p(|x|)`` (proxy scores span
    orders of magnitude). Values missing in the benchmark come back NaN, which the predictor
    reports as an error naming the architectures' count.
    """
    cols = [(str(m), f) for m, f in columns]
    for metric, fid in cols:
        if metric not in benchmark.metrics:
            raise UnknownNameError(f"metric of {benchmark.name}/{benchmark.dataset}", metric, benchmark.metrics)
        if fid is not None and fid not in benchmark.fidelities:
            raise UnknownNameError(f"fidelity of {benchmark.name}/{benchmark.dataset}", fid, benchmark.fidelities)
    logged = set(log)

    def features(batch: np.ndarray) -> np.ndarray:
        out = np.empty((len(batch), len(cols)), dtype=np.float32)
        for j, (metric, fid) in enumerate(cols):
            v = benchmark.query_batch(batch, metric, fid)
            out[:, j] = np.sign(v) * np.log1p(np.abs(v)) if metric in logged else v
        return out

    features.__name__ = "benchmark[" + ",".join(f"{m}@{f}" if f else m for m, f in cols) + "]"
    features.columns = cols  # type: ignore[attr-defined]
    return features


# --------------------------------------------------------------------------- NB201 extras
_NB201_NONE, _NB201_SKIP, _NB201_C1, _NB201_C3, _NB201_POOL = 0, 1, 2, 3, 4


def nb201_live_mask(batch: np.ndarray) -> np.ndarray:
    """(n, 6) bool: edge is not ``none`` and lies on a path from the input to the output node."""
    on = np.asarray(batch) != _NB201_NONE
    e10, e20, e21, e30, e31, e32 = (on[:, i] for i in range(6))
    fwd1 = e10
    fwd2 = e20 | (fwd1 & e21)
    bwd2 = e32
    bwd1 = e31 | (e21 & bwd2)
    fwd = [np.ones(len(on), bool), fwd1, fwd2]
    bwd = [None, bwd1, bwd2, np.ones(len(on), bool)]
    # edges (to, from): (1,0) (2,0) (2,1) (3,0) (3,1) (3,2)
    pairs = ((1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2))
    return np.stack([on[:, i] & fwd[src] & bwd[to] for i, (to, src) in enumerate(pairs)], axis=1)


def _nb201_live(space: SearchSpace, batch: np.ndarray) -> np.ndarray:
    live = np.where(nb201_live_mask(batch), batch, _NB201_NONE)
    return space.encode(live.astype(np.int8), "onehot")


def _nb201_counts(space: SearchSpace, batch: np.ndarray) -> np.ndarray:
    """Live op counts, connectivity, conv depth along the longest path and the number of live paths."""
    live = nb201_live_mask(batch)
    ops = np.where(live, batch, _NB201_NONE)
    counts = [(ops == o).sum(axis=1) for o in (_NB201_SKIP, _NB201_C1, _NB201_C3, _NB201_POOL)]
    connected = live.any(axis=1)
    conv = (ops == _NB201_C1) | (ops == _NB201_C3)
    w3 = np.where(ops == _NB201_C3, 2.0, np.where(ops == _NB201_C1, 1.0, 0.0))
    routes = ((3,), (0, 4), (1, 5), (0, 2, 5))
    depth = np.zeros(len(ops))
    depth3 = np.zeros(len(ops))
    n_paths = np.zeros(len(ops))
    for route in routes:
        alive = live[:, route].all(axis=1)
        n_paths += alive
        depth = np.maximum(depth, np.where(alive, conv[:, route].sum(axis=1), 0))
        depth3 = np.maximum(depth3, np.where(alive, w3[:, route].sum(axis=1), 0))
    return np.stack([*counts, connected, depth, depth3, n_paths], axis=1).astype(np.float32)


def _nb201_canon(space: SearchSpace, batch: np.ndarray) -> np.ndarray:
    return space.encode(space.canonical(batch), "onehot")


ENCODINGS.add("nb201:live", _nb201_live)
ENCODINGS.add("nb201:counts", _nb201_counts)
ENCODINGS.add("nb201:canon", _nb201_canon)
