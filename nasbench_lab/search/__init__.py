"""Search algorithms (ask/tell), the runner with a simulated clock and trajectories (studies: nasbench_lab.studies).

``run(benchmark, "re", seed=0, budget=150)`` runs one optimizer; ``OPTIMIZERS`` lists them:
``rs, re, ls, de, bananas, gbdt, npred, zc, hb`` (and ``sh``), ``tpe, reinforce, bohb``, NAS-Bench-201's own
settings ``re-nb201, bohb-nb201``, the multi-objective ``nsga2, mo-re, mo-ls, parego`` (and ``rs``), the one-shot
searches ``oneshot-rs, oneshot-re`` (supernet ratings; the ``live`` extra), and ``optuna:SAMPLER`` with the
optional ``optuna`` extra.
"""

from nasbench_lab.results.trajectory import Trajectory
from nasbench_lab.search import bananas as _bananas  # noqa: F401  (registers)
from nasbench_lab.search import bohb as _bohb  # noqa: F401
from nasbench_lab.search import bohb_nb201 as _bohb_nb201  # noqa: F401
from nasbench_lab.search import differential_evolution as _de  # noqa: F401
from nasbench_lab.search import gbdt_search as _gbdt  # noqa: F401
from nasbench_lab.search import hyperband as _hb  # noqa: F401
from nasbench_lab.search import local_search as _ls  # noqa: F401
from nasbench_lab.search import mo_local_search as _mo_ls  # noqa: F401
from nasbench_lab.search import mo_regularized_evolution as _mo_re  # noqa: F401
from nasbench_lab.search import neural_predictor as _npred  # noqa: F401
from nasbench_lab.search import nsga2 as _nsga2  # noqa: F401
from nasbench_lab.search import oneshot as _oneshot  # noqa: F401  (torch only when run)
from nasbench_lab.search import optuna_search as _optuna  # noqa: F401  (the optuna:SAMPLER prefix; imports no optuna)
from nasbench_lab.search import parego as _parego  # noqa: F401
from nasbench_lab.search import random_search as _rs  # noqa: F401
from nasbench_lab.search import regularized_evolution as _re  # noqa: F401
from nasbench_lab.search import regularized_evolution_nb201 as _re_nb201  # noqa: F401
from nasbench_lab.search import reinforce as _reinforce  # noqa: F401
from nasbench_lab.search import tpe as _tpe  # noqa: F401
from nasbench_lab.search import zero_cost as _zc  # noqa: F401
from nasbench_lab.search.base import (
    OPTIMIZERS,
    Optimizer,
    SearchProblem,
    make_optimizer,
    optimizer_params,
    register_optimizer,
)
from nasbench_lab.search.runner import Budget, run, search_problem

__all__ = [
    "OPTIMIZERS",
    "Budget",
    "Optimizer",
    "SearchProblem",
    "Trajectory",
    "make_optimizer",
    "optimizer_params",
    "register_optimizer",
    "run",
    "search_problem",
]
