"""Latency predictors: a lower-is-better target in the predictor evaluation, and the cross-device protocol.

The mechanics run on a SYNTHETIC table (made-up latencies of every NB201 cell on five made-up devices, built below);
the real HELP latencies of ../shared/data/nb201, where present, check the command line and what the data says.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest
from conftest import shared_file

import nasbench_lab
from nasbench_lab.benchmarks.tabular import TabularBenchmark
from nasbench_lab.cli.cmd_predictors import _default_predictors
from nasbench_lab.cli.main import main
from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.predictors.cross_device import (
    ENCODING,
    NEAREST,
    WITH_DEVICES,
    CrossDeviceProtocol,
    device_data,
    device_names,
    evaluate_cross_device,
    hardware_of,
    resolve_extra_devices,
    summarize_cross_device,
    target_device,
    training_order,
)
from nasbench_lab.predictors.evaluation import (
    ENCODING_BASELINES,
    LOWFI_BASELINES,
    Evaluation,
    PredictorSpec,
    Protocol,
    make_split,
    run_one,
)
from nasbench_lab.predictors.report import cross_device_tables, write_cross_device_report
from nasbench_lab.predictors.scoring import precision_at_k, ranking_scores
from nasbench_lab.tables.table import DatasetTable, MetricTable

SPACE = nasbench_lab.space("nb201")


def _synthetic_latencies() -> dict[str, np.ndarray]:
    """SYNTHETIC latencies (ms) of every NB201 cell: ``cpu`` grows with the encoding, ``cpu_twin`` ranks nearly like
    it, ``gpu_256`` is ``gpu_1`` at another batch size (the same hardware), ``phone`` is unrelated noise."""
    rng = np.random.default_rng(0)
    onehot = SPACE.encode(SPACE.all(), "onehot").astype(np.float64)
    cpu = 5 + onehot @ rng.uniform(0, 2, onehot.shape[1]) + rng.normal(0, 0.2, len(onehot))
    gpu_1 = 2 + onehot @ rng.uniform(0, 1, onehot.shape[1])
    return {"cpu": cpu, "cpu_twin": 1.5 * cpu + rng.normal(0, 0.01, len(cpu)), "gpu_1": gpu_1,
            "gpu_256": 3 * gpu_1, "phone": rng.uniform(1, 50, len(cpu))}


@pytest.fixture(scope="module")
def bench() -> TabularBenchmark:
    """A SYNTHETIC table over every NB201 cell: the latencies above and a made-up validation accuracy."""
    ones = np.ones((SPACE.size, 1, 1))
    metrics = {f"latency_{d}": MetricTable(v[:, None, None] * ones, per_seed=False, unit="ms")
               for d, v in _synthetic_latencies().items()}
    metrics["valid_acc"] = MetricTable(np.linspace(60, 90, SPACE.size)[:, None, None] * ones, per_seed=False)
    table = DatasetTable(name="synthetic", space="nb201", fidelities=(200,), metrics=metrics)
    return TabularBenchmark("synthetic", table, SPACE)


# ------------------------------------------------------------------ a lower-is-better target is scored as such
def test_precision_at_k_counts_the_lowest_as_best_where_lower_is_better():
    truth = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    right = truth + 0.5  # the right order
    wrong = right[::-1]
    assert precision_at_k(truth, right, 2, higher_is_better=False) == 1.0  # the 2 fastest found
    assert precision_at_k(truth, wrong, 2, higher_is_better=False) == 0.0
    assert precision_at_k(truth, right, 2) == 1.0 and precision_at_k(truth, wrong, 2) == 0.0  # the 2 largest
    scores = ranking_scores(truth, right, k=2, top_fraction=0.2, higher_is_better=False)
    assert scores["kendall_tau"] == pytest.approx(1.0) and scores["top_overlap"] == 1.0
    # the correlations say "ordered right" with a positive sign, whichever end is best
    assert ranking_scores(truth, wrong, k=2, higher_is_better=False)["kendall_tau"] == pytest.approx(-1.0)


def test_evaluation_of_a_latency_target_counts_the_fastest(bench):
    protocol = Protocol(sizes=(100,), seeds=1, test_size=2000, metric="latency_cpu", k=50)
    data = make_split(bench, protocol)
    assert data.higher_is_better is False and make_split(bench, Protocol(test_size=2000)).higher_is_better
    record, pred = run_one(bench, PredictorSpec("blr"), data, 100, 0, protocol)
    fastest = precision_at_k(data.test_y, pred, 50, higher_is_better=False)
    slowest = precision_at_k(data.test_y, pred, 50, higher_is_better=True)
    assert record.precision_at_k == fastest != slowest
    assert record.kendall_tau > 0.8  # the synthetic latency is nearly linear in the encoding: ordered right


def test_a_folder_written_before_the_direction_was_recorded_resumes_only_higher_is_better(bench, tmp_path):
    for metric, resumes in (("valid_acc", True), ("latency_cpu", False)):
        out = tmp_path / metric
        protocol = Protocol(sizes=(10,), seeds=1, test_size=500, metric=metric)
        Evaluation(bench, ["blr"], protocol, out_dir=out)
        ident = json.loads((out / "protocol.json").read_text())
        assert ident["higher_is_better"] is (metric == "valid_acc")
        del ident["higher_is_better"]  # as an older version wrote it
        (out / "protocol.json").write_text(json.dumps(ident))
        if resumes:
            Evaluation(bench, ["blr"], protocol, out_dir=out)
        else:
            with pytest.raises(ConfigError, match="different protocol"):
                Evaluation(bench, ["blr"], protocol, out_dir=out)


def test_default_predictors_of_a_latency_leave_out_the_learning_curve_ones(bench):
    assert _default_predictors(bench, False, "latency_cpu") == list(ENCODING_BASELINES)
    two_fidelities = nasbench_lab.load("nb201", "cifar10", path=shared_file("nb201/nb201_tables.csv"))
    assert _default_predictors(two_fidelities, False, None)[-len(LOWFI_BASELINES):] == list(LOWFI_BASELINES)


# ----------------------------------------------------------------------- devices and the extra-device choice
def test_devices_hardware_and_extra_device_keywords(bench):
    assert device_names(bench) == ["cpu", "cpu_twin", "gpu_1", "gpu_256", "phone"]
    assert hardware_of("titan_rtx_256") == hardware_of("titan_rtx_1") == "titan_rtx"
    assert hardware_of("gold_6226") == "gold_6226" != hardware_of("gold_6240")  # a model number is no batch size
    assert target_device(bench, "latency_gpu_256") == "gpu_256"
    assert resolve_extra_devices(bench, "gpu_256", "all") == ("cpu", "cpu_twin", "gpu_1", "phone")
    assert resolve_extra_devices(bench, "gpu_256", "other-hardware") == ("cpu", "cpu_twin", "phone")
    assert resolve_extra_devices(bench, "cpu", "none") == ()
    assert resolve_extra_devices(bench, "cpu", "phone, gpu_1,phone") == ("phone", "gpu_1")


@pytest.mark.parametrize("spec, error, message", [
    ("pixel33", UnknownNameError, "unknown device of synthetic/synthetic 'pixel33'; accepted: all, other-hardware, "
                                  "none, cpu, cpu_twin, gpu_1, gpu_256, phone"),
    ("phone,cpu", ConfigError, "the extra devices include the target device cpu itself"),
    (" , ", ConfigError, "the extra devices are empty"),
])
def test_bad_extra_devices_are_refused_naming_the_accepted_ones(bench, spec, error, message):
    with pytest.raises(error, match=message):
        resolve_extra_devices(bench, "cpu", spec)


def test_a_target_that_is_no_device_latency_is_refused_naming_the_devices(bench, nb201_c10):
    with pytest.raises(ConfigError, match="target metric must be latency_<device> of synthetic/synthetic, got "
                                          "valid_acc; devices: cpu, cpu_twin, gpu_1, gpu_256, phone"):
        target_device(bench, "valid_acc")
    with pytest.raises(ConfigError, match="has no device latencies"):
        target_device(nb201_c10, "latency_pixel3")


def test_protocol_refuses_sizes_and_predictors_it_cannot_use(bench):
    with pytest.raises(ConfigError, match="training sizes must be integers >= 2"):
        CrossDeviceProtocol(sizes=(1, 10))
    with pytest.raises(ConfigError, match="predictor lcurve cannot learn a device's latency"):
        CrossDeviceProtocol(predictors=("lcurve",))
    with pytest.raises(UnknownNameError):
        CrossDeviceProtocol(predictors=("nope",))
    with pytest.raises(ConfigError, match="parameters given for predictor\\(s\\) gp that are not evaluated"):
        CrossDeviceProtocol(predictors=("blr",), params={"gp": {}})
    with pytest.raises(ConfigError, match="training size 15624 leaves fewer than 2"):
        evaluate_cross_device(device_data(bench, "cpu"), CrossDeviceProtocol(sizes=(15_624,), predictors=("blr",)))


# ------------------------------------------------------------------------------- the protocol's mechanics
@pytest.fixture(scope="module")
def records(bench):
    extra = resolve_extra_devices(bench, "cpu", "all")
    protocol = CrossDeviceProtocol(sizes=(10, 40), seeds=3, predictors=("blr",))
    return evaluate_cross_device(device_data(bench, "cpu", extra), protocol)


def test_every_size_seed_and_variant_is_scored_on_the_rest_of_the_space(records):
    keys = [(r.size, r.seed, r.variant) for r in records]
    assert keys == [(k, s, v) for k in (10, 40) for s in range(3) for v in (ENCODING, WITH_DEVICES, NEAREST)]
    assert all(r.n_test == SPACE.size - r.size and r.n_extra == 4 and r.target == "cpu" for r in records)
    assert {r.label for r in records} == {"blr", "blr + devices", "nearest device"}


def test_nearest_device_finds_the_twin_and_device_features_are_used(records):
    nearest = [r for r in records if r.variant == NEAREST]
    assert {r.chosen_device for r in nearest} == {"cpu_twin"}
    assert all(r.kendall_tau > 0.99 for r in nearest)
    tau = {(r.size, r.seed, r.variant): r.kendall_tau for r in records}
    for size in (10, 40):  # the twin's latencies as a feature beat the encoding alone for every training draw
        assert all(tau[(size, s, WITH_DEVICES)] > tau[(size, s, ENCODING)] + 0.05 for s in range(3))


def test_results_are_repeatable_and_the_same_in_worker_processes(bench, records):
    extra = resolve_extra_devices(bench, "cpu", "all")
    again = evaluate_cross_device(device_data(bench, "cpu", extra),
                                  CrossDeviceProtocol(sizes=(10, 40), seeds=3, predictors=("blr",)), n_jobs=2)

    def untimed(recs):
        return [{**asdict(r), "fit_s": None} for r in recs]

    assert untimed(again) == untimed(records)


def test_training_draws_are_permutations_per_seed_shared_across_targets(bench):
    protocol = CrossDeviceProtocol(sizes=(10, 40), seeds=2, predictors=("blr",))
    first, second = training_order(100, protocol, 0), training_order(100, protocol, 1)
    assert sorted(first) == list(range(100)) and not np.array_equal(first, second)
    np.testing.assert_array_equal(first, training_order(100, CrossDeviceProtocol(sizes=(20,), seeds=2), 0))
    # every target gets the same cells: a device equal to another up to a factor ranks the same
    gpu_1 = evaluate_cross_device(device_data(bench, "gpu_1"), protocol)
    gpu_256 = evaluate_cross_device(device_data(bench, "gpu_256"), protocol)
    assert [r.kendall_tau for r in gpu_1] == pytest.approx([r.kendall_tau for r in gpu_256], abs=1e-5)
    assert len({round(r.kendall_tau, 3) for r in gpu_1}) == 4  # and the draws differ
    assert {r.variant for r in gpu_1} == {ENCODING}  # no extra devices: the encoding only


def test_report_table_figures_and_json(records, tmp_path):
    summary = write_cross_device_report(records, tmp_path)
    assert summary == summarize_cross_device(records)
    md, csv = cross_device_tables(records)
    assert (tmp_path / "table.md").read_text() == md
    lines = md.splitlines()
    assert lines[0] == "| device | k | blr | blr + devices | nearest device |"
    assert [line.split(" | ")[:2] for line in lines[2:]] == [["| cpu", "10"], ["| cpu", "40"]]
    assert "cpu,nearest device,40,kendall_tau," in csv
    saved = json.loads((tmp_path / "cross_device.json").read_text())
    assert len(saved["records"]) == len(records) and saved["records"][0]["target"] == "cpu"
    for name in ("cross_device_kendall_tau.png", "cross_device_spearman.png"):
        assert (tmp_path / "plots" / name).stat().st_size > 1000


# ------------------------------------------------------------------------------------------- real HELP data
@pytest.fixture(scope="module")
def help_folder():
    shared_file("nb201/nb201_hw_latency.csv")
    return shared_file("nb201/nb201_tables.csv").parent


@pytest.mark.realdata
def test_real_cli_evaluates_a_latency_predictor_like_an_accuracy_one(help_folder, tmp_path, capsys):
    out = tmp_path / "eval"
    code = main(["--quiet", "predictors", "-b", "nb201", "-d", "cifar100", "-p", str(help_folder),
                 "--metric", "latency_pixel3", "-P", "xgb", "--sizes", "20,100", "--seeds", "2",
                 "--test-size", "2000", "--out", str(out), "--jobs", "1"])
    assert code == 0
    assert "latency_pixel3" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert np.mean(summary["xgb"]["100"]["kendall_tau"]) > 0.6
    test = np.load(out / "test_set.npz")
    pred = np.load(out / "runs" / "xgb" / "n100_s0_pred.npy")
    record = json.loads((out / "runs" / "xgb" / "n100_s0.json").read_text())
    assert record["precision_at_k"] == precision_at_k(test["y"], pred, 50, higher_is_better=False)
    assert (out / "plots" / "scatter_n100.png").stat().st_size > 1000


@pytest.mark.realdata
def test_real_cross_device_cli_and_what_the_data_says(help_folder, tmp_path, capsys):
    out = tmp_path / "cross"
    code = main(["--quiet", "predictors", "-b", "nb201", "-d", "cifar100", "-p", str(help_folder),
                 "--metric", "latency_titan_rtx_256", "--extra-devices", "other-hardware", "-P", "blr",
                 "--sizes", "10,50", "--seeds", "3", "--out", str(out), "--jobs", "1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "| device | k | blr | blr + devices | nearest device |" in printed
    saved = json.loads((out / "cross_device.json").read_text())
    recs = saved["records"]
    assert len(recs) == 2 * 3 * 3 and all(r["n_test"] == 15_625 - r["size"] and r["n_extra"] == 24 for r in recs)
    # the TITAN RTX's own other batch sizes are left out; a 2080 Ti at batch 256 ranks it almost exactly
    assert {r["chosen_device"] for r in recs if r["variant"] == NEAREST} == {"2080ti_256"}
    assert all(r["kendall_tau"] > 0.98 for r in recs if r["variant"] == NEAREST)
    tau = saved["summary"]["titan_rtx_256"]
    for k in ("10", "50"):
        assert np.mean(tau["blr + devices"][k]["kendall_tau"]) > np.mean(tau["blr"][k]["kendall_tau"]) + 0.05
