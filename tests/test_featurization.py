"""The one featurization (spaces/features.py): NB201's live/counts/canon encodings and the surrogates' encoder
give, bit for bit, the features of the code they replaced (predictors/features.py, surrogate.encode before
issue 15), so predictor, search and surrogate results are unchanged. The digests and rows below were computed
with that old code on the same inputs."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.benchmarks.surrogates.surrogate import default_encoding as surrogate_encoding
from nasbench_lab.benchmarks.surrogates.surrogate import encode as surrogate_encode
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.spaces.features import default_encoding, featurize
from nasbench_lab.spaces.nb201 import live_mask


def _digest(matrix: np.ndarray) -> str:
    a = np.ascontiguousarray(matrix)
    return f"{a.dtype} {a.shape} {hashlib.sha256(a.tobytes()).hexdigest()}"


@pytest.fixture(scope="module")
def sp():
    return nasbench_lab.space("nb201")


#: sha256 of each encoding of all 15,625 NB201 cells in official order, computed with the pre-move code
OLD_NB201 = {
    "live": "float32 (15625, 30) dc460796a9e76c76004754045e2c9af40c5b61647cfbf681af269bfc5fdce535",
    "counts": "float32 (15625, 8) 91c9213100aabe1a326a652684c4cad62e1052bfc74ca220c5d3bb403770c4c5",
    "canon": "float32 (15625, 30) 7a1c399ec04b559ba000c453aa0f35a3e63026f4e40c89ae1b17d26024f013f1",
    "onehot+live+counts": "float32 (15625, 68) af742e29aae026192d402078379b4d4394456a490c5d653b7e2ff477f66bdf0d",
    "path+live+counts": "float32 (15625, 122) 30cce67bf98bd317d151cf80c1184f9c8d3011c938cbd5e8d9aa5a015d5e97e0",
    "live+counts": "float32 (15625, 38) 8fd7fd2e3c9f83a789656f345a4c7ccebdcd4e7c0d83f0d427058d63be46dec0",
    "onehot": "float32 (15625, 30) 73a3802d43bb827e7bef2c3eccdc7ff2dce828e999524ae95f5337a413d061bc",
    "path": "float32 (15625, 84) 1542f48dd926bf1845dd0b3000915c99ede17de1d8ef00979e175ec21a282bc7",
}


@pytest.mark.parametrize("encoding", sorted(OLD_NB201))
def test_nb201_encodings_equal_the_old_predictor_side_ones(sp, encoding):
    assert _digest(featurize(sp, sp.all(), encoding)) == OLD_NB201[encoding]


def test_nb201_live_mask_and_counts_rows_equal_the_old_ones(sp):
    batch = sp.all()
    assert _digest(live_mask(batch)) == \
        "bool (15625, 6) 3b1dc9bb192cca1e1e0b5b7b60debd08ff40343d3508bd1126181a9e4729815f"
    rows = batch[[0, 1, 100, 4000, 15624]]
    assert rows.tolist() == [[4, 2, 1, 2, 1, 1], [3, 3, 4, 1, 3, 1], [3, 3, 0, 3, 4, 1], [2, 0, 2, 3, 0, 3],
                             [2, 0, 2, 0, 2, 2]]
    # skip, conv1, conv3, pool on live edges, connected, conv depth, weighted depth, live paths
    assert sp.encode(rows, "counts").tolist() == [
        [3, 2, 0, 1, 1, 1, 1, 4], [2, 0, 3, 1, 1, 2, 4, 4], [1, 0, 3, 1, 1, 1, 2, 3], [0, 2, 2, 0, 1, 3, 4, 2],
        [0, 4, 0, 0, 1, 3, 3, 2]]
    assert live_mask(rows).astype(int).tolist() == [
        [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 1], [1, 0, 1, 1, 0, 1], [1, 0, 1, 0, 1, 1]]


def test_nb201_space_lists_and_describes_its_encodings(sp):
    assert sp.encodings() == ["canon", "counts", "index", "live", "onehot", "path"]
    assert sp.describe()["encodings"] == sp.encodings()
    assert {default_encoding(sp, f) for f in ("tree", "mlp", "kernel")} == \
        {"onehot+live+counts", "path+live+counts", "live+counts"}
    assert default_encoding(nasbench_lab.space("darts"), "mlp") == "onehot"


@pytest.mark.parametrize("name, encoding, digest", [
    ("darts", "counts+adjacency+path",
     "float32 (200, 342) 043072b6edb1d8481469902b5cacb6a4680aefa1bbe895e39105c98a0931e666"),
    ("nbgraph", "adjacency", "float32 (200, 51) cb8d6cf1526ab6b63c1bf52c7482428dd186c87029db1c762cef9c6a1ee96382"),
    ("nb101", "onehot", "float32 (200, 36) fd7ff1c0011e569db6108fce709ba62c486265d907b76c67d528331fca1e9afd"),
])
def test_surrogate_features_equal_the_old_encoder(name, encoding, digest):
    space = nasbench_lab.space(name)
    batch = space.sample(np.random.default_rng(0), 200)
    assert surrogate_encoding(space) == encoding
    assert _digest(surrogate_encode(space, batch, encoding)) == digest


def test_surrogate_nb201_features_are_the_canonical_one_hot(sp):
    assert surrogate_encoding(sp) == "onehot"
    assert _digest(surrogate_encode(sp, sp.all(), "onehot")) == OLD_NB201["canon"]


def test_featurize_joins_callables_none_and_names_bad_encodings(sp):
    batch = sp.all()[:7]
    assert featurize(sp, batch, "none").shape == (7, 0)
    assert featurize(sp, batch, lambda b: b.sum(axis=1)).tolist() == [[float(v)] for v in batch.sum(axis=1)]
    assert featurize(sp, batch, "onehot + counts").shape == (7, 38)
    with pytest.raises(UnknownNameError, match=r"encoding of space nb201 'bogus'; accepted: canon, counts, index"):
        featurize(sp, batch, "onehot+bogus")
    with pytest.raises(ConfigError, match="encoding must be a name"):
        featurize(sp, batch, "")
