"""The one featurization: a space's own encodings joined by ``+`` into a float32 matrix.

Every encoding belongs to its space (``space.encodings()`` lists them, ``space.encode`` computes
one; a space adds one in its ``_encoders``). ``featurize(space, batch, "onehot+path")`` joins
them for predictors and surrogates alike, and :func:`default_encoding` names the encoding each
model family does best with on a space (measured in docs/predictors.md). A small listed space keeps
each encoding of its whole listing once (:func:`listing_features`), so large batches and every batch
after them are row lookups, and a predictor can score each distinct row once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace

#: per space, the encoding each model family does best with (measured in docs/predictors.md)
PREFERRED_ENCODINGS: dict[str, dict[str, str]] = {
    "nb201": {"tree": "onehot+live+counts", "mlp": "path+live+counts", "kernel": "live+counts"},
}


def first_offered(space: SearchSpace, preferences: Sequence[str]) -> str:
    """The first of ``preferences`` that ``space`` offers, else the space's first encoding."""
    offered = space.encodings()
    return next((name for name in preferences if name in offered), offered[0])


def default_encoding(space: SearchSpace, family: str = "tree") -> str:
    """The preferred encoding of ``space`` for a model ``family`` (tree, mlp, kernel); else one-hot."""
    return PREFERRED_ENCODINGS.get(space.name, {}).get(family) or first_offered(space, ("onehot",))


def encoding_parts(space: SearchSpace, encoding: str) -> list[str]:
    """The names an ``"a+b"`` encoding joins; UnknownNameError naming the space's encodings for a bad one."""
    if not isinstance(encoding, str) or not encoding:
        raise ConfigError(f"encoding must be a name such as 'onehot' or 'onehot+path', got {encoding!r}")
    offered = space.encodings()
    parts = [name.strip() for name in encoding.split("+")]
    for name in parts:
        if name not in offered:
            raise UnknownNameError(f"encoding of space {space.name}", name, offered)
    return parts


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
    matrix = compute_features(space, space.all(), encoding)
    distinct, row_of = np.unique(matrix, axis=0, return_inverse=True)
    for array in (matrix, distinct, row_of):
        array.flags.writeable = False  # shared by every caller
    return ListingFeatures(matrix, distinct, row_of.reshape(-1))


def featurize(space: SearchSpace, batch: np.ndarray, encoding: str | Callable) -> np.ndarray:
    """Float32 matrix (n, d) of ``encoding`` ("a+b" concatenates, "none" is no column; a callable maps
    batch -> matrix). Rows of the listing's encoding (:func:`listing_features`) where the space keeps one."""
    if isinstance(encoding, str) and encoding not in ("", "none") and isinstance(space, EnumerableSpace):
        listing = listing_features(space, encoding, build=len(batch) >= LISTING_MIN_BATCH)
        if listing is not None:
            return listing.matrix[np.asarray(space.index(batch))]
    return compute_features(space, batch, encoding)


def compute_features(space: SearchSpace, batch: np.ndarray, encoding: str | Callable) -> np.ndarray:
    """:func:`featurize` computed from the batch itself, never from the listing."""
    if callable(encoding):
        out = np.asarray(encoding(batch), dtype=np.float32)
        return out.reshape(len(batch), -1)
    if encoding == "none":
        return np.zeros((len(batch), 0), dtype=np.float32)
    parts = [space.encode(batch, name) for name in encoding_parts(space, encoding)]
    return parts[0] if len(parts) == 1 else np.hstack(parts).astype(np.float32, copy=False)
