"""Performance predictors: ``make_predictor(name, space, random_state=..., **params)``, registry ``PREDICTORS``.

A user's own predictor subclasses :class:`Predictor` (implementing ``_fit`` and ``_predict``)
and registers with ``@register_predictor("name")``; see docs/predictors.md.
"""

from nasbench_lab.predictors import kernels as _kernels  # noqa: F401  (registers)
from nasbench_lab.predictors import lowfi as _lowfi  # noqa: F401  (registers)
from nasbench_lab.predictors import mlp as _mlp  # noqa: F401  (registers)
from nasbench_lab.predictors import supernet as _supernet  # noqa: F401  (registers)
from nasbench_lab.predictors import trees as _trees  # noqa: F401  (registers)
from nasbench_lab.predictors.base import Predictor, PredictorError
from nasbench_lab.predictors.features import FeatureFn, benchmark_features
from nasbench_lab.predictors.registry import PREDICTORS, make_predictor, predictor_params, register_predictor

__all__ = [
    "PREDICTORS",
    "FeatureFn",
    "Predictor",
    "PredictorError",
    "benchmark_features",
    "make_predictor",
    "predictor_params",
    "register_predictor",
]
