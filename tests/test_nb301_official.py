"""Loader of the published NB301 model folders, on FIXTURES BUILT HERE AT TEST TIME.

The real nb_models_1.0 cannot be downloaded in this environment. The fixtures reproduce NB301's
layout (``xgb_v1.0/ensemble_member_<i>/surrogate_model.model`` = a pickled Booster, plus
``model_config.json``/``data_config.json``; ``lgb_runtime_v1.0`` the same with a pickled LightGBM
Booster) with SYNTHETIC models: xgboost boosters fitted on made-up targets, and a hand-written
LightGBM text model pickled through a stand-in ``lightgbm.basic.Booster`` class (lightgbm is not
installed). They check the loading mechanics and our input vector, not NB301's numbers.
"""

from __future__ import annotations

import json
import pickle
import sys
import types

import numpy as np
import pytest

import nasbench_lab as nl
from nasbench_lab.benchmarks.surrogates.nb301_config import (
    FEATURE_NAMES,
    N_FEATURES,
    config_vectors,
    input_pair_choices,
)
from nasbench_lab.benchmarks.surrogates.nb301_official import NB301Benchmark, load_nb301
from nasbench_lab.errors import ConfigError, DataFileError, UnsafePickleError
from tests.test_darts_space import DARTS_V2

BASE = "NetworkSelectorDatasetInfo:darts:"


def _synthetic_target(x: np.ndarray) -> np.ndarray:
    """Made-up accuracy: sep_conv_3x3 (op 3) on the first two normal edges helps, pooling hurts."""
    return 92 + 0.5 * (x[:, 10] == 3) + 0.5 * (x[:, 11] == 3) - 0.3 * (x[:, 12] == 0)


# a hand-written LightGBM text model over the 56 NB301 features (two trees)
LGB_TEXT = """tree
version=v3
num_class=1
num_tree_per_iteration=1
label_index=0
max_feature_idx=55
objective=regression

Tree=0
num_leaves=3
num_cat=0
split_feature=10 17
split_gain=1 1
threshold=2.5 0.5
decision_type=2 2
left_child=1 -1
right_child=-2 -3
leaf_value=3000 4000 5000
shrinkage=1


Tree=1
num_leaves=2
num_cat=0
split_feature=40
split_gain=1
threshold=-0.5
decision_type=2
left_child=-1
right_child=-2
leaf_value=0 250
shrinkage=1


end of trees
"""


def _pickled_lgb_booster(text: str) -> bytes:
    """Pickle bytes naming ``lightgbm.basic.Booster`` with LightGBM's pickled state (model string)."""
    basic = types.ModuleType("lightgbm.basic")

    class Booster:
        def __init__(self, handle):
            self.handle = handle

    Booster.__module__ = "lightgbm.basic"
    Booster.__qualname__ = "Booster"
    basic.Booster = Booster
    saved = {k: sys.modules.get(k) for k in ("lightgbm", "lightgbm.basic")}
    sys.modules["lightgbm"] = types.ModuleType("lightgbm")
    sys.modules["lightgbm.basic"] = basic
    try:
        return pickle.dumps(Booster(text), protocol=2)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


@pytest.fixture(scope="module")
def nb_models(tmp_path_factory):
    import xgboost as xgb

    root = tmp_path_factory.mktemp("nb301") / "nb_models_1.0"
    sp = nl.space("darts")
    archs = sp.sample(np.random.default_rng(0), 400)
    x = config_vectors(archs)
    y = _synthetic_target(x)
    perf = root / "xgb_v1.0"
    for i in range(3):
        member = perf / f"ensemble_member_{i}"
        member.mkdir(parents=True)
        booster = xgb.train({"max_depth": 3, "eta": 0.3, "seed": i, "subsample": 0.8, "nthread": 1},
                            xgb.DMatrix(x, label=y), 20)
        (member / "surrogate_model.model").write_bytes(pickle.dumps(booster))
        (member / "model_config.json").write_text(json.dumps({"model": "xgb", "param:bananas_enc": False}))
        (member / "data_config.json").write_text(json.dumps({"seed": i}))
    (perf / "model_config.json").write_text(json.dumps({"model": "xgb"}))
    (perf / "data_config.json").write_text(json.dumps({"seed": 0}))
    runtime = root / "lgb_runtime_v1.0"
    member = runtime / "ensemble_member_0"
    member.mkdir(parents=True)
    (member / "surrogate_model.model").write_bytes(_pickled_lgb_booster(LGB_TEXT))
    (member / "model_config.json").write_text(json.dumps({"model": "lgb_time"}))
    return root


