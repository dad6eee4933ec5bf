"""Shared fixtures: where the real benchmark data lives, and an isolated cache per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Python source run first in a subprocess to make ``import torch`` fail there, as without the ``live`` extra
NO_TORCH_PRELUDE = (
    "import importlib.abc, sys\n"
    "class NoTorch(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path, target=None):\n"
    "        if name.split('.')[0] == 'torch':\n"
    "            raise ModuleNotFoundError(\"No module named 'torch'\")\n"
    "sys.meta_path.insert(0, NoTorch())\n"
)

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("NASBENCH_LAB_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or a skip naming what is missing (fresh clones have no ../shared)."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real benchmark data not found at {path} (set NASBENCH_LAB_SHARED_DATA or place "
                    "the shared data folder beside the checkout)")
    return path


def assert_tables_equal(got, expected, label: str = "") -> None:
    """Two DatasetTables hold the same fidelities, metrics, per-seed flags and values (NaN where empty)."""
    import numpy as np

    assert got.fidelities == expected.fidelities, label
    assert set(got.metrics) == set(expected.metrics), label
    for metric, mt in expected.metrics.items():
        assert got.metrics[metric].per_seed == mt.per_seed, (label, metric)
        np.testing.assert_array_equal(got.metrics[metric].values, mt.values, err_msg=f"{label}/{metric}")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Converted tables go to a temporary cache, never to the user's home."""
    cache = tmp_path_factory.mktemp("nbl_cache")
    old = os.environ.get("NASBENCH_LAB_CACHE")
    os.environ["NASBENCH_LAB_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("NASBENCH_LAB_CACHE", None)
    else:
        os.environ["NASBENCH_LAB_CACHE"] = old


@pytest.fixture(scope="session")
def nb201_csv() -> Path:
    return shared_file("nb201/nb201_tables.csv")


@pytest.fixture(scope="session")
def nb201_c10(nb201_csv):
    import nasbench_lab

    return nasbench_lab.load("nb201", dataset="cifar10", path=nb201_csv)
