"""Native tpe against optuna:tpe from a results folder of experiments/nb201_cifar10_tpe.toml (or any study).

Usage: python experiments/tpe_vs_optuna.py RESULTS [--reference optuna-tpe] [--json OUT]

Prints, per algorithm label: runs, final test accuracy mean ± std, mean ms per query (the runs'
own wall time), and the two-sided Mann-Whitney U p-value against the reference label (issue 14:
native tpe is "not significantly worse" than optuna:tpe when p > 0.05). Runs that stopped short
of the budget are counted and reported, never averaged in silently.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def compare(results: str, reference: str = "optuna-tpe") -> dict:
    """Per label: final test accuracies, ms per query, and the two-sided Mann-Whitney p against ``reference``."""
    from nasbench_lab.errors import ConfigError
    from nasbench_lab.studies.study import load_study

    study = load_study(results)
    per_bench = study.trajectories()
    if len(per_bench) != 1:
        raise ConfigError(f"{results}: expected one benchmark, found {sorted(per_bench)}")
    runs = next(iter(per_bench.values()))
    if reference not in runs:
        raise ConfigError(f"{results}: no runs labelled {reference!r}; labels: {', '.join(sorted(runs))}")
    budget = study.spec.budget
    out = {}
    for label, trajs in runs.items():
        full = [t for t in trajs if budget is None or len(t) == budget]
        final = np.array([t.final_test for t in full])
        ms = 1e3 * sum(t.meta["wall_s"] for t in full) / max(sum(len(t) for t in full), 1)
        out[label] = {"runs": len(full), "short_runs": len(trajs) - len(full), "mean": float(final.mean()),
                      "std": float(final.std(ddof=1)) if len(final) > 1 else 0.0, "ms_per_query": ms,
                      "final_test": final.tolist()}
    ref = np.asarray(out[reference]["final_test"])
    for label, row in out.items():
        row["p_vs_reference"] = (None if label == reference else
                                 float(mannwhitneyu(row["final_test"], ref, alternative="two-sided").pvalue))
    return out


#: further pairs the docs discuss (paired Wilcoxon, Holm over all pairs), where both labels ran
OTHER_PAIRS = (("tpe", "tpe-independent"), ("reinforce", "rs"), ("bohb", "rs"))


def block(results: str, reference: str = "optuna-tpe") -> str:
    """The docs block ``nb201-tpe-optuna``: accuracy and two tests per label, no (machine-dependent) timings."""
    from nasbench_lab.analysis.stats import pairwise_wilcoxon

    out = compare(results, reference)
    pairs = {frozenset((p["a"], p["b"])): p for p in pairwise_wilcoxon({k: r["final_test"] for k, r in out.items()})}
    paired = {k: p for k, p in pairs.items() if reference in k}
    lines = [f"| algorithm | runs | final test accuracy (%) mean ± std | median | two-sided Mann-Whitney p vs "
             f"{reference} | paired Wilcoxon p vs {reference} (Holm over all pairs) |",
             "|---|---:|---:|---:|---:|---:|"]
    for label, row in out.items():
        short = f" ({row['short_runs']} short, left out)" if row["short_runs"] else ""
        pair = paired.get(frozenset((label, reference)))
        mw = "" if row["p_vs_reference"] is None else f"{row['p_vs_reference']:.2g}"
        wx = "" if pair is None else f"{pair['p']:.2g} ({pair['p_holm']:.2g})"
        lines.append(f"| {label} | {row['runs']}{short} | {row['mean']:.2f} ± {row['std']:.2f} | "
                     f"{np.median(row['final_test']):.2f} | {mw} | {wx} |")
    others = [f"{a} vs {b}: median difference {pairs[frozenset((a, b))]['median_difference']:+.2f}, "
              f"p = {pairs[frozenset((a, b))]['p']:.2g} ({pairs[frozenset((a, b))]['p_holm']:.2g})"
              for a, b in OTHER_PAIRS if frozenset((a, b)) in pairs]
    tail = f"\nOther pairs, paired Wilcoxon p (Holm): {'; '.join(others)}.\n" if others else ""
    return "\n".join(lines) + "\n" + tail


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--reference", default="optuna-tpe")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    out = compare(args.results, args.reference)
    print(f"| algorithm | runs | final test accuracy (%) mean ± std | ms per query | two-sided Mann-Whitney p vs "
          f"{args.reference} |")
    print("|---|---:|---:|---:|---:|")
    for label, row in out.items():
        p = "" if row["p_vs_reference"] is None else f"{row['p_vs_reference']:.2g}"
        short = f" ({row['short_runs']} short, left out)" if row["short_runs"] else ""
        print(f"| {label} | {row['runs']}{short} | {row['mean']:.2f} ± {row['std']:.2f} | {row['ms_per_query']:.2f} "
              f"| {p} |")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
