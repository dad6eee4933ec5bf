"""Report content: exact Wilcoxon with ties, CD cliques equal the stats, figure labels with units, LaTeX,
short runs flagged, multi-benchmark average ranks. Synthetic finals/trajectories test mechanics (said per test)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from scipy import stats

from nasbench_lab.analysis.aggregate import Curve, anytime_curve, final_table, rank_over_budget
from nasbench_lab.analysis.critical_difference import (
    CriticalDifference,
    cd_caption,
    cd_from_blocks,
    cd_from_seeds,
    cd_from_stats,
    draw_cd,
)
from nasbench_lab.analysis.plots import HIGHLIGHT, draw_curves, draw_final, draw_rank_vs_budget
from nasbench_lab.analysis.report_text import findings
from nasbench_lab.analysis.stats import (
    cliques,
    friedman_nemenyi,
    pairwise_wilcoxon,
    rank_matrix,
    wilcoxon_signed_rank,
)
from nasbench_lab.analysis.tables import SHORT_MARK, people_number, table_csv, table_latex, table_markdown
from nasbench_lab.cli.main import main
from nasbench_lab.search import run
from nasbench_lab.studies.report import is_short, summarize


def _brute_force_wilcoxon(d: np.ndarray) -> float:
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))
    t = ranks[d > 0].sum()
    sums = np.array([sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(d))])
    return min(1.0, 2 * min(np.mean(sums <= t + 1e-9), np.mean(sums >= t - 1e-9)))


def test_wilcoxon_is_exact_with_ties_and_zeros_and_matches_scipy_without():
    rng = np.random.default_rng(3)
    tied = np.round(rng.normal(size=12), 1)
    tied[:2] = 0.0
    tied[5] = tied[6] = 0.3
    assert wilcoxon_signed_rank(tied) == pytest.approx(_brute_force_wilcoxon(tied), abs=1e-12)
    clean = rng.normal(size=20)
    assert wilcoxon_signed_rank(clean) == pytest.approx(stats.wilcoxon(clean).pvalue, rel=1e-9)
    large = rng.normal(0.2, 1, size=300)  # normal approximation above EXACT_MAX_N
    assert wilcoxon_signed_rank(large) == pytest.approx(stats.wilcoxon(large, method="approx").pvalue, rel=1e-6)
    assert wilcoxon_signed_rank(np.zeros(5)) == 1.0


def test_friedman_and_nemenyi_critical_difference():
    ranks = rank_matrix(np.array([[3.0, 2.0, 1.0]] * 10))
    assert ranks[0].tolist() == [1.0, 2.0, 3.0]
    fr = friedman_nemenyi(ranks)
    # Demsar 2006: CD = q_0.05 sqrt(k(k+1)/(6N)), q_0.05 = 2.343 for k = 3
    assert fr["critical_difference"] == pytest.approx(2.343 * np.sqrt(3 * 4 / 60), rel=1e-3)
    assert fr["friedman_p"] < 1e-3
    assert cliques(["a", "b", "c"], [1.0, 2.0, 3.0], {frozenset("ac")}) == [["a", "b"], ["b", "c"]]
    # pairwise tests are not transitive: a group need not be contiguous in rank (a-c tied, b between them is not)
    assert cliques(["c", "b", "a"], [3.0, 2.0, 1.0], {frozenset("ab"), frozenset("bc")}) == [["a", "c"]]
    assert cliques(["a", "b"], [1.0, 2.0], {frozenset("ab")}) == []  # singletons left out


def test_cd_diagram_bars_are_the_computed_cliques():
    # synthetic finals: a and b tie closely, c is clearly worse
    rng = np.random.default_rng(0)
    base = rng.normal(size=30)
    finals = {"a": base + 1.0, "b": base + 1.0 + rng.normal(0, 0.01, 30), "c": base}
    cd = cd_from_seeds(finals)
    assert cd.cliques == [["a", "b"]] or cd.cliques == [["b", "a"]]
    fig = draw_cd(cd, title="t")
    bars = sorted(line.get_gid()[len("clique:"):].split("|") for line in fig.axes[0].lines
                  if (line.get_gid() or "").startswith("clique:"))
    assert bars == sorted(cd.cliques)
    names = {line.get_gid()[5:] for line in fig.axes[0].lines if (line.get_gid() or "").startswith("name:")}
    assert names == {"a", "b", "c"}
    across = cd_from_blocks(np.array([[3.0, 2.0, 1.0], [3.0, 1.0, 2.0]]), ["x", "y", "z"])
    assert across.critical_difference > 2 and across.cliques == [["x", "y", "z"]]
    fig = draw_cd(across)
    assert any(line.get_gid() == "cd_interval" for line in fig.axes[0].lines)


def _bars(fig, prefix: str = "clique:") -> list[list[str]]:
    """The clique bars a drawn CD diagram shows, read back from the artists' gids (study labels)."""
    return sorted(line.get_gid()[len(prefix):].split("|") for line in fig.axes[0].lines
                  if (line.get_gid() or "").startswith(prefix))


