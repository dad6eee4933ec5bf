"""Weight-sharing study (issue 24): supernet ratings against stand-alone training of the same cells on the same
small data and epochs, and against the NB201 CIFAR-10 table; ranking agreement over supernet epochs; a one-shot
search beside rs / re / BANANAS with the supernet's cost charged.

    nice -n 10 python experiments/weight_sharing_study.py [--data ../shared/data] [--write] [--quick]

Steps (every one resumable: what is trained or run is kept under experiments/out/weight_sharing/, git-ignored,
and a rerun only computes what is missing; delete the folder after a change of code that alters results):

1. stand-alone: ``build_table`` (what ``nasbench-lab build-table`` runs) trains the 100 cells (official indices
   drawn with seed 0) on digits for ``epochs`` epochs with the supernet's macro (C, N), two seeds;
2. supernets: SPOS, few-shot K=1 (one sub-supernet per op of edge 0, each ``epochs`` more epochs) and fair
   sampling, ``epochs`` epochs each, three seeds; each rates the 100 cells (4 BatchNorm calibration batches);
   Kendall tau (tau-b, ties allowed) and Spearman with the stand-alone valid accuracy (mean of the two seeds)
   and with the NB201 CIFAR-10 200-epoch valid accuracy (the real table, read in place);
3. curves: SPOS and fair sampling trained ``curve_epochs`` epochs (seed 0) and the few-shot run's phases, rated
   from every epoch's checkpoint;
4. search: ``nasbench-lab compare`` on NB201 CIFAR-10 with rs, re, bananas, oneshot-rs and oneshot-re (the SPOS
   supernet of seed 0) on a budget of simulated seconds, so the one-shot runs pay their charged setup cost.

``--write`` puts the tables into docs/weight_sharing.md between ``<!-- script:NAME -->`` markers and the figures
into docs/weight_sharing/ (PNG). ``--quick`` runs a tiny version into experiments/out/weight_sharing_quick/ (a
check of the script; it never writes the docs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

EXPERIMENTS = Path(__file__).resolve().parent
REPO = EXPERIMENTS.parent
if str(EXPERIMENTS) not in sys.path:
    sys.path.insert(0, str(EXPERIMENTS))

from bench_supernet_rating import machine  # noqa: E402
from docblocks import write_script_blocks  # noqa: E402

import nasbench_lab  # noqa: E402
from nasbench_lab import live  # noqa: E402
from nasbench_lab.live.jobs import TrainJob  # noqa: E402
from nasbench_lab.live.table import build_table  # noqa: E402

#: supernet variants of the main table: name -> SupernetConfig settings
VARIANTS = {
    "SPOS (one-shot)": {"sampling": "spos"},
    "few-shot K=1": {"sampling": "spos", "few_shot_k": 1},
    "fair sampling": {"sampling": "fair"},
}
#: a stand-alone cell "learns" above this valid accuracy (%); the others stay near chance (10 classes)
LEARNS = 20.0


@dataclass(frozen=True)
class Settings:
    """Sizes of the study (defaults: the documented run, about 10 minutes on 2 shared cores)."""

    data: Path = REPO.parent / "shared" / "data"
    out: Path = EXPERIMENTS / "out" / "weight_sharing"
    figures: Path = REPO / "docs" / "weight_sharing"
    dataset: str = "digits"
    cells: int = 100
    epochs: int = 5
    C: int = 4
    N: int = 1
    standalone_seeds: tuple[int, ...] = (0, 1)
    supernet_seeds: tuple[int, ...] = (0, 1, 2)
    curve_epochs: int = 30
    bn_batches: int = 4
    search_seeds: int = 10
    search_budget_s: float = 100_000.0
    workers: int = 2


QUICK = {"out": EXPERIMENTS / "out" / "weight_sharing_quick", "cells": 12, "epochs": 1, "standalone_seeds": (0, 1),
         "supernet_seeds": (0, 1), "curve_epochs": 2, "search_seeds": 2, "search_budget_s": 20_000.0}


def agree(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Kendall tau-b and Spearman rho of ``x`` and ``y`` over the cells where both are finite."""
    ok = np.isfinite(x) & np.isfinite(y)
    return float(kendalltau(x[ok], y[ok])[0]), float(spearmanr(x[ok], y[ok])[0])


