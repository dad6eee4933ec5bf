"""Supernet rating speed: 1,000 random NB201 cells rated before and after the rating shortcuts, in one run.

    python experiments/bench_supernet_rating.py [--C 4,8] [--cells 1000] [--threads 1] [--write]

For each width C: trains (or loads, from experiments/out/bench_supernet_rating/) a toy SPOS supernet on
digits (N=1, 1 epoch, seed 0) and rates the same 1,000 random cells (seed 1) three ways, interleaved and
repeated ``--repeats`` times (the median is printed):

- **before**: ``rate_supernet(..., shortcuts=False)``: a whole forward per distinct cell (the rule of the
  code before the shortcuts; rating is otherwise the same code);
- **after**: ``rate_supernet(...)``: each effective path once, the stem once, the first cell's terms
  memoised (``live/supernet/rate.py``);
- **one at a time**: the first ``--single`` cells rated one per call, as one-shot evolution does, with a
  rebuilt rater per call and no shortcuts (how ``oneshot-re`` rated before) and with one ``SupernetRater``.

Ratings are checked equal bit for bit between the ways. ``--write`` puts the table into
docs/weight_sharing.md between ``<!-- script:rating-speed -->`` markers, with the machine named.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

EXPERIMENTS = Path(__file__).resolve().parent
if str(EXPERIMENTS) not in sys.path:
    sys.path.insert(0, str(EXPERIMENTS))

from docblocks import write_script_blocks  # noqa: E402

import nasbench_lab  # noqa: E402
from nasbench_lab import live  # noqa: E402
from nasbench_lab.live.supernet.network import effective_path  # noqa: E402

OUT = EXPERIMENTS / "out" / "bench_supernet_rating"


def machine() -> str:
    """The CPU model and core count (``lscpu``), Python and PyTorch versions, and the load average now."""
    import torch

    model = platform.processor() or "unknown CPU"
    try:
        info = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        pass
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return (f"{model}, {os.cpu_count()} cores (shared with other jobs; load average {load}), Python "
            f"{platform.python_version()}, PyTorch {torch.__version__}")


def timed(fn) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    losses = fn()
    return time.perf_counter() - start, losses


def bench(C: int, cells: int, single: int, threads: int, repeats: int) -> tuple[list[str], str]:
    """Rows of the speed table for width ``C``, and a line on how many cells were distinct."""
    trained = live.train_supernet(C=C, N=1, epochs=1, data="digits", seed=0, folder=OUT / f"spos-C{C}")
    sp = nasbench_lab.space("nb201")
    archs = sp.sample(np.random.default_rng(1), cells)
    few = archs[:single]
    n_eff = len({effective_path(a) for a in archs.tolist()})
    ways = {
        "before: whole forward per distinct cell": lambda: live.rate_supernet(
            trained, archs, num_threads=threads, shortcuts=False).valid_loss,
        "after: effective paths, stem once, first-cell memo": lambda: live.rate_supernet(
            trained, archs, num_threads=threads).valid_loss,
        f"first {single}, one at a time, rater rebuilt per cell, no shortcuts (oneshot-re before)":
            lambda: np.concatenate([live.rate_supernet(trained, a, num_threads=threads, shortcuts=False).valid_loss
                                    for a in few]),
        f"first {single}, one at a time, one SupernetRater (oneshot-re now)": lambda: _one_rater(trained, few, threads),
    }
    sizes = dict(zip(ways, (cells, cells, single, single)))
    seconds: dict[str, list[float]] = {w: [] for w in ways}
    results: dict[str, np.ndarray] = {}
    for _ in range(repeats):  # interleaved, so that a change of machine load hits every way alike
        for way, fn in ways.items():
            s, losses = timed(fn)
            seconds[way].append(s)
            results[way] = losses
    for way, losses in results.items():
        if not np.array_equal(losses, results[next(iter(ways))][:len(losses)]):
            raise SystemExit(f"ratings differ between ways ({way}); the shortcuts must not change a rating")
    per_cell = {way: statistics.median(s) / sizes[way] for way, s in seconds.items()}
    rows = []
    for k, (way, s) in enumerate(seconds.items()):
        base = per_cell[list(ways)[0 if k < 2 else 2]]
        rows.append(f"| {C} | {way} | {sizes[way]:,} | {statistics.median(s):.2f} | {1000 * per_cell[way]:.1f} | "
                    f"{base / per_cell[way]:.1f}x |")
    print("\n".join(rows), flush=True)
    note = (f"C={C}: of the {cells:,} cells {len(np.unique(archs, axis=0)):,} are distinct and {n_eff:,} distinct "
            "effective paths")
    print(note)
    return rows, note


def _one_rater(trained, archs: np.ndarray, threads: int) -> np.ndarray:
    rater = live.SupernetRater(trained, num_threads=threads)
    return np.concatenate([rater.rate(a).valid_loss for a in archs])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--C", default="4,8", help="supernet widths, comma-separated")
    p.add_argument("--cells", type=int, default=1000)
    p.add_argument("--single", type=int, default=250, help="cells rated one at a time (oneshot-re's default cycles)")
    p.add_argument("--threads", type=int, default=1, help="PyTorch threads while rating")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--write", action="store_true", help="write the table into docs/weight_sharing.md")
    args = p.parse_args(argv)
    where = machine()
    print(where)
    rows = ["| C | how the cells are rated | cells | seconds | ms per cell | speed-up |",
            "|---:|---|---:|---:|---:|---:|"]
    notes = []
    for C in (int(c) for c in args.C.split(",")):
        more, note = bench(C, args.cells, args.single, args.threads, args.repeats)
        rows += more
        notes.append(note)
    text = "\n".join([
        f"Machine: {where}; {args.threads} PyTorch thread(s), median of {args.repeats} interleaved repeats, "
        f"{time.strftime('%Y-%m-%d')}. Toy SPOS supernet (N=1, 1 epoch on digits), {args.cells:,} random NB201 "
        "cells (seed 1), 4 BatchNorm calibration batches of 64 plus the 359 valid images per cell. Ratings are "
        "equal bit for bit in every row (the script stops otherwise). Speed-up: against the row 'before' of the "
        "same C and the same way of calling (a batch, or one cell at a time).",
        "",
        *rows,
        "",
        "; ".join(notes) + ".",
    ])
    if args.write:
        print("wrote", write_script_blocks({"rating-speed": text}, EXPERIMENTS.parent / "docs" / "weight_sharing.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