#: a stats.json in the shape the default compare run wrote (illustrative numbers): rs-ls separated while
#: rs-bananas (further away in rank) and rs-gbdt, de-gbdt are not
ISSUE_STATS = {
    "critical_difference": {"names": ["rs", "ls", "de", "bananas", "gbdt"], "mean_ranks": [4.3, 2.1, 3.4, 2.0, 3.2],
                            "method": "Wilcoxon signed-rank, Holm", "alpha": 0.05, "blocks": 20,
                            "cliques": [], "friedman_p": 1e-4, "critical_difference": None},
    "pairwise_wilcoxon_holm": [
        {"a": a, "b": b, "median_difference": 0.1, "p": p, "p_holm": p} for a, b, p in [
            ("rs", "ls", 0.004), ("rs", "de", 0.03), ("rs", "bananas", 0.088), ("rs", "gbdt", 0.107),
            ("ls", "de", 0.02), ("ls", "bananas", 1.0), ("ls", "gbdt", 0.5), ("de", "bananas", 0.01),
            ("de", "gbdt", 0.088), ("bananas", "gbdt", 0.6)]],
}


def test_cd_groups_from_stats_json_join_exactly_the_pairs_the_test_does_not_separate(tmp_path):
    # a written stats.json, read back as a report reader would
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(ISSUE_STATS))
    stats_json = json.loads(path.read_text())
    cd = cd_from_stats(stats_json)
    fig = draw_cd(cd, title="nb201-cifar10")
    drawn = _bars(fig)
    assert drawn == sorted(cd.cliques)
    assert sorted(cd.cliques) == sorted([["bananas", "ls", "gbdt"], ["bananas", "gbdt", "rs"], ["gbdt", "de"]])
    for row in stats_json["pairwise_wilcoxon_holm"]:
        shared = any(row["a"] in g and row["b"] in g for g in drawn)
        assert shared == (row["p_holm"] >= 0.05), row
    # groups are maximal: no algorithm outside a group is tied with all of its members
    tied = {frozenset((r["a"], r["b"])) for r in stats_json["pairwise_wilcoxon_holm"] if r["p_holm"] >= 0.05}
    for g in drawn:
        assert not [n for n in cd.names if n not in g and all(frozenset((n, m)) in tied for m in g)]
    # the non-contiguous groups carry a dot on each member; contiguous ones are plain thick bars
    assert _bars(fig, "members:") == [["bananas", "gbdt", "rs"]]  # ls and de lie between its members
    widths = {line.get_gid(): line.get_linewidth() for line in fig.axes[0].lines}
    assert widths["clique:bananas|ls|gbdt"] > widths["clique:bananas|gbdt|rs"]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "BANANAS (2.00)" in texts and "Random search (4.30)" in texts  # display names in the figure
    title = fig._suptitle.get_text()
    assert "20 runs per algorithm" in title and "blocks" not in title
    caption = cd_caption(cd)
    assert "20 runs per algorithm" in caption and "only the dotted algorithms belong to it" in caption
    # what compare writes (synthetic finals): its cliques are those rebuilt from its own pairwise rows
    base = np.random.default_rng(1).normal(size=10)
    finals = {"c": base, "a": base + 2.0, "b": base + 2.0 + np.random.default_rng(2).normal(0, 0.01, 10)}
    pairwise = pairwise_wilcoxon(finals)
    written = cd_from_seeds(finals, pairwise=pairwise).to_dict()
    assert written["cliques"] == [["a", "b"]] or written["cliques"] == [["b", "a"]]
    assert cd_from_stats({"critical_difference": written, "pairwise_wilcoxon_holm": pairwise}).cliques == \
        written["cliques"]


