"""The zero-cost proxy registry and helpers shared by the proxy modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nasbench_lab.live._torch import require_torch
from nasbench_lab.registry import Registry

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

#: signature of a proxy: (network, inputs, targets, **options) -> score
ProxyFn = Callable[..., float]


@dataclass(frozen=True)
class ProxyDef:
    """A registered proxy: its function and how to call it."""

    name: str
    fn: ProxyFn
    #: True when the function changes the network (weights, dtype, hooks): it then runs on a copy
    mutates: bool
    #: the name of this proxy in NAS-Bench-Suite-Zero files
    suite_name: str
    description: str


PROXIES: Registry[ProxyDef] = Registry("zero-cost proxy")


def register_proxy(name: str, *, mutates: bool = True, suite_name: str | None = None,
                   description: str = "") -> Callable[[ProxyFn], ProxyFn]:
    """Decorator registering a proxy function under ``name``."""

    def decorate(fn: ProxyFn) -> ProxyFn:
        PROXIES.add(name, ProxyDef(name, fn, mutates, suite_name or name, description or (fn.__doc__ or "")))
        return fn

    return decorate


def weighted_layers(net: nn.Module) -> list[nn.Conv2d | nn.Linear]:
    """Conv2d and Linear layers: the layers whose weights the gradient-based proxies score."""
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def total(values: Iterable[torch.Tensor]) -> float:
    """Sum of scalar tensors as a Python float (0.0 for none), detached from the graph."""
    out = 0.0
    for v in values:
        out += float(v.detach())
    return out
