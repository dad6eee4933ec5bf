"""Result numbers in README.md and docs/*.md come from experiments/regenerate_docs.py at HEAD.

The default suite checks the block mechanics and that every generated block in the docs has a
generator and is filled; the slow test re-runs the cheap generators (isomorphism counts, the NB201
comparison table, the NB201 CIFAR-10 predictor tables) and fails when the docs disagree with them.
Numbers are compared within stated tolerances (experiments/docblocks.py, ``compare_blocks``), so that
floating point across BLAS builds passes and a real change fails: p-values within a factor of 2, mean
ranks within +-0.05, other decimals (means, stds, taus) with the same printed digits +-1 in the last
place, integers and all words exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, shared_file

sys.path.insert(0, str(REPO / "experiments"))

import docblocks  # noqa: E402
import regenerate_docs  # noqa: E402


def test_every_generated_block_has_a_generator_and_content():
    present = docblocks.read_blocks()
    owned = {name for gen in regenerate_docs.GENERATORS for name in gen.blocks}
    assert present, "no generated blocks found in README.md / docs/*.md"
    assert set(present) <= owned, f"blocks without a generator: {sorted(set(present) - owned)}"
    assert owned <= set(present), f"generators' blocks missing from the docs: {sorted(owned - set(present))}"
    empty = [f"{path.name}:{name}" for name, places in present.items() for path, text in places if not text.strip()]
    assert not empty, f"empty generated blocks (run experiments/regenerate_docs.py): {empty}"


def test_blocks_are_written_and_checked(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- generated:t -->\nold\n<!-- /generated:t -->\nb\n")
    (tmp_path / "docs" / "x.md").write_text("<!-- generated:t -->\n<!-- /generated:t -->\n")
    assert docblocks.stale_blocks({"t": "new"}, tmp_path) == ["README.md:t", "docs/x.md:t"]
    assert sorted(docblocks.write_blocks({"t": "new"}, tmp_path)) == ["README.md:t", "docs/x.md:t"]
    assert readme.read_text() == "a\n<!-- generated:t -->\nnew\n<!-- /generated:t -->\nb\n"
    assert docblocks.stale_blocks({"t": "new"}, tmp_path) == []
    assert docblocks.write_blocks({"t": "new"}, tmp_path) == []
    with pytest.raises(ValueError, match="no doc file holds"):
        docblocks.write_blocks({"u": "x"}, tmp_path)


TABLE = """| algorithm | mean ± std (%) | mean rank | p vs rs | runs |
|---|---:|---:|---:|---:|
| rs | 93.84 ± 0.27 | 7.27 |  | 100 |
| bananas | {mean} ± 0.20 | {rank} | {p} | {runs} |