def test_cd_across_benchmarks_says_benchmarks_and_has_contiguous_bars():
    cd = CriticalDifference(["x", "y", "z"], [1.0, 2.0, 3.0], "Friedman + Nemenyi", 0.05, 4, [["x", "y"]], 0.2, 1.5)
    fig = draw_cd(cd)
    assert "4 benchmarks" in fig._suptitle.get_text() and _bars(fig, "members:") == []
    assert "4 benchmarks" in cd_caption(cd) and "dotted" not in cd_caption(cd)


def _rows(means: dict[str, float], std: float = 0.1) -> list[dict]:
    return [{"algorithm": n, "runs": 20, "mean": m, "std": std, "median": m, "iqr": 0.1, "mean_rank": i + 1.0}
            for i, (n, m) in enumerate(means.items())]


def _summary(labels, metric="test_acc", values=None) -> dict:
    return {n: {f"final_{metric}": (values or {}).get(n, [1.0] * 20), "short_runs": [], "stopped": ["budget"] * 20,
                "n_queries": [100] * 20} for n in labels}


def _pair(a, b, p_holm, diff=0.1):
    return {"a": a, "b": b, "median_difference": diff, "p": p_holm, "p_holm": p_holm}


def test_findings_name_the_group_tied_with_the_best_and_why_the_two_tests_disagree():
    # synthetic statistics: bananas best by 0.01 over ls with p = 1; re tied too; rs separated
    rows = _rows({"bananas": 94.10, "ls": 94.09, "re": 94.0, "rs": 93.5})
    pairs = [_pair("bananas", "ls", 1.0), _pair("bananas", "re", 0.3), _pair("bananas", "rs", 0.001),
             _pair("ls", "re", 1.0), _pair("ls", "rs", 0.2), _pair("re", "rs", 0.01)]
    vs = {n: {"alternative": f"{n} better than rs", "p": p, "p_holm": p}
          for n, p in (("bananas", 0.001), ("ls", 0.01), ("re", 0.2))}
    words = findings(rows, {"pairwise_wilcoxon_holm": pairs, "vs_random_search_mann_whitney": vs}, None,
                     _summary(["bananas", "ls", "re", "rs"]), unit="%", higher=True, alpha=0.05, folder="f",
                     metric="test_acc")
    text = " ".join(words)
    assert words[0].startswith("Best mean: bananas (94.10 +- 0.10 % over 20 runs")
    assert "Not separated from bananas (paired Wilcoxon, Holm, alpha 0.05): ls (p_holm = 1), re (p_holm = 0.3)" in text
    assert "; with bananas they form the group tied with the best." in text
    disagree = [w for w in words if w.startswith("The two tests disagree")]
    assert len(disagree) == 1
    assert "ls better than rs by the Mann-Whitney test but not separated from it" in disagree[0]
    assert "re separated from rs (and better) by the paired Wilcoxon test" in disagree[0]
    assert "unpaired and one-sided" in disagree[0] and "two-sided" in disagree[0]
    lone = findings(rows[:2], {"pairwise_wilcoxon_holm": [_pair("bananas", "ls", 0.01)]}, None,
                    _summary(["bananas", "ls"]), unit="%", higher=True, alpha=0.05, folder="f", metric="test_acc")
    assert "Every other algorithm is separated from bananas" in " ".join(lone)
    # table.tex bolds the whole group and names the test
    tex = table_latex(rows, tied=["ls", "re"])
    assert tex.count(r"\textbf{") == 3 and r"Random search & 20 & 93.50" in tex
    assert "Wilcoxon signed-rank" in tex and "Holm" in tex


