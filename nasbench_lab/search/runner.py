"""Runner: one optimizer on one benchmark under a budget, on a simulated clock with 1..k workers.

The optimizer sees only the search metric (validation). Each query's cost is the benchmark's
training time at the queried fidelity; with k workers, results arrive in order of simulated
finish time (an event queue), so asynchronous optimizers behave as they would on a cluster.
Report (test) values are looked up after the run and never reach the optimizer.
"""

from __future__ import annotations

import heapq
import signal
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from nasbench_lab.benchmarks.base import Benchmark
from nasbench_lab.benchmarks.metric_choice import resolve_metrics
from nasbench_lab.errors import ConfigError
from nasbench_lab.metrics import higher_is_better, metric_info
from nasbench_lab.results.objective_choice import resolve_objectives
from nasbench_lab.results.objectives import Constraint, Objectives
from nasbench_lab.results.trajectory import Trajectory
from nasbench_lab.search.base import (
    PROXY_KINDS,
    Optimizer,
    SearchProblem,
    check_objective_count,
    make_optimizer,
    optimizer_params,
)
from nasbench_lab.search.contract import CheckedOptimizer, checked
from nasbench_lab.search.evaluator import (  # noqa: F401  (VALID_SEEDS re-exported)
    VALID_SEEDS,
    ObjectiveEvaluator,
    TableEvaluator,
    search_fidelities,
)
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace

#: why a run ended (``traj.meta["stopped"]``): its budget was used up; every architecture of an
#: enumerable space (or listed set of rows) was queried (a run ends then whatever its budget); the
#: optimizer proposed nothing while architectures were left and no result was pending (a defect of that
#: optimizer: the run is short); or its wall-clock limit (``timeout_s``) passed (the run is short)
STOP_REASONS = ("budget", "exhausted", "optimizer_stalled", "timeout")


#: the largest budget in queries a run accepts: its results are held in memory (about 100 bytes a query)
MAX_QUERIES = 100_000_000


@dataclass(frozen=True)
class Budget:
    """Stop after ``queries`` results or ``seconds`` of simulated time, whichever comes first."""

    queries: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.queries is None and self.seconds is None:
            raise ConfigError("a budget needs queries (a count) or seconds (simulated time), or both")
        q = self.queries
        if q is not None and (isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q <= 0):
            raise ConfigError(f"budget in queries must be an integer > 0, got {self.queries!r}")
        if q is not None and q > MAX_QUERIES:
            raise ConfigError(f"budget in queries must be at most {MAX_QUERIES:,} (a run's results are held in "
                              f"memory), got {q:,}")
        if self.seconds is not None and (isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float))
                                         or not np.isfinite(self.seconds) or self.seconds <= 0):
            raise ConfigError(f"budget in simulated seconds must be a number > 0, got {self.seconds!r}")


def search_problem(benchmark: Benchmark, metric: str | None = None,
                   objectives: Objectives | None = None) -> SearchProblem:
    """What an optimizer may know about ``benchmark``: its space, fidelities, proxy metrics and, for a
    multi-objective or constrained run, its objectives and the constraints' violation (known before training)."""
    proxies = tuple(m for m in benchmark.metrics if metric_info(m).kind in PROXY_KINDS and m != "train_time")

    def proxy_fn(archs: np.ndarray, name: str) -> np.ndarray:
        return benchmark.query_batch(archs, name)

    fids = search_fidelities(benchmark, metric)

    def epoch_cost() -> float:  # lazy: only a one-shot optimizer asks (a benchmark without times raises)
        fid = fids[-1] if fids else max(benchmark.fidelities)
        archs = benchmark.archs_with_data(metric)
        costs = np.asarray(benchmark.cost(archs, fid), dtype=np.float64)
        return float(np.nanmean(costs)) / float(fid)

    if objectives is None:
        return SearchProblem(benchmark.space, fids, proxies, proxy_fn, epoch_cost)

    def violation(archs: np.ndarray) -> np.ndarray:
        return objectives.violation({c.metric: np.asarray(benchmark.query_batch(archs, c.metric), dtype=np.float64)
                                     for c in objectives.constraints})

    return SearchProblem(benchmark.space, fids, proxies, proxy_fn, epoch_cost,
                         objectives=objectives.names if objectives.multi else (),
                         constraints=objectives.constraints, violation_fn=violation)


