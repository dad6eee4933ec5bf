"""NAS-Bench-Graph: 9 graph datasets over the GNN macro space, the project's embedded default.

The files (light tables shipped in the ``nas-bench-graph`` package, or the full per-seed files) are read by
:mod:`nasbench_lab.loaders.nbgraph`; this module registers the benchmark: its datasets, notes and loaders.
"""

from __future__ import annotations

from nasbench_lab.benchmarks.spec import BENCHMARKS, BenchmarkSpec
from nasbench_lab.loaders.flat_csv import ColumnSpec, FlatCsvLoader
from nasbench_lab.loaders.nbgraph import DATASETS, DEFAULT_DATASET, NBGraphLoader, embedded_light_dir, space_name

# ------------------------------------------------------------------------------------ notes
_COMMON = {
    "search": "valid_acc is the package's valid_perf x 100 (validation split); search on it",
    "report": "test_acc is the package's perf x 100 (test split); report only, never search on it",
    "cost": "no training time is published: cost() raises; count budgets in queries. latency (s) is the "
            "inference latency and params the parameter count in millions, as published",
}
_SPLITS = {
    "cora": "Planetoid public split: 500 validation and 1,000 test nodes (values are multiples of 1/1500 "
            "and 1/3000: means of 3 seeds)",
    "citeseer": "Planetoid public split: 500 validation and 1,000 test nodes",
    "pubmed": "Planetoid public split: 500 validation and 1,000 test nodes",
    "cs": "Coauthor-CS; test values are multiples of 1/(3 x 17,583): 17,583 test nodes, i.e. all but 20 train "
          "and 30 validation nodes per class of the 15 classes; validation values are given to 3 decimals",
    "physics": "Coauthor-Physics; test values are multiples of 1/(3 x 34,243): all but 20 train and 30 "
               "validation nodes per class (5 classes); validation values are given to 3 decimals",
    "photo": "Amazon-Photo; test values are multiples of 1/(3 x 7,087): consistent with all but 20 train and 30 "
             "validation nodes per class (8 classes) of the largest connected component; validation values "
             "are given to 3 decimals",
    "computers": "Amazon-Computers; test values are multiples of 1/(3 x 12,881): consistent with all but 20 train "
                 "and 30 validation nodes per class (10 classes) of the largest connected component; validation "
                 "values are given to 3 decimals",
    "arxiv": "ogbn-arxiv official time split; test values are multiples of 1/(3 x 48,603), the official test set "
             "size; validation values are given to 3 decimals",
    "proteins": "ogbn-proteins official split; its performance is ROC-AUC (the OGB metric of this multi-label task; "
                "the test values are continuous, not multiples of a count), stored x 100 under valid_acc/test_acc "
                "so that the same search code runs; ops are gcn, sage, arma, fc, skip (space nbgraph-proteins)",
}
NOTES: dict[str, dict[str, str]] = {d: {**_COMMON, "split": _SPLITS[d]} for d in DATASETS}

def _csv_mapper(col: ColumnSpec) -> tuple[str, str] | None:
    """Our export layout: ``{dataset}_{metric}_{N}ep`` columns of the nine datasets."""
    return (col.dataset, col.metric) if col.dataset in DATASETS else None


SPEC = BENCHMARKS.register("nbgraph")(BenchmarkSpec(
    name="nbgraph",
    description="NAS-Bench-Graph: 26,206 GNN macro architectures (2,021 for proteins) on 9 graph datasets; "
                "embedded in the nas-bench-graph package",
    datasets=DATASETS,
    default_dataset=DEFAULT_DATASET,
    loaders=(NBGraphLoader(), FlatCsvLoader("nbgraph", space_name, _csv_mapper)),
    space_for=space_name,
    dataset_aliases={"Cora": "cora", "CiteSeer": "citeseer", "PubMed": "pubmed", "coauthor-cs": "cs",
                     "coauthor-physics": "physics", "amazon-photo": "photo", "amazon-computers": "computers",
                     "ogbn-arxiv": "arxiv", "ogbn-proteins": "proteins"},
    embedded_path=embedded_light_dir,
    notes=NOTES,
    where_to_get="`pip install nas-bench-graph` ships the light tables (used when no path is given); the full "
                 "per-seed per-epoch files {dataset}0.bench..{dataset}2.bench are at "
                 "https://figshare.com/articles/dataset/NAS-bench-Graph/20070371",
))