def test_findings_print_no_percent_for_metrics_without_one_and_say_why_a_mean_is_missing():
    rows = _rows({"gbdt": 0.56, "rs": 0.60}, std=0.01)
    pairs = [_pair("gbdt", "rs", 1.0, diff=-0.04)]
    for unit in ("", "loss"):
        words = findings(rows, {"pairwise_wilcoxon_holm": pairs}, None, _summary(["gbdt", "rs"], "valid_err"),
                         unit=unit, higher=False, alpha=0.05, folder="f", metric="valid_err")
        text = " ".join(words)
        assert "gbdt (0.56 +- 0.01 over 20 runs" in text and "%" not in text and " pp" not in text
        assert "span 0.04." in text
        assert "%" not in table_latex(rows, unit=unit, higher_is_better=False).split("\n", 1)[1]
    nan_rows = _rows({"rs": float("nan"), "re": float("nan")})
    missing = {"rs": [None] * 3 + [90.0] * 17, "re": [None] * 20}
    words = findings(nan_rows, {}, None, _summary(["rs", "re"], values=missing), unit="%", higher=True,
                     alpha=0.05, folder="f", metric="test_acc")
    text = " ".join(words)
    assert "nan" not in text and "Best mean" not in text
    assert "report metric test_acc is missing" in text and "3 of 20 for rs" in text and "20 of 20 for re" in text


def test_anytime_figure_labels_carry_units_and_regret_is_linear_unless_it_spans_decades(nb201_c10):
    trajs = {a: [run(nb201_c10, a, seed=s, budget=40) for s in range(3)] for a in ("rs", "re")}
    curves = {a: anytime_curve(t, y="regret", optimum=94.37) for a, t in trajs.items()}
    fig = draw_curves(curves, rng=np.random.default_rng(0))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "test regret of incumbent (percentage points)"
    assert ax.get_xlabel() == "queries (architectures evaluated)"
    small = {a: anytime_curve(t, y="test") for a, t in trajs.items()}
    assert draw_curves(small, rng=np.random.default_rng(0)).axes[0].get_ylabel() == "test accuracy of incumbent (%)"
    assert ax.get_yscale() == ("log" if np.nanmax(curves["rs"].values) > 10 * np.nanmin(
        np.where(curves["rs"].values > 0, curves["rs"].values, np.nan)) else "linear")
    timed = anytime_curve(trajs["rs"], x="time", y="valid_regret", optimum=91.7)
    assert timed.x_label == "simulated training time (s)"
    assert timed.y_label == "validation regret of incumbent (percentage points)"
    rank = rank_over_budget(trajs)
    assert rank.values.shape == (2, 40) and np.allclose(rank.values.sum(axis=0), 3.0)


NINE = ["rs", "re", "ls", "de", "bananas", "gbdt", "npred", "zc", "hb"]


def _nine_curves(start: float = 80.0) -> dict[str, Curve]:
    """Synthetic anytime curves of 9 algorithms: all start near ``start`` and climb to 93.5..94.3."""
    rng = np.random.default_rng(1)
    x = np.arange(1, 101, dtype=np.float64)
    out = {}
    for i, name in enumerate(NINE):
        top = 93.5 + 0.1 * i
        climb = top - (top - start) * np.exp(-x / 8)
        out[name] = Curve(x, climb + rng.normal(0, 0.05, (5, len(x))), "queries (architectures evaluated)",
                          "test accuracy of incumbent (%)")
    return out


def _line_styles(ax, prefix: str) -> dict[str, tuple]:
    return {line.get_gid()[len(prefix):]: (line.get_color(), str(line.get_linestyle()), line.get_marker())
            for line in ax.lines if (line.get_gid() or "").startswith(prefix)}


def _first_inside_or_cut(ax) -> bool:
    lo, hi = sorted(ax.get_ylim())
    firsts = [line.get_ydata()[np.isfinite(line.get_ydata())][0] for line in ax.lines
              if (line.get_gid() or "").startswith("curve:")]
    return all(lo <= y <= hi for y in firsts) or any(t.get_gid() == "cut_note" for t in ax.texts)


