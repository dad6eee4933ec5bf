"""Result numbers in README.md and docs/*.md come from experiments/regenerate_docs.py at HEAD.

The default suite checks the block mechanics and that every generated block in the docs has a
generator and is filled; the slow test re-runs the cheap generators (isomorphism counts, the NB201
comparison table, the NB201 CIFAR-10 predictor tables) and fails when the docs disagree with them.
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


def test_isomorphism_block_matches_the_code():
    blocks = regenerate_docs.isomorphism_blocks(regenerate_docs.Settings())
    assert "4,930" in blocks["nb201-isomorphism"] and "6,466" in blocks["nb201-isomorphism"]
    assert docblocks.stale_blocks(blocks) == []


@pytest.mark.slow
@pytest.mark.realdata
def test_cheap_doc_numbers_match_what_the_code_produces(tmp_path: Path):
    data = shared_file("nb201/nb201_tables.csv").parents[1]
    settings = regenerate_docs.Settings(data=data, out=tmp_path / "results", images=tmp_path / "images", jobs=2,
                                        cheap=True)
    blocks = regenerate_docs.generate(settings)
    assert {"nb201-cifar10-readme", "nb201-cifar10-search", "predictors-readme", "predictors-full"} <= set(blocks)
    stale = docblocks.stale_blocks(blocks)
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
