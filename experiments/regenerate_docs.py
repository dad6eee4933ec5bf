"""One command that regenerates every generated result block of README.md and docs/*.md from the code at HEAD.

Usage: python experiments/regenerate_docs.py [--cheap] [--check] [--only NAME,...] [--jobs 2]
       [--data ../shared/data] [--out results/docs]
- default: every generator below (the NB201 comparison, the paper protocol, the predictor and
  proxy tables, the isomorphism counts), then writes the blocks ``<!-- generated:NAME -->``;
- ``--cheap``: the cheap subset (isomorphism counts, the NASLib edge-order check, the NB201
  comparison table, the NB201 CIFAR-10 predictor tables), which ``tests/test_docs_generated.py`` (slow) re-runs;
- ``--check``: writes nothing into the docs (figures go under ``--out``); exits 1 listing the
  blocks whose text differs from what the code produces now.
Results folders under ``--out`` are resumable (a rerun only computes what is missing; delete the
folder after a code change that alters results). Numbers still outside generated blocks: the speed
tables (machine-dependent; experiments/perf/*.py print them), the surrogate, live-training and
NB101/NAS-Bench-Graph figures of their docs pages.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parent
REPO = EXPERIMENTS.parent
if str(EXPERIMENTS) not in sys.path:
    sys.path.insert(0, str(EXPERIMENTS))

from docblocks import stale_blocks, write_blocks  # noqa: E402  (a sibling script, found through sys.path)


@dataclass(frozen=True)
class Settings:
    """Where the data is, where results and figures go, how many processes."""

    data: Path = REPO.parent / "shared" / "data"
    out: Path = REPO / "results" / "docs"
    images: Path = REPO / "docs" / "predictors"
    jobs: int = 2
    cheap: bool = False


@dataclass(frozen=True)
class Generator:
    """A function computing some blocks, the block names it owns, and whether the cheap subset runs it."""

    name: str
    blocks: tuple[str, ...]
    cheap: bool
    make: Callable[[Settings], dict[str, str]]


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


def search_blocks(settings: Settings) -> dict[str, str]:
    import search_tables

    return search_tables.blocks(settings.out / "search", settings.jobs, paper=not settings.cheap)


def predictor_blocks(settings: Settings) -> dict[str, str]:
    import predictor_figures

    return predictor_figures.blocks(settings.data, settings.out / "predictors", settings.images, settings.jobs,
                                    settings.cheap)


GENERATORS = (
    Generator("isomorphism", ("nb201-isomorphism",), True, isomorphism_blocks),
    Generator("edge-order", ("nb201-edge-order",), True, edge_order_blocks),
    Generator("search", ("nb201-cifar10-readme", "nb201-cifar10-search", "nb201-paper-table", "nb201-paper-readme"),
              True, search_blocks),
    Generator("predictors", ("predictors-readme", "predictors-full", "predictors-ablation", "predictors-lowfi",
                             "proxies-nb201", "proxies-nb101", "proxy-predictors"), True, predictor_blocks),
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
    images = args.out / "images" if args.check else Settings.images  # --check leaves the committed figures alone
    blocks = generate(Settings(data=args.data, out=args.out, images=images, jobs=args.jobs, cheap=args.cheap), only)
    if args.check:
        stale = stale_blocks(blocks)
        print("\n".join(f"stale: {s}" for s in stale) or f"all {len(blocks)} blocks match", file=sys.stderr)
        return 1 if stale else 0
    for name in write_blocks(blocks):
        print("updated", name, file=sys.stderr)
    print(f"regenerated {len(blocks)} blocks in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
