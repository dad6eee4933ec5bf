"""Search speed: queries per second of rs, re, ls, de on one core, model-based search against its previous
implementation, and the full default comparison's wall time.

Usage: python experiments/perf/search_speed.py [--path CSV] [--queries 20000] [--repeats 3]
       [--seeds 100] [--model-seeds 100] [--budget 150] [--jobs 2] [--skip-compare] [--skip-model] [--json OUT]

Model-based search (issue 13): bananas, gbdt and npred, 150 queries on NB201 CIFAR-10, ``--model-seeds``
seeds each, CPU seconds per run (one core) of today's implementation and of the previous one, kept here
as it was (``OldMLPEnsemble``: per-tensor Adam; ``OldNeuralPredictor``: takes the whole ranking at once;
bananas and gbdt refit from scratch, ``warm_start=False``, xgboost through ``xgb.train``; features computed
for every batch and every row predicted, ``Uncached``), runs of the two interleaved seed by seed, with a
two-sided Mann-Whitney test that the final test accuracies of the two come from the same distribution
(targets: bananas <= 0.1 s, gbdt <= 0.05 s, npred <= 0.03 s per run; p > 0.05). The previous versions keep
the previous bookkeeping of proposals too (``PreviousBookkeeping``: lists of rows) and gbdt its pool of 2000.

Targets (issue 5): rs, re, ls and de >= 20,000 queries/s each on one core; the full default comparison
(rs, re, ls, de, bananas, gbdt, npred, zc, hb; 30 seeds; 150 queries; NB201 CIFAR-10) <= 60 s wall on
two cores, results folder and plots included. Each algorithm's speed comes with a naive baseline
measured in the same run: the same algorithm written with one Python object per architecture
(a list of op names), ``copy.deepcopy`` to mutate, and a dict lookup by architecture string per
query, which is how many NAS search loops are written. Prints a Markdown table (figures for docs/search.md).
"""

from __future__ import annotations

import argparse
import copy
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
DEFAULT_CSV = REPO.parent / "shared" / "data" / "nb201" / "nb201_tables.csv"
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


# ---------------------------------------------------------------------------- naive baseline
class NaiveArch:
    """One object per architecture: op names per edge, as naive search code keeps them."""

    def __init__(self, ops: list[str]):
        self.ops = ops

    def to_str(self) -> str:
        o = self.ops
        return f"|{o[0]}~0|+|{o[1]}~0|{o[2]}~1|+|{o[3]}~0|{o[4]}~1|{o[5]}~2|"

    def mutate(self, rng) -> NaiveArch:
        child = copy.deepcopy(self)
        edge = int(rng.integers(6))
        child.ops[edge] = str(rng.choice([op for op in OPS if op != child.ops[edge]]))
        return child

    def neighbours(self) -> list[NaiveArch]:
        out = []
        for edge in range(6):
            for op in OPS:
                if op != self.ops[edge]:
                    child = copy.deepcopy(self)
                    child.ops[edge] = op
                    out.append(child)
        return out


def naive_table(bench) -> dict[str, list[float]]:
    space = bench.space
    per_seed = bench.table.metrics["valid_acc"].values[:, :, bench.fidelities.index(200)]
    return {space.to_string(a): [float(v) for v in row if v == v] for a, row in zip(space.all(), per_seed)}


def naive_query(table, arch: NaiveArch, rng) -> float:
    seeds = table[arch.to_str()]
    return seeds[int(rng.integers(len(seeds)))]


def naive_random(rng) -> NaiveArch:
    return NaiveArch([str(rng.choice(OPS)) for _ in range(6)])


def naive_rs(table, n, rng):
    return [naive_query(table, naive_random(rng), rng) for _ in range(n)]


def naive_re(table, n, rng, pop_size=10, sample=3):
    pop, history = [], []
    for i in range(n):
        if i < pop_size:
            child = naive_random(rng)
        else:
            picks = rng.choice(len(pop), sample, replace=False)
            child = max((pop[j] for j in picks), key=lambda m: m[1])[0].mutate(rng)
        pop.append((child, naive_query(table, child, rng)))
        history.append(pop[-1][1])
        if len(pop) > pop_size:
            pop.pop(0)
    return history


