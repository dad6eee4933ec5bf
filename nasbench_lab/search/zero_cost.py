"""Zero-cost-guided evolution: rank a large random pool by a proxy, start regularized evolution from the best.

The proxy is a metric that needs no training (a zero-cost proxy such as ``zc_synflow``, or a
size such as ``params``/``flops``), read from the benchmark or supplied by the live backend
through :class:`SearchProblem`; validation and test metrics are refused. Proxy scores cost no
queries. Architectures without a proxy score rank last.
"""

from __future__ import annotations

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.search.base import SearchProblem, check_proxy_name, positive_int, register_optimizer
from nasbench_lab.search.regularized_evolution import RegularizedEvolution

#: proxies tried in this order by ``proxy="auto"``
AUTO_PROXIES = ("zc_synflow", "zc_nwot", "zc_jacov", "zc_snip", "flops", "params")


def pick_proxy(problem: SearchProblem, proxy: str) -> str:
    """The proxy to use: ``proxy`` itself, or for ``"auto"`` the first of AUTO_PROXIES (then any zc_*) available."""
    if proxy != "auto":
        check_proxy_name(proxy)
        return proxy
    available = list(problem.proxy_metrics)
    for name in [*AUTO_PROXIES, *sorted(m for m in available if m.startswith("zc_"))]:
        if name in available:
            return name
    raise ConfigError("zero-cost search found no proxy metric in this benchmark (looked for "
                      f"{', '.join(AUTO_PROXIES)} or any zc_*); pass proxy=NAME or a benchmark with proxies")


@register_optimizer("zc", "zero_cost")
class ZeroCostEvolution(RegularizedEvolution):
    """Regularized evolution whose first population is the proxy's best of ``pool_size`` random architectures."""

    display_name = "Zero-cost evolution"

    def __init__(self, problem: SearchProblem, rng: np.random.Generator, proxy: str = "auto",
                 pool_size: int = 2000, population_size: int = 10, sample_size: int = 3, aging: bool = True):
        super().__init__(problem, rng, population_size, sample_size, aging)
        self.proxy = pick_proxy(problem, proxy)
        problem.proxy(problem.space.sample(np.random.default_rng(0), 1), self.proxy)  # unknown names fail now
        self.pool_size = positive_int("zc", "pool_size", pool_size)
        self._ranked: list[np.ndarray] | None = None

    def initial(self, n: int) -> np.ndarray:
        if self._ranked is None:
            pool = self.space.sample(self.rng, self.pool_size)
            _, first = np.unique(self.space.keys(pool), return_index=True)
            pool = pool[np.sort(first)]
            scores = self.problem.proxy(pool, self.proxy)
            scores = np.where(np.isfinite(scores), scores, -np.inf)
            self._ranked = list(pool[np.argsort(-scores, kind="stable")])
        take, self._ranked = self._ranked[:n], self._ranked[n:]
        if len(take) < n:
            take += list(self.space.sample(self.rng, n - len(take)))
        return np.stack(take)
