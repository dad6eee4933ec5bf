"""The exact front of a listed table for a run's objectives, and the table's values of the architectures a run found.

Every indicator of a multi-objective or constrained study is measured against the table itself: every
architecture is queried (validation at the mean over training seeds, every metric at its default fidelity),
infeasible architectures are left out, and :func:`~nasbench_lab.analysis.pareto.pareto_reference` gives the
exact front, the normalization and the reference point. A run's found architectures are scored with the same
values (``table_front.table_values``), so a run holding the whole front has regret exactly 0 whatever seed noise its
search saw. The front itself is ``table_front.table_reference`` (cached with the table); this module holds what the
report reads off a reference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasbench_lab.analysis.pareto import ParetoReference, from_minimization
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError
from nasbench_lab.results.objectives import Objectives
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace

#: what builds the exact reference of a benchmark for a run's objectives (the report's injectable default)
ReferenceFn = Callable[[Benchmark, Objectives], ParetoReference]


def front_values(ref: ParetoReference) -> np.ndarray:
    """The exact front's distinct points in the objectives' own units, sorted by the first objective (best first)."""
    span = np.where(ref.worst > ref.best, ref.worst - ref.best, 1.0)
    return from_minimization(ref.front_points * span + ref.best, np.asarray(ref.higher))


def optimum(ref: ParetoReference) -> float:
    """The exact (constrained) optimum of a single-objective reference, in the objective's own units."""
    if ref.n_objectives != 1:
        raise ConfigError(f"an optimum needs one objective, this reference has {ref.n_objectives}")
    return float(from_minimization(ref.best, np.asarray(ref.higher))[0])


def describe_archs(space: SearchSpace, archs: np.ndarray) -> list[tuple[int | None, str]]:
    """Each architecture's official index (listed spaces; None otherwise) and its string form, for tables."""
    indices = np.atleast_1d(space.index(archs)) if isinstance(space, EnumerableSpace) and len(archs) else None
    return [(int(indices[i]) if indices is not None else None, space.to_string(a)) for i, a in enumerate(archs)]
