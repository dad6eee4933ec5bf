"""Registry of predictors by name, and ``make_predictor`` to build one for a space."""

from __future__ import annotations

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.predictors.base import Predictor
from nasbench_lab.registry import Registry, class_registrar, constructor_params
from nasbench_lab.spaces.base import SearchSpace
from nasbench_lab.spaces.registry import space as get_space

#: predictor classes by name; ``@register_predictor("mine")`` plugs in a user's own class
PREDICTORS: Registry[type[Predictor]] = Registry("predictor")


#: ``@register_predictor("name")``: registers a Predictor subclass under ``name`` and sets its ``name``
register_predictor = class_registrar(PREDICTORS, Predictor, "predictor")


def make_predictor(name: str, space: SearchSpace | str, *, random_state: int | np.random.Generator | None = 0,
                   **params) -> Predictor:
    """A fresh predictor ``name`` for ``space`` (a SearchSpace or its name) with ``params``.

    Predictors with ``needs_benchmark`` (lower-fidelity, zero-cost) also need ``benchmark=``.
    Unknown parameters raise ConfigError listing the accepted ones.
    """
    cls = PREDICTORS.get(name)
    sp = get_space(space) if isinstance(space, str) else space
    accepted = _accepted_params(cls)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(f"predictor {name}: unknown parameter(s) {', '.join(unknown)}; "
                          f"accepted: {', '.join(sorted(accepted))}")
    if cls.needs_benchmark and params.get("benchmark") is None:
        raise ConfigError(f"predictor {name} reads lower fidelities or proxies from a benchmark: "
                          "pass benchmark=... (e.g. nasbench_lab.load('nb201', path=...))")
    return cls(sp, random_state=random_state, **params)


def predictor_params(name: str) -> list[str]:
    """Keyword parameters predictor ``name`` accepts."""
    return sorted(_accepted_params(PREDICTORS.get(name)))


def _accepted_params(cls: type) -> frozenset[str]:
    """Keyword parameters of ``cls`` and its bases (see :func:`nasbench_lab.registry.constructor_params`)."""
    return frozenset(constructor_params(cls, ("self", "space")))
