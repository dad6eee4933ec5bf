"""The encoding of a small space's whole listing, kept once: same features as computing them, predictions once per
distinct row, and runs that never depend on whether the listing was built before (synthetic targets: mechanics)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.predictors import Predictor, make_predictor
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.spaces.features import (
    LISTING_MIN_BATCH,
    compute_features,
    featurize,
    listing_features,
)
from nasbench_lab.spaces.registry import SPACES

LISTED = [name for name in SPACES.names() if name not in ("darts", "nb101")]  # the two too large to list


def fresh(name: str):
    """A space instance with nothing built yet (``nasbench_lab.space`` may hand out a shared one)."""
    return pickle.loads(pickle.dumps(nasbench_lab.space(name)))


@pytest.mark.parametrize("name", LISTED)
def test_listing_rows_equal_the_computed_encoding_bit_for_bit(name):
    space = fresh(name)
    assert isinstance(space, EnumerableSpace)
    rng = np.random.default_rng(0)
    large, small = space.sample(rng, LISTING_MIN_BATCH + 44), space.sample(rng, 5)
    for encoding in space.encodings() + ["onehot+" + space.encodings()[0]]:
        if encoding.startswith("onehot+") and "onehot" not in space.encodings():
            continue
        assert listing_features(space, encoding, build=False) is None  # not built by a small batch
        np.testing.assert_array_equal(featurize(space, small, encoding), compute_features(space, small, encoding))
        np.testing.assert_array_equal(featurize(space, large, encoding), compute_features(space, large, encoding))
        listing = listing_features(space, encoding, build=False)
        assert listing is not None and len(listing.matrix) == space.size  # built by the large batch
        np.testing.assert_array_equal(listing.distinct[listing.row_of], listing.matrix)
        np.testing.assert_array_equal(featurize(space, small, encoding), compute_features(space, small, encoding))


def test_the_listing_is_not_pickled_with_its_space():
    space = fresh("nb201")
    before = len(pickle.dumps(space))
    listing = listing_features(space, "onehot")
    assert listing is not None and listing_features(space, "onehot", build=False) is listing
    assert len(pickle.dumps(space)) == before  # a worker gets the space without its tables
    assert listing_features(pickle.loads(pickle.dumps(space)), "onehot", build=False) is None


def _synthetic(space, n, seed):
    """Synthetic target (a smooth function of the one-hot encoding): mechanics only."""
    rng = np.random.default_rng(seed)
    archs = space.sample(rng, n)
    return archs, space.encode(archs, "onehot") @ np.linspace(-1, 1, 30)


@pytest.mark.parametrize("name", ["mlp_ens", "xgb"])
def test_predictions_do_not_depend_on_an_earlier_built_listing(name):
    """A small batch is predicted from its own rows whether or not another run built the listing before."""
    archs, y = _synthetic(nasbench_lab.space("nb201"), 60, 0)
    test = nasbench_lab.space("nb201").sample(np.random.default_rng(1), 100)
    space = fresh("nb201")
    before = make_predictor(name, space, random_state=3).fit(archs, y).predict(test)
    assert listing_features(space, make_predictor(name, space).encoding, build=False) is None
    model = make_predictor(name, space, random_state=3)
    listing_features(space, model.encoding)  # what a whole-space ranking in the same process leaves behind
    np.testing.assert_array_equal(model.fit(archs, y).predict(test), before)


def test_large_batches_are_predicted_once_per_distinct_row():
    space = nasbench_lab.space("nb201")
    archs, y = _synthetic(space, 60, 0)
    seen: list[int] = []

    class Counting(Predictor):
        def _fit(self, X, t):
            self.w = np.linspace(0, 1, X.shape[1])

        def _predict(self, X):
            seen.append(len(X))
            return X @ self.w

    every = space.all()
    counting = Counting(space, encoding="live").fit(archs, y)
    pred = counting.predict(every)
    distinct = len(np.unique(featurize(space, every, "live"), axis=0))
    assert seen == [distinct] and distinct < space.size  # 9,445 of 15,625 NB201 cells differ in live edges
    np.testing.assert_allclose(pred, counting._fitted_target().inverse(counting._checked_features(every) @ counting.w))
    Counting.rowwise = False  # a batch-wise model sees every row
    seen.clear()
    Counting(space, encoding="live").fit(archs, y).predict(every)
    assert seen == [space.size]


def test_xgb_predictions_of_distinct_rows_equal_every_row():
    space = nasbench_lab.space("nb201")
    archs, y = _synthetic(space, 80, 2)
    model = make_predictor("xgb", space, encoding="live+counts", random_state=0).fit(archs, y)
    every = space.all()
    raw = model._call("predict", model._predict, model._checked_features(every))
    np.testing.assert_array_equal(model.predict(every), model._fitted_target().inverse(raw))
