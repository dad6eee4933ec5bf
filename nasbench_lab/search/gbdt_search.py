"""GBDT-guided search (after GBDT-NAS, Luo et al. 2020): boosted trees rank a large pool, evaluate the top k.

Each round fits gradient-boosted trees (xgboost, one thread) on every result so far (``warm_start``:
adding a few trees to the last round's model instead of refitting from scratch), scores
a pool of unvisited candidates (``pool_size`` random ones plus mutants of the best so far;
``pool_size=None`` scores the whole space when it is small and enumerable) and evaluates
the ``k`` best. With ``prune_features`` > 0 it also restricts the pool to
candidates that agree with the model on its most influential one-hot features (each fixed to
the value the model prefers), a model-agnostic stand-in for GBDT-NAS's importance-based pruning.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from nasbench_lab.search.base import SearchProblem, positive_int, register_optimizer
from nasbench_lab.search.model_based import ModelBasedSearch

#: few shallow trees at a high learning rate: fits in milliseconds on a few hundred points; with warm starts,
#: refits add ``warm_trees`` trees to the last model. Chosen with the pool size by measurement (docs/search.md,
#: "Model-based search"): a quarter of the time per run of 100 trees at 0.1 (+15 per refit) and a pool of 2000,
#: final accuracies not distinguishable over 100 seeds
FAST_XGB = {"n_estimators": 50, "max_depth": 4, "learning_rate": 0.2, "warm_trees": 8}


@register_optimizer("gbdt", "gbdt_search")
class GBDTSearch(ModelBasedSearch):
    """``num_init`` random, then rounds of ``k``: fit trees, score the pool, evaluate the predicted best."""

    display_name = "GBDT predictor search"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, num_init: int = 30, k: int = 20,
                 pool_size: int | None = 1000, num_mutants: int = 200, prune_features: int = 0, predictor: str = "xgb",
                 predictor_params: Mapping | None = None, encoding: str | None = None, warm_start: bool = True):
        params = {**FAST_XGB, **dict(predictor_params or {})} if predictor == "xgb" else predictor_params
        super().__init__(problem, rng, num_init, predictor, params, encoding, warm_start)
        self.k = positive_int("gbdt", "k", k)
        self.pool_size = None if pool_size is None else positive_int("gbdt", "pool_size", pool_size)
        self.num_mutants = positive_int("gbdt", "num_mutants", num_mutants, 0)
        self.prune_features = positive_int("gbdt", "prune_features", prune_features, 0)

    def _next_batch(self) -> np.ndarray:
        pool = self.candidate_pool(self.pool_size)
        if self.num_mutants:
            pool = np.concatenate([self.mutation_pool(self.top(10), self.num_mutants), pool])
        if not len(pool):
            return self.empty()
        model = self.fit()
        score = model.predict(pool)
        if self.prune_features:
            keep = self._agreeing(pool, score)
            pool, score = pool[keep], score[keep]
        return self.take(pool[np.argsort(-score, kind="stable")], self.k)

    def _agreeing(self, pool: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Mask of candidates taking the preferred value of the ``prune_features`` most influential features."""
        onehot = self.space.encode(pool, "onehot") > 0.5
        on = onehot.sum(axis=0)
        usable = (on > 0) & (on < len(pool))
        effect = np.zeros(onehot.shape[1])
        mean_on = (score[:, None] * onehot).sum(axis=0) / np.maximum(on, 1)
        mean_off = (score[:, None] * ~onehot).sum(axis=0) / np.maximum(len(pool) - on, 1)
        effect[usable] = (mean_on - mean_off)[usable]
        keep = np.ones(len(pool), dtype=bool)
        for j in np.argsort(-np.abs(effect), kind="stable")[: self.prune_features]:
            narrowed = keep & (onehot[:, j] == (effect[j] > 0))
            if narrowed.sum() >= self.k:
                keep = narrowed
        return keep
