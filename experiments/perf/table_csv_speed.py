"""Speed of benchmarks read from a tidy CSV (arch: columns): conversion of a 100,000-row file, and queries
against the native NAS-Bench-201 table next to the same table re-imported as a tidy CSV, in the same run.

Usage: python experiments/perf/table_csv_speed.py [--csv ../shared/data/nb201/nb201_tables.csv] [--rows 100000]
Prints a Markdown table (figures for docs/benchmarks.md). The 100,000-row file is synthetic (random values
over a made-up product space); the query comparison uses the real NB201 table when it is present.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CSV = REPO.parent / "shared" / "data" / "nb201" / "nb201_tables.csv"


def best_of(fn, repeat: int = 5, number: int = 1) -> float:
    """Best wall time per call over ``repeat`` rounds of ``number`` calls."""
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def synthetic_tidy(path: Path, rows: int) -> None:
    """A tidy CSV of ``rows`` rows: 5 arch: columns, 3 seeds of valid_acc plus test_acc and train_time."""
    rng = np.random.default_rng(0)
    per_arch = 5
    n_archs = rows // per_arch
    sizes = (10, 10, 10, 5, 4)  # 20,000 combinations
    codes = np.stack(np.unravel_index(np.arange(n_archs), sizes), axis=1)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"arch:c{j}" for j in range(len(sizes))] + ["metric", "seed", "value"])
        for arch in codes:
            names = [f"v{c}" for c in arch]
            for seed in range(3):
                writer.writerow([*names, "valid_acc", seed, f"{rng.uniform(50, 95):.4f}"])
            writer.writerow([*names, "test_acc", 0, f"{rng.uniform(50, 95):.4f}"])
            writer.writerow([*names, "train_time", 0, f"{rng.uniform(1e3, 1e4):.1f}"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nbl_tidy_perf_"))
    os.environ.setdefault("NASBENCH_LAB_CACHE", str(tmp / "cache"))
    import nasbench_lab
    from nasbench_lab.loaders.table_csv import write_tidy_csv

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}\n")
    big = tmp / "synthetic.csv"
    synthetic_tidy(big, args.rows)
    t0 = time.perf_counter()
    bench = nasbench_lab.load(path=big)
    convert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    nasbench_lab.load(path=big)
    reopen_s = time.perf_counter() - t0
    print("| step | seconds |\n|---|---:|")
    print(f"| convert a {args.rows:,}-row tidy CSV ({bench.space.size:,} architectures) to the HDF5 table | "
          f"{convert_s:.2f} |")
    print(f"| load it again (cached table) | {reopen_s:.3f} |\n")
    if not args.csv.exists():
        print(f"query comparison skipped: NB201 table not found at {args.csv}", file=sys.stderr)
        return 0
    native = nasbench_lab.load("nb201", dataset="cifar10", path=args.csv)
    write_tidy_csv(tmp / "nb201.csv", native.space, {"cifar10": native.table})
    tidy = nasbench_lab.load(path=tmp / "nb201.csv")
    rng = np.random.default_rng(1)
    batch = native.space.sample(rng, 100_000)
    batch_t = batch.astype(np.int16)
    one = [batch[i] for i in range(1000)]
    one_t = [batch_t[i] for i in range(1000)]
    rows = [
        ("query 100,000 architectures, mean over seeds", lambda b, x: b.query(x, "valid_acc"), batch, batch_t, 1),
        ("query 100,000 architectures, a drawn seed each",
         lambda b, x: b.query(x, "valid_acc", seed=np.random.default_rng(0)), batch, batch_t, 1),
        ("query 1,000 single architectures in a loop", lambda b, xs: [b.query(x, "valid_acc") for x in xs], one,
         one_t, 1),
    ]
    print("| NB201 CIFAR-10 query | native (ms) | tidy CSV re-import (ms) | tidy / native |\n|---|---:|---:|---:|")
    for label, fn, x_native, x_tidy, _ in rows:
        a = best_of(lambda fn=fn, x=x_native: fn(native, x)) * 1e3
        b = best_of(lambda fn=fn, x=x_tidy: fn(tidy, x)) * 1e3
        print(f"| {label} | {a:.2f} | {b:.2f} | {b / a:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
