"""NAS-Bench-101 loaders: TFRecord framing/CRC, protobuf metrics, official tfrecord, NASLib pickle, flat CSV.

Fixtures in the official layouts are built at test time in tmp_path from the 30 real
records of ../shared/data/nb101/nb101_full_records_30.json (never committed).
"""

from __future__ import annotations

import csv
import json
import pickle

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.benchmarks.tabular import TabularBenchmark
from nasbench_lab.errors import DataFileError, UnsafePickleError
from nasbench_lab.loaders import protobuf_lite as pb
from nasbench_lab.loaders.flat_csv import read_flat_csv, write_flat_csv
from nasbench_lab.loaders.nb101 import NB101TFRecordLoader, official_column
from nasbench_lab.loaders.nb101_records import (
    RUN_FIELDS,
    decode_model_metrics,
    encode_model_metrics,
    encode_official_record,
    read_official_tfrecord,
    read_records_json,
)
from nasbench_lab.loaders.tfrecord import crc32c, crc32c_many, looks_like_tfrecord, read_tfrecord, write_tfrecord
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def records_path():
    return shared_file("nb101/nb101_full_records_30.json")


@pytest.fixture(scope="module")
def records(records_path):
    with open(records_path) as f:
        return json.load(f)


def _official_payloads(records, budgets=(108,)):
    """Official-layout payloads; budgets other than 108 reuse the 108-epoch numbers (synthetic, mechanics only)."""
    out = []
    for key, rec in records.items():
        for epochs in budgets:
            for run in rec["computed_stats"]["108"]:
                out.append(encode_official_record(key, epochs, np.array(rec["module_adjacency"]),
                                                  rec["module_operations"], rec["trainable_parameters"], run))
    return out


@pytest.fixture
def tfrecord_108(tmp_path, records):
    return write_tfrecord(tmp_path / "nasbench_only108.tfrecord", _official_payloads(records))


# --------------------------------------------------------------------------------- framing
def test_crc32c_known_value_and_batch_agreement():
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert crc32c(b"") == 0
    rng = np.random.default_rng(0)
    chunks = [rng.integers(0, 256, int(n), dtype=np.uint8).tobytes() for n in rng.integers(0, 700, 300)]
    assert crc32c_many(chunks).tolist() == [crc32c(c) for c in chunks]


def test_tfrecord_round_trip(tmp_path):
    payloads = [b"", b"a", b"hello world" * 50]
    path = write_tfrecord(tmp_path / "x.tfrecord", payloads)
    assert looks_like_tfrecord(path)
    assert list(read_tfrecord(path)) == payloads


def test_corrupted_data_crc_is_detected(tmp_path):
    path = write_tfrecord(tmp_path / "x.tfrecord", [b"first record", b"second record"])
    raw = bytearray(path.read_bytes())
    second = 12 + len(b"first record") + 4
    raw[second + 12 + 3] ^= 0x01  # flip one bit inside the second payload
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match=f"corrupted record at byte {second}: data CRC32C mismatch"):
        list(read_tfrecord(path))
    assert list(read_tfrecord(path, verify=False))[0] == b"first record"


@pytest.mark.parametrize("byte", [8, 6])  # the stored CRC, or the length itself (now absurdly large)
def test_corrupted_length_crc_is_detected(tmp_path, byte):
    path = write_tfrecord(tmp_path / "x.tfrecord", [b"abc"])
    raw = bytearray(path.read_bytes())
    raw[byte] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match="length CRC32C mismatch"):
        list(read_tfrecord(path))


@pytest.mark.parametrize("cut", [5, 20, 3])
def test_truncated_file_is_detected(tmp_path, cut):
    path = write_tfrecord(tmp_path / "x.tfrecord", [b"0123456789", b"abcdefghij"])
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) - cut])
    with pytest.raises(DataFileError, match="truncated"):
        list(read_tfrecord(path))


# ------------------------------------------------------------------------------- protobuf
def test_model_metrics_round_trip_and_truncation():
    evals = [(0.0, 0.0, 0.1, 0.1, 0.1), (54.0, 700.5, 0.8, 0.75, 0.74), (108.0, 1400.25, 1.0, 0.93, 0.92)]
    blob = encode_model_metrics(6315018, evals, 1500.0)
    assert decode_model_metrics(blob) == (6315018, evals)
    with pytest.raises(DataFileError, match="protobuf"):
        decode_model_metrics(blob[:-3])
    # unknown fields (e.g. checkpoint_path) are skipped
    extra = pb.encode_bytes_field(1, pb.encode_double_field(4, 0.5) + pb.encode_bytes_field(6, b"/ckpt"))
    assert decode_model_metrics(extra)[1] == [(0.0, 0.0, 0.0, 0.5, 0.0)]


