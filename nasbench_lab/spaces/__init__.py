"""Search spaces; importing this package registers the built-in ones."""

from nasbench_lab.spaces import darts, nb101, nb201, nbgraph  # noqa: F401  (registers)
from nasbench_lab.spaces.base import EnumerableSpace, SearchSpace
from nasbench_lab.spaces.registry import SPACES, space

__all__ = ["SPACES", "EnumerableSpace", "SearchSpace", "space"]
