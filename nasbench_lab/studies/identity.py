"""What a study's results are results of: folder names that stay in their folder, the data a benchmark answers
from, and the check of each run file against the run it should hold (so results of different data, budgets or
parameters never mix in one folder)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.errors import ConfigError, DataFileError
from nasbench_lab.tables.checksums import sha256_tree

#: characters a study name, an algorithm label or a benchmark key may hold (each names a folder)
NAME_CHARS = "letters, digits, space and _ . , : + = @ -"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.,:+=@ -]*")


def check_folder_name(value: object, what: str) -> str:
    """``value`` if it names one folder inside its parent (no separator, no ``..``); a ConfigError otherwise."""
    if not isinstance(value, str) or not _NAME.fullmatch(value) or value != value.strip():
        raise ConfigError(f"{what} {value!r} names a folder and may hold only {NAME_CHARS}, not start with '.' "
                          "or '-', nor contain a path separator")
    return value


def data_checksum(bench: Benchmark, named_path: str | None) -> str:
    """SHA-256 identifying the data ``bench`` answers from: its own ``data_sha256()`` (a table's recorded source
    checksums or values), else a hash of the files ``named_path`` names (a fitted surrogate folder); "" when
    nothing identifies it."""
    own = bench.data_sha256()
    if own:
        return own
    if named_path and os.path.exists(named_path):
        return sha256_tree(named_path)
    return ""


def read_run_meta(path: Path) -> dict:
    """The metadata of a run file without reading its arrays; a DataFileError naming the file when it is damaged."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
    except Exception as exc:  # noqa: BLE001  (a damaged zip raises zipfile, zlib, OS or value errors)
        raise DataFileError(f"run file {path} is damaged ({type(exc).__name__}: {exc}); delete it and rerun the "
                            "same compare to redo that run") from None
    if not isinstance(meta, dict):
        raise DataFileError(f"run file {path} is not a nasbench_lab trajectory file")
    return meta


def _same(a: object, b: object) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def run_differences(meta: Mapping, expected: Mapping) -> list[str]:
    """Settings in which a run file's ``meta`` differs from the run ``expected`` describes, in words
    ("budget 100 vs 150": the file's value first). Keys ``expected`` leaves None are not compared, nor those a
    run file written before they were recorded lacks."""
    out = []
    for key, words in (("benchmark_key", "benchmark"), ("study_algorithm", "algorithm"), ("seed", "seed"),
                       ("budget_queries", "budget"), ("budget_seconds", "budget in seconds"),
                       ("workers", "workers"), ("valid_seed", "valid_seed"), ("search_fidelity", "fidelity"),
                       ("search_metric", "search metric"), ("report_metric", "report metric"),
                       ("data_sha256", "data (sha256)")):
        if key not in expected or (expected[key] is None and key not in ("budget_queries", "budget_seconds")):
            continue
        if key not in meta:
            continue
        if not _same(meta[key], expected[key]):
            found, wanted = meta[key], expected[key]
            if key == "data_sha256":
                found, wanted = f"{str(found)[:12]}...", f"{str(wanted)[:12]}..."
            out.append(f"{words} {found} vs {wanted}")
    out.extend(_objective_differences(meta, expected))
    params = meta.get("params") or {}
    for key, value in (expected.get("params") or {}).items():
        if key in params and not _same(params[key], value):
            out.append(f"parameter {key} {params[key]!r} vs {value!r}")
    return out


def _objective_differences(meta: Mapping, expected: Mapping) -> list[str]:
    """Objectives and constraints of a run file against the run expected (a file written before objectives were
    recorded, or of a single-objective run, has one objective and no constraints)."""
    out = []
    found = list(meta.get("objectives") or [])
    if "objectives" in expected:
        wanted = expected["objectives"]
        if wanted is None and len(found) > 1:
            out.append(f"objectives {','.join(found)} vs one")
        elif wanted is not None and found != list(wanted):
            out.append(f"objectives {','.join(found) or 'none recorded'} vs {','.join(wanted)}")
    if "constraints" in expected:
        had, wanted = list(meta.get("constraints") or []), list(expected["constraints"] or [])
        if had != wanted:
            out.append(f"constraints {' and '.join(had) or 'none'} vs {' and '.join(wanted) or 'none'}")
    return out


#: study settings shared by every run, compared between a folder's study.json and a new study (words, key)
SHARED_SETTINGS = (("budget", "budget"), ("budget in seconds", "budget_seconds"), ("workers", "workers"),
                   ("valid_seed", "valid_seed"), ("fidelity", "fidelity"), ("search metric", "search_metric"),
                   ("report metric", "report_metric"), ("directions", "directions"), ("objectives", "objectives"),
                   ("constraints", "constraints"), ("reference point", "reference_point"))
#: settings a study.json written before they existed lacks: absent, empty and None all mean "not set"
_UNSET_MEANS_EMPTY: dict[str, object] = {"directions": {}, "objectives": [], "constraints": [], "reference_point": None}


def settings_differences(old: Mapping, new: Mapping) -> list[str]:
    """Shared settings in which a folder's study.json (``old``) differs from a new study's (``new``), in words."""
    out = []
    for words, key in SHARED_SETTINGS:
        a, b = old.get(key), new.get(key)
        if key in _UNSET_MEANS_EMPTY:
            a, b = a or _UNSET_MEANS_EMPTY[key], b or _UNSET_MEANS_EMPTY[key]
        if not _same(a, b):
            out.append(f"{words} {a} vs {b}")
    return out
