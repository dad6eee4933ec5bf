"""Cross-device latency prediction on NB201: the table and figure of docs/multi_objective_latency.md.

Usage: python experiments/latency_prediction.py [--data ../shared/data] [--docs docs/multi_objective] [--jobs 2]
For one GPU, one CPU, one phone and one accelerator of HELP's 27 devices, xgb and blr are fitted on
k = 10, 20, 50, 100 measured latencies of the target device and rank the other 15,625 - k cells, on the
architecture encoding alone and with the latencies on every device of other hardware as extra features; the
nearest device (the other device ranking the k cells most like the target) is the model-free baseline
(nasbench_lab/predictors/cross_device.py). Writes ``latency_prediction.md`` (the table, the machine, the seeds,
the run time) and ``latency_prediction_kendall_tau.png`` into ``--docs``; the table of the doc page is the
generated block ``latency-prediction`` (``experiments/regenerate_docs.py --only latency-prediction`` runs this
and writes it). About a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from importlib import import_module
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: (device, kind): one GPU, one CPU, one phone, one accelerator of HELP's devices
TARGETS = (("titan_rtx_256", "GPU, batch 256"), ("gold_6226", "CPU"), ("pixel3", "phone"), ("fpga", "FPGA"))
PREDICTORS = ("xgb", "blr")
SIZES = (10, 20, 50, 100)
SEEDS = 10
SPLIT_SEED = 0
#: the other devices whose full latency tables are features: every device but the target's hardware (HELP's setting:
#: a new device, old devices' tables known; a GPU's own other batch sizes would be the same hardware)
EXTRA = "other-hardware"
DATASET = "cifar100"  # HELP measured the CIFAR-100 network; every dataset of the folder shows the same latencies


def run(data: Path, jobs: int):
    """Every record of the protocol for the four target devices."""
    import nasbench_lab
    from nasbench_lab.predictors.cross_device import (
        CrossDeviceProtocol,
        device_data,
        evaluate_cross_device,
        resolve_extra_devices,
    )

    bench = nasbench_lab.load("nb201", DATASET, path=data / "nb201")
    protocol = CrossDeviceProtocol(sizes=SIZES, seeds=SEEDS, seed=SPLIT_SEED, predictors=PREDICTORS)
    records = []
    for target, _ in TARGETS:
        extra = resolve_extra_devices(bench, target, EXTRA)
        records += evaluate_cross_device(device_data(bench, target, extra), protocol, n_jobs=jobs)
    return records


def block(records) -> str:
    """The doc block: the setting in words, then the table (deterministic: no timings, no machine)."""
    from nasbench_lab.predictors.report import cross_device_tables

    extras = {r.target: r.n_extra for r in records}
    pool = sorted({r.n_test + r.size for r in records})
    kinds = ", ".join(f"`{d}` ({kind}, {extras[d]} other devices)" for d, kind in TARGETS)
    head = (f"Targets: {kinds}. Each cell: Kendall tau (mean ± 95% CI over {SEEDS} seeds) / Spearman (mean) on "
            f"the {' or '.join(f'{n:,}' for n in pool)} - k cells not measured; training cells drawn per seed "
            f"from seed {SPLIT_SEED} (`child_seeds({SPLIT_SEED}, {SEEDS})`), nested over k and the same for every "
            "device and column; "
            f"`+ devices`: with the latencies on every device of other hardware ({EXTRA}) as features.\n\n")
    return head + cross_device_tables(records)[0] + "\n" + findings(records)


def findings(records) -> str:
    """What the table says, computed: mean tau over the devices at the smallest and largest k, the nearest
    devices chosen, and from which k a model with the other devices' features ranks better than the nearest."""
    from collections import Counter

    import numpy as np

    from nasbench_lab.predictors.cross_device import summarize_cross_device

    summary = summarize_cross_device(records)
    labels = list(dict.fromkeys(label for per in summary.values() for label in per))
    tau = {(d, label, k): float(np.mean(summary[d][label][str(k)]["kendall_tau"]))
           for d, _ in TARGETS for label in labels for k in SIZES}
    lines = []
    for k in (SIZES[0], SIZES[-1]):
        means = ", ".join(f"{label} {np.mean([tau[(d, label, k)] for d, _ in TARGETS]):.3f}" for label in labels)
        lines.append(f"- k = {k}, mean Kendall tau over the {len(TARGETS)} devices: {means}.")
    chosen = []
    for d, _ in TARGETS:
        counts = Counter(r.chosen_device for r in records if r.target == d and r.size == SIZES[0] and r.chosen_device)
        chosen.append(f"`{d}`: " + ", ".join(f"{name} {n}" for name, n in counts.most_common(3)))
    lines.append(f"- Nearest device chosen on the {SIZES[0]} measured cells (in how many of the {SEEDS} seeds; the "
                 f"three most frequent): {'; '.join(chosen)}.")
    beaten = []
    for d, _ in TARGETS:
        better = [(k, label) for k in SIZES for label in labels
                  if label.endswith("+ devices") and tau[(d, label, k)] > tau[(d, "nearest device", k)]]
        beaten.append(f"`{d}`: from k = {better[0][0]} ({better[0][1]})" if better else f"`{d}`: at no k up to "
                      f"{SIZES[-1]}")
    lines.append("- A model with the other devices' features ranks better than the nearest device (mean tau): "
                 + "; ".join(beaten) + ".")
    return "\n".join(lines) + "\n"


