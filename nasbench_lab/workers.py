"""Worker processes that never outlive their parent, and Dask clients that fail fast.

The study pool, the predictor-evaluation pool and the live-training pool all start their
processes here: each worker watches its parent and exits when it is gone (even after a SIGKILL,
which gives the pool no chance to stop them), so no worker is left running under PID 1.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

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


def check_jobs(jobs: object, flag: str = "--jobs") -> int | None:
    """``jobs`` as an int >= 1, or None (every core); ConfigError naming the accepted range otherwise."""
    if jobs is None:
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
