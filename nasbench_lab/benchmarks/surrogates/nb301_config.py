"""NAS-Bench-301's input vector: a DARTS architecture as the ConfigSpace array its models were fitted on.

The published surrogates take ``Configuration.get_array()`` of NB301's ``configspace.json``
(ConfigSpace 0.4.12), after NB301's loader replaced four constants by integer/float ranges and
filled the fixed training hyperparameters; inactive edges (NaN) are set to -1. ConfigSpace
orders hyperparameters by condition level, then by name: 32 unconditioned ones, then the 24
conditional edges ``edge_<cell>_2..13`` (sorted as strings). Categoricals give their choice
index; integers and uniform floats are normalised to [0, 1] (integers over
``[lower - 0.49999, upper + 0.49999]``, on a log scale where marked); log-normal floats give
``log(value)``; constants give 0. This layout was learned from automl/nasbench301's
configspace.json, api.py and surrogate_models/utils.py; it has not been checked against a
real model file (none can be downloaded here), see docs/surrogates.md.
"""

from __future__ import annotations

import math

import numpy as np

from nasbench_lab.spaces.darts import CELLS, EDGES, INPUT_PAIRS, NUM_NODES, NUM_SLOTS, _canonical

_BASE = "NetworkSelectorDatasetInfo:darts:"


def _uniform(value: float, lower: float, upper: float, log: bool = False) -> float:
    if log:
        value, lower, upper = math.log(value), math.log(lower), math.log(upper)
    return min(1.0, max(0.0, (value - lower) / (upper - lower)))


def _uniform_int(value: int, lower: int, upper: int, log: bool = False) -> float:
    return _uniform(value, lower - 0.49999, upper + 0.49999, log)


#: the fixed training hyperparameters NB301's api.py adds to every query, as vector values
FIXED_VALUES: dict[str, float] = {
    "CreateImageDataLoader:batch_size": _uniform_int(96, 64, 128, log=True),
    "ImageAugmentation:augment": 0.0,  # True, the only choice
    "ImageAugmentation:autoaugment": 0.0,  # False of [False, True]
    "ImageAugmentation:cutout": 0.0,
    "ImageAugmentation:cutout_holes": _uniform_int(1, 1, 3),
    "ImageAugmentation:cutout_length": _uniform_int(16, 1, 50),
    "ImageAugmentation:fastautoaugment": 0.0,
    "LossModuleSelectorIndices:loss_module": 0.0,
    _BASE + "auxiliary": 0.0,
    _BASE + "drop_path_prob": 0.0,  # a Constant
    _BASE + "init_channels": _uniform_int(32, 1, 10000),  # replaced by an int range in NB301's loader
    _BASE + "layers": _uniform_int(8, 1, 10000),
    "NetworkSelectorDatasetInfo:network": 0.0,
    "OptimizerSelector:optimizer": 0.0,
    "OptimizerSelector:sgd:learning_rate": math.log(0.025),  # log-normal float: log(value), not normalised
    "OptimizerSelector:sgd:momentum": _uniform(0.9, 0.1, 0.99),
    "OptimizerSelector:sgd:weight_decay": math.log(0.0003),
    "SimpleLearningrateSchedulerSelector:cosine_annealing:T_max": _uniform_int(100, 1, 10000),
    "SimpleLearningrateSchedulerSelector:cosine_annealing:eta_min": _uniform(1e-8, 0.0, 10000.0),
    "SimpleLearningrateSchedulerSelector:lr_scheduler": 0.0,
    "SimpleTrainNode:batch_loss_computation_technique": 0.0,
    "SimpleTrainNode:mixup:alpha": _uniform(0.2, 0.01, 0.7, log=True),
}


def _names() -> tuple[list[str], list[str]]:
    level0 = list(FIXED_VALUES)
    level1 = []
    for cell in CELLS:
        level0 += [f"{_BASE}edge_{cell}_0", f"{_BASE}edge_{cell}_1"]
        level0 += [f"{_BASE}inputs_node_{cell}_{j + 2}" for j in range(1, NUM_NODES)]
        level1 += [f"{_BASE}edge_{cell}_{e}" for e in range(2, len(EDGES))]
    return sorted(level0), sorted(level1)


_LEVEL0, _LEVEL1 = _names()
#: hyperparameter names in the order of the vector
FEATURE_NAMES: tuple[str, ...] = tuple(_LEVEL0 + _LEVEL1)
N_FEATURES = len(FEATURE_NAMES)  # 56
_POS = {name: i for i, name in enumerate(FEATURE_NAMES)}
_EDGE_START = [0, 2, 5, 9]


def config_vectors(archs: np.ndarray) -> np.ndarray:
    """(n, 56) float32 vectors of a validated DARTS batch, as NB301's models read them."""
    batch = _canonical(np.asarray(archs, dtype=np.int8))
    n = len(batch)
    out = np.full((n, N_FEATURES), -1.0, dtype=np.float32)  # inactive edges: NaN imputed as -1
    for name, value in FIXED_VALUES.items():
        out[:, _POS[name]] = value
    rows = np.arange(n)
    for c, cell in enumerate(CELLS):
        cols = np.array([_POS[f"{_BASE}edge_{cell}_{e}"] for e in range(len(EDGES))])
        for s in range(NUM_SLOTS):
            j = s // 2
            edge = _EDGE_START[j] + batch[:, c, s, 0].astype(np.int64)
            out[rows, cols[edge]] = batch[:, c, s, 1]
        for j in range(1, NUM_NODES):
            lo, hi = batch[:, c, 2 * j, 0].astype(np.int64), batch[:, c, 2 * j + 1, 0].astype(np.int64)
            k = j + 2  # candidates 0..k-1; index of (lo, hi) among combinations(range(k), 2)
            choice = lo * (2 * k - lo - 1) // 2 + (hi - lo - 1)
            out[:, _POS[f"{_BASE}inputs_node_{cell}_{j + 2}"]] = choice
    return out


def input_pair_choices(cell: str, node: int) -> list[str]:
    """The ``inputs_node_<cell>_<node>`` choices in NB301's order (``"0_1"``, ``"0_2"``, ...)."""
    if cell not in CELLS or not 3 <= node <= NUM_NODES + 1:
        raise ValueError(f"no input choice for cell {cell!r} node {node}")
    return [f"{a}_{b}" for a, b in INPUT_PAIRS[node - 2]]
