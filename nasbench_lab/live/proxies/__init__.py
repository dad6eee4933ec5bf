"""Zero-cost proxies registered by name; ``proxy`` scores one network, ``compute_proxies`` many cells.

Every proxy is computed on one batch. Proxies that change the network (gradients, weights,
dtype) run on a copy, so the network passed in is left as it was.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live._torch import require_torch
from nasbench_lab.workers import progress_bar

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.proxies import activation, gradient, structure  # noqa: E402,F401  (register)
from nasbench_lab.live.proxies.base import PROXIES, ProxyDef, register_proxy, weighted_layers  # noqa: E402

#: the proxies of NAS-Bench-Suite-Zero plus zen, in a stable order
PROXY_NAMES = ("synflow", "snip", "grasp", "fisher", "grad_norm", "jacob_cov", "nwot", "epe_nas", "zen", "l2_norm",
               "plain", "params", "flops")


def _as_tensors(inputs: object, targets: object, device: str | torch.device | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    x = inputs if isinstance(inputs, torch.Tensor) else torch.as_tensor(np.asarray(inputs, dtype=np.float32))
    y = targets if isinstance(targets, torch.Tensor) else torch.as_tensor(np.asarray(targets, dtype=np.int64))
    if x.dim() != 4:
        raise ConfigError(f"proxy inputs must be a batch of images (n, C, H, W), got shape {tuple(x.shape)}")
    if y.dim() != 1 or len(y) != len(x):
        raise ConfigError(f"proxy targets must be 1-D with one label per input ({len(x)}), got shape {tuple(y.shape)}")
    if len(x) < 2:
        raise ConfigError("proxies need a batch of at least 2 inputs")
    if device is not None:
        x, y = x.to(device), y.to(device)
    return x.float(), y.long()


def proxy(name: str, network: nn.Module, inputs: object, targets: object, **options: Any) -> float:
    """Score of proxy ``name`` for ``network`` on one batch (``inputs`` (n, C, H, W), ``targets`` (n,))."""
    return proxy_timed(name, network, inputs, targets, **options)[0]


def proxy_timed(name: str, network: nn.Module, inputs: object, targets: object, **options: Any
                ) -> tuple[float, float]:
    """(score, seconds) of proxy ``name``; the time includes copying the network when the proxy needs it."""
    spec = PROXIES.get(name)
    device = next(network.parameters()).device if any(True for _ in network.parameters()) else None
    x, y = _as_tensors(inputs, targets, device)
    start = time.perf_counter()
    net = copy.deepcopy(network) if spec.mutates else network
    score = spec.fn(net, x, y, **options)
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)
    return float(score), time.perf_counter() - start


def proxy_batch(data: object = "digits", batch_size: int = 64, seed: int = 0, split_seed: int = 0
                ) -> tuple[np.ndarray, np.ndarray]:
    """One training batch drawn with ``seed`` (the batch the proxies of ``compute_proxies`` see)."""
    from nasbench_lab.live.trainer import resolve_data

    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 2:
        raise ConfigError(f"batch_size must be an integer >= 2, got {batch_size!r}")
    ds = resolve_data(data, split_seed)
    rng = np.random.default_rng(seed)
    take = rng.choice(len(ds.train), size=min(int(batch_size), len(ds.train)), replace=False)
    return ds.train.X[take], ds.train.y[take]


def compute_proxies(space_name: str, archs: object, names: Sequence[str] | None = None, *, batch_size: int = 64,
                    seed: int = 0, data: object = "digits", preset: str | None = None,
                    macro: dict[str, Any] | None = None, device: str = "cpu", num_threads: int | None = 1,
                    split_seed: int = 0, progress: bool = False) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Proxies of every architecture of a batch: ``({name: scores (n,)}, {name: total seconds})``.

    Each network is built with weights drawn from ``seed`` and scored on the same batch of
    ``batch_size`` training images of ``data`` (default digits, with the small network; pass
    ``data="digits32", preset="official"`` for the official networks on 32x32x3 inputs).
    A proxy that fails numerically gives NaN for that cell. ``num_threads`` as in ``train``
    (default 1; give 2+ for the official networks on an idle machine).
    """
    from nasbench_lab.live.trainer import deterministic, resolve_data, resolve_macro, seeded_network

    names = list(PROXY_NAMES if names is None else names)
    for n in names:
        PROXIES.get(n)
    arch_list = _arch_list(space_name, archs)
    ds = resolve_data(data, split_seed)
    full_macro = resolve_macro(space_name, ds, preset, macro)
    X, y = proxy_batch(ds, batch_size, seed)
    scores = {n: np.full(len(arch_list), np.nan) for n in names}
    seconds = dict.fromkeys(names, 0.0)
    bar = progress_bar(len(arch_list), enabled=progress, desc=f"proxies {space_name}")
    with deterministic(num_threads):
        x, t = _as_tensors(X, y, device)
        for i, arch in enumerate(arch_list):
            net = seeded_network(space_name, arch, ds.num_classes, seed, **full_macro).to(device)
            for n in names:
                options = {"seed": seed} if n == "zen" else {}
                value, took = proxy_timed(n, net, x, t, **options)
                scores[n][i] = value
                seconds[n] += took
            bar.update(1)
    bar.close()
    return scores, seconds


def _arch_list(space_name: str, archs: object) -> list:
    """Architectures as a list of single ones (a batch array is split; a list is taken as is)."""
    from nasbench_lab.live.networks import _registered_space

    if isinstance(archs, list):
        return archs
    sp = _registered_space(space_name)
    if sp is not None:
        return list(sp.validate(archs))
    if not isinstance(archs, Iterable):
        raise ConfigError(f"{space_name}: architectures must be a list or batch of them, got {type(archs).__name__}")
    return list(archs)


__all__ = ["PROXIES", "PROXY_NAMES", "ProxyDef", "compute_proxies", "proxy", "proxy_batch", "proxy_timed",
           "register_proxy", "weighted_layers"]
