"""write_flat_csv of the real NB201 table, read back through load(): every value survives (real data, in place).

The exported file lives in tmp_path only; nothing derived from ../shared/data is kept.
"""

from __future__ import annotations

import pytest
from conftest import assert_tables_equal

import nasbench_lab
from nasbench_lab.api import table_file
from nasbench_lab.benchmarks.spec import BENCHMARKS
from nasbench_lab.loaders.flat_csv import write_flat_csv
from nasbench_lab.loaders.nb201_csv import DATASETS
from nasbench_lab.tables.hdf5 import read_table

pytestmark = pytest.mark.realdata


def test_flat_csv_export_round_trip(nb201_csv, tmp_path):
    spec = BENCHMARKS.get("nb201")
    original = read_table(table_file(spec, nb201_csv)).datasets
    assert set(original) == set(DATASETS)
    exported = tmp_path / "exported.csv"
    write_flat_csv(exported, nasbench_lab.space("nb201"), original)
    for ds, table in original.items():
        back = nasbench_lab.load("nb201", dataset=ds, path=exported, cache_dir=tmp_path / "cache").table
        # every architecture, seed and fidelity, NaN where the source has nothing
        assert_tables_equal(back, table, ds)
