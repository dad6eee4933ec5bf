"""Live zero-cost proxies on the NB201 cells of NAS-Bench-Suite-Zero: agreement with the stored scores and
Spearman with the stored validation accuracy, next to the stored proxies' own Spearman.

Usage: python experiments/perf/live_proxy_eval.py [--subset PATH] [--dataset cifar10] [--data digits|digits32]
       [--preset small|official] [--device cpu] [--limit N] [--json OUT]
The subset file is read in place (default ../shared/data/nb201/nb201_zero_cost_subset.json). Keys are
NASLib op-index tuples whose positions 2 and 3 are the edges 0->3 and 1->2 (swapped relative to the
official string). Prints a Markdown table for docs/live.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
NASLIB_OP = np.array([1, 0, 3, 2, 4])
NASLIB_EDGE = [0, 1, 3, 2, 4, 5]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subset", type=Path, default=REPO.parent / "shared/data/nb201/nb201_zero_cost_subset.json")
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--data", default="digits")
    parser.add_argument("--preset", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="first cell (to split the subset over processes)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=50, help="cells per step; the JSON is rewritten after each")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from nasbench_lab import live

    subset = json.loads(args.subset.read_text())[args.dataset]
    keys = list(subset)[args.start:][: args.limit]
    archs = np.stack([NASLIB_OP[np.asarray(ast.literal_eval(k))[NASLIB_EDGE]] for k in keys]).astype(np.int8)
    acc = np.array([subset[k]["val_accuracy"] for k in keys])
    start = time.perf_counter()
    parts: list[dict] = []
    seconds = dict.fromkeys(live.PROXY_NAMES, 0.0)
    for lo in range(0, len(keys), args.chunk):
        part, took = live.compute_proxies("nb201", archs[lo:lo + args.chunk], data=args.data, preset=args.preset,
                                          device=args.device, num_threads=args.threads)
        parts.append(part)
        seconds = {n: seconds[n] + took[n] for n in seconds}
        if args.json:  # partial results survive an interrupted run
            done = {n: np.concatenate([p[n] for p in parts]).tolist() for n in part}
            args.json.write_text(json.dumps({"keys": keys[: lo + len(archs[lo:lo + args.chunk])], "scores": done,
                                             "elapsed_s": time.perf_counter() - start}))
    scores = {n: np.concatenate([p[n] for p in parts]) for n in parts[0]}
    wall = time.perf_counter() - start
    rows = {}
    for name, values in scores.items():
        suite = live.PROXIES.get(name).suite_name
        stored = np.array([subset[k].get(suite, {}).get("score", np.nan) for k in keys], dtype=float)
        ok = np.isfinite(values) & np.isfinite(stored)
        rows[name] = {
            "live_vs_acc": float(spearmanr(values[np.isfinite(values)], acc[np.isfinite(values)])[0]),
            "stored_vs_acc": float(spearmanr(stored[np.isfinite(stored)], acc[np.isfinite(stored)])[0])
            if np.isfinite(stored).sum() > 2 else None,
            "live_vs_stored": float(spearmanr(values[ok], stored[ok])[0]) if ok.sum() > 2 else None,
            "nan": int((~np.isfinite(values)).sum()), "seconds_per_cell": seconds[name] / len(keys)}
    report = {"cells": len(keys), "dataset": args.dataset, "data": args.data, "preset": args.preset,
              "device": args.device, "wall_s": wall, "proxies": rows,
              "scores": {n: v.tolist() for n, v in scores.items()}, "keys": keys}
    if args.json:
        args.json.write_text(json.dumps(report))
    print(f"{len(keys)} cells of {args.dataset}; live on {args.data} (preset {args.preset or 'auto'}, {args.device}); "
          f"{wall:.1f} s")
    print("| proxy | live vs valid acc | stored vs valid acc | live vs stored | s/cell |")
    print("|---|---|---|---|---|")
    fmt = lambda v: "n/a" if v is None else f"{v:+.3f}"  # noqa: E731
    for name, r in rows.items():
        print(f"| {name} | {fmt(r['live_vs_acc'])} | {fmt(r['stored_vs_acc'])} | {fmt(r['live_vs_stored'])} | "
              f"{r['seconds_per_cell']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
