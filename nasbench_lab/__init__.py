"""nasbench_lab: fast, reproducible NAS benchmarking on tabular and surrogate benchmarks."""

from nasbench_lab import benchmarks as _benchmarks  # noqa: F401  (registers benchmarks)
from nasbench_lab.api import list_benchmarks, load
from nasbench_lab.errors import (
    ChecksumMismatchError,
    ConfigError,
    DataFileError,
    InvalidArchitectureError,
    NasbenchLabError,
    UnknownNameError,
    UnsafePickleError,
)
from nasbench_lab.official.download import download
from nasbench_lab.spaces import space

__version__ = "0.1.0"

__all__ = [
    "ChecksumMismatchError",
    "ConfigError",
    "DataFileError",
    "InvalidArchitectureError",
    "NasbenchLabError",
    "UnknownNameError",
    "UnsafePickleError",
    "download",
    "list_benchmarks",
    "load",
    "space",
]
