"""Surrogate benchmarks: our fitted XGBoost ensembles, tables completed by them, and NB301's official
ensembles; importing this package registers their direct loaders (a fitted folder, an NB301 model folder)."""

from nasbench_lab.benchmarks.surrogates import nb301_official, surrogate  # noqa: F401  (registers)
from nasbench_lab.benchmarks.surrogates.surrogate import SurrogateBenchmark, fit_surrogate, load_surrogate

__all__ = ["SurrogateBenchmark", "fit_surrogate", "load_surrogate"]
