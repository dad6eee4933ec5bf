"""NAS-Bench-201 tabular benchmark on the real published table (../shared/data, read in place)."""

from __future__ import annotations

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.errors import ConfigError, UnknownNameError

BEST_C10 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def test_names_outside_checks_rely_on(nb201_csv):
    bench = nasbench_lab.load("nb201", dataset="cifar10", path=str(nb201_csv))
    space = bench.space
    assert space is nasbench_lab.space("nb201")
    arch = space.from_string(BEST_C10)
    assert space.to_string(arch) == BEST_C10
    assert space.size == 15625
    assert bench.query(arch, "test_acc", fidelity=200) == pytest.approx(94.37, abs=0.005)
    values = bench.query(space.all(), "valid_acc", fidelity=200, seed="mean")
    assert values.shape == (15625,)
    assert np.isfinite(values).all()


def test_published_optima(nb201_csv):
    all_archs = nasbench_lab.space("nb201").all()
    c10 = nasbench_lab.load("nb201", dataset="cifar10", path=nb201_csv)
    test = c10.query(all_archs, "test_acc", fidelity=200)
    assert test.max() == pytest.approx(94.37, abs=0.005) and int(test.argmax()) == 6111
    assert c10.query(all_archs, "valid_acc", fidelity=200).max() == pytest.approx(91.61, abs=0.005)
    c100 = nasbench_lab.load("nb201", dataset="cifar100", path=nb201_csv)
    assert c100.query(all_archs, "test_acc", 200).max() == pytest.approx(73.51, abs=0.005)
    im = nasbench_lab.load("nb201", dataset="ImageNet16-120", path=nb201_csv)
    assert im.query(all_archs, "test_acc", 200).max() == pytest.approx(47.31, abs=0.005)


def test_per_seed_values_kept_and_generator_draws_present_seeds(nb201_c10):
    table = nb201_c10.table.metrics["valid_acc"].values[:, :, nb201_c10.fidelities.index(200)]
    n_present = np.isfinite(table).sum(axis=1)
    assert set(np.unique(n_present)) == {2, 3}
    two_seed = np.flatnonzero(n_present == 2)[:50]
    archs = nb201_c10.space.from_index(two_seed)
    assert np.isnan(nb201_c10.query(archs, "valid_acc", 200, seed=2)).all()
    rng = np.random.default_rng(0)
    draws = np.stack([nb201_c10.query(archs, "valid_acc", 200, seed=rng) for _ in range(40)])
    assert np.isfinite(draws).all()
    for j, i in enumerate(two_seed):
        assert set(draws[:, j]) <= set(table[i][np.isfinite(table[i])])
    # mean is the mean over present seeds
    np.testing.assert_allclose(nb201_c10.query(archs, "valid_acc", 200), np.nanmean(table[two_seed], axis=1),
                               rtol=1e-6)
    # same generator seed, same draws, bit for bit
    a = nb201_c10.query(archs, "valid_acc", 200, seed=np.random.default_rng(5))
    b = nb201_c10.query(archs, "valid_acc", 200, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_twelve_epoch_fidelity_and_cost(nb201_c10, nb201_csv):
    assert nb201_c10.fidelities == (12, 200)
    arch = nb201_c10.space.from_index(6111)
    low = nb201_c10.query(arch, "valid_acc", fidelity=12)
    high = nb201_c10.query(arch, "valid_acc", fidelity=200)
    assert 0 < low < high
    assert nb201_c10.cost(arch, 12) == pytest.approx(nb201_c10.cost(arch, 200) * 12 / 200)
    # seeds at a mean-only fidelity return the mean
    assert nb201_c10.query(arch, "valid_acc", 12, seed=1) == low


def test_split_semantics_are_explicit(nb201_c10, nb201_csv):
    info = nb201_c10.describe()
    assert info["search_metric"] == "valid_acc" and info["report_metric"] == "test_acc"
    assert info["metrics"]["test_acc"]["kind"] == "test"
    assert info["metrics"]["valid_acc"]["kind"] == "validation"
    assert "cifar10-valid" in info["notes"]["search"]
    c100 = nasbench_lab.load("nb201", dataset="cifar100", path=nb201_csv)
    assert c100.describe()["metrics"]["valtest_acc"]["kind"] == "test"


@pytest.mark.parametrize(("dataset", "best", "best_index"),
                         [("cifar100", 73.49, 9930), ("ImageNet16-120", 46.73, 10676)])
def test_derived_200_epoch_validation_reproduces_the_published_best(nb201_csv, dataset, best, best_index):
    """x-valid = 2 * valtest (seed-mean) - test at 200 epochs: the search metric, seed-mean only, said so."""
    bench = nasbench_lab.load("nb201", dataset=dataset, path=nb201_csv)
    every = bench.space.all()
    valid = bench.query(every, "valid_acc", 200)
    assert valid.max() == pytest.approx(best, abs=0.005) and int(valid.argmax()) == best_index
    valtest = np.nanmean(bench.table.metrics["valtest_acc"].values[:, :, 1].astype(np.float64), axis=1)
    np.testing.assert_allclose(valid, 2 * valtest - bench.query(every, "test_acc", 200), atol=1e-4)
    info = bench.describe()
    assert info["metrics"]["valid_acc"]["seeds"]["200"] == "mean only"
    assert "2 * valtest_acc" in info["notes"]["derived"] and "seed-mean only" in info["notes"]["derived"]
    assert bench.metric_fidelities("valid_acc") == (12, 200)
    assert bench.query(every[:5], "valid_acc", 200, seed=2).tolist() == valid[:5].tolist()  # no per-seed values
    from nasbench_lab.search import run

    assert run(bench, "rs", seed=0, budget=5).meta["search_fidelity"] == 200


def test_bad_queries_name_what_is_accepted(nb201_c10, nb201_csv):
    arch = nb201_c10.space.from_index(0)
    with pytest.raises(UnknownNameError, match="valid_acc"):
        nb201_c10.query(arch, "accuracy")
    with pytest.raises(UnknownNameError, match="12, 200"):
        nb201_c10.query(arch, "valid_acc", fidelity=50)
    with pytest.raises(ConfigError, match="0..2"):
        nb201_c10.query(arch, "valid_acc", 200, seed=3)
    with pytest.raises(ConfigError, match="seed must be"):
        nb201_c10.query(arch, "valid_acc", 200, seed="first")
    with pytest.raises(UnknownNameError, match="cifar100"):
        nasbench_lab.load("nb201", dataset="mnist", path=nb201_csv)
    with pytest.raises(UnknownNameError, match="nb201"):
        nasbench_lab.load("nb999", path=nb201_csv)


def test_dataset_aliases(nb201_csv):
    bench = nasbench_lab.load("nb201", dataset="imagenet16", path=nb201_csv)
    assert bench.dataset == "ImageNet16-120"


def test_official_index_order_matches_the_published_table(nb201_csv):
    """The replayed official order (generator order + its seed-88 shuffle) gives every published string."""
    import csv

    space = nasbench_lab.space("nb201")
    with open(nb201_csv, newline="") as handle:
        rows = [(int(r["index"]), r["arch_str"]) for r in csv.DictReader(handle)]
    assert len(rows) == 15625
    archs = space.all()
    assert all(space.to_string(archs[i]) == text for i, text in rows)
