"""Registry of search spaces by name: ``nasbench_lab.space("nb201")``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from nasbench_lab.registry import Registry
from nasbench_lab.spaces.base import SearchSpace

SPACES: Registry[Callable[[], SearchSpace]] = Registry("search space")


@cache
def space(name: str) -> SearchSpace:
    """The (immutable, shared) search space registered under ``name``."""
    return SPACES.get(name)()