def naive_ls(table, n, rng, num_init=10):
    visited, history, current = set(), [], None
    while len(history) < n:
        if current is None:
            starts = [a for a in (naive_random(rng) for _ in range(num_init)) if a.to_str() not in visited]
            scored = [(a, naive_query(table, a, rng)) for a in starts]
            visited.update(a.to_str() for a in starts)
            history += [v for _, v in scored]
            current = max(scored, key=lambda m: m[1]) if scored else None
            continue
        cands = [a for a in current[0].neighbours() if a.to_str() not in visited]
        scored = [(a, naive_query(table, a, rng)) for a in cands]
        visited.update(a.to_str() for a in cands)
        history += [v for _, v in scored]
        best = max(scored, key=lambda m: m[1]) if scored else None
        current = best if best and best[1] > current[1] else None
    return history[:n]


def naive_de(table, n, rng, pop_size=20, f=0.5, cr=0.5):
    def decode(vec):
        return NaiveArch([OPS[min(int(u * 5), 4)] for u in vec])

    pop = [rng.random(6) for _ in range(pop_size)]
    fit = [naive_query(table, decode(v), rng) for v in pop]
    history = list(fit)
    while len(history) < n:
        for j in range(pop_size):
            r1, r2, r3 = rng.choice([i for i in range(pop_size) if i != j], 3, replace=False)
            mutant = np.clip(pop[r1] + f * (pop[r2] - pop[r3]), 0, 1)
            cross = rng.random(6) < cr
            cross[rng.integers(6)] = True
            trial = np.where(cross, mutant, pop[j])
            value = naive_query(table, decode(trial), rng)
            history.append(value)
            if value >= fit[j]:
                pop[j], fit[j] = trial, value
    return history[:n]


NAIVE = {"rs": naive_rs, "re": naive_re, "ls": naive_ls, "de": naive_de}


