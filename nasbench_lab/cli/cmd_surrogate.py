"""``nasbench-lab fit-surrogate``: fit a surrogate from a benchmark's results, report held-out quality."""

from __future__ import annotations

import argparse
from pathlib import Path

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.cli.common import add_benchmark_args, benchmark_from_args
from nasbench_lab.cli.main import note, print_json
from nasbench_lab.errors import ConfigError, DataFileError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit-surrogate", help="fit an xgboost-ensemble surrogate from a benchmark and evaluate it on held-out cells",
        description="Fit a surrogate benchmark on a random split of the architectures that have a value of --metric "
                    "at --fidelity, write DIR/report.json (kendall_tau, spearman, r2, n_train, n_test, and a one-hot "
                    "ridge baseline on the same split), DIR/predicted_vs_true.png and the surrogate itself "
                    "(nasbench_lab.load(DIR)). A partial table over an enumerable space (e.g. NB101) becomes a "
                    "completed benchmark: real values where known, surrogate elsewhere. --path may also be a "
                    "NAS-Bench-Suite-Zero JSON (e.g. nb301_zero_cost_subset.json).")
    add_benchmark_args(p)
    p.add_argument("--metric", "-m", default="valid_acc", help="metric to model (default valid_acc)")
    p.add_argument("--fidelity", "-f", type=int, default=None, help="epochs (default: the highest with data)")
    p.add_argument("--train-size", default="0.8", type=_train_size,
                   help="training points: a count (1000) or a fraction of the cells with data (0.8, default)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the ensemble (default 0)")
    p.add_argument("--encoding", default=None, help="encoding(s) joined by '+' (default: the space's preferred)")
    p.add_argument("--members", type=int, default=None, help="ensemble members (default 10)")
    p.add_argument("--rounds", type=int, default=None, help="boosting rounds per member")
    p.add_argument("--no-complete", action="store_true",
                   help="save only the surrogate, even when the source is a partial table")
    p.add_argument("--out", "-o", required=True, help="output folder")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_fit_surrogate, allow_partial=True)  # completing partial tables is its job


def _train_size(text: str) -> float | int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count or a fraction") from None
    return int(value) if value >= 1 and value.is_integer() else value


def source_from_args(args: argparse.Namespace) -> Benchmark:
    """The benchmark to fit from: a Suite-Zero JSON given as --path, or anything ``load`` accepts."""
    if args.path and Path(args.path).suffix.lower() == ".json" and Path(args.path).is_file():
        from nasbench_lab.benchmarks.proxies import load_proxies

        try:
            return load_proxies(args.path, args.dataset)
        except DataFileError:
            pass  # not a Suite-Zero file: let load() say what it is
    return benchmark_from_args(args)


def run_fit_surrogate(args: argparse.Namespace) -> int:
    from nasbench_lab.benchmarks.surrogates.fit import fit_and_evaluate, write_outputs
    from nasbench_lab.benchmarks.surrogates.surrogate import default_params

    source = source_from_args(args)
    params = default_params(source.space)
    changes = {k: v for k, v in (("n_members", args.members), ("rounds", args.rounds)) if v is not None}
    if changes:
        from dataclasses import replace

        params = replace(params, **changes)
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ConfigError(f"--out {args.out} exists and is not a folder")
    note(args, f"fitting a {params.n_members}-member surrogate of {args.metric} on {source.name}/{source.dataset} ...")
    outcome = fit_and_evaluate(source, metric=args.metric, fidelity=args.fidelity, train_size=args.train_size,
                               seed=args.seed, encoding=args.encoding, params=params,
                               complete=False if args.no_complete else None)
    files = write_outputs(outcome, args.out)
    rep = outcome.report
    if args.json:
        print_json(rep)
    else:
        base = rep["baseline_linear_onehot"]
        print(f"held-out ({rep['n_test']} cells, fitted on {rep['n_train']}): Kendall tau {rep['kendall_tau']:.4f}, "
              f"Spearman {rep['spearman']:.4f}, R2 {rep['r2']:.4f}, RMSE {rep['rmse']:.4f}")
        print(f"one-hot ridge baseline on the same split: Kendall tau {base['kendall_tau']:.4f}, "
              f"Spearman {base['spearman']:.4f}, R2 {base['r2']:.4f}")
        if "completed" in rep:
            print(f"completed table: {rep['completed']['real_cells']} real cells, surrogate for the other "
                  f"{rep['completed']['space_size'] - rep['completed']['real_cells']}")
        print(f"wrote {files['report']}, {files['plot']}; load with nasbench_lab.load({args.out!r})")
    return 0
