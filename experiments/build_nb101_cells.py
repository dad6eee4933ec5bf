"""Regenerates the shipped NAS-Bench-101 cell table (nasbench_lab/data/nb101_cells.h5).

Usage: python experiments/build_nb101_cells.py [--out PATH] [--check]
Enumerates all 423,624 unique cells (see nasbench_lab.spaces.nb101_enum), writes them,
and with --check only compares a fresh enumeration against the existing file.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from nasbench_lab.spaces.nb101_enum import enumerate_cells, read_cells, shipped_path, write_cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=shipped_path())
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args()
    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage) or bars.setdefault(stage, tqdm(total=total, desc=stage, unit="graph"))
        bar.update(done - bar.n)

    start = time.perf_counter()
    table = enumerate_cells(progress)
    for bar in bars.values():
        bar.close()
    print(f"enumerated {len(table.codes)} cells in {time.perf_counter() - start:.1f} s")
    if args.check:
        old = read_cells(args.out)
        same = np.array_equal(old.codes, table.codes) and np.array_equal(old.digests, table.digests)
        print(f"{args.out}: {'identical' if same else 'DIFFERENT'}")
        return 0 if same else 1
    write_cells(table, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
