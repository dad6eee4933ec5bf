"""experiments/multi_objective_study.py reads the numbers of its doc blocks from what the studies API writes.

The heavy run (docs/multi_objective.md, "Studies") is not a test; here a tiny study on the SYNTHETIC NB201 folder of
fixtures/mo_bench.py (made-up accuracies and latencies: mechanics only) checks that each record carries the
report's own finals and Holm p-values (summary.json, stats.json), that a resumed study keeps the wall time measured
when its runs were made, and that the blocks print those numbers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from fixtures.mo_bench import write_folder

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "experiments"))

import multi_objective_study as mos  # noqa: E402


def test_records_carry_the_reports_numbers_and_blocks_print_them(tmp_path: Path):
    folder = str(write_folder(tmp_path))
    out = tmp_path / "out"
    multi = mos.Case("nb201_gold_6226", "`gold_6226` (CPU)", ("nb201", "cifar10", folder),
                     ("valid_acc", "latency_gold_6226"), ("rs", "nsga2", "mo-re"), seeds=4, budget=20)
    single = mos.Case("nb201_constrained", "bounded", ("nb201", "cifar10", folder), (), ("rs", "re"), seeds=4,
                      constraints=("latency_pixel3<=5",), budget=20)
    record = mos.run_case(multi, out, jobs=1)
    summary = json.loads((out / multi.name / "summary.json").read_text())
    stats = json.loads((out / multi.name / "stats.json").read_text())
    assert record.indicator == stats["metric"] == "final_hv_regret"
    assert record.finals == {a: summary[a]["final_hv_regret"] for a in ("rs", "nsga2", "mo-re")}
    assert record.p_vs_rs == {a: v["p_holm"] for a, v in stats["vs_random_search_mann_whitney"].items()}
    entry = next(p for p in stats["pairwise_wilcoxon_holm"] if {p["a"], p["b"]} == {"nsga2", "mo-re"})
    diff, p = record.pair("nsga2", "mo-re")
    assert p == entry["p_holm"] and diff == (entry["median_difference"] if entry["a"] == "nsga2"
                                             else -entry["median_difference"])
    assert record.runs_executed == record.runs_total == 12 and record.key == "nb201-cifar10"
    assert record.us_per_query["nsga2"] > 0 and set(record.run_seconds) == {"rs", "nsga2", "mo-re"}

    again = mos.run_case(multi, out, jobs=1)  # resumed: nothing runs, the measured wall time is kept
    assert again.execute_seconds == record.execute_seconds and again.finals == record.finals

    devices = mos.device_block([record])
    v = np.asarray(record.finals["nsga2"])
    assert f"{v.mean():.4f} ± {v.std(ddof=1) / 2:.4f}" in devices  # mean ± s.e. over the 4 seeds
    assert f"| {mos._p(record.p_vs_rs['nsga2'])} | {mos._p(record.p_vs_rs['mo-re'])} |" in devices
    bounded = mos.run_case(single, out, jobs=1)
    assert bounded.indicator == "final_regret" and bounded.constraints == ["latency_pixel3<=5"]
    text = mos.constrained_block(bounded, record)
    assert f"| re | {mos._mean_se(bounded.finals['re'])} |" in text and "`latency_pixel3<=5`" in text
    speed = mos.speed_block([record])
    assert speed.startswith(f"Machine: {mos.machine()};") and "| `gold_6226` (CPU) | 12 |" in speed
    assert "60 s target" not in speed  # a study smaller than the says nothing about its target
