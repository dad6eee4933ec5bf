"""Ranking metrics of a predictor on a held-out set (White et al. 2021): Kendall tau, Spearman,
Pearson, precision@k and top-k% overlap. Undefined correlations raise instead of returning NaN.

Predictions are in the target's own units (a latency predictor predicts milliseconds), so the correlations
compare them with the truth directly: positive means the predicted ordering is right, whichever direction
is better. Precision@k and the top overlap count the k *best* architectures: the highest values of an
accuracy, the lowest of a latency (``higher_is_better=False``).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau, pearsonr, spearmanr

from nasbench_lab.predictors.base import PredictorError


def precision_at_k(y_true: np.ndarray, y_pred: np.ndarray, k: int, higher_is_better: bool = True) -> float:
    """Fraction of the ``k`` architectures the prediction ranks best that are among the truly best ``k``
    (best: highest, or lowest where ``higher_is_better`` is False, e.g. the k fastest by latency)."""
    k = int(min(max(k, 1), len(y_true)))
    sign = -1.0 if higher_is_better else 1.0
    pred_top = np.argsort(sign * np.asarray(y_pred, dtype=np.float64), kind="stable")[:k]
    true_top = np.argsort(sign * np.asarray(y_true, dtype=np.float64), kind="stable")[:k]
    return float(len(np.intersect1d(pred_top, true_top)) / k)


def ranking_scores(y_true: np.ndarray, y_pred: np.ndarray, *, k: int = 50, top_fraction: float = 0.1,
                   higher_is_better: bool = True, predictor: str = "predictor") -> dict[str, float]:
    """All ranking metrics of one prediction (precision@k and top overlap count the best by
    ``higher_is_better``); a constant prediction raises PredictorError naming it."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_pred.shape != y_true.shape:
        raise PredictorError(f"predictor {predictor}: {y_pred.shape} predictions for {y_true.shape} targets")
    if not np.isfinite(y_pred).all():
        raise PredictorError(f"predictor {predictor}: {int((~np.isfinite(y_pred)).sum())} NaN/infinite predictions")
    if np.ptp(y_pred) == 0:
        raise PredictorError(f"predictor {predictor} predicted the same value for all {len(y_pred)} test "
                             "architectures; rank correlations are undefined")
    n_top = max(1, int(round(top_fraction * len(y_true))))
    return {
        "kendall_tau": float(kendalltau(y_true, y_pred)[0]),
        "spearman": float(spearmanr(y_true, y_pred)[0]),
        "pearson": float(pearsonr(y_true, y_pred)[0]),
        "precision_at_k": precision_at_k(y_true, y_pred, k, higher_is_better),
        "top_overlap": precision_at_k(y_true, y_pred, n_top, higher_is_better),
    }
