"""NB201 re-imported as a tidy CSV (six arch: columns) against the native benchmark: same search results?

Runs rs, re and ls for N seeds (default 100, 150 queries) on both and prints the mean final test accuracy
of each and the two-sided Mann-Whitney p-value (figures for docs/benchmarks.md "Any table from one CSV").
Usage: python experiments/table_csv_nb201_check.py [--csv ../shared/data/nb201/nb201_tables.csv] [--seeds 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO.parent / "shared" / "data" / "nb201" / "nb201_tables.csv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--budget", type=int, default=150)
    args = parser.parse_args()
    if not args.csv.exists():
        print(f"skipped: NB201 table not found at {args.csv}", file=sys.stderr)
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="nbl_tidy_"))
    os.environ.setdefault("NASBENCH_LAB_CACHE", str(tmp / "cache"))
    from scipy import stats

    import nasbench_lab
    from nasbench_lab.loaders.table_csv import write_tidy_csv
    from nasbench_lab.search import run

    native = nasbench_lab.load("nb201", dataset="cifar10", path=args.csv)
    write_tidy_csv(tmp / "nb201_c10.csv", native.space, {"cifar10": native.table})
    tidy = nasbench_lab.load(path=tmp / "nb201_c10.csv")
    print(f"| algorithm | native mean final test | tidy mean final test | Mann-Whitney p (two-sided, "
          f"{args.seeds} seeds each) |\n|---|---:|---:|---:|")
    for name in ("rs", "re", "ls"):
        a, b = (np.array([run(bench, name, seed=s, budget=args.budget).final_test for s in range(args.seeds)])
                for bench in (native, tidy))
        p = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue
        print(f"| {name} | {a.mean():.2f} | {b.mean():.2f} | {p:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
