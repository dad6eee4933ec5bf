"""Network builders: shapes, macro options, architecture inputs and clear errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.errors import ConfigError, InvalidArchitectureError, UnknownNameError
from tests.conftest import NO_TORCH_PRELUDE

torch = pytest.importorskip("torch")

from nasbench_lab import live  # noqa: E402
from nasbench_lab.live.networks.darts import Genotype  # noqa: E402

NB101_CELL = ([[0, 1, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 1, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]],
              ["input", "conv3x3-bn-relu", "maxpool3x3", "conv1x1-bn-relu", "output"])
DARTS_V2 = Genotype(
    normal=(("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)),
    normal_concat=(2, 3, 4, 5),
    reduce=(("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)),
    reduce_concat=(2, 3, 4, 5))


def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters())


@pytest.mark.parametrize("space,arch,macro,shape", [
    ("nb201", "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
     {"C": 4, "N": 1, "in_channels": 1}, (2, 1, 8, 8)),
    ("nb101", NB101_CELL, {"stem_channels": 8, "modules_per_stack": 1, "in_channels": 1}, (2, 1, 9, 9)),
    ("darts", DARTS_V2, {"C": 4, "layers": 3, "in_channels": 1}, (2, 1, 8, 8)),
])
def test_networks_map_images_to_logits(space, arch, macro, shape):
    net = live.build_network(space, arch, num_classes=7, **macro)
    x = torch.randn(*shape)
    assert net(x).shape == (2, 7)
    assert net.features(x).dim() == 4  # the map before global pooling (used by zen)
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.classifier.parameters())


def test_official_nb201_macro_is_the_default():
    arch = nasbench_lab.space("nb201").from_index(6111)  # the best CIFAR-10 cell of NB201
    with torch.device("meta"):
        net = live.build_network("nb201", arch)
    widths = [m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert widths[0] == 16 and max(widths) == 64
    cells = [m for m in net.cells if type(m).__name__ == "NB201Cell"]
    assert len(cells) == 15 and net.classifier.out_features == 10
    assert n_params(net) == live.nb201_params(arch)


def test_darts_array_genotype_and_dict_build_the_same_network():
    space = nasbench_lab.space("darts")
    arch = space.sample(np.random.default_rng(3))
    with torch.device("meta"):
        a = live.build_network("darts", arch)
        b = live.build_network("darts", space.to_genotype(arch))
    assert n_params(a) == n_params(b) > 0
    with torch.device("meta"):
        official = live.build_network("darts", DARTS_V2)
    # DARTS-V2 at NB301's C=32, 8 cells: the 20-cell C=36 network is DARTS's published 3.3 M
    with torch.device("meta"):
        paper = live.build_network("darts", DARTS_V2, C=36, layers=20)
    assert n_params(official) < n_params(paper)
    assert abs(n_params(paper) - 3.3e6) < 0.05e6


def test_nb101_accepts_index_and_hash():
    from nasbench_lab.live.networks import _registered_space

    sp = _registered_space("nb101")
    if sp is None:
        pytest.skip("nb101 space not available")
    with torch.device("meta"):
        by_index = live.build_network("nb101", 7)
        by_hash = live.build_network("nb101", sp.hash_of(np.array([7])))
    assert n_params(by_index) == n_params(by_hash)


def test_bad_architectures_and_options_raise_clear_errors():
    with pytest.raises(InvalidArchitectureError, match="op codes"):
        live.build_network("nb201", [0, 1, 2, 3, 9, 0])
    with pytest.raises(InvalidArchitectureError, match="batch"):
        live.build_network("nb201", np.zeros((2, 6), dtype=np.int8))
    with pytest.raises(ConfigError, match="unknown macro option.*accepted: C, N, in_channels"):
        live.build_network("nb201", [0, 1, 2, 3, 4, 0], width=3)
    with pytest.raises(ConfigError, match="num_classes"):
        live.build_network("nb201", [0, 1, 2, 3, 4, 0], num_classes=0)
    with pytest.raises(ConfigError, match=">= 1"):
        live.build_network("nb201", [0, 1, 2, 3, 4, 0], C=0)
    with pytest.raises(UnknownNameError, match="accepted: darts, nb101, nb201"):
        live.build_network("nb999", [0])
    with pytest.raises(InvalidArchitectureError, match="node 2 may read nodes 0..1"):
        live.build_network("darts", Genotype((("sep_conv_3x3", 2),) * 8, (2, 3, 4, 5), DARTS_V2.reduce, (2, 3, 4, 5)))
    with pytest.raises(InvalidArchitectureError, match="unknown op"):
        live.build_network("darts", Genotype((("conv_9x9", 0),) * 8, (2, 3, 4, 5), DARTS_V2.reduce, (2, 3, 4, 5)))


def test_live_without_torch_says_how_to_install():
    code = (
        NO_TORCH_PRELUDE +
        "import nasbench_lab\n"
        "from nasbench_lab import live\n"
        "from nasbench_lab.cli.main import build_parser; build_parser()\n"
        "assert live.nb201_params([3, 3, 3, 3, 3, 3]) == 1531546\n"
        "try:\n"
        "    live.train('nb201', [3, 3, 3, 3, 3, 3])\n"
        "except live.LiveBackendMissingError as e:\n"
        "    print('MISSING', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "MISSING" in out.stdout and "pip install 'nasbench_lab[live]'" in out.stdout


def test_core_package_does_not_import_torch():
    code = ("import sys\nimport nasbench_lab, nasbench_lab.live\n"
            "from nasbench_lab.cli.main import build_parser; build_parser()\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