# ---------------------------------------------------------------------------- previous model-based search
class PreviousBookkeeping:
    """The previous proposal bookkeeping of ModelBasedSearch, kept as it was: proposals, candidates and picks as
    lists of rows (one ``np.stack`` per ask), for the previous versions of bananas, gbdt and npred."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._queue = []

    def ask(self, n):
        out = []
        while len(out) < n:
            if not self._queue:
                if len(self._values) < self.num_init:
                    self._queue = self.fresh_random(n - len(out))
                else:
                    self._queue = list(self._next_batch()) or self.fresh_random(n - len(out))
                if not self._queue:
                    break
            out.append(self._queue.pop(0))
        return np.stack(out) if out else self.empty()

    def unvisited(self, cands, mark=True):
        out = [cands[i] for i in self._unvisited_index(cands)]
        if mark:
            self.mark(out)
        return out

    def _unvisited_index(self, cands):
        keys = np.asarray(self.space.keys(cands), dtype=np.int64)
        if len(keys) <= 64:
            out, seen = [], set()
            for i, key in enumerate(keys.tolist()):
                if key not in self._visited and key not in seen:
                    seen.add(key)
                    out.append(i)
            return out
        _, first = np.unique(keys, return_index=True)
        first.sort()
        if self._visited:
            visited = np.fromiter(self._visited, dtype=np.int64, count=len(self._visited))
            first = first[~np.isin(keys[first], visited)]
        return first.tolist()

    def fresh_random(self, k):
        out = []
        for _ in range(10):
            if len(out) >= k:
                return out
            out += self.unvisited(self.space.sample(self.rng, k - len(out)))
        every = self.space.all()
        visited = np.fromiter(self._visited, dtype=np.int64, count=len(self._visited))
        rest = every[~np.isin(self.space.keys(every), visited)]
        return out + self.unvisited(rest[self.rng.permutation(len(rest))[: k - len(out)]])

    def take(self, ranked, k):
        return self.take_head(ranked, k)[0]

    def take_head(self, ranked, k):
        index, start, chunk = [], 0, 4 * k
        while len(index) < k and start < len(ranked):
            index = self._unvisited_index(ranked[: start + chunk])[:k]
            start, chunk = start + chunk, chunk * 4
        picked = [ranked[i] for i in index]
        self.mark(picked)
        return picked, (index[-1] + 1 if len(index) == k else len(ranked))

    def mark(self, archs):
        if len(archs):
            self._visited.update(self.space.keys(np.stack(archs)).tolist())

    def candidate_pool(self, size):
        if size is None:
            if self._every is None:
                self._every = self.space.all()
                self._every_keys = self.space.keys(self._every)
            visited = np.fromiter(self._visited, dtype=np.int64, count=len(self._visited))
            return self._every[~np.isin(self._every_keys, visited)]
        return self._stack(self.unvisited(self.space.sample(self.rng, size), mark=False))

    def mutation_pool(self, parents, size, max_mutations=1):
        out = parents[np.arange(size) % len(parents)]
        steps = self.rng.integers(1, max_mutations + 1, size=size)
        for step in range(1, max_mutations + 1):
            mutated = self.space.mutate(out, self.rng)
            out = np.where((steps >= step).reshape(-1, *[1] * (out.ndim - 1)), mutated, out)
        return self._stack(self.unvisited(out, mark=False))

    def _stack(self, archs):
        return np.stack(archs) if len(archs) else self.empty()


def register_previous() -> None:
    """The previous predictors and model-based searches, registered as mlp_ens_old, xgb_old, bananas_old,
    gbdt_old and npred_old."""
    from nasbench_lab.predictors.base import Predictor
    from nasbench_lab.predictors.mlp import _DTYPE, MLPEnsemblePredictor
    from nasbench_lab.predictors.registry import PREDICTORS, register_predictor
    from nasbench_lab.predictors.trees import XGBPredictor
    from nasbench_lab.search.bananas import Bananas
    from nasbench_lab.search.base import OPTIMIZERS, register_optimizer
    from nasbench_lab.search.gbdt_search import GBDTSearch
    from nasbench_lab.search.neural_predictor import NeuralPredictorSearch
    from nasbench_lab.spaces.features import compute_features

    if "npred_old" in OPTIMIZERS.names():
        return

    class Uncached:
        """Features computed for every batch, every row predicted: before the listing's encoding was kept."""

        rowwise = False

        def transform(self, archs):
            return compute_features(self.space, self.space.validate(archs), self.encoding)

    @register_predictor("mlp_ens_old")
    class OldMLPEnsemble(Uncached, MLPEnsemblePredictor):
        _predict_mean_std = Predictor._predict_mean_std  # two forward passes, one for the mean, one for the std

        def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
            rng = self._rng()
            m, d, h = self.n_members, X.shape[1], self.width
            dims = [d] + [h] * self.n_layers + [1]
            dt = _DTYPE
            self._W = [(rng.standard_normal((m, a, b)) * np.sqrt(2.0 / a)).astype(dt)
                       for a, b in zip(dims[:-1], dims[1:])]
            self._b = [np.zeros((m, 1, b), dtype=dt) for b in dims[1:]]
            params = self._W + self._b
            mom = [np.zeros_like(p) for p in params]
            vel = [np.zeros_like(p) for p in params]
            Xb = X.astype(_DTYPE)[None]
            XT = np.ascontiguousarray(np.swapaxes(Xb, 1, 2))
            target = y.astype(dt)[None, :, None]
            n = X.shape[0]
            b1, b2, eps, lr, wd = 0.9, 0.999, 1e-8, self.learning_rate, self.weight_decay
            n_w = len(self._W)
            for step in range(1, self.epochs + 1):
                acts, pre = [Xb], []
                for k in range(n_w):
                    z = acts[-1] @ self._W[k] + self._b[k]
                    pre.append(z)
                    acts.append(np.maximum(z, 0.0) if k < n_w - 1 else z)
                grad = 2.0 * (acts[-1] - target) / n
                gW, gb = [None] * n_w, [None] * n_w
                for k in range(n_w - 1, -1, -1):
                    a = acts[k]
                    at = XT if k == 0 else np.ascontiguousarray(np.swapaxes(a, 1, 2))
                    gW[k] = at @ grad + wd * self._W[k]
                    gb[k] = grad.sum(axis=1, keepdims=True)
                    if k:
                        grad = (grad @ np.ascontiguousarray(np.swapaxes(self._W[k], 1, 2))) * (pre[k - 1] > 0)
                c1, c2 = 1 - b1**step, 1 - b2**step
                for i, g in enumerate(gW + gb):
                    mom[i] = b1 * mom[i] + (1 - b1) * g
                    vel[i] = b2 * vel[i] + (1 - b2) * g * g
                    params[i] -= lr * (mom[i] / c1) / (np.sqrt(vel[i] / c2) + eps)

    @register_predictor("xgb_old")
    class OldXGB(Uncached, XGBPredictor):
        def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
            import xgboost as xgb

            params = {"objective": "reg:squarederror", "max_depth": self.max_depth, "eta": self.learning_rate,
                      "subsample": self.subsample, "colsample_bytree": self.colsample_bytree,
                      "min_child_weight": self.min_child_weight, "lambda": self.reg_lambda,
                      "tree_method": "hist", "nthread": self.n_jobs, "seed": self._seed(), "verbosity": 0}
            self._booster = xgb.train(params, xgb.DMatrix(X, label=y, nthread=self.n_jobs),
                                      num_boost_round=self.n_estimators)

        def _predict(self, X: np.ndarray) -> np.ndarray:
            import xgboost as xgb

            return self._booster.predict(xgb.DMatrix(X, nthread=self.n_jobs))

    @register_optimizer("npred_old")
    class OldNeuralPredictor(PreviousBookkeeping, NeuralPredictorSearch):
        def _next_batch(self):
            pool = self.candidate_pool(self.pool_size)
            if not len(pool):
                return []
            ranked = pool[np.argsort(-self.fit().predict(pool), kind="stable")]
            return self.take(ranked, self.refit_every or len(ranked))

    @register_optimizer("bananas_old")
    class OldBananas(PreviousBookkeeping, Bananas):
        pass

    @register_optimizer("gbdt_old")
    class OldGBDT(PreviousBookkeeping, GBDTSearch):
        pass

    assert {"mlp_ens_old", "xgb_old"} <= set(PREDICTORS.names())


