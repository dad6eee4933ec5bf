"""Benchmarks; importing this package registers the built-in ones."""

from nasbench_lab.benchmarks import nb101, nb201, nbgraph, surrogates  # noqa: F401  (registers)
from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.benchmarks.spec import BENCHMARKS, BenchmarkSpec
from nasbench_lab.benchmarks.surrogates.surrogate import SurrogateBenchmark, fit_surrogate, load_surrogate
from nasbench_lab.benchmarks.tabular import TabularBenchmark

__all__ = ["BENCHMARKS", "Benchmark", "BenchmarkSpec", "SurrogateBenchmark", "TabularBenchmark", "fit_surrogate",
           "load_surrogate"]