def machine() -> str:
    """The CPU model, cores and software versions, for the record of a run."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    libs = ", ".join(f"{name} {import_module(name).__version__}" for name in ("numpy", "scipy", "sklearn", "xgboost"))
    return f"{cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}; Python " \
           f"{platform.python_version()}, {libs}"


def blocks(data: Path, docs: Path, jobs: int) -> dict[str, str]:
    """Runs the protocol, writes the table, the machine and the figure into ``docs``; returns the doc block."""
    from nasbench_lab.fileio import atomic_write
    from nasbench_lab.predictors.cross_device import summarize_cross_device
    from nasbench_lab.predictors.plots import plot_correlation_panels

    start = time.perf_counter()
    records = run(data, jobs)
    seconds = time.perf_counter() - start
    text = block(records)
    summary = summarize_cross_device(records)
    figure = docs / "latency_prediction_kendall_tau.png"
    plot_correlation_panels({f"{d} ({kind})": summary[d] for d, kind in TARGETS}, figure,
                            suptitle=f"NB201 latency ranking from k measured cells: Kendall tau on the rest of the "
                                     f"space (mean, 95% CI over {SEEDS} seeds)")
    page = (f"# Cross-device latency prediction on NB201 (generated)\n\nWritten by "
            f"`experiments/latency_prediction.py`; see docs/multi_objective_latency.md for the protocol.\n\n"
            f"Machine: {machine()}; {jobs} process(es), {seconds:.0f} s for the whole run.\n\n"
            f"Seeds: {SEEDS} (0-{SEEDS - 1}, each a training draw from split seed {SPLIT_SEED}); "
            f"predictors: {', '.join(PREDICTORS)} with their default parameters.\n\n{text}\n"
            f"![Kendall tau against k]({figure.name})\n")
    atomic_write(docs / "latency_prediction.md", page.encode())
    return {"latency-prediction": text}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "multi_objective")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    folder = args.data / "nb201"
    if not (folder / "nb201_hw_latency.csv").exists() and not (folder / "HELP-latency").is_dir():
        print(f"skipped: no device latencies under {folder} (nb201_hw_latency.csv or HELP-latency/)",
              file=sys.stderr)
        return 0
    print(blocks(args.data, args.docs, args.jobs)["latency-prediction"])
    print(f"wrote {args.docs / 'latency_prediction.md'} and the figure", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
