"""Weight-sharing supernet (live backend): paths equal stand-alone networks, SPOS / fair / few-shot training,
BN recalibration, resume, determinism, and the ``supernet`` predictor under the evaluation protocol (toy size)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("torch")

import torch  # noqa: E402

import nasbench_lab  # noqa: E402
from nasbench_lab import live  # noqa: E402
from nasbench_lab.errors import ConfigError  # noqa: E402

SPACE = nasbench_lab.space("nb201")
TOY = {"C": 4, "N": 1, "epochs": 1, "data": "digits"}
ARCHS = SPACE.sample(np.random.default_rng(3), 24)


@pytest.fixture(scope="module")
def spos():
    return live.train_supernet(**TOY, seed=0)


def test_a_path_computes_what_the_standalone_network_computes(spos):
    """Every path of the supernet is the live NB201 network of that cell with the inherited weights."""
    from nasbench_lab.live.networks.nb201 import NB201Network

    net = spos.network()
    net.load_state_dict(spos.states["oneshot"])
    net.eval()
    x = torch.randn(5, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    for ops in ([3, 3, 3, 3, 3, 3], [3, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0], [1, 2, 4, 0, 3, 2]):
        single = NB201Network(ops, 10, **spos.macro)
        state = {}
        for key, value in spos.states["oneshot"].items():
            if ".choices." not in key:
                state[key] = value
                continue
            head, tail = key.split(".choices.")
            index, rest = tail.split(".", 1)
            edge, op = divmod(int(index), 5)
            if op == ops[edge]:
                state[f"{head}.edges.{edge}.{rest}"] = value
        single.load_state_dict(state)
        single.eval()
        net.set_path(ops)
        with torch.no_grad():
            torch.testing.assert_close(net(x), single(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("settings, epochs, phases", [
    ({"sampling": "spos"}, 1, ["oneshot"]),
    ({"sampling": "fair"}, 1, ["oneshot"]),
    ({"sampling": "spos", "few_shot_k": 1}, 6, ["oneshot"] + [f"split_e0o{o}" for o in range(5)]),
])
def test_train_and_rate(settings, epochs, phases):
    trained = live.train_supernet(**TOY, **settings)
    assert sorted(trained.states) == sorted(phases) and trained.epochs == epochs
    assert [r.phase for r in trained.records] == phases and trained.train_seconds > 0
    ratings = live.rate_supernet(trained, ARCHS)
    assert ratings.valid_acc.shape == (len(ARCHS),) and np.isfinite(ratings.valid_loss).all()
    assert ((ratings.valid_acc >= 0) & (ratings.valid_acc <= 100)).all()
    assert len(np.unique(ratings.valid_acc)) > 3  # architectures are told apart
    assert ratings.train_epochs == epochs and ratings.train_seconds == trained.train_seconds
    if settings.get("few_shot_k"):  # each architecture is rated by the sub-supernet of its edge-0 op
        assert trained.phase_of((2, 0, 0, 0, 0, 0)) == "split_e0o2"
        assert not torch.equal(trained.states["split_e0o2"]["classifier.weight"],
                               trained.states["oneshot"]["classifier.weight"])


def test_fair_sampling_trains_every_op_of_every_edge_each_step():
    trained = live.train_supernet(**TOY, sampling="fair")
    fresh = live.train_supernet(**{**TOY, "lr": 1e-12})  # a step of ~0 changes nothing: the initial weights
    for key, value in trained.states["oneshot"].items():
        if key.endswith("weight") and ".choices." in key:
            assert not torch.equal(value, fresh.states["oneshot"][key]), key


def test_bn_recalibration_changes_ratings(spos):
    recalibrated = live.rate_supernet(spos, ARCHS, bn_batches=4)
    kept = live.rate_supernet(spos, ARCHS, bn_batches=0)
    assert not np.array_equal(recalibrated.valid_loss, kept.valid_loss)
    again = live.rate_supernet(spos, ARCHS, bn_batches=4)  # rating leaves the supernet as it was
    np.testing.assert_array_equal(again.valid_loss, recalibrated.valid_loss)


def test_rating_shortcuts_give_the_plain_ratings_bit_for_bit(spos):
    """Effective-path dedupe, the stem computed once and the first cell's term memo skip only work that
    cannot change a rating: ratings equal those of a whole forward per architecture, bit for bit."""
    from nasbench_lab.live.supernet.network import effective_path

    archs = np.concatenate([ARCHS, SPACE.sample(np.random.default_rng(5), 40)])
    # cells that differ only in an edge that reaches nothing (edge 2 reads node 1, whose only input is none)
    dead = np.array([[0, 3, 1, 3, 0, 2], [0, 3, 4, 3, 0, 2]])
    assert effective_path(dead[0]) == effective_path(dead[1]) != tuple(dead[0])
    archs = np.concatenate([archs, dead])
    split = live.train_supernet(**TOY, few_shot_k=1, split_epochs=1)
    for trained, bn in ((spos, 4), (spos, 0), (split, 4)):
        fast = live.rate_supernet(trained, archs, bn_batches=bn)
        plain = live.rate_supernet(trained, archs, bn_batches=bn, shortcuts=False)
        np.testing.assert_array_equal(fast.valid_loss, plain.valid_loss)
        np.testing.assert_array_equal(fast.valid_acc, plain.valid_acc)
    assert fast.valid_loss[-1] == fast.valid_loss[-2]
    # a rater built once rates batch after batch (what one-shot evolution does) with the same numbers
    rater = live.SupernetRater(spos)
    one_by_one = np.concatenate([rater.rate(a).valid_loss for a in archs[:10]])
    np.testing.assert_array_equal(one_by_one, live.rate_supernet(spos, archs[:10]).valid_loss)
    assert 0 < len(rater.memo.values) <= rater.memo.size


def test_same_seed_same_ratings_bit_for_bit(spos):
    twin = live.train_supernet(**TOY, seed=0)
    np.testing.assert_array_equal(live.rate_supernet(twin, ARCHS).valid_loss,
                                  live.rate_supernet(spos, ARCHS).valid_loss)
    other = live.train_supernet(**TOY, seed=1)
    assert not np.array_equal(live.rate_supernet(other, ARCHS).valid_loss,
                              live.rate_supernet(spos, ARCHS).valid_loss)
    # a batch with repeats and strings: each distinct architecture is rated once, in place
    strings = [SPACE.to_string(a) for a in ARCHS[:3]]
    r = live.rate_supernet(spos, strings + strings[:1])
    np.testing.assert_array_equal(r.valid_loss, live.rate_supernet(spos, ARCHS[[0, 1, 2, 0]]).valid_loss)


def test_resume_after_interruption_gives_the_uninterrupted_ratings(tmp_path):
    settings = {**TOY, "epochs": 2, "few_shot_k": 1, "split_epochs": 1}
    whole = live.train_supernet(**settings, folder=tmp_path / "whole")
    assert (tmp_path / "whole" / "config.json").is_file()
    assert (tmp_path / "whole" / "oneshot" / "epoch_002.pt").is_file()
    # an interruption after the first one-shot epoch: later checkpoints were never written
    shutil.copytree(tmp_path / "whole", tmp_path / "cut")
    (tmp_path / "cut" / "oneshot" / "epoch_002.pt").unlink()
    for sub in (tmp_path / "cut").glob("split_*"):
        shutil.rmtree(sub)
    resumed = live.train_supernet(**settings, folder=tmp_path / "cut")
    memory = live.train_supernet(**settings)
    archs = ARCHS[:8]
    expected = live.rate_supernet(whole, archs).valid_loss
    np.testing.assert_array_equal(live.rate_supernet(resumed, archs).valid_loss, expected)
    np.testing.assert_array_equal(live.rate_supernet(memory, archs).valid_loss, expected)
    # the first epoch's seconds survive the resume; a finished folder loads without training
    assert resumed.records[0].train_time == whole.records[0].train_time
    loaded = live.load_supernet(tmp_path / "whole")
    assert loaded.records == whole.records
    np.testing.assert_array_equal(live.rate_supernet(tmp_path / "whole", archs).valid_loss, expected)
    # every epoch's weights stay readable (ranking agreement over training); the last one is the final state
    last = live.checkpoint_weights(tmp_path / "whole", "oneshot", 2)
    assert all(torch.equal(last[k], whole.states["oneshot"][k]) for k in last)
    first = live.checkpoint_weights(tmp_path / "whole", "oneshot", 1)
    assert not torch.equal(first["classifier.weight"], last["classifier.weight"])


def test_supernet_folder_of_other_settings_is_refused(tmp_path):
    live.train_supernet(**TOY, folder=tmp_path)
    with pytest.raises(ConfigError, match="other settings \\(sampling: 'spos' there, 'fair' now\\)"):
        live.train_supernet(**TOY, sampling="fair", folder=tmp_path)


def test_supernet_predictor_with_zero_labels_through_the_protocol(tmp_path):
    from nasbench_lab.benchmarks.proxies import ProxyBenchmark
    from nasbench_lab.loaders.suite_zero import ProxyRecords
    from nasbench_lab.predictors.evaluation import Evaluation, Protocol, evaluate_predictors
    from nasbench_lab.predictors.report import summary_tables, write_predictor_report

    archs = SPACE.from_index(np.sort(np.random.default_rng(0).choice(15625, 60, replace=False)))  # listed in order
    y = SPACE.encode(archs, "onehot") @ np.linspace(-2, 3, 30)  # synthetic truth: mechanics only
    bench = ProxyBenchmark(ProxyRecords("nb201", "synthetic", "nb201", archs, 80 + y, {"synflow": y}))
    params = {"epochs": 1, "C": 4, "N": 1, "folder": str(tmp_path / "supernets")}
    protocol = Protocol(sizes=(0, 5), seeds=2, test_size=40)
    ev = evaluate_predictors(bench, [_spec("supernet", params), "zc_score", "blr"], protocol,
                             out_dir=tmp_path / "eval")
    summary = ev.summary()
    assert set(summary["supernet"]) == {"0", "5"} and set(summary["blr"]) == {"5"}  # size 0: zero-label only
    assert set(summary["zc_score"]) == {"0", "5"}
    cost = summary["supernet"]["0"]
    assert cost["fit_epochs"] == [1.0, 1.0] and all(s > 0 for s in cost["fit_s"])
    assert cost == summary["supernet"]["5"]  # one fit per seed serves every size
    assert cost["kendall_tau"][0] != cost["kendall_tau"][1]  # each seed trains its own supernet
    assert len(list((tmp_path / "supernets").iterdir())) == 2
    md, _ = summary_tables(summary)
    assert "fit epochs" in md.splitlines()[0]
    assert [line.split(" | ")[-1] for line in md.splitlines()[2:]] == ["1 |", " |", " |"]  # supernet, zc_score, blr
    write_predictor_report(ev, tmp_path / "eval")  # a zero-label predictor is a line on the tau-vs-size plot
    assert (tmp_path / "eval" / "plots" / "scatter_n0.png").is_file()
    # the fit seconds are the supernet's training seconds, also when it comes back from its folder
    (tmp_path / "eval" / "runs" / "supernet" / "n0_s0.json").unlink()
    again = Evaluation(bench, [_spec("supernet", params), "zc_score", "blr"], protocol, out_dir=tmp_path / "eval")
    again.run()
    assert again.records[("supernet", 0, 0)].fit_s == ev.records[("supernet", 0, 0)].fit_s
    with pytest.raises(ConfigError, match="blr learns from labels"):
        Evaluation(bench, ["blr"], Protocol(sizes=(0,), seeds=1, test_size=40))


def _spec(name, params):
    from nasbench_lab.predictors.evaluation import PredictorSpec

    return PredictorSpec(name, params)


def test_few_shot_split_rule_first_k_edges():
    config = live.SupernetConfig(few_shot_k=2, epochs=3, split_epochs=1)
    phases = config.phases()
    assert config.split_edges == (0, 1) and len(phases) == 1 + 25 and config.total_epochs == 3 + 25
    assert phases[1] == ("split_e0o0_e1o0", {0: 0, 1: 0}, 1) and phases[-1][0] == "split_e0o4_e1o4"
