"""Network builders per search space, registered by space name: ``build_network(space, arch, ...)``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError, InvalidArchitectureError
from nasbench_lab.live._torch import require_torch
from nasbench_lab.registry import Registry

require_torch()

from torch import nn  # noqa: E402


@dataclass(frozen=True)
class NetworkSpec:
    """How to build one space's network: the builder, the official macro and a small-data preset."""

    space: str
    #: (arch, num_classes, **macro) -> nn.Module
    build: Callable[..., nn.Module]
    #: macro-architecture of the official benchmark (the default of ``build_network``)
    official: dict[str, Any]
    #: macro used when training on small images such as 8x8 digits (narrower, shallower)
    small: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def macro(self, preset: str = "official", **overrides: Any) -> dict[str, Any]:
        """The preset's macro with ``overrides`` applied; unknown keys raise ConfigError."""
        base = {"official": self.official, "small": {**self.official, **self.small}}.get(preset)
        if base is None:
            raise ConfigError(f"unknown macro preset {preset!r}; accepted: official, small")
        unknown = sorted(set(overrides) - set(self.official))
        if unknown:
            raise ConfigError(f"{self.space}: unknown macro option(s) {', '.join(unknown)}; accepted: "
                              f"{', '.join(sorted(self.official))}")
        merged = {**base, **overrides}
        for key, value in merged.items():
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                continue
            if value < 1:
                raise ConfigError(f"{self.space}: macro option {key} must be >= 1, got {value}")
        return merged


NETWORKS: Registry[NetworkSpec] = Registry("network builder (search space)")


def _build_nb201(arch: object, num_classes: int, **macro: Any) -> nn.Module:
    from nasbench_lab.live.networks.nb201 import NB201Network
    from nasbench_lab.spaces.registry import space

    sp = space("nb201")
    ops = sp.validate(sp.from_string(arch) if isinstance(arch, str) else arch)
    if len(ops) != 1:
        raise InvalidArchitectureError(f"nb201: build_network takes one architecture, got a batch of {len(ops)}")
    return NB201Network(ops[0].tolist(), num_classes, **macro)


def _registered_space(name: str):
    """The space ``name`` if this installation has it (its module imported on demand), else None."""
    import importlib

    from nasbench_lab.spaces.registry import SPACES, space

    if name not in SPACES:
        try:
            importlib.import_module(f"nasbench_lab.spaces.{name}")
        except ImportError:
            return None
    return space(name) if name in SPACES else None


def nb101_spec(arch: object) -> tuple[np.ndarray, list[str]]:
    """(matrix, ops) of an NB101 cell: a (matrix, ops) pair, a record dict, or the nb101 space's
    representation (an index array, an int, an official hash or the space's string)."""
    if isinstance(arch, (tuple, list)) and len(arch) == 2 and not isinstance(arch[1], (int, np.integer)):
        return np.asarray(arch[0]), list(arch[1])
    if isinstance(arch, dict) and {"module_adjacency", "module_operations"} <= set(arch):
        return np.asarray(arch["module_adjacency"]), list(arch["module_operations"])
    sp = _registered_space("nb101")
    if sp is None:
        raise InvalidArchitectureError("nb101: pass the cell as (matrix, ops); the nb101 search space (for "
                                       "indices and hashes) is not available in this installation")
    if isinstance(arch, str):
        arch = sp.from_string(arch)
    matrix, ops = sp.to_spec(arch)
    return np.asarray(matrix), list(ops)


def _build_nb101(arch: object, num_classes: int, **macro: Any) -> nn.Module:
    from nasbench_lab.live.networks.nb101 import NB101Network

    matrix, ops = nb101_spec(arch)
    return NB101Network(matrix, ops, num_classes, **macro)


def darts_genotype(arch: object):
    """A Genotype from the darts space's (2, 8, 2) array (NASLib's compact genotype), its genotype
    string, or a Genotype-like object with ``normal``/``reduce`` fields."""
    from nasbench_lab.live.networks.darts import as_genotype

    if isinstance(arch, str):
        sp = _registered_space("darts")
        if sp is None:
            raise InvalidArchitectureError("darts: genotype strings need the darts search space")
        arch = sp.from_string(arch)
    elif not hasattr(arch, "normal") and not isinstance(arch, dict):
        sp = _registered_space("darts")
        if sp is not None:
            arch = sp.validate(arch)[0]
    return as_genotype(arch)


def _build_darts(arch: object, num_classes: int, **macro: Any) -> nn.Module:
    from nasbench_lab.live.networks.darts import DartsNetwork

    return DartsNetwork(darts_genotype(arch), num_classes, **macro)


NETWORKS.add("nb201", NetworkSpec(
    "nb201", _build_nb201, official={"C": 16, "N": 5, "in_channels": 3}, small={"C": 8, "N": 1},
    description="NAS-Bench-201 TinyNetwork: stem, 3 stages of N cells at C/2C/4C, ResNet reduction blocks"))
NETWORKS.add("nb101", NetworkSpec(
    "nb101", _build_nb101,
    official={"stem_channels": 128, "num_stacks": 3, "modules_per_stack": 3, "in_channels": 3},
    small={"stem_channels": 16, "modules_per_stack": 1},
    description="NAS-Bench-101 network: conv stem, 3 stacks of 3 cells, max-pool downsampling"))
NETWORKS.add("darts", NetworkSpec(
    "darts", _build_darts,
    official={"C": 32, "layers": 8, "in_channels": 3, "stem_multiplier": 3, "op_affine": True},
    small={"C": 8, "layers": 5},
    description="DARTS/NB301 evaluation network (NB301's C=32, 8 cells), no auxiliary head"))


def build_network(space_name: str, arch: object, num_classes: int = 10, *, preset: str = "official",
                  **macro: Any) -> nn.Module:
    """The PyTorch network of ``arch`` in ``space_name``; the official macro-architecture by default.

    ``preset="small"`` starts from the small-data macro instead; keyword ``macro`` options
    (e.g. ``C=8, N=1, in_channels=1``) override either preset.
    """
    spec = NETWORKS.get(space_name)
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ConfigError(f"num_classes must be a positive integer, got {num_classes!r}")
    return spec.build(arch, int(num_classes), **spec.macro(preset, **macro))


__all__ = ["NETWORKS", "NetworkSpec", "build_network", "darts_genotype", "nb101_spec"]
