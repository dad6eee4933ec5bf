"""The published NAS-Bench-301 surrogates (``nb_models_1.0``: ``xgb_v1.0``, ``lgb_runtime_v1.0``).

Layout, as NB301's code writes and reads it: a model folder holds one sub-folder per ensemble
member (``ensemble_member_<i>``), each with ``surrogate_model.model`` (a pickled xgboost or
lightgbm Booster) and ``model_config.json`` (``"model": "xgb"`` / ``"lgb_time"`` ...); the
folder itself also has ``model_config.json`` and ``data_config.json``. The pickles are read
with a restricted unpickler that replaces the Booster class by an inert stand-in and keeps
only its raw model bytes, which xgboost then parses; xgboost 1.x snapshots, which xgboost 3
no longer reads, are converted by :mod:`nasbench_lab.loaders.xgb_legacy` (a LightGBM model
is the text format, evaluated in numpy). A member may instead hold ``surrogate_model.json``/``.ubj`` (xgboost's
own format), preferred when present. Inputs are NB301's ConfigSpace vectors
(:mod:`nasbench_lab.benchmarks.surrogates.nb301_config`). Tested only on synthetic models written in this
layout at test time: see docs/surrogates.md for what was and was not verified.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark, SeedChoice, check_seed_choice
from nasbench_lab.benchmarks.spec import DIRECT_LOADERS
from nasbench_lab.benchmarks.surrogates.nb301_config import N_FEATURES, config_vectors
from nasbench_lab.benchmarks.surrogates.noise import standard_normal
from nasbench_lab.errors import ConfigError, DataFileError, UnknownNameError, UnsafePickleError
from nasbench_lab.loaders.lgb_text import LGBTextModel
from nasbench_lab.loaders.safe_pickle import DEFAULT_ALLOWED, RestrictedUnpickler
from nasbench_lab.spaces.registry import space as get_space

if TYPE_CHECKING:  # (xgboost is imported when a model is loaded)
    from xgboost import Booster

MEMBER_FILE = "surrogate_model.model"
NATIVE_FILES = ("surrogate_model.ubj", "surrogate_model.json")
#: NB301 trained every architecture for 100 epochs
EPOCHS = 100
_XGB_MODELS = ("xgb", "xgb_time")
_LGB_MODELS = ("lgb", "lgb_time")
_BOOSTERS = {("xgboost.core", "Booster"), ("lightgbm.basic", "Booster")}
_PICKLE_ALLOWED = DEFAULT_ALLOWED | {("builtins", "bytearray"), ("copyreg", "_reconstructor"),
                                     ("builtins", "object"), ("collections", "defaultdict")}


class _BoosterState:
    """Inert stand-in for a pickled Booster: stores the pickled state, constructs nothing."""

    def __setstate__(self, state: object) -> None:
        self.state = state


class _BoosterUnpickler(RestrictedUnpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _BOOSTERS:
            return _BoosterState
        return super().find_class(module, name)


def read_pickled_booster(path: Path) -> bytes | str:
    """The raw model (xgboost bytes or LightGBM text) inside a pickled Booster, without running its code."""
    import io
    import pickle

    try:
        obj = _BoosterUnpickler(io.BytesIO(path.read_bytes()), _PICKLE_ALLOWED, source=str(path)).load()
    except FileNotFoundError:
        raise DataFileError(f"model file not found: {path}") from None
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: truncated or corrupted pickle ({type(exc).__name__}: {exc})") from None
    state = getattr(obj, "state", None)
    handle = state.get("handle") if isinstance(state, dict) else None
    if not isinstance(handle, (bytes, bytearray, str)):
        raise DataFileError(f"{path} does not hold a pickled xgboost/lightgbm Booster with a model")
    return bytes(handle) if isinstance(handle, (bytes, bytearray)) else handle


def _xgb_from_raw(raw: bytes, path: Path) -> Booster:
    """A Booster from a pickle's raw bytes: xgboost's own snapshot reader, then (for pickles of
    xgboost 1.x, which today's xgboost cannot read) our converter of the legacy binary model."""
    import xgboost as xgb

    from nasbench_lab.loaders.xgb_legacy import SNAPSHOT_HEADER, booster_from_legacy

    booster = xgb.Booster()
    try:
        booster.__setstate__({"handle": bytearray(raw)})
        return booster
    except xgb.core.XGBoostError as exc:
        first_error = str(exc).splitlines()[0][:160]
    if raw.startswith((SNAPSHOT_HEADER, b"binf")):
        return booster_from_legacy(raw, str(path))
    try:
        return xgb.Booster(model_file=bytearray(raw))
    except xgb.core.XGBoostError:
        raise DataFileError(
            f"{path}: xgboost {xgb.__version__} cannot read this model ({first_error}). With the xgboost that "
            "wrote it, load the pickle and call booster.save_model('surrogate_model.json') in the member folder; "
            "this loader prefers that file"
        ) from None


class _Member:
    """One ensemble member: an xgboost Booster or a LightGBM text model over the 56 NB301 features."""

    model: Booster | LGBTextModel
    #: "xgb" (a Booster) or "lgb" (an LGBTextModel)
    kind: str

    def __init__(self, folder: Path, kind: str):
        self.folder = folder
        native = next((folder / n for n in NATIVE_FILES if (folder / n).is_file()), None)
        if native is not None:
            import xgboost as xgb

            try:
                self.model = xgb.Booster(model_file=str(native))
            except xgb.core.XGBoostError as exc:
                raise DataFileError(f"{native} is not a readable xgboost model: {str(exc).splitlines()[0]}") from None
            self.kind = "xgb"
        else:
            raw = read_pickled_booster(folder / MEMBER_FILE)
            if kind in _LGB_MODELS:
                text = raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")
                self.model, self.kind = LGBTextModel(text, str(folder / MEMBER_FILE)), "lgb"
            else:
                if isinstance(raw, str):
                    raise DataFileError(f"{folder / MEMBER_FILE} holds a LightGBM model but model_config.json "
                                        f"says {kind!r}")
                self.model, self.kind = _xgb_from_raw(raw, folder / MEMBER_FILE), "xgb"
        n = self.model.n_features if isinstance(self.model, LGBTextModel) else self.model.num_features()
        if n != N_FEATURES:
            raise DataFileError(f"{folder}: the model expects {n} features; NB301's DARTS configuration vector has "
                                f"{N_FEATURES}, so these files are not NB301 DARTS surrogates")

    def predict(self, x: np.ndarray) -> np.ndarray:
        if isinstance(self.model, LGBTextModel):
            return self.model.predict(x)
        return self.model.inplace_predict(x).astype(np.float64)


class NB301Ensemble:
    """The members of one published model folder, with its model config."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DataFileError(f"NB301 model folder not found: {self.folder}")
        member_dirs = sorted({p.parent for name in (MEMBER_FILE, *NATIVE_FILES)
                              for p in self.folder.glob(f"*/{name}")}, key=_natural)
        if not member_dirs:
            raise DataFileError(f"{self.folder} holds no ensemble members (sub-folders with {MEMBER_FILE}); expected "
                                "NB301's layout, e.g. nb_models_1.0/xgb_v1.0/ensemble_member_0/" + MEMBER_FILE)
        self.config = _model_config(self.folder, member_dirs[0])
        kind = str(self.config.get("model", ""))
        if kind not in _XGB_MODELS + _LGB_MODELS:
            raise DataFileError(f"{self.folder}: model type {kind!r} is not supported; supported: "
                                f"{', '.join(_XGB_MODELS + _LGB_MODELS)} (NB301 v1.0 ships xgb and lgb_time)")
        if self.config.get("param:bananas_enc"):
            raise DataFileError(f"{self.folder}: models fitted on BANANAS path features are not supported")
        self.kind = kind
        self.is_runtime = kind.endswith("_time")
        self.members = [_Member(d, kind) for d in member_dirs]

    def predict_members(self, archs: np.ndarray) -> np.ndarray:
        x = config_vectors(archs)
        return np.stack([m.predict(x) for m in self.members])


def _natural(path: Path) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def _model_config(folder: Path, member: Path) -> dict:
    for candidate in (member / "model_config.json", folder / "model_config.json"):
        if candidate.is_file():
            try:
                config = json.loads(candidate.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
                raise DataFileError(f"{candidate} is not valid JSON: {exc}") from None
            if not isinstance(config, dict):
                raise DataFileError(f"{candidate} is not a JSON object")
            return config
    raise DataFileError(f"{folder}: model_config.json is missing (neither in {member.name}/ nor in the folder)")


class NB301Benchmark(Benchmark):
    """NAS-Bench-301 v1.0: the XGBoost performance ensemble and, when given, the runtime model."""

    name = "nb301"
    #: NB301 publishes no test-accuracy surrogate
    report_metric = None

    def __init__(self, performance: NB301Ensemble, runtime: NB301Ensemble | None = None, dataset: str = "cifar10"):
        if performance.is_runtime:
            raise DataFileError(f"{performance.folder} is a runtime model ({performance.kind}); pass the performance "
                                "model folder (xgb_v1.0) first")
        if runtime is not None and not runtime.is_runtime:
            raise DataFileError(f"{runtime.folder} is not a runtime model (model type {runtime.kind})")
        self.dataset = dataset
        self.space = get_space("darts")
        self.models = {"valid_acc": performance, **({"train_time": runtime} if runtime else {})}
        self._streams = {m: zlib.crc32(m.encode()) for m in self.models}

    @property
    def metrics(self) -> list[str]:
        return list(self.models)

    @property
    def fidelities(self) -> tuple[int, ...]:
        return (EPOCHS,)

    def metric_fidelities(self, metric: str) -> tuple[int, ...]:
        if metric not in self.models:
            raise UnknownNameError(f"metric of nb301/{self.dataset}", metric, self.metrics)
        return self.fidelities

    def query(self, archs: object, metric: str, fidelity: int | None = None,
              seed: SeedChoice = "mean") -> np.ndarray | float:
        """Ensemble mean (``seed="mean"``, NB301's ``with_noise=False``) or mean + member spread * noise.

        NB301 draws that noise from numpy's global state; here an int seed makes it a pure function
        of (seed, architecture) and a Generator draws it.
        """
        check_seed_choice(seed)
        if metric not in self.models:
            raise UnknownNameError(f"metric of nb301/{self.dataset}", metric, self.metrics)
        if fidelity is not None and fidelity != EPOCHS:
            raise UnknownNameError("fidelity (epochs) of nb301", fidelity, self.fidelities)
        batch, single = self.space.as_batch(archs)
        members = self.models[metric].predict_members(batch)
        values = members.mean(axis=0)
        if not isinstance(seed, str):
            std = members.std(axis=0)
            z = (seed.standard_normal(len(batch)) if isinstance(seed, np.random.Generator)
                 else standard_normal(self.space.keys(batch), int(seed), self._streams[metric]))
            values = values + std * z
        values = values.astype(np.float32)
        return float(values[0]) if single else values

    def cost(self, archs: object, fidelity: int | None = None, seed: SeedChoice = "mean") -> np.ndarray | float:
        if "train_time" not in self.models:
            raise ConfigError("nb301 was loaded without its runtime model (lgb_runtime_v1.0), so no cost; "
                              "load the nb_models_1.0 folder or pass runtime=...")
        return self.query(archs, "train_time", fidelity, seed)

    def describe(self) -> dict:
        perf = self.models["valid_acc"]
        return {
            "benchmark": self.name, "kind": "surrogate (published NB301 models)", "dataset": self.dataset,
            "space": "darts", "architectures": None, "fidelities": [EPOCHS], "search_metric": "valid_acc",
            "report_metric": None,
            "metrics": {m: {"kind": "cost" if m == "train_time" else "validation", "unit": "s" if m == "train_time"
                            else "%", "members": len(e.members), "model": e.kind, "folder": str(e.folder)}
                        for m, e in self.models.items()},
            "notes": {"search": "valid_acc is NB301's surrogate of CIFAR-10 validation accuracy after 100 epochs",
                      "report": "NB301 publishes no test-accuracy surrogate; report the validation surrogate",
                      "inputs": "NB301 ConfigSpace vectors (56 features) rebuilt from the DARTS architecture; "
                                "see docs/surrogates.md for what was verified",
                      "members_folder": str(perf.folder)},
        }


def find_model_folders(path: Path) -> tuple[Path, Path | None] | None:
    """(performance folder, runtime folder or None) under ``path``: ``nb_models_1.0`` or a model folder itself."""
    if not path.is_dir():
        return None
    perf = sorted(path.glob("xgb_v*"))
    runtime = sorted([*path.glob("lgb_runtime_v*"), *path.glob("xgb_runtime_v*")])
    if perf:
        return perf[-1], (runtime[-1] if runtime else None)
    if any(path.glob(f"*/{MEMBER_FILE}")) or any(path.glob(f"*/{NATIVE_FILES[0]}")):
        return path, None
    return None


def load_nb301(path: str | os.PathLike, runtime: str | os.PathLike | None = None,
               dataset: str = "cifar10") -> NB301Benchmark:
    """NB301 from ``nb_models_1.0`` (both models found inside) or from a performance model folder."""
    folders = find_model_folders(Path(path))
    if folders is None:
        raise DataFileError(f"{path} is neither NB301's nb_models_1.0 folder nor a model folder such as xgb_v1.0")
    perf, found_runtime = folders
    runtime_dir = Path(runtime) if runtime is not None else found_runtime
    return NB301Benchmark(NB301Ensemble(perf), NB301Ensemble(runtime_dir) if runtime_dir else None, dataset)


def _direct_loader(path: Path, dataset: str | None) -> NB301Benchmark | None:
    if find_model_folders(path) is None or (path / "surrogate.json").is_file():
        return None
    if dataset not in (None, "cifar10"):
        raise UnknownNameError("dataset of nb301", dataset, ["cifar10"])
    return load_nb301(path)


DIRECT_LOADERS.add("nb301-official", _direct_loader)
