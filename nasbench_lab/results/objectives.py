"""Objectives and constraints of a search, as records: what a multi-objective or constrained run optimizes.

Below search and analysis: the runner records them in a trajectory's metadata, optimizers read them from their
problem, and analysis rebuilds them from the metadata to score runs against exact fronts. Parsing and checks
that need no benchmark live here; checks against a benchmark live in ``results/objective_choice.py``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.metrics import DIRECTIONS

#: comparison operators a constraint accepts (``latency_pixel3<=20``); ``<``/``>`` are read as ``<=``/``>=``
CONSTRAINT_OPERATORS = ("<=", ">=")
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(<=|>=|<|>|=<|=>)\s*([^\s<>=]+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``metric op bound``: an architecture is feasible when its ``metric`` value satisfies it."""

    metric: str
    op: str
    bound: float

    def __post_init__(self) -> None:
        if self.op not in CONSTRAINT_OPERATORS:
            raise ConfigError(f"constraint operator must be one of {', '.join(CONSTRAINT_OPERATORS)}, got {self.op!r}")
        if isinstance(self.bound, bool) or not isinstance(self.bound, (int, float)) or not math.isfinite(self.bound):
            raise ConfigError(f"constraint bound must be a finite number, got {self.bound!r}")
        object.__setattr__(self, "bound", float(self.bound))

    @classmethod
    def parse(cls, text: str | Constraint) -> Constraint:
        """``"latency_pixel3<=20"`` as a Constraint; a one-line error says what a constraint looks like."""
        if isinstance(text, Constraint):
            return text
        match = _CONSTRAINT.match(text) if isinstance(text, str) else None
        if match is None:
            raise ConfigError(f"constraint {text!r} is not of the form METRIC<=NUMBER or METRIC>=NUMBER "
                              "(e.g. latency_pixel3<=20)")
        name, op, raw = match.groups()
        try:
            bound = float(raw)
        except ValueError:
            raise ConfigError(f"constraint {text!r}: bound {raw!r} is not a number") from None
        if not math.isfinite(bound):
            raise ConfigError(f"constraint {text!r}: bound must be a finite number, got {raw!r}")
        return cls(name, "<=" if op in ("<=", "<", "=<") else ">=", bound)

    def violation(self, values: np.ndarray) -> np.ndarray:
        """How far each value is outside the bound (0 where satisfied; ``inf`` where the value is missing)."""
        v = np.asarray(values, dtype=np.float64)
        gap = v - self.bound if self.op == "<=" else self.bound - v
        return np.where(np.isfinite(v), np.maximum(gap, 0.0), np.inf)

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.bound:g}"


@dataclass(frozen=True)
class Objectives:
    """The objectives of a run (metric names, each with its direction) and its constraints, in order.

    A run with one objective and no constraints is an ordinary single-objective run. The first objective is the
    run's search metric (recorded as the trajectory's ``valid``).
    """

    names: tuple[str, ...]
    higher: tuple[bool, ...]
    constraints: tuple[Constraint, ...] = ()

    def __post_init__(self) -> None:
        if not self.names:
            raise ConfigError("a search needs at least one objective")
        if len(self.higher) != len(self.names):
            raise ConfigError(f"got {len(self.higher)} directions for {len(self.names)} objectives")
        seen = [n for i, n in enumerate(self.names) if n in self.names[:i]]
        if seen:
            raise ConfigError(f"objective {seen[0]!r} is named twice; name each objective once")

    @property
    def n(self) -> int:
        """How many objectives."""
        return len(self.names)

    @property
    def multi(self) -> bool:
        """True with two or more objectives."""
        return len(self.names) > 1

    def violation(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Total violation of every constraint per row (0: feasible), from each constraint metric's values."""
        n = len(next(iter(columns.values()))) if columns else 0
        total = np.zeros(n)
        for c in self.constraints:
            total = total + c.violation(columns[c.metric])
        return total

    def to_meta(self) -> dict:
        """What a trajectory's metadata records (read back by :meth:`from_meta`)."""
        return {"objectives": list(self.names), "objective_higher": list(self.higher),
                "constraints": [str(c) for c in self.constraints]}

    @classmethod
    def from_meta(cls, meta: Mapping) -> Objectives | None:
        """The objectives a trajectory's metadata records, or None for a run recorded without them."""
        names = meta.get("objectives")
        if not names:
            return None
        return cls(tuple(names), tuple(bool(h) for h in meta["objective_higher"]),
                   tuple(Constraint.parse(c) for c in meta.get("constraints", ())))


def split_direction(item: str) -> tuple[str, bool | None]:
    """``"latency:min"`` -> ``("latency", False)``; a bare name -> ``(name, None)`` (its direction from the metric)."""
    name, sep, direction = str(item).strip().partition(":")
    if not sep:
        return name, None
    if direction not in DIRECTIONS:
        raise ConfigError(f"objective {item!r}: direction must be min or max after the colon, got {direction!r}")
    return name, DIRECTIONS[direction]


def parse_list(value: str | Sequence[str | Constraint] | None, what: str) -> list:
    """A comma-separated string or a list of strings as a list (empty entries refused)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(i, (str, Constraint)) for i in items):
        raise ConfigError(f"{what} must be a list of strings, got {value!r}")
    out = [i.strip() if isinstance(i, str) else i for i in items]
    if any(i == "" for i in out):
        raise ConfigError(f"{what} has an empty entry: {value!r}")
    return out