# ----------------------------------------------------------------------- official tfrecord
def test_official_tfrecord_reads_every_run(tfrecord_108, records):
    runs = read_official_tfrecord(tfrecord_108)
    assert len(runs) == 90 and set(runs.epochs.tolist()) == {108}
    for key, rec in records.items():
        matrix, ops, params = runs.fixed[key]
        assert params == rec["trainable_parameters"]  # exact integers
        assert matrix.tolist() == rec["module_adjacency"] and ops == rec["module_operations"]
    first = records[runs.hashes[0]]["computed_stats"]["108"][0]
    assert runs.values[0].tolist() == [first[k] for k in RUN_FIELDS]


def test_load_official_tfrecord(tfrecord_108, records):
    bench = nasbench_lab.load("nb101", path=tfrecord_108)
    space = bench.space
    assert bench.fidelities == (108,)
    assert set(bench.metrics) == {"train_acc", "valid_acc", "test_acc", "train_time", "train_acc_halfway",
                                  "valid_acc_halfway", "test_acc_halfway", "train_time_halfway", "params"}
    assert len(bench.indices_with_data()) == 30
    for key, rec in records.items():
        arch = space.from_hash(key)
        reps = rec["computed_stats"]["108"]
        for seed, run in enumerate(reps):
            assert bench.query(arch, "valid_acc", seed=seed) == pytest.approx(100 * run["final_validation_accuracy"],
                                                                              rel=1e-6)
            assert bench.query(arch, "test_acc_halfway", seed=seed) == pytest.approx(
                100 * run["halfway_test_accuracy"], rel=1e-6)
            assert bench.query(arch, "train_time", seed=seed) == pytest.approx(run["final_training_time"], rel=1e-6)
        mean = np.mean([100 * r["final_validation_accuracy"] for r in reps])
        assert bench.query(arch, "valid_acc") == pytest.approx(mean, rel=1e-6)
        params = bench.query(arch, "params") * 1e6
        assert abs(params - rec["trainable_parameters"]) <= (0.5 if rec["trainable_parameters"] < 2**24 else 2)
    other = space.from_index(0)
    assert np.isnan(bench.query(other, "valid_acc"))


def test_load_full_layout_with_four_budgets(tmp_path, records):
    """Synthetic mechanics check: the 4/12/36 budgets repeat the real 108-epoch numbers."""
    path = write_tfrecord(tmp_path / "nasbench_full.tfrecord", _official_payloads(records, (4, 12, 36, 108)))
    table = NB101TFRecordLoader().convert(path).datasets["cifar10"]  # skips writing a 180 MB HDF5 file
    bench = TabularBenchmark("nb101", table, nasbench_lab.space("nb101"))
    assert bench.fidelities == (4, 12, 36, 108)
    arch = bench.space.from_hash(next(iter(records)))
    assert bench.query(arch, "valid_acc", fidelity=4) == bench.query(arch, "valid_acc", fidelity=108)
    assert bench.cost(arch, fidelity=12) == bench.query(arch, "train_time", fidelity=12)


def test_record_with_wrong_hash_or_unknown_hash(tmp_path, records):
    (k1, r1), (k2, _) = list(records.items())[:2]
    run = r1["computed_stats"]["108"][0]
    wrong = encode_official_record(k2, 108, np.array(r1["module_adjacency"]), r1["module_operations"],
                                   r1["trainable_parameters"], run)
    path = write_tfrecord(tmp_path / "wrong.tfrecord", [wrong])
    with pytest.raises(DataFileError, match=f"keyed {k2} holds a graph whose official hash is {k1}"):
        nasbench_lab.load("nb101", path=path)
    unknown = encode_official_record("0" * 32, 108, np.array(r1["module_adjacency"]), r1["module_operations"],
                                     r1["trainable_parameters"], run)
    path = write_tfrecord(tmp_path / "unknown.tfrecord", [unknown])
    with pytest.raises(DataFileError, match="name no NAS-Bench-101 cell"):
        nasbench_lab.load("nb101", path=path)


def test_not_an_official_record(tmp_path):
    path = write_tfrecord(tmp_path / "bad.tfrecord", [b'{"not": "a list"}'])
    with pytest.raises(DataFileError, match="record 0 is not an official NAS-Bench-101 record"):
        read_official_tfrecord(path)


def test_corrupted_official_file_fails_cleanly(tfrecord_108):
    raw = bytearray(tfrecord_108.read_bytes())
    raw[len(raw) // 2] ^= 0x10
    tfrecord_108.write_bytes(bytes(raw))
    with pytest.raises(DataFileError, match="CRC32C mismatch"):
        nasbench_lab.load("nb101", path=tfrecord_108)


# -------------------------------------------------------------------- NASLib pickle, JSON
def _naslib_pickle(tmp_path, records):
    data = {}
    for key, rec in records.items():
        fixed = {"module_adjacency": np.array(rec["module_adjacency"], dtype=np.int8),
                 "module_operations": rec["module_operations"],
                 "trainable_parameters": rec["trainable_parameters"]}
        computed = {108: [{k: np.float64(v) for k, v in run.items()} for run in rec["computed_stats"]["108"]]}
        data[key] = (fixed, computed)
    path = tmp_path / "nasbench_only108.pkl"
    path.write_bytes(pickle.dumps(data, protocol=4))
    return path


def test_naslib_pickle_matches_official_tfrecord(tmp_path, tfrecord_108, records):
    from_pickle = nasbench_lab.load("nb101", path=_naslib_pickle(tmp_path, records))
    from_tfrecord = nasbench_lab.load("nb101", path=tfrecord_108)
    for metric in from_tfrecord.metrics:
        a = from_pickle.table.metrics[metric].values
        b = from_tfrecord.table.metrics[metric].values
        assert np.array_equal(a, b, equal_nan=True), metric


def test_pickle_with_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"h": Evil()}))
    with pytest.raises(UnsafePickleError, match="builtins.print"):
        nasbench_lab.load("nb101", path=path)


