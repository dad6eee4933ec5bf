"""Loaders' typed access to registered spaces: the right class passes, any other is one clear DataFileError."""

import pytest

from nasbench_lab.errors import DataFileError
from nasbench_lab.loaders.space_kinds import enumerable_space, space_as
from nasbench_lab.spaces import space
from nasbench_lab.spaces.darts import DartsSpace
from nasbench_lab.spaces.nb201 import NB201Space


def test_space_as_returns_the_registered_space_of_that_class():
    assert space_as("nb201", NB201Space) is space("nb201")
    assert space_as(space("darts"), DartsSpace) is space("darts")


def test_space_as_names_both_classes_when_the_space_is_another():
    with pytest.raises(DataFileError, match="DartsSpace.*needs a NB201Space"):
        space_as("darts", NB201Space)


def test_enumerable_space_refuses_an_open_space():
    assert enumerable_space("nb201").size == 15625
    with pytest.raises(DataFileError, match="needs an EnumerableSpace"):
        enumerable_space("darts")
