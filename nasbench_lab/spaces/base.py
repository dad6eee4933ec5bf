"""SearchSpace: everything about architectures, nothing about data.

Architectures are small integer numpy arrays of shape ``space.arch_shape``; a batch
has one more leading axis. Every method is vectorized over the batch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError, InvalidArchitectureError, UnknownNameError

#: uniform-crossover draws per pair of parents before the child is a copy of a parent (see ``crossover``)
CROSSOVER_TRIES = 10


def positional_codes(batch: np.ndarray, base: int) -> np.ndarray:
    """Each row's digits read as one base-``base`` number (first column most significant).

    Integer arithmetic on purpose: exact for any batch, and no BLAS call on the query path; int32
    when every code fits (half the memory traffic of int64), else int64.
    """
    dtype = np.int32 if base ** batch.shape[1] < 2**31 else np.int64
    code = batch[:, 0].astype(dtype)
    for j in range(1, batch.shape[1]):
        code *= base
        code += batch[:, j].astype(dtype, copy=False)
    return code


def check_rng(space: str, rng: object) -> None:
    """Raises ConfigError unless ``rng`` is a numpy Generator (randomness is always explicit)."""
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"{space}: rng must be a numpy.random.Generator (e.g. np.random.default_rng(seed)), "
                          f"got {type(rng).__name__} {rng!r}")


def check_sample_args(space: str, rng: object, n: object) -> None:
    """Raises ConfigError unless ``rng`` is a Generator and ``n`` is None or an integer >= 0."""
    check_rng(space, rng)
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0):
        raise ConfigError(f"{space}: n must be None (one architecture) or an integer >= 0, got {n!r}")


class SearchSpace(ABC):
    """A discrete architecture space with vectorized sampling, mutation and encodings."""

    #: registry name, e.g. ``"nb201"``
    name: str = ""
    #: shape of one architecture array
    arch_shape: tuple[int, ...] = ()
    #: dtype of architecture arrays
    arch_dtype: np.dtype = np.dtype(np.int16)
    #: number of architectures when the space is enumerable, else ``None``
    size: int | None = None

    # ---------------------------------------------------------------- batching
    def as_batch(self, archs: object) -> tuple[np.ndarray, bool]:
        """Validates ``archs`` and returns ``(batch, was_single)`` with batch shaped (n, *arch_shape)."""
        arr = np.asarray(archs)
        if arr.size == 0 and arr.ndim == 1:  # [] or an empty array: an empty batch
            return np.zeros((0, *self.arch_shape), dtype=self.arch_dtype), False
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                arr = arr.astype(np.int64)
            else:
                raise InvalidArchitectureError(
                    f"{self.name}: architectures must be integer arrays of shape {self.arch_shape} "
                    f"(or a batch of them), got dtype {arr.dtype}"
                )
        nd = len(self.arch_shape)
        if arr.shape == self.arch_shape:
            batch, single = arr.reshape((1, *self.arch_shape)), True
        elif arr.ndim == nd + 1 and arr.shape[1:] == self.arch_shape:
            batch, single = arr, False
        else:
            raise InvalidArchitectureError(
                f"{self.name}: expected an architecture of shape {self.arch_shape} or a batch of shape "
                f"(n, {', '.join(map(str, self.arch_shape))}), got shape {arr.shape}"
            )
        self._check_values(batch)
        return batch, single

    def validate(self, archs: object) -> np.ndarray:
        """Returns ``archs`` as a validated batch; raises InvalidArchitectureError naming the problem."""
        return self.as_batch(archs)[0]

    @abstractmethod
    def _check_values(self, batch: np.ndarray) -> None:
        """Raises InvalidArchitectureError if any architecture of the batch is not in the space."""

    # --------------------------------------------------------------- sampling
    @abstractmethod
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Draws architectures uniformly (one if ``n`` is None, else a batch of ``n``)."""

    @abstractmethod
    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Returns one random neighbour of each architecture (a single small change)."""

    @abstractmethod
    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """All architectures one change away from ``arch``, as a batch."""

    def crossover(self, first: np.ndarray, second: np.ndarray, rng: np.random.Generator,
                  tries: int = CROSSOVER_TRIES) -> np.ndarray:
        """One child per pair of parents (two batches of equal length), always a member of the space.

        Uniform crossover of the parents' categorical choice rows (:meth:`categorical_choices`): each position
        comes from either parent with probability 1/2. A child that names no member (an NB101 graph that prunes
        to nothing valid or has too many edges, a combination a listed space lacks) is drawn again, and after
        ``tries`` draws it is a copy of one parent, drawn at random; so is every child in a space without a
        categorical parameterisation. A space with a better-suited operator overrides this.
        """
        check_rng(self.name, rng)
        a, b = self.validate(first), self.validate(second)
        if a.shape != b.shape:
            raise InvalidArchitectureError(f"{self.name}: crossover needs two batches of parents of equal length, "
                                           f"got {len(a)} and {len(b)}")
        if not len(a):
            return a.astype(self.arch_dtype, copy=True)
        pick_first = rng.random(len(a)) < 0.5
        out = np.where(pick_first.reshape(-1, *[1] * len(self.arch_shape)), a, b).astype(self.arch_dtype)
        try:
            rows_a, rows_b = self.to_categorical(a), self.to_categorical(b)
        except ConfigError:  # no categorical parameterisation: every child is a parent's copy
            return out
        pending = np.arange(len(a))
        for _ in range(tries):
            if not len(pending):
                break
            mask = rng.random(rows_a[pending].shape) < 0.5
            children, present = self.from_categorical(np.where(mask, rows_a[pending], rows_b[pending]))
            out[pending[present]] = children[present]
            pending = pending[~present]
        return out

    # -------------------------------------------------------------- encodings
    def encodings(self) -> list[str]:
        """Names accepted by :meth:`encode`."""
        return sorted(self._encoders())

    def encode(self, archs: np.ndarray, kind: str = "onehot") -> np.ndarray:
        """Feature matrix (n, d) float32 for predictors; ``kind`` is one of :meth:`encodings`."""
        encoders = self._encoders()
        if kind not in encoders:
            raise UnknownNameError(f"encoding of space {self.name}", kind, sorted(encoders))
        batch, _ = self.as_batch(archs)
        return encoders[kind](batch)

    @abstractmethod
    def _encoders(self) -> dict:
        """Maps encoding names to functions batch -> float32 matrix."""

    # ------------------------------------------------ categorical parameterisation
    # Optimizers that model one categorical choice per position (tpe, reinforce, bohb, optuna:*) use
    # these three methods only. Position j of a choice matrix holds 0..categorical_choices()[j] - 1.
    # A choice row need not name a member of the space (an NB101 graph with too many edges, the
    # NAS-Bench-Graph all-skip cell, a combination a listed space lacks): from_categorical flags such
    # rows as absent and the optimizer draws again (or a space may map them to a present member and
    # flag them present; optimizers learn from to_categorical of what was evaluated).
    def categorical_choices(self) -> tuple[int, ...]:
        """Number of choices at each position of the space's categorical parameterisation."""
        raise ConfigError(f"space {self.name} has no categorical parameterisation (categorical_choices); "
                          "tpe, reinforce, bohb and optuna:* cannot search it")

    def to_categorical(self, archs: object) -> np.ndarray:
        """(n, d) int64 choice matrix of a batch of architectures (inverse of :meth:`from_categorical`)."""
        raise ConfigError(f"space {self.name} has no categorical parameterisation (to_categorical)")

    def from_categorical(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(archs, present)`` for an (n, d) choice matrix; rows with ``present`` False name no member
        (their architecture row is a placeholder that must not be evaluated)."""
        raise ConfigError(f"space {self.name} has no categorical parameterisation (from_categorical)")

    # ---------------------------------------------------------------- strings
    @abstractmethod
    def to_string(self, arch: np.ndarray) -> str:
        """The official string notation of one architecture."""

    @abstractmethod
    def from_string(self, text: str) -> np.ndarray:
        """Parses the official string notation; raises InvalidArchitectureError on bad input."""

    # ----------------------------------------------------------- identities
    @abstractmethod
    def keys(self, archs: np.ndarray) -> np.ndarray:
        """One int64 key per architecture (for dedup and lookups): equal iff the architectures are the
        same member of the space, i.e. equal arrays, or equal canonical forms in spaces whose
        architectures are canonicalised on entry (NAS-Bench-Graph)."""

    def canonical(self, archs: np.ndarray) -> np.ndarray:
        """Representative of each architecture's isomorphism class (identity where none is defined)."""
        return self.validate(archs).copy()

    def describe(self) -> dict:
        """A JSON-able summary of the space."""
        return {"name": self.name, "arch_shape": list(self.arch_shape), "size": self.size,
                "encodings": self.encodings()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, size={self.size})"

    # ------------------------------------------------------------ derived tables
    def memo(self, key: Hashable, compute: Callable[[], Any] | None) -> Any:
        """``compute()`` once per space instance under ``key`` (a space never changes): tables derived from it,
        such as the encoding of its whole listing; with ``compute`` None, the table if it was built, else None.
        Not pickled: a worker process builds its own."""
        store = self.__dict__.setdefault("_memo", {})
        if key not in store:
            if compute is None:
                return None
            store[key] = compute()
        return store[key]

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("_memo", None)
        return state


class EnumerableSpace(SearchSpace):
    """A space small enough to list: architectures have an index in an official order."""

    size: int = 0

    @abstractmethod
    def index(self, archs: object) -> np.ndarray | int:
        """Official index of each architecture (an int for a single one)."""

    @abstractmethod
    def from_index(self, indices: int | Sequence[int] | np.ndarray) -> np.ndarray:
        """Architectures at the given official indices (one array for an int)."""

    def all(self) -> np.ndarray:
        """Every architecture, in official index order."""
        return self.from_index(np.arange(self.size))

    def check_indices(self, indices: object) -> np.ndarray:
        """Validates indices against the space size and returns them as int64."""
        idx = np.asarray(indices)
        if idx.size == 0:
            return idx.astype(np.int64)  # [] is an empty selection, whatever dtype numpy gave it
        if idx.dtype.kind == "O" and all(isinstance(i, int) for i in idx.ravel()):  # beyond 64 bits
            bad = next(i for i in idx.ravel() if not 0 <= i < self.size)
            raise InvalidArchitectureError(f"{self.name}: index {bad} out of range; accepted: 0 to {self.size - 1}")
        if idx.dtype.kind not in "iu":
            raise InvalidArchitectureError(f"{self.name}: indices must be integers, got dtype {idx.dtype}")
        if idx.min() < 0 or idx.max() >= self.size:  # before the cast: 2**63 as uint64 must not wrap
            bad = idx[(idx < 0) | (idx >= self.size)].ravel()[0]
            raise InvalidArchitectureError(
                f"{self.name}: index {bad} out of range; accepted: 0 to {self.size - 1}"
            )
        return idx.astype(np.int64, copy=False)

    def keys(self, archs: np.ndarray) -> np.ndarray:
        return np.atleast_1d(np.asarray(self.index(archs), dtype=np.int64))

    def key_columns(self) -> dict[str, Callable[[list[str]], np.ndarray]]:
        """Table key columns this space understands, each mapping cell texts to official indices."""
        return {"index": self._indices_from_texts, "arch_str": self._indices_from_strings}

    def key_of(self, arch: np.ndarray, key: str) -> str:
        """The text of ``arch`` in key column ``key`` (inverse of :meth:`key_columns`)."""
        if key == "index":
            return str(self.index(arch))
        if key == "arch_str":
            return self.to_string(arch)
        raise UnknownNameError(f"key column of space {self.name}", key, list(self.key_columns()))

    def _indices_from_texts(self, texts: list[str]) -> np.ndarray:
        try:
            values = np.array([int(t) for t in texts], dtype=np.int64)
        except ValueError as exc:
            raise InvalidArchitectureError(f"{self.name}: index column holds a non-integer: {exc}") from None
        return self.check_indices(values)

    def _indices_from_strings(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.int64)
        return np.atleast_1d(np.asarray(self.index(np.stack([self.from_string(t) for t in texts])), dtype=np.int64))
