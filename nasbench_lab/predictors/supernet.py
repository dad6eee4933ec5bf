"""``supernet``: a weight-sharing supernet's rating of each architecture, as a zero-label predictor.

``fit`` trains the supernet on the live backend's small data (not on the table's labels: ``y`` is
ignored and may be empty, so an evaluation runs it at training size 0), ``predict`` rates
architectures with inherited weights on the data's valid split (BatchNorm recalibrated per
architecture). Its fit cost is the supernet's training: ``fit_cost_s_`` (seconds, also when the
weights come back from ``folder``) and ``fit_epochs_`` (supernet epochs, each sub-supernet's counted).
PyTorch is reached through ``nasbench_lab.live`` only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live.supernet.config import SupernetConfig
from nasbench_lab.predictors.base import Predictor
from nasbench_lab.predictors.registry import register_predictor

#: what ``predict`` returns: the rating's valid accuracy (%) or its negated valid loss
SCORES = ("valid_acc", "neg_valid_loss")


@register_predictor("supernet")
class SupernetPredictor(Predictor):
    """Supernet rating (SPOS / fair sampling / few-shot split) as the prediction; needs the ``live`` extra.

    ``seed`` None draws the supernet's seed from ``random_state`` (each evaluation seed trains its own
    supernet); ``folder`` caches each trained supernet in a subfolder named by its settings, so a rerun
    loads it (and reports the seconds its training took).
    """

    min_train = 0
    uses_labels = False
    rowwise = False

    def __init__(self, space, *, epochs: int = 2, sampling: str = "spos", few_shot_k: int = 0,
                 split_epochs: int | None = None, C: int = 8, N: int = 1, data: str = "digits",
                 seed: int | None = None, bn_batches: int = 4, folder: str | os.PathLike | None = None,
                 score: str = "valid_acc", device: str = "cpu", num_threads: int | None = 1, **kwargs):
        kwargs.pop("encoding", None)
        super().__init__(space, encoding="none", **kwargs)
        self.epochs, self.sampling, self.few_shot_k, self.split_epochs = epochs, sampling, few_shot_k, split_epochs
        self.C, self.N, self.data, self.seed, self.bn_batches = C, N, data, seed, bn_batches
        self.folder, self.score, self.device, self.num_threads = folder, score, device, num_threads
        if score not in SCORES:
            raise ConfigError(f"predictor supernet: unknown score {score!r}; accepted: {', '.join(SCORES)}")
        if isinstance(bn_batches, bool) or not isinstance(bn_batches, (int, np.integer)) or bn_batches < 0:
            raise ConfigError(f"predictor supernet: bn_batches must be an integer >= 0, got {bn_batches!r}")
        self._config(0)  # every setting checked now, before any training
        from nasbench_lab.live import require_torch

        require_torch()
        self.trained_: Any = None  # a live.TrainedSupernet once fitted

    def _config(self, seed: int) -> SupernetConfig:
        return SupernetConfig(space=self.space.name, epochs=self.epochs, sampling=self.sampling,
                              few_shot_k=self.few_shot_k, split_epochs=self.split_epochs, C=self.C, N=self.N,
                              data=self.data, seed=seed)

    def fit(self, archs: object = (), y: object = None) -> SupernetPredictor:
        """Trains (or loads from ``folder``) the supernet; ``archs`` and ``y`` are not used."""
        from nasbench_lab import live

        self.space.validate(archs)
        config = self._config(self._seed() if self.seed is None else self.seed)
        folder = Path(self.folder) / config.key() if self.folder is not None else None
        trained = live.train_supernet(config, folder=folder, device=self.device, num_threads=self.num_threads)
        self.trained_ = trained
        self.fit_cost_s_ = trained.train_seconds
        self.fit_epochs_ = float(trained.epochs)
        return self

    @property
    def is_fitted(self) -> bool:
        return self.trained_ is not None

    def predict(self, archs: object) -> np.ndarray:
        """Ratings: valid accuracy (%) with inherited weights, or the negated valid loss (``score``)."""
        from nasbench_lab import live

        if self.trained_ is None:
            raise self._not_fitted()
        ratings = live.rate_supernet(self.trained_, archs, bn_batches=self.bn_batches, seed=self._seed(),
                                     space=self.space, device=self.device, num_threads=self.num_threads)
        out = ratings.valid_acc if self.score == "valid_acc" else -ratings.valid_loss
        return self._call("predict", lambda _: out, np.empty((len(out), 0), dtype=np.float32))

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:  # pragma: no cover - fit is overridden
        raise NotImplementedError

    def _predict(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - predict is overridden
        raise NotImplementedError