def test_records_json_real_file(records_path, records):
    runs = read_records_json(records_path)
    assert {h: p for h, (_, _, p) in runs.fixed.items()} == {k: r["trainable_parameters"] for k, r in records.items()}
    bench = nasbench_lab.load("nb101", path=records_path)
    assert len(bench.indices_with_data("test_acc")) == 30
    assert bench.describe()["metrics"]["test_acc"]["kind"] == "test"


# ------------------------------------------------------------------------------- flat CSV
def test_official_column_names():
    assert official_column("108_final_validation_accuracy") == "cifar10_valid_acc_108ep"
    assert official_column("4_halfway_test_accuracy") == "cifar10_test_acc_halfway_4ep"
    assert official_column("final_training_time") == "cifar10_train_time_108ep_s"
    assert official_column("trainable_parameters") == "cifar10_params"
    assert official_column("nb101_hash") == "nb101_hash"


@pytest.fixture(scope="module")
def csv_30k():
    return shared_file("nb101/nb101_validation_by_hash_30k.csv")


@pytest.fixture(scope="module")
def bench_30k(csv_30k):
    return nasbench_lab.load("nb101", path=csv_30k, allow_partial=True)  # 30k of 423,624 cells


def test_partial_csv_joins_every_hash(bench_30k, csv_30k):
    with open(csv_30k, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 30_001
    space = bench_30k.space
    idx = space.indices_of_hashes([r["nb101_hash"] for r in rows])
    assert (idx >= 0).all()  # 100% join with the enumeration
    assert np.array_equal(np.sort(idx), bench_30k.indices_with_data())
    assert bench_30k.fidelities == (4, 12, 36, 108)
    for r, i in zip(rows[:200], idx[:200]):
        for epochs in (4, 12, 36, 108):
            want = 100 * float(r[f"{epochs}_final_validation_accuracy"])
            assert bench_30k.query_index([i], "valid_acc", epochs)[0] == pytest.approx(want, rel=1e-6)
        assert bench_30k.query_index([i], "train_time", 108)[0] == pytest.approx(float(r["final_training_time"]))
        assert bench_30k.query_index([i], "params")[0] * 1e6 == pytest.approx(float(r["trainable_parameters"]),
                                                                              abs=2)


def test_partial_csv_unknown_cells_are_nan(bench_30k):
    have = np.zeros(bench_30k.space.size, dtype=bool)
    have[bench_30k.indices_with_data()] = True
    missing = np.flatnonzero(~have)[:100]
    values = bench_30k.query(bench_30k.space.from_index(missing), "valid_acc")
    assert np.isnan(values).all()
    assert not bench_30k.has_data(bench_30k.space.from_index(missing)).any()
    assert bench_30k.describe()["metrics"]["valid_acc"]["unit"] == "%"
    assert "partial" in bench_30k.describe()["notes"]


def test_csv_with_unknown_hash_names_it(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("nb101_hash,108_final_validation_accuracy\n" + "ab" * 16 + ",0.9\n")
    with pytest.raises(DataFileError, match="abab"):
        nasbench_lab.load("nb101", path=path)


def test_export_keyed_by_hash_reads_back(tmp_path, records_path):
    bench = nasbench_lab.load("nb101", path=records_path)
    out = tmp_path / "export.csv"
    write_flat_csv(out, bench.space, {"cifar10": bench.table}, key="nb101_hash")
    back = read_flat_csv(out, bench.space, lambda c: (c.dataset, c.metric), allow_partial=True)["cifar10"]
    for metric in ("valid_acc", "test_acc", "params"):
        assert np.allclose(back.metrics[metric].values, bench.table.metrics[metric].values, equal_nan=True)


def test_converted_table_loads_by_path(tmp_path, records_path):
    from nasbench_lab.api import convert
    from nasbench_lab.benchmarks.nb101 import SPEC

    h5 = convert(SPEC, records_path, tmp_path / "nb101_30.h5")
    for bench in (nasbench_lab.load(h5), nasbench_lab.load("nb101", path=h5)):
        assert bench.space.name == "nb101" and len(bench.indices_with_data()) == 30
        assert bench.describe()["notes"]["seeds"].startswith("one value per repeat")
