"""Query-path speed of the NB201 table against a naive dict-of-dicts lookup, measured in the same run.

Usage: python experiments/perf/query_speed.py [--csv ../shared/data/nb201/nb201_tables.csv] [--json OUT]
Prints a Markdown table (figures for the README) and optionally writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
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


def open_time(h5: Path) -> float:
    """Seconds to open the converted NB201 table in a fresh process (import excluded), best of 3."""
    code = ("import time, nasbench_lab; t=time.perf_counter(); "
            f"nasbench_lab.load({str(h5)!r}, dataset='cifar10'); print(time.perf_counter()-t)")
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                  .stdout.strip()) for _ in range(3)]
    return min(runs)


def memory_all_datasets(h5: Path) -> float:
    """Peak RSS growth (MB) of a fresh process that loads all three NB201 datasets."""
    code = ("import re, nasbench_lab; "
            "r=lambda: int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1))/1024; "
            f"a=r(); bs=[nasbench_lab.load({str(h5)!r}, dataset=d) for d in ('cifar10','cifar100','ImageNet16-120')]; "
            "print(r()-a)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not args.csv.exists():
        print(f"skipped: NB201 table not found at {args.csv}", file=sys.stderr)
        return 0
    os.environ.setdefault("NASBENCH_LAB_CACHE", tempfile.mkdtemp(prefix="nbl_perf_"))
    import nasbench_lab
    from nasbench_lab.api import table_file
    from nasbench_lab.benchmarks.spec import BENCHMARKS

    t0 = time.perf_counter()
    h5 = table_file(BENCHMARKS.get("nb201"), args.csv)
    convert_s = time.perf_counter() - t0
    bench = nasbench_lab.load("nb201", dataset="cifar10", path=args.csv)
    space = bench.space
    rng = np.random.default_rng(0)
    n = 1_000_000
    archs = space.sample(rng, n)
    one = archs[0]

    # ours
    batch_s = best_of(lambda: bench.query(archs, "valid_acc", 200))
    single_s = best_of(lambda: bench.query(one, "valid_acc", 200), repeat=5, number=20_000)
    # naive: dict keyed by the architecture string -> dict of metric -> value (NASLib-style)
    all_archs = space.all()
    values = bench.query(all_archs, "valid_acc", 200)
    naive = {space.to_string(a): {"valid_acc": {200: float(v)}} for a, v in zip(all_archs, values)}
    naive_n = 100_000
    sub = archs[:naive_n]
    naive_batch_s = best_of(lambda: [naive[space.to_string(a)]["valid_acc"][200] for a in sub], repeat=3) * n / naive_n
    naive_single_s = best_of(lambda: naive[space.to_string(one)]["valid_acc"][200], repeat=5, number=20_000)
    # a stronger naive baseline: tuple keys instead of strings
    by_tuple = {tuple(int(x) for x in a): {"valid_acc": {200: float(v)}} for a, v in zip(all_archs, values)}
    tuple_batch_s = best_of(lambda: [by_tuple[tuple(a.tolist())]["valid_acc"][200] for a in sub], repeat=3)
    tuple_batch_s *= n / naive_n
    # same values from both paths
    check = np.array([naive[space.to_string(a)]["valid_acc"][200] for a in archs[:1000]], dtype=np.float32)
    assert np.array_equal(check, bench.query(archs[:1000], "valid_acc", 200))

    results = {
        "machine": f"{platform.machine()} {os.cpu_count()}-core container, Python {platform.python_version()}, "
                   f"numpy {np.__version__}",
        "convert_csv_s": round(convert_s, 3),
        "batch_archs_per_s": n / batch_s,
        "batch_1M_ms": batch_s * 1e3,
        "naive_batch_archs_per_s": n / naive_batch_s,
        "batch_speedup": naive_batch_s / batch_s,
        "tuple_naive_batch_archs_per_s": n / tuple_batch_s,
        "tuple_batch_speedup": tuple_batch_s / batch_s,
        "single_query_us": single_s * 1e6,
        "naive_single_query_us": naive_single_s * 1e6,
        "single_speedup": naive_single_s / single_s,
        "open_h5_s": open_time(h5),
        "memory_all_datasets_mb": memory_all_datasets(h5),
    }
    print(f"machine: {results['machine']}")
    print("| measure | nasbench_lab | naive dict-of-dicts | ratio |")
    print("|---|---|---|---|")
    print(f"| batched query, 1,000,000 archs | {results['batch_archs_per_s'] / 1e6:.1f} M archs/s "
          f"({results['batch_1M_ms']:.1f} ms) | {results['naive_batch_archs_per_s'] / 1e6:.2f} M archs/s | "
          f"{results['batch_speedup']:.0f}x |")
    print(f"| batched query vs tuple-keyed dict loop | | "
          f"{results['tuple_naive_batch_archs_per_s'] / 1e6:.2f} M archs/s | {results['tuple_batch_speedup']:.0f}x |")
    print(f"| single-architecture query | {results['single_query_us']:.2f} us | "
          f"{results['naive_single_query_us']:.2f} us | {results['single_speedup']:.1f}x |")
    print(f"| open converted NB201 table (fresh process, import excluded) | {results['open_h5_s'] * 1e3:.1f} ms | | |")
    print(f"| memory, all 3 NB201 datasets loaded | {results['memory_all_datasets_mb']:.1f} MB | | |")
    print(f"| one-time CSV -> HDF5 conversion | {results['convert_csv_s']:.2f} s | | |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