# ----------------------------------------------------------------------------- 1. stand-alone
def standalone(s: Settings, indices: np.ndarray) -> dict:
    """Valid accuracy per seed (cells,), training seconds per seed, from a build-table run of the cells."""
    job = TrainJob(space="nb201", epochs=s.epochs, data=s.dataset, macro={"C": s.C, "N": s.N})
    _, runs = build_table(job, indices, s.standalone_seeds, s.out / "standalone.h5", workers=s.workers, threads=1,
                          progress=True)
    acc = np.full((len(s.standalone_seeds), len(indices)), np.nan)
    seconds = np.zeros(len(s.standalone_seeds))
    for k, seed in enumerate(s.standalone_seeds):
        for i, index in enumerate(indices):
            run = runs[(int(index), seed)]
            if run.status == "ok" and len(run.records) == s.epochs:
                acc[k, i] = run.records[-1].valid_acc
            seconds[k] += run.records[-1].train_time if run.records else 0.0
    return {"acc": acc, "seconds": seconds}


# ----------------------------------------------------------------------------- 2. supernets
def supernet(s: Settings, settings: dict, seed: int, epochs: int | None = None):
    config = live.SupernetConfig(space="nb201", epochs=epochs or s.epochs, C=s.C, N=s.N, data=s.dataset, seed=seed,
                                 **settings)
    return live.train_supernet(config, folder=s.out / "supernets" / config.key())


def rate(s: Settings, trained, cells: np.ndarray) -> tuple[np.ndarray, float]:
    r = live.SupernetRater(trained, bn_batches=s.bn_batches).rate(cells)
    return r.valid_acc, r.rate_seconds