OLD_MLP = {"n_members": 5, "width": 32, "n_layers": 2, "epochs": 50}
OLD_XGB = {"n_estimators": 100, "max_depth": 4, "learning_rate": 0.1}
#: (label, algorithm, params) of today's and the previous implementation
MODEL_BASED = {
    "bananas": (("bananas", {}), ("bananas_old", {"warm_start": False, "predictor": "mlp_ens_old",
                                                 "predictor_params": OLD_MLP})),
    "gbdt": (("gbdt", {}), ("gbdt_old", {"warm_start": False, "pool_size": 2000, "predictor": "xgb_old",
                                         "predictor_params": OLD_XGB})),
    "npred": (("npred", {}), ("npred_old", {"predictor": "mlp_ens_old", "predictor_params": OLD_MLP})),
}


def model_section(bench, seeds: int, budget: int) -> dict:
    """CPU seconds per run and final accuracy of today's and the previous model-based search, same seeds."""
    from scipy import stats

    from nasbench_lab.analysis.stats import mann_whitney_greater
    from nasbench_lab.search import run

    register_previous()
    out = {}
    for label, versions in MODEL_BASED.items():
        labelled = list(zip(("new", "old"), versions))
        for _, (algo, params) in labelled:
            run(bench, algo, seed=10_000, budget=budget, params=params)  # warm-up
        runs: dict[str, dict[str, list]] = {which: {"finals": [], "cpu": [], "queries": []} for which, _ in labelled}
        for seed in range(seeds):  # interleaved, so that a change in machine load hits both alike
            for which, (algo, params) in labelled:
                start = time.process_time()
                traj = run(bench, algo, seed=seed, budget=budget, params=params)
                runs[which]["cpu"].append(time.process_time() - start)
                runs[which]["finals"].append(traj.final_test)
                runs[which]["queries"].append(len(traj.valid))
        result = {which: {"cpu_s_per_run": float(np.mean(r["cpu"])), "mean_test": float(np.mean(r["finals"])),
                          "std_test": float(np.std(r["finals"], ddof=1)), "finals": r["finals"],
                          "min_queries": int(min(r["queries"]))} for which, r in runs.items()}
        new, old = result["new"], result["old"]
        p = float(stats.mannwhitneyu(new["finals"], old["finals"], alternative="two-sided").pvalue)
        result.update({"speedup": old["cpu_s_per_run"] / new["cpu_s_per_run"], "p_two_sided": p,
                       "p_new_worse": mann_whitney_greater(old["finals"], new["finals"])})
        out[label] = result
        print(f"{label}: {new['cpu_s_per_run']:.3f} s/run (previous {old['cpu_s_per_run']:.3f}, "
              f"{result['speedup']:.1f}x); final {new['mean_test']:.2f} +- {new['std_test']:.2f} vs "
              f"{old['mean_test']:.2f} +- {old['std_test']:.2f}, Mann-Whitney p = {p:.2f}", file=sys.stderr)
    return out


