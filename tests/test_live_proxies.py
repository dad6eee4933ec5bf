"""Zero-cost proxies: every registered proxy on a tiny network, and params/flops/synflow against the
precomputed NAS-Bench-Suite-Zero values of NB201 (real data, read in place)."""

from __future__ import annotations

import ast
import json

import numpy as np
import pytest
from scipy.stats import spearmanr

from nasbench_lab.errors import ConfigError, UnknownNameError
from tests.conftest import shared_file

torch = pytest.importorskip("torch")

from nasbench_lab import live  # noqa: E402

#: NASLib op index -> our op code; NASLib's tuple positions 2 and 3 are the edges 0->3 and 1->2
NASLIB_OP = np.array([1, 0, 3, 2, 4])
NASLIB_EDGE = [0, 1, 3, 2, 4, 5]


def naslib_key_to_arch(key: str) -> np.ndarray:
    return NASLIB_OP[np.asarray(ast.literal_eval(key))[NASLIB_EDGE]].astype(np.int8)


ARCHS = np.array([[3, 0, 2, 1, 4, 3], [1, 1, 4, 2, 3, 0], [0, 0, 0, 0, 0, 3]], dtype=np.int8)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny networks: one PyTorch thread is fastest (and stable on a shared CPU)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def batch():
    return live.proxy_batch("digits", batch_size=32, seed=0)


def test_every_proxy_gives_a_float_and_leaves_the_network_unchanged(batch):
    X, y = batch
    net = live.build_network("nb201", ARCHS[0], C=4, N=1, in_channels=1)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert set(live.PROXY_NAMES) == set(live.PROXIES.names()) and len(live.PROXY_NAMES) == 13
    for name in live.PROXY_NAMES:
        value = live.proxy(name, net, X, y)
        assert isinstance(value, float) and np.isfinite(value), name
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in net.parameters()) and net.training


def test_compute_proxies_is_deterministic_and_times_each_proxy():
    names = ["synflow", "snip", "nwot", "zen", "params", "flops"]
    a, ta = live.compute_proxies("nb201", ARCHS, names, batch_size=16, seed=1, macro={"C": 4})
    b, _ = live.compute_proxies("nb201", ARCHS, names, batch_size=16, seed=1, macro={"C": 4})
    c, _ = live.compute_proxies("nb201", ARCHS, names, batch_size=16, seed=2, macro={"C": 4})
    assert set(a) == set(names) and all(a[n].shape == (3,) for n in names)
    assert all(np.array_equal(a[n], b[n]) for n in names)
    assert not np.array_equal(a["snip"], c["snip"])  # another seed: other weights and batch
    assert np.array_equal(a["params"], c["params"])  # data- and weight-free
    assert all(ta[n] > 0 for n in names)
    # the third cell's output is a conv of a node fed only by 'none': no signal reaches the output
    assert a["synflow"][2] == 0.0 < a["synflow"][0]


@pytest.mark.realdata
def test_params_and_flops_equal_naslib_values_on_the_official_network():
    """The official C=16, N=5 network on 32x32x3 inputs counts exactly what NAS-Bench-Suite-Zero stored."""
    with open(shared_file("nb201/nb201_zero_cost_subset.json")) as f:
        subset = json.load(f)["cifar10"]
    keys = list(subset)[:6]
    archs = np.stack([naslib_key_to_arch(k) for k in keys])
    scores, _ = live.compute_proxies("nb201", archs, ["params", "flops"], data="digits32", batch_size=2)
    np.testing.assert_allclose(scores["params"], [subset[k]["params"]["score"] for k in keys], atol=1e-6)
    np.testing.assert_allclose(scores["flops"], [subset[k]["flops"]["score"] for k in keys], atol=1e-6)


def _synflow_vs_naslib(n: int | None, min_rho: float) -> None:
    """Spearman of live params/flops/synflow with the stored values (synflow stored as its log, like ours)."""
    with open(shared_file("nb201/nb201_zero_cost_subset.json")) as f:
        subset = json.load(f)["cifar10"]
    keys = [k for k in subset if "synflow" in subset[k]]
    if n is not None:
        keys = [keys[i] for i in np.random.default_rng(0).choice(len(keys), n, replace=False)]
    archs = np.stack([naslib_key_to_arch(k) for k in keys])
    names = ["synflow", "params", "flops"]
    scores, _ = live.compute_proxies("nb201", archs, names, data="digits32", batch_size=2)
    for name in names:
        stored = np.array([subset[k][name]["score"] for k in keys])
        rho = spearmanr(scores[name], stored)[0]
        assert rho >= (min_rho if name == "synflow" else 0.95), (name, rho)
    assert np.median(np.abs(scores["synflow"] - stored_synflow(subset, keys))) < 0.2  # same scale (log)


def stored_synflow(subset: dict, keys: list) -> np.ndarray:
    return np.array([subset[k]["synflow"]["score"] for k in keys])


@pytest.mark.realdata
def test_synflow_ranks_like_naslib_on_a_sample():
    _synflow_vs_naslib(n=30, min_rho=0.95)


@pytest.mark.realdata
@pytest.mark.slow
def test_synflow_params_flops_rank_like_naslib_on_all_cells():
    _synflow_vs_naslib(n=None, min_rho=0.9)


def test_proxies_on_a_users_network_and_bad_input(batch):
    X, y = batch
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 6 * 6, 10))
    assert live.proxy("params", net, X, y) == pytest.approx((4 * 9 + 4 + 144 * 10 + 10) / 1e6)
    assert live.proxy("flops", net, X, y) > 0 and np.isfinite(live.proxy("grasp", net, X, y))
    with pytest.raises(ConfigError, match="features"):
        live.proxy("zen", net, X, y)
    with pytest.raises(UnknownNameError, match="accepted: epe_nas, fisher"):
        live.proxy("naswot", net, X, y)
    with pytest.raises(ConfigError, match="batch of images"):
        live.proxy("snip", net, X.reshape(len(X), -1), y)
    with pytest.raises(ConfigError, match="one label per input"):
        live.proxy("snip", net, X, y[:-1])
    with pytest.raises(ConfigError, match="at least 2"):
        live.proxy("snip", net, X[:1], y[:1])
    with pytest.raises(ConfigError, match="batch_size"):
        live.compute_proxies("nb201", ARCHS, ["params"], batch_size=1)
