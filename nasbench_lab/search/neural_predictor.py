"""Neural predictor search (Wen et al. 2020): N random architectures, fit once, evaluate the top by prediction.

After ``num_train`` random results it fits a predictor (an MLP ensemble by default; the paper
used a graph network), ranks the unvisited pool (``pool_size`` random architectures, or with
``pool_size=None`` the whole space when it is small and enumerable) and evaluates candidates
best first. With
``refit_every`` it refits after that many further results (the paper fits once).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nasbench_lab.search.base import SearchProblem, positive_int, register_optimizer
from nasbench_lab.search.model_based import ModelBasedSearch

#: ranked candidates handed out per batch when the predictor is fitted once
CHUNK = 10
#: the predictor is fitted once on ``num_train`` results and gives a mean only: three members of width 16 rank
#: as well as five of width 32 (final accuracy not distinguishable over 100 seeds; docs/search.md, "Model-based
#: search") in about 60 % of the time
ONE_FIT_MLP = {"n_members": 3, "width": 16, "n_layers": 2, "epochs": 50}


@register_optimizer("npred", "neural_predictor")
class NeuralPredictorSearch(ModelBasedSearch):
    """Fit on ``num_train`` random results, then evaluate the pool in order of predicted value."""

    display_name = "Neural predictor search"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, num_train: int = 50,
                 pool_size: int | None = None, refit_every: int = 0, predictor: str = "mlp_ens",
                 predictor_params: Mapping | None = None, encoding: str | None = None):
        params = {**ONE_FIT_MLP, **dict(predictor_params or {})} if predictor == "mlp_ens" else predictor_params
        super().__init__(problem, rng, num_train, predictor, params, encoding)
        self.pool_size = None if pool_size is None else positive_int("npred", "pool_size", pool_size)
        self.refit_every = positive_int("npred", "refit_every", refit_every, 0)
        self._ranked: np.ndarray | None = None

    def _next_batch(self) -> np.ndarray:
        """The next ``refit_every`` of the ranking (refitting first), or without refits the next ``CHUNK``: taken
        lazily, the same order as taking the whole ranking at once, without marking 15,000 cells per run."""
        if self._ranked is None or not len(self._ranked) or self.refit_every:
            pool = self.candidate_pool(self.pool_size)
            if not len(pool):
                return self.empty()
            self._ranked = pool[np.argsort(-self.fit().predict(pool), kind="stable")]
        batch, used = self.take_head(self._ranked, self.refit_every or CHUNK)
        self._ranked = self._ranked[used:]
        return batch
