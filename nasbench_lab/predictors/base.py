"""Predictor: scikit-learn style ``fit(archs, y)`` / ``predict(archs)`` over a search space's encodings.

The public methods validate their input and output and delegate to ``_fit`` / ``_predict`` /
``_predict_std`` on a feature matrix (template method), so a user's predictor only implements
those and inherits the checks: a model that fails, returns NaN or the wrong shape raises a
:class:`PredictorError` naming the predictor instead of producing a silent NaN correlation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import ArrayLike

from nasbench_lab.errors import ConfigError, NasbenchLabError
from nasbench_lab.predictors.features import FeatureFn
from nasbench_lab.predictors.targets import TargetTransform, make_target
from nasbench_lab.registry import constructor_params
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace
from nasbench_lab.spaces.features import LISTING_MIN_BATCH, default_encoding, featurize, listing_features


@cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread():
    """Context limiting BLAS to one thread: small matrices run faster and reproducibly on a busy machine."""
    return _blas_controller().limit(limits=1, user_api="blas")


class PredictorError(NasbenchLabError, RuntimeError):
    """A predictor failed to fit, or returned NaN / infinite values or the wrong shape."""


class Predictor(ABC):
    """Base class of performance predictors: architectures in, one score per architecture out.

    ``space`` fixes how architectures are checked and encoded; ``encoding`` names one or more
    encodings joined by ``+`` (see :func:`nasbench_lab.spaces.features.featurize`);
    ``features`` optionally appends extra columns computed from the architectures (for example
    a lower-fidelity accuracy or zero-cost proxies from a benchmark); ``target`` is how ``y`` is
    transformed before fitting (``"standard"`` or ``"rank"``; predictions are always in ``y`` units).
    """

    #: registry name (set by ``@PREDICTORS.register``)
    name: str = ""
    #: True when ``predict_std`` gives an uncertainty
    has_std: bool = False
    #: True when the constructor needs a ``benchmark=`` argument (lower fidelities, proxies)
    needs_benchmark: bool = False
    #: encoding used when none is given ("+" joins names); None: the space's preferred one for
    #: ``encoding_family`` (see ``spaces.features.PREFERRED_ENCODINGS``), else one-hot
    default_encoding: str | None = None
    #: model family for the preferred-encoding lookup: "tree", "mlp" or "kernel"
    encoding_family: str = "tree"
    #: fewest training architectures the model accepts
    min_train: int = 2
    #: min-max scale feature columns to [0, 1] on the training set (one-hot columns stay 0/1)
    scale_features: bool = False
    #: True when the model takes missing extra features (NaN) itself, as gradient-boosted trees do;
    #: otherwise a NaN/inf from ``features`` is an error naming the predictor
    allows_missing_features: bool = False
    #: True when each prediction depends on its own row only (equal rows, equal predictions): a large batch of a
    #: small listed space is then predicted once per distinct feature row (set False for batch-wise models)
    rowwise: bool = True
    #: False for a zero-label predictor (a proxy's score, a supernet's rating): ``fit`` ignores ``y`` and takes an
    #: empty batch (``min_train`` 0), so an evaluation runs it at training size 0 and fits it once per seed
    uses_labels: bool = True
    #: what the last fit cost when that is not the wall time of ``fit`` (a supernet loaded from its folder reports
    #: the seconds and epochs its training took); None: the evaluation times ``fit`` itself
    fit_cost_s_: float | None = None
    fit_epochs_: float | None = None

    def __init__(self, space: SearchSpace, *, encoding: str | Callable | None = None,
                 features: FeatureFn | None = None, target: str = "standard",
                 random_state: int | np.random.Generator | None = 0):
        if not isinstance(space, SearchSpace):
            raise ConfigError(f"predictor {self._label()}: space must be a SearchSpace "
                              f"(e.g. nasbench_lab.space('nb201')), got {type(space).__name__}")
        self.space = space
        if encoding is None:
            encoding = self.default_encoding or default_encoding(space, self.encoding_family)
        self.encoding = encoding
        self.features = features
        self.target = target
        self.random_state = random_state
        self._target: TargetTransform | None = None
        self.n_features_: int | None = None

    # ---------------------------------------------------------------- public
    def fit(self, archs: object, y: ArrayLike) -> Predictor:
        """Fits on architectures ``archs`` (a batch) and their scores ``y`` (higher is better or not:
        any real values); returns ``self``."""
        batch = self.space.validate(archs)
        values = np.asarray(y, dtype=np.float64).reshape(-1) if np.ndim(y) else np.asarray([y], dtype=np.float64)
        if len(values) != len(batch):
            raise ConfigError(f"predictor {self._label()}: {len(batch)} architectures but {len(values)} targets")
        if len(batch) < self.min_train:
            raise ConfigError(f"predictor {self._label()} needs at least {self.min_train} training "
                              f"architectures, got {len(batch)}")
        bad = ~np.isfinite(values)
        if bad.any():
            raise ConfigError(f"predictor {self._label()}: {int(bad.sum())} of {len(values)} targets are NaN or "
                              f"infinite (first at position {int(np.flatnonzero(bad)[0])}); drop them before fitting")
        X = self.transform(batch)
        if self.scale_features:
            lo, hi = X.min(axis=0), X.max(axis=0)
            self._x_shift, self._x_scale = lo, np.where(hi > lo, hi - lo, 1.0).astype(np.float32)
            X = (X - self._x_shift) / self._x_scale
        self._target = make_target(self.target)
        t = self._target.fit_transform(values)
        try:
            with one_blas_thread():
                self._fit(X, t)
        except NasbenchLabError:
            raise
        except Exception as exc:  # a model's own failure becomes a named, clear error
            raise PredictorError(f"predictor {self._label()} failed to fit on {len(batch)} architectures "
                                 f"({X.shape[1]} features): {type(exc).__name__}: {exc}") from exc
        self.n_features_ = X.shape[1]
        return self

    def predict(self, archs: object) -> np.ndarray:
        """Predicted scores, shape (n,), in the units of the fitted ``y``."""
        X, back = self._distinct_features(archs)
        # the target's inverse is elementwise, so it runs once per distinct row, before rows are spread back out
        out = self._fitted_target().inverse(self._call("predict", self._predict, X))
        return out if back is None else out[back]

    def predict_std(self, archs: object) -> np.ndarray:
        """Predictive standard deviation, shape (n,), in ``y`` units (only where ``has_std``)."""
        if not self.has_std:
            raise PredictorError(f"predictor {self._label()} gives no uncertainty (has_std is False); "
                                 "use one with has_std, e.g. mlp_ens, gp, blr or rf")
        X, back = self._distinct_features(archs)
        mean = self._call("predict", self._predict, X)
        std = self._call("predict_std", self._predict_std, X)
        if (std < 0).any():
            raise PredictorError(f"predictor {self._label()}: predict_std returned negative values")
        std_y = self._fitted_target().inverse_std(mean, std)
        return std_y if back is None else std_y[back]

    def predict_mean_std(self, archs: object) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation in one pass of featurisation (for acquisition functions)."""
        if not self.has_std:
            raise PredictorError(f"predictor {self._label()} gives no uncertainty (has_std is False)")
        X, back = self._distinct_features(archs)
        pair = self._call("predict_mean_std", lambda Z: np.stack(self._predict_mean_std(Z), axis=1), X, columns=2)
        mean, std = pair[:, 0], pair[:, 1]
        target = self._fitted_target()
        mean_y, std_y = target.inverse(mean), target.inverse_std(mean, std)
        return (mean_y, std_y) if back is None else (mean_y[back], std_y[back])

    def transform(self, archs: object) -> np.ndarray:
        """The feature matrix (n, d) float32 this predictor sees: encoding plus extra features."""
        batch = self.space.validate(archs)
        X = featurize(self.space, batch, self.encoding)
        if self.features is not None:
            extra = np.asarray(self.features(batch), dtype=np.float32)
            if extra.ndim == 1:
                extra = extra[:, None]
            if extra.shape[0] != len(batch):
                raise PredictorError(f"predictor {self._label()}: feature function returned {extra.shape[0]} rows "
                                     f"for {len(batch)} architectures")
            if self.allows_missing_features:
                extra = np.where(np.isfinite(extra), extra, np.nan).astype(np.float32)
            elif not np.isfinite(extra).all():
                raise PredictorError(f"predictor {self._label()}: feature function returned NaN/inf for "
                                     f"{int((~np.isfinite(extra)).any(axis=1).sum())} architectures "
                                     "(are they outside the benchmark's data?)")
            X = np.hstack([X, extra]) if X.shape[1] else extra
        return X

    @property
    def is_fitted(self) -> bool:
        return self._target is not None and self.n_features_ is not None

    def get_params(self) -> dict:
        """Constructor parameters (for records and ``repr``), read back from the attributes of the same name as
        scikit-learn does, so a subclass's own parameters (e.g. a Ridge's ``alpha``) appear without extra code;
        objects passed in (``benchmark``, ``features``) are left out."""
        out: dict = {}
        for name in constructor_params(type(self), ("self", "space")):
            if name in ("benchmark", "features") or not hasattr(self, name):
                continue
            value = getattr(self, name)
            if name == "encoding" and not isinstance(value, str):
                value = getattr(value, "__name__", "fn")
            elif name == "random_state" and isinstance(value, np.random.Generator):
                value = "Generator"
            out[name] = value
        return out

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({self.space.name}, {inner})"

    # ------------------------------------------------------------- subclass
    @abstractmethod
    def _fit(self, X: np.ndarray, y: np.ndarray) -> None:
        """Fits the model on features ``X`` (n, d) float32 and transformed targets ``y`` (n,) float64."""

    @abstractmethod
    def _predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions in transformed-target units, shape (n,)."""

    def _predict_std(self, X: np.ndarray) -> np.ndarray:
        """Standard deviation in transformed-target units, shape (n,); only for ``has_std``."""
        raise NotImplementedError

    # -------------------------------------------------------------- helpers
    def _rng(self) -> np.random.Generator:
        """A fresh Generator for one fit: the same ``random_state`` gives the same model bit for bit."""
        rs = self.random_state
        if isinstance(rs, np.random.Generator):
            return rs
        return np.random.default_rng(0 if rs is None else rs)

    def _seed(self) -> int:
        """An int seed for libraries that take one (xgboost, scikit-learn)."""
        return int(self._rng().integers(0, 2**31 - 1)) if isinstance(self.random_state, np.random.Generator) \
            else int(self.random_state or 0) % (2**31 - 1)

    def _label(self) -> str:
        return self.name or type(self).__name__

    def _not_fitted(self) -> PredictorError:
        return PredictorError(f"predictor {self._label()} is not fitted; call fit(archs, y) first")

    def _fitted_target(self) -> TargetTransform:
        """The target transform of the last fit (callers have checked ``is_fitted`` already)."""
        if self._target is None:
            raise self._not_fitted()
        return self._target

    def _distinct_features(self, archs: object) -> tuple[np.ndarray, np.ndarray | None]:
        """Checked features of ``archs``; for a ``rowwise`` model, a large batch of a small listed space and no
        extra features, those of its distinct rows only plus the map back (``X[back]`` is every row's)."""
        if not self.is_fitted:
            raise self._not_fitted()
        space = self.space
        if not (self.rowwise and self.features is None and isinstance(self.encoding, str)
                and isinstance(space, EnumerableSpace)):
            return self._checked_features(archs), None
        batch = space.validate(archs)
        # only by batch size, never by whether the listing happens to be built already: predictions of a row can
        # differ in the last bit with the rows around it, and a run must not depend on what ran before it
        listing = listing_features(space, self.encoding) if len(batch) >= LISTING_MIN_BATCH else None
        if listing is None:
            return self._checked_features(batch), None
        rows, back = np.unique(listing.row_of[np.asarray(space.index(batch))], return_inverse=True)
        return self._checked(listing.distinct[rows]), back.reshape(-1)

    def _checked_features(self, archs: object) -> np.ndarray:
        if not self.is_fitted:
            raise self._not_fitted()
        return self._checked(self.transform(archs))

    def _checked(self, X: np.ndarray) -> np.ndarray:
        """``X`` scaled as at fit time, after checking the model was fitted on as many features."""
        if X.shape[1] != self.n_features_:
            raise PredictorError(f"predictor {self._label()}: {X.shape[1]} features now but {self.n_features_} "
                                 "at fit time")
        if self.scale_features:
            X = (X - self._x_shift) / self._x_scale
        return X

    def _predict_mean_std(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(_predict(X), _predict_std(X))``; a model that computes both from one pass overrides it."""
        return self._predict(X), self._predict_std(X)

    def _call(self, what: str, fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray, columns: int = 1) -> np.ndarray:
        """``fn(X)`` as float64 of shape (n,) (or (n, columns)); a model's own failure or a wrong shape or a
        non-finite value becomes a PredictorError naming the predictor."""
        try:
            with one_blas_thread():
                out = fn(X)
        except NasbenchLabError:
            raise
        except Exception as exc:
            raise PredictorError(f"predictor {self._label()} failed in {what} on {len(X)} architectures: "
                                 f"{type(exc).__name__}: {exc}") from exc
        out = np.asarray(out, dtype=np.float64)
        if columns == 1 and out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        expected = (len(X),) if columns == 1 else (len(X), columns)
        if out.shape != expected:
            raise PredictorError(f"predictor {self._label()}: {what} returned shape {out.shape}; "
                                 f"expected {expected}")
        bad = ~np.isfinite(out)
        if bad.any():
            raise PredictorError(f"predictor {self._label()}: {what} returned {int(bad.sum())} NaN/infinite "
                                 f"values of {len(out)}")
        return out
