"""Optimizer ask/tell interface, the registry ``OPTIMIZERS`` and what an optimizer may know.

An optimizer proposes architectures (``ask``) and learns the search metric of evaluated ones
(``tell``). It never sees a benchmark: only a :class:`SearchProblem` (the space, the fidelities
with search-metric values, and proxies that hold no validation or test data). Values it is
told are always "higher is better" (the runner flips lower-is-better metrics) and ``-inf``
where the table has no value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.metrics import MetricKind, metric_info
from nasbench_lab.plugins import module_available
from nasbench_lab.registry import Registry, class_registrar, constructor_params
from nasbench_lab.results.names import ALGORITHM_DISPLAY_NAMES, algorithm_display_name  # noqa: F401  (re-exported)
from nasbench_lab.results.objectives import Constraint
from nasbench_lab.spaces.base import SearchSpace

#: metric kinds an optimizer may read before evaluating (never validation, test or training results)
PROXY_KINDS = (MetricKind.PROXY, MetricKind.SIZE, MetricKind.COST)
#: random draws tried for unvisited architectures before an enumerable space's remaining cells are listed
RANDOM_DRAW_TRIES = 20


@dataclass(frozen=True)
class SearchProblem:
    """Everything an optimizer may know: the space, fidelities, and cheap proxies (no results)."""

    space: SearchSpace
    #: fidelities at which the search metric has values, ascending (empty: one implicit fidelity)
    fidelities: tuple[int, ...] = ()
    #: names accepted by :meth:`proxy`
    proxy_metrics: tuple[str, ...] = ()
    #: ``(archs, name) -> scores``; built by the runner from the benchmark's proxy/size metrics
    proxy_fn: Callable[[np.ndarray, str], np.ndarray] | None = None
    #: ``() -> seconds``: the benchmark's mean training time of one epoch of one cell (what a setup cost
    #: such as a supernet's training is charged in); None where the benchmark has no training times
    epoch_cost_fn: Callable[[], float] | None = None
    #: the run's objective metrics, in order (empty: one objective, the search metric); values told are
    #: higher-is-better per objective
    objectives: tuple[str, ...] = ()
    #: the run's constraints, on metrics known without training (cost, size, proxy); see :meth:`violation`
    constraints: tuple[Constraint, ...] = ()
    #: ``archs -> total constraint violation`` (0 where feasible); built by the runner when there are constraints
    violation_fn: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def n_objectives(self) -> int:
        """How many objectives the optimizer is told per query (1 for an ordinary search)."""
        return max(1, len(self.objectives))

    def violation(self, archs: np.ndarray) -> np.ndarray:
        """Total constraint violation of each architecture (0: feasible), known before it is evaluated, since
        constraints are on cost, size or proxy metrics; all 0 when the run has no constraints."""
        if self.violation_fn is None or not self.constraints:
            return np.zeros(len(archs))
        return np.asarray(self.violation_fn(archs), dtype=np.float64)

    def epoch_cost(self) -> float:
        """Mean simulated seconds of one training epoch of one architecture of this benchmark."""
        if self.epoch_cost_fn is None:
            raise ConfigError("this benchmark has no training times, so a setup cost (e.g. a supernet's training) "
                              "cannot be charged on its clock; use a benchmark with train_time")
        return float(self.epoch_cost_fn())

    def proxy(self, archs: np.ndarray, name: str) -> np.ndarray:
        """Scores of proxy ``name`` (a zero-cost proxy, size or cost metric; never validation/test)."""
        check_proxy_name(name)
        if name not in self.proxy_metrics or self.proxy_fn is None:
            raise UnknownNameError("proxy metric of this benchmark", name, self.proxy_metrics)
        return np.asarray(self.proxy_fn(archs, name), dtype=np.float64)


def check_proxy_name(name: str) -> None:
    """Raises ConfigError unless ``name`` is a proxy, size or cost metric (search must not peek)."""
    kind = metric_info(name).kind
    if kind not in PROXY_KINDS:
        raise ConfigError(f"{name!r} is a {kind.value} metric; a proxy must be a zero-cost proxy (zc_*), size or "
                          "cost metric, never validation, training or test results")


class Optimizer(ABC):
    """Ask/tell search strategy over one space, driven by a Runner; every random choice uses ``rng``."""

    #: registry name (set by :func:`register_optimizer`)
    name: str = ""
    #: what figures, tables and reports call it (e.g. "Regularized evolution"); empty: the registry name
    display_name: str = ""
    #: True when proposals carry their own fidelity (successive halving, Hyperband)
    multi_fidelity: bool = False
    #: True when it accepts several objectives: ``tell`` then gets an ``(n, m)`` matrix (higher is better in each
    #: column; a row of ``-inf`` for a query with a missing value or that violates a constraint); in a run with
    #: one objective it gets ``(n,)`` as every optimizer does
    multi_objective: bool = False
    #: names of the only spaces it runs on (e.g. ``("nb201",)`` for an operator written for one cell); empty: any
    spaces: tuple[str, ...] = ()
    #: ``(module, install command)`` of optional packages it imports while it runs, checked before a study starts
    requires: tuple[tuple[str, str], ...] = ()
    #: False for an optimizer whose construction is expensive (a one-shot method rates its cells in ``__init__``): a
    #: study then checks its parameters in its first run instead of building it once before any run
    check_by_building: bool = True
    #: simulated seconds spent before the first query (a one-shot method's supernet training and ratings);
    #: the runner starts the clock there, so time budgets and anytime curves include it. Set in ``__init__``.
    setup_cost: float = 0.0

    def __init__(self, problem: SearchProblem, rng: np.random.Generator):
        if not isinstance(rng, np.random.Generator):
            raise ConfigError(f"optimizer {self.name}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if self.spaces and problem.space.name not in self.spaces:
            raise ConfigError(f"{self.name} runs on the {' or '.join(self.spaces)} space only; this benchmark's space "
                              f"is {problem.space.name!r}")
        check_objective_count(self.name, self.multi_objective, problem.objectives)
        self.problem = problem
        self.space = problem.space
        self.rng = rng

    @abstractmethod
    def ask(self, n: int) -> np.ndarray:
        """Up to ``n`` architectures to evaluate next (fewer, even none, while waiting for results)."""

    @abstractmethod
    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        """Search-metric values (higher is better, ``-inf`` when missing) of evaluated architectures."""

    def propose(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``ask`` plus the fidelity of each proposal (None: the runner's default fidelity)."""
        return self.ask(n), None

    def empty(self) -> np.ndarray:
        """A batch of zero architectures of this space."""
        return np.zeros((0, *self.space.arch_shape), dtype=self.space.arch_dtype)


