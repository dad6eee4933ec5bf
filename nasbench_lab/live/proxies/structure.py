"""Data-free proxies: synflow, params, flops, l2_norm."""

from __future__ import annotations

import math

from nasbench_lab.live._torch import require_torch

require_torch()

import torch  # noqa: E402
from torch import nn  # noqa: E402

from nasbench_lab.live.proxies.base import register_proxy, total, weighted_layers  # noqa: E402


def _drop_batchnorm(net: nn.Module) -> None:
    """Replaces every BatchNorm by an identity (synflow runs without BN, as in its reference code)."""
    for name, child in list(net.named_children()):
        if isinstance(child, nn.modules.batchnorm._BatchNorm):
            setattr(net, name, nn.Identity())
        else:
            _drop_batchnorm(child)


@register_proxy("synflow", description="log of sum |w * dR/dw|, R the output sum of the |w|-network on an all-ones "
                                       "input, float64, no BN (Tanaka et al. 2020); 0 when no signal flows")
def synflow(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Log synaptic flow of the linearised (absolute-valued) network, data-free.

    The raw sum overflows float32 on deep networks (1e30 and more), so the score is its natural
    log, as NAS-Bench-Suite-Zero stores it (0 stays 0: a cell whose output is constant).
    """
    _drop_batchnorm(net)
    net.double()
    with torch.no_grad():
        for tensor in net.state_dict().values():
            if tensor.is_floating_point():
                tensor.abs_()
    net.zero_grad(set_to_none=True)
    ones = torch.ones((1, *inputs.shape[1:]), dtype=torch.float64, device=inputs.device)
    net(ones).sum().backward()
    raw = total((m.weight * m.weight.grad).abs().sum() for m in weighted_layers(net) if m.weight.grad is not None)
    return math.log(raw) if raw > 0 else 0.0


@register_proxy("params", mutates=False, description="trainable parameters, millions")
def params(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Trainable parameters in millions."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad) / 1e6


@register_proxy("l2_norm", mutates=False, description="sum over layers of the L2 norm of the weights")
def l2_norm(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Sum over Conv2d/Linear layers of ||w||_2."""
    with torch.no_grad():
        return total(m.weight.norm() for m in weighted_layers(net))


def _module_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor) -> int:
    """FLOPs of one leaf module for one sample, counted as NAS-Bench-Suite-Zero's counter does."""
    if isinstance(module, nn.Conv2d):
        k_h, k_w = module.kernel_size
        per_position = k_h * k_w * inp.shape[1] * (out.shape[1] // module.groups)
        positions = out.shape[2] * out.shape[3]
        return per_position * positions + (out.shape[1] * positions if module.bias is not None else 0)
    if isinstance(module, nn.BatchNorm2d):
        return inp[0].numel() * (2 if module.affine else 1)
    if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
        k = module.kernel_size if isinstance(module.kernel_size, tuple) else (module.kernel_size,) * 2
        return inp.shape[1] * out.shape[2] * out.shape[3] * k[0] * k[1]
    if isinstance(module, nn.AdaptiveAvgPool2d):
        h, w, oh, ow = inp.shape[2], inp.shape[3], out.shape[2], out.shape[3]
        total = 0
        for i in range(oh):
            rows = -(-(i + 1) * h // oh) - (i * h // oh) + 1
            for j in range(ow):
                total += rows * (-(-(j + 1) * w // ow) - (j * w // ow) + 1)
        return inp.shape[1] * total
    if isinstance(module, nn.ReLU):
        return inp[0].numel()
    if isinstance(module, nn.Linear):
        return inp.shape[-1] * out.shape[-1]
    return 0


@register_proxy("flops", mutates=False, description="forward FLOPs of one sample, millions (conv, linear, BN, "
                                                    "pooling, ReLU)")
def flops(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Forward FLOPs per sample in millions, counted on every leaf module a forward pass runs."""
    total = [0]
    handles = [m.register_forward_hook(lambda mod, i, o: total.__setitem__(0, total[0] + _module_flops(mod, i[0], o)))
               for m in net.modules() if not list(m.children())]
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(inputs[:1])
    finally:
        for h in handles:
            h.remove()
        net.train(was_training)
    return total[0] / 1e6
