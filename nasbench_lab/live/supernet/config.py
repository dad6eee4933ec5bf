"""Settings of one weight-sharing supernet run and its folder's ``config.json`` (no PyTorch here).

A supernet folder holds ``config.json`` (the :meth:`SupernetConfig.fingerprint`) and one folder of
per-epoch checkpoints per training phase; a rerun with the same settings resumes, other settings are
refused with the differing keys named.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.fileio import atomic_write

CONFIG_FILE = "config.json"
#: supernet sampling rules (one training step each; see ``train.SAMPLERS``)
SAMPLINGS = ("spos", "fair")
#: spaces with a supernet: space -> (number of edges, number of ops per edge)
SUPERNET_SPACES = {"nb201": (6, 5)}


def _int(value: object, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"supernet: {what} must be an integer >= {low}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class SupernetConfig:
    """What a supernet is and how it is trained (NB201's recipe scaled down, as live training).

    ``sampling``: ``spos`` (one uniformly drawn path per step, Guo et al. 2020) or ``fair`` (5 paths
    per step whose ops form a permutation on every edge, gradients summed before one SGD step, Chu et
    al. 2021: every op of every edge is trained once per step). ``few_shot_k``: after the one-shot
    phase, one sub-supernet per op of each of the first ``few_shot_k`` edges in the space's edge order
    (nb201: edge 0 = node 1 <- node 0, then 2<-0, 2<-1, ...), i.e. 5**K sub-supernets, each
    warm-started from the one-shot weights and trained ``split_epochs`` (default ``epochs``) more
    epochs with those edges fixed (Zhao et al. 2021). ``seed`` draws the weights, the batch order
    and the paths.
    """

    space: str = "nb201"
    epochs: int = 2
    sampling: str = "spos"
    few_shot_k: int = 0
    split_epochs: int | None = None
    C: int = 8
    N: int = 1
    data: str = "digits"
    split_seed: int = 0
    seed: int = 0
    batch_size: int = 64
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4

    def __post_init__(self) -> None:
        if self.space not in SUPERNET_SPACES:
            raise ConfigError(f"supernet: no supernet for space {self.space!r}; accepted: "
                              f"{', '.join(SUPERNET_SPACES)}")
        if self.sampling not in SAMPLINGS:
            raise ConfigError(f"supernet: unknown sampling {self.sampling!r}; accepted: {', '.join(SAMPLINGS)}")
        edges = self.num_edges
        k = _int(self.few_shot_k, "few_shot_k", 0)
        if k > edges:
            raise ConfigError(f"supernet: few_shot_k must be at most the number of edges of a {self.space} cell "
                              f"({edges}), got {k}")
        for name, low in (("epochs", 1), ("C", 1), ("N", 1), ("split_seed", 0), ("seed", 0), ("batch_size", 1)):
            object.__setattr__(self, name, _int(getattr(self, name), name, low))
        object.__setattr__(self, "few_shot_k", k)
        if self.split_epochs is not None:
            object.__setattr__(self, "split_epochs", _int(self.split_epochs, "split_epochs", 1))
        if not isinstance(self.data, str):
            raise ConfigError(f"supernet: data must be a dataset name (e.g. digits), got {type(self.data).__name__}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ConfigError(f"supernet: lr must be a positive number, got {self.lr!r}")
        if not 0 <= self.momentum < 1 or self.weight_decay < 0:
            raise ConfigError(f"supernet: momentum must be in [0, 1) and weight_decay >= 0, got {self.momentum}, "
                              f"{self.weight_decay}")

    @property
    def num_edges(self) -> int:
        return SUPERNET_SPACES[self.space][0]

    @property
    def num_ops(self) -> int:
        return SUPERNET_SPACES[self.space][1]

    @property
    def split_edges(self) -> tuple[int, ...]:
        """The edges the few-shot split fixes: the first ``few_shot_k`` in the space's edge order."""
        return tuple(range(self.few_shot_k))

    def phases(self) -> list[tuple[str, dict[int, int], int]]:
        """Training phases in order: (name, fixed edge -> op, epochs); the one-shot phase first."""
        out: list[tuple[str, dict[int, int], int]] = [("oneshot", {}, self.epochs)]
        if self.few_shot_k:
            for ops in itertools.product(range(self.num_ops), repeat=self.few_shot_k):
                fixed = dict(zip(self.split_edges, ops))
                name = "split_" + "_".join(f"e{e}o{o}" for e, o in fixed.items())
                out.append((name, fixed, self.split_epochs or self.epochs))
        return out

    @property
    def total_epochs(self) -> int:
        """Supernet epochs the training costs (each sub-supernet's epochs counted)."""
        return sum(e for _, _, e in self.phases())

    @property
    def path_epochs(self) -> int:
        """Single-path epochs the training equals (what a one-shot search is charged): ``total_epochs``,
        times the number of ops under fair sampling (each of its steps trains that many paths)."""
        return self.total_epochs * (self.num_ops if self.sampling == "fair" else 1)

    def fingerprint(self) -> dict:
        """Every setting that changes the weights (what a folder is checked against)."""
        return asdict(self)

    def key(self) -> str:
        """A readable folder name for these settings (used by the predictor's cache)."""
        split = f"-k{self.few_shot_k}" + (f"x{self.split_epochs}" if self.split_epochs else "")
        recipe = f"-b{self.batch_size}-lr{self.lr:g}-m{self.momentum:g}-wd{self.weight_decay:g}"
        return (f"{self.space}-{self.sampling}{split}-C{self.C}-N{self.N}-e{self.epochs}-{self.data}"
                f"-split{self.split_seed}-s{self.seed}{recipe}")


def open_folder(folder: str | os.PathLike, config: SupernetConfig) -> Path:
    """Creates ``folder`` with ``config.json``, or checks that it holds a supernet of the same settings."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    cfg = path / CONFIG_FILE
    want = config.fingerprint()
    if cfg.is_file():
        try:
            have = json.loads(cfg.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DataFileError(f"{cfg} is damaged ({exc}); delete the folder {path} to start over") from None
        if not isinstance(have, dict):
            raise DataFileError(f"{cfg} is not a supernet config (a JSON object); delete the folder {path}")
        if have != want:
            diff = sorted(k for k in set(have) | set(want) if have.get(k) != want.get(k))
            shown = "; ".join(f"{k}: {have.get(k)!r} there, {want.get(k)!r} now" for k in diff)
            raise ConfigError(f"{path} holds a supernet with other settings ({shown}); use another folder or delete "
                              "that one (same settings resume)")
    else:
        atomic_write(cfg, json.dumps(want, indent=2, sort_keys=True))
    return path


def read_config(folder: str | os.PathLike) -> SupernetConfig:
    """The SupernetConfig of an existing supernet folder."""
    cfg = Path(folder) / CONFIG_FILE
    try:
        return SupernetConfig(**json.loads(cfg.read_text()))
    except FileNotFoundError:
        raise DataFileError(f"{folder} is not a supernet folder (no {CONFIG_FILE})") from None
    except ConfigError as exc:  # a readable config of settings this version refuses (e.g. another space)
        raise ConfigError(f"{folder} holds a supernet that cannot be used here: {exc}") from None
    except (OSError, ValueError, TypeError) as exc:
        raise DataFileError(f"{cfg} is damaged ({exc}); delete the folder {folder} to start over") from None
