"""SurrogateBenchmark mechanics: deterministic noise, save/load, bad input.

The targets in this file are SYNTHETIC (a made-up function of the architecture) because these
tests pin down mechanics; real-data quality checks live in test_surrogate_realdata.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import nasbench_lab as nl
from nasbench_lab.benchmarks.surrogates.noise import standard_normal
from nasbench_lab.benchmarks.surrogates.surrogate import SurrogateBenchmark, fit_surrogate, load_surrogate
from nasbench_lab.benchmarks.surrogates.xgb_ensemble import EnsembleParams
from nasbench_lab.errors import ChecksumMismatchError, ConfigError, DataFileError, UnknownNameError

SMALL = EnsembleParams(n_members=4, rounds=40, max_depth=3, nthread=1)


def _synthetic_targets(sp, archs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Synthetic accuracy-like targets: a fixed linear function of the op counts plus noise."""
    counts = sp.encode(archs, "counts")
    weights = np.linspace(-0.5, 0.5, counts.shape[1])
    return 90 + counts @ weights + rng.normal(0, 0.1, len(archs))


@pytest.fixture(scope="module")
def darts_surrogate() -> SurrogateBenchmark:
    sp = nl.space("darts")
    rng = np.random.default_rng(0)
    archs = sp.sample(rng, 300)
    times = 3000 + 50 * sp.encode(archs, "counts")[:, 3]  # synthetic: more sep_conv_3x3 -> slower
    return fit_surrogate(sp, archs, _synthetic_targets(sp, archs, rng), fidelity=100, dataset="synthetic",
                         params=SMALL, seed=5, train_time=times)


def test_mean_and_seeded_queries(darts_surrogate):
    sp = darts_surrogate.space
    archs = sp.sample(np.random.default_rng(1), 200)
    mean = darts_surrogate.query(archs, "valid_acc")
    m, s = darts_surrogate.predict(archs)
    assert np.allclose(mean, m, atol=1e-4) and (s > 0).all()
    a = darts_surrogate.query(archs, "valid_acc", seed=3)
    b = darts_surrogate.query(archs, "valid_acc", seed=3)
    c = darts_surrogate.query(archs, "valid_acc", seed=4)
    assert np.array_equal(a, b) and not np.allclose(a, c)
    # the noise is mean + spread * z with z a pure function of (seed, architecture key)
    z = standard_normal(sp.keys(archs), 3, darts_surrogate._streams["valid_acc"])
    assert np.allclose(a, m + s * z, atol=1e-3)
    # independent of the rest of the batch and of the order of a node's inputs
    single = darts_surrogate.query(archs[17], "valid_acc", seed=3)
    assert isinstance(single, float) and single == pytest.approx(float(a[17]), abs=1e-4)
    swapped = archs[17].copy()
    swapped[:, [0, 1]] = swapped[:, [1, 0]]
    assert darts_surrogate.query(swapped, "valid_acc", seed=3) == pytest.approx(single, abs=1e-4)
    # a Generator draws new noise each call
    gen = np.random.default_rng(9)
    assert not np.allclose(darts_surrogate.query(archs, "valid_acc", seed=gen),
                           darts_surrogate.query(archs, "valid_acc", seed=gen))


def test_noise_spread_matches_the_ensemble(darts_surrogate):
    arch = darts_surrogate.space.sample(np.random.default_rng(2), 1)
    draws = np.array([darts_surrogate.query(arch, "valid_acc", seed=s)[0] for s in range(400)])
    m, s = darts_surrogate.predict(arch)
    assert abs(draws.mean() - m[0]) < 0.25 * s[0]
    assert 0.8 * s[0] < draws.std() < 1.2 * s[0]


def test_fit_is_reproducible():
    sp = nl.space("nb201")
    rng = np.random.default_rng(0)
    archs = sp.sample(rng, 100)
    y = sp.encode(archs, "onehot") @ np.linspace(0, 1, 30)
    q = sp.sample(np.random.default_rng(1), 50)
    a = fit_surrogate(sp, archs, y, fidelity=200, params=SMALL, seed=1).query(q, "valid_acc", seed=2)
    b = fit_surrogate(sp, archs, y, fidelity=200, params=SMALL, seed=1).query(q, "valid_acc", seed=2)
    assert np.array_equal(a, b)


def test_cost_and_describe(darts_surrogate):
    archs = darts_surrogate.space.sample(np.random.default_rng(3), 50)
    cost = darts_surrogate.cost(archs)
    assert cost.shape == (50,) and (cost > 2000).all()
    info = darts_surrogate.describe()
    assert info["kind"] == "surrogate" and info["space"] == "darts" and info["fidelities"] == [100]
    assert info["metrics"]["valid_acc"]["members"] == 4 and info["training"]["n_train"] == 300
    json.dumps(info)


