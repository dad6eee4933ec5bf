"""Statistics for comparing search algorithms over seeds: Wilcoxon with Holm, Mann-Whitney, Friedman/Nemenyi.

The Wilcoxon signed-rank p-value is computed exactly from the distribution of the statistic given the
observed (possibly tied) ranks, by dynamic programming over sums of doubled ranks: milliseconds per pair
where scipy's permutation fallback for tied or zero differences takes seconds. Above ``EXACT_MAX_N``
paired values the normal approximation (with tie correction) is used.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from itertools import combinations
from typing import TypeVar

import numpy as np

from nasbench_lab.errors import ConfigError

#: paired values up to which the Wilcoxon p-value is exact; above, the normal approximation
EXACT_MAX_N = 200

K = TypeVar("K", bound=Hashable)


def mann_whitney_greater(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided Mann-Whitney U p-value for "values of ``a`` tend to be larger than those of ``b``"."""
    from scipy import stats  # deferred: scipy.stats takes a second to import

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ConfigError(f"Mann-Whitney needs at least 2 values per group, got {len(a)} and {len(b)}")
    return float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)


def holm(pvalues: Mapping[K, float]) -> dict[K, float]:
    """Holm-Bonferroni adjusted p-values (monotone, capped at 1), same keys."""
    keys = sorted(pvalues, key=lambda k: pvalues[k])
    m = len(keys)
    out, running = {}, 0.0
    for i, key in enumerate(keys):
        running = max(running, min(1.0, (m - i) * pvalues[key]))
        out[key] = running
    return out


