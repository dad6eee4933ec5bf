"""Device latencies of NB201 (HELP, 27 devices) as metrics ``latency_<device>`` of a folder laid out like the
shared ``nb201/``: from ``nb201_hw_latency.csv`` or the original ``HELP-latency/*.pt`` files.

Synthetic files (tests/fixtures/latency_files.py) test the behaviour; the real shared files, where present,
test the numbers.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import warnings

import numpy as np
import pytest
from conftest import shared_file
from fixtures.latency_files import DEVICES, N, help_files, help_manifest, latency, latency_csv_text, write_help_folder

import nasbench_lab
from nasbench_lab.api import find_loader
from nasbench_lab.benchmarks.spec import BENCHMARKS
from nasbench_lab.cli.main import main
from nasbench_lab.errors import DataNote
from nasbench_lab.metrics import MetricKind, metric_info
from nasbench_lab.official import download, load_manifest
from nasbench_lab.search import search_problem
from nasbench_lab.search.base import check_proxy_name
from nasbench_lab.spaces.nb201 import EDGES, NB201Space

#: a synthetic main table: CIFAR-10 at 200 epochs, CIFAR-100 at 12 and 200 epochs
MAIN = ("index,cifar10_valid_acc_200ep,cifar10_test_acc_200ep,cifar100_valid_acc_12ep,cifar100_test_acc_200ep\n"
        + "".join(f"{i},{50 + i % 40},{49 + i % 40},{30 + i % 20},{40 + i % 30}\n" for i in range(N)))
METRICS = [f"latency_{d}" for d in DEVICES]


@pytest.fixture(scope="module")
def main_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("main") / "nb201_tables.csv"
    path.write_text(MAIN)
    return path


def _folder(tmp_path, main_csv, *, csv: str | None = None, help_files: bool = False):
    folder = tmp_path / "nb201"
    folder.mkdir()
    shutil.copy(main_csv, folder)
    if csv is not None:
        (folder / "nb201_hw_latency.csv").write_text(csv)
    if help_files:
        write_help_folder(folder / "HELP-latency")
    return folder


def test_csv_gives_one_cost_metric_per_device_in_ms_at_every_fidelity_of_every_dataset(tmp_path, main_csv):
    folder = _folder(tmp_path, main_csv, csv=latency_csv_text())
    for dataset in ("cifar10", "cifar100"):
        bench = nasbench_lab.load("nb201", dataset, path=folder, cache_dir=tmp_path / "cache")
        assert [m for m in bench.metrics if m.startswith("latency_")] == METRICS
        for device, metric in zip(DEVICES, METRICS):
            for fid in bench.fidelities:
                np.testing.assert_allclose(bench.query_index(np.arange(N), metric, fid), latency(device), rtol=1e-6)
            info = bench.describe()["metrics"][metric]
            assert (info["kind"], info["unit"], info["source"]) == ("cost", "ms", "nb201_hw_latency.csv")
            assert info["seeds"] == {str(f): "mean only" for f in bench.fidelities}
        note = bench.describe()["notes"]["latency"]
        assert "CIFAR-100 network" in note and "(ms)" in note and "nb201_hw_latency.csv" in note
    assert nasbench_lab.load("nb201", "cifar100", path=folder, cache_dir=tmp_path / "cache").fidelities == (12, 200)


def test_help_files_give_the_same_metrics_and_the_csv_wins_where_both_are(tmp_path, main_csv):
    folder = _folder(tmp_path, main_csv, help_files=True)
    bench = nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=tmp_path / "cache")
    for device, metric in zip(DEVICES, METRICS):
        np.testing.assert_array_equal(bench.query_index(np.arange(N), metric), latency(device).astype(np.float32))
    assert bench.describe()["metrics"]["latency_pixel3"]["source"] == "HELP-latency"
    assert "HELP-latency/<device>.pt" in bench.describe()["notes"]["latency"]
    (folder / "nb201_hw_latency.csv").write_text(latency_csv_text(offset=1.0))  # tells the two sources apart
    loader = find_loader(BENCHMARKS.get("nb201"), folder)
    assert [p.name for p in loader.source_files(folder)] == ["nb201_tables.csv", "nb201_hw_latency.csv"]
    both = nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=tmp_path / "cache")
    np.testing.assert_allclose(both.query_index(np.arange(N), "latency_gold_6226"), latency("gold_6226") + 1.0,
                               rtol=1e-6)


def test_flat_csv_alone_and_a_folder_without_latencies_have_no_device_metric(tmp_path, main_csv):
    folder = _folder(tmp_path, main_csv)
    for path in (folder, folder / "nb201_tables.csv"):
        bench = nasbench_lab.load("nb201", "cifar10", path=path, cache_dir=tmp_path / "cache")
        assert bench.metrics == ["test_acc", "valid_acc"] and "latency" not in bench.describe()["notes"]


def test_added_or_edited_latency_file_is_converted_again(tmp_path, main_csv):
    folder = _folder(tmp_path, main_csv)
    cache = tmp_path / "cache"
    assert "latency_pixel3" not in nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=cache).metrics
    (folder / "nb201_hw_latency.csv").write_text(latency_csv_text())
    added = nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=cache)
    assert added.query_index([3], "latency_pixel3")[0] == pytest.approx(2.75)
    (folder / "nb201_hw_latency.csv").write_text(latency_csv_text(offset=0.5))
    with pytest.warns(DataNote, match="nb201_hw_latency.csv changed since it was converted"):
        edited = nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=cache)
    assert edited.query_index([3], "latency_pixel3")[0] == pytest.approx(3.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unchanged now: the cache answers, no note
        nasbench_lab.load("nb201", "cifar10", path=folder, cache_dir=cache)


def test_device_latency_is_a_cost_an_optimizer_may_read_but_never_a_search_result(tmp_path, main_csv):
    info = metric_info("latency_pixel3")
    assert (info.kind, info.unit, info.higher_is_better) == (MetricKind.COST, "ms", False)
    assert info.display_name == "latency on pixel3" and info.axis_label() == "latency on pixel3 (ms)"
    assert metric_info("latency").display_name == "latency"  # the NATS-Bench GPU latency keeps its meaning
    check_proxy_name("latency_titan_rtx_256")  # a cost known before training: allowed as a proxy
    bench = nasbench_lab.load("nb201", "cifar10", path=_folder(tmp_path, main_csv, csv=latency_csv_text()),
                              cache_dir=tmp_path / "cache")
    problem = search_problem(bench)
    assert set(METRICS) <= set(problem.proxy_metrics)
    np.testing.assert_allclose(problem.proxy(bench.space.from_index(np.arange(3)), "latency_gold_6226"),
                               [1.0, 1.01, 1.02], rtol=1e-6)


# ------------------------------------------------------------------ the real shared files
def _disconnected() -> np.ndarray:
    """Cells of NB201 with no path from the input node to the output node (every path crosses a 'none')."""
    archs = NB201Space().all()
    reach = np.zeros((len(archs), 4), dtype=bool)
    reach[:, 0] = True
    for e, (to, frm) in enumerate(EDGES):  # EDGES are ordered by target node, so one pass suffices
        reach[:, to] |= reach[:, frm] & (archs[:, e] != 0)
    return ~reach[:, 3]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    shared_file("nb201/nb201_hw_latency.csv")
    folder = shared_file("nb201/nb201_tables.csv").parent
    cache = tmp_path_factory.mktemp("latency_cache")
    return {ds: nasbench_lab.load("nb201", ds, path=folder, cache_dir=cache)
            for ds in ("cifar10", "cifar100", "ImageNet16-120")}


def test_real_27_devices_on_every_dataset_with_published_values(real):
    devices = sorted(m for m in real["cifar100"].metrics if m.startswith("latency_"))
    assert len(devices) == 27 and {"latency_gold_6226", "latency_pixel3", "latency_titan_rtx_256",
                                   "latency_eyeriss", "latency_fpga"} <= set(devices)
    every = np.arange(N)
    for ds in ("cifar10", "ImageNet16-120"):
        assert sorted(m for m in real[ds].metrics if m.startswith("latency_")) == devices
        np.testing.assert_array_equal(real[ds].query_index(every, "latency_raspi4"),
                                      real["cifar100"].query_index(every, "latency_raspi4"))
    assert real["cifar100"].query_index([9930], "latency_fpga")[0] == pytest.approx(7.42, abs=0.005)
    dead = _disconnected()
    assert dead.sum() == 341
    pixel3 = real["cifar100"].query_index(every, "latency_pixel3")
    raspi4 = real["cifar100"].query_index(every, "latency_raspi4")
    assert (pixel3 < 0.1).sum() == 202 and dead[pixel3 < 0.1].all()
    assert (raspi4 < 0.5).sum() == 235 and dead[raspi4 < 0.5].all()


def test_real_help_files_agree_with_the_csv(real, tmp_path):
    help_dir = shared_file("nb201/HELP-latency")
    folder = tmp_path / "nb201"
    folder.mkdir()
    (folder / "nb201_tables.csv").symlink_to(shared_file("nb201/nb201_tables.csv"))
    (folder / "HELP-latency").symlink_to(help_dir)
    bench = nasbench_lab.load("nb201", "cifar100", path=folder, cache_dir=tmp_path / "cache")
    every = np.arange(N)
    for metric in ("latency_gold_6226", "latency_pixel3", "latency_titan_rtx_256", "latency_fpga"):
        np.testing.assert_allclose(bench.query_index(every, metric), real["cifar100"].query_index(every, metric),
                                   rtol=1e-5)


# ------------------------------------------------------------------ nasbench-lab download of HELP's files
HELP_NAMES = {f"{d}.pt" for d in (
    "1080ti_1", "1080ti_32", "1080ti_256", "2080ti_1", "2080ti_32", "2080ti_256", "titan_rtx_1", "titan_rtx_32",
    "titan_rtx_256", "titanx_1", "titanx_32", "titanx_256", "titanxp_1", "titanxp_32", "titanxp_256", "gold_6226",
    "gold_6240", "silver_4114", "silver_4210r", "raspi4", "pixel2", "pixel3", "samsung_a50", "samsung_s7",
    "essential_ph_1", "eyeriss", "fpga", "str_arch2idx")}


@pytest.fixture()
def help_server():
    from local_http import start, stop

    srv = start(help_files())
    yield srv
    stop(srv)


def test_download_places_help_files_where_the_nb201_folder_finds_them(help_server, tmp_path, main_csv, capsys):
    manifest = help_manifest(tmp_path / "manifest.json", help_server.base)
    data = tmp_path / "data"
    rc = main(["--quiet", "download", "nb201", "--manifest", str(manifest), "--data-dir", str(data),
               "--file", "HELP-latency"])
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.name for p in (data / "nb201" / "HELP-latency").glob("*.pt")) == sorted(help_files())
    again = download("nb201", ["HELP-latency", "pixel3.pt"], manifest=manifest, data_dir=data, progress=False)
    assert len(again) == 3 and {r.action for r in again} == {"already verified"}  # pixel3.pt once, not twice
    shutil.copy(main_csv, data / "nb201")  # the main table is not an official file: the user adds it
    bench = nasbench_lab.load("nb201", "cifar10", path=data / "nb201", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(bench.query_index(np.arange(N), "latency_pixel3"),
                                  latency("pixel3").astype(np.float32))


def test_real_manifest_lists_every_help_file_at_the_pinned_commit_with_its_sha256():
    bench = load_manifest().benchmark("nb201")
    help_entries = bench.select(["HELP-latency"])
    assert {f.name for f in help_entries} == HELP_NAMES
    for f in help_entries:
        assert f.folder == "HELP-latency" and re.fullmatch(r"[0-9a-f]{64}", f.sha256 or ""), f.name
        assert f.size_bytes and f.urls[0].startswith("https://raw.githubusercontent.com/HayeonLee/HELP/45f70eb/data/"
                                                     "nasbench201/"), f.name
        assert f.urls[0].endswith(("/latency/" if f.name != "str_arch2idx.pt" else "/nasbench201/") + f.name)


def test_real_manifest_checksums_are_those_of_the_shared_originals():
    folder = shared_file("nb201/HELP-latency")
    for f in load_manifest().benchmark("nb201").select(["HELP-latency"]):
        data = (folder / f.name).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (f.sha256, f.size_bytes), f.name
