"""NAS-Bench-201 (NATS-Bench topology): datasets, split semantics and its loaders."""

from __future__ import annotations

from nasbench_lab.benchmarks.spec import BENCHMARKS, BenchmarkSpec
from nasbench_lab.loaders.flat_csv import ColumnSpec, FlatCsvLoader
from nasbench_lab.loaders.naslib_nb201 import NaslibNb201Loader
from nasbench_lab.loaders.nats import NatsTopologyLoader

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")

#: (csv dataset token, csv metric) -> (our dataset, our metric). The shared/published CSV names
#: the cifar10-valid split "cifar10valid" and ImageNet16-120 "imagenet16".
_CSV_NAMES = {
    ("cifar10valid", "valid_acc"): ("cifar10", "valid_acc"),
    ("cifar10", "test_acc"): ("cifar10", "test_acc"),
    ("cifar10", "train_time"): ("cifar10", "train_time"),
    ("cifar10", "params_mb"): ("cifar10", "params"),
    ("cifar100", "valid_acc"): ("cifar100", "valid_acc"),
    ("cifar100", "test_acc"): ("cifar100", "test_acc"),
    ("cifar100", "valtest_acc"): ("cifar100", "valtest_acc"),
    ("cifar100", "train_time"): ("cifar100", "train_time"),
    ("cifar100", "params_mb"): ("cifar100", "params"),
    ("imagenet16", "valid_acc"): ("ImageNet16-120", "valid_acc"),
    ("imagenet16", "test_acc"): ("ImageNet16-120", "test_acc"),
    ("imagenet16", "valtest_acc"): ("ImageNet16-120", "valtest_acc"),
    ("imagenet16", "train_time"): ("ImageNet16-120", "train_time"),
    ("imagenet16", "params_mb"): ("ImageNet16-120", "params"),
}


def csv_mapper(col: ColumnSpec) -> tuple[str, str] | None:
    """Maps published column names and our own export names to (dataset, metric)."""
    if (col.dataset, col.metric) in _CSV_NAMES:
        return _CSV_NAMES[(col.dataset, col.metric)]
    if col.dataset in DATASETS:
        return col.dataset, col.metric
    return None


_SPLITS = {
    "cifar10": {
        "search": "valid_acc is the validation accuracy of the 'cifar10-valid' runs (trained on 25k "
                  "CIFAR-10 training images, validated on the other 25k)",
        "report": "test_acc is the CIFAR-10 test accuracy of the separate 'cifar10' runs (trained on all "
                  "50k training images); it never enters search",
        "cost": "train_time is the 200-epoch training time of the 'cifar10' runs; lower fidelities are "
                "scaled by epochs where the source has no time of their own",
    },
    "cifar100": {
        "search": "valid_acc is the accuracy on the validation half of the CIFAR-100 test set ('x-valid'); "
                  "the published tables give it for the 12-epoch schedule",
        "report": "test_acc is the accuracy on the test half ('x-test'); valtest_acc is both halves "
                  "together ('ori-test') and therefore contains test data: never search on it",
    },
    "ImageNet16-120": {
        "search": "valid_acc is the accuracy on the validation half of the ImageNet16-120 test set",
        "report": "test_acc is the accuracy on the test half; valtest_acc is both halves together and "
                  "contains test data: never search on it",
    },
}

SPEC = BENCHMARKS.register("nb201")(BenchmarkSpec(
    name="nb201",
    description="NAS-Bench-201 / NATS-Bench topology space: 15,625 cells, CIFAR-10/100, ImageNet16-120",
    datasets=DATASETS,
    default_dataset="cifar10",
    loaders=(FlatCsvLoader("nb201", lambda dataset: "nb201", csv_mapper), NatsTopologyLoader(),
             NaslibNb201Loader()),
    space_for=lambda dataset: "nb201",
    dataset_aliases={"cifar10-valid": "cifar10", "imagenet16": "ImageNet16-120", "ImageNet16": "ImageNet16-120"},
    notes=_SPLITS,
    where_to_get="the official NATS-tss-v1_0-3ffb9-simple folder, NASLib's nb201_<dataset>_full_training.pickle, "
                 "a flat CSV such as nb201_tables.csv, or a converted .h5; `nasbench-lab download nb201` says "
                 "where to get the official files",
))
