"""Records of live training runs, in the tables' metric names and units (accuracies in %, times in s)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

#: metrics an EpochRecord holds, with the tables' names; written to HDF5 by ``build_table``
RECORD_METRICS = ("train_loss", "train_acc", "valid_loss", "valid_acc", "test_loss", "test_acc", "train_time")
METRIC_UNITS = {"train_loss": "loss", "valid_loss": "loss", "test_loss": "loss", "train_acc": "%",
                "valid_acc": "%", "test_acc": "%", "train_time": "s"}


@dataclass(frozen=True)
class EpochRecord:
    """Metrics after one epoch; ``train_time`` is cumulative training seconds (evaluation excluded)."""

    epoch: int
    train_loss: float
    train_acc: float
    valid_loss: float
    valid_acc: float
    test_loss: float
    test_acc: float
    train_time: float
    eval_time: float
    lr: float


@dataclass
class RunResult:
    """One architecture trained with one seed: per-epoch records, or where and why it stopped."""

    space: str
    arch: str
    seed: int
    epochs: int
    data: str
    records: list[EpochRecord] = field(default_factory=list)
    #: "ok", or "diverged" when the loss became NaN/inf (the records before that are kept)
    status: str = "ok"
    message: str = ""
    params: float = float("nan")
    macro: dict = field(default_factory=dict)
    device: str = "cpu"

    @property
    def finished(self) -> bool:
        return self.status == "ok" and len(self.records) == self.epochs

    def metric(self, name: str) -> np.ndarray:
        """Values of one metric for epochs 1..epochs (NaN after a divergence)."""
        out = np.full(self.epochs, np.nan)
        for r in self.records:
            out[r.epoch - 1] = getattr(r, name)
        return out

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> RunResult:
        records = [EpochRecord(**r) for r in d.get("records", [])]
        return cls(**{**d, "records": records})
