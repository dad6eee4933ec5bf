"""Results of searches, below both the runner and analysis: the Trajectory record and its files (``trajectory``),
algorithm display names (``names``) and Pareto dominance on objective matrices (``pareto``).

``search`` writes trajectories and ``analysis`` reads them; neither needs the other (see docs/architecture.md).
"""

from nasbench_lab.results.trajectory import Trajectory

__all__ = ["Trajectory"]
