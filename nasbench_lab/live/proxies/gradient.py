"""Proxies from the loss gradient of one batch: snip, grad_norm, plain, grasp, fisher.

Definitions follow Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS" (2021), as used
by NAS-Bench-Suite-Zero: sums over the weights of every Conv2d and Linear layer, network in
training mode (BatchNorm on batch statistics), cross-entropy loss.
"""

from __future__ import annotations

from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.proxies.base import register_proxy, total, weighted_layers  # noqa: E402


def _loss_backward(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    net.train()
    net.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(net(inputs), targets).backward()


@register_proxy("snip", description="sum |w * dL/dw| (connection sensitivity, Lee et al. 2019)")
def snip(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Sum over weights of |weight x loss gradient|."""
    _loss_backward(net, inputs, targets)
    return total((m.weight * m.weight.grad).abs().sum() for m in weighted_layers(net) if m.weight.grad is not None)


@register_proxy("grad_norm", description="sum over layers of the L2 norm of the loss gradient")
def grad_norm(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Sum over layers of ||dL/dw||_2."""
    _loss_backward(net, inputs, targets)
    return total(m.weight.grad.norm() for m in weighted_layers(net) if m.weight.grad is not None)


@register_proxy("plain", description="sum of w * dL/dw (signed)")
def plain(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Sum over weights of weight x loss gradient (signed)."""
    _loss_backward(net, inputs, targets)
    return total((m.weight * m.weight.grad).sum() for m in weighted_layers(net) if m.weight.grad is not None)


@register_proxy("grasp", description="sum of -w * (H g) (gradient signal preservation, Wang et al. 2020)")
def grasp(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Sum over weights of -weight x (Hessian x gradient), by double back-propagation."""
    net.train()
    layers = weighted_layers(net)
    weights = [m.weight for m in layers]
    net.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(net(inputs), targets)
    grad_w = torch.autograd.grad(loss, weights, allow_unused=True)
    loss = nn.functional.cross_entropy(net(inputs), targets)
    grad_f = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    z = sum((gw.detach() * gf).sum() for gw, gf in zip(grad_w, grad_f) if gw is not None and gf is not None)
    if not isinstance(z, torch.Tensor) or not z.requires_grad:
        return 0.0
    z.backward()
    return total((-w.detach() * w.grad).sum() for w in weights if w.grad is not None)


@register_proxy("fisher", description="sum over channels of 0.5 * mean_n (sum_hw act * grad)^2 (Turner et al.)")
def fisher(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fisher information of each output channel of every Conv2d/Linear, weighted by its fan-in."""
    net.train()
    totals: list[torch.Tensor] = []
    handles = []

    def forward_hook(module: nn.Conv2d | nn.Linear, _inp, out: torch.Tensor) -> None:
        if not out.requires_grad:
            return
        fan_in = module.weight[0].numel()
        act = out.detach()

        def grad_hook(grad: torch.Tensor) -> None:
            g = act * grad
            g_nk = g.sum(dim=tuple(range(2, g.dim()))) if g.dim() > 2 else g
            totals.append(0.5 * g_nk.pow(2).mean(0).abs().sum() * fan_in)

        out.register_hook(grad_hook)

    for layer in weighted_layers(net):
        handles.append(layer.register_forward_hook(forward_hook))
    try:
        net.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(net(inputs), targets).backward()
    finally:
        for h in handles:
            h.remove()
    return total(totals)
