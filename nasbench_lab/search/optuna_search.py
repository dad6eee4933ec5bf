"""Any Optuna sampler as an optimizer: ``optuna:tpe``, ``optuna:random``, ``optuna:gp``, ... (optional extra).

Names ``optuna:SAMPLER`` resolve through the optimizer registry's ``optuna`` prefix: SAMPLER is an
Optuna sampler class name without ``Sampler``, lower-cased (``TPESampler`` -> ``tpe``); every
sampler constructible without required arguments is accepted. The adapter uses Optuna's ask/tell
API with one ``CategoricalDistribution`` per position of the space's categorical parameterisation,
a sampler seeded from the run's Generator, and an in-memory study (maximising the told values;
results the table lacks are told as failed trials). Sampler arguments are the optimizer's
parameters (``--param optuna:tpe.n_startup_trials=20``); those Optuna rejects raise a one-line
ConfigError naming the argument. Optuna is imported only when such a name is resolved; the
core never imports it. Creating one sets Optuna's log level to WARNING (no line per trial), and samplers
that warn when they fall back to independent sampling (CMA-ES, GP, QMC cannot model categorical
choices jointly) get ``warn_independent_sampling=False`` unless it is given.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Mapping
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError, NasbenchLabError, UnknownNameError
from nasbench_lab.search.base import OPTIMIZERS, Optimizer, SearchProblem
from nasbench_lab.search.categorical import CategoricalOptimizer

PREFIX = "optuna"
INSTALL = "pip install 'nasbench_lab[optuna]'"
#: parameters the adapter sets itself (the seed comes from the run's Generator)
_OWN = ("self", "seed")
_JSON_TYPES = (type(None), bool, int, float, str)
#: packages outside Optuna's own dependencies that a sampler imports at its first ``ask`` on this adapter's
#: categorical parameters, with their install commands (CMA-ES imports ``cmaes`` only for continuous ones)
SAMPLER_REQUIRES = {"gp": (("torch", "pip install 'nasbench_lab[live]'"),)}


class OptunaMissingError(NasbenchLabError, ImportError):
    """Optuna (the optional ``optuna`` extra) is not installed."""


def require_optuna() -> ModuleType:
    """The ``optuna`` module, or OptunaMissingError saying which command installs it."""
    try:
        return importlib.import_module("optuna")
    except ImportError as exc:
        raise OptunaMissingError(f"optuna:* algorithms need Optuna, an optional extra: install it with `{INSTALL}` "
                                 f"({exc})") from None


def sampler_classes() -> dict[str, type[Any]]:
    """Optuna's samplers by short name (class name less ``Sampler``, lower case), those without required arguments."""
    samplers = require_optuna().samplers
    out = {}
    for attr in dir(samplers):
        cls = getattr(samplers, attr)
        if not (inspect.isclass(cls) and attr.endswith("Sampler") and issubclass(cls, samplers.BaseSampler)):
            continue
        params = inspect.signature(cls.__init__).parameters.values()
        if inspect.isabstract(cls) or attr.startswith("Base") or any(
                p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
                for p in params):
            continue
        out[attr[: -len("Sampler")].lower()] = cls
    return out


