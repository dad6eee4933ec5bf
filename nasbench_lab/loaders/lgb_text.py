"""Predicting with a LightGBM text model in numpy (NB301's runtime model is LightGBM; lightgbm is no dependency).

Reads the text format ``Booster.model_to_string()`` writes (what a pickled lightgbm Booster
stores): per tree ``split_feature``, ``threshold``, ``decision_type``, ``left_child``,
``right_child``, ``leaf_value``. Numerical splits only (bit 0 of decision_type clear): go left
when ``x <= threshold``; missing type (bits 2-3) Zero sends |x| <= 1e-35 and NaN the default
way (bit 1), type NaN sends NaN the default way, type None reads NaN as 0. Negative child
``c`` is leaf ``~c``. The prediction is the sum of leaf values (``average_output`` divides by
the tree count).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import DataFileError

_ZERO = 1e-35


@dataclass
class _Tree:
    feature: np.ndarray
    threshold: np.ndarray
    default_left: np.ndarray
    missing: np.ndarray  # 0 none, 1 zero, 2 nan
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray


class LGBTextModel:
    """A regression LightGBM model read from its text form."""

    def __init__(self, text: str, source: str = "LightGBM model"):
        self.source = source
        header: dict[str, str] = {}
        trees: list[dict[str, str]] = []
        block: dict[str, str] | None = None
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("Tree="):
                block = {}
                trees.append(block)
            elif line.startswith("end of trees"):
                break
            elif "=" in line:
                key, _, value = line.partition("=")
                (block if block is not None else header)[key] = value
        if not trees or "max_feature_idx" not in header:
            raise DataFileError(f"{source} is not a LightGBM text model (no 'Tree=' blocks or header)")
        if int(header.get("num_class", "1")) != 1:
            raise DataFileError(f"{source}: only single-output regression models are supported")
        self.n_features = int(header["max_feature_idx"]) + 1
        self.average = "average_output" in header
        self.trees = [self._tree(t, i) for i, t in enumerate(trees)]

    def _tree(self, block: dict[str, str], i: int) -> _Tree:
        def arr(key: str, dtype) -> np.ndarray:
            return np.array(block[key].split(), dtype=dtype) if block.get(key, "").strip() else np.zeros(0, dtype)

        try:
            leaf = arr("leaf_value", np.float64)
            if int(block.get("num_leaves", len(leaf))) == 1:
                z = np.zeros(0, dtype=np.int64)
                return _Tree(z, z.astype(np.float64), z.astype(bool), z, z, z, leaf)
            decision = arr("decision_type", np.int64)
            if (decision & 1).any():
                raise DataFileError(f"{self.source}: tree {i} has categorical splits, which are not supported")
            return _Tree(arr("split_feature", np.int64), arr("threshold", np.float64), (decision & 2) > 0,
                         (decision >> 2) & 3, arr("left_child", np.int64), arr("right_child", np.int64), leaf)
        except (KeyError, ValueError) as exc:
            raise DataFileError(f"{self.source}: tree {i} is malformed ({exc})") from None

    def predict(self, features: np.ndarray) -> np.ndarray:
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise DataFileError(f"{self.source} expects {self.n_features} features, got shape {x.shape}")
        out = np.zeros(len(x))
        rows = np.arange(len(x))
        for t in self.trees:
            if len(t.feature) == 0:
                out += t.leaf[0]
                continue
            node = np.zeros(len(x), dtype=np.int64)
            active = np.ones(len(x), dtype=bool)
            while active.any():
                r, nd = rows[active], node[active]
                v = x[r, t.feature[nd]]
                miss = t.missing[nd]
                nan = np.isnan(v)
                v = np.where(nan & (miss != 2), 0.0, v)
                use_default = ((miss == 1) & (np.abs(v) <= _ZERO)) | ((miss == 2) & nan)
                go_left = np.where(use_default, t.default_left[nd], v <= t.threshold[nd])
                child = np.where(go_left, t.left[nd], t.right[nd])
                node[active] = child
                active[r[child < 0]] = False
            out += t.leaf[~node]
        return out / len(self.trees) if self.average else out