def main_table(s: Settings, cells: np.ndarray, truths: dict[str, np.ndarray], sa: dict) -> tuple[str, dict]:
    """The ranking-agreement table (markdown) and its numbers."""
    learns = np.nanmean(sa["acc"], axis=0) > LEARNS
    numbers: dict = {}
    rows = []
    for name, settings in VARIANTS.items():
        per_seed = []
        for seed in s.supernet_seeds:
            trained = supernet(s, settings, seed)
            ratings, rate_s = rate(s, trained, cells)
            if seed == s.supernet_seeds[0]:
                numbers.setdefault("scatter", {})[name] = ratings.tolist()
            sa_tau, sa_rho = agree(ratings, truths["stand-alone"])
            c10_tau, c10_rho = agree(ratings, truths["cifar10"])
            per_seed.append([sa_tau, sa_rho, agree(ratings[learns], truths["stand-alone"][learns])[0], c10_tau,
                             c10_rho, trained.epochs, trained.config.path_epochs, trained.train_seconds, rate_s])
        v = np.array(per_seed)
        numbers[name] = v.tolist()
        m, sd = v.mean(axis=0), v.std(axis=0)
        pm = [f"{m[j]:+.3f} ± {sd[j]:.3f}" for j in range(5)]
        rows.append(f"| {name} | {len(v)} | {pm[0]} | {pm[1]} | {pm[2]} | {pm[3]} | {pm[4]} | {int(m[5])} | "
                    f"{int(m[6])} | {m[7]:.1f} | {m[8]:.2f} |")
    a, b = sa["acc"][0], sa["acc"][1]
    ceiling = agree(a, b)
    sa_c10 = agree(truths["stand-alone"], truths["cifar10"])
    sa_learns = agree(a[learns], b[learns])[0]
    rows.append(f"| stand-alone training, seed {s.standalone_seeds[0]} vs seed {s.standalone_seeds[1]} (left); "
                f"mean of both vs CIFAR-10 (right) | 1 pair | {ceiling[0]:+.3f} | {ceiling[1]:+.3f} | "
                f"{sa_learns:+.3f} | {sa_c10[0]:+.3f} | {sa_c10[1]:+.3f} | {s.cells * s.epochs} cell epochs per seed | "
                f"{s.cells * s.epochs} | {sa['seconds'].mean():.1f} per seed | |")
    params = live.nb201_params(cells)
    p_sa, p_c10 = agree(params, truths["stand-alone"]), agree(params, truths["cifar10"])
    rows.append(f"| parameter count (no training) | | {p_sa[0]:+.3f} | {p_sa[1]:+.3f} | "
                f"{agree(params[learns], truths['stand-alone'][learns])[0]:+.3f} | {p_c10[0]:+.3f} | {p_c10[1]:+.3f} | "
                "0 | 0 | 0 | |")
    numbers.update({"ceiling": ceiling, "standalone_vs_cifar10": sa_c10, "params": [p_sa, p_c10],
                    "learns": int(learns.sum()), "standalone_seconds": sa["seconds"].tolist()})
    head = ["| rating | seeds | tau vs stand-alone | Spearman vs stand-alone | tau, cells that learn | "
            "tau vs CIFAR-10 | Spearman vs CIFAR-10 | supernet epochs | single-path epochs | training s | "
            f"rating s ({s.cells} cells) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    return "\n".join(head + rows), numbers


# ----------------------------------------------------------------------------- 3. curves
def _at(trained, states: dict, few_shot: bool):
    config = trained.config if few_shot else replace(trained.config, few_shot_k=0)
    return replace(trained, config=config, states=states, records=[], folder=None)


def curves(s: Settings, cells: np.ndarray, truths: dict[str, np.ndarray]) -> dict[str, list[list[float]]]:
    """Per curve: [supernet epochs so far, tau vs stand-alone, tau vs CIFAR-10] after every epoch (cached)."""
    cache_file = s.out / "curves.json"
    cache = json.loads(cache_file.read_text()) if cache_file.is_file() else {}
    out: dict[str, list[list[float]]] = {}

    def point(name: str, x: int, trained) -> None:
        key = f"{name}@{x}"
        if key not in cache:
            ratings, _ = rate(s, trained, cells)
            cache[key] = [x, agree(ratings, truths["stand-alone"])[0], agree(ratings, truths["cifar10"])[0]]
            cache_file.write_text(json.dumps(cache, indent=1))
        out.setdefault(name, []).append(cache[key])

    seed = s.supernet_seeds[0]
    for name, settings in (("SPOS", {"sampling": "spos"}), ("fair sampling", {"sampling": "fair"})):
        trained = supernet(s, settings, seed, s.curve_epochs)
        for e in range(1, s.curve_epochs + 1):
            point(f"{name}, {s.curve_epochs} epochs", e,
                  _at(trained, {"oneshot": live.checkpoint_weights(trained.folder, "oneshot", e)}, False))
    trained = supernet(s, VARIANTS["few-shot K=1"], seed)
    name = f"few-shot K=1, {s.epochs} + 5 x {s.epochs} epochs"
    for e in range(1, s.epochs + 1):
        point(name, e, _at(trained, {"oneshot": live.checkpoint_weights(trained.folder, "oneshot", e)}, False))
    splits = [p for p, _, _ in trained.config.phases() if p != "oneshot"]
    for e in range(1, (trained.config.split_epochs or s.epochs) + 1):
        states = {"oneshot": trained.states["oneshot"],
                  **{p: live.checkpoint_weights(trained.folder, p, e) for p in splits}}
        point(name, s.epochs + len(splits) * e, _at(trained, states, True))
    return out


def curve_table(s: Settings, data: dict[str, list[list[float]]]) -> str:
    marks = sorted({e for e in (1, s.epochs, 10, 20, s.curve_epochs) if e <= s.curve_epochs})
    rows = ["| supernet run (seed 0) | " + " | ".join(f"epoch {e}" for e in marks) + " |",
            "|---|" + "---:|" * len(marks)]
    for name, pts in data.items():
        by_x = {int(p[0]): p for p in pts}
        cells = [f"{by_x[e][1]:+.3f} / {by_x[e][2]:+.3f}" if e in by_x else "" for e in marks]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------- 4. one-shot search
def search(s: Settings, csv: Path) -> tuple[str, str, dict[str, float], float]:
    """Runs the compare study; returns its table (markdown), a line on the charged setup costs, the mean
    final test accuracy per algorithm and the largest setup cost charged (simulated seconds)."""
    from nasbench_lab.cli.main import main as cli
    from nasbench_lab.results.trajectory import Trajectory

    folder = supernet(s, VARIANTS["SPOS (one-shot)"], s.supernet_seeds[0]).folder
    out = s.out / "search"
    code = cli(["compare", "-b", "nb201", "-d", "cifar10", "-p", str(csv), "-A", "rs,re,bananas,oneshot-rs,oneshot-re",
                "--param", f"oneshot-rs.supernet={folder}", "--param", f"oneshot-re.supernet={folder}",
                "--seeds", str(s.search_seeds), "--budget-seconds", f"{s.search_budget_s:g}", "--jobs",
                str(s.workers), "--format", "png", "--quiet", "--out", str(out)])
    if code:
        raise SystemExit(f"compare failed (exit {code})")
    setup, setup_max = {}, 0.0
    for algo in ("oneshot-rs", "oneshot-re"):
        costs = [Trajectory.load(p).meta.get("setup_cost", 0.0) for p in sorted((out / "runs").glob(f"*/{algo}/*"))]
        setup[algo] = f"{algo} {np.mean(costs):,.0f} s"
        setup_max = max(setup_max, *costs)
    table = (out / "table.md").read_text().strip()
    if s.figures and (out / "plots" / "test_vs_time.png").is_file():
        s.figures.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / "plots" / "test_vs_time.png", s.figures / "search_test_vs_time.png")
    means = {row["algorithm"]: float(row["mean"]) for row in json.loads((out / "table.json").read_text())}
    line = "Charged setup cost (mean over seeds, simulated seconds): " + "; ".join(setup.values()) + "."
    return table, line, means, setup_max


