"""Categorical parameterisation of every space, and the optimizers built on it: tpe, reinforce, bohb, optuna:*.

Mechanics run on the embedded NAS-Bench-Graph tables and on spaces with synthetic objectives (said
where used); behaviour against Optuna and the paper protocol on the real NAS-Bench-201 table
(skipped when ../shared/data is absent).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import nasbench_lab
from nasbench_lab.errors import ConfigError, InvalidArchitectureError, UnknownNameError
from nasbench_lab.registry import Registry
from nasbench_lab.search import OPTIMIZERS, make_optimizer, run
from nasbench_lab.search.base import SearchProblem, optimizer_params
from nasbench_lab.spaces import space
from nasbench_lab.studies.study import Study, StudySpec

REPO = Path(__file__).resolve().parents[1]
SPACES = ("nb201", "nbgraph", "nbgraph-proteins", "darts", "nb101")
NATIVE = ("tpe", "reinforce", "bohb")


@pytest.fixture(scope="module")
def nbgraph():
    return nasbench_lab.load()


# ------------------------------------------------------------------ the space interface
@pytest.mark.parametrize("name", SPACES)
def test_categorical_round_trip_on_every_space(name):
    sp = space(name)
    archs = sp.sample(np.random.default_rng(0), 300)
    rows = sp.to_categorical(archs)
    choices = np.asarray(sp.categorical_choices())
    assert rows.shape == (300, len(choices)) and (rows >= 0).all() and (rows < choices).all()
    back, present = sp.from_categorical(rows)
    assert present.all() and back.dtype == sp.arch_dtype
    assert np.array_equal(sp.keys(back), sp.keys(archs))


def test_rows_outside_the_space_are_flagged_absent():
    graph = space("nbgraph")
    skip = graph.ops.index("skip")
    _, present = graph.from_categorical(np.array([[0, skip, skip, skip, skip], [0, 0, skip, skip, skip]]))
    assert present.tolist() == [False, True]
    nb101 = space("nb101")
    no_edges = np.zeros((1, 26), dtype=np.int64)  # output unreachable: not a NAS-Bench-101 cell
    chain = np.zeros((1, 26), dtype=np.int64)
    chain[0, 0] = 1  # 0 -> 1
    chain[0, [1 + 2 + 3 + 4 + 5 + 1]] = 1  # 1 -> 6 (bit index src + dst (dst - 1) / 2 = 1 + 15)
    _, present = nb101.from_categorical(np.concatenate([no_edges, chain]))
    assert present.tolist() == [False, True]
    with pytest.raises(InvalidArchitectureError, match="26 columns"):
        nb101.from_categorical(np.zeros((1, 5), dtype=np.int64))
    assert space("darts").categorical_choices()[:4] == (3, 6, 10, 7)


def test_registry_prefix_resolver_and_listing():
    reg: Registry[str] = Registry("thing")
    reg.add("a", "A")
    reg.register_prefix("fam", lambda rest: f"fam-{rest}", "fam:MEMBER")
    assert reg.get("fam:x") == "fam-x" and "fam:x" in reg and "other:x" not in reg
    with pytest.raises(UnknownNameError, match="unknown thing 'b'; accepted: a, fam:MEMBER"):
        reg.get("b")
    with pytest.raises(ValueError, match="already registered"):
        reg.register_prefix("fam", str, "fam:X")


# ------------------------------------------------------------------ native optimizers
@pytest.mark.parametrize("name", NATIVE)
def test_same_seed_same_trajectory_bit_for_bit(nbgraph, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b, c = (run(nbgraph, name, seed=s, budget=40) for s in (3, 3, 4))
    assert len(a) == 40 and OPTIMIZERS.get(name).name == name
    for field in ("archs", "valid", "test", "fidelity"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert not np.array_equal(a.archs, c.archs)


def test_bohb_on_one_fidelity_says_so_and_runs_tpe(nbgraph):
    with pytest.warns(UserWarning, match="nothing to halve; running tpe"):
        bohb = run(nbgraph, "bohb", seed=2, budget=30)
    assert np.array_equal(bohb.archs, run(nbgraph, "tpe", seed=2, budget=30).archs)


def _synthetic_loop(name: str, space_name: str, n: int, seed: int, **params) -> np.ndarray:
    """Runs ``name`` by ask/tell on a synthetic objective (how often choice 1 is picked); returns the values."""
    sp = space(space_name)
    opt = make_optimizer(name, SearchProblem(sp), np.random.default_rng(seed), **params)
    values = []
    for _ in range(n):
        archs = opt.ask(1)
        sp.validate(archs)
        value = (sp.to_categorical(archs) == 1).mean(axis=1)
        opt.tell(archs, value)
        values.append(float(value[0]))
    return np.asarray(values)


@pytest.mark.parametrize("space_name", SPACES)
@pytest.mark.parametrize("name", ["tpe", "reinforce", "optuna:random"])
def test_optimizers_run_on_every_space(name, space_name):
    pytest.importorskip("optuna") if name.startswith("optuna") else None
    assert len(_synthetic_loop(name, space_name, 15, 0)) == 15  # every proposal is a member (validated)


def test_tpe_learns_a_synthetic_objective_better_than_random():
    tpe = [_synthetic_loop("tpe", "darts", 80, s)[40:].mean() for s in range(4)]
    rs = [_synthetic_loop("rs", "darts", 80, s)[40:].mean() for s in range(4)]
    indep = [_synthetic_loop("tpe", "darts", 80, s, multivariate=False)[40:].mean() for s in range(4)]
    assert min(tpe) > max(rs) and min(indep) > max(rs)


def test_reinforce_moves_the_policy_towards_rewarded_choices():
    sp = space("nb201")
    opt = make_optimizer("reinforce", SearchProblem(sp), np.random.default_rng(0), learning_rate=0.05)
    start = opt.policy()[:, 1].mean()
    for _ in range(200):
        archs = opt.ask(1)
        opt.tell(archs, (archs == 1).mean(axis=1) * 100)
    assert opt.policy()[:, 1].mean() > start + 0.2
    assert abs(opt.policy().sum(axis=1) - 1).max() < 1e-12


def test_bad_parameters_name_themselves(nbgraph):
    with pytest.raises(ConfigError, match="reinforce: learning_rate must be a number"):
        run(nbgraph, "reinforce", budget=5, params={"learning_rate": -1})
    with pytest.raises(UnknownNameError, match="parameter of algorithm tpe.*n_startup"):
        run(nbgraph, "tpe", budget=5, params={"startup": 3})
    with pytest.raises(ConfigError, match="bohb: random_fraction"):
        run(nbgraph, "bohb", budget=5, params={"random_fraction": 2})
    with pytest.raises(ConfigError, match=r"bohb: fidelities must name at least two of \[0\], got \[12\]"):
        run(nbgraph, "bohb", budget=5, params={"fidelities": [12]})


@pytest.mark.parametrize("name", NATIVE + ("optuna:tpe",))
def test_parallel_workers_and_time_budget(nb201_c10, name):
    if name.startswith("optuna"):
        pytest.importorskip("optuna")
    a = run(nb201_c10, name, seed=1, budget_seconds=60000, workers=4)
    b = run(nb201_c10, name, seed=1, budget_seconds=60000, workers=4)
    assert len(a) > 8 and np.array_equal(a.archs, b.archs) and (a.finish <= 60000).all()
    if name == "bohb":
        assert set(np.unique(a.fidelity)) == {12, 200}


# ------------------------------------------------------------------ optuna adapter
def test_core_never_imports_optuna():
    code = ("import sys, nasbench_lab, nasbench_lab.search, nasbench_lab.cli.main; "
            "from nasbench_lab.search import OPTIMIZERS; OPTIMIZERS.get('tpe'); print('optuna' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_optuna_missing_says_how_to_install(nbgraph, monkeypatch):
    from nasbench_lab.search import optuna_search

    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna -> ImportError
    optuna_search.optuna_optimizer.cache_clear()
    try:
        with pytest.raises(optuna_search.OptunaMissingError, match=r"pip install 'nasbench_lab\[optuna\]'"):
            run(nbgraph, "optuna:tpe", budget=5)
    finally:
        optuna_search.optuna_optimizer.cache_clear()


def test_optuna_samplers_run_deterministically_and_resolve_by_prefix(nbgraph):
    pytest.importorskip("optuna")
    a = run(nbgraph, "optuna:tpe", seed=5, budget=25, params={"n_startup_trials": 5})
    b = run(nbgraph, "optuna:tpe", seed=5, budget=25, params={"n_startup_trials": 5})
    assert np.array_equal(a.archs, b.archs) and a.meta["algorithm"] == "optuna:tpe"
    assert a.meta["params"]["n_startup_trials"] == 5
    assert "n_startup_trials" in optimizer_params("optuna:tpe") and "seed" not in optimizer_params("optuna:tpe")
    assert len(run(nbgraph, "optuna:random", seed=0, budget=10)) == 10


def test_optuna_samplers_that_cannot_model_categoricals_run_quietly(nbgraph, capfd):
    pytest.importorskip("optuna")
    assert len(run(nbgraph, "optuna:cmaes", seed=0, budget=12)) == 12
    assert "sampled independently" not in capfd.readouterr().err


def test_optuna_bad_input(nbgraph):
    pytest.importorskip("optuna")
    with pytest.raises(UnknownNameError, match="unknown Optuna sampler 'tpee'; accepted: .*optuna:gp.*optuna:tpe"):
        run(nbgraph, "optuna:tpee", budget=5)
    with pytest.raises(UnknownNameError, match="parameter of algorithm optuna:tpe 'n_startup'; accepted:"):
        run(nbgraph, "optuna:tpe", budget=5, params={"n_startup": 3})
    with pytest.raises(ConfigError, match="optuna:tpe: Optuna's TPESampler rejected the sampler argument"
                                          r"\(s\) n_ei_candidates='many'") as err:
        run(nbgraph, "optuna:tpe", budget=15, params={"n_ei_candidates": "many"})
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match=r"optuna:nsgaii: .* rejected the sampler argument\(s\) population_size=1: "):
        run(nbgraph, "optuna:nsgaii", budget=5, params={"population_size": 1})
    with pytest.raises(UnknownNameError, match="accepted: .*optuna:SAMPLER"):
        run(nbgraph, "optunaa", budget=5)


def test_cli_bad_sampler_exit_status_2():
    pytest.importorskip("optuna")
    cmd = [sys.executable, "-m", "nasbench_lab.cli.main", "compare", "--algorithms", "optuna:nope", "--seeds", "1",
           "--budget", "5", "--out", "unused"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    errors = [line for line in out.stderr.splitlines() if "error:" in line]
    assert out.returncode == 2 and len(errors) == 1 and "unknown Optuna sampler 'nope'; accepted:" in errors[0]
    assert "optuna:tpe" in errors[0]


# ------------------------------------------------------------------ the committed study file, at small size
def test_committed_tpe_study_resumes_with_identical_results(tmp_path, nb201_csv):
    pytest.importorskip("optuna")
    full = StudySpec.from_toml(REPO / "experiments" / "nb201_cifar10_tpe.toml")
    assert full.budget == 150 and len(full.seeds) == 100
    assert {a.name for a in full.algorithms} >= {"tpe", "optuna:tpe"}
    small = StudySpec(benchmarks=full.benchmarks, algorithms=full.algorithms, seeds=(0, 1), budget=20,
                      name=full.name)
    if not Path(small.benchmarks[0].path).is_file():
        pytest.skip("the study file's data path does not exist here")
    first = Study(small, tmp_path / "a")
    assert first.execute(jobs=1, progress=False) == 2 * len(full.algorithms)
    bigger = StudySpec(benchmarks=full.benchmarks, algorithms=full.algorithms, seeds=(0, 1, 2), budget=20,
                       name=full.name)
    resumed = Study(bigger, tmp_path / "a")
    assert resumed.execute(jobs=1, progress=False) == len(full.algorithms)  # only the new seed
    fresh = Study(bigger, tmp_path / "b")
    fresh.execute(jobs=1, progress=False)
    for label, trajs in resumed.trajectories()[resumed.runs()[0].relpath.split("/")[1]].items():
        other = fresh.trajectories()[fresh.runs()[0].relpath.split("/")[1]][label]
        assert all(np.array_equal(x.archs, y.archs) for x, y in zip(trajs, other)), label
    spec = importlib.util.spec_from_file_location("tpe_vs_optuna", REPO / "experiments" / "tpe_vs_optuna.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    table = script.compare(str(tmp_path / "a"))
    assert table["optuna-tpe"]["p_vs_reference"] is None and 0 <= table["tpe"]["p_vs_reference"] <= 1
    assert table["tpe"]["runs"] == 3 and table["tpe"]["ms_per_query"] > 0