class RunTimedOut(BaseException):
    """Raised inside an optimizer's ask/tell when its run's wall-clock limit passes (a BaseException, so that a
    plug-in's ``except Exception`` cannot swallow it)."""


class _Deadline:
    """A run's wall-clock limit: checked between queries, and enforced inside ask/tell by SIGALRM.

    A slow optimizer that returns is stopped at the next check; one whose ask never returns is interrupted
    by the alarm (only in a process's main thread on a platform with ``signal.setitimer``, which covers
    ``--jobs 1`` and the process pool, not Dask's worker threads; code stuck in C that ignores signals is
    not interrupted). The alarm raises only while the optimizer runs (between ``enter`` and ``leave``: plain
    calls, as the loop is hot), so the runner's own bookkeeping is never cut in half; a run so stopped keeps
    every result it recorded.
    """

    def __init__(self, seconds: float | None):
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                    or not np.isfinite(seconds) or seconds <= 0):
            raise ConfigError(f"run timeout must be a number of seconds > 0, got {seconds!r}")
        self.at = None if seconds is None else time.monotonic() + float(seconds)
        self._inside = False
        self._expired = False

    def enter(self) -> None:
        """Marks the start of a call into the optimizer (the alarm may interrupt it until ``leave``); raises
        RunTimedOut when the limit has passed already."""
        if self.at is not None and (self._expired or time.monotonic() >= self.at):
            raise RunTimedOut()
        self._inside = True

    def leave(self) -> None:
        self._inside = False

    def _on_alarm(self, signum, frame) -> None:
        self._expired = True
        if self._inside:
            raise RunTimedOut()

    @contextmanager
    def armed(self) -> Iterator[None]:
        """Sets the alarm for the run's duration where signals can be used, and restores the previous handler."""
        usable = (self.at is not None and hasattr(signal, "setitimer")
                  and threading.current_thread() is threading.main_thread())
        if not usable or self.at is None:
            yield
            return
        previous = signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(self.at - time.monotonic(), 1e-3))
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


class _Coverage:
    """Which architectures of a listed space a run has queried, so that a run ends once it has queried every one
    (stopped: exhausted) whatever its budget; tracked only where a budget could reach that and for single-fidelity
    optimizers. No run can have covered the space before it made as many queries as the space has members, so
    until then queries are only held (no index lookup on the hot path) and looked up together at that point."""

    def __init__(self, space: SearchSpace, budget: Budget, multi_fidelity: bool):
        self.space = space if isinstance(space, EnumerableSpace) else None
        reachable = self.space is not None and (budget.queries is None or budget.queries >= self.space.size)
        self.seen = np.zeros(self.space.size, dtype=bool) if self.space is not None and reachable \
            and not multi_fidelity else None
        self.left = self.space.size if self.space is not None else 0
        self._held: list[np.ndarray] | None = []  # queries before there can be enough of them; None once looked up
        self._count = 0

    def complete_after(self, archs: np.ndarray) -> bool:
        """Records ``archs`` as queried; True once every architecture has been."""
        if self.seen is None or self.space is None:
            return False
        if self._held is not None:
            self._held.append(archs)
            self._count += len(archs)
            if self._count < self.space.size:
                return False
            archs, self._held = np.concatenate(self._held), None
        idx = np.atleast_1d(np.asarray(self.space.index(archs), dtype=np.int64))
        fresh = np.unique(idx[~self.seen[idx]])
        self.seen[fresh] = True
        self.left -= len(fresh)
        return self.left <= 0