#: optimizer classes by short name (``rs``, ``re``, ...); see :func:`make_optimizer`
OPTIMIZERS: Registry[type[Optimizer]] = Registry("algorithm")


_register_class = class_registrar(OPTIMIZERS, Optimizer, "algorithm")


def register_optimizer(name: str, *aliases: str) -> Callable[[type], type]:
    """``@register_optimizer("name")``: registers an Optimizer subclass under ``name``, sets its ``name`` and
    records its ``display_name`` where analysis reads it (``results.names``, below search)."""

    def decorate(cls: type) -> type:
        cls = _register_class(name, *aliases)(cls)
        ALGORITHM_DISPLAY_NAMES.register(name, *aliases)(cls.display_name)  # type: ignore[attr-defined]
        return cls

    return decorate


def multi_objective_names() -> list[str]:
    """Registered algorithms that accept several objectives."""
    return [n for n in OPTIMIZERS.names() if OPTIMIZERS.get(n).multi_objective and OPTIMIZERS.get(n).name == n]


def check_objective_count(algorithm: str, multi_objective: bool, objectives: Sequence[str]) -> None:
    """ConfigError when a single-objective algorithm is given several objectives, naming the multi-objective ones."""
    if len(objectives) > 1 and not multi_objective:
        raise ConfigError(f"{algorithm} optimizes one objective, and this run has {len(objectives)} "
                          f"({', '.join(objectives)}); use a multi-objective algorithm "
                          f"({', '.join(multi_objective_names()) or 'none registered'})")


def optimizer_params(name: str) -> dict[str, object]:
    """Keyword parameters of optimizer ``name`` with their defaults."""
    return dict(constructor_params(OPTIMIZERS.get(name), ("self", "problem", "rng")))


def check_requirements(cls: type[Optimizer]) -> None:
    """ConfigError naming the install command when an optional package ``cls`` needs is missing: said before
    the first run, not minutes into a study."""
    for module, install in cls.requires:
        if not module_available(module):
            raise ConfigError(f"algorithm {cls.name} needs {module}, which is not installed: install it with "
                              f"`{install}`")


def make_optimizer(name: str, problem: SearchProblem, rng: np.random.Generator, **params) -> Optimizer:
    """A fresh optimizer ``name``; unknown parameter names raise an error listing the accepted ones."""
    accepted = optimizer_params(name)
    for key in params:
        if key not in accepted:
            raise UnknownNameError(f"parameter of algorithm {name}", key, sorted(accepted))
    from nasbench_lab.search.contract import construct

    cls = OPTIMIZERS.get(name)
    check_requirements(cls)
    return construct(cls, problem, rng, **params)


def choose_distinct(rng: np.random.Generator, n: int, k: int) -> list[int]:
    """``k`` distinct integers from ``range(n)`` (partial Fisher-Yates; cheaper than ``rng.choice`` for small k)."""
    pool = list(range(n))
    for j, u in enumerate(rng.random(k).tolist()):
        pick = j + int(u * (n - j))
        pool[j], pool[pick] = pool[pick], pool[j]
    return pool[:k]


# ------------------------------------------------------------------ checks for constructors
def positive_int(owner: str, name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``, else ConfigError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{owner}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def in_range(owner: str, name: str, value: object, lo: float, hi: float) -> float:
    """``value`` as a float in [lo, hi], else ConfigError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not lo <= value <= hi:
        raise ConfigError(f"{owner}: {name} must be a number in [{lo}, {hi}], got {value!r}")
    return float(value)


def one_of(owner: str, name: str, value: object, accepted: tuple[str, ...]) -> str:
    """``value`` if it is one of ``accepted``, else UnknownNameError."""
    if value not in accepted:
        raise UnknownNameError(f"{name} of {owner}", value, accepted)
    return str(value)
