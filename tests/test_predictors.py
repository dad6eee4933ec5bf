"""Predictor interface: validation, determinism, registry and the fast baselines (no real data needed)."""

from __future__ import annotations

import time

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.errors import ConfigError, InvalidArchitectureError, UnknownNameError
from nasbench_lab.predictors import (
    PREDICTORS,
    Predictor,
    PredictorError,
    make_predictor,
    register_predictor,
)
from nasbench_lab.spaces.features import featurize
from nasbench_lab.spaces.nb201 import live_mask


@pytest.fixture(scope="module")
def sp():
    return nasbench_lab.space("nb201")


def _synthetic(sp, n, seed=0):
    """Synthetic target (a smooth function of the one-hot encoding plus noise): tests mechanics only."""
    rng = np.random.default_rng(seed)
    archs = sp.sample(rng, n)
    w = np.linspace(-1, 1, 30)
    y = sp.encode(archs, "onehot") @ w + 0.05 * rng.standard_normal(n)
    return archs, y


@pytest.mark.parametrize("name", ["xgb", "mlp_ens"])
def test_fit_predict_shapes_and_determinism(sp, name):
    archs, y = _synthetic(sp, 120)
    test, _ = _synthetic(sp, 50, seed=1)
    a = make_predictor(name, sp, random_state=3).fit(archs, y).predict(test)
    b = make_predictor(name, sp, random_state=3).fit(archs, y).predict(test)
    assert a.shape == (50,) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)  # same seed, same predictions bit for bit
    c = make_predictor(name, sp, random_state=4).fit(archs, y).predict(test)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name", ["xgb", "mlp_ens"])
def test_learns_synthetic_ranking(sp, name):
    from scipy.stats import spearmanr

    archs, y = _synthetic(sp, 200)
    test, yt = _synthetic(sp, 300, seed=5)
    pred = make_predictor(name, sp, encoding="onehot", random_state=0).fit(archs, y).predict(test)
    assert spearmanr(pred, yt)[0] > 0.8


def test_xgb_rounds_through_the_c_api_equal_booster_update(sp, monkeypatch):
    """The boosting loop's direct C call builds the same trees as xgboost's own Booster.update each round."""
    from nasbench_lab.predictors import trees

    archs, y = _synthetic(sp, 120)
    test, _ = _synthetic(sp, 50, seed=1)
    fast = make_predictor("xgb", sp, random_state=3, n_estimators=30).fit(archs, y)
    rounds = []
    monkeypatch.setattr(trees, "_update_one_round", lambda b, d, i: rounds.append(i) or b.update(d, i))
    plain = make_predictor("xgb", sp, random_state=3, n_estimators=30).fit(archs, y)
    assert rounds == list(range(1, 30))
    np.testing.assert_array_equal(fast.predict(test), plain.predict(test))


def test_mlp_ens_std_and_speed(sp):
    archs, y = _synthetic(sp, 150)
    p = make_predictor("mlp_ens", sp, random_state=0)
    start = time.perf_counter()
    p.fit(archs, y)
    elapsed = time.perf_counter() - start
    mean, std = p.predict_mean_std(archs[:10])
    np.testing.assert_allclose(mean, p.predict(archs[:10]))
    np.testing.assert_allclose(std, p.predict_std(archs[:10]))
    assert std.shape == (10,) and (std >= 0).all() and std.max() > 0
    assert elapsed < 5.0  # generous bound on a shared machine; the perf script measures it properly


def test_rank_target_keeps_units(sp):
    archs, y = _synthetic(sp, 150)
    y = 80 + 5 * y
    pred = make_predictor("xgb", sp, target="rank").fit(archs, y).predict(archs)
    assert 60 < pred.mean() < 100  # predictions in y units, not ranks or normal scores


