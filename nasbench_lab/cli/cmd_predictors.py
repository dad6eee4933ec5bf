"""Predictor subcommands: ``predictors`` (evaluate performance predictors) and ``proxies`` (zero-cost proxies)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from nasbench_lab.cli.common import add_benchmark_args, benchmark_name, dotted_params, resolve_path
from nasbench_lab.cli.main import note, print_json
from nasbench_lab.errors import ConfigError
from nasbench_lab.workers import check_jobs

#: held-out architectures of the White et al. protocol when --test-size is not given
DEFAULT_TEST_SIZE = 5000


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predictors", help="evaluate performance predictors: Kendall tau/Spearman vs training size, plots, tables",
        description="White et al. (2021) protocol: a fixed held-out test set, training sets of each size drawn "
                    "per seed from the rest; writes OUT/summary.json ({predictor: {size: {kendall_tau: [per seed], "
                    "spearman: [...], fit_s: [...], ...}}}), table.md/.csv, plots/ and runs/ (one file per "
                    "predictor, size and seed). Rerunning the same command resumes. Any metric can be the target "
                    "(--metric latency_<device>: lower is better, so precision@k counts the fastest). With "
                    "--extra-devices, the cross-device latency protocol instead (see there).")
    add_benchmark_args(p)
    p.add_argument("--predictors", "-P", default=None,
                   help="comma-separated predictor names (default: every encoding baseline, plus the lower-fidelity "
                        "ones when the benchmark has lower fidelities and zc_xgb with --proxies)")
    p.add_argument("--sizes", default=None,  # resolved when run: importing the protocol takes a second
                   help="training-set sizes, comma-separated (default: the protocol's, "
                        "nasbench_lab.predictors.evaluation.DEFAULT_SIZES: 10 to 1000; with --extra-devices "
                        "10,20,50,100)")
    p.add_argument("--seeds", type=int, default=10, help="repeats, each with its own training draw (default 10)")
    p.add_argument("--test-size", type=int, default=None,
                   help=f"held-out test architectures (default {DEFAULT_TEST_SIZE}; with --extra-devices the test "
                        "set is every architecture not trained on)")
    p.add_argument("--metric", default=None, help="target metric (default: the benchmark's search metric)")
    p.add_argument("--fidelity", type=int, default=None, help="target fidelity (default: the highest with data)")
    p.add_argument("--proxies", default=None, metavar="JSON",
                   help="a NAS-Bench-Suite-Zero file: adds zc_* metrics and restricts the pool to its cells")
    p.add_argument("--extra-devices", default=None, metavar="DEVICES",
                   help="the cross-device latency protocol (HELP setting) for --metric latency_<device>: each "
                        "predictor (default xgb) is fitted on k measured latencies of that device (--sizes) and "
                        "ranks the rest of the space, once on the architecture encoding alone and once with these "
                        "other devices' latencies of every architecture as extra features: 'all' (every other "
                        "device), 'other-hardware' (all but the target's GPU at other batch sizes), 'none' (the "
                        "encoding only) or comma-separated device names; also scores the nearest device (the other "
                        "device ranking the k measured architectures most like the target). Writes "
                        "OUT/cross_device.json, table.md/.csv and plots/")
    p.add_argument("--param", action="append", default=[], metavar="PREDICTOR.KEY=VALUE",
                   help="predictor parameter, e.g. xgb.max_depth=6 (repeatable; values read as JSON)")
    p.add_argument("--split-seed", type=int, default=0, help="seed of the test split and training draws")
    p.add_argument("--jobs", "-j", type=int, default=None, help="processes (default: CPU cores, at most 4)")
    p.add_argument("--out", "-o", default=None, help="results folder (default results/predictors-<bench>-<dataset>)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout")
    p.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bar or notes")
    p.set_defaults(func=run_predictors)

    p = sub.add_parser(
        "proxies", help="evaluate zero-cost proxies: Spearman/Kendall with validation accuracy per dataset",
        description="Reads a NAS-Bench-Suite-Zero proxy file (NASLib's zc_<benchmark>.json) and writes "
                    "OUT/proxies.json, table.md/.csv (next to published figures) and plots/. With --live, also "
                    "computes proxies with PyTorch (nasbench_lab.live) for the first --live-n cells.")
    p.add_argument("path", help="a NAS-Bench-Suite-Zero JSON file")
    p.add_argument("--datasets", default=None, help="comma-separated datasets of the file (default: all)")
    p.add_argument("--live", action="store_true", help="also compute the proxies live (needs nasbench_lab[live])")
    p.add_argument("--live-n", type=int, default=20, help="cells per dataset to score live (default 20)")
    p.add_argument("--batch-size", type=int, default=64, help="live proxies: images in the scoring batch")
    p.add_argument("--seed", type=int, default=0, help="live proxies: weight and batch seed")
    p.add_argument("--out", "-o", default=None, help="results folder (default results/proxies-<file stem>)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--json", action="store_true", help="print proxies.json to stdout")
    p.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="no notes")
    p.set_defaults(func=run_proxies)


# ----------------------------------------------------------------------------- predictors
def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"--{what} takes comma-separated integers, got {text!r}") from None
    if not values:
        raise ConfigError(f"--{what} is empty")
    return values


def _default_predictors(bench, with_proxies: bool, target: str | None) -> list[str]:
    """The encoding baselines, plus the lower-fidelity ones where the target is a training outcome (an accuracy or
    loss: a learning curve says something of it, not of a latency or a size) and the search metric has lower
    fidelities, plus zc_xgb with proxies."""
    from nasbench_lab.metrics import MetricKind, metric_info
    from nasbench_lab.predictors.evaluation import ENCODING_BASELINES, LOWFI_BASELINES, PROXY_BASELINES

    names = list(ENCODING_BASELINES)
    learned = metric_info(target or bench.search_metric).kind in (MetricKind.VALIDATION, MetricKind.TEST,
                                                                   MetricKind.TRAIN)
    if learned and len(bench.metric_fidelities(bench.search_metric)) > 1:
        names += list(LOWFI_BASELINES)
    if with_proxies:
        names += list(PROXY_BASELINES)
    return names


def _check_predictors(bench, names: list[str], params: dict[str, dict]) -> None:
    """Builds each predictor once with its parameters, so a bad name or value fails before anything runs."""
    from nasbench_lab.predictors.registry import PREDICTORS, make_predictor

    for name in names:
        extra = {"benchmark": bench} if PREDICTORS.get(name).needs_benchmark else {}
        make_predictor(name, bench.space, **params.get(name, {}), **extra)


def run_predictors(args: argparse.Namespace) -> int:
    from nasbench_lab.api import load
    from nasbench_lab.benchmarks.proxies import with_proxies
    from nasbench_lab.predictors.evaluation import PredictorSpec, Protocol, evaluate_predictors
    from nasbench_lab.predictors.report import heatmap_from_summaries, write_predictor_report

    if args.extra_devices is not None:
        return run_cross_device(args)
    name = benchmark_name(args)  # the embedded default when no --benchmark is given, saying so
    resolve_path(args)  # a converted table in the cache when no --path is given
    quiet = getattr(args, "quiet", False)
    test_size = DEFAULT_TEST_SIZE if args.test_size is None else args.test_size
    from nasbench_lab.predictors.evaluation import DEFAULT_SIZES

    sizes = _int_list(args.sizes or ",".join(map(str, DEFAULT_SIZES)), "sizes")
    datasets = [d for d in (args.dataset or "").split(",") if d] or [None]
    params = dotted_params(args.param, "PREDICTOR")
    jobs = check_jobs(args.jobs) or min(os.cpu_count() or 1, 4)
    benches = [load(name, dataset=dataset, path=args.path, allow_partial=args.allow_partial) for dataset in datasets]
    out_root = Path(args.out or os.path.join("results", f"predictors-{benches[0].name}-{benches[0].dataset}"))
    summaries = {}
    for bench in benches:
        pool_metric = None
        if args.proxies:
            bench = with_proxies(bench, args.proxies)
            pool_metric = bench.proxies[0]
        names = ([n for n in args.predictors.split(",") if n] if args.predictors
                 else _default_predictors(bench, bool(args.proxies), args.metric))
        unknown_params = sorted(set(params) - set(names))
        if unknown_params:
            raise ConfigError(f"--param names predictor(s) {', '.join(unknown_params)} that are not evaluated; "
                              f"evaluated: {', '.join(names)}")
        _check_predictors(bench, names, params)  # bad names or parameter values, before any folder is made
        specs = [PredictorSpec(n, params.get(n, {})) for n in names]
        protocol = Protocol(sizes=tuple(sizes), seeds=args.seeds, test_size=test_size, metric=args.metric,
                            fidelity=args.fidelity, seed=args.split_seed, pool_metric=pool_metric)
        out = out_root if len(datasets) == 1 else out_root / bench.dataset
        note(args, f"{bench.name}/{bench.dataset}: {len(specs)} predictor(s) x {len(sizes)} size(s) x {args.seeds} "
                   f"seed(s), {test_size} test architectures, {jobs} process(es) -> {out}")
        ev = evaluate_predictors(bench, specs, protocol, out_dir=out, n_jobs=jobs, progress=not quiet)
        summaries[f"{bench.name}/{bench.dataset}"] = write_predictor_report(ev, out, plots=not args.no_plots)
        if not args.json:
            best = "" if ev.data.higher_is_better else "; lower is better: precision@k counts the lowest as the best"
            print(f"## {bench.name}/{bench.dataset}: Kendall tau with {ev.data.metric} "
                  f"({args.seeds} seeds, {len(ev.data.test_y)} test architectures{best})\n")
            print((out / "table.md").read_text())
    if len(datasets) > 1 and not args.no_plots:
        heatmap_from_summaries(summaries, max(sizes), out_root / "heatmap_kendall_tau.png")
    if args.json:
        print_json(next(iter(summaries.values())) if len(summaries) == 1 else summaries)
    else:
        print(f"results: {out_root}")
    return 0


def run_cross_device(args: argparse.Namespace) -> int:
    """``predictors --extra-devices``: the cross-device latency protocol (predictors/cross_device.py)."""
    from nasbench_lab.api import load
    from nasbench_lab.predictors.cross_device import (
        DEFAULT_SIZES,
        CrossDeviceProtocol,
        device_data,
        evaluate_cross_device,
        resolve_extra_devices,
        target_device,
    )
    from nasbench_lab.predictors.report import write_cross_device_report

    unused = [flag for flag, value in (("--proxies", args.proxies), ("--test-size", args.test_size),
                                       ("--fidelity", args.fidelity)) if value is not None]
    if unused:
        raise ConfigError(f"--extra-devices runs the cross-device protocol, which takes no {', '.join(unused)}: "
                          "the test set is every architecture not trained on, and latencies have no fidelity")
    if args.dataset and "," in args.dataset:
        raise ConfigError(f"--extra-devices evaluates one table's device latencies; give one --dataset, got "
                          f"{args.dataset!r}")
    name = benchmark_name(args)
    resolve_path(args)
    bench = load(name, dataset=args.dataset, path=args.path, allow_partial=args.allow_partial)
    target = target_device(bench, args.metric)
    extra = resolve_extra_devices(bench, target, args.extra_devices)
    sizes = _int_list(args.sizes or ",".join(map(str, DEFAULT_SIZES)), "sizes")
    names = [n for n in (args.predictors or "xgb").split(",") if n]
    protocol = CrossDeviceProtocol(sizes=tuple(sizes), seeds=args.seeds, seed=args.split_seed,
                                   predictors=tuple(names), params=dotted_params(args.param, "PREDICTOR"))
    jobs = check_jobs(args.jobs) or min(os.cpu_count() or 1, 4)
    data = device_data(bench, target, extra)
    out = Path(args.out or os.path.join("results", f"predictors-{bench.name}-{bench.dataset}-cross-device-{target}"))
    note(args, f"{bench.name}/{bench.dataset}: latency on {target} from k of {len(data.y)} architectures, "
               f"{len(extra)} other device(s) as features, {len(names)} predictor(s) x {len(protocol.sizes)} size(s) "
               f"x {args.seeds} seed(s), {jobs} process(es) -> {out}")
    records = evaluate_cross_device(data, protocol, n_jobs=jobs)
    summary = write_cross_device_report(records, out, plots=not args.no_plots)
    if args.json:
        print_json(summary)
    else:
        print(f"## {bench.name}/{bench.dataset}: latency on {target} (ms, lower is better) from k measured "
              f"architectures, ranking the rest; Kendall tau (mean ± 95% CI over {args.seeds} seeds) / Spearman "
              f"(mean); + devices: with the latencies on {len(extra)} other device(s) as features\n")
        print((out / "table.md").read_text())
        print(f"results: {out}")
    return 0


# -------------------------------------------------------------------------------- proxies
def run_proxies(args: argparse.Namespace) -> int:
    from nasbench_lab.fileio import atomic_write
    from nasbench_lab.loaders.suite_zero import read_suite_zero
    from nasbench_lab.predictors.plots import plot_heatmap, plot_scatter_grid
    from nasbench_lab.predictors.proxy_eval import (
        PUBLISHED_SOURCE,
        correlations_table,
        proxy_correlations,
        rows_as_dicts,
    )

    records = read_suite_zero(args.path)
    wanted = [d for d in (args.datasets or "").split(",") if d] or list(records)
    missing = [d for d in wanted if d not in records]
    if missing:
        raise ConfigError(f"{args.path} has no dataset {missing[0]!r}; it has {', '.join(records)}")
    out = Path(args.out or os.path.join("results", f"proxies-{Path(args.path).stem}"))
    rows = [r for d in wanted for r in proxy_correlations(records[d])]
    md, csv = correlations_table(rows)
    result: dict[str, object] = {"file": str(args.path), "published_source": PUBLISHED_SOURCE,
                                 "correlations": rows_as_dicts(rows)}
    live = _live(args, {d: records[d] for d in wanted}) if args.live else {}
    if args.live:
        result["live"] = live
    atomic_write(out / "proxies.json", json.dumps(_strict(result), indent=1, allow_nan=False).encode())
    atomic_write(out / "table.md", md.encode())
    atomic_write(out / "table.csv", csv.encode())
    if not args.no_plots:
        heat: dict[str, dict[str, float]] = {r.proxy: {} for r in rows}
        for r in rows:
            heat[r.proxy][r.dataset] = r.spearman
        plot_heatmap(heat, out / "plots" / "spearman_heatmap.png", cmap="RdBu_r", center=0.0,
                     title="Spearman of proxy score with validation accuracy")
        for d in wanted:
            rec = records[d]
            panels = {p: (rec.scores[p], rec.val_acc) for p in rec.proxies}
            plot_scatter_grid(panels, out / "plots" / f"scatter_{d}.png", xlabel="proxy score (rank fraction)",
                              ylabel="validation accuracy (%)", x_as_rank=True,
                              suptitle=f"{rec.benchmark} {d}: proxy vs accuracy")
    if args.json:
        print_json(_strict(result))
    else:
        print(f"Spearman / Kendall tau of each proxy with validation accuracy ({PUBLISHED_SOURCE} for "
              "'published')\n")
        print(md)
        for dataset, per in live.items():
            print(f"live proxies, {dataset} (first {args.live_n} cells): Spearman with the file's accuracy / "
                  "with the file's scores, seconds\n")
            print("| proxy | n | with accuracy | with file scores | seconds |\n|---|---|---|---|---|")
            for name, r in per.items():
                print(f"| {name} | {r['n']} | {r['spearman_with_valid_acc']:.3f} | "
                      f"{r['spearman_with_file_scores']:.3f} | {r['seconds']:.2f} |")
            print()
        print(f"results: {out}")
    return 0


def _strict(obj):
    """NaN/inf -> None, so that the JSON is strict (an undefined correlation is null, not NaN)."""
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_strict(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def _live(args: argparse.Namespace, records: dict) -> dict:
    """Proxies computed live for the first --live-n cells of each dataset, against the file and accuracy."""
    from nasbench_lab.live._torch import LiveBackendMissingError, require_torch
    from nasbench_lab.predictors.proxy_eval import LIVE_NAMES, correlate

    try:
        require_torch()
    except LiveBackendMissingError:
        raise ConfigError("--live computes proxies with PyTorch, which is not installed: "
                          "pip install 'nasbench_lab[live]'") from None
    from nasbench_lab.live import compute_proxies

    out = {}
    for dataset, rec in records.items():
        n = min(args.live_n, len(rec))
        names = [LIVE_NAMES.get(p, p) for p in rec.proxies]
        note(args, f"{dataset}: computing {len(names)} proxies live for {n} cells (batch {args.batch_size})")
        scores, seconds = compute_proxies(rec.space, rec.archs[:n], names, batch_size=args.batch_size, seed=args.seed)
        per = {}
        for file_name, live_name in zip(rec.proxies, names):
            live = np.asarray(scores[live_name], dtype=np.float64)
            rho_acc, tau_acc, k = correlate(live, rec.val_acc[:n])
            rho_file, _, _ = correlate(live, rec.scores[file_name][:n])
            per[file_name] = {"n": k, "spearman_with_valid_acc": rho_acc, "kendall_with_valid_acc": tau_acc,
                              "spearman_with_file_scores": rho_file, "seconds": float(seconds.get(live_name, 0.0))}
        out[dataset] = per
    return out
