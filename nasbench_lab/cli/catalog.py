"""What ``nasbench-lab list algorithms`` / ``list predictors`` show: each registered class once (aliases hidden)
with its one-line description, parameters and defaults, what it needs beyond the core install, and whether it
accepts several objectives (marked ``[multi-objective]``)."""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass
from typing import Any

from nasbench_lab.plugins import plugin_of
from nasbench_lab.predictors.registry import PREDICTORS
from nasbench_lab.registry import Registry, constructor_params
from nasbench_lab.search.base import OPTIMIZERS
from nasbench_lab.search.optuna_search import INSTALL as OPTUNA_INSTALL
from nasbench_lab.search.optuna_search import PREFIX as OPTUNA_PREFIX


@dataclass(frozen=True)
class CatalogEntry:
    """One algorithm or predictor as ``list`` shows it."""

    name: str
    display_name: str
    description: str
    params: dict[str, str]
    needs: str
    plugin: str | None
    #: accepts several objectives (``compare --objectives``); always False for predictors
    multi_objective: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first_line(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ").strip()


def _defaults(cls: type, skip: tuple[str, ...]) -> dict[str, str]:
    return {k: "(required)" if v is inspect.Parameter.empty else repr(v)
            for k, v in constructor_params(cls, skip).items() if k != "kwargs"}


def _entries(registry: Registry[Any], skip: tuple[str, ...], needs) -> list[CatalogEntry]:
    """Each class under its own name (``cls.name``): aliases such as ``random_search`` for ``rs`` are hidden."""
    out = []
    for name in registry.names():
        cls = registry.get(name)
        if getattr(cls, "name", name) != name:
            continue  # an alias
        out.append(CatalogEntry(name, getattr(cls, "display_name", "") or name, _first_line(cls),
                                _defaults(cls, skip), needs(cls), plugin_of(cls),
                                bool(getattr(cls, "multi_objective", False))))
    return out


def _optimizer_needs(cls: type) -> str:
    return "a benchmark with two or more fidelities" if getattr(cls, "multi_fidelity", False) else ""


def _predictor_needs(cls: type) -> str:
    if getattr(cls, "needs_benchmark", False):
        return "a benchmark with lower fidelities or zero-cost proxies (the command passes it)"
    return ""


def algorithm_entries() -> list[CatalogEntry]:
    """Registered search algorithms, then the ``optuna:SAMPLER`` family (an optional extra)."""
    entries = _entries(OPTIMIZERS, ("self", "problem", "rng"), _optimizer_needs)
    entries.append(CatalogEntry(
        f"{OPTUNA_PREFIX}:SAMPLER", "Optuna sampler", f"any Optuna sampler: {', '.join(_optuna_samplers())}",
        {"(the sampler's own arguments)": ""},
        f"the optuna extra ({OPTUNA_INSTALL}); optuna:gp also needs torch", None))
    return entries


def _optuna_samplers() -> list[str]:
    """Sampler names when Optuna is installed, else the documented examples."""
    from nasbench_lab.search.optuna_search import OptunaMissingError, sampler_classes

    try:
        return [f"{OPTUNA_PREFIX}:{s}" for s in sorted(sampler_classes())]
    except OptunaMissingError:
        return [f"{OPTUNA_PREFIX}:tpe", f"{OPTUNA_PREFIX}:random", f"{OPTUNA_PREFIX}:gp", "... (Optuna not installed)"]


def predictor_entries() -> list[CatalogEntry]:
    """Registered performance predictors."""
    return _entries(PREDICTORS, ("self", "space", "benchmark", "random_state"), _predictor_needs)


#: how the listing marks an algorithm that accepts several objectives
MULTI_OBJECTIVE_TAG = "[multi-objective]"


def format_entries(entries: list[CatalogEntry]) -> str:
    """The plain-text listing: a header line per entry, its parameters and needs indented below."""
    lines = []
    for e in entries:
        shown = f" ({e.display_name})" if e.display_name != e.name else ""
        tag = f" {MULTI_OBJECTIVE_TAG}" if e.multi_objective else ""
        lines.append(f"{e.name}{shown}{tag}: {e.description}")
        if e.params:
            lines.append("  parameters: " + ", ".join(f"{k}={v}" if v else k for k, v in e.params.items()))
        if e.needs:
            lines.append(f"  needs: {e.needs}")
        if e.plugin:
            lines.append(f"  plug-in: {e.plugin}")
    return "\n".join(lines)