def test_bad_inputs_raise_clear_errors(sp):
    archs, y = _synthetic(sp, 20)
    with pytest.raises(UnknownNameError, match="accepted: .*mlp_ens.*xgb"):
        make_predictor("nope", sp)
    with pytest.raises(ConfigError, match="unknown parameter.*depth"):
        make_predictor("xgb", sp, depth=3)
    with pytest.raises(ConfigError, match="targets are NaN"):
        make_predictor("xgb", sp).fit(archs, np.where(np.arange(20) == 3, np.nan, y))
    with pytest.raises(ConfigError, match="20 architectures but 19 targets"):
        make_predictor("xgb", sp).fit(archs, y[:19])
    with pytest.raises(InvalidArchitectureError):
        make_predictor("xgb", sp).fit(archs + 10, y)
    with pytest.raises(PredictorError, match="not fitted"):
        make_predictor("xgb", sp).predict(archs)
    with pytest.raises(PredictorError, match="no uncertainty"):
        make_predictor("xgb", sp).fit(archs, y).predict_std(archs)
    with pytest.raises(UnknownNameError, match="encoding of space nb201.*onehot"):
        make_predictor("xgb", sp, encoding="onehot+bogus").fit(archs, y)


class _Broken(Predictor):
    """Returns NaN or the wrong shape on purpose."""

    def __init__(self, space, *, mode: str = "nan", **kwargs):
        super().__init__(space, **kwargs)
        self.mode = mode

    def _fit(self, X, y):
        if self.mode == "raise":
            raise np.linalg.LinAlgError("singular matrix")

    def _predict(self, X):
        return np.full(len(X), np.nan) if self.mode == "nan" else np.zeros(len(X) + 1)


def test_broken_predictor_errors_name_it(sp):
    archs, y = _synthetic(sp, 20)
    broken = type("Broken", (_Broken,), {"name": "broken"})
    with pytest.raises(PredictorError, match="predictor broken: predict returned 20 NaN"):
        broken(sp, mode="nan").fit(archs, y).predict(archs)
    with pytest.raises(PredictorError, match=r"predictor broken: predict returned shape \(21,\)"):
        broken(sp, mode="shape").fit(archs, y).predict(archs)
    with pytest.raises(PredictorError, match="predictor broken failed to fit.*LinAlgError: singular"):
        broken(sp, mode="raise").fit(archs, y)


def test_user_predictor_plugs_into_registry(sp):
    @register_predictor("test_mean_of_ops")
    class MeanOfOps(Predictor):
        """Ridge regression on one-hot: a user's own predictor in a few lines."""

        def _fit(self, X, y):
            self.w = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]

        def _predict(self, X):
            return np.c_[X, np.ones(len(X))] @ self.w

    assert "test_mean_of_ops" in PREDICTORS
    archs, y = _synthetic(sp, 100)
    p = make_predictor("test_mean_of_ops", "nb201", random_state=1).fit(archs, y)
    assert p.predict(archs[:3]).shape == (3,)
    assert p.name == "test_mean_of_ops"


def test_live_mask_and_counts(sp):
    # |conv3~0|+|none~0|none~1|+|none~0|none~1|conv3~2|: node 2 is dead, so nothing reaches the output
    dead = np.array([[3, 0, 0, 0, 0, 3]])
    assert not live_mask(dead).any()
    # output fed by node 1 only: edges 1<-0 and 3<-1 are live; 2<-0 dangles (node 2 feeds nothing)
    arch = np.array([[3, 2, 0, 0, 3, 0]])
    np.testing.assert_array_equal(live_mask(arch)[0], [True, False, False, False, True, False])
    counts = featurize(sp, arch, "counts")[0]
    # skip, conv1, conv3, pool, connected, conv depth, weighted depth, paths
    np.testing.assert_array_equal(counts, [0, 0, 2, 0, 1, 2, 4, 1])
    live = featurize(sp, arch, "live")
    np.testing.assert_array_equal(live, sp.encode(np.array([[3, 0, 0, 0, 3, 0]], dtype=np.int8), "onehot"))
    assert featurize(sp, arch, "onehot+counts").shape == (1, 38)
