"""Successive halving and Hyperband (Li et al. 2017) over a benchmark's fidelities (e.g. NB201's 12 and 200 epochs).

A bracket samples configurations at a low fidelity and promotes the best 1/eta of each rung
to the next fidelity; Hyperband cycles through brackets that start at different fidelities.
With several simulated workers, a new bracket opens whenever the open ones are waiting for
results, so no worker idles. Only the search metric at each fidelity is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import Optimizer, SearchProblem, in_range, register_optimizer


@dataclass
class _Bracket:
    """One run of successive halving: rung sizes and fidelities, and what is queued or awaited."""

    sizes: list[int]
    fidelities: list[int]
    rung: int = 0
    queue: list[np.ndarray] = field(default_factory=list)
    results: list[tuple[np.ndarray, float]] = field(default_factory=list)
    pending: int = 0

    @property
    def done(self) -> bool:
        return self.rung >= len(self.sizes)


def rung_ladder(fidelities: tuple[int, ...] | list[int], eta: float) -> list[int]:
    """The rungs Hyperband uses of a benchmark's fidelities: from the highest down, each next one the highest
    that is at most 1/eta of the last (a per-epoch curve 1..200 gives 2, 7, 22, 66, 200 at eta 3; NB201's
    12 and 200 and NB101's 4, 12, 36, 108 stay all rungs). Why: one rung per epoch would make eta**199 configs."""
    fids = sorted(set(int(f) for f in fidelities))
    if not fids:
        return []
    ladder = [fids[-1]]
    while (lower := [f for f in fids if f <= ladder[-1] / eta and f < ladder[-1]]):  # strictly lower: a 0 ends it
        ladder.append(lower[-1])
    return ladder[::-1]


@register_optimizer("hb", "hyperband")
class Hyperband(Optimizer):
    """Hyperband with ratio ``eta``; ``brackets="one"`` gives plain successive halving from the lowest fidelity.

    Rungs: ``fidelities`` as given, else :func:`rung_ladder` of the benchmark's fidelities."""

    display_name = "Hyperband"

    multi_fidelity = True

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, eta: float = 3.0,
                 brackets: str = "all", fidelities: list[int] | None = None):
        super().__init__(problem, rng)
        self.eta = in_range("hb", "eta", eta, 1.5, 100.0)
        fids = rung_ladder(problem.fidelities, self.eta) if fidelities is None else sorted(fidelities)
        unknown = [f for f in fids if f not in problem.fidelities]
        if unknown or len(fids) < 2:
            raise ConfigError(f"hb needs at least two fidelities with search-metric values; this benchmark has "
                              f"{list(problem.fidelities) or 'one'}" + (f" (asked for {unknown})" if unknown else ""))
        if brackets not in ("all", "one"):
            raise ConfigError(f"hb: brackets must be 'all' (Hyperband) or 'one' (successive halving), got {brackets!r}")
        self.fidelities = [int(f) for f in fids]
        s_max = len(self.fidelities) - 1
        self._plan = [s_max] if brackets == "one" else list(range(s_max, -1, -1))
        self._next_plan = 0
        self._open: list[_Bracket] = []
        self._owner: dict[bytes, list[_Bracket]] = {}

    def _new_bracket(self) -> _Bracket:
        s = self._plan[self._next_plan % len(self._plan)]
        self._next_plan += 1
        s_max = len(self.fidelities) - 1
        n0 = math.ceil((s_max + 1) / (s + 1) * self.eta**s)
        sizes = [max(1, math.floor(n0 * self.eta ** (-i))) for i in range(s + 1)]
        bracket = _Bracket(sizes, self.fidelities[s_max - s:])
        bracket.queue = self._initial_configs(n0)
        return bracket

    def _initial_configs(self, n: int) -> list:
        """A new bracket's first rung: ``n`` random architectures (BOHB: placeholders drawn when handed out)."""
        return list(self.space.sample(self.rng, n))

    def _draw_config(self) -> np.ndarray:
        """The architecture for a placeholder of a first rung (only models that defer their draws use it)."""
        return self.space.sample(self.rng)

    def propose(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        archs: list[np.ndarray] = []
        fids: list[int] = []
        while len(archs) < n:
            bracket = next((b for b in self._open if b.queue), None)
            if bracket is None:  # every open bracket awaits results: open another (no worker idles)
                bracket = self._new_bracket()
                self._open.append(bracket)
            arch = bracket.queue.pop(0)
            if arch is None:
                arch = self._draw_config()
            bracket.pending += 1
            self._owner.setdefault(arch.tobytes(), []).append(bracket)
            archs.append(arch)
            fids.append(bracket.fidelities[bracket.rung])
        return (np.stack(archs) if archs else self.empty()), np.asarray(fids, dtype=np.int64)

    def ask(self, n: int) -> np.ndarray:
        return self.propose(n)[0]

    def tell(self, archs: np.ndarray, values: np.ndarray, fidelities: np.ndarray | None = None) -> None:
        for arch, value in zip(archs, values):
            key = np.ascontiguousarray(arch, dtype=self.space.arch_dtype).tobytes()
            owners = self._owner[key]
            bracket = owners.pop(0)
            if not owners:
                del self._owner[key]
            bracket.pending -= 1
            bracket.results.append((arch, float(value)))
            if not bracket.pending and not bracket.queue:
                self._promote(bracket)

    def _promote(self, bracket: _Bracket) -> None:
        """Moves a finished rung's best to the next fidelity, or closes the bracket after its last rung."""
        bracket.rung += 1
        if bracket.done:
            self._open.remove(bracket)
            return
        ranked = sorted(range(len(bracket.results)), key=lambda i: -bracket.results[i][1])
        bracket.queue = [bracket.results[i][0] for i in ranked[: bracket.sizes[bracket.rung]]]
        bracket.results = []


@register_optimizer("sh", "successive_halving")
class SuccessiveHalving(Hyperband):
    """Successive halving: Hyperband's most aggressive bracket only, repeated."""

    display_name = "Successive halving"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, eta: float = 3.0,
                 fidelities: list[int] | None = None):
        super().__init__(problem, rng, eta=eta, brackets="one", fidelities=fidelities)
