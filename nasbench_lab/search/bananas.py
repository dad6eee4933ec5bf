"""BANANAS (White et al. 2021): an ensemble of neural predictors on the path encoding, Thompson sampling.

The encoding is the predictor's preferred one for the space (on NAS-Bench-201 the path
encoding plus live-edge one-hot and op counts); ``encoding="path"`` gives the paper's.

Each round fits the ensemble on every result so far (``warm_start``: continuing the last round's
ensemble for a few epochs instead of training from scratch), mutates the best architectures into a
candidate set, and evaluates the ``k`` candidates with the highest acquisition value:
independent Thompson sampling (a draw from N(mean, std) per candidate), UCB or the mean.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nasbench_lab.search.base import SearchProblem, in_range, one_of, positive_int, register_optimizer
from nasbench_lab.search.model_based import ModelBasedSearch

#: a small, fast ensemble: BANANAS' 5 members, fewer epochs than the paper (timed in docs/search.md);
#: with warm starts, refits continue the last ensemble for ``warm_epochs`` epochs
FAST_MLP = {"n_members": 5, "width": 32, "n_layers": 2, "epochs": 50, "warm_epochs": 10}


@register_optimizer("bananas")
class Bananas(ModelBasedSearch):
    """``num_init`` random, then rounds of ``k``: fit ensemble, mutate the top ``num_parents``, acquire."""

    display_name = "BANANAS"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, num_init: int = 10, k: int = 10,
                 num_candidates: int = 100, num_parents: int = 10, max_mutations: int = 1,
                 acquisition: str = "its", ucb_beta: float = 0.5, predictor: str = "mlp_ens",
                 predictor_params: Mapping | None = None, encoding: str | None = None, warm_start: bool = True):
        params = {**FAST_MLP, **dict(predictor_params or {})} if predictor == "mlp_ens" else predictor_params
        super().__init__(problem, rng, num_init, predictor, params, encoding, warm_start)
        self.k = positive_int("bananas", "k", k)
        self.num_candidates = positive_int("bananas", "num_candidates", num_candidates)
        self.num_parents = positive_int("bananas", "num_parents", num_parents)
        self.max_mutations = positive_int("bananas", "max_mutations", max_mutations)
        self.acquisition = one_of("bananas", "acquisition", acquisition, ("its", "ucb", "mean"))
        self.ucb_beta = in_range("bananas", "ucb_beta", ucb_beta, 0.0, 100.0)

    def _next_batch(self) -> np.ndarray:
        cands = self.mutation_pool(self.top(self.num_parents), self.num_candidates, self.max_mutations)
        if len(cands) < self.k:  # neighbourhood of the best nearly exhausted: top up at random
            cands = np.concatenate([cands, self.candidate_pool(self.num_candidates)])
        if not len(cands):
            return self.empty()
        model = self.fit()
        if self.acquisition == "mean":
            score = model.predict(cands)
        else:
            mean, std = model.predict_mean_std(cands)
            noise = self.rng.standard_normal(len(cands)) if self.acquisition == "its" else self.ucb_beta
            score = mean + noise * std
        return self.take(cands[np.argsort(-score, kind="stable")], self.k)
