"""Speed of the full default predictor evaluation on NB201 CIFAR-10, against a naive baseline in the same run.

Ours: every baseline predictor (8 encoding-only + 3 lower-fidelity), 7 training sizes, 10 seeds,
5,000 held-out cells, ``--jobs`` processes. Naive: the loop a user would write with library defaults
(scikit-learn SVR/kNN/GP/RF/GB/MLP ensemble, XGBRegressor, BayesianRidge on the one-hot encoding,
BLAS threads left alone), timed for ``--naive-seeds`` seeds and compared per seed.

Usage: python experiments/perf/predictor_eval_speed.py [--csv ../shared/data/nb201/nb201_tables.csv]
       [--jobs 2] [--out DIR] [--json OUT]
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
DEFAULT_CSV = REPO.parent / "shared" / "data" / "nb201" / "nb201_tables.csv"


def naive_models(seed: int) -> dict:
    """Library-default models, as a straightforward script would build them."""
    import xgboost as xgb
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.linear_model import BayesianRidge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.svm import SVR

    class MLPEnsemble:
        def fit(self, X, y):
            from sklearn.neural_network import MLPRegressor

            self.members = [MLPRegressor(hidden_layer_sizes=(32, 32), max_iter=300, random_state=seed + k).fit(X, y)
                            for k in range(5)]
            return self

        def predict(self, X):
            return np.mean([m.predict(X) for m in self.members], axis=0)

    return {
        "xgb": xgb.XGBRegressor(random_state=seed),
        "gbr": GradientBoostingRegressor(random_state=seed),
        "rf": RandomForestRegressor(random_state=seed),
        "mlp_ens": MLPEnsemble(),
        "gp": GaussianProcessRegressor(RBF() + WhiteKernel(), normalize_y=True, random_state=seed),
        "blr": BayesianRidge(),
        "knn": KNeighborsRegressor(),
        "svr": SVR(),
    }


def run_naive(bench, data, sizes, seeds: int) -> float:
    """Seconds for the naive loop over ``seeds`` seeds (encoding-only models, one-hot features)."""
    import warnings

    from scipy.stats import kendalltau, spearmanr

    sp = bench.space
    X_test = sp.encode(data.test_archs, "onehot")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(seeds):
            for size in sizes:
                X = sp.encode(data.train_archs[seed][:size], "onehot")
                y = data.train_y[seed][:size]
                for model in naive_models(seed).values():
                    pred = model.fit(X, y).predict(X_test)
                    kendalltau(data.test_y, pred), spearmanr(data.test_y, pred)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--naive-seeds", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="keep the evaluation folder here (resumable)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if not args.csv.exists():
        print(f"skipped: NB201 table not found at {args.csv}", file=sys.stderr)
        return 0
    os.environ.setdefault("NASBENCH_LAB_CACHE", tempfile.mkdtemp(prefix="nbl_perf_"))
    import nasbench_lab
    from nasbench_lab.predictors.evaluation import (
        ENCODING_BASELINES,
        LOWFI_BASELINES,
        Protocol,
        evaluate_predictors,
        make_split,
    )

    bench = nasbench_lab.load("nb201", dataset="cifar10", path=args.csv)
    protocol = Protocol()  # sizes 10..1000, 10 seeds, 5,000 test cells
    names = list(ENCODING_BASELINES + LOWFI_BASELINES)
    out = args.out or Path(tempfile.mkdtemp(prefix="nbl_pred_eval_"))
    if args.out and (args.out / "runs").exists():
        print(f"note: {args.out} already holds runs; only missing ones are timed", file=sys.stderr)
    start = time.perf_counter()
    ev = evaluate_predictors(bench, names, protocol, out_dir=out, n_jobs=args.jobs)
    ours = time.perf_counter() - start
    print(f"full default evaluation: {ours:.1f} s wall", file=sys.stderr, flush=True)
    summary = ev.summary()
    naive = run_naive(bench, make_split(bench, protocol), protocol.sizes, args.naive_seeds)
    ours_encoding_per_seed = sum(sum(sum(v["fit_s"]) + sum(v["predict_s"]) for v in summary[n].values())
                                 for n in ENCODING_BASELINES) / protocol.seeds
    naive_per_seed = naive / args.naive_seeds
    result = {
        "machine": f"{os.cpu_count()}-core CPU container, Python {platform.python_version()}",
        "predictors": names, "sizes": list(protocol.sizes), "seeds": protocol.seeds,
        "test_size": protocol.test_size, "jobs": args.jobs,
        "full_evaluation_wall_s": round(ours, 1),
        "encoding_baselines_fit_predict_s_per_seed": round(ours_encoding_per_seed, 2),
        "naive_encoding_baselines_s_per_seed": round(naive_per_seed, 2),
        "speedup_per_seed_single_process": round(naive_per_seed / ours_encoding_per_seed, 1),
        "mean_kendall_tau": {n: {s: round(float(np.mean(v["kendall_tau"])), 3) for s, v in per.items()}
                             for n, per in summary.items()},
    }
    print(f"| what | seconds |\n|---|---|\n"
          f"| full default evaluation ({len(names)} predictors x 7 sizes x 10 seeds, {args.jobs} processes, wall) "
          f"| {ours:.1f} |\n"
          f"| 8 encoding baselines, fit+predict per seed (ours, summed over processes) "
          f"| {ours_encoding_per_seed:.2f} |\n"
          f"| same 8 models with library defaults, one process, per seed (naive) | {naive_per_seed:.2f} |\n"
          f"\nper-seed ratio naive / ours: {result['speedup_per_seed_single_process']}x "
          f"({result['machine']})")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
