"""Predictors that read extra data from a benchmark: lower-fidelity accuracies and zero-cost proxies.

``lcurve`` predicts with a lower-fidelity value itself (e.g. NB201's 12-epoch accuracy); ``lc_xgb``
and ``lc_svr`` (LcSVR, Baker et al. 2017) learn from the encoding plus the lower-fidelity values.
``zc_score`` predicts with one zero-cost proxy's score; ``zc_xgb`` learns from the encoding plus all proxies.
They take the benchmark at construction, so ``fit``/``predict`` still take only architectures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from nasbench_lab.errors import ConfigError, UnknownNameError
from nasbench_lab.predictors.base import Predictor
from nasbench_lab.predictors.features import benchmark_features
from nasbench_lab.predictors.kernels import SVRPredictor
from nasbench_lab.predictors.registry import register_predictor
from nasbench_lab.predictors.targets import make_target
from nasbench_lab.predictors.trees import XGBPredictor

#: prefix of zero-cost proxy metrics (see nasbench_lab.loaders.suite_zero)
PROXY_PREFIX = "zc_"


def low_fidelities(benchmark, metric: str | None = None, fidelities: Sequence[int] | None = None) -> list[int]:
    """The fidelities below the highest at which ``metric`` (default: the search metric) has values."""
    metric = metric or benchmark.search_metric
    if metric not in benchmark.metrics:
        raise UnknownNameError(f"metric of {benchmark.name}/{benchmark.dataset}", metric, benchmark.metrics)
    have = benchmark.metric_fidelities(metric)
    if fidelities is None:
        fids = list(have[:-1])
        if not fids:
            raise ConfigError(f"{benchmark.name}/{benchmark.dataset}: {metric} has no fidelity below "
                              f"{have[-1] if have else 'its highest'}, so there is no learning curve to use")
        return fids
    bad = [f for f in fidelities if f not in have]
    if bad:
        raise UnknownNameError(f"fidelity of {metric} in {benchmark.name}/{benchmark.dataset}", bad[0], have)
    return [int(f) for f in fidelities]


def proxy_names(benchmark) -> list[str]:
    """Zero-cost proxy metrics (``zc_*``) the benchmark answers."""
    return [m for m in benchmark.metrics if m.startswith(PROXY_PREFIX)]


def _lc_features(benchmark, metric, fidelities):
    metric = metric or benchmark.search_metric
    return benchmark_features(benchmark, [(metric, f) for f in low_fidelities(benchmark, metric, fidelities)])


def _zc_features(benchmark, proxies):
    names = list(proxies) if proxies else proxy_names(benchmark)
    if not names:
        raise ConfigError(f"{benchmark.name}/{benchmark.dataset} has no zero-cost proxy metrics (zc_*); attach "
                          "them with nasbench_lab.benchmarks.proxies.with_proxies(benchmark, json_path)")
    names = [n if n.startswith(PROXY_PREFIX) else PROXY_PREFIX + n for n in names]
    return benchmark_features(benchmark, [(n, None) for n in names], log=names)


class _NoModel(Predictor):
    """Predicts one feature column as it is: nothing to fit. A cell whose value is missing (NaN, or a
    proxy of -inf as the published files hold) ranks below every other cell."""

    min_train = 0
    allows_missing_features = True
    uses_labels = False

    def __init__(self, space, **kwargs):
        kwargs.pop("encoding", None)
        super().__init__(space, encoding="none", **kwargs)

    def fit(self, archs: object, y: ArrayLike | None = None) -> _NoModel:
        """Nothing to learn: checks ``archs`` and marks the predictor fitted (``y`` is not used; may be empty)."""
        batch = self.space.validate(archs)
        if y is not None and np.size(y) != len(batch):
            raise ConfigError(f"predictor {self._label()}: {len(batch)} architectures but {np.size(y)} targets")
        self._target = make_target(self.target)
        self.n_features_ = len(getattr(self.features, "columns", (None,)))
        return self

    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        pass

    def _predict(self, X: np.ndarray) -> np.ndarray:
        v = X[:, 0].astype(np.float64)
        bad = ~np.isfinite(v)
        if bad.any():
            lowest = v[~bad].min() if (~bad).any() else 0.0
            v = np.where(bad, lowest - max(1.0, abs(lowest)), v)
        return v

    def predict(self, archs: object) -> np.ndarray:
        """The feature itself (in its own units: a ranking, not a regression onto ``y``)."""
        X = self._checked_features(archs)
        return self._call("predict", self._predict, X)


@register_predictor("lcurve")
class LowFidelityPredictor(_NoModel):
    """The value of ``metric`` at a lower ``fidelity`` (default: the highest below the top) as the prediction."""

    needs_benchmark = True

    def __init__(self, space, *, benchmark, fidelity: int | None = None, metric: str | None = None, **kwargs):
        fid = low_fidelities(benchmark, metric, None if fidelity is None else [fidelity])[-1]
        super().__init__(space, **kwargs)
        self.benchmark, self.fidelity, self.metric = benchmark, fid, metric or benchmark.search_metric
        self.features = benchmark_features(benchmark, [(self.metric, fid)])


@register_predictor("zc_score")
class ProxyPredictor(_NoModel):
    """One zero-cost proxy's score (``proxy``, e.g. "synflow") as the prediction."""

    needs_benchmark = True

    def __init__(self, space, *, benchmark, proxy: str = "synflow", **kwargs):
        name = proxy if proxy.startswith(PROXY_PREFIX) else PROXY_PREFIX + proxy
        if name not in benchmark.metrics:
            raise UnknownNameError(f"zero-cost proxy of {benchmark.name}/{benchmark.dataset}", proxy,
                                   [p[len(PROXY_PREFIX):] for p in proxy_names(benchmark)])
        super().__init__(space, **kwargs)
        self.benchmark, self.proxy = benchmark, name
        self.features = benchmark_features(benchmark, [(name, None)])


@register_predictor("lc_xgb")
class LowFidelityXGB(XGBPredictor):
    """XGBoost on the encoding plus the lower-fidelity values of ``metric``."""

    needs_benchmark = True

    def __init__(self, space, *, benchmark, fidelities: Sequence[int] | None = None, metric: str | None = None,
                 **kwargs):
        super().__init__(space, features=_lc_features(benchmark, metric, fidelities), **kwargs)
        self.benchmark = benchmark


@register_predictor("lc_svr")
class LowFidelitySVR(SVRPredictor):
    """LcSVR (Baker et al. 2017): SVR on the encoding plus the lower-fidelity values."""

    needs_benchmark = True

    def __init__(self, space, *, benchmark, fidelities: Sequence[int] | None = None, metric: str | None = None,
                 **kwargs):
        super().__init__(space, features=_lc_features(benchmark, metric, fidelities), **kwargs)
        self.benchmark = benchmark


@register_predictor("zc_xgb")
class ProxyXGB(XGBPredictor):
    """XGBoost on the encoding plus zero-cost proxy scores (sign-preserving log), as in NAS-Bench-Suite-Zero."""

    needs_benchmark = True

    def __init__(self, space, *, benchmark, proxies: Sequence[str] | None = None, **kwargs):
        super().__init__(space, features=_zc_features(benchmark, proxies), **kwargs)
        self.benchmark = benchmark
