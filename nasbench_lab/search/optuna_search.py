"""Any Optuna sampler as an optimizer: ``optuna:tpe``, ``optuna:random``, ``optuna:gp``, ... (optional extra).

Names ``optuna:SAMPLER`` resolve through the optimizer registry's ``optuna`` prefix: SAMPLER is an
Optuna sampler class name without ``Sampler``, lower-cased (``TPESampler`` -> ``tpe``; ``nsga2`` and
``nsga3`` name ``nsgaii`` and ``nsgaiii``); every sampler constructible without required arguments is
accepted. The adapter uses Optuna's ask/tell API with one ``CategoricalDistribution`` per position of the
space's categorical parameterisation, a sampler seeded from the run's Generator, and an in-memory study
(maximising the told values; results the table lacks are told as failed trials). Sampler arguments are the optimizer's
parameters (``--param optuna:tpe.n_startup_trials=20``); those Optuna rejects raise a one-line
ConfigError naming the argument.

With several objectives the study has one ``maximize`` direction per objective (``optuna:nsga2``, ``optuna:tpe``
as MOTPE, ``optuna:nsga3``, ``optuna:gp``, ``optuna:random``, ``optuna:qmc``; CMA-ES optimizes one objective and
is refused). With constraints each trial carries its constraint violation (known when it is asked for):
``Trial.set_constraint`` on Optuna 5, ``constraints_func`` for the samplers that take it on Optuna 4; Optuna
treats values <= 0 as feasible. Optuna needs objective values for an infeasible trial, which the runner does not
tell (it tells ``-inf``), so such a trial is told the worst value seen so far in each objective (its violation
ranks it first: constrained domination in NSGA-II, the infeasible group in TPE), or failed before any value.
Optuna is imported only when such a name is resolved; the
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
#: other names of samplers (the issue's and the literature's), resolved to Optuna's
SAMPLER_ALIASES = {"nsga2": "nsgaii", "nsga3": "nsgaiii"}
#: samplers Optuna runs with one objective only
SINGLE_OBJECTIVE_SAMPLERS = ("cmaes",)
#: the key of the constraint violation a trial carries (a user attribute on Optuna 4, a constraint on Optuna 5)
VIOLATION = "violation"


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
        #: how the sampler learns each trial's violation: "set_constraint" (Optuna 5), "constraints_func"
        #: (Optuna 4, samplers that take it), or None (no constraints, or a sampler that ignores them)
        self.constraint_mode = constraint_mode(optuna, self.sampler_class) if problem.constraints else None
        own = {"constraints_func": trial_violation} if self.constraint_mode == "constraints_func" else {}
        self.sampler = make_sampler(self.name, self.sampler_class, sampler_args, int(rng.integers(2**31 - 1)), own)
        self.study = optuna.create_study(directions=["maximize"] * problem.n_objectives, sampler=self.sampler)
        self._worst: np.ndarray | None = None  # the worst finite value told so far per objective
        self._violations: dict[int, float] = {}  # trial number -> constraint violation (constrained runs)
        dist = optuna.distributions.CategoricalDistribution
        self._names = [f"x{j:02d}" for j in range(self.layout.dim)]
        self._space = {name: dist(list(range(int(k)))) for name, k in zip(self._names, self.layout.n)}
        self._trials: dict[bytes, list] = {}
        self._fail = optuna.trial.TrialState.FAIL

    def ask(self, n: int) -> np.ndarray:
        archs = []
        for _ in range(n):
            trial, arch = self._ask_present()
            if self.constraint_mode is not None:
                self._set_violation(trial, float(self.problem.violation(arch[None])[0]))
            self._trials.setdefault(arch.tobytes(), []).append(trial)
            archs.append(arch)
        return np.stack(archs) if archs else self.empty()

    def _set_violation(self, trial, violation: float) -> None:
        """Attaches the trial's constraint violation where its sampler reads it."""
        self._violations[trial.number] = violation
        if self.constraint_mode == "set_constraint":
            trial.set_constraint(VIOLATION, violation)
        else:
            trial.set_user_attr(VIOLATION, violation)

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
        rows = np.asarray(values, dtype=np.float64).reshape(len(archs), -1)
        for arch, row in zip(archs, rows):
            key = np.ascontiguousarray(arch, dtype=self.space.arch_dtype).tobytes()
            trials = self._trials.get(key)
            if not trials:
                continue  # not asked by this optimizer: Optuna cannot be told it
            trial = trials.pop(0)
            if not trials:
                del self._trials[key]
            told = self._values_for(trial, row)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if told is None:
                    self.study.tell(trial, state=self._fail)
                else:
                    self.study.tell(trial, told[0] if len(told) == 1 else told)

    def _values_for(self, trial, row: np.ndarray) -> list[float] | None:
        """What Optuna is told for a result: its values; for an infeasible trial whose sampler knows its violation,
        the worst values told so far (Optuna needs values; the violation ranks it); else None (a failed trial)."""
        if np.isfinite(row).all():
            self._violations.pop(trial.number, None)
            self._worst = row.copy() if self._worst is None else np.minimum(self._worst, row)
            return row.tolist()
        violated = self.constraint_mode is not None and self._violations.pop(trial.number, 0.0) > 0
        return self._worst.tolist() if violated and self._worst is not None else None


def trial_violation(trial: Any) -> tuple[float]:
    """The ``constraints_func`` of Optuna 4 samplers: the violation the adapter attached to the trial when asked."""
    return (float(trial.user_attrs.get(VIOLATION, 0.0)),)


def constraint_mode(optuna: ModuleType, cls: type[Any]) -> str | None:
    """How a sampler of class ``cls`` learns constraint violations: ``Trial.set_constraint`` where Optuna has it
    (5.0 on), else the sampler's ``constraints_func`` argument, else None (the sampler ignores constraints)."""
    if hasattr(optuna.trial.Trial, "set_constraint"):
        return "set_constraint"
    return "constraints_func" if "constraints_func" in inspect.signature(cls.__init__).parameters else None


def make_sampler(name: str, cls: type[Any], args: Mapping, seed: int, extra: Mapping | None = None) -> Any:
    """``cls(seed=seed, **extra, **args)``; arguments Optuna rejects raise one ConfigError line naming them."""
    params = inspect.signature(cls.__init__).parameters
    own = {"seed": seed} if "seed" in params else {}
    own.update({k: v for k, v in dict(extra or {}).items() if k not in args})
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
    if sampler in SAMPLER_ALIASES:
        return optuna_optimizer(SAMPLER_ALIASES[sampler])
    samplers = sampler_classes()
    if sampler not in samplers:
        raise UnknownNameError("Optuna sampler", sampler,
                               [f"{PREFIX}:{s}" for s in sorted([*samplers, *SAMPLER_ALIASES])])
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
                 "multi_objective": sampler not in SINGLE_OBJECTIVE_SAMPLERS,
                 "requires": SAMPLER_REQUIRES.get(sampler, ()), "__module__": __name__,
                 "__doc__": f"Optuna's {cls.__name__} as an optimizer."})


OPTIMIZERS.register_prefix(PREFIX, optuna_optimizer, f"{PREFIX}:SAMPLER (optional extra; {INSTALL})")
