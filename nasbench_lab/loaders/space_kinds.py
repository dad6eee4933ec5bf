"""A registered search space as the class a loader relies on (index order, spec or genotype parsing)."""

from __future__ import annotations

from typing import TypeVar

from nasbench_lab.errors import DataFileError
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace
from nasbench_lab.spaces.registry import space as get_space

S = TypeVar("S", bound=SearchSpace)


def space_as(space: str | SearchSpace, kind: type[S]) -> S:
    """``space`` (a registered name or a space) checked to be a ``kind``; DataFileError naming both otherwise."""
    found = get_space(space) if isinstance(space, str) else space
    if not isinstance(found, kind):
        raise DataFileError(f"search space {found.name!r} is a {type(found).__name__}; this layout needs a "
                            f"{kind.__name__} (a space with official indices or its own key parsers)")
    return found


def enumerable_space(space: str | SearchSpace) -> EnumerableSpace:
    """``space_as(space, EnumerableSpace)``, spelled out because mypy takes no abstract class for ``type[S]``."""
    found = get_space(space) if isinstance(space, str) else space
    if not isinstance(found, EnumerableSpace):
        raise DataFileError(f"search space {found.name!r} is a {type(found).__name__}; this layout needs an "
                            "EnumerableSpace (a space with official indices)")
    return found