# ---------------------------------------------------------------------------- measurements
def best_rate(fn, n: int, repeats: int) -> float:
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        done = fn()
        best = max(best, done / (time.perf_counter() - start))
    return best


def speed_section(bench, queries: int, repeats: int) -> dict:
    from nasbench_lab.search import run

    table = naive_table(bench)
    out = {}
    for name in ("rs", "re", "ls", "de"):
        n = min(queries, 15000) if name == "ls" else queries  # local search would exhaust the 15,625 cells
        run(bench, name, seed=0, budget=200)  # warm-up (lookup tables)
        ours = best_rate(lambda name=name, n=n: len(run(bench, name, seed=1, budget=n)), n, repeats)
        naive_n = max(n // 10, 1000)
        naive = best_rate(lambda name=name, m=naive_n: len(NAIVE[name](table, m, np.random.default_rng(1))),
                          naive_n, repeats)
        out[name] = {"queries": n, "queries_per_s": ours, "naive_queries": naive_n, "naive_queries_per_s": naive,
                     "speedup": ours / naive}
        print(f"{name}: {ours:,.0f} queries/s (naive {naive:,.0f}/s, {ours / naive:.1f}x)", file=sys.stderr)
    return out


def compare_section(path: Path, seeds: int, budget: int, jobs: int) -> dict:
    from nasbench_lab.cli.cmd_compare import DEFAULT_ALGORITHMS
    from nasbench_lab.studies.report import write_report
    from nasbench_lab.studies.study import AlgorithmEntry, BenchmarkEntry, Study, StudySpec

    spec = StudySpec(benchmarks=(BenchmarkEntry("nb201", "cifar10", str(path)),),
                     algorithms=tuple(AlgorithmEntry(a) for a in DEFAULT_ALGORITHMS), seeds=tuple(range(seeds)),
                     budget=budget, name="speed")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        study = Study(spec, Path(tmp) / "out")
        study.execute(jobs=jobs, progress=False)
        runs_done = time.perf_counter()
        summary = write_report(study)
        end = time.perf_counter()
        from nasbench_lab.studies.report import _stats

        finals = {k: np.asarray(v["final_test_acc"], dtype=np.float64) for k, v in summary.items()}
        t0 = time.perf_counter()
        _stats(finals, True)  # statistics alone (scipy already imported)
        stats_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_report(Study(spec, Path(tmp) / "out"))  # a rerun with nothing left to run: report and figures
        rerun_s = time.perf_counter() - t0
    per_algo = {k: {"mean_test": float(np.mean(v["final_test_acc"])), "cpu_wall_s": v["wall_s"]}
                for k, v in summary.items()}
    print(f"compare: {end - start:.1f} s wall ({runs_done - start:.1f} s runs, {end - runs_done:.1f} s report)",
          file=sys.stderr)
    return {"algorithms": list(DEFAULT_ALGORITHMS), "seeds": seeds, "budget": budget, "jobs": jobs,
            "wall_s": end - start, "runs_wall_s": runs_done - start, "report_wall_s": end - runs_done,
            "stats_s": stats_s, "report_rerun_s": rerun_s, "per_algorithm": per_algo}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--path", default=str(DEFAULT_CSV), help="nb201_tables.csv (default ../shared/data/nb201)")
    ap.add_argument("--queries", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=100, help="seeds of the full default comparison")
    ap.add_argument("--model-seeds", type=int, default=100, help="seeds of the model-based comparison")
    ap.add_argument("--skip-model", action="store_true")
    ap.add_argument("--skip-speed", action="store_true", help="skip the rs/re/ls/de queries-per-second section")
    ap.add_argument("--budget", type=int, default=150)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-compare", action="store_true")
    ap.add_argument("--json", default=None, help="also write the figures as JSON here")
    args = ap.parse_args()
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    import nasbench_lab

    if not Path(args.path).is_file():
        raise SystemExit(f"NAS-Bench-201 table not found at {args.path} (pass --path)")
    bench = nasbench_lab.load("nb201", "cifar10", path=args.path)
    info = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_start": round(os.getloadavg()[0], 2)}
    result = {"machine": info, "speed": {} if args.skip_speed else speed_section(bench, args.queries, args.repeats)}
    if not args.skip_model:
        result["model_based"] = model_section(bench, args.model_seeds, args.budget)
    if not args.skip_compare:
        result["compare"] = compare_section(Path(args.path), args.seeds, args.budget, args.jobs)
    info["loadavg_end"] = round(os.getloadavg()[0], 2)
    print(f"\nMachine: {info['cpus']} CPUs, Python {info['python']}, load average {info['loadavg_start']} at start, "
          f"{info['loadavg_end']} at end\n")
    print("| algorithm | queries/s (one core) | naive baseline queries/s | speed-up |")
    print("|---|---:|---:|---:|")
    for name, row in result["speed"].items():
        print(f"| {name} | {row['queries_per_s']:,.0f} | {row['naive_queries_per_s']:,.0f} | {row['speedup']:.1f}x |")
    if "model_based" in result:
        print(f"\nModel-based search, {args.budget} queries, {args.model_seeds} seeds, CPU s per run (one core):\n")
        print("| algorithm | s per run | previous s per run | speed-up | final test (%) | previous | "
              "Mann-Whitney p (two-sided) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, r in result["model_based"].items():
            new, old = r["new"], r["old"]
            print(f"| {name} | {new['cpu_s_per_run']:.3f} | {old['cpu_s_per_run']:.3f} | {r['speedup']:.1f}x "
                  f"| {new['mean_test']:.2f} +- {new['std_test']:.2f} | {old['mean_test']:.2f} +- "
                  f"{old['std_test']:.2f} | {r['p_two_sided']:.2f} |")
    if "compare" in result:
        c = result["compare"]
        print(f"\nFull default comparison ({len(c['algorithms'])} algorithms x {c['seeds']} seeds x {c['budget']} "
              f"queries, {c['jobs']} processes): {c['wall_s']:.1f} s wall ({c['runs_wall_s']:.1f} s runs, "
              f"{c['report_wall_s']:.1f} s report and plots); statistics alone {c['stats_s']:.3f} s; the report of "
              f"the finished study redone (figures redrawn) {c['report_rerun_s']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
