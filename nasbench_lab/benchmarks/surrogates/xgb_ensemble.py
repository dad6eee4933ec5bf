"""An ensemble of xgboost regressors: fit on (features, targets), predict each member, save in xgboost's UBJ."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from nasbench_lab.errors import ChecksumMismatchError, ConfigError, DataFileError
from nasbench_lab.tables.checksums import sha256_file

#: fewest training points a surrogate accepts (fewer cannot rank anything reliably)
MIN_TRAIN_POINTS = 20


@dataclass(frozen=True)
class EnsembleParams:
    """Hyperparameters of the ensemble; the defaults reach Kendall tau >= 0.8 on NB201 from 1,000 cells."""

    n_members: int = 10
    rounds: int = 300
    max_depth: int = 6
    eta: float = 0.05
    subsample: float = 0.8
    colsample_bytree: float = 0.7
    min_child_weight: float = 1.0
    #: each member sees a bootstrap resample (bagging) so the members' spread reflects data uncertainty
    bootstrap: bool = True
    #: xgboost threads for training (0: xgboost's default, all cores). One thread keeps fits bit-for-bit
    #: reproducible across machines and avoids OpenMP spin-waiting on loaded machines; members are small
    nthread: int = 1
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_members < 1:
            raise ConfigError(f"n_members must be >= 1, got {self.n_members}")
        if self.rounds < 1:
            raise ConfigError(f"rounds must be >= 1, got {self.rounds}")

    def xgb_params(self, seed: int) -> dict:
        params = {"objective": "reg:squarederror", "max_depth": self.max_depth, "eta": self.eta,
                  "subsample": self.subsample, "colsample_bytree": self.colsample_bytree,
                  "min_child_weight": self.min_child_weight, "tree_method": "hist", "seed": int(seed) % 2**31}
        if self.nthread:
            params["nthread"] = self.nthread
        return {**params, **self.extra}

    def to_dict(self) -> dict:
        return asdict(self)


def check_training_data(features: np.ndarray, targets: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Validates a training set: matching lengths, finite targets, enough points."""
    x = np.asarray(features, dtype=np.float32)
    y = np.asarray(targets, dtype=np.float64).ravel()
    if x.ndim != 2 or len(x) != len(y):
        raise ConfigError(f"{what}: {len(y)} targets for a feature matrix of shape {x.shape}")
    bad = ~np.isfinite(y)
    if bad.any():
        raise ConfigError(f"{what}: {int(bad.sum())} of {len(y)} targets are NaN or infinite (first at position "
                          f"{int(np.flatnonzero(bad)[0])}); drop those architectures before fitting")
    if len(y) < MIN_TRAIN_POINTS:
        raise ConfigError(f"{what}: {len(y)} training points is too few; a surrogate needs at least {MIN_TRAIN_POINTS}")
    if np.ptp(y) == 0:
        raise ConfigError(f"{what}: all {len(y)} targets equal {y[0]}; nothing to learn")
    return x, y


class XGBEnsemble:
    """Members are xgboost Boosters over the same features; predictions are one row per member."""

    def __init__(self, boosters: list, n_features: int, threads: int = 1):
        if not boosters:
            raise ConfigError("an ensemble needs at least one member")
        self.boosters = list(boosters)
        self.n_features = int(n_features)
        for i, b in enumerate(self.boosters):
            if b.num_features() != self.n_features:
                raise DataFileError(f"ensemble member {i} expects {b.num_features()} features, "
                                    f"the others {self.n_features}")
        self.set_threads(threads)

    def set_threads(self, threads: int) -> None:
        """Threads xgboost uses for predictions (0: all cores), the same for fitted and loaded members.

        One thread is the default: multi-threaded prediction costs ~25 ms per call on small batches (thread
        wake-up), which dominates one-architecture queries, and was no faster on 100k rows on 2 busy cores.
        """
        for b in self.boosters:
            b.set_param({"nthread": int(threads)})

    @classmethod
    def fit(cls, features: np.ndarray, targets: np.ndarray, params: EnsembleParams, seed: int,
            what: str = "surrogate") -> XGBEnsemble:
        """Trains ``params.n_members`` boosters; member ``i`` uses seed ``child_seeds(seed)[i]``."""
        import xgboost as xgb

        from nasbench_lab.rng import child_seeds

        x, y = check_training_data(features, targets, what)
        boosters = []
        for member_seed in child_seeds(int(seed), params.n_members):
            if params.bootstrap:
                rows = np.random.default_rng(member_seed).integers(0, len(y), len(y))
                data = xgb.DMatrix(x[rows], label=y[rows])
            else:
                data = xgb.DMatrix(x, label=y)
            boosters.append(xgb.train(params.xgb_params(member_seed), data, num_boost_round=params.rounds))
        return cls(boosters, x.shape[1])

    def predict_members(self, features: np.ndarray) -> np.ndarray:
        """(members, n) float32 predictions."""
        x = np.ascontiguousarray(features, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ConfigError(f"surrogate expects {self.n_features} features per architecture, got shape {x.shape}")
        if len(x) == 0:
            return np.zeros((len(self.boosters), 0), dtype=np.float32)
        return np.stack([b.inplace_predict(x) for b in self.boosters]).astype(np.float32, copy=False)

    def predict(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble mean and standard deviation (float64) of each row."""
        members = self.predict_members(features).astype(np.float64)
        return members.mean(axis=0), members.std(axis=0)

    # ------------------------------------------------------------------ files
    def save(self, folder: Path, prefix: str) -> list[dict]:
        """Writes ``<prefix>_member_<i>.ubj`` files (xgboost's own format); returns their names and sha256."""
        records = []
        for i, booster in enumerate(self.boosters):
            name = f"{prefix}_member_{i:02d}.ubj"
            path = folder / name
            booster.save_model(str(path))
            records.append({"file": name, "sha256": sha256_file(path)})
        return records

    @classmethod
    def load(cls, folder: Path, records: list[dict], n_features: int) -> XGBEnsemble:
        """Reads members listed in ``records`` after checking each file's sha256."""
        import xgboost as xgb

        boosters = []
        for rec in records:
            path = folder / str(rec.get("file", ""))
            if not path.is_file():
                raise DataFileError(f"surrogate folder {folder} is missing member file {path.name}")
            digest = sha256_file(path)
            if digest != rec.get("sha256"):
                raise ChecksumMismatchError(f"{path}: sha256 {digest} differs from the recorded {rec.get('sha256')}; "
                                            "the file was changed or damaged")
            booster = xgb.Booster()
            try:
                booster.load_model(str(path))
            except xgb.core.XGBoostError as exc:
                raise DataFileError(f"{path} is not a readable xgboost model: {str(exc).splitlines()[0]}") from None
            boosters.append(booster)
        ens = cls(boosters, boosters[0].num_features() if boosters else n_features)
        if ens.n_features != n_features:
            raise DataFileError(f"surrogate members in {folder} expect {ens.n_features} features but the recorded "
                                f"encoding gives {n_features}: the files belong to another space or encoding")
        return ens
