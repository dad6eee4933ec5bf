"""Shared bookkeeping for predictor-guided search: data, visited set, candidate pools, a proposal queue.

Subclasses implement ``_next_batch`` (fit a predictor on the results so far, pick what to
evaluate next). Predictors come from :mod:`nasbench_lab.predictors` by name, so any registered
predictor (or a user's own) can drive BANANAS, GBDT or neural-predictor search.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import RANDOM_DRAW_TRIES, Optimizer, SearchProblem, positive_int
from nasbench_lab.spaces.base import EnumerableSpace

if TYPE_CHECKING:  # (predictors are imported when first used: they pull in xgboost)
    from nasbench_lab.predictors.base import Predictor

#: enumerable spaces up to this size are scored whole instead of through a random pool
WHOLE_SPACE_LIMIT = 50_000
#: candidate batches up to this size are filtered for visited ones in a Python loop, larger ones with arrays
SMALL_BATCH = 64


def supported_encoding(space, preferred: str) -> str:
    """``preferred`` (``"a+b"`` joins encodings) when the space supports every part, else its default one."""
    from nasbench_lab.spaces.features import default_encoding

    have = set(space.encodings())
    return preferred if all(part in have for part in preferred.split("+")) else default_encoding(space, "mlp")


class ModelBasedSearch(Optimizer):
    """Random architectures until ``num_init`` results are in, then batches chosen by ``_next_batch``."""

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, num_init: int, predictor: str,
                 predictor_params: Mapping | None, encoding: str | None, warm_start: bool = False):
        super().__init__(problem, rng)
        from nasbench_lab.predictors import PREDICTORS  # deferred: predictors pull in xgboost

        owner = type(self).name
        self.num_init = positive_int(owner, "num_init", num_init, 2)
        #: results with a value needed before a model round (a predictor's minimum, and parents to mutate): in a
        #: constrained run infeasible results have none, so the random start goes on until there are enough
        self.min_fit = max(2, PREDICTORS.get(predictor).min_train)  # unknown names fail here, listing the accepted
        if predictor_params is not None and not isinstance(predictor_params, Mapping):
            raise ConfigError(f"{owner}: predictor_params must be a table of predictor parameters, "
                              f"got {predictor_params!r}")
        self.predictor = predictor
        self.predictor_params = dict(predictor_params or {})
        if encoding is not None:
            self.predictor_params["encoding"] = supported_encoding(self.space, encoding)
        self._visited: set[int] = set()
        self._archs: list[np.ndarray] = []
        self._values: list[float] = []
        self._n_finite = 0  # told values that are finite
        self._queue = self.empty()  # proposals not handed out yet, in order (rows from ``_next``)
        self._next = 0
        self._handed_out = 0  # architectures ask has returned so far
        self._every: np.ndarray | None = None  # the whole space, when it is small and enumerable
        self._every_keys: np.ndarray | None = None
        if not isinstance(warm_start, bool):
            raise ConfigError(f"{owner}: warm_start must be true or false, got {warm_start!r}")
        self.warm_start = warm_start
        self._model: Predictor | None = None  # the last fitted predictor, for warm starts

    # ------------------------------------------------------------------ ask/tell
    def ask(self, n: int) -> np.ndarray:
        if self._next + n <= len(self._queue):  # the common case: handed out from the queue, no new batch
            out = self._queue[self._next: self._next + n]
            self._next += n
            self._handed_out += n
            return out
        parts: list[np.ndarray] = []
        got = 0
        while got < n:
            if self._next >= len(self._queue):
                if len(self._values) < self.num_init or self._n_finite < self.min_fit:  # the random start, in one draw
                    batch = self.fresh_random(max(n - got, self.num_init - self._handed_out - got))
                else:
                    self.start_round()
                    batch = self._as_rows(self._next_batch())
                    if not len(batch):
                        batch = self.fresh_random(n - got)
                self._queue, self._next = batch, 0
                if not len(batch):
                    break
            part = self._queue[self._next: self._next + n - got]
            self._next += len(part)
            parts.append(part)
            got += len(part)
        self._handed_out += got
        return np.concatenate(parts) if parts else self.empty()

    def _as_rows(self, batch: np.ndarray | list[np.ndarray]) -> np.ndarray:
        """A batch from ``_next_batch`` as one array (a subclass may still return a list of rows)."""
        if isinstance(batch, np.ndarray):
            return batch
        return np.stack(batch) if len(batch) else self.empty()

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        self._archs.extend(archs)
        start = len(self._values)
        self._values.extend(float(v) for v in values)
        self._n_finite += sum(map(math.isfinite, self._values[start:]))

    def start_round(self) -> None:
        """Called before each model round (``_next_batch``): nothing here; ParEGO draws its new weights."""

    @abstractmethod
    def _next_batch(self) -> np.ndarray:
        """The next architectures to evaluate, one per row (already marked visited); empty when none is left."""

    # ------------------------------------------------------------------ helpers
    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Evaluated architectures and their values, those without a value left out."""
        y = np.asarray(self._values)
        keep = np.isfinite(y)
        return np.stack(self._archs)[keep], y[keep]

    def fit(self, params: Mapping | None = None) -> Predictor:
        """A predictor fitted on the results so far (a fresh seed drawn from this run's rng).

        With ``warm_start`` a predictor that can (``warm_from``: the MLP ensemble, xgboost) starts from the last
        fitted one and trains less (``warm_epochs`` / ``warm_trees``) instead of from scratch."""
        from nasbench_lab.predictors import make_predictor

        X, y = self.data()
        seed = int(self.rng.integers(2**31 - 1))
        model = make_predictor(self.predictor, self.space, random_state=seed, **{**self.predictor_params,
                                                                                   **dict(params or {})})
        if self.warm_start and self._model is not None and hasattr(model, "warm_from"):
            model.warm_from(self._model)
        self._model = model.fit(X, y)
        return self._model

    def unvisited(self, cands: np.ndarray, mark: bool = True) -> np.ndarray:
        """Candidates not proposed before (first occurrence of each, in order); marks them visited if ``mark``."""
        out = cands[self._unvisited_index(cands)]
        if mark:
            self.mark(out)
        return out

    def _unvisited_index(self, cands: np.ndarray) -> np.ndarray:
        """Positions of the first occurrence of each candidate not visited yet, in order."""
        keys = np.asarray(self.space.keys(cands), dtype=np.int64)
        if len(keys) <= SMALL_BATCH:  # a loop beats the array calls' overhead for a handful
            out, seen = [], set()
            for i, key in enumerate(keys.tolist()):
                if key not in self._visited and key not in seen:
                    seen.add(key)
                    out.append(i)
            return np.asarray(out, dtype=np.intp)
        _, first = np.unique(keys, return_index=True)
        first.sort()
        if self._visited:
            first = first[~np.isin(keys[first], self._visited_keys())]
        return first

    def _visited_keys(self) -> np.ndarray:
        return np.fromiter(self._visited, dtype=np.int64, count=len(self._visited))

    def fresh_random(self, k: int) -> np.ndarray:
        """``k`` random unvisited architectures, marked visited; fewer only when the space has fewer left.

        A random draw can repeat a visited architecture; an empty answer would end the run early, so
        draws are retried, and an enumerable space that keeps repeating lists its remaining cells."""
        parts: list[np.ndarray] = []
        got = 0
        for _ in range(RANDOM_DRAW_TRIES):
            if got >= k:
                return np.concatenate(parts)
            parts.append(self.unvisited(self.space.sample(self.rng, k - got)))
            got += len(parts[-1])
        if isinstance(self.space, EnumerableSpace):
            if got < k:  # fewer than k left only when the space is nearly exhausted
                every = self.space.all()
                rest = every[~np.isin(self.space.keys(every), self._visited_keys())]
                parts.append(self.unvisited(rest[self.rng.permutation(len(rest))[: k - got]]))
            return np.concatenate(parts) if parts else self.empty()
        while got < k:  # a space that cannot be listed is never exhausted by a search budget
            parts.append(self.unvisited(self.space.sample(self.rng, k - got)))
            got += len(parts[-1])
        return np.concatenate(parts)

    def take(self, ranked: np.ndarray, k: int) -> np.ndarray:
        """The first ``k`` distinct unvisited architectures of ``ranked``, marked visited."""
        return self.take_head(ranked, k)[0]

    def take_head(self, ranked: np.ndarray, k: int) -> tuple[np.ndarray, int]:
        """:meth:`take`, and how many leading rows of ``ranked`` are now used up (picked or already visited)."""
        index = np.zeros(0, dtype=np.intp)
        start, chunk = 0, 4 * k
        while len(index) < k and start < len(ranked):  # keys only for the head of a long ranking
            index = self._unvisited_index(ranked[: start + chunk])[:k]
            start, chunk = start + chunk, chunk * 4
        picked = ranked[index]
        self.mark(picked)
        return picked, (int(index[-1]) + 1 if len(index) == k else len(ranked))

    def mark(self, archs: np.ndarray) -> None:
        """Marks ``archs`` (one per row) visited."""
        if len(archs):
            self._visited.update(self.space.keys(archs).tolist())

    def candidate_pool(self, size: int | None) -> np.ndarray:
        """Unvisited architectures to score: a random sample of ``size``, or (``None``) the whole space
        when it is enumerable and small (else a random sample of WHOLE_SPACE_LIMIT)."""
        if size is None and isinstance(self.space, EnumerableSpace) and self.space.size <= WHOLE_SPACE_LIMIT:
            if self._every is None or self._every_keys is None:  # (both are set together)
                self._every = self.space.all()
                self._every_keys = self.space.keys(self._every)
            return self._every[~np.isin(self._every_keys, self._visited_keys())]
        return self.unvisited(self.space.sample(self.rng, size or WHOLE_SPACE_LIMIT), mark=False)

    def mutation_pool(self, parents: np.ndarray, size: int, max_mutations: int = 1) -> np.ndarray:
        """``size`` mutants of ``parents`` (cycled), each mutated 1..max_mutations times; unvisited ones only."""
        out = parents[np.arange(size) % len(parents)]
        steps = self.rng.integers(1, max_mutations + 1, size=size)
        for step in range(1, max_mutations + 1):
            mutated = self.space.mutate(out, self.rng)
            out = np.where((steps >= step).reshape(-1, *[1] * (out.ndim - 1)), mutated, out)
        return self.unvisited(out, mark=False)

    def top(self, k: int) -> np.ndarray:
        """The ``k`` best evaluated architectures, best first."""
        X, y = self.data()
        return X[np.argsort(-y, kind="stable")[:k]]