def test_config_vector_layout():
    assert N_FEATURES == 56
    assert FEATURE_NAMES[0] == "CreateImageDataLoader:batch_size"
    assert FEATURE_NAMES[32] == BASE + "edge_normal_10" and FEATURE_NAMES[36] == BASE + "edge_normal_2"
    sp = nl.space("darts")
    x = config_vectors(sp.from_string(DARTS_V2)[None])[0]
    pos = {n: i for i, n in enumerate(FEATURE_NAMES)}
    assert x[pos[BASE + "edge_normal_0"]] == 3  # sep_conv_3x3
    assert x[pos[BASE + "edge_normal_11"]] == 5  # node 5 <- node 2: dil_conv_3x3
    assert x[pos[BASE + "edge_normal_10"]] == -1  # node 5 does not read node 1: inactive -> -1
    # node 5 reads nodes 0 and 2: choice "0_2" of ["0_1", "0_2", "0_3", "0_4", ...]
    assert x[pos[BASE + "inputs_node_normal_5"]] == input_pair_choices("normal", 5).index("0_2") == 1
    # reduce node 4 reads nodes 0 and 2: "0_2" of ["0_1", "0_2", "0_3", "1_2", "1_3", "2_3"]
    assert x[pos[BASE + "inputs_node_reduce_4"]] == input_pair_choices("reduce", 4).index("0_2") == 1
    assert x[pos["OptimizerSelector:sgd:learning_rate"]] == pytest.approx(np.log(0.025))
    assert (x[pos[BASE + "edge_reduce_2"]: pos[BASE + "edge_reduce_9"] + 1] >= -1).all()
    assert ((x[32:] >= 0).sum()) == 2 * 6  # 12 active conditional edges (nodes 3..5, 2 each, 2 cells)


def test_load_and_query(nb_models):
    import xgboost as xgb

    bench = nl.load(nb_models)
    assert isinstance(bench, NB301Benchmark) and bench.metrics == ["valid_acc", "train_time"]
    sp = bench.space
    archs = sp.sample(np.random.default_rng(1), 300)
    mean = bench.query(archs, "valid_acc")
    x = config_vectors(archs)
    direct = np.mean([pickle.loads((nb_models / f"xgb_v1.0/ensemble_member_{i}/surrogate_model.model").read_bytes())
                      .inplace_predict(x) for i in range(3)], axis=0)
    assert np.allclose(mean, direct, atol=1e-4)
    assert np.corrcoef(mean, _synthetic_target(x))[0, 1] > 0.9
    noisy = bench.query(archs, "valid_acc", seed=1)
    assert np.array_equal(noisy, bench.query(archs, "valid_acc", seed=1)) and not np.allclose(noisy, mean)
    assert isinstance(bench.query(archs[0], "valid_acc"), float)
    assert xgb.__version__
    # the runtime model: tree 0 splits on edge_normal_0 (op <= 2.5) then inputs_node_normal_5 (choice <= 0.5),
    # tree 1 adds 250 when edge_normal_6 (node 4 <- node 1) is active
    arch = sp.from_string(DARTS_V2)
    # edge_normal_0 = sep_conv_3x3 (3 > 2.5) -> 4000; node 4 reads nodes 1 and 0 -> edge_normal_6 active -> +250
    assert bench.cost(arch) == pytest.approx(4250.0)
    other = arch.copy()
    other[0, 0, 1] = 0  # max_pool on edge_normal_0 -> left; node 5 reads "0_2" (choice 1 > 0.5) -> 5000
    assert bench.cost(other) == pytest.approx(5250.0)
    assert bench.describe()["metrics"]["train_time"]["model"] == "lgb_time"


def test_performance_folder_alone(nb_models):
    bench = load_nb301(nb_models / "xgb_v1.0")
    with pytest.raises(ConfigError, match="runtime"):
        bench.cost(nl.space("darts").sample(np.random.default_rng(0)))


def test_bad_folders(nb_models, tmp_path):
    import shutil

    import xgboost as xgb

    with pytest.raises(DataFileError, match="neither"):
        load_nb301(tmp_path)
    bad = tmp_path / "bad"
    shutil.copytree(nb_models / "xgb_v1.0", bad)
    (bad / "ensemble_member_1" / "surrogate_model.model").write_bytes(
        b"cos\nsystem\n(S'echo owned'\ntR.")
    with pytest.raises(UnsafePickleError, match="os.system"):
        load_nb301(bad)
    (bad / "ensemble_member_1" / "surrogate_model.model").write_bytes(
        (nb_models / "xgb_v1.0/ensemble_member_1/surrogate_model.model").read_bytes()[:100])
    with pytest.raises(DataFileError, match="truncated or corrupted"):
        load_nb301(bad)
    other = xgb.train({}, xgb.DMatrix(np.random.default_rng(0).random((30, 10)), label=np.arange(30.0)), 2)
    (bad / "ensemble_member_1" / "surrogate_model.model").write_bytes(pickle.dumps(other))
    with pytest.raises(DataFileError, match="expects 10 features"):
        load_nb301(bad)
    shutil.rmtree(bad)
    shutil.copytree(nb_models / "xgb_v1.0", bad)
    for f in bad.rglob("model_config.json"):
        f.unlink()
    with pytest.raises(DataFileError, match="model_config.json is missing"):
        load_nb301(bad)
    (bad / "model_config.json").write_text(json.dumps({"model": "gnn_gin"}))
    with pytest.raises(DataFileError, match="gnn_gin"):
        load_nb301(bad)


