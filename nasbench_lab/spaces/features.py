"""The one featurization: a space's own encodings joined by ``+`` into a float32 matrix.

Every encoding belongs to its space (``space.encodings()`` lists them, ``space.encode`` computes
one; a space adds one in its ``_encoders``). ``featurize(space, batch, "onehot+path")`` joins
them for predictors and surrogates alike, and :func:`default_encoding` names the encoding each
model family does best with on a space (measured in docs/predictors.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.spaces.base import SearchSpace

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


def available_encodings(space: SearchSpace) -> list[str]:
    """Every encoding name ``featurize`` joins for ``space``: the space's own :meth:`~SearchSpace.encodings`."""
    return space.encodings()


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


def featurize(space: SearchSpace, batch: np.ndarray, encoding: str | Callable) -> np.ndarray:
    """Float32 matrix (n, d) of ``encoding`` ("a+b" concatenates, "none" is no column; a callable maps
    batch -> matrix)."""
    if callable(encoding):
        out = np.asarray(encoding(batch), dtype=np.float32)
        return out.reshape(len(batch), -1)
    if encoding == "none":
        return np.zeros((len(batch), 0), dtype=np.float32)
    parts = [space.encode(batch, name) for name in encoding_parts(space, encoding)]
    return parts[0] if len(parts) == 1 else np.hstack(parts).astype(np.float32, copy=False)
