"""Live training: records schema, determinism, divergence handling, data checks (tiny networks, 1-2 epochs)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.live.data import load_data, stratified_split
from nasbench_lab.live.records import RECORD_METRICS

torch = pytest.importorskip("torch")

from nasbench_lab import live  # noqa: E402

ARCH = np.array([3, 0, 2, 1, 4, 3], dtype=np.int8)
TINY = {"C": 4, "N": 1}


def _metrics(result):
    return [{k: v for k, v in dataclasses.asdict(r).items() if "time" not in k} for r in result.records]


def test_train_on_digits_records_every_epoch_in_table_units():
    r = live.train("nb201", ARCH, epochs=2, seed=0, macro=TINY)
    assert r.status == "ok" and r.finished and r.data == "digits"
    assert r.macro == {"C": 4, "N": 1, "in_channels": 1}  # digits: 1 channel, small preset
    assert [e.epoch for e in r.records] == [1, 2]
    for e in r.records:
        for m in ("train_acc", "valid_acc", "test_acc"):
            assert 0 <= getattr(e, m) <= 100
        assert e.train_time > 0 and np.isfinite(e.valid_loss)
    assert r.records[1].train_time > r.records[0].train_time  # cumulative
    assert r.records[-1].valid_acc > 30  # learns something in 2 epochs (chance is 10 %)
    assert set(RECORD_METRICS) <= {f.name for f in dataclasses.fields(r.records[0])}
    assert r.params == pytest.approx(live.nb201_params(ARCH, C=4, N=1, in_channels=1) / 1e6)


def test_train_is_deterministic_per_seed_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = live.train("nb201", ARCH, epochs=1, seed=5, macro=TINY, num_threads=1)
    after = torch.rand(1)
    b = live.train("nb201", ARCH, epochs=1, seed=5, macro=TINY, num_threads=1)
    c = live.train("nb201", ARCH, epochs=1, seed=6, macro=TINY, num_threads=1)
    assert _metrics(a) == _metrics(b)
    assert _metrics(a) != _metrics(c)
    assert torch.equal(before, after)  # the caller's global RNG stream is untouched
    assert not torch.are_deterministic_algorithms_enabled()  # restored after the run


def test_non_finite_loss_stops_the_run_and_names_the_cell():
    r = live.train("nb201", ARCH, epochs=3, seed=0, macro=TINY, lr=1e20)
    assert r.status == "diverged" and not r.finished
    assert "nb201 |nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|" in r.message and "seed 0" in r.message
    assert np.isnan(r.metric("valid_acc")).any()


def test_user_arrays_are_split_deterministically_and_stratified():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2, 6, 6)).astype(np.float32)
    y = np.repeat(np.arange(3), 30)
    d1, d2 = load_data((X, y), split_seed=1), load_data((X, y), split_seed=1)
    assert np.array_equal(d1.valid.y, d2.valid.y) and np.array_equal(d1.test.X, d2.test.X)
    assert (len(d1.train), len(d1.valid), len(d1.test)) == (54, 18, 18)
    assert np.bincount(d1.valid.y).tolist() == [6, 6, 6]
    assert d1.num_classes == 3 and d1.input_shape == (2, 6, 6)
    r = live.train("nb201", ARCH, data=(X, y), epochs=1, macro=TINY)
    assert r.macro["in_channels"] == 2 and r.finished


def test_given_splits_are_used_as_they_are():
    rng = np.random.default_rng(1)
    pair = lambda n: (rng.normal(size=(n, 8, 8)), np.arange(n) % 4)  # noqa: E731
    d = load_data({"train": pair(40), "valid": pair(12), "test": pair(12)})
    assert (len(d.train), len(d.valid), len(d.test)) == (40, 12, 12) and d.input_shape == (1, 8, 8)


@pytest.mark.parametrize("X,y,message", [
    (np.zeros((10, 64)), np.arange(10) % 2, "images shaped"),
    (np.zeros((10, 1, 8, 8)), np.arange(9) % 2, "one label per image"),
    (np.zeros((10, 1, 8, 8)), np.arange(10) - 1, "0..K-1"),
    (np.zeros((10, 1, 8, 8)), np.arange(10) * 0.5, "non-integer"),
    (np.full((10, 1, 8, 8), np.nan), np.arange(10) % 2, "NaN"),
    (np.zeros((10, 1, 8, 8)), np.zeros(10, dtype=int), "two classes"),
    (np.zeros((10, 1, 8, 8)), np.arange(10) % 2 * 2, "missing \\[1\\]"),
    (np.array([["a"] * 4] * 10).reshape(10, 1, 2, 2), np.arange(10) % 2, "numeric"),
])
def test_bad_arrays_and_labels_raise_clear_errors(X, y, message):
    with pytest.raises(ConfigError, match=message):
        load_data((X, y))


def test_bad_training_options_raise_clear_errors():
    with pytest.raises(ConfigError, match="epochs"):
        live.train("nb201", ARCH, epochs=0)
    with pytest.raises(ConfigError, match="unknown training option"):
        live.train("nb201", ARCH, epochs=1, learning_rate=0.1)
    with pytest.raises(ConfigError, match="learning rate"):
        live.train("nb201", ARCH, epochs=1, lr=-1.0)
    with pytest.raises(UnknownNameError, match="unknown live dataset .mnist.; accepted: digits, digits32"):
        live.train("nb201", ARCH, data="mnist", epochs=1)
    with pytest.raises(ConfigError, match="fractions"):
        stratified_split(np.arange(10) % 2, (0.5, 0.5, 0.0), 0)
