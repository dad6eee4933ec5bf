"""Parameter counts of the official networks, computed analytically (numpy only, no PyTorch needed).

They are exact: each count is the sum of the parameters of the modules the builders in
``nasbench_lab.live.networks`` create (tests check the two against each other), so the
official figures of all 15,625 NB201 cells or 30,000 NB101 cells can be checked in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasbench_lab.spaces.nb101_graph import INPUT, INPUT_LABEL, OPS, OUTPUT, OUTPUT_LABEL, prune

# ----------------------------------------------------------------------------- NAS-Bench-201


def _relu_conv_bn(c_in: int, c_out: int, k: int) -> int:
    return k * k * c_in * c_out + 2 * c_out


def nb201_params(archs: object, *, num_classes: int = 10, C: int = 16, N: int = 5, in_channels: int = 3) -> np.ndarray:
    """Trainable parameters of the NB201 network of each architecture (6 op codes per row), as int64."""
    from nasbench_lab.spaces.registry import space

    batch, single = space("nb201").as_batch(archs)
    n3 = (batch == 3).sum(axis=1).astype(np.int64)  # nor_conv_3x3
    n1 = (batch == 2).sum(axis=1).astype(np.int64)  # nor_conv_1x1
    widths = (C, 2 * C, 4 * C)
    per_cell_3 = sum(_relu_conv_bn(w, w, 3) for w in widths)
    per_cell_1 = sum(_relu_conv_bn(w, w, 1) for w in widths)
    base = 9 * in_channels * C + 2 * C  # stem conv + BN
    for c_in, c_out in zip(widths[:-1], widths[1:]):  # reduction blocks
        base += _relu_conv_bn(c_in, c_out, 3) + _relu_conv_bn(c_out, c_out, 3) + c_in * c_out
    base += 2 * widths[-1] + widths[-1] * num_classes + num_classes  # last BN, classifier
    out = base + N * (n3 * per_cell_3 + n1 * per_cell_1)
    return out[0] if single else out


# ----------------------------------------------------------------------------- NAS-Bench-101

def nb101_prune(matrix: object, ops: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Drops vertices not on an input-to-output path, as the official ``ModelSpec`` does (the space's rule)."""
    pruned, labels = prune(matrix, ops)
    names = {INPUT_LABEL: INPUT, OUTPUT_LABEL: OUTPUT}
    return pruned.astype(np.int64), [names.get(label) or OPS[label] for label in labels]


def nb101_vertex_channels(c_in: int, c_out: int, matrix: np.ndarray | Sequence[Sequence[int]]) -> list[int]:
    """Channels of each vertex by the official splitting rule (``compute_vertex_channels``).

    The output's channels are split evenly over the vertices feeding it (the first ones get the
    remainder); every other interior vertex gets the largest width of its successors.
    """
    m = matrix.tolist() if isinstance(matrix, np.ndarray) else matrix
    n = len(m)
    channels = [0] * n
    channels[0], channels[-1] = c_in, c_out
    if n == 2:
        return channels
    fan_in = sum(m[v][-1] for v in range(1, n - 1))
    interior, correction = divmod(c_out, fan_in)
    for v in range(1, n - 1):
        if m[v][-1]:
            channels[v] = interior + (1 if correction > 0 else 0)
            correction -= 1 if correction > 0 else 0
    for v in range(n - 3, 0, -1):
        if not m[v][-1]:
            for dst in range(v + 1, n - 1):
                if m[v][dst]:
                    channels[v] = max(channels[v], channels[dst])
    return channels


def _conv_bn(c_in: int, c_out: int, k: int) -> int:
    return k * k * c_in * c_out + 2 * c_out


_OP_KERNEL = {"conv3x3-bn-relu": 3, "conv1x1-bn-relu": 1, "maxpool3x3": 0}


def _nb101_module_params(c_in: int, c_out: int, m: list[list[int]], ops: list[str]) -> int:
    n = len(m)
    if n == 2:
        return _conv_bn(c_in, c_out, 1)
    ch = nb101_vertex_channels(c_in, c_out, m)
    total = 0
    for t in range(1, n - 1):
        if m[0][t]:
            total += _conv_bn(c_in, ch[t], 1)  # projection of the module input
        k = _OP_KERNEL[ops[t]]
        if k:
            total += _conv_bn(ch[t], ch[t], k)
    if m[0][-1]:
        total += _conv_bn(c_in, c_out, 1)
    return total


def nb101_params(matrix: object, ops: Sequence[str], *, num_classes: int = 10, stem_channels: int = 128,
                 num_stacks: int = 3, modules_per_stack: int = 3, in_channels: int = 3) -> int:
    """Trainable parameters of the official NB101 network of one cell (pruned first)."""
    pruned, ops = nb101_prune(matrix, ops)
    mat = pruned.tolist()
    total = _conv_bn(in_channels, stem_channels, 3)
    c_in = channels = stem_channels
    for stack in range(num_stacks):
        if stack:
            channels *= 2
        if modules_per_stack:
            total += _nb101_module_params(c_in, channels, mat, ops)
            total += (modules_per_stack - 1) * _nb101_module_params(channels, channels, mat, ops)
            c_in = channels
    return total + channels * num_classes + num_classes
