"""Downloads of official files against a local 127.0.0.1 server: resume, faults, verification, conversion.

The served files are small synthetic fixtures (not benchmark data); the manifest here describes them.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import socket
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from local_http import start, stop

import nasbench_lab
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ChecksumMismatchError, DataFileError
from nasbench_lab.official import UnverifiedFileWarning, download, file_states, load_manifest
from nasbench_lab.official import transfer as transfer_module
from nasbench_lab.official.manifest import MANIFEST_PATH
from nasbench_lab.official.transfer import TransferError, WriteError

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
