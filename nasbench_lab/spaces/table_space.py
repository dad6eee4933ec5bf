"""TableSpace: a space built from a results file's ``arch:`` columns (no code for a new table).

Each column is a categorical choice; an architecture is one choice code per column (int16). When
every combination of choices is present the space is their complete product (index = the mixed-radix
number of the codes, first column most significant); otherwise it is a *listed* space whose members
are exactly the combinations present, indexed in that same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from nasbench_lab.errors import ConfigError, InvalidArchitectureError
from nasbench_lab.spaces.base import EnumerableSpace

#: separators of the string notation ``name=value|name=value``
_FIELD_SEP, _VALUE_SEP = "|", "="


class TableSpace(EnumerableSpace):
    """Product (or listed subset) of categorical columns; every method vectorized over the batch."""

    arch_dtype = np.dtype(np.int16)

    def __init__(self, name: str, columns: Sequence[tuple[str, Sequence[str]]], members: np.ndarray | None = None):
        if not columns:
            raise ConfigError(f"{name}: a table space needs at least one arch: column")
        self.name = name
        self.columns = tuple((str(c), tuple(str(v) for v in choices)) for c, choices in columns)
        if any(not choices for _, choices in self.columns):
            raise ConfigError(f"{name}: every arch: column needs at least one choice")
        self.arch_shape = (len(self.columns),)
        self._sizes = np.array([len(ch) for _, ch in self.columns], dtype=np.int64)
        if self._sizes.max() > np.iinfo(np.int16).max:
            raise ConfigError(f"{name}: a column has more than {np.iinfo(np.int16).max} choices")
        self._min_size = int(self._sizes.min())
        product = int(np.prod(self._sizes.astype(object)))  # Python integers: refused before int64 could overflow
        if product >= 2**62:
            raise ConfigError(f"{name}: {product} combinations of choices is more than this space can index")
        self.product_size = product
        self._place = np.ones(len(self.columns), dtype=np.int64)
        for j in range(len(self.columns) - 2, -1, -1):
            self._place[j] = self._place[j + 1] * self._sizes[j + 1]
        codes = None if members is None else np.unique(self._mixed_codes(np.asarray(members, dtype=np.int64)))
        self.listed = codes is not None and len(codes) < product
        #: sorted codes of a listed space's members; empty for a complete product (which never reads them)
        self._codes: np.ndarray = codes if self.listed and codes is not None else np.zeros(0, dtype=np.int64)
        self.size = int(len(self._codes)) if self.listed else product

    # ---------------------------------------------------------------- public
    def choice_columns(self) -> list[tuple[str, tuple[str, ...]]]:
        """Each architecture position's name and its choices in code order (the file's arch: columns)."""
        return list(self.columns)

    # ------------------------------------------------ categorical parameterisation
    def categorical_choices(self) -> tuple[int, ...]:
        """One choice per arch: column: the architecture array itself."""
        return tuple(int(n) for n in self._sizes)

    def to_categorical(self, archs: object) -> np.ndarray:
        return self.as_batch(archs)[0].astype(np.int64)

    def from_categorical(self, choices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A combination the table does not list (a listed space) comes back with ``present`` False and the
        first member as its placeholder row."""
        rows = np.asarray(choices, dtype=np.int64).reshape(-1, len(self.columns))
        if rows.size and (rows.min() < 0 or (rows >= self._sizes[None, :]).any()):
            self._check_values(rows)  # raises, naming the column and its accepted codes
        if not self.listed:
            return rows.astype(self.arch_dtype), np.ones(len(rows), dtype=bool)
        present = self._present(self._mixed_codes(rows))
        archs = np.where(present[:, None], rows, self._from_codes(self._codes[:1]))
        return archs.astype(self.arch_dtype), present

    def definition(self) -> dict:
        """What rebuilds this space (with :meth:`members`): its name and columns."""
        return {"name": self.name, "columns": [[c, list(ch)] for c, ch in self.columns]}

    def members(self) -> np.ndarray | None:
        """Every member of a listed space, in index order (None for a complete product)."""
        return None if not self.listed else self._from_codes(self._codes)

    # ---------------------------------------------------------------- checks
    def _mixed_codes(self, batch: np.ndarray) -> np.ndarray:
        """Mixed-radix number of each row (first column most significant), integer arithmetic only."""
        dtype = np.int32 if self.product_size < 2**31 else np.int64
        code = batch[:, 0].astype(dtype)
        for j in range(1, batch.shape[1]):
            code *= self._sizes[j]
            code += batch[:, j]
        return code

    def _from_codes(self, codes: np.ndarray) -> np.ndarray:
        return ((codes[:, None] // self._place[None, :]) % self._sizes[None, :]).astype(self.arch_dtype)

    def _check_values(self, batch: np.ndarray) -> None:
        if not batch.size:
            return
        if batch.min() < 0 or (batch.max() >= self._min_size and (batch.max(axis=0) >= self._sizes).any()):
            bad = ((batch < 0) | (batch >= self._sizes[None, :])).any(axis=1)
            row = batch[bad][0]
            j = int(np.flatnonzero((row < 0) | (row >= self._sizes))[0])
            raise InvalidArchitectureError(
                f"{self.name}: code {int(row[j])} of column {self.columns[j][0]!r} out of range; accepted: "
                f"0..{self._sizes[j] - 1} ({', '.join(self.columns[j][1])})")
        if self.listed:
            present = self._present(self._mixed_codes(batch))
            if not present.all():
                row = batch[~present][0]
                raise InvalidArchitectureError(f"{self.name}: {self._text(row)} is not one of the {self.size} "
                                               "architectures the table lists")

    def _present(self, codes: np.ndarray) -> np.ndarray:
        pos = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
        return self._codes[pos] == codes

    # --------------------------------------------------------------- indices
    @cached_property
    def _index_of_bytes(self) -> dict[bytes, int]:
        """Single-architecture fast path: the bytes of an int16 array -> index (spaces up to 2**20 members)."""
        return {row.tobytes(): i for i, row in enumerate(self.all())} if self.size <= 2**20 else {}

    def index(self, archs: object) -> np.ndarray | int:
        if type(archs) is np.ndarray and archs.dtype == self.arch_dtype and archs.shape == self.arch_shape:
            hit = self._index_of_bytes.get(archs.tobytes())
            if hit is not None:
                return hit
        batch, single = self.as_batch(archs)
        codes = self._mixed_codes(batch)
        idx = np.searchsorted(self._codes, codes) if self.listed else codes
        return int(idx[0]) if single else idx

    def from_index(self, indices: object) -> np.ndarray:
        idx = self.check_indices(indices)
        flat = np.atleast_1d(idx)
        out = self._from_codes(self._codes[flat] if self.listed else flat)
        return out[0] if np.ndim(idx) == 0 else out

    # -------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform over the members (listed) or over each column independently (product)."""
        count = 1 if n is None else n
        if self.listed:
            out = self._from_codes(self._codes[rng.integers(0, self.size, size=count)])
        else:
            out = (rng.random((count, len(self._sizes))) * self._sizes).astype(self.arch_dtype)
        return out[0] if n is None else out

    def _candidates(self, base: np.ndarray) -> np.ndarray:
        """Every single-column change of each architecture: (n, changes, columns), product-space members."""
        changes = [(j, s) for j, size in enumerate(self._sizes) for s in range(1, int(size))]
        out = np.repeat(base[:, None, :], len(changes), axis=1)
        for k, (j, shift) in enumerate(changes):
            out[:, k, j] = (base[:, j] + shift) % self._sizes[j]
        return out

    def mutate(self, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One uniformly drawn present neighbour of each architecture; an architecture without any present
        neighbour (only possible in a listed space) moves to a uniformly drawn other member instead."""
        batch, single = self.as_batch(archs)
        cands = self._candidates(batch.astype(self.arch_dtype))
        if not cands.shape[1]:  # every column has one choice: nothing to change
            return batch[0].copy() if single else batch.copy()
        ok = np.ones(cands.shape[:2], dtype=bool)
        if self.listed:
            ok = self._present(self._mixed_codes(cands.reshape(-1, cands.shape[2]))).reshape(ok.shape)
        counts = ok.sum(axis=1)
        pick = (rng.random(len(batch)) * np.maximum(counts, 1)).astype(np.int64)
        order = np.argsort(~ok, axis=1, kind="stable")  # present candidates first
        out = cands[np.arange(len(batch)), order[np.arange(len(batch)), pick]]
        lonely = counts == 0
        if lonely.any():
            out[lonely] = self._jump(batch[lonely], rng)
        return out[0] if single else out

    def _jump(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A uniformly drawn member other than each architecture (itself when it is the only member)."""
        own = np.searchsorted(self._codes, self._mixed_codes(batch))
        if self.size == 1:
            return batch.copy()
        draw = rng.integers(0, self.size - 1, size=len(batch))
        return self._from_codes(self._codes[draw + (draw >= own)])

    def neighbours(self, arch: np.ndarray) -> np.ndarray:
        """Every present architecture one column change away (an empty batch when there is none)."""
        batch, _ = self.as_batch(arch)
        cands = self._candidates(batch[:1].astype(self.arch_dtype))[0]
        if self.listed and len(cands):
            cands = cands[self._present(self._mixed_codes(cands))]
        return cands

    # -------------------------------------------------------------- encodings
    def _encoders(self) -> dict:
        return {"onehot": self._onehot, "index": self._index_feature}

    def _onehot(self, batch: np.ndarray) -> np.ndarray:
        offsets = np.concatenate([[0], np.cumsum(self._sizes)[:-1]])
        out = np.zeros((len(batch), int(self._sizes.sum())), dtype=np.float32)
        np.put_along_axis(out, offsets[None, :] + batch.astype(np.int64), 1.0, axis=1)
        return out

    def _index_feature(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self.index(batch), dtype=np.float32).reshape(-1, 1)

    # ---------------------------------------------------------------- strings
    def _text(self, row: np.ndarray) -> str:
        return _FIELD_SEP.join(f"{c}{_VALUE_SEP}{ch[int(v)]}" for (c, ch), v in zip(self.columns, row))

    def to_string(self, arch: np.ndarray) -> str:
        """``name=value|name=value`` in column order."""
        batch, single = self.as_batch(arch)
        if not single:
            raise InvalidArchitectureError(f"{self.name}: to_string takes one architecture")
        return self._text(batch[0])

    def from_string(self, text: str) -> np.ndarray:
        expected = _FIELD_SEP.join(f"{c}{_VALUE_SEP}..." for c, _ in self.columns)
        parts = text.split(_FIELD_SEP) if isinstance(text, str) else []
        if len(parts) != len(self.columns):
            raise InvalidArchitectureError(f"{self.name}: {text!r} is not of the form {expected}")
        out = np.empty(len(self.columns), dtype=self.arch_dtype)
        for j, (part, (column, choices)) in enumerate(zip(parts, self.columns)):
            name, sep, value = part.partition(_VALUE_SEP)
            if not sep or name != column:
                raise InvalidArchitectureError(f"{self.name}: {text!r} is not of the form {expected}")
            if value not in choices:
                raise InvalidArchitectureError(f"{self.name}: {value!r} is not a choice of column {column!r}; "
                                               f"accepted: {', '.join(choices)}")
            out[j] = choices.index(value)
        self.validate(out)
        return out

    def describe(self) -> dict:
        return {**super().describe(), "kind": "listed" if self.listed else "product",
                "columns": {c: list(ch) for c, ch in self.columns}}
