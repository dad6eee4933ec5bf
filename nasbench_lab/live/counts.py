"""Parameter counts of the official networks, computed analytically (numpy only, no PyTorch needed).

They are exact: each count is the sum of the parameters of the modules the builders in
``nasbench_lab.live.networks`` create (tests check the two against each other), so the
official figures of all 15,625 NB201 cells or 30,000 NB101 cells can be checked in milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nasbench_lab.errors import InvalidArchitectureError

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

NB101_OPS = ("conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3")
NB101_MAX_VERTICES = 7
NB101_MAX_EDGES = 9


def nb101_check_spec(matrix: object, ops: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Validates an NB101 (matrix, ops) cell; returns them as an int array and a list."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or not 2 <= m.shape[0] <= NB101_MAX_VERTICES:
        raise InvalidArchitectureError(f"nb101: the adjacency matrix must be square with 2 to "
                                       f"{NB101_MAX_VERTICES} vertices, got shape {m.shape}")
    if m.dtype.kind not in "iub":
        raise InvalidArchitectureError(f"nb101: the adjacency matrix must hold integers 0/1, got dtype {m.dtype}")
    rows = m.tolist()
    n = len(rows)
    if any(x not in (0, 1) for row in rows for x in row):
        raise InvalidArchitectureError("nb101: the adjacency matrix must hold only 0 and 1")
    if any(rows[i][j] for i in range(n) for j in range(i + 1)):
        raise InvalidArchitectureError("nb101: the adjacency matrix must be strictly upper triangular (a DAG in "
                                       "topological order)")
    edges = sum(map(sum, rows))
    if edges > NB101_MAX_EDGES:
        raise InvalidArchitectureError(f"nb101: {edges} edges; the space allows at most {NB101_MAX_EDGES}")
    ops = [str(o) for o in ops]
    if len(ops) != n:
        raise InvalidArchitectureError(f"nb101: {len(ops)} ops for {n} vertices")
    if ops[0] != "input" or ops[-1] != "output":
        raise InvalidArchitectureError("nb101: the first op must be 'input' and the last 'output'")
    bad = [o for o in ops[1:-1] if o not in NB101_OPS]
    if bad:
        raise InvalidArchitectureError(f"nb101: unknown op {bad[0]!r}; accepted: {', '.join(NB101_OPS)}")
    return m.astype(np.int64, copy=False), ops


def nb101_prune(matrix: object, ops: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Drops vertices not on an input-to-output path, as the official ``ModelSpec`` does."""
    m, ops = nb101_check_spec(matrix, ops)
    keep = _kept_vertices(m.tolist())
    return m[np.ix_(keep, keep)], [ops[i] for i in keep]


def _kept_vertices(m: list[list[int]]) -> list[int]:
    n = len(m)
    from_input = [False] * n
    from_input[0] = True
    for v in range(1, n):
        from_input[v] = any(from_input[u] and m[u][v] for u in range(v))
    to_output = [False] * n
    to_output[-1] = True
    for v in range(n - 2, -1, -1):
        to_output[v] = any(to_output[w] and m[v][w] for w in range(v + 1, n))
    if not from_input[-1]:
        raise InvalidArchitectureError("nb101: the output is not reachable from the input")
    return [v for v in range(n) if from_input[v] and to_output[v]]


def nb101_vertex_channels(c_in: int, c_out: int, matrix: object) -> list[int]:
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
    m, ops = nb101_check_spec(matrix, ops)
    rows = m.tolist()
    keep = _kept_vertices(rows)
    mat = [[rows[i][j] for j in keep] for i in keep]
    ops = [ops[i] for i in keep]
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
