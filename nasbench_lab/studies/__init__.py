"""Studies: experiment orchestration above search and analysis.

A study is a grid of benchmarks x algorithms x seeds run on a process pool or a Dask cluster, written
resumably to a folder (``study``), and reported as tables, figures and findings (``report``). Optimizers
and the single-run runner stay in ``nasbench_lab.search``; the statistics and plots in ``nasbench_lab.analysis``.
"""

from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec, load_study

__all__ = ["AlgorithmEntry", "BenchmarkEntry", "Study", "StudySpec", "load_study"]
