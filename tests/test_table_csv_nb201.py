"""NAS-Bench-201 re-imported as a tidy CSV with six arch: columns behaves exactly like the native benchmark.

The tidy file is made here from the shared table (``write_tidy_csv``) and never leaves tmp.
"""

from __future__ import annotations

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.analysis.stats import mann_whitney_greater
from nasbench_lab.loaders.table_csv import write_tidy_csv
from nasbench_lab.search import run

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def tidy_nb201(nb201_c10, tmp_path_factory):
    path = tmp_path_factory.mktemp("tidy") / "nb201_c10.csv"
    write_tidy_csv(path, nb201_c10.space, {"cifar10": nb201_c10.table})
    return nasbench_lab.load(path=path)


def test_six_columns_and_identical_queries_cell_for_cell(nb201_c10, tidy_nb201):
    space = tidy_nb201.space
    assert [name for name, _ in space.choice_columns()] == [f"p{j}" for j in range(6)]
    assert space.size == 15625 and not space.listed
    archs = nb201_c10.space.all()  # native op codes are the tidy codes (the sidecar keeps their order)
    assert np.array_equal(space.all()[np.asarray(space.index(archs))], archs)
    for metric in nb201_c10.metrics:
        for fid in nb201_c10.metric_fidelities(metric):
            n_seeds = nb201_c10.table.metrics[metric].values.shape[1]
            for seed in ["mean", *range(n_seeds)]:
                native = nb201_c10.query(archs, metric, fid, seed)
                tidy = tidy_nb201.query(archs, metric, fid, seed)
                assert np.array_equal(native, tidy, equal_nan=True), (metric, fid, seed)
            drawn = [b.query(archs, metric, fid, np.random.default_rng(7)) for b in (nb201_c10, tidy_nb201)]
            assert np.array_equal(*drawn, equal_nan=True)
    assert tidy_nb201.cost(archs[:50]).tolist() == nb201_c10.cost(archs[:50]).tolist()


def test_listed_sixty_percent_subset(nb201_c10, tmp_path):
    rows = np.sort(np.random.default_rng(0).choice(15625, size=int(0.6 * 15625), replace=False))
    path = tmp_path / "nb201_60.csv"
    write_tidy_csv(path, nb201_c10.space, {"cifar10": nb201_c10.table}, rows=rows)
    bench = nasbench_lab.load(path=path)
    assert bench.space.listed and bench.space.size == len(rows)
    members = bench.space.all()
    assert np.array_equal(np.sort(nb201_c10.space.index(members)), rows)
    assert np.array_equal(bench.query(members, "test_acc"), nb201_c10.query(members, "test_acc"))
    for name in ("rs", "re", "ls", "hb"):
        traj = run(bench, name, seed=3, budget=60)
        assert np.isin(nb201_c10.space.index(traj.archs), rows).all()
        assert np.isfinite(traj.test).all()


@pytest.mark.slow
def test_rs_re_ls_reach_the_same_final_test_accuracies_over_100_seeds(nb201_c10, tidy_nb201):
    for name in ("rs", "re", "ls"):
        finals = [np.array([run(b, name, seed=s, budget=150).final_test for s in range(100)])
                  for b in (nb201_c10, tidy_nb201)]
        for a, b in (finals, finals[::-1]):  # two-sided at 5 %: neither one-sided p below 2.5 %
            assert mann_whitney_greater(a, b) > 0.025, name
