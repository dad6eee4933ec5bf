"""Exact Pareto fronts and constrained optima of NB201 CIFAR-100 on measured device latencies (docs/multi_objective.md).

Usage: python experiments/multi_objective_fronts.py [--data ../shared/data]
Prints the two generated blocks ``mo-exact-front`` and ``mo-help-constraints``; experiments/regenerate_docs.py
writes them into the docs (``--only mo-fronts``). Reads the shared NB201 folder in place (validation at the seed
mean: the front of the table, not of one noisy seed draw); nothing derived from it is committed but these tables.

The HELP rows are the published figures of Lee et al., "HELP: Hardware-adaptive Efficient Latency Prediction for NAS
via Meta-Learning", NeurIPS 2021, Table 4 (MetaD2A + HELP, 10 samples from the target device; the official
repository's README repeats them): constraint, the found architecture's latency and its CIFAR-100 accuracy. Next to
them, the exact best any search can report under the same constraint, from the whole table: an upper bound.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import nasbench_lab
from nasbench_lab.analysis.pareto import pareto_reference

REPO = Path(__file__).resolve().parent.parent
#: HELP Table 4: device -> ((constraint ms, found latency ms, found accuracy %), ...)
HELP_TABLE4 = {
    "titan_rtx_256": ((18.0, 17.8, 69.7), (21.0, 18.9, 71.5), (25.0, 24.2, 71.8)),
    "gold_6226": ((8.0, 8.0, 67.3), (11.0, 10.7, 70.2), (14.0, 14.3, 72.1)),
    "pixel2": ((14.0, 13.0, 69.7), (18.0, 19.0, 71.8), (22.0, 25.0, 73.2)),
    "eyeriss": ((5.0, 3.9, 71.5), (7.0, 5.1, 71.8), (9.0, 9.1, 73.5)),
    "fpga": ((4.0, 3.8, 70.2), (5.0, 4.7, 71.8), (6.0, 7.4, 73.5)),
}
FRONT_DEVICES = ("gold_6226", "titan_rtx_256", "pixel3", "eyeriss")


def _table(data: Path):
    bench = nasbench_lab.load("nb201", "cifar100", path=data / "nb201")
    archs = bench.archs_with_data("valid_acc")
    columns = {m: np.asarray(bench.query_batch(archs, m, seed="mean"), dtype=float)
               for m in ("valid_acc", "test_acc", "valtest_acc",
                         *{f"latency_{d}" for d in (*HELP_TABLE4, *FRONT_DEVICES)})}
    return bench, archs, columns


def front_block(columns: dict[str, np.ndarray]) -> str:
    """Exact front size, table range and hypervolume of (validation accuracy, latency) per device."""
    lines = ["| objectives (CIFAR-100) | cells | front size | accuracy range (%) | latency range (ms) | "
             "front hypervolume |", "|---|---:|---:|---|---|---:|"]
    for device in FRONT_DEVICES:
        lat = columns[f"latency_{device}"]
        values = np.column_stack([columns["valid_acc"], lat])
        ok = np.isfinite(values).all(axis=1)
        ref = pareto_reference(values[ok], (True, False))
        lines.append(f"| validation accuracy x latency_{device} | {int(ok.sum()):,} | {len(ref.front)} | "
                     f"{values[ok, 0].min():.2f} to {values[ok, 0].max():.2f} | {lat[ok].min():.3g} to "
                     f"{lat[ok].max():.3g} | {ref.hypervolume:.4f} |")
    return "\n".join(lines)


def help_block(columns: dict[str, np.ndarray]) -> str:
    """HELP's published constrained results beside the exact constrained optima of the whole table."""
    lines = ["| device | constraint (ms) | feasible cells | HELP: latency (ms) | HELP: accuracy (%) | exact best "
             "x-test (%) | exact best ori-test (%) | best validation's x-test (%) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for device, rows in HELP_TABLE4.items():
        lat = columns[f"latency_{device}"]
        for bound, found_lat, found_acc in rows:
            ok = (lat <= bound) & np.isfinite(columns["valid_acc"])
            best_valid = np.flatnonzero(ok)[np.argmax(columns["valid_acc"][ok])]
            over = " (over)" if found_lat > bound else ""
            lines.append(f"| {device} | {bound:g} | {int(ok.sum()):,} | {found_lat:g}{over} | {found_acc:g} | "
                         f"{np.nanmax(columns['test_acc'][ok]):.2f} | {np.nanmax(columns['valtest_acc'][ok]):.2f} | "
                         f"{columns['test_acc'][best_valid]:.2f} |")
    return "\n".join(lines)


def blocks(data: Path) -> dict[str, str]:
    """The generated blocks of docs/multi_objective.md this script owns."""
    _, _, columns = _table(data)
    return {"mo-exact-front": front_block(columns), "mo-help-constraints": help_block(columns)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args(argv)
    for name, text in blocks(args.data).items():
        print(f"<!-- generated:{name} -->\n{text}\n<!-- /generated:{name} -->\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