def test_save_load_round_trip(darts_surrogate, tmp_path):
    darts_surrogate.save(tmp_path / "s")
    loaded = nl.load(tmp_path / "s")
    assert isinstance(loaded, SurrogateBenchmark)
    archs = darts_surrogate.space.sample(np.random.default_rng(4), 100)
    for seed in ("mean", 0, 11):
        assert np.allclose(loaded.query(archs, "valid_acc", seed=seed),
                           darts_surrogate.query(archs, "valid_acc", seed=seed), atol=1e-5)
    assert np.allclose(loaded.cost(archs), darts_surrogate.cost(archs), atol=1e-3)
    meta = json.loads((tmp_path / "s" / "surrogate.json").read_text())
    assert meta["space"] == "darts" and len(meta["models"]["valid_acc"]["members"]) == 4
    assert all(len(m["sha256"]) == 64 for m in meta["models"]["valid_acc"]["members"])
    # a folder also loads when named like a benchmark that has no table of its own (e.g. "nb301")
    by_name = nl.load("nb301", path=tmp_path / "s")
    assert np.array_equal(by_name.query(archs, "valid_acc"), loaded.query(archs, "valid_acc"))


def test_bad_folders(darts_surrogate, tmp_path):
    folder = darts_surrogate.save(tmp_path / "s")
    meta_path = folder / "surrogate.json"
    meta = json.loads(meta_path.read_text())

    (folder / "valid_acc_member_01.ubj").rename(folder / "moved.ubj")
    with pytest.raises(DataFileError, match="missing member file valid_acc_member_01.ubj"):
        load_surrogate(folder)
    (folder / "moved.ubj").rename(folder / "valid_acc_member_01.ubj")

    data = bytearray((folder / "valid_acc_member_02.ubj").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "valid_acc_member_02.ubj").write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match="valid_acc_member_02.ubj"):
        load_surrogate(folder)

    folder = darts_surrogate.save(tmp_path / "t")
    meta_path = folder / "surrogate.json"
    meta_path.write_text(json.dumps({**meta, "space": "nb201", "encoding": "onehot"}))
    with pytest.raises(DataFileError, match="another space|features"):
        nl.load(folder)
    meta_path.write_text(json.dumps({**meta, "encoding": "counts+bogus"}))
    with pytest.raises(DataFileError, match=r"/t: unknown encoding of space darts 'bogus'; accepted: adjacency"):
        nl.load(folder)
    meta_path.write_text(json.dumps({**meta, "space": "nb999"}))
    with pytest.raises(DataFileError, match="nb999"):
        nl.load(folder)
    meta_path.write_text(json.dumps({k: v for k, v in meta.items() if k != "models"}))
    with pytest.raises(DataFileError, match="models"):
        nl.load(folder)
    meta_path.write_text("{\"format\": \"nasbench_lab.surr")
    with pytest.raises(DataFileError, match="not valid JSON"):
        nl.load(folder)


def test_bad_fits_and_queries(darts_surrogate):
    sp = nl.space("darts")
    archs = sp.sample(np.random.default_rng(5), 40)
    y = np.linspace(80, 90, 40)
    with pytest.raises(ConfigError, match="2 of 40 targets are NaN"):
        fit_surrogate(sp, archs, np.where(np.arange(40) % 20 == 3, np.nan, y), fidelity=100, params=SMALL)
    with pytest.raises(ConfigError, match="too few"):
        fit_surrogate(sp, archs[:10], y[:10], fidelity=100, params=SMALL)
    with pytest.raises(ConfigError, match="39 values"):
        fit_surrogate(sp, archs, y[:39], fidelity=100, params=SMALL)
    with pytest.raises(UnknownNameError, match="encoding"):
        fit_surrogate(sp, archs, y, fidelity=100, params=SMALL, encoding="nonsense")
    with pytest.raises(UnknownNameError, match="test_acc"):
        darts_surrogate.query(archs, "test_acc")
    with pytest.raises(UnknownNameError, match="fidelity"):
        darts_surrogate.query(archs, "valid_acc", fidelity=12)
    with pytest.raises(ConfigError, match="seed"):
        darts_surrogate.query(archs, "valid_acc", seed=-1)
    no_cost = fit_surrogate(sp, archs, y, fidelity=100, params=SMALL)
    with pytest.raises(ConfigError, match="no train_time"):
        no_cost.cost(archs)


def test_metric_fidelities_and_empty_batches(darts_surrogate):
    assert darts_surrogate.metric_fidelities("valid_acc") == (100,)
    with pytest.raises(UnknownNameError):
        darts_surrogate.metric_fidelities("test_acc")
    empty = np.zeros((0, 2, 8, 2), dtype=np.int8)
    assert darts_surrogate.query(empty, "valid_acc", seed=1).shape == (0,)
