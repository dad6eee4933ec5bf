"""NAS-Bench-101: CIFAR-10 results of 423,624 cells; what its metrics mean and which files it reads
(the readers are in :mod:`nasbench_lab.loaders.nb101`)."""

from __future__ import annotations

from nasbench_lab.benchmarks.spec import BENCHMARKS, BenchmarkSpec
from nasbench_lab.loaders.nb101 import NASLibPickleLoader, NB101CsvLoader, NB101TFRecordLoader, RecordsJsonLoader
from nasbench_lab.loaders.nb101_records import DATASET, NOTES

SPEC = BENCHMARKS.register("nb101")(BenchmarkSpec(
    name="nb101",
    description="NAS-Bench-101: 423,624 unique cells on CIFAR-10, 3 repeats at 4/12/36/108 epochs",
    datasets=(DATASET,),
    default_dataset=DATASET,
    loaders=(NB101TFRecordLoader(), NASLibPickleLoader(), RecordsJsonLoader(), NB101CsvLoader()),
    space_for=lambda dataset: "nb101",
    dataset_aliases={"cifar10-valid": DATASET},
    notes={DATASET: NOTES},
    where_to_get="the official nasbench_only108.tfrecord or nasbench_full.tfrecord "
                 "(https://storage.googleapis.com/nasbench/), NASLib's nasbench_only108.pkl, a flat CSV keyed by "
                 "nb101_hash, or a converted .h5; `nasbench-lab download nb101 --convert` fetches and verifies the "
                 "tfrecord",
))