# ----------------------------------------------------------------------------- findings
def _sign(x: float) -> str:
    return "positive" if x > 0.05 else "negative" if x < -0.05 else "about zero"


def findings(s: Settings, numbers: dict, curve_data: dict[str, list[list[float]]], means: dict[str, float],
             setup_max: float) -> str:
    """The study's findings as sentences, every number computed here."""
    v = {name: np.array(numbers[name]) for name in VARIANTS}
    m = {name: a.mean(axis=0) for name, a in v.items()}
    order = sorted(VARIANTS, key=lambda n: -m[n][0])
    ranked = ", ".join(f"{n} {m[n][0]:+.3f}" for n in order)
    spos = m["SPOS (one-shot)"]
    lines = [
        f"- Against stand-alone training on the same data and epochs, by mean Kendall tau: {ranked}. Two stand-alone "
        f"seeds agree with each other at {numbers['ceiling'][0]:+.3f}: the truth is itself noisy at this size (it "
        "is the mean of the two seeds, less noisy than one, so a rating can exceed that figure). The parameter count, "
        f"with no training, reaches {numbers['params'][0][0]:+.3f}.",
        f"- Cost: few-shot K=1 trains {m['few-shot K=1'][5] / spos[5]:.0f}x the supernet epochs of SPOS, fair "
        f"sampling {m['fair sampling'][6] / spos[6]:.0f}x its single-path epochs; in seconds, few-shot "
        f"{m['few-shot K=1'][7] / spos[7]:.1f}x and fair {m['fair sampling'][7] / spos[7]:.1f}x SPOS. The stand-alone "
        f"table of the {s.cells} cells costs {np.mean(numbers['standalone_seconds']) / spos[7]:.0f}x SPOS's training "
        "seconds per seed.",
        f"- Against the NB201 CIFAR-10 table the ratings of these {s.epochs}-epoch supernets agree: "
        + ", ".join(f"{n} {m[n][3]:+.3f} ({_sign(m[n][3])})" for n in VARIANTS)
        + f"; stand-alone training on digits reaches {numbers['standalone_vs_cifar10'][0]:+.3f} and the parameter "
        f"count {numbers['params'][1][0]:+.3f}.",
    ]
    for name, pts in curve_data.items():
        p = np.array(pts)
        last = p[-10:] if len(p) >= 10 else p
        lines.append(
            f"- {name}: Kendall tau against stand-alone from {p[0, 1]:+.3f} after the first epoch to {p[-1, 1]:+.3f} "
            f"after the last (range over the last {len(last)} points {last[:, 1].min():+.3f} .. "
            f"{last[:, 1].max():+.3f}); against CIFAR-10 from {p[0, 2]:+.3f} to {p[-1, 2]:+.3f}.")
    best = max(means, key=lambda a: means[a])
    below = [a for a in ("oneshot-rs", "oneshot-re") if means[a] < means["rs"]]
    lines.append(
        f"- Search: {best} has the best mean final test accuracy ({means[best]:.2f} %); oneshot-rs "
        f"{means['oneshot-rs']:.2f} % and oneshot-re {means['oneshot-re']:.2f} % against random search's "
        f"{means['rs']:.2f} % ({len(below)} of the 2 below it). Both follow the ratings of the SPOS supernet of the "
        f"table, whose Kendall tau with CIFAR-10 is {numbers['SPOS (one-shot)'][0][3]:+.3f} for that seed: they query "
        "first what it rates best. Their charged setup cost (below the table) is "
        f"{100 * setup_max / s.search_budget_s:.1f} % of the budget at most.")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figures
