"""Regenerates the figures and the generated result blocks of README.md and docs/predictors.md from ../shared/data.

Usage: python experiments/predictor_figures.py [--data ../shared/data] [--out results/predictor_figures]
       [--docs docs/predictors] [--jobs 2] [--cheap]
Every evaluation folder is resumable, so a rerun only computes what is missing. ``--cheap`` computes
only the NB201 CIFAR-10 tables (the full default evaluation, the one-hot ablation and the 12-epoch
rank correlation); the full run adds the heatmaps and the proxy tables. Tables leave out fit
seconds (timings are speed figures: experiments/perf/predictor_eval_speed.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

REPO = Path(__file__).resolve().parents[1]
#: the README's short table: (row label, predictors joined by " / ")
README_ROWS = (("xgb", ("xgb",)), ("gbr / gp / mlp_ens", ("gbr", "gp", "mlp_ens")),
               ("lc_xgb (+ 12-epoch accuracy)", ("lc_xgb",)))
ABLATION_MODELS = ("xgb", "gp", "mlp_ens", "svr")


def _mean_tau(summary: dict, size: int) -> dict[str, float]:
    return {n: float(np.mean(per[str(size)]["kendall_tau"])) for n, per in summary.items() if str(size) in per}


def readme_table(full: dict, ablation: dict, sizes: tuple[int, int] = (100, 1000)) -> str:
    """The README's predictor table: mean Kendall tau at two training sizes."""
    taus = {s: {**_mean_tau(full, s), **_mean_tau(ablation, s)} for s in sizes}
    lines = [f"| predictor | {sizes[0]:,} training cells | {sizes[1]:,} training cells |", "|---|---:|---:|"]
    rows = [*README_ROWS, ("xgb on plain one-hot, standardised target (ablation)", ("xgb one-hot",))]
    for label, names in rows:
        cells = [" / ".join(f"{taus[s][n]:.3f}" for n in names) for s in sizes]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def cheap_blocks(csv201: Path, out: Path, docs: Path, jobs: int) -> dict[str, str]:
    """NB201 CIFAR-10: the full default evaluation, the plain one-hot ablation, the 12-epoch correlation."""
    import nasbench_lab
    from nasbench_lab.predictors.evaluation import (
        ENCODING_BASELINES,
        LOWFI_BASELINES,
        PredictorSpec,
        Protocol,
        evaluate_predictors,
    )
    from nasbench_lab.predictors.plots import plot_scatter_grid
    from nasbench_lab.predictors.report import summary_tables, write_predictor_report

    c10 = nasbench_lab.load("nb201", dataset="cifar10", path=csv201)
    full = evaluate_predictors(c10, list(ENCODING_BASELINES + LOWFI_BASELINES), Protocol(), out_dir=out / "full",
                               n_jobs=jobs)
    write_predictor_report(full, out / "full", scatter_sizes=(100, 1000))
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copy(out / "full" / "plots" / "kendall_tau_vs_size.png", docs / "nb201_c10_tau_vs_size.png")
    plot_scatter_grid({n: (full.data.test_y, full.predictions[(n, 100)]) for n in ("xgb", "mlp_ens", "gp", "lc_xgb")},
                      out / "nb201_c10_scatter_n100.png", xlabel="true validation accuracy (%)",
                      ylabel="predicted validation accuracy (%)",
                      suptitle="NB201 CIFAR-10, 100 training cells (seed 0), 5,000 test cells")
    # ablation: the same models on plain one-hot with a standardised target (not the default rank target)
    plain = [PredictorSpec(n, {"encoding": "onehot", "target": "standard"}, label=f"{n} one-hot")
             for n in ABLATION_MODELS]
    abl = evaluate_predictors(c10, plain, Protocol(sizes=(100, 1000)), out_dir=out / "ablation", n_jobs=jobs)
    write_predictor_report(abl, out / "ablation", plots=False)
    archs = c10.space.all()
    low, high = c10.query(archs, "valid_acc", 12), c10.query(archs, "valid_acc", 200)
    rho = spearmanr(low, high)[0]
    test_idx = c10.space.index(full.data.test_archs)
    tau_test = kendalltau(low[test_idx], high[test_idx])[0]
    lowfi = (f"The 12-epoch accuracy used directly as a predictor of the 200-epoch accuracy (`lcurve`) ranks all "
             f"{len(archs):,} cells with Spearman {rho:.4f} (CIFAR-10 validation accuracy of the cifar10-valid runs "
             f"at 12 and 200 epochs; Kendall tau {tau_test:.3f} on the {len(test_idx):,} test cells of the "
             "protocol).\n")
    return {"predictors-readme": readme_table(full.summary(), abl.summary()),
            "predictors-full": summary_tables(full.summary(), fit_seconds=False)[0],
            "predictors-ablation": summary_tables(abl.summary(), fit_seconds=False)[0],
            "predictors-lowfi": lowfi}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "results" / "predictor_figures")
    parser.add_argument("--docs", type=Path, default=REPO / "docs" / "predictors")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cheap", action="store_true", help="only the NB201 CIFAR-10 tables")
    args = parser.parse_args()
    if not (args.data / "nb201" / "nb201_tables.csv").exists():
        print(f"skipped: {args.data / 'nb201' / 'nb201_tables.csv'} not found", file=sys.stderr)
        return 0
    from docblocks import write_blocks

    for name in write_blocks(blocks(args.data, args.out, args.docs, args.jobs, args.cheap)):
        print("updated", name, file=sys.stderr)
    return 0


