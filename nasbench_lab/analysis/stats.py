"""Statistics for comparing search algorithms over seeds: Wilcoxon with Holm, Mann-Whitney, relative improvement."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np

from nasbench_lab.errors import ConfigError


def mann_whitney_greater(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided Mann-Whitney U p-value for "values of ``a`` tend to be larger than those of ``b``"."""
    from scipy import stats  # deferred: scipy.stats takes a second to import

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ConfigError(f"Mann-Whitney needs at least 2 values per group, got {len(a)} and {len(b)}")
    return float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)


def holm(pvalues: Mapping[object, float]) -> dict[object, float]:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1), same keys."""
    keys = sorted(pvalues, key=lambda k: pvalues[k])
    m = len(keys)
    out, running = {}, 0.0
    for i, key in enumerate(keys):
        running = max(running, min(1.0, (m - i) * pvalues[key]))
        out[key] = running
    return out


def pairwise_wilcoxon(finals: Mapping[str, np.ndarray]) -> list[dict]:
    """Two-sided Wilcoxon signed-rank test for every pair of algorithms (paired by seed), Holm-corrected.

    Runs of the same seed share the noise draws, so pairing by seed is the right design. Pairs
    whose differences are all zero get p = 1.
    """
    from scipy import stats

    names = list(finals)
    lengths = {len(finals[n]) for n in names}
    if len(lengths) > 1:
        raise ConfigError(f"paired tests need the same seeds for every algorithm; got run counts "
                          f"{ {n: len(finals[n]) for n in names} }")
    raw, diffs = {}, {}
    for a, b in combinations(names, 2):
        d = np.asarray(finals[a], dtype=np.float64) - np.asarray(finals[b], dtype=np.float64)
        diffs[(a, b)] = float(np.median(d)) if len(d) else float("nan")
        raw[(a, b)] = 1.0 if not np.any(d != 0) or len(d) < 2 else float(stats.wilcoxon(d).pvalue)
    adjusted = holm(raw)
    return [{"a": a, "b": b, "median_difference": diffs[(a, b)], "p": raw[(a, b)], "p_holm": adjusted[(a, b)]}
            for a, b in raw]


def relative_improvement(values: np.ndarray, random_mean: float) -> np.ndarray:
    """RI = 100 (acc - acc_random) / acc_random (Yang et al. 2020, "NAS evaluation is frustratingly hard")."""
    return 100.0 * (np.asarray(values, dtype=np.float64) - random_mean) / random_mean
