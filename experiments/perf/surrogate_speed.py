"""Speed of surrogate queries: 100,000 DARTS cells through a 10-member surrogate (target <= 5 s).

Usage: python experiments/perf/surrogate_speed.py [--n 100000] [--repeats 3] [--threads 0] [--json OUT]

Fits the default DARTS surrogate (10 members) on the 725 real NB301 cells of
../shared/data/nb301/nb301_zero_cost_subset.json (read in place; synthetic targets with a note
when the file is absent), saves and reloads it, then times ``query`` of n sampled cells with
``seed="mean"`` and with an int seed (best of --repeats, wall and CPU seconds), the parts of a
query (validation + canonical form + encoding, member predictions), and a naive baseline in the
same run: one ``query`` call per architecture, timed on 500 cells and scaled to n.
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

import nasbench_lab as nl  # noqa: E402
from nasbench_lab.benchmarks.surrogates.surrogate import fit_surrogate  # noqa: E402


def _best(fn, repeats: int) -> tuple[float, float]:
    """(best wall seconds, CPU seconds of that run)."""
    best = (float("inf"), 0.0)
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        run = (time.perf_counter() - w, time.process_time() - c)
        best = min(best, run)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="xgboost prediction threads (0: all cores)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    sp = nl.space("darts")
    data = REPO.parent / "shared/data/nb301/nb301_zero_cost_subset.json"
    if data.is_file():
        doc = json.loads(data.read_text())["cifar10"]
        archs = np.stack([sp.from_string(k) for k in doc])
        y = np.array([v["val_accuracy"] for v in doc.values()])
        source = f"{len(y)} real NB301 cells"
    else:
        archs = sp.sample(np.random.default_rng(0), 725)
        y = 90 + sp.encode(archs, "counts") @ np.linspace(-0.3, 0.3, 34)  # SYNTHETIC targets
        source = "725 random cells with SYNTHETIC targets (shared data absent)"
    t = time.perf_counter()
    fitted = fit_surrogate(sp, archs, y, fidelity=100, dataset="cifar10", seed=0)
    fit_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        fitted.save(tmp)
        bench = nl.load(tmp)
    ens = bench.models["valid_acc"].ensemble
    ens.set_threads(args.threads)
    queries = sp.sample(np.random.default_rng(1), args.n)
    bench.query(queries[:1000], "valid_acc")  # warm-up

    results = {
        "query_mean": _best(lambda: bench.query(queries, "valid_acc"), args.repeats),
        "query_seed": _best(lambda: bench.query(queries, "valid_acc", seed=7), args.repeats),
        "features": _best(lambda: bench.features(queries), args.repeats),
    }
    x = bench.features(queries)
    results["predict_members"] = _best(lambda: ens.predict_members(x), args.repeats)
    few = queries[:500]
    naive = _best(lambda: [bench.query(a, "valid_acc") for a in few], 1)
    results["naive_loop_scaled"] = (naive[0] * args.n / len(few), naive[1] * args.n / len(few))
    rows = {k: {"wall_s": round(v[0], 3), "cpu_s": round(v[1], 3)} for k, v in results.items()}
    report = {
        "machine": f"{os.cpu_count()}-core CPU container, Python {platform.python_version()}, "
                   f"load average {os.getloadavg()[0]:.1f} at the end",
        "n": args.n, "members": len(ens.boosters), "encoding": bench.encoding, "features": int(x.shape[1]),
        "trees_per_member": fitted.info["params"]["rounds"], "max_depth": fitted.info["params"]["max_depth"],
        "fitted_on": source, "fit_seconds": round(fit_s, 1), "prediction_threads": args.threads, "timings": rows,
        "speedup_vs_naive_loop": round(results["naive_loop_scaled"][0] / results["query_mean"][0], 1),
        "target_s": 5.0,
    }
    print(json.dumps(report, indent=2))
    print(f"\n| operation ({args.n:,} DARTS cells, {len(ens.boosters)} members) | wall s | CPU s |\n|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {v['wall_s']} | {v['cpu_s']} |")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
