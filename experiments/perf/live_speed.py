"""Live backend speed: all 13 zero-cost proxies for NB201 cells, and training NB201 cells on digits.

Usage: python experiments/perf/live_speed.py [--device cpu|cuda] [--proxy-cells 100] [--train-cells 50]
       [--epochs 12] [--workers 2] [--official-cells 3] [--baseline-cells 3] [--json OUT] [--quick]

Targets (issue 7): all proxies for 100 NB201 cells <= 2 minutes; 50 NB201 cells x 12 epochs on
digits <= 10 minutes on 2 cores. Each figure comes with a naive baseline measured in the same run:
one process with PyTorch's default thread count (on a GPU run: the same work on the CPU), timed
on ``--baseline-cells`` cells and extrapolated linearly (said so in the output). Also times the
proxies on the official C=16, N=5 network with 32x32x3 inputs (digits upscaled), per cell.
Prints a Markdown table (figures for docs/live.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def machine(device: str) -> dict:
    import torch

    info = {"python": platform.python_version(), "torch": torch.__version__, "cpus": os.cpu_count(),
            "platform": platform.platform(), "loadavg_start": round(os.getloadavg()[0], 2), "device": device}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def proxies_section(device: str, cells: np.ndarray, baseline_cells: int, official_cells: int) -> dict:
    from nasbench_lab import live

    names = list(live.PROXY_NAMES)
    live.compute_proxies("nb201", cells[:1], names, device=device)  # warm-up (data, kernels)
    (scores, per_proxy), wall = timed(lambda: live.compute_proxies("nb201", cells, names, device=device))
    nan = {n: int(np.isnan(v).sum()) for n, v in scores.items() if np.isnan(v).any()}
    base = cells[:baseline_cells]
    _, base_wall = timed(lambda: live.compute_proxies("nb201", base, names, device="cpu", num_threads=None))
    out = {"cells": len(cells), "wall_s": wall, "per_cell_s": wall / len(cells),
           "per_proxy_s": {n: round(s, 3) for n, s in per_proxy.items()}, "nan_scores": nan,
           "baseline": {"what": "CPU, one process, PyTorch default threads", "cells": len(base),
                        "per_cell_s": base_wall / len(base), "extrapolated_wall_s": base_wall / len(base) * len(cells)}}
    out["speedup_vs_baseline"] = out["baseline"]["per_cell_s"] / out["per_cell_s"]
    if official_cells:
        off = cells[:official_cells]
        live.compute_proxies("nb201", off[:1], ["params"], data="digits32", device=device)
        _, off_wall = timed(lambda: live.compute_proxies("nb201", off, names, data="digits32", device=device))
        out["official_network"] = {"what": "C=16, N=5, 32x32x3 inputs, batch 64, all 13 proxies",
                                   "cells": len(off), "per_cell_s": off_wall / len(off),
                                   "extrapolated_100_cells_s": off_wall / len(off) * 100}
    return out


def train_section(device: str, cells: np.ndarray, epochs: int, workers: int, baseline_cells: int) -> dict:
    from nasbench_lab.live.jobs import TrainJob, run_trainings

    job = TrainJob(space="nb201", epochs=epochs, device=device)
    w = 1 if device != "cpu" else workers
    results, wall = timed(lambda: run_trainings(job, cells, [0], workers=w, threads=1))
    diverged = [r.message for r in results.values() if r.status != "ok"]
    accs = [r.records[-1].valid_acc for r in results.values() if r.records]
    base_job = TrainJob(space="nb201", epochs=epochs, device="cpu")
    base = cells[:baseline_cells]
    _, base_wall = timed(lambda: run_trainings(base_job, base, [0], workers=1, threads=os.cpu_count()))
    out = {"cells": len(cells), "epochs": epochs, "workers": w, "threads_per_worker": 1, "wall_s": wall,
           "per_cell_s": wall / len(cells), "diverged": diverged,
           "final_valid_acc": {"min": float(np.min(accs)), "median": float(np.median(accs)),
                               "max": float(np.max(accs))},
           "baseline": {"what": f"CPU, one process, {os.cpu_count()} PyTorch threads", "cells": len(base),
                        "per_cell_s": base_wall / len(base), "extrapolated_wall_s": base_wall / len(base) * len(cells)}}
    out["speedup_vs_baseline"] = out["baseline"]["per_cell_s"] / out["per_cell_s"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--proxy-cells", type=int, default=100)
    parser.add_argument("--train-cells", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--official-cells", type=int, default=3)
    parser.add_argument("--baseline-cells", type=int, default=3)
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script runs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.proxy_cells, args.train_cells, args.epochs, args.official_cells, args.baseline_cells = 3, 2, 1, 1, 1
    os.environ.setdefault("NASBENCH_LAB_CACHE", tempfile.mkdtemp(prefix="nbl_perf_"))
    import nasbench_lab

    space = nasbench_lab.space("nb201")
    rng = np.random.default_rng(0)
    cells = rng.choice(space.size, size=max(args.proxy_cells, args.train_cells), replace=False)
    archs = space.from_index(cells)
    report = {"machine": machine(args.device)}
    report["proxies"] = proxies_section(args.device, archs[:args.proxy_cells], args.baseline_cells,
                                        args.official_cells)
    if args.json:  # kept if the training part is interrupted
        args.json.write_text(json.dumps(report, indent=2))
    if not args.skip_train:
        report["train"] = train_section(args.device, cells[:args.train_cells], args.epochs, args.workers,
                                        args.baseline_cells)
    report["machine"]["loadavg_end"] = round(os.getloadavg()[0], 2)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    p, m = report["proxies"], report["machine"]
    print(f"\n| what ({m['device']}{', ' + m.get('gpu', '') if 'gpu' in m else ''}) | ours | naive baseline | ratio |")
    print("|---|---|---|---|")
    print(f"| 13 proxies, {p['cells']} NB201 cells (small net, digits) | {p['wall_s']:.1f} s | "
          f"{p['baseline']['extrapolated_wall_s']:.1f} s (extrapolated from {p['baseline']['cells']}) | "
          f"{p['speedup_vs_baseline']:.2f}x |")
    if "official_network" in p:
        o = p["official_network"]
        print(f"| 13 proxies, official C=16 N=5 net, 32x32x3 | {o['per_cell_s']:.2f} s/cell "
              f"(100 cells: {o['extrapolated_100_cells_s']:.0f} s) | | |")
    if "train" in report:
        t = report["train"]
        print(f"| train {t['cells']} NB201 cells x {t['epochs']} epochs on digits ({t['workers']} worker(s) x 1 "
              "thread) | "
              f"{t['wall_s']:.1f} s | {t['baseline']['extrapolated_wall_s']:.1f} s (extrapolated from "
              f"{t['baseline']['cells']}) | {t['speedup_vs_baseline']:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
