"""ParEGO (Knowles 2006) on the predictor-based optimizers: each model round fits BANANAS' or GBDT search's predictor
on a random scalarization of the objectives, so one single-objective surrogate loop serves several objectives.

The scalarization is the augmented Tchebycheff function on objectives normalized by the running minimum and
maximum of the values told so far: ``s = max_j w_j f_j + rho * sum_j w_j f_j`` (``f`` in [0, 1], 0 best) with a
weight vector ``w`` drawn uniformly from the simplex before every model round (ParEGO draws one per iteration;
here an iteration is a round of ``k`` proposals). The model's own machinery (its random start, candidate pools,
acquisition, visited set) is unchanged: it only reads ``-s`` where it would read the search metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.search.bananas import Bananas
from nasbench_lab.search.base import (
    Optimizer,
    SearchProblem,
    in_range,
    one_of,
    optimizer_params,
    register_optimizer,
)
from nasbench_lab.search.gbdt_search import GBDTSearch
from nasbench_lab.search.mo_ranking import told_matrix
from nasbench_lab.search.model_based import ModelBasedSearch


class ScalarizedSearch(ModelBasedSearch):
    """A model-based search fitted on the augmented Tchebycheff scalarization of several told objectives (mixed in
    before a concrete model-based optimizer; new weights at the start of each model round)."""

    multi_objective = True

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, rho: float = 0.05, **model_params: Any):
        super().__init__(problem, rng, **model_params)
        self.rho = rho
        self._rows: list[np.ndarray] = []
        self.weights = np.full(problem.n_objectives, 1.0 / problem.n_objectives)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        rows = told_matrix(values, len(archs))
        self._rows.extend(rows)
        super().tell(archs, rows[:, 0], fidelities)

    def start_round(self) -> None:
        """A new weight vector, uniform on the simplex, for the model round about to start."""
        self.weights = self.rng.dirichlet(np.ones(len(self.weights)))

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Evaluated architectures with every objective, and the negated scalarization under the current weights
        (higher is better, as the model expects)."""
        rows = np.stack(self._rows)
        keep = np.isfinite(rows).all(axis=1)
        return np.stack(self._archs)[keep], -self.scalarize(rows[keep])

    def scalarize(self, rows: np.ndarray) -> np.ndarray:
        """Augmented Tchebycheff value of finite higher-is-better rows (lower is better), normalized by their range."""
        z = -rows
        lo, hi = z.min(axis=0), z.max(axis=0)
        f = (z - lo) / np.where(hi > lo, hi - lo, 1.0)
        weighted = f * self.weights
        return weighted.max(axis=1) + self.rho * weighted.sum(axis=1)


class _ParEGOBananas(ScalarizedSearch, Bananas):
    """BANANAS fitted on the scalarization."""


class _ParEGOGBDT(ScalarizedSearch, GBDTSearch):
    """GBDT search fitted on the scalarization."""


#: the model-based optimizers ParEGO runs on, by their registry names
MODELS: dict[str, type[ScalarizedSearch]] = {"bananas": _ParEGOBananas, "gbdt": _ParEGOGBDT}


@register_optimizer("parego")
class ParEGO(Optimizer):
    """ParEGO random scalarization over ``model`` (``bananas`` or ``gbdt``), whose parameters ``model_params`` sets
    (e.g. ``{"k": 5}``); ``rho`` weighs the augmented Tchebycheff function's sum term."""

    display_name = "ParEGO"
    multi_objective = True

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, model: str = "bananas", rho: float = 0.05,
                 model_params: Mapping | None = None):
        super().__init__(problem, rng)
        self.model = one_of("parego", "model", model, tuple(MODELS))
        if model_params is not None and not isinstance(model_params, Mapping):
            raise ConfigError(f"parego: model_params must be a table of {self.model} parameters, got {model_params!r}")
        accepted = optimizer_params(self.model)
        for key in model_params or {}:
            if key not in accepted:
                raise UnknownNameError(f"parameter of algorithm {self.model} (parego's model_params)", key,
                                       sorted(accepted))
        self.inner = MODELS[self.model](problem, rng, rho=in_range("parego", "rho", rho, 0.0, 1.0),
                                        **dict(model_params or {}))

    def ask(self, n: int) -> np.ndarray:
        return self.inner.ask(n)

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        self.inner.tell(archs, values, fidelities)
