"""The job runner: worker processes that never outlive their parent, Dask clients that fail fast, results as
they finish, one progress bar.

The study pool, the predictor-evaluation pool and the live-training pool all start their
processes here: each worker watches its parent and exits when it is gone (even after a SIGKILL,
which gives the pool no chance to stop them), so no worker is left running under PID 1.
:func:`run_tasks` runs ``fn(*task)`` for every task in this process, on such a pool, or on a Dask
cluster, and yields ``(task, result)`` as each finishes, so the caller saves each result at once
(what makes studies and live training resumable).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from nasbench_lab.errors import ConfigError

#: how often a worker checks that its parent is alive (seconds)
PARENT_CHECK_S = 0.5
#: how long a Dask client tries to reach its scheduler before giving up (seconds)
SCHEDULER_TIMEOUT_S = 5.0


def process_pool(max_workers: int, *, mp_context=None, initializer: Callable | None = None,
                 initargs: tuple = ()) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor whose workers exit when this process dies; ``initializer`` runs in each as usual."""
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=mp_context, initializer=_start_worker,
                               initargs=(os.getpid(), initializer, initargs))


def _start_worker(parent_pid: int, initializer: Callable | None, initargs: tuple) -> None:
    exit_with_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


def exit_with_parent(parent_pid: int) -> None:
    """Ends this process as soon as ``parent_pid`` is no longer its parent (the parent died)."""
    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:  # an orphan is re-parented (to PID 1 or a subreaper)
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def check_jobs(jobs: object, flag: str = "--jobs", *, every_core: bool = True) -> int | None:
    """``jobs`` as an int >= 1, or None (every core, where ``every_core``); ConfigError naming the accepted range
    otherwise."""
    if jobs is None and every_core:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"{flag} must be an integer >= 1 (number of processes), got {jobs!r}")
    return jobs


def dask_client(address: str):
    """A connected ``dask.distributed.Client``, or a ConfigError naming the address within a few seconds."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ConfigError("--scheduler needs Dask: pip install 'nasbench_lab[dask]'") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address!r} within {SCHEDULER_TIMEOUT_S:g} s "
                          f"({type(exc).__name__}: {exc}); check the address (e.g. tcp://host:8786) and that "
                          "the scheduler is running") from None


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], *, jobs: int = 1, scheduler: str | None = None,
              mp_context=None, initializer: Callable | None = None,
              initargs: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """``(task, fn(*task))`` for every task as each finishes: on the Dask cluster at ``scheduler``, in this
    process when ``jobs`` is 1 or there is one task, else on a pool of ``jobs`` processes that exit with this
    one, each starting with ``initializer(*initargs)`` (the tasks not yet started are cancelled when the
    caller stops early)."""
    if scheduler:
        yield from _dask_results(fn, tasks, scheduler)
    elif jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield task, fn(*task)
    else:
        yield from _pool_results(fn, tasks, jobs, mp_context, initializer, initargs)


def _pool_results(fn: Callable[..., Any], tasks: Sequence[tuple], jobs: int, mp_context,
                  initializer: Callable | None, initargs: tuple) -> Iterator[tuple[tuple, Any]]:
    with process_pool(min(jobs, len(tasks)), mp_context=mp_context, initializer=initializer,
                      initargs=initargs) as pool:
        futures = {pool.submit(fn, *task): task for task in tasks}
        try:
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield futures.pop(fut), fut.result()
        finally:
            for fut in futures:
                fut.cancel()


def _dask_results(fn: Callable[..., Any], tasks: Sequence[tuple], scheduler: str) -> Iterator[tuple[tuple, Any]]:
    with dask_client(scheduler) as client:
        from dask.distributed import as_completed

        futures = {client.submit(fn, *task, pure=False): task for task in tasks}
        for fut in as_completed(list(futures)):
            yield futures[fut], fut.result()


def progress_bar(total: int, *, initial: int = 0, enabled: bool = True, desc: str = "runs", leave: bool = False):
    """The one progress display of the job runners: a tqdm bar on stderr (silent when not ``enabled``)."""
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, unit="run", leave=leave)