def wilcoxon_signed_rank(d: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences ``d`` (zeros dropped, ties mid-ranked).

    Exact (the conditional distribution given the observed ranks) up to ``EXACT_MAX_N`` non-zero
    differences, normal approximation with tie correction above; 1.0 with fewer than 2 non-zero values.
    """
    from scipy import stats

    d = np.asarray(d, dtype=np.float64)
    d = d[d != 0]
    n = len(d)
    if n < 2:
        return 1.0
    ranks = stats.rankdata(np.abs(d))
    t_plus = float(ranks[d > 0].sum())
    if n > EXACT_MAX_N:
        mean = n * (n + 1) / 4.0
        var = (ranks**2).sum() / 4.0  # equals n(n+1)(2n+1)/24 without ties
        z = (t_plus - mean) / np.sqrt(var)
        return float(min(1.0, 2.0 * stats.norm.sf(abs(z))))
    doubled = np.rint(2 * ranks).astype(np.int64)  # mid-ranks are multiples of 1/2
    dist = np.zeros(int(doubled.sum()) + 1)
    dist[0] = 1.0
    for r in doubled:  # each rank is positive or negative with probability 1/2
        shifted = np.zeros_like(dist)
        shifted[r:] = dist[:-r]
        dist = 0.5 * (dist + shifted)
    t = int(round(2 * t_plus))
    lower, upper = dist[: t + 1].sum(), dist[t:].sum()
    return float(min(1.0, 2.0 * min(lower, upper)))


def pairwise_wilcoxon(finals: Mapping[str, np.ndarray]) -> list[dict]:
    """Two-sided Wilcoxon signed-rank test for every pair of algorithms (paired by seed), Holm-corrected.

    Runs of the same seed share the noise draws, so pairing by seed is the right design. Pairs
    whose differences are all zero get p = 1.
    """
    names = list(finals)
    lengths = {len(finals[n]) for n in names}
    if len(lengths) > 1:
        raise ConfigError(f"paired tests need the same seeds for every algorithm; got run counts "
                          f"{ {n: len(finals[n]) for n in names} }")
    raw, diffs = {}, {}
    for a, b in combinations(names, 2):
        d = np.asarray(finals[a], dtype=np.float64) - np.asarray(finals[b], dtype=np.float64)
        diffs[(a, b)] = float(np.median(d)) if len(d) else float("nan")
        raw[(a, b)] = wilcoxon_signed_rank(d)
    adjusted = holm(raw)
    return [{"a": a, "b": b, "median_difference": diffs[(a, b)], "p": raw[(a, b)], "p_holm": adjusted[(a, b)]}
            for a, b in raw]


def friedman_nemenyi(ranks_per_block: np.ndarray, alpha: float = 0.05) -> dict:
    """Friedman test and Nemenyi critical difference (Demsar 2006) from a (blocks, algorithms) rank matrix.

    Blocks are seeds (one benchmark) or benchmarks (several); ranks are 1 = best, ties averaged.
    """
    from scipy import stats

    r = np.asarray(ranks_per_block, dtype=np.float64)
    n, k = r.shape
    if k < 2 or n < 2:
        raise ConfigError(f"Friedman needs at least 2 algorithms and 2 blocks, got {k} and {n}")
    q = float(stats.studentized_range.ppf(1 - alpha, k, np.inf)) / np.sqrt(2)  # Demsar's q_alpha
    mean = r.mean(axis=0)
    chi2 = 12.0 * n / (k * (k + 1)) * ((mean**2).sum() - k * (k + 1) ** 2 / 4.0)
    p = float(stats.chi2.sf(chi2, k - 1)) if np.isfinite(chi2) else 1.0
    return {"blocks": n, "algorithms": k, "friedman_chi2": float(chi2), "friedman_p": p, "alpha": alpha,
            "critical_difference": float(q * np.sqrt(k * (k + 1) / (6.0 * n)))}


def rank_matrix(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Ranks within each row of a (blocks, algorithms) value matrix: 1 = best, ties averaged, NaN worst."""
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    score = v if higher_is_better else -v
    return stats.rankdata(-np.nan_to_num(score, nan=-np.inf), axis=1)


def cliques(names: Sequence[str], mean_ranks: Sequence[float], significant: set[frozenset[str]]) -> list[list[str]]:
    """The maximal cliques of the graph whose edges are the pairs NOT found different: every pair inside a group is
    not separated, and no algorithm can join a group without a separated pair.

    ``significant`` holds the pairs found different (Nemenyi: rank gap > CD; Wilcoxon-Holm: p_holm < alpha).
    A group need not be contiguous in mean rank (pairwise tests are not transitive). These are the bars of a
    critical-difference diagram; singletons are left out. Members are ordered by mean rank (then name), groups
    by their members' mean ranks (then names), so the result does not depend on the order of ``names``.
    """
    rank = {n: float(r) for n, r in zip(names, mean_ranks)}
    order = sorted(names, key=lambda n: (rank[n], n))
    tied = {n: {m for m in order if m != n and frozenset((n, m)) not in significant} for n in order}
    found: list[list[str]] = []

    def extend(group: list[str], candidates: list[str], excluded: set[str]) -> None:
        """Bron-Kerbosch with pivot: ``group`` extended by every maximal choice from ``candidates``."""
        if not candidates and not excluded:
            found.append(group)
            return
        pivot = max([*candidates, *excluded], key=lambda n: len(tied[n] & set(candidates)))
        for n in [c for c in candidates if c not in tied[pivot]]:
            extend(group + [n], [c for c in candidates if c in tied[n]], excluded & tied[n])
            candidates = [c for c in candidates if c != n]
            excluded = excluded | {n}

    extend([], order, set())
    groups = [sorted(g, key=lambda n: (rank[n], n)) for g in found if len(g) > 1]
    return sorted(groups, key=lambda g: ([rank[n] for n in g], g))


def not_separated(pairwise: Sequence[Mapping], alpha: float = 0.05) -> set[frozenset[str]]:
    """The pairs of a pairwise table (rows with ``a``, ``b``, ``p_holm``) that the test does not separate."""
    return {frozenset((r["a"], r["b"])) for r in pairwise if r["p_holm"] >= alpha}


def tied_with(best: str, pairwise: Sequence[Mapping], alpha: float = 0.05) -> list[str]:
    """Algorithms whose pairwise test against ``best`` has p_holm >= ``alpha`` (not separated from it), in the
    order of ``pairwise``."""
    return [r["b"] if r["a"] == best else r["a"] for r in pairwise
            if best in (r["a"], r["b"]) and r["p_holm"] >= alpha]


def relative_improvement(values: np.ndarray, random_mean: float) -> np.ndarray:
    """RI = 100 (acc - acc_random) / acc_random (Yang et al. 2020, "NAS evaluation is frustratingly hard")."""
    return 100.0 * (np.asarray(values, dtype=np.float64) - random_mean) / random_mean