def run(benchmark: Benchmark, algorithm: str | Optimizer, seed: int = 0, *, budget: int | None = None,
        budget_seconds: float | None = None, workers: int = 1, params: Mapping | None = None,
        fidelity: int | None = None, valid_seed: str | int = "random", search_metric: str | None = None,
        report_metric: str | None = None, directions: Mapping[str, str] | None = None,
        timeout_s: float | None = None, setup_cost: float | None = None,
        objectives: str | Sequence[str] | None = None,
        constraints: str | Sequence[str | Constraint] | None = None) -> Trajectory:
    """Runs ``algorithm`` (a registered name such as ``"re"``) on ``benchmark`` and returns its Trajectory.

    ``budget`` counts queries, ``budget_seconds`` simulated training seconds (both: whichever ends
    first). ``valid_seed="random"`` draws one training seed per query where the table has several
    (the noise a real search sees); ``"mean"`` averages them. ``search_metric``/``report_metric`` default
    to the benchmark's (``valid_acc``/``test_acc``); ``directions`` maps a metric to ``"min"`` or ``"max"``
    where its name does not say (names ending in loss/error/err are minimized). The optimizer is always
    told higher-is-better values. Same seed, same trajectory, bit for bit. ``timeout_s`` (wall-clock seconds)
    ends a run early, keeping what it evaluated (``stopped: "timeout"``; see ``_Deadline``); a run that has
    queried every architecture of a listed space ends then (``stopped: "exhausted"``), whatever its budget.
    ``setup_cost`` (simulated seconds; default: the optimizer's own ``setup_cost``, 0 but for one-shot
    methods, which charge their supernet's training) is spent before the first query: the clock starts
    there, a budget in seconds includes it, and ``meta["setup_cost"]`` records it (only when > 0).

    ``objectives`` (e.g. ``["valid_acc", "latency_gold_6226"]`` or ``"valid_acc,latency_pixel3:min"``; the first
    is searched on, each direction from its metric unless a ``:min``/``:max`` suffix or ``directions`` says) and
    ``constraints`` (e.g. ``["latency_pixel3<=20"]``, on cost, size or proxy metrics) make a multi-objective or
    constrained run: the trajectory then records every objective per query (``objectives``) and each query's
    constraint violation (``violation``); infeasible queries spend budget and are told ``-inf``, and the incumbent
    is the best feasible one (``meta["n_feasible"]`` says how many there were; 0: the run found none).
    """
    wall0 = time.perf_counter()
    bud = Budget(budget, budget_seconds)
    deadline = _Deadline(timeout_s)
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ConfigError(f"workers must be an integer >= 1, got {workers!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    seed_seq = np.random.SeedSequence(int(seed))
    opt_seq, noise_seq = seed_seq.spawn(2)
    objs = None
    if objectives is not None or constraints is not None:
        objs = resolve_objectives(benchmark, objectives, constraints, directions, search_metric)
        search_metric = objs.names[0]
        directions = {**dict(directions or {}),
                      **{n: "max" if h else "min" for n, h in zip(objs.names, objs.higher)}}
    metrics = resolve_metrics(benchmark, search_metric, report_metric)
    noise = np.random.default_rng(noise_seq)
    ev = TableEvaluator(benchmark, fidelity, valid_seed, noise, metrics, directions)
    if bud.seconds is not None and not ev.has_cost:
        raise ConfigError(f"{benchmark.name}/{benchmark.dataset} has no training times, so a budget in simulated "
                          "seconds cannot be kept; use a budget in queries")
    if isinstance(algorithm, Optimizer):
        opt, name, used = algorithm, algorithm.name, dict(params or {})
    else:
        opt = make_optimizer(algorithm, search_problem(benchmark, ev.metric, objs), np.random.default_rng(opt_seq),
                             **dict(params or {}))
        name, used = opt.name, {**optimizer_params(algorithm), **dict(params or {})}
    setup = _check_setup_cost(opt.setup_cost if setup_cost is None else setup_cost)
    if bud.seconds is not None and setup >= bud.seconds:
        raise ConfigError(f"{name}'s setup cost ({setup:.6g} simulated s) uses up the budget of {bud.seconds:.6g} s "
                          "before its first query; give a larger budget_seconds")
    if objs is not None:  # an optimizer passed built (its problem may not have named the objectives)
        check_objective_count(name, opt.multi_objective, objs.names)
    mo = None if objs is None else ObjectiveEvaluator(ev, objs, valid_seed, noise,
                                                      bool(opt.multi_objective) and objs.multi)
    driven = checked(opt)
    if driven.multi_fidelity and len(search_fidelities(benchmark, ev.metric)) < 2:
        raise ConfigError(f"algorithm {name} needs several fidelities, but {benchmark.name}/{benchmark.dataset} has "
                          f"{ev.metric} at {list(search_fidelities(benchmark, ev.metric)) or 'one'} only")
    sequential = workers == 1 and bud.seconds is None
    loop = _run_sequential if sequential else _run_events
    coverage = _Coverage(benchmark.space, bud, driven.multi_fidelity)
    with deadline.armed():
        done = loop(driven, ev, bud, int(workers), deadline, coverage, setup, mo)
    if done.stopped is None and not len(done.archs) and done.ended_early:
        raise ConfigError(f"algorithm {name} proposed no architecture at its first ask on {benchmark.name}/"
                          f"{benchmark.dataset} (seed {seed}): there is no run to report; an optimizer's ask must "
                          "return at least one architecture while the space has some left")
    archs, values, fids, costs, starts, finishes = (done.archs, done.values, done.fidelities, done.costs,
                                                    done.starts, done.finishes)
    stopped = done.stopped or (stop_reason(benchmark.space, archs) if done.ended_early else "budget")
    if stopped == "optimizer_stalled":
        warnings.warn(f"{name} on {benchmark.name}/{benchmark.dataset} seed {seed} proposed nothing after "
                      f"{len(archs)} queries with architectures left; the run is short of its budget",
                      RuntimeWarning, stacklevel=2)
    if costs is None or starts is None or finishes is None:  # the sequential loop (it leaves the times None)
        costs = ev.cost(archs, fids)
        finishes = np.cumsum(costs)
        starts = finishes - costs
        if setup:  # the clock starts at the setup cost (added last: the first start is exactly it)
            finishes, starts = finishes + setup, starts + setup
    traj = Trajectory(archs=archs, valid=values, test=ev.report(archs), fidelity=fids, cost=costs, start=starts,
                      finish=finishes, meta={})
    if mo is not None:
        traj.objectives, traj.violation = mo.recorded(len(archs))
    traj.meta = {
        "algorithm": name, "params": used, "benchmark": benchmark.name, "dataset": benchmark.dataset,
        "space": benchmark.space.name, "seed": int(seed), "budget_queries": bud.queries,
        "budget_seconds": bud.seconds, "workers": int(workers), "search_metric": ev.metric,
        "report_metric": ev.report_metric, "search_fidelity": ev.fidelity,
        "search_higher_is_better": ev.sign > 0,
        "report_higher_is_better": (higher_is_better(ev.report_metric, directions) if ev.report_metric is not None
                                    else None),
        "valid_seed": valid_seed,
        "time_unit": "s" if ev.has_cost else "query", "stopped": stopped, "n_queries": len(archs),
        "wall_s": time.perf_counter() - wall0,
    }
    if setup:
        traj.meta["setup_cost"] = setup
    if objs is not None:
        traj.meta.update(objs.to_meta())
        traj.meta["n_feasible"] = traj.n_feasible
        if objs.constraints and not traj.n_feasible and len(traj):
            warnings.warn(f"{name} on {benchmark.name}/{benchmark.dataset} seed {seed} found no architecture that "
                          f"satisfies {' and '.join(map(str, objs.constraints))} in {len(traj)} queries",
                          RuntimeWarning, stacklevel=2)
    return traj


def _check_setup_cost(value: object) -> float:
    """A setup cost as a float >= 0 (simulated seconds), else ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value < 0:
        raise ConfigError(f"setup_cost must be a number of simulated seconds >= 0, got {value!r}")
    return float(value)


def stop_reason(space: SearchSpace, archs: np.ndarray) -> str:
    """Why a run whose optimizer proposed nothing ended: ``"exhausted"`` only when ``archs`` cover
    every architecture of an enumerable space, else ``"optimizer_stalled"``."""
    if isinstance(space, EnumerableSpace) and len(archs) >= space.size:
        if len(np.unique(space.keys(archs))) >= space.size:
            return "exhausted"
    return "optimizer_stalled"


@dataclass
class _Evaluations:
    """What a run loop evaluated, in the order the results arrived. The sequential loop leaves the times None
    (``run`` derives them from the costs afterwards)."""

    archs: np.ndarray
    values: np.ndarray
    fidelities: np.ndarray
    costs: np.ndarray | None
    starts: np.ndarray | None
    finishes: np.ndarray | None
    ended_early: bool
    #: "timeout" or "exhausted" when the loop knows why it stopped, else None (``run`` works it out)
    stopped: str | None = None


def _run_sequential(opt: Optimizer | CheckedOptimizer, ev: TableEvaluator, bud: Budget, workers: int,
                    deadline: _Deadline, coverage: _Coverage, setup: float = 0.0,
                    mo: ObjectiveEvaluator | None = None) -> _Evaluations:
    """One worker, a budget in queries: ask one, evaluate, tell (costs and ``setup`` are added afterwards)."""
    if bud.queries is None:
        raise ConfigError("the sequential run loop needs a budget in queries")
    n_max = int(bud.queries)
    rows: list[np.ndarray] = []
    values = np.empty(min(n_max, 1024))  # grown as results come: a large budget costs memory only when used
    fids = np.empty(len(values), dtype=np.int64)
    default_fid = ev.fidelity if ev.fidelity is not None else 0
    ended_early, stopped = False, None
    i = 0
    try:
        while i < n_max:
            deadline.enter()
            archs, fid = opt.propose(1)
            deadline.leave()
            if not len(archs):
                ended_early = True
                break
            archs = archs[:1]
            if i == len(values):
                values, fids = np.resize(values, min(n_max, 2 * i)), np.resize(fids, min(n_max, 2 * i))
            if fid is None:
                raw = ev.search_one(archs[0])
                fids[i] = default_fid
            else:
                fid = np.asarray(fid)[:1]
                raw = float(ev.search(archs, fid)[0])
                fids[i] = fid[0]
            rows.append(archs[0])  # recorded before tell: a timeout inside tell keeps this result
            values[i] = raw
            i += 1
            told = np.array([ev.score_one(raw)]) if mo is None else mo.told(*mo.evaluate(archs, np.array([raw])))
            deadline.enter()
            opt.tell(archs, told, fid)
            deadline.leave()
            if coverage.complete_after(archs):
                stopped = "exhausted"
                break
    except RunTimedOut:
        stopped = "timeout"
    archs = np.stack(rows) if rows else opt.empty()
    return _Evaluations(archs, values[:i], fids[:i], None, None, None, ended_early, stopped)


def _run_events(opt: Optimizer | CheckedOptimizer, ev: TableEvaluator, bud: Budget, workers: int,
                deadline: _Deadline, coverage: _Coverage, setup: float = 0.0,
                mo: ObjectiveEvaluator | None = None) -> _Evaluations:
    """k simulated workers: an event queue ordered by finish time, starting at ``setup``; a query budget counts
    launches."""
    default_fid = ev.fidelity if ev.fidelity is not None else 0
    heap: list[tuple[float, int, np.ndarray, float, int, float, float]] = []
    out: list[tuple] = []
    now, launched, free, ended_early, stopped = setup, 0, workers, False, None
    try:
        while True:
            can_launch = (bud.queries is None or launched < bud.queries) and (bud.seconds is None
                                                                              or now < bud.seconds)
            if free and can_launch:
                n = free if bud.queries is None else min(free, bud.queries - launched)
                deadline.enter()
                archs, fid = opt.propose(n)
                deadline.leave()
                archs = archs[:n]
                if len(archs):
                    fid_arr = np.full(len(archs), default_fid, dtype=np.int64) if fid is None \
                        else np.asarray(fid)[:n]
                    raw = ev.search(archs, None if fid is None else fid_arr)
                    costs = ev.cost(archs, fid_arr)
                    if mo is not None:
                        outcome, viol = mo.evaluate(archs, raw)
                        for j in range(len(archs)):
                            mo.hold(launched + j, outcome[j], float(viol[j]))
                    for j in range(len(archs)):
                        heapq.heappush(heap, (now + costs[j], launched, archs[j], raw[j], int(fid_arr[j]), costs[j],
                                              now))
                        launched += 1
                    free -= len(archs)
                    if free and len(archs) == n:
                        continue
            if not heap:
                ended_early = can_launch  # nothing running, budget left, and nothing proposed
                break
            finish, key, arch, value, f, cost, start = heapq.heappop(heap)
            if bud.seconds is not None and finish > bud.seconds:
                break  # this and every later result would arrive after the budget
            now = finish
            free += 1
            out.append((arch, value, f, cost, start, finish))  # recorded before tell, as in the sequential loop
            told = ev.score(np.array([value])) if mo is None else mo.told(*mo.release(key))
            deadline.enter()
            opt.tell(arch[None], told, None if not opt.multi_fidelity else np.array([f]))
            deadline.leave()
            if coverage.complete_after(arch[None]):
                stopped = "exhausted"  # results still pending are repeats of queried architectures
                break
    except RunTimedOut:
        stopped = "timeout"
    if not out:
        empty = np.zeros(0)
        return _Evaluations(opt.empty(), empty, np.zeros(0, dtype=np.int64), empty, empty, empty, ended_early,
                            stopped)
    archs = np.stack([o[0] for o in out])
    cols = list(zip(*[o[1:] for o in out]))
    return _Evaluations(archs, np.array(cols[0], dtype=np.float64), np.array(cols[1], dtype=np.int64),
                        np.array(cols[2], dtype=np.float64), np.array(cols[3], dtype=np.float64),
                        np.array(cols[4], dtype=np.float64), ended_early, stopped)
