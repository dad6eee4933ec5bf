"""Analysis of search results: anytime curves with bootstrap bands, final tables, ranks, tests, plots."""

from nasbench_lab.analysis.aggregate import Curve, anytime_curve, bootstrap_ci, final_table, mean_ranks
from nasbench_lab.analysis.reference import benchmark_reference
from nasbench_lab.analysis.stats import holm, mann_whitney_greater, pairwise_wilcoxon, relative_improvement

__all__ = [
    "Curve",
    "anytime_curve",
    "benchmark_reference",
    "bootstrap_ci",
    "final_table",
    "holm",
    "mann_whitney_greater",
    "mean_ranks",
    "pairwise_wilcoxon",
    "relative_improvement",
]