def test_anytime_plot_of_nine_algorithms_is_readable_in_grayscale_and_shows_or_says_where_curves_start():
    # synthetic curves: the mechanics of the figure, not a search result
    for start, zoom in ((80.0, True), (93.0, True), (80.0, False)):
        fig = draw_curves(_nine_curves(start), rng=np.random.default_rng(0), zoom=zoom, title="t: test accuracy")
        ax = fig.axes[0]
        assert _first_inside_or_cut(ax)
        cut = [t for t in ax.texts if t.get_gid() == "cut_note"]
        assert bool(cut) == (start == 80.0 and zoom)  # a far start is cut and said; a near one is shown whole
        if cut:
            assert "curves start below" in cut[0].get_text()
        styles = _line_styles(ax, "curve:")
        assert len(styles) == 9
        assert len({(c, ls) for c, ls, _ in styles.values()}) == 9  # colour and line style never both shared
        assert len({m for _, _, m in styles.values()}) == 9  # markers tell lines apart without colour
        bands = [c.get_gid() for c in ax.collections if (c.get_gid() or "").startswith("band:")]
        assert len(bands) == HIGHLIGHT + 1 and "band:rs" in bands and "band:hb" in bands  # hb: best final mean
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend[0] == "Hyperband" and "Random search" in legend and "Regularized evolution" in legend
        assert not any("_" in t or t in NINE for t in legend)  # display names, never code names
        assert ax.get_title() == "t: test accuracy"
        fig.canvas.draw()  # the legend sits right of the data, not on it
        assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1


def test_long_display_names_stay_inside_the_figure():
    # "Multi-objective regularized evolution" ran past the right edge of the saved figure (the legend sits in a
    # fixed margin), so reports showed it cut; long names are wrapped onto two lines instead
    x = np.arange(1, 41, dtype=np.float64)
    curves = {name: Curve(x, np.tile(1.0 / (x + i), (3, 1)), "queries", "regret")
              for i, name in enumerate(("mo-re", "rs", "re_nb201"))}
    for fig in (draw_curves(curves, rng=np.random.default_rng(0), lower_is_better=True),
                draw_rank_vs_budget(Curve(x, np.tile([[1.0], [2.0], [3.0]], (1, len(x))), "queries", "mean rank"),
                                    list(curves))):
        fig.canvas.draw()
        legend = fig.axes[0].get_legend()
        assert legend.get_window_extent().x1 <= fig.bbox.x1
        assert any("Multi-objective regularized" in t.get_text() and "evolution" in t.get_text()
                   for t in legend.get_texts())


def test_rank_plot_uses_display_names_and_distinct_styles():
    x = np.arange(1, 21, dtype=np.float64)
    ranks = np.tile(np.arange(1, 10, dtype=np.float64)[:, None], (1, len(x)))
    fig = draw_rank_vs_budget(Curve(x, ranks, "queries", "mean rank"), NINE)
    ax = fig.axes[0]
    styles = _line_styles(ax, "rank:")
    assert len({(c, ls) for c, ls, _ in styles.values()}) == 9
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Random search" and not any("_" in t or t in NINE for t in legend)


def test_final_plot_fits_the_boxes_and_writes_a_far_random_reference_as_a_note():
    finals = {name: 93.5 + 0.1 * i + np.random.default_rng(i).normal(0, 0.2, 10) for i, name in enumerate(NINE)}
    fig = draw_final(finals, y_label="final test accuracy (%)", optimum=94.37, random_mean=87.06,
                     p_vs_rs={"hb": 0.01})
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    values = np.concatenate(list(finals.values()))
    assert lo <= values.min() and values.max() <= hi and lo > 92.0  # the boxes fill the axis
    gids = {a.get_gid() for a in ax.lines + ax.texts}
    assert "random_mean_note" in gids and "random_mean" not in gids and "optimum" in gids
    note = next(t for t in ax.texts if t.get_gid() == "random_mean_note")
    assert "87.06" in note.get_text() and "below" in note.get_text()
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["Random search", "Regularized evolution"]
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1


def test_final_plot_marks_references_and_significance():
    finals = {"rs": np.array([1.0, 2.0, 3.0]), "gbdt": np.array([5.0, 6.0, 7.0])}
    fig = draw_final(finals, y_label="final test_acc (%)", optimum=8.0, random_mean=0.5, p_vs_rs={"gbdt": 0.01})
    ax = fig.axes[0]
    gids = {a.get_gid() for a in ax.lines + ax.texts}
    assert {"optimum", "random_mean", "significant:gbdt"} <= gids and "significant:rs" not in gids
    assert "mean" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_ylabel().endswith("(%)")


