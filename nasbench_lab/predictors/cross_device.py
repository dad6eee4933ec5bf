"""Cross-device latency prediction (the HELP setting): rank a device's latencies from a few measurements.

A predictor is fitted on ``k`` architectures whose latency on the *target* device was measured and ranks every
other architecture with data (the held-out rest of the space). With ``extra`` devices, the latencies of every
architecture on those devices are known, as in HELP (Lee et al., NeurIPS 2021: a new device is met with a few
measurements while the tables of devices seen before are at hand), and join the architecture encoding as input
features. Three variants share each training set:

- ``encoding``: the predictor on the architecture encoding alone;
- ``encoding+devices``: the same predictor on the encoding plus the extra devices' latencies;
- ``nearest-device``: no model: the extra device whose latencies rank the ``k`` training architectures most like
  the target (Spearman) is the prediction; what the other devices give without learning anything.

Training sets are nested within a seed (the first ``k`` of one permutation of the pool, the same for every target,
variant and predictor), so sizes, devices and variants compare on the same architectures.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import spearmanr

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.metrics import DEVICE_LATENCY_PREFIX, higher_is_better
from nasbench_lab.predictors.features import FeatureFn
from nasbench_lab.predictors.registry import PREDICTORS, make_predictor
from nasbench_lab.predictors.scoring import ranking_scores
from nasbench_lab.rng import child_seeds
from nasbench_lab.spaces.base import EnumerableSpace
from nasbench_lab.workers import run_tasks

DEFAULT_SIZES = (10, 20, 50, 100)
#: the variants, in the order records and tables list them
ENCODING, WITH_DEVICES, NEAREST = "encoding", "encoding+devices", "nearest-device"
VARIANTS = (ENCODING, WITH_DEVICES, NEAREST)
#: keywords of :func:`resolve_extra_devices`, besides device names
EXTRA_KEYWORDS = ("all", "other-hardware", "none")
#: HELP names a GPU's devices ``<gpu>_<batch>`` (batch 1, 32 or 256); the same hardware at another batch size
_BATCH_SUFFIX = re.compile(r"_(1|32|256)$")


def device_names(benchmark) -> list[str]:
    """The devices whose latency ``benchmark`` answers (metrics ``latency_<device>``), sorted."""
    n = len(DEVICE_LATENCY_PREFIX)
    return sorted(m[n:] for m in benchmark.metrics if m.startswith(DEVICE_LATENCY_PREFIX) and len(m) > n)


def hardware_of(device: str) -> str:
    """The hardware a device name measures: ``titan_rtx`` for ``titan_rtx_256`` (a batch size dropped)."""
    return _BATCH_SUFFIX.sub("", device)


def target_device(benchmark, metric: str | None) -> str:
    """The device of a target metric ``latency_<device>``; a ConfigError naming the devices when it is not one."""
    devices = device_names(benchmark)
    where = f"{benchmark.name}/{benchmark.dataset}"
    if not devices:
        raise ConfigError(f"{where} has no device latencies (latency_<device> metrics): an NB201 folder with "
                          "nb201_hw_latency.csv or HELP-latency/ has 27 devices")
    device = metric[len(DEVICE_LATENCY_PREFIX):] if metric and metric.startswith(DEVICE_LATENCY_PREFIX) else None
    if device not in devices:
        raise ConfigError(f"the cross-device protocol predicts a device's latency: the target metric must be "
                          f"latency_<device> of {where}, got {metric or 'none'}; devices: {', '.join(devices)}")
    return device


def resolve_extra_devices(benchmark, target: str, spec: str) -> tuple[str, ...]:
    """The devices named by ``spec``: ``all`` (every other device), ``other-hardware`` (those of other hardware:
    not the target's GPU at another batch size), ``none``, or comma-separated device names."""
    devices = device_names(benchmark)
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise ConfigError(f"the extra devices are empty ({spec!r}); give {', '.join(EXTRA_KEYWORDS)} or device "
                          f"names of {', '.join(devices)}")
    if len(names) == 1 and names[0] in EXTRA_KEYWORDS:
        keep = {"all": lambda d: d != target, "none": lambda d: False,
                "other-hardware": lambda d: hardware_of(d) != hardware_of(target)}[names[0]]
        return tuple(d for d in devices if keep(d))
    for name in names:
        if name not in devices:
            raise UnknownNameError(f"device of {benchmark.name}/{benchmark.dataset}", name,
                                   [*EXTRA_KEYWORDS, *devices])
    if target in names:
        raise ConfigError(f"the extra devices include the target device {target} itself, whose latencies are what "
                          "is predicted; name other devices")
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class DeviceData:
    """The pool of a cross-device evaluation: architectures (official indices) with a latency on the target and
    on every extra device, the target's latencies ``y`` and the extra devices' ``X`` (one column each), in ms."""

    space: EnumerableSpace
    indices: np.ndarray
    target: str
    y: np.ndarray
    extra: tuple[str, ...]
    X: np.ndarray

    @property
    def metric(self) -> str:
        return DEVICE_LATENCY_PREFIX + self.target

    def features(self) -> FeatureFn:
        """A FeatureFn giving each architecture's latencies on the extra devices (NaN outside the pool)."""
        lookup = np.full((self.space.size, len(self.extra)), np.nan, dtype=np.float32)
        lookup[self.indices] = self.X
        space = self.space

        def extra_devices(batch: np.ndarray) -> np.ndarray:
            return lookup[np.asarray(space.index(batch)).reshape(-1)]

        extra_devices.__name__ = f"latency[{','.join(self.extra)}]"
        return extra_devices


def device_data(benchmark, target: str, extra: Sequence[str] = ()) -> DeviceData:
    """The pool of ``benchmark``: every architecture with a finite latency on ``target`` and each ``extra`` device."""
    space = benchmark.space
    if not isinstance(space, EnumerableSpace) or not benchmark.tabulated:
        raise ConfigError(f"{benchmark.name}/{benchmark.dataset}: the cross-device protocol ranks the rest of a "
                          "listed space, so it needs a table over an enumerable space (such as NB201)")
    metrics = [DEVICE_LATENCY_PREFIX + d for d in (target, *extra)]
    pool = np.asarray(benchmark.indices_with_data(metrics[0]))
    for metric in metrics[1:]:
        pool = np.intersect1d(pool, benchmark.indices_with_data(metric))
    values = np.stack([benchmark.query_index(pool, m) for m in metrics], axis=1) if len(pool) else \
        np.empty((0, len(metrics)))
    ok = np.isfinite(values).all(axis=1)
    return DeviceData(space, pool[ok], target, values[ok, 0], tuple(extra), values[ok, 1:])


@dataclass(frozen=True)
class CrossDeviceProtocol:
    """Training sizes ``k``, repeats and models of a cross-device evaluation (``params``: predictor -> parameters;
    ``k_best`` and ``top_fraction``: how precision@k and the top overlap count, as in ``evaluation.Protocol``)."""

    sizes: tuple[int, ...] = DEFAULT_SIZES
    seeds: int = 5
    seed: int = 0
    predictors: tuple[str, ...] = ("xgb",)
    params: Mapping[str, Mapping] = field(default_factory=dict)
    k_best: int = 50
    top_fraction: float = 0.1

    def __post_init__(self) -> None:
        sizes = tuple(sorted({int(s) for s in self.sizes}))
        if not sizes or sizes[0] < 2:
            raise ConfigError(f"training sizes must be integers >= 2 (a ranking of fewer architectures says "
                              f"nothing), got {list(self.sizes)}")
        object.__setattr__(self, "sizes", sizes)
        if int(self.seeds) < 1:
            raise ConfigError(f"seeds (repeats) must be >= 1, got {self.seeds}")
        if not self.predictors:
            raise ConfigError("the cross-device protocol needs at least one predictor (e.g. xgb)")
        for name in self.predictors:
            cls = PREDICTORS.get(name)  # an unknown name lists the registered ones
            if not cls.uses_labels or cls.needs_benchmark:
                raise ConfigError(f"predictor {name} cannot learn a device's latency from k measurements (it "
                                  f"{'reads a benchmark' if cls.needs_benchmark else 'uses no labels'}); use one "
                                  "that learns from the architecture encoding, such as xgb, gp or mlp_ens")
        unknown = sorted(set(self.params) - set(self.predictors))
        if unknown:
            raise ConfigError(f"parameters given for predictor(s) {', '.join(unknown)} that are not evaluated; "
                              f"evaluated: {', '.join(self.predictors)}")


@dataclass(frozen=True)
class CrossDeviceRecord:
    """One (target, variant, predictor, training size, seed) result on the held-out rest of the pool."""

    target: str
    variant: str
    #: the model ('' for nearest-device, which fits none)
    predictor: str
    size: int
    seed: int
    kendall_tau: float
    spearman: float
    pearson: float
    precision_at_k: float
    top_overlap: float
    n_test: int
    #: how many other devices' latencies were at hand (features, or candidates of nearest-device)
    n_extra: int
    fit_s: float
    #: nearest-device: the device chosen on the training architectures
    chosen_device: str = ""

    @property
    def label(self) -> str:
        """What tables and figures call the variant: ``xgb``, ``xgb + devices``, ``nearest device``."""
        if self.variant == NEAREST:
            return "nearest device"
        return self.predictor if self.variant == ENCODING else f"{self.predictor} + devices"


def evaluate_cross_device(data: DeviceData, protocol: CrossDeviceProtocol = CrossDeviceProtocol(), *,
                          n_jobs: int = 1) -> list[CrossDeviceRecord]:
    """Every record of ``protocol`` on ``data`` (the with-devices variants only where ``data`` has extra devices),
    ordered by size, seed, predictor (as listed; nearest-device last) and variant; seeds run on ``n_jobs``
    processes."""
    if len(data.y) - max(protocol.sizes) < 2:
        raise ConfigError(f"training size {max(protocol.sizes)} leaves fewer than 2 of the {len(data.y)} "
                          f"architectures with latencies on {data.target} and the extra devices to rank")
    for name in protocol.predictors:  # a bad parameter value fails here, once, before any fit
        make_predictor(name, data.space, **dict(protocol.params.get(name, {})))
    tasks = [(data, protocol, s) for s in range(protocol.seeds)]
    records = [r for _, recs in run_tasks(_seed_records, tasks, jobs=n_jobs) for r in recs]
    model = {name: i for i, name in enumerate(protocol.predictors)}  # nearest-device (no model) last
    variant = {v: i for i, v in enumerate(VARIANTS)}
    return sorted(records, key=lambda r: (r.size, r.seed, model.get(r.predictor, len(model)), variant[r.variant]))


def summarize_cross_device(records: Sequence[CrossDeviceRecord],
                           fields: Sequence[str] = ("kendall_tau", "spearman", "precision_at_k")) -> dict:
    """``{target: {label: {str(size): {field: [per seed]}}}}``: each target's part has the shape of
    ``Evaluation.summary()``, so the predictor tables and figures draw it."""
    out: dict = {}
    for r in sorted(records, key=lambda r: r.seed):
        per = out.setdefault(r.target, {}).setdefault(r.label, {}).setdefault(str(r.size), {f: [] for f in fields})
        for f in fields:
            per[f].append(float(getattr(r, f)))
    return out


# ---------------------------------------------------------------------------- one seed
def training_order(n_pool: int, protocol: CrossDeviceProtocol, seed: int) -> np.ndarray:
    """The pool positions of repeat ``seed`` in drawing order: its training set of size k is the first k (nested
    over k), the rest its test set; it depends on the pool size and seeds only, so every target shares it."""
    return np.random.default_rng(child_seeds(protocol.seed, protocol.seeds)[seed]).permutation(n_pool)


def _seed_records(data: DeviceData, protocol: CrossDeviceProtocol, seed: int) -> list[CrossDeviceRecord]:
    order = training_order(len(data.y), protocol, seed)
    model_seed = child_seeds(child_seeds(protocol.seed, protocol.seeds)[seed], 1)[0]
    archs = data.space.from_index(data.indices)
    features = data.features() if data.extra else None
    out = []
    for size in protocol.sizes:
        train, test = order[:size], order[size:]
        for name in protocol.predictors:
            out.append(_model_record(data, protocol, name, None, archs, train, test, seed, model_seed))
            if features is not None:
                out.append(_model_record(data, protocol, name, features, archs, train, test, seed, model_seed))
        if data.extra:
            out.append(_nearest_record(data, protocol, train, test, seed))
    return out


def _model_record(data: DeviceData, protocol: CrossDeviceProtocol, name: str, features: FeatureFn | None,
                  archs: np.ndarray, train: np.ndarray, test: np.ndarray, seed: int,
                  model_seed: int) -> CrossDeviceRecord:
    """``name`` fitted on the training architectures (with the extra devices' latencies when ``features``)."""
    predictor = make_predictor(name, data.space, random_state=model_seed, features=features,
                               **dict(protocol.params.get(name, {})))
    start = time.perf_counter()
    predictor.fit(archs[train], data.y[train])
    fit_s = time.perf_counter() - start
    variant = ENCODING if features is None else WITH_DEVICES
    return _record(data, protocol, variant, name, predictor.predict(archs[test]), test, len(train), seed, fit_s)


def _nearest_record(data: DeviceData, protocol: CrossDeviceProtocol, train: np.ndarray, test: np.ndarray,
                    seed: int) -> CrossDeviceRecord:
    """The extra device that ranks the training architectures most like the target, used as the prediction."""
    start = time.perf_counter()
    rho = np.array([_spearman(data.y[train], data.X[train, j]) for j in range(len(data.extra))])
    best = int(np.argmax(np.where(np.isfinite(rho), rho, -np.inf)))
    fit_s = time.perf_counter() - start
    return _record(data, protocol, NEAREST, "", data.X[test, best], test, len(train), seed, fit_s,
                   chosen=data.extra[best])


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho, NaN where it is undefined (a constant column) rather than a warning."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b)[0])


def _record(data: DeviceData, protocol: CrossDeviceProtocol, variant: str, predictor: str, pred: np.ndarray,
            test: np.ndarray, size: int, seed: int, fit_s: float, chosen: str = "") -> CrossDeviceRecord:
    label = predictor or "nearest-device"
    scores = ranking_scores(data.y[test], pred, k=protocol.k_best, top_fraction=protocol.top_fraction,
                            higher_is_better=higher_is_better(data.metric), predictor=label)
    return CrossDeviceRecord(data.target, variant, predictor, int(size), int(seed), **scores, n_test=len(test),
                             n_extra=len(data.extra), fit_s=float(fit_s), chosen_device=chosen)


__all__ = [
    "DEFAULT_SIZES", "VARIANTS", "CrossDeviceProtocol", "CrossDeviceRecord", "DeviceData", "device_data",
    "device_names", "evaluate_cross_device", "hardware_of", "resolve_extra_devices", "summarize_cross_device",
    "target_device", "training_order",
]