class OptunaSearch(CategoricalOptimizer):
    """Runs an Optuna sampler through ``Study.ask``/``Study.tell``, one categorical parameter per position."""

    sampler_class: type[Any] | None = None

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, **sampler_args):
        super().__init__(problem, rng)
        optuna = require_optuna()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.sampler_args = dict(sampler_args)
        if self.sampler_class is None:
            raise ConfigError(f"{type(self).__name__} has no Optuna sampler; build optimizers as "
                              f"'{PREFIX}:SAMPLER' names (optuna_optimizer)")
        self.sampler = make_sampler(self.name, self.sampler_class, sampler_args, int(rng.integers(2**31 - 1)))
        self.study = optuna.create_study(direction="maximize", sampler=self.sampler)
        dist = optuna.distributions.CategoricalDistribution
        self._names = [f"x{j:02d}" for j in range(self.layout.dim)]
        self._space = {name: dist(list(range(int(k)))) for name, k in zip(self._names, self.layout.n)}
        self._trials: dict[bytes, list] = {}
        self._fail = optuna.trial.TrialState.FAIL

    def ask(self, n: int) -> np.ndarray:
        archs = []
        for _ in range(n):
            trial, arch = self._ask_present()
            self._trials.setdefault(arch.tobytes(), []).append(trial)
            archs.append(arch)
        return np.stack(archs) if archs else self.empty()

    def _ask_present(self):
        """A trial whose choices name a member of the space (absent ones are told as failed and asked again)."""
        for _ in range(100):
            trial = self._ask_trial()
            row = np.array([[trial.params[name] for name in self._names]], dtype=np.int64)
            archs, present = self.space.from_categorical(row)
            if present[0]:
                return trial, archs[0]
            self.study.tell(trial, state=self._fail)
        arch = self.space.sample(self.rng)  # the sampler keeps proposing absent rows: a uniform member instead
        row = self.space.to_categorical(arch[None])[0]
        self.study.enqueue_trial({name: int(v) for name, v in zip(self._names, row)})
        return self._ask_trial(), arch

    def _ask_trial(self):
        with warnings.catch_warnings():  # experimental-feature and independent-sampling notices, once per trial
            warnings.simplefilter("ignore")
            try:
                return self.study.ask(self._space)
            except (TypeError, ValueError) as exc:
                if not self.sampler_args:
                    raise
                raise rejected(self.name, self.sampler_class, self.sampler_args, exc) from None

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for arch, value in zip(archs, values):
            key = np.ascontiguousarray(arch, dtype=self.space.arch_dtype).tobytes()
            trials = self._trials.get(key)
            if not trials:
                continue  # not asked by this optimizer: Optuna cannot be told it
            trial = trials.pop(0)
            if not trials:
                del self._trials[key]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if np.isfinite(value):
                    self.study.tell(trial, float(value))
                else:
                    self.study.tell(trial, state=self._fail)


def make_sampler(name: str, cls: type[Any], args: Mapping, seed: int) -> Any:
    """``cls(seed=seed, **args)``; arguments Optuna rejects raise one ConfigError line naming them."""
    params = inspect.signature(cls.__init__).parameters
    own = {"seed": seed} if "seed" in params else {}
    quiet = params.get("warn_independent_sampling")
    if quiet is not None and quiet.default is True and quiet.name not in args:
        own[quiet.name] = False  # categorical positions are sampled independently by design: no log line per trial
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(**own, **dict(args))
    except (TypeError, ValueError) as exc:
        raise rejected(name, cls, args, exc) from None


def rejected(name: str, cls: type[Any], args: Mapping, exc: Exception) -> ConfigError:
    """The one-line error for sampler arguments Optuna rejects (at construction or at its first use)."""
    named = ", ".join(f"{k}={v!r}" for k, v in sorted(args.items())) or "(none)"
    detail = " ".join(str(exc).split())
    return ConfigError(f"{name}: Optuna's {cls.__name__} rejected the sampler argument(s) {named}: {detail}")


@cache
def optuna_optimizer(sampler: str) -> type[Optimizer]:
    """The optimizer class of ``optuna:<sampler>``; its parameters are the sampler's (less ``seed``)."""
    samplers = sampler_classes()
    if sampler not in samplers:
        raise UnknownNameError("Optuna sampler", sampler, [f"{PREFIX}:{s}" for s in sorted(samplers)])
    cls = samplers[sampler]
    own = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in ("self", "problem", "rng")]
    accepted = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY,
                          default=p.default if isinstance(p.default, _JSON_TYPES) else repr(p.default))
                for p in inspect.signature(cls.__init__).parameters.values()
                if p.name not in _OWN and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, **sampler_args):
        OptunaSearch.__init__(self, problem, rng, **sampler_args)

    signature = inspect.Signature(own + accepted)
    __init__.__signature__ = signature  # type: ignore[attr-defined]  # inspect honours it; typeshed lacks it
    return type(f"Optuna{cls.__name__}", (OptunaSearch,),
                {"__init__": __init__, "name": f"{PREFIX}:{sampler}", "sampler_class": cls,
                 "requires": SAMPLER_REQUIRES.get(sampler, ()), "__module__": __name__,
                 "__doc__": f"Optuna's {cls.__name__} as an optimizer."})


OPTIMIZERS.register_prefix(PREFIX, optuna_optimizer, f"{PREFIX}:SAMPLER (optional extra; {INSTALL})")
