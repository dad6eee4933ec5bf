"""Live backend (optional extra ``live``): build the official networks, train them, compute zero-cost proxies,
train weight-sharing supernets and rate architectures with them (``train_supernet``, ``rate_supernet``).

``from nasbench_lab import live`` works without PyTorch; the names that need it import it on first
use and raise LiveBackendMissingError (with the install command) when it is missing. Parameter
counts (``nb201_params``, ``nb101_params``), data loading, records, tables and live checks that
only orchestrate workers need no PyTorch in this process.
"""

from __future__ import annotations

import importlib
from typing import Any

from nasbench_lab.live._torch import LiveBackendMissingError, require_torch
from nasbench_lab.live.counts import nb101_params, nb201_params
from nasbench_lab.live.data import DATASETS, ImageData, Split, load_data
from nasbench_lab.live.jobs import RunStore, TrainJob, run_trainings
from nasbench_lab.live.records import RECORD_METRICS, EpochRecord, RunResult
from nasbench_lab.live.supernet.config import SupernetConfig

#: public names provided by modules that import PyTorch: name -> module
_TORCH_NAMES = {
    "build_network": "nasbench_lab.live.networks",
    "NETWORKS": "nasbench_lab.live.networks",
    "NetworkSpec": "nasbench_lab.live.networks",
    "train": "nasbench_lab.live.trainer",
    "Recipe": "nasbench_lab.live.trainer",
    "seeded_network": "nasbench_lab.live.trainer",
    "proxy": "nasbench_lab.live.proxies",
    "proxy_timed": "nasbench_lab.live.proxies",
    "proxy_batch": "nasbench_lab.live.proxies",
    "compute_proxies": "nasbench_lab.live.proxies",
    "register_proxy": "nasbench_lab.live.proxies",
    "PROXIES": "nasbench_lab.live.proxies",
    "PROXY_NAMES": "nasbench_lab.live.proxies",
    "Supernet": "nasbench_lab.live.supernet.network",
    "train_supernet": "nasbench_lab.live.supernet.train",
    "load_supernet": "nasbench_lab.live.supernet.train",
    "checkpoint_weights": "nasbench_lab.live.supernet.train",
    "TrainedSupernet": "nasbench_lab.live.supernet.train",
    "rate_supernet": "nasbench_lab.live.supernet.rate",
    "SupernetRater": "nasbench_lab.live.supernet.rate",
    "Ratings": "nasbench_lab.live.supernet.rate",
}


def __getattr__(name: str) -> Any:
    module = _TORCH_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'nasbench_lab.live' has no attribute {name!r}")
    require_torch()
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_TORCH_NAMES))


__all__ = [
    "DATASETS", "RECORD_METRICS", "EpochRecord", "ImageData", "LiveBackendMissingError", "RunResult", "RunStore",
    "Split", "SupernetConfig", "TrainJob", "load_data", "nb101_params", "nb201_params", "require_torch",
    "run_trainings",
    *sorted(_TORCH_NAMES),
]
