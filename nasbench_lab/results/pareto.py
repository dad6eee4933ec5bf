"""Pareto dominance on objective matrices: non-dominated sorting, fronts and crowding distance (pure numpy).

Below both search and analysis: multi-objective optimizers (NSGA-II, multi-objective evolution) rank their
populations with these and analysis builds fronts and indicators on them (``analysis/pareto.py``), and neither
imports the other. Objectives come as an ``(n, m)`` matrix in their own units plus one ``higher`` flag per
column (``True``: higher is better); every function works in the *minimization form* (columns with ``higher``
negated) and returns row indices, masks or numbers. Non-dominated sorting is moocore's; crowding distance is ours
(per distinct point, Fortin & Parizeau 2013).
"""

from __future__ import annotations

from collections.abc import Sequence

import moocore
import numpy as np

from nasbench_lab.errors import ConfigError


# ----------------------------------------------------------------------------- input checks and conversion
def check_directions(higher: Sequence[bool], m: int) -> np.ndarray:
    """The ``higher`` flags as a boolean array, checked to hold one flag per objective."""
    flags = np.asarray(higher, dtype=bool).reshape(-1)
    if flags.size != m:
        raise ConfigError(f"got {flags.size} objective directions (higher_is_better flags) for {m} objectives")
    return flags


def _matrix(values: object, what: str = "objective values") -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ConfigError(f"{what} must be an (n, m) matrix with m >= 1 objectives, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        row, col = np.argwhere(~np.isfinite(arr))[0]
        raise ConfigError(f"{what} must be finite; row {row}, objective {col} is {arr[row, col]}")
    return arr


def to_minimization(values: object, higher: Sequence[bool]) -> np.ndarray:
    """Returns a float64 copy of ``values`` with the higher-is-better columns negated (everything minimized)."""
    arr = _matrix(values)
    return np.where(check_directions(higher, arr.shape[1]), -arr, arr)


def from_minimization(z: np.ndarray, higher: np.ndarray) -> np.ndarray:
    """Undoes :func:`to_minimization`: values in the objectives' own directions."""
    return np.where(higher, -z, z)


# ------------------------------------------------------------------------------------- dominance and fronts
def pareto_mask(values: object, higher: Sequence[bool]) -> np.ndarray:
    """True for each row no other row dominates (duplicates of a front point are all on the front)."""
    z = to_minimization(values, higher)
    if len(z) == 0:
        return np.zeros(0, dtype=bool)
    return np.asarray(moocore.is_nondominated(z, keep_weakly=True), dtype=bool)


def exact_front(values: object, higher: Sequence[bool]) -> np.ndarray:
    """Row indices (ascending) of the exact Pareto front of a whole table; rows with equal objectives all count."""
    return np.flatnonzero(pareto_mask(values, higher))


def nondominated_ranks(values: object, higher: Sequence[bool]) -> np.ndarray:
    """Non-dominated sorting: 0 for the front, 1 for the front of the rest, ...; duplicates share a rank."""
    z = to_minimization(values, higher)
    if len(z) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(moocore.pareto_rank(z), dtype=np.int64)


def fronts(values: object, higher: Sequence[bool]) -> list[np.ndarray]:
    """Row indices of each non-dominated front, best front first (each ascending)."""
    ranks = nondominated_ranks(values, higher)
    order = np.argsort(ranks, kind="stable")
    cuts = np.flatnonzero(np.diff(ranks[order])) + 1
    return [part for part in np.split(order, cuts) if part.size]


def crowding_distance(values: object, higher: Sequence[bool], ranks: np.ndarray | None = None) -> np.ndarray:
    """NSGA-II crowding distance of each row within its front (``inf`` at a front's extremes).

    Computed over the distinct points of each front and shared by duplicates, so copies of a point neither hide
    each other nor get different distances, and the result does not depend on row order (Fortin & Parizeau,
    "Revisiting the NSGA-II crowding-distance computation", GECCO 2013). An objective constant over a front
    adds nothing; fronts of one or two distinct points are all ``inf``. ``ranks`` defaults to
    :func:`nondominated_ranks`.
    """
    z = to_minimization(values, higher)
    n = len(z)
    if n == 0:
        return np.zeros(0)
    rank = nondominated_ranks(values, higher) if ranks is None else np.asarray(ranks, dtype=np.int64).reshape(-1)
    if rank.size != n:
        raise ConfigError(f"got {rank.size} ranks for {n} rows")
    return crowding_of_minimized(z, rank)


def crowding_of_minimized(z: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """:func:`crowding_distance` of finite minimization-form rows ``z`` within the fronts ``rank``, without input
    checks (what an optimizer calls on every round). Distinct points come from one lexsort (the canonical order of
    ``np.unique(axis=0)`` at a fraction of its cost on small sets)."""
    n, m = z.shape
    order = np.lexsort(z.T[::-1])
    ordered = z[order]
    first_copy = np.ones(n, dtype=bool)
    first_copy[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    uniq = ordered[first_copy]
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(first_copy) - 1
    urank = np.empty(len(uniq), dtype=np.int64)
    urank[inverse] = rank
    k = len(uniq)
    dist = np.zeros(k)
    for j in range(m):
        by = np.lexsort((uniq[:, j], urank))  # by front, then value; stable, so ties keep the canonical order
        v, r = uniq[by, j], urank[by]
        change = r[1:] != r[:-1]
        first, last = np.r_[True, change], np.r_[change, True]
        front_id = np.cumsum(first) - 1
        span = (v[last] - v[first])[front_id]  # each front is sorted by value: its last minus its first
        gap = np.zeros(k)
        inner = np.flatnonzero(~(first | last))
        gap[inner] = v[inner + 1] - v[inner - 1]
        contrib = np.divide(gap, span, out=np.zeros(k), where=span > 0)
        contrib[(first | last) & (span > 0)] = np.inf
        dist[by] += contrib
    dist[np.bincount(urank)[urank] <= 2] = np.inf
    return dist[inverse]
