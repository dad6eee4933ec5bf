"""Downloads of official files against a local 127.0.0.1 server: resume, faults, verification, conversion.

The served files are small synthetic fixtures (not benchmark data); the manifest here describes them.
"""

from __future__ import annotations

import bz2
import errno
import hashlib
import io
import json
import pickle
import socket
import tarfile
import tempfile
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from local_http import start, stop

import nasbench_lab
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ChecksumMismatchError, DataFileError, DataNote
from nasbench_lab.loaders.tfrecord import write_tfrecord
from nasbench_lab.official import UnverifiedFileWarning, download, file_states, load_manifest
from nasbench_lab.official import transfer as transfer_module
from nasbench_lab.official.content import ContentMismatchError, check_content
from nasbench_lab.official.manifest import MANIFEST_PATH
from nasbench_lab.official.transfer import TransferError, WriteError
from nasbench_lab.spaces.nb201 import NB201Space
from nasbench_lab.tables.hdf5 import write_table
from nasbench_lab.tables.table import BenchmarkTable, DatasetTable, MetricTable
from tests.conftest import shared_file

REPO = Path(__file__).resolve().parents[1]
BLOB = bytes(range(256)) * 1024  # 256 KiB: several read chunks, so a cut transfer stops half way
#: a synthetic NB201 flat CSV with a row for every one of the 15,625 cells (strict import refuses missing rows);
#: cell i has validation accuracy 50 + (i mod 40) and test accuracy 0.5 below it
CSV = ("index,cifar10_valid_acc_200ep,cifar10_test_acc_200ep\n"
       + "".join(f"{i},{50 + i % 40}.0,{49.5 + i % 40}\n" for i in range(15_625))).encode()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _tar_bytes(members: dict[str, bytes], link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tf.addfile(info)
    return buffer.getvalue()


MODELS_ZIP = _zip_bytes({"nb_models/xgb_v1.0/model_config.json": b"{}", "nb_models/README": b"x"})
EVIL_ZIP = _zip_bytes({"../escaped.txt": b"x"})
ARCHIVE_TAR = _tar_bytes({"cells-simple/meta.txt": b"m", "cells-simple/0.txt": b"0"})
LINK_TAR = _tar_bytes({"a/b.txt": b"b"}, link="a/passwd")
FILES = {"cells-simple.tar": ARCHIVE_TAR, "link.tar": LINK_TAR,
         "tiny.bin": BLOB, "nosum.bin": BLOB[:1000], "sized.bin": BLOB[:2000], "tiny_nb201.csv": CSV,
         "models.zip": MODELS_ZIP, "evil.zip": EVIL_ZIP, "manual.bin": b"by hand"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _entry(name: str, base: str, *, sha=True, size=True, **extra) -> dict:
    data = FILES[name]
    return {"name": name, "description": "synthetic test fixture", "urls": [f"{base}/files/{name}"],
            "size_bytes": len(data) if size else None, "approx_size": None,
            "sha256": _sha(data) if sha else None, "checksum_source": "computed by the test" if sha else None,
            "manual": None, "unpack": None, "loader": None, "convert": None, **extra}


@pytest.fixture()
def server():
    srv = start(dict(FILES))
    yield srv
    stop(srv)


@pytest.fixture()
def manifest(server, tmp_path) -> Path:
    base = server.base
    files = [
        _entry("tiny.bin", base),
        _entry("nosum.bin", base, sha=False, size=False),
        _entry("sized.bin", base, sha=False),
        _entry("tiny_nb201.csv", base, loader="nb201-csv", convert="table"),
        _entry("models.zip", base, unpack="zip", loader="nb301-official", convert="folder"),
        _entry("evil.zip", base, unpack="zip", convert="folder"),
        _entry("cells-simple.tar", base, unpack="tar", convert="folder"),
        _entry("link.tar", base, unpack="tar", convert="folder"),
        _entry("manual.bin", base, urls=[],
               manual={"host": "Google Drive", "page": "https://drive.example/manual", "source": "test"}),
    ]
    raw = {"format": 1, "benchmarks": {"nb201": {"title": "test", "page": "https://example.invalid", "licence": "",
                                                 "default_file": "tiny.bin", "packaged": None, "files": files}}}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(raw))
    return path


def _get(manifest, tmp_path, name, **kw):
    return download("nb201", name, manifest=manifest, data_dir=tmp_path / "data", progress=False, **kw)[0]


def test_download_verifies_then_moves_into_place_and_never_fetches_a_verified_file_again(server, manifest, tmp_path):
    result = download("nb201", manifest=manifest, data_dir=tmp_path / "data", progress=False)[0]  # default file
    assert result.action == "downloaded" and result.check == "sha256"
    assert result.path == tmp_path / "data" / "nb201" / "tiny.bin"
    assert result.path.read_bytes() == BLOB
    assert not result.path.with_name("tiny.bin.part").exists()
    again = _get(manifest, tmp_path, "tiny.bin")
    assert again.action == "already verified"
    assert len(server.requests_for("tiny.bin")) == 1


def test_interrupted_transfer_keeps_the_part_and_resumes_with_a_range_request(server, manifest, tmp_path):
    mirror = f"{server.base}/cut"
    with pytest.raises(TransferError, match=r"stopped at \d+ of 262144 bytes.*run the same command again"):
        _get(manifest, tmp_path, "tiny.bin", mirror=mirror)
    part = tmp_path / "data" / "nb201" / "tiny.bin.part"
    half = part.stat().st_size
    assert 0 < half < len(BLOB)
    result = _get(manifest, tmp_path, "tiny.bin", mirror=mirror)
    assert result.action == "downloaded" and result.transfer.resumed_from == half
    assert server.requests_for("tiny.bin")[-1] == ("/cut/tiny.bin", f"bytes={half}-", 206)
    assert result.path.read_bytes() == BLOB and not part.exists()


def test_server_without_range_support_starts_the_file_again(server, manifest, tmp_path):
    part = tmp_path / "data" / "nb201" / "tiny.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(BLOB[:5000])
    result = _get(manifest, tmp_path, "tiny.bin", mirror=f"{server.base}/norange")
    assert result.transfer.restarted and result.transfer.resumed_from == 0
    assert result.path.read_bytes() == BLOB


def test_wrong_checksum_deletes_the_partial_file_and_says_so(server, manifest, tmp_path):
    with pytest.raises(ChecksumMismatchError, match="deleted the partial file") as info:
        _get(manifest, tmp_path, "tiny.bin", mirror=f"{server.base}/wrong")
    assert "/wrong/tiny.bin" in str(info.value)
    folder = tmp_path / "data" / "nb201"
    assert not (folder / "tiny.bin").exists() and not (folder / "tiny.bin.part").exists()


def test_wrong_size_without_checksum_is_refused(server, manifest, tmp_path):
    server.files["sized.bin"] = BLOB[:1999]
    with pytest.raises(ChecksumMismatchError, match="has 1999 bytes, the manifest says 2000"):
        _get(manifest, tmp_path, "sized.bin")
    assert not (tmp_path / "data" / "nb201" / "sized.bin.part").exists()


def test_404_names_the_url_and_the_manual_alternative(server, manifest, tmp_path):
    with pytest.raises(TransferError, match=r"/missing/tiny.bin answered HTTP 404.*by hand from"):
        _get(manifest, tmp_path, "tiny.bin", mirror=f"{server.base}/missing")


def test_connection_refused_is_one_line_naming_the_url_and_the_manual_alternative(manifest, tmp_path, capsys):
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    rc = main(["--quiet", "download", "nb201", "--manifest", str(manifest), "--data-dir", str(tmp_path / "d"),
               "--mirror", f"http://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("nasbench-lab download: error: cannot reach")
    assert f"http://127.0.0.1:{port}/tiny.bin" in err and "by hand from" in err


def test_redirect_is_followed_and_still_verified(server, manifest, tmp_path):
    result = _get(manifest, tmp_path, "tiny.bin", mirror=f"{server.base}/redirect")
    assert result.action == "downloaded" and result.check == "sha256"
    assert [code for _, _, code in server.requests_for("tiny.bin")] == [302, 200]


def test_a_silent_server_times_out_within_the_bound(server, manifest, tmp_path):
    began = time.monotonic()
    with pytest.raises(TransferError, match=r"no (data|answer) from .*/slow/tiny.bin .*0.5 s"):
        _get(manifest, tmp_path, "tiny.bin", mirror=f"{server.base}/slow", timeout=0.5)
    assert time.monotonic() - began < 5


def test_a_trickling_server_is_stopped_by_the_minimum_rate_keeping_the_part(server, manifest, tmp_path):
    # 1 byte every 0.05 s (20 bytes/s) never trips the 0.3 s per-read timeout; the 100 bytes/s minimum stops it
    began = time.monotonic()
    with pytest.raises(TransferError, match=r"/trickle/tiny.bin sent \d+ bytes in 0.3\d* s, below the minimum rate "
                                            r"of 100 bytes/s \(--min-rate, averaged over --timeout 0.3 s\).*resume"):
        _get(manifest, tmp_path, "tiny.bin", mirror=f"{server.base}/trickle", timeout=0.3, min_rate=100)
    assert time.monotonic() - began < 2
    part = tmp_path / "data" / "nb201" / "tiny.bin.part"
    assert 0 < part.stat().st_size < len(FILES["tiny.bin"]), "the partial file is kept for a resume"


def test_a_trickle_above_the_minimum_rate_completes(server, manifest, tmp_path):
    server.trickle_s, server.trickle_bytes = 0.01, 16384  # 256 KiB in about 0.2 s: over 1 MB/s
    result = _get(manifest, tmp_path, "tiny.bin", mirror=f"{server.base}/trickle", timeout=0.05, min_rate=100_000)
    assert result.action == "downloaded" and result.check == "sha256"


def test_disk_full_leaves_no_partial_file_and_keeps_the_good_one(server, manifest, tmp_path, monkeypatch):
    good = _get(manifest, tmp_path, "tiny.bin").path
    before = good.read_bytes()

    class FullDisk(io.FileIO):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(transfer_module, "open", lambda path, mode: FullDisk(path, mode), raising=False)
    with pytest.raises(WriteError, match="No space left on device.*removed the partial file"):
        _get(manifest, tmp_path, "tiny.bin", force=True)
    assert good.read_bytes() == before
    assert not good.with_name("tiny.bin.part").exists()


def test_no_published_checksum_warns_and_says_what_was_checked(server, manifest, tmp_path):
    with pytest.warns(UnverifiedFileWarning, match="no published checksum; no exact size is known either"):
        result = _get(manifest, tmp_path, "nosum.bin")
    assert result.check == "transfer length only"
    with pytest.warns(UnverifiedFileWarning, match=r"checked its size \(2000 bytes\) only"):
        assert _get(manifest, tmp_path, "sized.bin").check == "size only"


def test_manual_file_prints_exact_instructions_and_a_mirror_fetches_it(server, manifest, tmp_path, capsys):
    data = tmp_path / "d"
    rc = main(["--quiet", "download", "nb201", "--file", "manual.bin", "--manifest", str(manifest),
               "--data-dir", str(data)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "https://drive.example/manual" in out and str(data / "nb201" / "manual.bin") in out
    assert "--mirror BASE_URL" in out
    rc = main(["--quiet", "download", "nb201", "--file", "manual.bin", "--manifest", str(manifest),
               "--data-dir", str(data), "--mirror", f"{server.base}/files"])
    assert rc == 0 and (data / "nb201" / "manual.bin").read_bytes() == b"by hand"


def test_a_file_placed_by_hand_is_verified_in_place_and_a_wrong_one_is_left_alone(manifest, tmp_path):
    folder = tmp_path / "data" / "nb201"
    folder.mkdir(parents=True)
    (folder / "tiny.bin").write_bytes(BLOB)
    assert _get(manifest, tmp_path, "tiny.bin").action == "verified in place"
    (folder / "sized.bin").write_bytes(b"not it")
    with pytest.raises(ChecksumMismatchError, match="left .* as it is: delete it or fetch it again with --force"):
        _get(manifest, tmp_path, "sized.bin")
    assert (folder / "sized.bin").read_bytes() == b"not it"


def test_convert_builds_the_table_and_list_shows_present_verified_converted(server, manifest, tmp_path):
    result = _get(manifest, tmp_path, "tiny_nb201.csv", convert=True)
    assert result.ready.suffix == ".h5" and result.ready.exists()
    bench = nasbench_lab.load(result.ready)
    assert float(bench.query(bench.space.from_index(__import__("numpy").array([1])), "valid_acc")[0]) == 51.0
    (tmp_path / "data" / "nb201" / "sized.bin.part").write_bytes(b"12")
    rows = {f["name"]: f for f in file_states(manifest, tmp_path / "data")[0]["files"]}
    assert rows["tiny_nb201.csv"]["state"] == "verified (sha256)"
    assert rows["tiny_nb201.csv"]["converted"] == str(result.ready)
    assert rows["tiny.bin"]["state"] == "missing" and rows["tiny.bin"]["converted"] is None
    assert rows["sized.bin"]["state"].startswith("partial (2 bytes")
    assert rows["manual.bin"]["manual"] is True


def test_archives_unpack_to_a_folder_and_members_outside_it_are_refused(server, manifest, tmp_path):
    result = _get(manifest, tmp_path, "models.zip", convert=True)
    assert result.ready == tmp_path / "data" / "nb201" / "models"
    assert (result.ready / "xgb_v1.0" / "model_config.json").read_bytes() == b"{}"
    with pytest.raises(DataFileError, match="refusing to unpack the member '../escaped.txt'"):
        _get(manifest, tmp_path, "evil.zip", convert=True)
    assert not (tmp_path / "data" / "escaped.txt").exists()


def test_environment_chooses_the_data_folder_and_the_mirror(server, manifest, tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_DATA", str(tmp_path / "env-data"))
    monkeypatch.setenv("NASBENCH_LAB_MIRROR", f"{server.base}/redirect")
    result = download("nb201", "tiny.bin", manifest=manifest, progress=False)[0]
    assert result.path == tmp_path / "env-data" / "nb201" / "tiny.bin"
    assert server.requests_for("tiny.bin")[0][0] == "/redirect/tiny.bin"


def test_unknown_benchmark_and_file_names_list_the_accepted_ones(capsys):
    assert main(["download", "nb999"]) == 2
    assert "accepted: nb101, nb201, nb301, nbgraph" in capsys.readouterr().err
    assert main(["download", "nb101", "--file", "nope.tfrecord"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nasbench_only108.tfrecord" in err and "all" in err


def test_list_reports_official_files(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("NASBENCH_LAB_DATA", str(tmp_path))
    assert main(["list", "--json"]) == 0
    states = {b["benchmark"]: b for b in json.loads(capsys.readouterr().out)["official_files"]}
    assert states["nb101"]["data_dir"] == str(tmp_path)
    assert {f["name"]: f["state"] for f in states["nb101"]["files"]}["nasbench_only108.tfrecord"] == "missing"
    assert states["nbgraph"]["packaged"]


def test_packaged_manifest_and_the_data_folder_copy_are_identical():
    assert (REPO / "data" / "manifest.json").read_bytes() == MANIFEST_PATH.read_bytes()


def test_manifest_entries_name_real_loaders_and_say_where_checksums_come_from():
    from nasbench_lab.api import DIRECT_LOADERS
    from nasbench_lab.benchmarks.spec import BENCHMARKS

    manifest = load_manifest()
    names = [f.name for b in manifest.benchmarks.values() for f in b.files]
    assert len(names) == len(set(names))  # a mirror serves one flat folder of file names
    for bench in manifest.benchmarks.values():
        assert bench.default_file is None or bench.file(bench.default_file)
        for f in bench.files:
            assert f.urls or f.manual, f.name
            assert (f.sha256 is None) == (f.checksum_source is None), f.name
            if f.sha256 is not None:
                assert len(f.sha256) == 64 and int(f.sha256, 16) >= 0
            if f.convert == "table":
                assert f.loader in [lo.name for lo in BENCHMARKS.get(f.benchmark).loaders], f.name
            if f.convert == "folder":
                assert f.loader in DIRECT_LOADERS, f.name


def test_a_part_file_the_server_cannot_continue_is_fetched_again(server, manifest, tmp_path):
    part = tmp_path / "data" / "nb201" / "tiny.bin.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(BLOB + b"stale tail")  # longer than the file: the server answers 416
    result = _get(manifest, tmp_path, "tiny.bin")
    assert result.transfer.restarted and result.path.read_bytes() == BLOB
    assert [code for _, _, code in server.requests_for("tiny.bin")] == [416, 200]
    with pytest.warns(UnverifiedFileWarning):
        _get(manifest, tmp_path, "sized.bin")
    rows = {f["name"]: f["state"] for f in file_states(manifest, tmp_path / "data")[0]["files"]}
    assert rows["sized.bin"] == "present, size checked (no published checksum)"


def test_a_tar_with_one_top_folder_unpacks_to_that_folder_and_links_are_refused(server, manifest, tmp_path):
    result = _get(manifest, tmp_path, "cells-simple.tar", convert=True)
    assert result.ready == tmp_path / "data" / "nb201" / "cells-simple"
    assert sorted(p.name for p in result.ready.iterdir()) == ["0.txt", "meta.txt"]
    with pytest.raises(DataFileError, match="refusing to unpack 'a/passwd'"):
        _get(manifest, tmp_path, "link.tar", convert=True)
    assert not (tmp_path / "data" / "nb201" / "link").exists()


# ------------------------------------------------------------------ content checks (issue 23, item 2)
def _nb201_strings() -> list[str]:
    space = NB201Space()
    return [space.to_string(a) for a in space.all()]


def _nats_cell(index: int, strings: list[str]) -> dict:
    """One cell's record in the official layout: {'12': ArchResults state, '200': ArchResults state}."""
    results = {"train_acc1es": {0: 10.0}, "train_losses": {0: 2.0}, "train_times": {0: 1.0},
               "eval_acc1es": {"x-valid@0": 11.0}, "eval_losses": {"x-valid@0": 2.1}, "eval_names": ["x-valid"],
               "params": 0.1, "flop": 10.0, "latency": [0.01], "epochs": 1}
    state = {"arch_index": index, "arch_str": strings[index], "all_results": {("cifar10-valid", 777): results}}
    return {"12": dict(state), "200": dict(state)}


def _official_fixtures() -> dict[str, bytes]:
    """A small file of each official format, written in exactly the official layout (synthetic values)."""
    strings = _nb201_strings()
    meta = {"meta_archs": strings, "total_archs": len(strings), "arch2infos": None, "evaluated_indexes": set()}
    single = dict(meta, arch2infos={0: _nats_cell(0, strings)}, evaluated_indexes={0})
    folder = "NATS-tss-v1_0-3ffb9-simple"
    tar = _tar_bytes({f"{folder}/{META_FILE_NAME}": bz2.compress(pickle.dumps(meta, protocol=4)),
                      f"{folder}/000000.pickle.pbz2": bz2.compress(pickle.dumps(_nats_cell(0, strings), protocol=4))})
    naslib = {(1, 0, 3, 2, 4, 0): {"cifar10-valid": {"eval_acc1es": [50.0], "train_acc1es": [40.0]}}}
    nb101 = {"0" * 32: ({"module_adjacency": np.eye(2, dtype=np.int8), "module_operations": ["input", "output"],
                         "trainable_parameters": 10}, {108: [{"final_validation_accuracy": 0.5}]})}
    record = json.dumps(["0" * 32, 108, "0100", "input,output", "AAAA"]).encode()
    table = BenchmarkTable("nb201", {"cifar10": DatasetTable("cifar10", "nb201", (200,), {
        "valid_acc": MetricTable(np.zeros((15_625, 1, 1), np.float32), (False,))})})
    with tempfile.TemporaryDirectory() as folder:
        tfrecord = write_tfrecord(Path(folder) / "r.tfrecord", [record, record]).read_bytes()
        h5 = write_table(table, Path(folder) / "t.h5").read_bytes()
    help_list = _zip_bytes({"1080ti_1/data.pkl": pickle.dumps([1.5] * 15_625, protocol=2),
                            "1080ti_1/version": b"3\n"})
    suite_zero = {"cifar10": {"(1, 0, 3, 2, 4, 0)": {"val_accuracy": 90.0, "synflow": {"score": 1.0, "time": 0.1}},
                              "(0, 0, 0, 0, 0, 0)": {"val_accuracy": 10.0, "synflow": {"score": 0.0, "time": 0.1}}}}
    return {
        "NATS-tss-v1_0-3ffb9-simple.tar": tar,
        "NATS-tss-v1_0-3ffb9.pickle.pbz2": bz2.compress(pickle.dumps(single, protocol=4)),
        "nb201_cifar10_full_training.pickle": pickle.dumps(naslib, protocol=4),
        "nasbench_only108.pkl": pickle.dumps(nb101, protocol=2),
        "nasbench_full.tfrecord": tfrecord,
        "nb201_table.h5": h5,
        "1080ti_1.pt": help_list,
        "NAS-Bench-201-v1_0-e61699.pth": b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19." + bytes(100),
        "zc_nasbench201.json": json.dumps(suite_zero).encode(),
        "nasbench301_models_v1_0.zip": MODELS_ZIP,
    }


META_FILE_NAME = "meta.pickle.pbz2"
#: fixture name -> the packaged manifest entry it stands for (None: a file of that format with no official entry)
OFFICIAL_ENTRIES = {"nb201_table.h5": None, "nasbench_only108.pkl": "nb101", "nasbench_full.tfrecord": "nb101",
                    "nasbench301_models_v1_0.zip": "nb301"}
GOOD = _official_fixtures()


def _official_manifest(base: str, path: Path) -> Path:
    """The packaged manifest's entries for the fixture names, served by the local server with no checksum or size
    (so that only the content check stands between a bad mirror and the data folder)."""
    packaged = json.loads(MANIFEST_PATH.read_text())["benchmarks"]
    files = []
    for name in GOOD:
        bench = OFFICIAL_ENTRIES.get(name, "nb201")
        raw = next((f for f in packaged[bench]["files"] if f["name"] == name), None) if bench else None
        raw = dict(raw or {"name": name, "description": "a table file", "unpack": None, "loader": None,
                           "convert": None, "approx_size": None})
        raw.update(urls=[f"{base}/files/{name}"], sha256=None, checksum_source=None, size_bytes=None, manual=None)
        files.append(raw)
    raw = {"format": 1, "benchmarks": {"nb201": {"title": "test", "page": "https://example.invalid", "licence": "",
                                                 "default_file": None, "packaged": None, "files": files}}}
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_good_file_of_each_official_format_is_accepted_by_its_content(name, tmp_path):
    srv = start(dict(GOOD))
    try:
        manifest = _official_manifest(srv.base, tmp_path / "m.json")
        with pytest.warns(UnverifiedFileWarning, match="content: "):
            result = _get(manifest, tmp_path, name)
    finally:
        stop(srv)
    assert result.action == "downloaded" and result.path.read_bytes() == GOOD[name]
    stamp = json.loads(result.path.with_name(f".{name}.verified.json").read_text())
    assert stamp["first_sha256"] == _sha(GOOD[name]) and "not checked" not in stamp["content"]


@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_mirror_serving_random_bytes_under_an_official_name_is_refused_leaving_nothing(name, tmp_path):
    noise = np.random.default_rng(23).bytes(4096)
    srv = start({n: noise for n in GOOD})
    try:
        manifest = _official_manifest(srv.base, tmp_path / "m.json")
        with pytest.raises(ContentMismatchError) as info:
            _get(manifest, tmp_path, name)
    finally:
        stop(srv)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{name} is not the official file: expected ")
    assert ", found " in message and "nothing was kept" in message
    assert [p for p in (tmp_path / "data").rglob("*")] == []


def test_a_nats_tar_without_the_cell_files_is_refused_by_its_member_list(tmp_path):
    name = "NATS-tss-v1_0-3ffb9-simple.tar"
    srv = start({**GOOD, name: _tar_bytes({"NATS-tss-v1_0-3ffb9-simple/readme.txt": b"x"})})
    try:
        with pytest.raises(ContentMismatchError, match=r"found 1 members with no NATS-tss-\*\.pickle\.pbz2 and no "
                                                       r"meta\.pickle\.pbz2"):
            _get(_official_manifest(srv.base, tmp_path / "m.json"), tmp_path, name)
    finally:
        stop(srv)
    assert [p for p in (tmp_path / "data").rglob("*")] == []


def test_a_pbz2_of_another_pickle_is_refused_by_its_first_records(tmp_path):
    name = "NATS-tss-v1_0-3ffb9.pickle.pbz2"
    wrong = bz2.compress(pickle.dumps({"meta_archs": ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]}))
    srv = start({**GOOD, name: wrong})
    try:
        with pytest.raises(ContentMismatchError, match="starting with 'meta_archs' and the official NB201 cells"):
            _get(_official_manifest(srv.base, tmp_path / "m.json"), tmp_path, name)
    finally:
        stop(srv)


@pytest.mark.filterwarnings("ignore::nasbench_lab.official.store.UnverifiedFileWarning")
def test_a_later_download_that_differs_from_the_first_verified_one_warns(tmp_path):
    name = "zc_nasbench201.json"
    other = json.dumps({"cifar10": {"(1, 0, 3, 2, 4, 0)": {"val_accuracy": 91.0}}}).encode()
    srv = start(dict(GOOD))
    try:
        manifest = _official_manifest(srv.base, tmp_path / "m.json")
        with pytest.warns(UnverifiedFileWarning):
            _get(manifest, tmp_path, name)
        srv.files[name] = GOOD[name]
        with warnings.catch_warnings(record=True) as caught:  # the same bytes again: no note
            warnings.simplefilter("always")
            _get(manifest, tmp_path, name, force=True)
        assert not [w for w in caught if issubclass(w.category, DataNote)]
        srv.files[name] = other
        with pytest.warns(DataNote, match=f"sha256 {_sha(other)} differs from the first verified copy's "
                                          f"{_sha(GOOD[name])} \\(trust on first use\\)"):
            result = _get(manifest, tmp_path, name, force=True)
    finally:
        stop(srv)
    assert result.path.read_bytes() == other
    stamp = json.loads(result.path.with_name(f".{name}.verified.json").read_text())
    assert stamp["first_sha256"] == _sha(GOOD[name]) and stamp["sha256"] == _sha(other)



@pytest.mark.parametrize(("relative", "benchmark", "name"), [
    ("nb201/NATS-tss-v1_0-3ffb9-simple-sample/meta.pickle.pbz2", "nb201", "NATS-tss-v1_0-3ffb9.pickle.pbz2"),
    ("nb201/HELP-latency/1080ti_1.pt", "nb201", "1080ti_1.pt"),
    ("nb201/HELP-latency/str_arch2idx.pt", "nb201", "str_arch2idx.pt"),
    ("nb201/nb201_zero_cost_subset.json", "nb201", "zc_nasbench201.json"),
])
def test_the_real_official_files_pass_their_content_checks(relative, benchmark, name):
    entry = load_manifest().benchmark(benchmark).file(name)
    assert "not checked" not in check_content(shared_file(relative), entry)