def test_tables_round_for_people_and_latex_marks_best_and_short_runs():
    # synthetic finals with float32 noise
    finals = {"rs": np.array([79.97333297729492, 80.1]), "re": np.array([81.0, 81.2])}
    rows = final_table(finals, random_mean=75.0, short_runs={"rs": 0, "re": 1})
    rows[1]["p_vs_rs"] = 0.012345
    rows[0]["p_vs_rs"] = None
    md = table_markdown(rows)
    assert "79.97333" not in md and f"| re{SHORT_MARK} | 2 | 1 | 81.10 |" in md and "| 0.012 |" in md
    assert "80.04" in table_csv(rows) and "79.97333" not in table_csv(rows)
    tex = table_latex(rows, unit="%")
    assert tex.startswith("% requires \\usepackage{booktabs}\n")
    assert r"\toprule" in tex and r"\textbf{81.10} $\pm$ 0.14" in tex
    assert r"Regularized evolution$^{*\dagger}$" in tex and r"Random search & 2" in tex  # display names
    assert r"median [IQR]" in table_latex(rows, stat="median")
    assert people_number(3.2e-7, "p_vs_rs") == "3.2e-07" and people_number(12, "runs") == "12"


def test_short_runs_are_counted_not_hidden(nb201_c10):
    full = run(nb201_c10, "rs", seed=0, budget=20)
    cut = run(nb201_c10, "rs", seed=1, budget=20)
    for name in ("archs", "valid", "test", "fidelity", "cost", "start", "finish"):  # a run that ended after 12
        setattr(cut, name, getattr(cut, name)[:12])
    cut.meta["stopped"] = "exhausted"
    assert not is_short(full) and is_short(cut)
    s = summarize({"rs": [full, cut]})["rs"]
    assert s["n_queries"] == [20, 12] and s["stopped"] == ["budget", "exhausted"] and s["short_runs"] == [1]


def test_multi_benchmark_study_writes_average_ranks_and_cd(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('name = "two"\nseeds = 2\nbudget = 12\nalgorithms = ["rs", "re", "ls"]\n'
                    '[[benchmark]]\nname = "nbgraph"\ndataset = "cora"\n'
                    '[[benchmark]]\nname = "nbgraph"\ndataset = "citeseer"\n')
    out = tmp_path / "r"
    assert main(["compare", "--config", str(toml), "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    data = json.loads((out / "average_rank.json").read_text())
    rows = {r["algorithm"]: r for r in data["rows"]}
    assert set(rows) == {"rs", "re", "ls"}
    for r in rows.values():
        assert r["average_rank"] == pytest.approx((r["nbgraph-cora"] + r["nbgraph-citeseer"]) / 2)
    assert data["critical_difference"]["method"] == "Friedman + Nemenyi"
    assert (out / "plots" / "critical_difference.png").is_file() and (out / "plots" / "rank_vs_budget.png").is_file()
    report = (out / "report.md").read_text()
    assert "[nbgraph-cora](nbgraph-cora/report.md)" in report and "average rank" in report
    assert (out / "nbgraph-cora" / "report.md").is_file() and (out / "nbgraph-citeseer" / "table.tex").is_file()
    assert r"average rank \\" in (out / "table.tex").read_text()
    # per benchmark: stats.json's cliques are those its pairwise rows give; 2 seeds separate no pair, so the
    # group tied with the best is everyone, all bold in table.tex, named in the findings
    per = json.loads((out / "nbgraph-cora" / "stats.json").read_text())
    assert per["critical_difference"]["cliques"] == cd_from_stats(per).cliques
    assert [sorted(g) for g in per["critical_difference"]["cliques"]] == [["ls", "re", "rs"]]
    assert any(w.startswith("Not separated from ") for w in per["findings"])
    tex = (out / "nbgraph-cora" / "table.tex").read_text()
    assert tex.count(r"\textbf{") == 3 and "Regularized evolution" in tex and "paired Wilcoxon" in tex
    assert "mean final value (1 = best) over 2 benchmarks" in report  # the CD caption across benchmarks
    assert "over 2 runs per algorithm" in (out / "nbgraph-cora" / "report.md").read_text()


def test_predictor_figures_have_identity_lines_size_ticks_and_a_centred_diverging_map(monkeypatch, tmp_path):
    # synthetic predictions and summaries: the figures' content, not the predictors
    from nasbench_lab.predictors import plots

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig) or path)
    rng = np.random.default_rng(0)
    true = rng.normal(90, 2, 200)
    plots.plot_scatter_grid({"xgb": (true, true + rng.normal(0, 1, 200)), "gp": (true, true)}, tmp_path / "s.png")
    assert all(any(line.get_gid() == "identity" for line in ax.lines) for ax in figures[-1].axes[:2])
    axes = figures[-1].axes
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[1]) and axes[0].get_shared_y_axes().joined(*axes[:2])
    plots.plot_scatter_grid({f"p{i}": (true, true) for i in range(6)}, tmp_path / "g.png",
                            xlabel="true validation accuracy (%)", ylabel="predicted validation accuracy (%)")
    axes = figures[-1].axes  # 2 x 4 grid, 6 panels: y labels on the left column, x labels under each column
    label = "predicted validation accuracy (%)"
    assert [ax.get_ylabel() for ax in axes[:6]] == [label, "", "", "", label, ""]
    assert [bool(ax.get_xlabel()) for ax in axes[:6]] == [False, False, True, True, True, True]
    assert all(len(ax.get_xticks()) <= 7 for ax in axes[:6])  # MaxNLocator(5): few, readable ticks
    plots.plot_scatter_grid({"synflow": (rng.random(50), true[:50])}, tmp_path / "p.png", x_as_rank=True)
    assert not any(line.get_gid() == "identity" for line in figures[-1].axes[0].lines)
    sizes = {"xgb": {str(n): {"kendall_tau": [0.5, 0.6]} for n in (10, 30, 75, 1000)}}
    plots.plot_correlation_vs_size(sizes, tmp_path / "c.png")
    ax = figures[-1].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "30", "75", "1,000"]
    plots.plot_heatmap({"synflow": {"cifar10": 0.8, "cifar100": -0.3}}, tmp_path / "h.png", cmap="RdBu_r", center=0.0)
    image = figures[-1].axes[0].images[0]
    assert image.norm.vmin == pytest.approx(-0.8) and image.norm.vmax == pytest.approx(0.8)


