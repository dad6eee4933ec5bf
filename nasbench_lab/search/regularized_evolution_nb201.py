"""Regularized evolution exactly as NAS-Bench-201 ran it (``exps/algos/R_EA.py`` of D-X-Y/AutoDL-Projects).

Two things differ from ``re``: the tournament draws its ``sample_size`` members *with* replacement
(``random.choice`` in a loop), and a child changes one edge chosen by first picking a node (1, 2 or
3, uniformly) and then one of that node's incoming edges (uniformly), to one of the other four ops.
So edge 1<-0 is mutated with probability 1/3, each edge into node 2 with 1/6 and each edge into
node 3 with 1/9, where ``re`` gives every edge 1/6. The space must be NB201's.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab.search.base import register_optimizer
from nasbench_lab.search.regularized_evolution import RegularizedEvolution, _Member
from nasbench_lab.spaces.nb201 import EDGES, NUM_OPS, NB201Space

#: node -> the positions (in the architecture array) of its incoming edges, nodes in ascending order
NODE_EDGES: tuple[tuple[int, ...], ...] = tuple(
    tuple(e for e, (to, _src) in enumerate(EDGES) if to == node) for node in sorted({to for to, _ in EDGES}))


def mutate_node_then_edge(arch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``arch`` with one edge set to another op: a uniform node, then a uniform incoming edge of it."""
    edges = NODE_EDGES[int(rng.integers(len(NODE_EDGES)))]
    edge = edges[int(rng.integers(len(edges)))]
    child = arch.copy()
    child[edge] = (int(child[edge]) + 1 + int(rng.integers(NUM_OPS - 1))) % NUM_OPS
    return child


@register_optimizer("re-nb201")
class RegularizedEvolutionNB201(RegularizedEvolution):
    """``re`` with NAS-Bench-201's tournament (with replacement) and node-then-edge mutation; NB201 space only."""

    display_name = "Regularized evolution (NB201 setting)"
    spaces = (NB201Space.name,)

    def _tournament(self) -> _Member:
        picks = self.rng.integers(len(self._members), size=self.sample_size)  # with replacement, as R_EA.py
        return max((self._members[int(i)] for i in picks), key=lambda m: m.value)

    def _child(self, parent: _Member) -> np.ndarray:
        return mutate_node_then_edge(parent.arch, self.rng)
