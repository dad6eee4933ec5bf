"""Per-query lookups of one run: search values (online), costs, report values and, for a multi-objective or
constrained run, every objective's value and the constraint violation (what the optimizer is told)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark, SeedChoice
from nasbench_lab.benchmarks.metric_choice import resolve_metrics
from nasbench_lab.errors import ConfigError
from nasbench_lab.metrics import higher_is_better
from nasbench_lab.results.objectives import Objectives
from nasbench_lab.spaces.base import EnumerableSpace

VALID_SEEDS = ("random", "mean")


def search_fidelities(benchmark: Benchmark, metric: str | None = None) -> tuple[int, ...]:
    """Fidelities at which the search metric (default: the benchmark's) has values."""
    return tuple(int(f) for f in benchmark.metric_fidelities(metric or benchmark.search_metric))


class TableEvaluator:
    """Search values (online), costs and report values of a benchmark for one run."""

    def __init__(self, bench: Benchmark, fidelity: int | None, valid_seed: str | int, noise: np.random.Generator,
                 metrics: tuple[str, str | None] | None = None, directions: Mapping[str, str] | None = None):
        self.metric, self.report_metric = metrics or resolve_metrics(bench)
        fids = search_fidelities(bench, self.metric)
        if fidelity is not None and fidelity not in fids:
            raise ConfigError(f"{bench.name}/{bench.dataset} has no {self.metric} values at fidelity "
                              f"{fidelity!r}; fidelities with values: {', '.join(map(str, fids)) or 'none'}")
        self.bench = bench
        self.fidelity = int(fidelity) if fidelity is not None else (fids[-1] if fids else None)
        self.sign = 1.0 if higher_is_better(self.metric, directions) else -1.0
        if valid_seed == "random":
            self.seed: SeedChoice = noise
        elif valid_seed == "mean" or (isinstance(valid_seed, int) and not isinstance(valid_seed, bool)
                                      and valid_seed >= 0):
            self.seed = valid_seed
        else:
            raise ConfigError(f"valid_seed must be 'random' (one training seed drawn per query), 'mean' or a seed "
                              f"index >= 0, got {valid_seed!r}")
        try:
            bench.cost(bench.space.sample(np.random.default_rng(0), 1), self.fidelity)
            self.has_cost = True
        except ConfigError:
            self.has_cost = False
        # per-architecture arrays giving exactly bench.query's values without its per-call checks (tables);
        # a duck-typed stand-in that is no Benchmark gets the plain path (its lookups may mean other metrics)
        # (lookups are by official index, so only an enumerable space has them)
        fast = None
        space = bench.space
        if isinstance(bench, Benchmark) and isinstance(space, EnumerableSpace) and valid_seed in VALID_SEEDS \
                and self.fidelity is not None:
            fast = bench.search_lookup(self.metric, self.fidelity, str(valid_seed))
        self._indexed: EnumerableSpace | None = space if fast is not None and isinstance(space, EnumerableSpace) \
            else None
        self._noise = noise  # the packed lookup exists only for valid_seed "random", whose seed is this generator
        self._column = fast.column if fast is not None else None
        self._packed = fast.packed if fast is not None else None
        self._n_present = fast.n_present if fast is not None else None

    @property
    def indexed_space(self) -> EnumerableSpace | None:
        """The listed space whose official index the per-architecture lookups use (None: no fast lookup)."""
        return self._indexed

    @property
    def fixed_column(self) -> np.ndarray | None:
        """The search value of every architecture by official index, where one value per architecture is all
        there is (a cost, a size, a seed mean); None where values are drawn per query or looked up otherwise."""
        return self._column if self._indexed is not None else None

    def search_one(self, arch: np.ndarray) -> float:
        """The search value of one architecture at the default fidelity (a fast path for tabular spaces)."""
        space = self._indexed
        if space is not None:
            if self._column is not None:
                return float(self._column[space.index(arch)])
            if self._packed is not None and self._n_present is not None:
                i = int(space.index(arch))
                return float(self._packed[i, int(self._noise.random() * self._n_present[i])])
        return float(self.search(arch[None], None)[0])

    def search(self, archs: np.ndarray, fids: np.ndarray | None) -> np.ndarray:
        if fids is None:
            return self.bench.query_batch(archs, self.metric, self.fidelity, self.seed)
        out = np.empty(len(archs))
        for f in np.unique(fids):  # sorted order: the noise draws do not depend on proposal order per fidelity
            mask = fids == f
            out[mask] = self.bench.query_batch(archs[mask], self.metric, int(f), self.seed)
        return out

    def cost(self, archs: np.ndarray, fids: np.ndarray) -> np.ndarray:
        if not self.has_cost:
            return np.ones(len(archs))
        out = np.empty(len(archs))
        for f in np.unique(fids):
            mask = fids == f
            out[mask] = self.bench.cost(archs[mask], int(f))
        return out

    def score_one(self, value: float) -> float:
        return self.sign * value if value == value and abs(value) != np.inf else -np.inf

    def score(self, values: np.ndarray) -> np.ndarray:
        """What the optimizer is told: higher is better, -inf where the table has no value."""
        return np.where(np.isfinite(values), self.sign * values, -np.inf)

    @property
    def has_report(self) -> bool:
        return self.report_metric is not None

    def report(self, archs: np.ndarray) -> np.ndarray:
        """Report values (NaN throughout when the benchmark has no report metric, e.g. a validation-only surrogate)."""
        if not len(archs) or self.report_metric is None:  # i.e. not self.has_report
            return np.full(len(archs), np.nan)
        return self.bench.query_batch(archs, self.report_metric)


class ObjectiveEvaluator:
    """Every objective's value and the constraint violation of each query of a multi-objective or constrained run,
    and what the optimizer is told from them; records them in the order results arrive.

    The first objective is the run's search metric (its value comes from the run's TableEvaluator, so the seed
    drawn for it is the one recorded as ``valid``); the others and the constraint metrics are looked up with
    their own evaluators (fast per-architecture columns on tables). A query that violates a constraint or lacks
    a value is told ``-inf`` (in every column for a multi-objective optimizer): infeasible queries spend budget
    but never become an incumbent.
    """

    def __init__(self, search: TableEvaluator, objectives: Objectives, valid_seed: str | int,
                 noise: np.random.Generator, multi_objective_optimizer: bool):
        self.objectives = objectives
        self.signs = np.where(np.asarray(objectives.higher), 1.0, -1.0)
        bench = search.bench
        fid = search.fidelity

        def evaluator(name: str) -> TableEvaluator:
            fids = search_fidelities(bench, name)
            return TableEvaluator(bench, fid if fid in fids else None, valid_seed, noise, (name, None))

        self._others = [evaluator(n) for n in objectives.names[1:]]
        self._limits = [(c, evaluator(c.metric)) for c in objectives.constraints]
        # on a table whose other objectives and constraint metrics are fixed columns (costs, sizes, seed means),
        # one index lookup gives a query's whole outcome
        lookups = [e for e in self._others] + [e for _, e in self._limits]
        columns = [e.fixed_column for e in lookups]
        self._space = search.indexed_space if all(c is not None for c in columns) else None
        self._rows: np.ndarray | None = None
        self._total: np.ndarray | None = None
        if self._space is not None:
            cols = [c for c in columns if c is not None]
            self._rows = np.column_stack(cols[:len(self._others)]) if self._others else np.zeros((0, 0))
            self._total = np.zeros(self._space.size)
            for (c, _), col in zip(self._limits, cols[len(self._others):]):
                self._total = self._total + c.violation(col)
        self._matrix = multi_objective_optimizer
        self.rows: list[np.ndarray] = []
        self.violations: list[float] = []
        self._pending: dict[int, tuple[np.ndarray, float]] = {}

    def evaluate(self, archs: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(objective matrix, violation)`` of ``archs`` whose first objective's raw values are ``first``."""
        if len(archs) == 1 and self._space is not None and self._rows is not None and self._total is not None:
            i = int(self._space.index(archs[0]))
            values = np.empty((1, self.objectives.n))
            values[0, 0] = first[0]
            if self._others:
                values[0, 1:] = self._rows[i]
            return values, (self._total[i:i + 1] if self._limits else np.zeros(1))
        if len(archs) == 1:
            row = [float(first[0])] + [e.search_one(archs[0]) for e in self._others]
            values = np.array([row])
            one = sum((float(c.violation(np.array([e.search_one(archs[0])]))[0]) for c, e in self._limits), 0.0)
            return values, np.array([one])
        values = np.column_stack([first] + [e.search(archs, None) for e in self._others])
        total = np.zeros(len(archs))
        for c, e in self._limits:
            total = total + c.violation(e.search(archs, None))
        return values, total

    def hold(self, key: int, values: np.ndarray, violation: float) -> None:
        """Keeps a launched query's outcome until its result arrives (the event loop)."""
        self._pending[key] = (values, violation)

    def release(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """The held outcome of a query whose result arrived, as ``(values (1, m), violation (1,))``."""
        values, viol = self._pending.pop(key)
        return values[None], np.array([viol])

    def told(self, values: np.ndarray, violation: np.ndarray) -> np.ndarray:
        """Records arrived results and returns what the optimizer is told: ``(n, m)`` higher-is-better scores for
        a multi-objective optimizer, else the first objective's ``(n,)`` score; ``-inf`` where infeasible or
        missing."""
        self.rows.extend(values)
        self.violations.extend(violation.tolist())
        if len(values) == 1:  # the hot path: one result at a time
            score = values[0] * self.signs
            if violation[0] > 0 or not np.isfinite(score).all():
                score[:] = -np.inf
            return score[None] if self._matrix else score[:1]
        scores = np.where(np.isfinite(values), values * self.signs, -np.inf)
        bad = (violation > 0) | ~np.isfinite(scores).all(axis=1)
        scores[bad] = -np.inf
        return scores if self._matrix else scores[:, 0]

    def recorded(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The first ``n`` recorded rows (a run stopped inside ``tell`` keeps the result it recorded before)."""
        m = self.objectives.n
        rows = np.array(self.rows[:n], dtype=np.float64).reshape(-1, m)
        return rows, np.array(self.violations[:n], dtype=np.float64)