def png_dpi(path) -> float:
    """Resolution a PNG declares in its pHYs chunk (pixels per metre), in dots per inch."""
    import struct

    data = path.read_bytes()
    at = data.index(b"pHYs")
    x, _y, unit = struct.unpack(">IIB", data[at + 4: at + 13])
    assert unit == 1  # metres
    return x * 0.0254


def test_saved_pngs_are_300_dpi_and_pdfs_are_vectors(tmp_path):
    from nasbench_lab.analysis.plots import PNG_DPI, save_figure
    from nasbench_lab.predictors import plots

    fig = draw_final({"rs": np.array([1.0, 2.0]), "re": np.array([2.0, 3.0])})
    assert round(png_dpi(save_figure(fig, tmp_path / "f.png"))) == PNG_DPI == plots.PNG_DPI == 300
    assert save_figure(fig, tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    path = plots.plot_heatmap({"synflow": {"cifar10": 0.8}}, tmp_path / "h.png")
    assert round(png_dpi(path)) == 300


@pytest.mark.parametrize("lo, hi", [(2e3, 3e4), (2.5e3, 8e3), (1e2, 2e5)])
def test_log_time_axis_tick_labels_never_overlap(lo, hi):
    # synthetic curves over simulated seconds: spans of about one decade, under one, and over three
    x = np.geomspace(lo, hi, 60)
    curves = {n: Curve(x, np.tile(90 + 0.1 * i + np.log10(x), (3, 1)), "simulated training time (s)",
                       "test accuracy of incumbent (%)") for i, n in enumerate(("rs", "re"))}
    fig = draw_curves(curves, rng=np.random.default_rng(0), log_x=True)
    ax = fig.axes[0]
    fig.canvas.draw()  # tick labels get their text when drawn
    renderer = fig.canvas.get_renderer()
    left, right = ax.get_xlim()
    ticks = [t for t in ax.xaxis.get_major_ticks() + ax.xaxis.get_minor_ticks()
             if t.label1.get_visible() and t.label1.get_text() and left <= t.get_loc() <= right]
    boxes = sorted((t.label1.get_window_extent(renderer) for t in ticks), key=lambda b: b.x0)
    assert len(boxes) >= 2, "a log axis needs at least two labelled ticks"
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:])), [t.label1.get_text() for t in ticks]