Pairwise Wilcoxon-Holm: 21 of 36 pairs differ; bananas vs rs: p = {p} ({p})."""


def _table(mean="94.12", rank="3.41", p="1.9e-23", runs="13"):
    return TABLE.format(mean=mean, rank=rank, p=p, runs=runs)


@pytest.mark.parametrize("change, agrees", [
    ({}, True),
    ({"p": "2.0e-23"}, True),      # the BLAS move seen across machines
    ({"p": "3.8e-23"}, True),      # p-values: within a factor of 2
    ({"p": "1.9e-20"}, False),
    ({"p": "4.0e-23"}, False),
    ({"mean": "94.13"}, True),     # means: +-1 in the last printed place
    ({"mean": "94.11"}, True),
    ({"mean": "94.15"}, False),
    ({"mean": "94.1"}, False),     # other printed digits
    ({"rank": "3.45"}, True),      # mean ranks: +-0.05
    ({"rank": "3.36"}, True),
    ({"rank": "3.50"}, False),
    ({"runs": "14"}, False),       # integers: exactly
])
def test_blocks_compare_within_the_stated_tolerances(change, agrees):
    diffs = docblocks.compare_blocks(_table(), _table(**change))
    assert (diffs == []) is agrees, diffs


def test_blocks_compare_words_and_number_count_exactly():
    assert docblocks.compare_blocks(_table(), _table().replace("differ", "differs"))
    assert docblocks.compare_blocks(_table(), _table().replace("bananas", "npred"))
    assert docblocks.compare_blocks(_table(), _table() + " 1")
    assert docblocks.compare_blocks("a 1.5 b", "a 1.5 2 b")
    assert docblocks.compare_blocks("a 1.50 b", "a 1.5 b") == ["1.50 expected, 1.5 found (decimal rule)"]
    assert docblocks.compare_blocks("Optuna 5.0.0, cifar10, ImageNet16-120", "Optuna 5.0.1, cifar10, ImageNet16-120")
    assert docblocks.compare_blocks("15,625 cells", "15,626 cells")


def test_number_rules_follow_header_prefix_and_format():
    text = "| p (Holm) | p_vs_rs | mean rank | median |\n|---|---|---|---|\n| 0.27 (0.53) | 1 | 3.41 | 94.3 |\n" \
           "p = 5.4e-05 (0.00032); 2e-23; 1,000 cells; rank 3.2"
    rules = [(n.text, n.rule) for n in docblocks.tokenize(text)[1]]
    assert rules == [("0.27", "p"), ("0.53", "p"), ("1", "p"), ("3.41", "rank"), ("94.3", "decimal"),
                     ("5.4e-05", "p"), ("0.00032", "p"), ("2e-23", "p"), ("1,000", "int"), ("3.2", "rank")]


def test_stale_blocks_tolerate_a_p_value_move_but_not_a_real_change(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(f"<!-- generated:t -->\n{_table()}\n<!-- /generated:t -->\n")
    assert docblocks.stale_blocks({"t": _table(p="2.0e-23", rank="3.43")}, tmp_path) == []
    assert docblocks.stale_blocks({"t": _table(mean="94.20")}, tmp_path) == ["README.md:t"]


def test_isomorphism_block_matches_the_code():
    blocks = regenerate_docs.isomorphism_blocks(regenerate_docs.Settings())
    assert "4,930" in blocks["nb201-isomorphism"] and "6,466" in blocks["nb201-isomorphism"]
    assert docblocks.stale_blocks(blocks) == []


@pytest.mark.slow
@pytest.mark.realdata
def test_cheap_doc_numbers_match_what_the_code_produces(tmp_path: Path):
    data = shared_file("nb201/nb201_tables.csv").parents[1]
    settings = regenerate_docs.Settings(data=data, out=tmp_path / "results", images=tmp_path / "images",
                                        figures=tmp_path / "figures", jobs=2,
                                        cheap=True)
    blocks = regenerate_docs.generate(settings)
    assert {"nb201-cifar10-readme", "nb201-cifar10-search", "predictors-readme", "predictors-full",
            "default-run"} <= set(blocks)
    stale = docblocks.block_differences(blocks)  # p factor 2, mean rank +-0.05, decimals +-1 last place, ints exact
    assert not stale, f"docs disagree with the code at HEAD (run experiments/regenerate_docs.py): {stale}"


def test_tpe_generator_without_optuna_fails_naming_the_install_command(monkeypatch, tmp_path: Path, capsys):
    from nasbench_lab.search import optuna_search

    def missing():
        raise optuna_search.OptunaMissingError("No module named 'optuna'")

    monkeypatch.setattr(optuna_search, "require_optuna", missing)
    settings = regenerate_docs.Settings(out=tmp_path / "results", images=tmp_path / "images")
    with pytest.raises(optuna_search.OptunaMissingError, match=r"'tpe' generator.*nasbench_lab\[optuna\]"):
        regenerate_docs.tpe_blocks(settings)
    assert not (tmp_path / "results").exists(), "nothing may run before the missing extra is reported"
    data = shared_file("nb201/nb201_tables.csv").parents[1]
    assert regenerate_docs.main(["--only", "tpe", "--check", "--data", str(data), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error: the 'tpe' generator" in err and "pip install 'nasbench_lab[optuna]'" in err
