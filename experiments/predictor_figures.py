"""Regenerates the figures and tables of docs/predictors.md from the real data in ../shared/data.

Usage: python experiments/predictor_figures.py [--data ../shared/data] [--out results/predictor_figures]
       [--docs docs/predictors] [--jobs 2]
Every evaluation folder is resumable, so a rerun only computes what is missing. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

REPO = Path(__file__).resolve().parents[1]


def _mean_tau(summary: dict, size: int) -> dict[str, float]:
    return {n: float(np.mean(per[str(size)]["kendall_tau"])) for n, per in summary.items() if str(size) in per}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "predictor_figures")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "predictors")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    csv201 = args.data / "nb201" / "nb201_tables.csv"
    zc201 = args.data / "nb201" / "nb201_zero_cost_subset.json"
    csv101 = args.data / "nb101" / "nb101_validation_by_hash_30k.csv"
    if not csv201.exists():
        print(f"skipped: {csv201} not found", file=sys.stderr)
        return 0

    import nasbench_lab
    from nasbench_lab.loaders.suite_zero import read_suite_zero, with_proxies
    from nasbench_lab.predictors.evaluation import (
        ENCODING_BASELINES,
        LOWFI_BASELINES,
        PredictorSpec,
        Protocol,
        evaluate_predictors,
    )
    from nasbench_lab.predictors.plots import plot_scatter_grid
    from nasbench_lab.predictors.proxy_eval import correlations_table, proxy_correlations
    from nasbench_lab.predictors.report import heatmap_from_summaries, write_predictor_report

    out, docs = args.out, args.docs
    docs.mkdir(parents=True, exist_ok=True)
    c10 = nasbench_lab.load("nb201", dataset="cifar10", path=csv201)

    # 1. the full default evaluation (the speed script's protocol)
    full = evaluate_predictors(c10, list(ENCODING_BASELINES + LOWFI_BASELINES), Protocol(), out_dir=out / "full",
                               n_jobs=args.jobs)
    write_predictor_report(full, out / "full", scatter_sizes=(100, 1000))
    shutil.copy(out / "full" / "plots" / "kendall_tau_vs_size.png", docs / "nb201_c10_tau_vs_size.png")
    plot_scatter_grid({n: (full.data.test_y, full.predictions[(n, 100)]) for n in ("xgb", "mlp_ens", "gp", "lc_xgb")},
                      out / "nb201_c10_scatter_n100.png", xlabel="true valid_acc", ylabel="predicted",
                      suptitle="NB201 CIFAR-10, 100 training cells (seed 0), 5,000 test cells")
    print("## Full default evaluation (NB201 CIFAR-10 valid_acc, 10 seeds, 5,000 test cells)\n")
    print((out / "full" / "table.md").read_text())

    # 2. ablation: the same models on plain one-hot with a standardised target
    plain = [PredictorSpec(n, {"encoding": "onehot", "target": "standard"}, label=f"{n} one-hot")
             for n in ("xgb", "gp", "mlp_ens", "svr")]
    abl = evaluate_predictors(c10, plain, Protocol(sizes=(100, 1000)), out_dir=out / "ablation", n_jobs=args.jobs)
    write_predictor_report(abl, out / "ablation", plots=False)
    print("## Ablation: one-hot encoding, standardised target\n")
    print((out / "ablation" / "table.md").read_text())

    # 3. predictors x benchmarks heatmap
    benches = {f"nb201/{d}": nasbench_lab.load("nb201", dataset=d, path=csv201)
               for d in ("cifar10", "cifar100", "ImageNet16-120")}
    if csv101.exists():
        benches["nb101/cifar10"] = nasbench_lab.load("nb101", path=csv101, allow_partial=True)
    summaries = {}
    for label, bench in benches.items():
        fids = bench.metric_fidelities(bench.search_metric)
        names = list(ENCODING_BASELINES) + (["lc_xgb"] if len(fids) > 1 else [])
        ev = evaluate_predictors(bench, names, Protocol(sizes=(100, 1000), seeds=5), n_jobs=args.jobs,
                                 out_dir=out / "heatmap" / label.replace("/", "_"))
        summaries[f"{label} ({bench.search_metric}@{fids[-1]})"] = ev.summary()
    for size in (100, 1000):
        heatmap_from_summaries(summaries, size, docs / f"heatmap_tau_n{size}.png")
    print("## Heatmap (mean Kendall tau, 5 seeds)\n")
    for size in (100, 1000):
        print(f"n={size}:", json.dumps({b: {k: round(v, 3) for k, v in _mean_tau(s, size).items()}
                                        for b, s in summaries.items()}, indent=1))

    # 4. 12-epoch accuracy as a predictor of the 200-epoch accuracy, all 15,625 cells
    archs = c10.space.all()
    rho = spearmanr(c10.query(archs, "valid_acc", 12), c10.query(archs, "valid_acc", 200))[0]
    print(f"\n12-epoch vs 200-epoch CIFAR-10 valid_acc, all 15,625 cells: Spearman {rho:.4f}\n")

    # 5. proxies: correlations, scatter, proxy predictors on the proxy-covered cells
    if zc201.exists():
        records = read_suite_zero(zc201)
        rows = [r for rec in records.values() for r in proxy_correlations(rec)]
        md, _ = correlations_table(rows)
        print("## Proxies vs validation accuracy (NB201 Suite-Zero subsets)\n")
        print(md)
        rec = records["cifar10"]
        plot_scatter_grid({p: (rec.scores[p], rec.val_acc) for p in rec.proxies}, out / "proxies_nb201_c10.png",
                          xlabel="proxy score (rank fraction)", ylabel="validation accuracy", x_as_rank=True,
                          suptitle="NB201 CIFAR-10 (Suite-Zero subset): proxy score vs validation accuracy")
        zb = with_proxies(c10, zc201)
        specs = [PredictorSpec("xgb"), PredictorSpec("zc_xgb"), PredictorSpec("lc_xgb")]
        specs += [PredictorSpec("zc", {"proxy": p}, label=f"zc {p}") for p in ("synflow", "nwot", "jacov", "params")]
        zev = evaluate_predictors(zb, specs, Protocol(sizes=(10, 20, 50, 100, 200, 400), seeds=10, test_size=300,
                                                      pool_metric="zc_params"),
                                  out_dir=out / "proxy_predictors", n_jobs=args.jobs)
        write_predictor_report(zev, out / "proxy_predictors", scatter_sizes=(100,))
        shutil.copy(out / "proxy_predictors" / "plots" / "kendall_tau_vs_size.png", docs / "proxy_predictors_tau.png")
        print("## Predictors on the 725 proxy-covered CIFAR-10 cells (300 test cells, 10 seeds)\n")
        print((out / "proxy_predictors" / "table.md").read_text())
    zc101 = args.data / "nb101" / "nb101_zero_cost_subset.json"
    if zc101.exists():
        rows = [r for rec in read_suite_zero(zc101).values() for r in proxy_correlations(rec)]
        print("## Proxies vs validation accuracy (NB101 Suite-Zero subset)\n")
        print(correlations_table(rows)[0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
