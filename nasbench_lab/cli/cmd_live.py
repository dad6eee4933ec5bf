"""Live subcommands (optional extra ``live``): build-table, live-check, live-train."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from nasbench_lab.cli.common import add_benchmark_args, benchmark_from_args
from nasbench_lab.cli.main import note, print_json
from nasbench_lab.errors import ConfigError
from nasbench_lab.spaces.base import EnumerableSpace


def _add_training_args(p: argparse.ArgumentParser, seeds_default: int) -> None:
    from nasbench_lab.live.data import DATASETS

    p.add_argument("--epochs", type=int, default=12, help="training epochs per run (default 12)")
    p.add_argument("--seeds", type=int, default=seeds_default, help=f"training seeds 0..S-1 (default {seeds_default})")
    p.add_argument("--data", default="digits", choices=DATASETS.names(),
                   help="training data (default digits: scikit-learn's 8x8 digits, NOT CIFAR)")
    p.add_argument("--preset", choices=("small", "official"), default=None,
                   help="network macro preset (default: small for images under 16x16, else official)")
    p.add_argument("--macro", action="append", default=[], metavar="KEY=INT",
                   help="override a macro option, e.g. C=16 or N=2 (repeatable)")
    p.add_argument("--lr", type=float, default=None, help="initial learning rate (default 0.1)")
    p.add_argument("--batch-size", type=int, default=None, help="training batch size (default 64)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                   help="worker processes (default: 2 or the core count if lower)")
    p.add_argument("--threads", type=int, default=None, help="PyTorch threads per worker (default 1)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (runs on the cluster instead)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default cpu)")
    p.add_argument("--sample-seed", type=int, default=0, help="seed of the sample of cells (default 0)")
    p.add_argument("--indices", default=None, help="comma-separated official indices instead of a sample")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build-table", help="train a sample of a space live and write it as an HDF5 table",
                       description="Train a sample of cells live (digits by default) and write a partial table over "
                                   "the whole space (NaN elsewhere) that every command accepts as --benchmark FILE. "
                                   "Finished runs are kept in FILE.runs/; rerun the same command to resume.")
    p.add_argument("--space", required=True, help="enumerable search space, e.g. nb201 or nb101")
    p.add_argument("--sample", type=int, default=None, help="number of cells drawn uniformly")
    p.add_argument("--out", "-o", required=True, help="output table (.h5)")
    _add_training_args(p, seeds_default=2)
    p.set_defaults(func=run_build_table)

    p = sub.add_parser("live-check", help="train a benchmark's cells live and compare rankings with the table",
                       description="Trains a sample of cells live and reports Kendall and Spearman correlations "
                                   "between live and tabular validation/test accuracy, with a scatter plot. The "
                                   "live data (digits by default) is not the benchmark's dataset.")
    add_benchmark_args(p)
    p.add_argument("--sample", type=int, default=30, help="number of cells with tabular values (default 30)")
    p.add_argument("--plot", default=None, help="scatter plot file (default live_check_<benchmark>_<dataset>.png)")
    p.add_argument("--runs-dir", default=None, help="folder of finished runs for resuming (default <plot>.runs)")
    _add_training_args(p, seeds_default=1)
    p.set_defaults(func=run_live_check)

    p = sub.add_parser("live-train", help="train one architecture live and print its per-epoch records")
    p.add_argument("--space", required=True, help="search space, e.g. nb201")
    p.add_argument("--arch", required=True, help="architecture in the space's string notation (or an index)")
    p.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    _add_training_args(p, seeds_default=1)
    p.set_defaults(func=run_live_train)


def _macro(items: list[str]) -> dict[str, int]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            out[key.strip()] = int(value)
        except ValueError:
            raise ConfigError(f"--macro expects KEY=INT, got {item!r}") from None
        if not sep or not key.strip():
            raise ConfigError(f"--macro expects KEY=INT, got {item!r}")
    return out


def _job(args: argparse.Namespace, space_name: str):
    from nasbench_lab.live._torch import require_torch
    from nasbench_lab.live.jobs import TrainJob

    require_torch()
    _check_device(args.device)
    if args.epochs < 1 or args.seeds < 1:
        raise ConfigError(f"--epochs and --seeds must be >= 1, got {args.epochs} and {args.seeds}")
    recipe = {k: v for k, v in (("lr", args.lr), ("batch_size", args.batch_size)) if v is not None}
    return TrainJob(space=space_name, epochs=args.epochs, data=args.data, preset=args.preset,
                    macro=_macro(args.macro), recipe=recipe, device=args.device)


def _check_device(name: str) -> None:
    """ConfigError unless ``name`` is a torch device this machine has (cpu, cuda, cuda:N, mps)."""
    from nasbench_lab.live._torch import require_torch

    torch = require_torch()

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ConfigError(f"--device {name!r} is not a torch device; accepted: cpu, cuda, cuda:N, mps") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(),
                 "mps": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())}
    if not available.get(device.type, False):
        usable = ", ".join(k for k, ok in available.items() if ok)
        raise ConfigError(f"--device {name!r}: no such device on this machine; available: {usable}")


def _indices(args: argparse.Namespace) -> np.ndarray | None:
    if args.indices is None:
        return None
    try:
        return np.asarray([int(t) for t in args.indices.split(",") if t.strip()], dtype=np.int64)
    except ValueError:
        raise ConfigError(f"--indices expects comma-separated integers, got {args.indices!r}") from None


def run_build_table(args: argparse.Namespace) -> int:
    from nasbench_lab.live.table import build_table, enumerable_space, runs_folder, sample_indices

    job = _job(args, args.space)
    space = enumerable_space(args.space)
    indices = _indices(args)
    if indices is None:
        if args.sample is None:
            raise ConfigError("give --sample N (cells drawn uniformly) or --indices I,J,...")
        indices = sample_indices(space, args.sample, args.sample_seed)
    note(args, f"training {len(indices)} {args.space} cells x {args.seeds} seeds x {args.epochs} epochs on "
               f"{args.data} (not the benchmark's dataset); runs kept in {runs_folder(args.out)}")
    out, results = build_table(job, indices.tolist(), range(args.seeds), args.out, workers=args.workers,
                               threads=args.threads, scheduler=args.scheduler, progress=not args.quiet)
    wanted = {(int(i), s) for i in indices for s in range(args.seeds)}
    diverged = [r.message for k, r in results.items() if k in wanted and r.status != "ok"]
    summary = {"table": str(out), "cells": len(indices), "seeds": args.seeds, "epochs": args.epochs,
               "data": args.data, "runs": len(wanted), "diverged": diverged,
               "load_with": f"nasbench_lab.load({str(out)!r}) or --benchmark {out}"}
    if args.json:
        print_json(summary)
        return 0
    print(f"wrote {out}: {len(indices)} cells x {args.seeds} seeds x {args.epochs} epochs on {args.data}")
    for message in diverged:
        print(f"  diverged: {message}")
    print(f"use it with: nasbench-lab info --benchmark {out}")
    return 0


def run_live_check(args: argparse.Namespace) -> int:
    from nasbench_lab.live.check import check_sample, live_check
    from nasbench_lab.live.data import DATASETS

    bench = benchmark_from_args(args)
    job = _job(args, bench.space.name)
    indices = _indices(args)
    if indices is None:
        indices = check_sample(bench, args.sample, args.sample_seed)
    plot = Path(args.plot or f"live_check_{bench.name}_{bench.dataset}.png")
    runs_dir = Path(args.runs_dir) if args.runs_dir else plot.with_name(plot.name + ".runs")
    data_note = DATASETS.get(args.data)()[2] if args.data in DATASETS else ""
    result = live_check(bench, indices.tolist(), job=job, seeds=range(args.seeds), store_dir=runs_dir,
                        workers=args.workers, threads=args.threads, scheduler=args.scheduler,
                        progress=not args.quiet, plot=plot, data_note=data_note)
    if args.json:
        print_json(result.summary())
        return 0
    print(f"live check of {bench.name}/{bench.dataset}: {len(indices)} cells, {args.seeds} seed(s), "
          f"{args.epochs} epochs on {args.data}")
    for a in result.agreements:
        print(f"  live {a.live_metric:<9} vs table {a.table_metric:<9} n={a.n:<4} Kendall {a.kendall:+.3f}  "
              f"Spearman {a.spearman:+.3f}")
    for message in result.diverged:
        print(f"  diverged: {message}")
    print(f"plot: {result.plot}")
    print(f"NOTE: {result.note}")
    return 0


def run_live_train(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from nasbench_lab.live.networks import _registered_space
    from nasbench_lab.live.trainer import train

    job = _job(args, args.space)
    arch: object = args.arch
    sp = _registered_space(args.space)
    if isinstance(sp, EnumerableSpace) and args.arch.isdigit():
        arch = sp.from_index(int(args.arch))
    elif sp is not None:
        arch = sp.from_string(args.arch)
    r = train(args.space, arch, job.data, job.epochs, args.seed, preset=job.preset, macro=job.macro,
              device=job.device, num_threads=args.threads, **job.recipe)
    if args.json:
        print_json(r.to_dict())
        return 0
    print(f"{r.arch}  seed {r.seed}  {r.params:.6f} M params  macro {r.macro}  data {r.data}")
    for e in r.records:
        print("  " + "  ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in asdict(e).items()))
    if r.status != "ok":
        print(f"  {r.status}: {r.message}")
    return 0 if r.status == "ok" else 1
