"""Toy weight-sharing supernets on digits: training cost, rating speed, and Kendall tau with the NB201 table.

Usage: python experiments/perf/supernet_toy.py NB201_CSV [--epochs 5] [--seeds 0,1,2] [--C 8] [--N 1]
       [--bn-batches 4,16] [--split-epochs 10] [--standalone TABLE.h5] [--folder DIR]

For each variant (SPOS, fair sampling, few-shot K=1) and seed: trains the supernet on digits with one
PyTorch thread (cached under --folder when given), rates 100 random NB201 cells (seed 0 draw) with
inherited weights, and prints Kendall tau and Spearman with the CIFAR-10 table's 200-epoch valid_acc
and, with --standalone (a build-table file of the same cells on digits, e.g.
``build-table --space nb201 --indices ... --epochs 12 --seeds 1``), with stand-alone training on the
same data; plus the training seconds and epochs. Then times the rating of 1,000 random cells.
Parameter count's tau is printed as a no-training reference.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

import nasbench_lab
from nasbench_lab import live

VARIANTS = {"spos": {"sampling": "spos"}, "fair": {"sampling": "fair"}, "few-shot K=1": {"few_shot_k": 1}}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--C", type=int, default=8)
    p.add_argument("--N", type=int, default=1)
    p.add_argument("--bn-batches", default="4")
    p.add_argument("--cells", type=int, default=100)
    p.add_argument("--split-epochs", type=int, default=None, help="few-shot: epochs of each sub-supernet")
    p.add_argument("--standalone", default=None, help="build-table file of the same cells trained on digits")
    p.add_argument("--folder", default=None, help="cache trained supernets here")
    args = p.parse_args()
    bench = nasbench_lab.load("nb201", dataset="cifar10", path=args.csv)
    sp = bench.space
    cells = sp.from_index(np.sort(np.random.default_rng(0).choice(sp.size, args.cells, replace=False)))
    truths = {"cifar10": bench.query_batch(cells, "valid_acc", 200)}
    if args.standalone:
        table = nasbench_lab.load(args.standalone)
        truths["digits stand-alone"] = table.query_batch(cells, "valid_acc", max(table.fidelities))
        sa = truths["digits stand-alone"]
        print(f"stand-alone digits vs cifar10: tau {kendalltau(sa, truths['cifar10'])[0]:.3f}, "
              f"spearman {spearmanr(sa, truths['cifar10'])[0]:.3f}")
    params = live.nb201_params(cells)
    for what, truth in truths.items():
        print(f"{args.cells} cells; reference: tau(params, {what}) = {kendalltau(params, truth)[0]:.3f}")
    print("| variant | seed | bn batches | " + " | ".join(f"tau / rho vs {w}" for w in truths)
          + " | train s | epochs | rate s (100) |")
    print("|---|---|---|" + "---|" * len(truths) + "---|---|---|")
    last = None
    for name, settings in VARIANTS.items():
        for seed in (int(s) for s in args.seeds.split(",")):
            if "few_shot_k" in settings:
                settings = {**settings, "split_epochs": args.split_epochs}
            config = live.SupernetConfig(epochs=args.epochs, C=args.C, N=args.N, seed=seed, **settings)
            folder = Path(args.folder) / config.key() if args.folder else None
            trained = live.train_supernet(config, folder=folder)
            last = trained if name == "spos" else last
            for bn in (int(b) for b in args.bn_batches.split(",")):
                r = live.rate_supernet(trained, cells, bn_batches=bn)
                cols = " | ".join(f"{kendalltau(r.valid_acc, t)[0]:.3f} / {spearmanr(r.valid_acc, t)[0]:.3f}"
                                  for t in truths.values())
                print(f"| {name} | {seed} | {bn} | {cols} | {trained.train_seconds:.1f} | {trained.epochs} | "
                      f"{r.rate_seconds:.2f} |", flush=True)
    many = sp.sample(np.random.default_rng(1), 1000)
    start = time.perf_counter()
    live.rate_supernet(last, many)
    print(f"rating 1,000 random cells (spos, C={args.C}, N={args.N}, bn_batches=4, 1 thread): "
          f"{time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