def blocks(data: Path, out: Path, docs: Path, jobs: int, cheap: bool) -> dict[str, str]:
    """Every predictor block (``cheap``: the NB201 CIFAR-10 tables only); also writes the figures."""
    csv201 = data / "nb201" / "nb201_tables.csv"
    result = cheap_blocks(csv201, out, docs, jobs)
    if not cheap:
        result.update(expensive_blocks(data, out, docs, jobs))
    return result


def expensive_blocks(data: Path, out: Path, docs: Path, jobs: int) -> dict[str, str]:
    """The predictors x benchmarks heatmaps and the zero-cost proxy tables."""
    csv201 = data / "nb201" / "nb201_tables.csv"
    zc201 = data / "nb201" / "nb201_zero_cost_subset.json"
    csv101 = data / "nb101" / "nb101_validation_by_hash_30k.csv"
    import nasbench_lab
    from nasbench_lab.benchmarks.proxies import with_proxies
    from nasbench_lab.loaders.suite_zero import read_suite_zero
    from nasbench_lab.predictors.evaluation import ENCODING_BASELINES, PredictorSpec, Protocol, evaluate_predictors
    from nasbench_lab.predictors.plots import plot_scatter_grid
    from nasbench_lab.predictors.proxy_eval import correlations_table, proxy_correlations
    from nasbench_lab.predictors.report import heatmap_from_summaries, summary_tables, write_predictor_report

    result: dict[str, str] = {}
    # predictors x benchmarks heatmap (figures only)
    benches = {f"nb201/{d}": nasbench_lab.load("nb201", dataset=d, path=csv201)
               for d in ("cifar10", "cifar100", "ImageNet16-120")}
    if csv101.exists():
        benches["nb101/cifar10"] = nasbench_lab.load("nb101", path=csv101, allow_partial=True)
    summaries = {}
    for label, bench in benches.items():
        fids = bench.metric_fidelities(bench.search_metric)
        names = list(ENCODING_BASELINES) + (["lc_xgb"] if len(fids) > 1 else [])
        ev = evaluate_predictors(bench, names, Protocol(sizes=(100, 1000), seeds=5), n_jobs=jobs,
                                 out_dir=out / "heatmap" / label.replace("/", "_"))
        summaries[f"{label} ({bench.search_metric}@{fids[-1]})"] = ev.summary()
    for size in (100, 1000):
        heatmap_from_summaries(summaries, size, docs / f"heatmap_tau_n{size}.png")
    # proxies: correlations, scatter, proxy predictors on the proxy-covered cells
    if zc201.exists():
        records = read_suite_zero(zc201)
        rows = [r for rec in records.values() for r in proxy_correlations(rec)]
        result["proxies-nb201"] = correlations_table(rows)[0]
        rec = records["cifar10"]
        plot_scatter_grid({p: (rec.scores[p], rec.val_acc) for p in rec.proxies}, out / "proxies_nb201_c10.png",
                          xlabel="proxy score (rank fraction)", ylabel="validation accuracy (%)", x_as_rank=True,
                          suptitle="NB201 CIFAR-10 (Suite-Zero subset): proxy score vs validation accuracy")
        zb = with_proxies(nasbench_lab.load("nb201", dataset="cifar10", path=csv201), zc201)
        specs = [PredictorSpec("xgb"), PredictorSpec("zc_xgb"), PredictorSpec("lc_xgb")]
        specs += [PredictorSpec("zc_score", {"proxy": p}, label=f"zc_score {p}")
                  for p in ("synflow", "nwot", "jacov", "params")]
        zev = evaluate_predictors(zb, specs, Protocol(sizes=(10, 20, 50, 100, 200, 400), seeds=10, test_size=300,
                                                      pool_metric="zc_params"),
                                  out_dir=out / "proxy_predictors", n_jobs=jobs)
        write_predictor_report(zev, out / "proxy_predictors", scatter_sizes=(100,))
        shutil.copy(out / "proxy_predictors" / "plots" / "kendall_tau_vs_size.png", docs / "proxy_predictors_tau.png")
        result["proxy-predictors"] = summary_tables(zev.summary(), fit_seconds=False)[0]
    zc101 = data / "nb101" / "nb101_zero_cost_subset.json"
    if zc101.exists():
        rows = [r for rec in read_suite_zero(zc101).values() for r in proxy_correlations(rec)]
        result["proxies-nb101"] = correlations_table(rows)[0]
    return result


if __name__ == "__main__":
    raise SystemExit(main())