def test_native_json_member_is_preferred(nb_models, tmp_path):
    import shutil

    folder = tmp_path / "xgb_v1.0"
    shutil.copytree(nb_models / "xgb_v1.0", folder)
    for member in folder.glob("ensemble_member_*"):
        booster = pickle.loads((member / "surrogate_model.model").read_bytes())
        booster.save_model(str(member / "surrogate_model.json"))
        (member / "surrogate_model.model").write_bytes(b"not a pickle")  # would fail if it were read
    archs = nl.space("darts").sample(np.random.default_rng(2), 20)
    assert np.allclose(load_nb301(folder).query(archs, "valid_acc"),
                       load_nb301(nb_models / "xgb_v1.0").query(archs, "valid_acc"), atol=1e-5)


def test_member_pickled_by_xgboost_1_2_1(tmp_path):
    """A member pickled by xgboost 1.2.1 (NB301's era), committed as a small SYNTHETIC fixture.

    tests/fixtures/nb301_legacy_xgb121/make_fixture.py wrote it (random features, made-up targets)
    together with xgboost 1.2.1's own predictions, including rows with missing values. Today's
    xgboost cannot read such snapshots; the legacy converter must reproduce 1.2.1's predictions.
    """
    import shutil

    from tests.conftest import REPO

    fixture = REPO / "tests" / "fixtures" / "nb301_legacy_xgb121"
    expected = json.loads((fixture / "expected.json").read_text())
    assert expected["xgboost_version"] == "1.2.1"
    folder = tmp_path / "xgb_v1.0"
    member = folder / "ensemble_member_0"
    member.mkdir(parents=True)
    shutil.copy(fixture / "surrogate_model.model", member / "surrogate_model.model")
    (member / "model_config.json").write_text(json.dumps({"model": "xgb"}))
    ens = load_nb301(folder).models["valid_acc"]
    rows = np.array([[np.nan if v is None else v for v in r] for r in expected["rows"]], dtype=np.float32)
    got = ens.members[0].predict(rows)
    assert np.allclose(got, expected["predictions"], atol=1e-5)
    assert np.isnan(rows[4]).all()  # the all-missing row follows every default direction


def test_runtime_member_pickled_by_lightgbm_2_3_1(tmp_path):
    """A runtime member pickled by lightgbm 2.3.1 (NB301 asks for >= 2.3.1): a small SYNTHETIC committed
    fixture written by tests/fixtures/nb301_legacy_lgb231/make_fixture.py with lightgbm's own predictions
    (rows with exact zeros and missing values included). Our numpy evaluator must reproduce them."""
    import shutil

    from tests.conftest import REPO

    fixture = REPO / "tests" / "fixtures" / "nb301_legacy_lgb231"
    expected = json.loads((fixture / "expected.json").read_text())
    assert expected["lightgbm_version"] == "2.3.1"
    folder = tmp_path / "lgb_runtime_v1.0"
    member = folder / "ensemble_member_0"
    member.mkdir(parents=True)
    shutil.copy(fixture / "surrogate_model.model", member / "surrogate_model.model")
    (member / "model_config.json").write_text(json.dumps({"model": "lgb_time"}))
    from nasbench_lab.benchmarks.surrogates.nb301_official import NB301Ensemble

    ens = NB301Ensemble(folder)
    assert ens.is_runtime and ens.members[0].kind == "lgb"
    rows = np.array([[np.nan if v is None else v for v in r] for r in expected["rows"]])
    assert np.allclose(ens.members[0].predict(rows), expected["predictions"], rtol=0, atol=1e-6)


def test_config_vectors_equal_configspace_0412():
    """Our input vectors equal ConfigSpace 0.4.12's ``get_array()`` (NaN -> -1) for 40 random DARTS configs.

    The expected vectors were computed with ConfigSpace 0.4.12 (the version NB301 pins) by
    tests/fixtures/nb301_configspace_0412/make_fixture.py, which applies NB301's configspace.json,
    its ConfigLoader overrides and api.py's fixed training hyperparameters.
    """
    from tests.conftest import REPO

    doc = json.loads((REPO / "tests" / "fixtures" / "nb301_configspace_0412" / "vectors.json").read_text())
    assert doc["names"] == list(FEATURE_NAMES)
    sp = nl.space("darts")
    archs = np.stack([sp.from_config(case["config"]) for case in doc["cases"]])
    expected = np.array([case["vector"] for case in doc["cases"]])
    assert np.allclose(config_vectors(archs), expected, rtol=0, atol=1e-6)