def draw_scatter(s: Settings, cells_truth: dict[str, np.ndarray], ratings: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(ratings), figsize=(4 * len(ratings), 7.2), squeeze=False)
    for j, (name, r) in enumerate(ratings.items()):
        for i, (what, truth) in enumerate((("stand-alone valid acc. on digits (%)", cells_truth["stand-alone"]),
                                           ("NB201 CIFAR-10 valid acc. (%)", cells_truth["cifar10"]))):
            ax = axes[i, j]
            ax.scatter(r, truth, s=12, alpha=0.7)
            tau, rho = agree(np.asarray(r), truth)
            ax.set_title(f"{name}\nKendall {tau:+.3f}, Spearman {rho:+.3f}", fontsize=9)
            ax.set_xlabel("supernet rating: valid acc. on digits (%)", fontsize=8)
            ax.set_ylabel(what, fontsize=8)
    fig.suptitle(f"{s.cells} NB201 cells, supernets of {s.epochs} epochs (seed {s.supernet_seeds[0]}), C={s.C}, "
                 f"N={s.N}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def draw_curves(s: Settings, data: dict[str, list[list[float]]], refs: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for k, (ax, what) in enumerate(zip(axes, ("stand-alone training on digits", "NB201 CIFAR-10 table"))):
        for name, pts in data.items():
            p = np.array(pts)
            ax.plot(p[:, 0], p[:, 1 + k], marker="o", ms=3, label=name)
        ax.axhline(refs["params"][k][0], color="gray", ls=":", label="parameter count")
        if k == 0:
            ax.axhline(refs["ceiling"][0], color="black", ls="--", label="stand-alone seed vs seed")
        else:
            ax.axhline(refs["standalone_vs_cifar10"][0], color="black", ls="--", label="stand-alone (digits)")
        ax.set_xlabel("supernet epochs trained (few-shot: all sub-supernets counted)")
        ax.set_ylabel("Kendall tau")
        ax.set_title(f"rating vs {what}", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ----------------------------------------------------------------------------- main
def run(s: Settings, write: bool) -> dict:
    start = time.perf_counter()
    from_scratch = not s.out.exists()
    s.out.mkdir(parents=True, exist_ok=True)
    csv = s.data / "nb201" / "nb201_tables.csv"
    if not csv.is_file():
        raise SystemExit(f"the NB201 table is not at {csv}; pass --data DIR (the folder holding nb201/)")
    bench = nasbench_lab.load("nb201", dataset="cifar10", path=str(csv))
    sp = bench.space
    indices = np.sort(np.random.default_rng(0).choice(sp.size, s.cells, replace=False))
    cells = sp.from_index(indices)
    sa = standalone(s, indices)
    truths = {"stand-alone": np.nanmean(sa["acc"], axis=0), "cifar10": bench.query_batch(cells, "valid_acc", 200)}
    print("stand-alone done", flush=True)
    table, numbers = main_table(s, cells, truths, sa)
    print(table, flush=True)
    curve_data = curves(s, cells, truths)
    ctable = curve_table(s, curve_data)
    print(ctable, flush=True)
    search_table, setup_line, means, setup_max = search(s, csv)
    print(search_table, setup_line, sep="\n", flush=True)
    distinct = len(np.unique(truths["stand-alone"][np.isfinite(truths["stand-alone"])]))
    learns = numbers["learns"]
    if s.figures:
        s.figures.mkdir(parents=True, exist_ok=True)
        draw_scatter(s, truths, numbers["scatter"], s.figures / "scatter.png")
        draw_curves(s, curve_data, numbers, s.figures / "tau_over_epochs.png")
    wall = time.perf_counter() - start
    scratch_file = s.out / "from_scratch.json"
    if from_scratch:  # the cost of the whole study is known only when nothing was on disk before
        scratch_file.write_text(json.dumps({"wall_s": wall, "date": time.strftime("%Y-%m-%d"), "machine": machine()}))
    scratch = json.loads(scratch_file.read_text()) if scratch_file.is_file() else None
    cost_line = (f"The whole study from an empty folder took {scratch['wall_s']:.0f} s wall clock on "
                 f"{scratch['date']} ({scratch['machine']}, `nice -n 10`, {s.workers} workers)." if scratch else
                 "The wall clock of a run from an empty folder was not recorded (the folder predates the record).")
    sa_spread = np.nanpercentile(truths["stand-alone"][np.nanmean(sa["acc"], axis=0) > LEARNS], [0, 50, 100])
    blocks = {
        "ws-setup": "\n".join([
            f"Machine of this run: {machine()}; {time.strftime('%Y-%m-%d')}. {cost_line} Seconds in the tables are "
            "measured when each step ran (a rerun loads trained weights and finished runs, with their seconds).",
            "",
            f"Data: `{s.dataset}` (live backend, 8x8 grayscale, 10 classes; valid split of 359 images). Cells: "
            f"{s.cells} NB201 cells (official indices drawn with seed 0). Networks: the small live NB201 macro at "
            f"C={s.C}, N={s.N}; every training uses live training's recipe (SGD, Nesterov, lr 0.1 cosine, batch 64) "
            f"for {s.epochs} epochs (few-shot: {s.epochs} one-shot epochs, then each of the 5 sub-supernets "
            f"{s.epochs} more). Stand-alone: seeds {', '.join(map(str, s.standalone_seeds))}, the truth is the mean "
            f"of their valid accuracies after epoch {s.epochs}; {learns} of the {s.cells} cells learn (above "
            f"{LEARNS:g} %; the rest stay near chance), those span {sa_spread[0]:.1f} / {sa_spread[1]:.1f} / "
            f"{sa_spread[2]:.1f} % (min / median / max), and the {s.cells} means take {distinct} distinct values. "
            f"Supernet seeds: {', '.join(map(str, s.supernet_seeds))}; ratings with {s.bn_batches} BatchNorm "
            "calibration batches of 64. CIFAR-10: the NB201 table's 200-epoch valid accuracy (mean over seeds).",
        ]),
        "ws-table": table,
        "ws-curves": ctable,
        "ws-findings": findings(s, numbers, curve_data, means, setup_max),
        "ws-search": "\n".join([
            f"`nasbench-lab compare -b nb201 -d cifar10 -A rs,re,bananas,oneshot-rs,oneshot-re --seeds "
            f"{s.search_seeds} --budget-seconds {s.search_budget_s:g}` with `oneshot-*.supernet` = the SPOS "
            f"supernet of seed {s.supernet_seeds[0]} above ({s.epochs} epochs); final test accuracy (%) of each "
            "run's incumbent on the NB201 CIFAR-10 table; wall_s: seconds summed over the runs (the one-shot runs' "
            "are loading the supernet and rating cells).",
            "",
            search_table,
            "",
            setup_line,
        ]),
    }
    summary = {"settings": {k: str(v) for k, v in s.__dict__.items()}, "numbers": numbers, "curves": curve_data,
               "blocks": blocks, "wall_s": wall}
    (s.out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
    if write:
        print("wrote", write_script_blocks(blocks, REPO / "docs" / "weight_sharing.md"))
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=Settings.data, help="folder holding nb201/nb201_tables.csv")
    p.add_argument("--write", action="store_true", help="write the tables into docs/weight_sharing.md")
    p.add_argument("--quick", action="store_true", help="a tiny run (a check of the script), docs untouched")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args(argv)
    s = Settings(data=args.data, workers=args.workers)
    if args.quick:
        s = replace(s, **QUICK, figures=QUICK["out"] / "figures")  # type: ignore[arg-type]
    run(s, args.write and not args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
