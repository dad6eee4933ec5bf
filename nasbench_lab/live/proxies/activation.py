"""Proxies from activations and input Jacobians: jacob_cov, epe_nas, nwot, zen."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasbench_lab.errors import ConfigError
from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.proxies.base import register_proxy  # noqa: E402

_K = 1e-5


def input_jacobian(net: nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """d(sum of outputs)/d(input) per sample, flattened: (n, C*H*W) float64."""
    net.train()
    x = inputs.detach().clone().requires_grad_(True)
    net.zero_grad(set_to_none=True)
    y = net(x)
    y.backward(torch.ones_like(y))
    if x.grad is None:
        raise ConfigError("input_jacobian: the network's output does not depend on its input (no gradient reached it)")
    return x.grad.detach().reshape(len(x), -1).double().cpu().numpy()


def _corrcoef(rows: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.corrcoef(rows)


@register_proxy("jacob_cov", suite_name="jacov",
                description="-sum(log(v+k) + 1/(v+k)) over eigenvalues of the input-Jacobian correlation "
                            "(Mellor et al. 2021)")
def jacob_cov(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Score of the correlation matrix of per-sample input Jacobians (NaN when it is undefined)."""
    corr = _corrcoef(input_jacobian(net, inputs))
    if not np.all(np.isfinite(corr)):
        return float("nan")
    v = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(v + _K) + 1.0 / (v + _K)))


@register_proxy("epe_nas", description="sum over classes of |sum log(|corr| + k)| of per-class input-Jacobian "
                                       "correlations (Lopes et al. 2021)")
def epe_nas(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Per-class Jacobian correlation score (classes with one sample contribute log(1+k))."""
    jac = input_jacobian(net, inputs)
    labels = targets.detach().cpu().numpy()
    n_classes = int(labels.max()) + 1 if len(labels) else 0
    scores = []
    for c in np.unique(labels):
        corr = _corrcoef(jac[labels == c])
        s = float(np.sum(np.log(np.abs(corr) + _K)))
        if n_classes > 100:
            s /= max(np.size(corr) ** 0.5, 1.0)
        if np.isfinite(s):
            scores.append(s)
    if n_classes <= 100:
        return float(np.sum(np.abs(scores)))
    arr = np.asarray(scores)
    return float(np.abs(arr[:, None] - arr[None, :]).sum() / max(len(arr), 1))


@register_proxy("nwot", description="log|det K| of the Hamming-similarity kernel of ReLU codes (NASWOT, "
                                    "Mellor et al. 2021)")
def nwot(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Log-determinant of the kernel of binary ReLU activation codes over the batch."""
    n = len(inputs)
    K = torch.zeros(n, n, dtype=torch.float64, device=inputs.device)
    handles = []

    def hook(_module: nn.Module, inp: tuple, _out: torch.Tensor) -> None:
        code = (inp[0].detach().reshape(n, -1) > 0).double()
        K.add_(code @ code.t()).add_((1.0 - code) @ (1.0 - code).t())

    for module in net.modules():
        if isinstance(module, nn.ReLU):
            handles.append(module.register_forward_hook(hook))
    net.train()
    try:
        with torch.no_grad():
            net(inputs)
    finally:
        for h in handles:
            h.remove()
    _, logdet = np.linalg.slogdet(K.cpu().numpy())
    return float(logdet)


def _gaussian_init(net: nn.Module, gen: torch.Generator) -> None:
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen, dtype=m.weight.dtype))
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d) and m.affine:
                m.weight.fill_(1.0)
                m.bias.zero_()


@register_proxy("zen", description="log of the feature-map change under a small input perturbation plus the "
                                   "BN scaling (Zen-NAS, Lin et al. 2021)")
def zen(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, *, seed: int = 0,
        mixup_gamma: float = 1e-2) -> float:
    """Zen score with Gaussian weights and Gaussian inputs drawn from ``seed`` (inputs' shape only)."""
    features: Callable[[torch.Tensor], torch.Tensor] | None = getattr(net, "features", None)
    if features is None:
        raise ConfigError("zen needs network.features(x), the feature map before global pooling; the networks of "
                          "nasbench_lab.live.build_network have it")
    gen = torch.Generator().manual_seed(int(seed))
    _gaussian_init(net, gen)
    x = torch.randn(inputs.shape, generator=gen, dtype=inputs.dtype).to(inputs.device)
    x2 = torch.randn(inputs.shape, generator=gen, dtype=inputs.dtype).to(inputs.device)
    net.train()
    with torch.no_grad():
        out = features(x)
        mixed = features(x + mixup_gamma * x2)
        score = torch.log(torch.abs(out - mixed).sum(dim=tuple(range(1, out.dim()))).mean())
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d) and m.running_var is not None:
                score = score + torch.log(torch.sqrt(m.running_var.mean()))
    return float(score)
