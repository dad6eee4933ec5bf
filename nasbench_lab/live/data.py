"""Small image data for live training: scikit-learn's digits, or any arrays, split deterministically.

numpy only (no PyTorch): arrays are checked here and turned into float32 (n, C, H, W) images
with int64 labels 0..K-1, normalised per channel with the training split's mean and std.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.registry import Registry

#: default train/valid/test fractions of a dataset given as one (X, y) pair
FRACTIONS = (0.6, 0.2, 0.2)


@dataclass(frozen=True)
class Split:
    """Images ``X`` float32 (n, C, H, W) and labels ``y`` int64 (n,)."""

    X: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class ImageData:
    """Train/valid/test splits of one image classification dataset."""

    name: str
    train: Split
    valid: Split
    test: Split
    num_classes: int
    description: str = ""

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.train.X.shape[1:])  # type: ignore[return-value]


#: named datasets: name -> function () -> (X, y, description)
DATASETS: Registry[Callable[[], tuple[np.ndarray, np.ndarray, str]]] = Registry("live dataset")


@DATASETS.register("digits")
def _digits() -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    return X, d.target.astype(np.int64), ("scikit-learn digits: 1,797 8x8 grayscale handwritten digits, 10 classes "
                                          "(a tiny stand-in, not CIFAR)")


@DATASETS.register("digits32")
def _digits32() -> tuple[np.ndarray, np.ndarray, str]:
    from scipy.ndimage import zoom

    X, y, _ = _digits()
    big = zoom(X[:, 0], (1, 4, 4), order=1).astype(np.float32)  # bilinear 8x8 -> 32x32
    return np.repeat(big[:, None], 3, axis=1), y, ("scikit-learn digits upscaled to 32x32 with 3 equal channels: "
                                                   "CIFAR's input shape, not CIFAR's content")


def check_arrays(X: object, y: object, what: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """Validates images and labels; returns float32 (n, C, H, W) and int64 (n,) arrays."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.dtype.kind not in "fiub":
        raise ConfigError(f"{what}: X must be numeric, got dtype {X.dtype}")
    if X.ndim == 3:
        X = X[:, None]
    if X.ndim != 4:
        raise ConfigError(f"{what}: X must be images shaped (n, C, H, W) or (n, H, W), got shape {X.shape}; "
                          "reshape flat features into images first")
    if min(X.shape[2:]) < 2:
        raise ConfigError(f"{what}: images must be at least 2x2 pixels, got {X.shape[2]}x{X.shape[3]}")
    if y.ndim != 1 or len(y) != len(X):
        raise ConfigError(f"{what}: y must be 1-D with one label per image ({len(X)}), got shape {y.shape}")
    if len(y) == 0:
        raise ConfigError(f"{what}: no samples")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            raise ConfigError(f"{what}: labels must be integers 0..K-1, got non-integer values")
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise ConfigError(f"{what}: labels must be integers 0..K-1, got dtype {y.dtype}")
    if y.min() < 0:
        raise ConfigError(f"{what}: labels must be integers 0..K-1, got {int(y.min())}")
    X = X.astype(np.float32)
    if not np.all(np.isfinite(X)):
        raise ConfigError(f"{what}: X holds NaN or infinite values")
    return X, y.astype(np.int64)


def stratified_split(y: np.ndarray, fractions: tuple[float, float, float], seed: int) -> tuple[np.ndarray, ...]:
    """Index arrays (train, valid, test) drawn per class with a seeded Generator (same seed, same split)."""
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ConfigError(f"split fractions must be three positive numbers summing to 1, got {fractions}")
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_train = int(round(fractions[0] * len(idx)))
        n_valid = int(round(fractions[1] * len(idx)))
        for k, chunk in enumerate((idx[:n_train], idx[n_train:n_train + n_valid], idx[n_train + n_valid:])):
            parts[k].append(chunk)
    out = tuple(np.sort(np.concatenate(p)) for p in parts)
    for name, part in zip(("train", "valid", "test"), out):
        if len(part) == 0:
            raise ConfigError(f"the {name} split is empty: too few samples for fractions {fractions}")
    return out


def _normalised(train: Split, others: list[Split]) -> list[Split]:
    mean = train.X.mean(axis=(0, 2, 3), keepdims=True)
    std = train.X.std(axis=(0, 2, 3), keepdims=True)
    std = np.where(std > 0, std, 1.0)
    return [Split(((s.X - mean) / std).astype(np.float32), s.y) for s in (train, *others)]


def load_data(data: object = "digits", *, split_seed: int = 0,
              fractions: tuple[float, float, float] = FRACTIONS) -> ImageData:
    """``data`` as ImageData: a dataset name, an ``(X, y)`` pair to split, or a dict of three pairs.

    A dict needs keys ``train``, ``valid``, ``test``. Splits of one pair are stratified by label
    and depend only on ``split_seed``, so every architecture and training seed sees the same split.
    """
    if isinstance(data, ImageData):
        return data
    if isinstance(data, str):
        X, y, description = DATASETS.get(data)()
        name = data
    elif isinstance(data, dict):
        missing = {"train", "valid", "test"} - set(data)
        if missing:
            raise ConfigError(f"data dict needs keys train, valid, test; missing: {', '.join(sorted(missing))}")
        splits = [Split(*check_arrays(*_pair(data[k], k), what=f"data[{k!r}]")) for k in ("train", "valid", "test")]
        shapes = {s.X.shape[1:] for s in splits}
        if len(shapes) != 1:
            raise ConfigError(f"data: the splits have different image shapes {sorted(shapes)}")
        k = int(max(s.y.max() for s in splits)) + 1
        _check_classes(splits[0].y, k)
        train, valid, test = _normalised(splits[0], splits[1:])
        return ImageData("arrays", train, valid, test, k, "user arrays (given splits)")
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        X, y = data
        name, description = "arrays", "user arrays"
    else:
        raise ConfigError(f"data must be a dataset name ({', '.join(DATASETS.names())}), an (X, y) pair or a dict "
                          f"of train/valid/test pairs; got {type(data).__name__}")
    X, y = check_arrays(X, y, what=f"data {name!r}")
    k = int(y.max()) + 1
    _check_classes(y, k)
    tr, va, te = stratified_split(y, fractions, split_seed)
    train, valid, test = _normalised(Split(X[tr], y[tr]), [Split(X[va], y[va]), Split(X[te], y[te])])
    return ImageData(name, train, valid, test, k, description)


def _pair(value: object, key: str) -> tuple[object, object]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ConfigError(f"data[{key!r}] must be an (X, y) pair")
    return value[0], value[1]


def _check_classes(y: np.ndarray, k: int) -> None:
    present = np.unique(y)
    if len(present) < 2:
        raise ConfigError(f"data: at least two classes are needed, got labels {present.tolist()}")
    if len(present) != k:
        missing = sorted(set(range(k)) - set(present.tolist()))
        raise ConfigError(f"data: labels must be 0..K-1 with every class present; missing {missing[:10]} "
                          f"(K = max label + 1 = {k})")
