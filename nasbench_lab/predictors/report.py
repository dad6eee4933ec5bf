"""Results folder of a predictor evaluation (summary.json, table.md/.csv, the figures), and of a cross-device one."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from nasbench_lab.fileio import atomic_write
from nasbench_lab.metrics import metric_info
from nasbench_lab.predictors.cross_device import CrossDeviceRecord, summarize_cross_device
from nasbench_lab.predictors.evaluation import SUMMARY_FIELDS, Evaluation
from nasbench_lab.predictors.plots import (
    mean_ci,
    plot_correlation_panels,
    plot_correlation_vs_size,
    plot_heatmap,
    plot_scatter_grid,
)


def summary_tables(summary: Mapping, fit_seconds: bool = True) -> tuple[str, str]:
    """Markdown (mean ± 95% CI of Kendall tau per size, fit seconds at the largest size unless ``fit_seconds`` is
    False: timings differ between runs, so tables that must reproduce exactly leave them out) and long-form CSV."""
    sizes = sorted({int(s) for per in summary.values() for s in per})
    # a predictor that trains a network (a supernet) reports its cost in epochs too
    epochs = any("fit_epochs" in v for per in summary.values() for v in per.values())
    head = (["predictor"] + [f"tau n={s}" for s in sizes] + (["fit s (largest n)"] if fit_seconds else [])
            + (["fit epochs"] if epochs else []))
    md = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, per in summary.items():
        cells = [name]
        for s in sizes:
            vals = per.get(str(s), {}).get("kendall_tau")
            if vals:
                m, h = mean_ci(vals)
                cells.append(f"{m:.3f} ± {h:.3f}")
            else:
                cells.append("")
        done = [s for s in sizes if str(s) in per]
        if fit_seconds:
            cells.append(f"{np.mean(per[str(done[-1])]['fit_s']):.3f}" if done else "")
        if epochs:
            fit_epochs = per[str(done[-1])].get("fit_epochs") if done else None
            cells.append(f"{np.mean(fit_epochs):g}" if fit_epochs else "")
        md.append("| " + " | ".join(cells) + " |")
    csv = ["predictor,size,metric,mean,ci95,n_seeds"]
    for name, per in summary.items():
        for s in sizes:
            for f in (*SUMMARY_FIELDS, "fit_epochs"):
                vals = per.get(str(s), {}).get(f)
                if vals:
                    m, h = mean_ci(vals)
                    csv.append(f"{name},{s},{f},{m:.6g},{h:.6g},{len(vals)}")
    return "\n".join(md) + "\n", "\n".join(csv) + "\n"


def write_predictor_report(ev: Evaluation, out_dir: str | os.PathLike, *, scatter_sizes: Sequence[int] | None = None,
                           plots: bool = True, title: str = "") -> dict:
    """Writes summary.json, table.md, table.csv and plots/ under ``out_dir``; returns the summary."""
    out = Path(out_dir)
    summary = ev.summary()
    atomic_write(out / "summary.json", json.dumps(summary, indent=1).encode())
    md, csv = summary_tables(summary)
    atomic_write(out / "table.md", md.encode())
    atomic_write(out / "table.csv", csv.encode())
    if plots:
        label = title or f"{ev.benchmark.name}/{ev.benchmark.dataset} {ev.data.metric}"
        for metric in ("kendall_tau", "spearman"):
            plot_correlation_vs_size(summary, out / "plots" / f"{metric}_vs_size.png", metric=metric,
                                     title=f"{label}: {metric.replace('_', ' ')} vs training size (mean, 95% CI)")
        for size in scatter_sizes if scatter_sizes is not None else (min(ev.protocol.sizes), max(ev.protocol.sizes)):
            panels = {name: (ev.data.test_y, ev.predictions[(name, size)]) for name in summary
                      if (name, size) in ev.predictions}
            if panels:
                axis = metric_info(ev.data.metric).axis_label()
                plot_scatter_grid(panels, out / "plots" / f"scatter_n{size}.png", xlabel=f"true {axis}",
                                  ylabel=f"predicted {axis}",
                                  suptitle=f"{label}, {size} training architectures (seed 0)")
    return summary


def heatmap_from_summaries(summaries: Mapping[str, Mapping], size: int, path: str | os.PathLike, *,
                           metric: str = "kendall_tau") -> Path:
    """Predictors x benchmarks heatmap of the mean ``metric`` at training size ``size``."""
    values: dict[str, dict[str, float]] = {}
    for bench, summary in summaries.items():
        for name, per in summary.items():
            vals = per.get(str(size), {}).get(metric)
            if vals:
                values.setdefault(name, {})[bench] = float(np.mean(vals))
    return plot_heatmap(values, path, title=f"mean {metric.replace('_', ' ')}, {size} training architectures")


def cross_device_tables(records: Sequence[CrossDeviceRecord]) -> tuple[str, str]:
    """Markdown (one row per target device and training size, one column per variant: mean Kendall tau ± 95% CI
    over seeds / mean Spearman) and long-form CSV of a cross-device evaluation."""
    summary = summarize_cross_device(records)
    labels = list(dict.fromkeys(label for per_target in summary.values() for label in per_target))
    md = ["| device | k | " + " | ".join(labels) + " |", "|---|---:|" + "---|" * len(labels)]
    csv = ["device,label,size,metric,mean,ci95,n_seeds"]
    for target, per_target in summary.items():
        sizes = sorted({int(s) for per in per_target.values() for s in per})
        for size in sizes:
            cells = []
            for label in labels:
                got = per_target.get(label, {}).get(str(size))
                if got is None:
                    cells.append("")
                    continue
                tau, half = mean_ci(got["kendall_tau"])
                cells.append(f"{tau:.3f} ± {half:.3f} / {np.mean(got['spearman']):.3f}")
                for field, values in got.items():
                    m, h = mean_ci(values)
                    csv.append(f"{target},{label},{size},{field},{m:.6g},{h:.6g},{len(values)}")
            md.append(f"| {target} | {size} | " + " | ".join(cells) + " |")
    return "\n".join(md) + "\n", "\n".join(csv) + "\n"


def write_cross_device_report(records: Sequence[CrossDeviceRecord], out_dir: str | os.PathLike, *,
                              plots: bool = True, title: str = "") -> dict:
    """Writes cross_device.json (every record), table.md, table.csv and plots/ (Kendall tau and Spearman against
    the training size, one panel per target device) under ``out_dir``; returns the summary."""
    out = Path(out_dir)
    summary = summarize_cross_device(records)
    atomic_write(out / "cross_device.json",
                 json.dumps({"summary": summary, "records": [asdict(r) for r in records]}, indent=1).encode())
    md, csv = cross_device_tables(records)
    atomic_write(out / "table.md", md.encode())
    atomic_write(out / "table.csv", csv.encode())
    if plots:
        panels = {f"latency on {target}": per for target, per in summary.items()}
        for metric in ("kendall_tau", "spearman"):
            plot_correlation_panels(panels, out / "plots" / f"cross_device_{metric}.png", metric=metric,
                                    suptitle=title or f"{metric.replace('_', ' ')} of the predicted latency "
                                                      "ranking on the rest of the space, against the k measured "
                                                      "architectures (mean, 95% CI over seeds)")
    return summary
