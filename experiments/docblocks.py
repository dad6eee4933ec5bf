"""Generated blocks of README.md and docs/*.md: ``<!-- generated:NAME -->`` ... ``<!-- /generated:NAME -->``.

A generator script computes each block's text from the code at HEAD; :func:`write_blocks` puts it
between the markers (every file holding them), :func:`stale_blocks` says which blocks in the docs
differ from freshly generated text (the slow doc test and ``regenerate_docs.py --check``). A block
name may appear in several files.

The check compares within a stated tolerance (:func:`compare_blocks`), so that floating point that
differs across BLAS builds and CPUs (the MLP of bananas moves a p-value 1.9e-23 -> 2.0e-23 and a
mean rank by 0.01-0.02) passes while a real change fails. Both texts are split into numbers and the
text between them; the text must be identical and the numbers as many. Each number is compared by
one rule, chosen from its markdown column header, the words just before it, or its format:

- p-value (a column header with the word ``p`` such as "p vs rs", "p (Holm)", "p_vs_rs"; a number
  after ``p =`` / ``p <`` / ``p``; one in parentheses right after a p-value; any number in scientific
  notation): equal within a factor of 2 (:data:`P_FACTOR`);
- mean rank (a header or preceding words with ``rank``): within +-0.05 (:data:`RANK_TOLERANCE`);
- an integer (counts, seeds, budgets, queries): exactly equal;
- any other decimal (means, stds, medians, taus, correlations): printed with the same number of
  decimals and within +-1 in the last printed place (94.12 vs 94.13 passes, vs 94.15 fails).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def doc_files(repo: Path = REPO) -> list[Path]:
    """README.md and docs/*.md: every file that may hold generated blocks."""
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- generated:{re.escape(name)} -->\n)(.*?)(<!-- /generated:{re.escape(name)} -->)",
                      re.DOTALL)


def block_names(text: str) -> list[str]:
    """Names of the generated blocks in ``text``, in order."""
    return re.findall(r"<!-- generated:([\w.-]+) -->", text)


def read_blocks(repo: Path = REPO) -> dict[str, list[tuple[Path, str]]]:
    """Every generated block of the docs: name -> [(file, current text)]."""
    out: dict[str, list[tuple[Path, str]]] = {}
    for path in doc_files(repo):
        text = path.read_text()
        for name in block_names(text):
            match = _pattern(name).search(text)
            if match is None:
                raise ValueError(f"{path}: block {name!r} has no closing <!-- /generated:{name} --> marker")
            out.setdefault(name, []).append((path, match.group(2)))
    return out


def _normal(body: str) -> str:
    return body.strip("\n") + "\n"


def write_script_blocks(blocks: Mapping[str, str], path: Path) -> list[str]:
    """Replaces the text between ``<!-- script:NAME -->`` and ``<!-- /script:NAME -->`` in ``path``.

    For results a slow script writes itself (too slow for regenerate_docs.py, so neither regenerated
    nor checked by the doc test; the doc says which script to rerun). Returns the names written; a
    name without markers in ``path`` is an error.
    """
    text = path.read_text()
    for name, body in blocks.items():
        pattern = re.compile(rf"(<!-- script:{re.escape(name)} -->\n)(.*?)(<!-- /script:{re.escape(name)} -->)",
                             re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"{path} has no <!-- script:{name} --> ... <!-- /script:{name} --> markers")
        new_body = _normal(body)
        text = pattern.sub(lambda m, b=new_body: m.group(1) + b + m.group(3), text)
    path.write_text(text)
    return list(blocks)


def write_blocks(blocks: Mapping[str, str], repo: Path = REPO) -> list[str]:
    """Replaces each named block's text in every file that holds it; returns ``file:name`` of those changed.

    A generated block that no file holds is an error (a renamed marker would otherwise go stale silently).
    """
    present = read_blocks(repo)
    missing = sorted(set(blocks) - set(present))
    if missing:
        raise ValueError(f"no doc file holds the generated block(s) {missing}; add the markers first")
    changed = []
    for path in doc_files(repo):
        text = new = path.read_text()
        for name, body in blocks.items():
            text_of_block = _normal(body)
            new = _pattern(name).sub(lambda m, b=text_of_block: m.group(1) + b + m.group(3), new)
        if new != text:
            path.write_text(new)
            changed += [f"{path.relative_to(repo)}:{n}" for n in blocks if n in block_names(text)]
    return changed


def block_differences(blocks: Mapping[str, str], repo: Path = REPO) -> dict[str, list[str]]:
    """``file:name`` -> the differences (:func:`compare_blocks`) of each block out of tolerance, or not held."""
    present = read_blocks(repo)
    out: dict[str, list[str]] = {f"(no file):{name}": ["no doc file holds this block"]
                                 for name in blocks if name not in present}
    for name, body in blocks.items():
        for path, text in present.get(name, []):
            diffs = compare_blocks(_normal(body), text)
            if diffs:
                out[f"{path.relative_to(repo)}:{name}"] = diffs
    return out


def stale_blocks(blocks: Mapping[str, str], repo: Path = REPO) -> list[str]:
    """``file:name`` of each block whose text in the docs differs from ``blocks`` beyond the tolerance
    of :func:`compare_blocks` (or that no file holds)."""
    return list(block_differences(blocks, repo))


P_FACTOR = 2.0
"""Two p-values agree when the larger is at most this factor times the smaller."""
RANK_TOLERANCE = 0.05
"""Two mean ranks agree within this absolute difference."""

_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w]|\.\d)")
_P_HEADER = re.compile(r"(?:^|[^A-Za-z0-9])p(?:[^A-Za-z0-9]|$)")
_P_BEFORE = re.compile(r"(?:^|[^A-Za-z0-9])p\s*[=<>]?\s*$")
_RANK_BEFORE = re.compile(r"rank:?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """One number of a block: its text as printed and the rule it is compared by."""

    text: str
    rule: str  # "p", "rank", "int" or "decimal"

    @property
    def value(self) -> float:
        return float(self.text.replace(",", ""))


def _rule(text: str, header: str, before: str, previous: Number | None) -> str:
    """The comparison rule of a number from its column header, the text before it and its format."""
    if _P_HEADER.search(header) or _P_BEFORE.search(before) or "e" in text.lower():
        return "p"
    if previous is not None and previous.rule == "p" and before == " (":
        return "p"  # a Holm-adjusted p-value printed after the raw one: "p = 5.4e-05 (0.00032)"
    if "rank" in header.lower() or _RANK_BEFORE.search(before):
        return "rank"
    return "decimal" if "." in text else "int"


def _split_cell(text: str, header: str, skeleton: list[str], numbers: list[Number]) -> None:
    """Appends the text pieces and numbers of one piece of text (a table cell or a prose line)."""
    pos = 0
    previous: Number | None = None
    for match in _NUMBER.finditer(text):
        before = text[pos:match.start()]
        number = Number(match.group(), _rule(match.group(), header, before, previous))
        skeleton.append(before)
        numbers.append(number)
        previous, pos = number, match.end()
    skeleton.append(text[pos:])


def _is_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def tokenize(text: str) -> tuple[list[str], list[Number]]:
    """The text between the numbers of ``text`` and its numbers with their comparison rules.

    Markdown table cells take their column header as context; the header row is the first row
    of each table (the row above its ``|---|`` line).
    """
    skeleton: list[str] = []
    numbers: list[Number] = []
    headers: list[str] = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not _is_row(line):
            headers = []
            _split_cell(line, "", skeleton, numbers)
        else:
            cells = line.split("|")
            if not headers and i + 1 < len(lines) and re.fullmatch(r"\s*\|[\s|:-]+\|?\s*", lines[i + 1]):
                headers = cells
            for j, cell in enumerate(cells):
                _split_cell(cell, headers[j] if j < len(headers) and headers is not cells else "", skeleton,
                            numbers)
                skeleton.append("|")
        skeleton.append("\n")
    return skeleton, numbers


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def numbers_agree(expected: Number, actual: Number) -> bool:
    """Whether ``actual`` equals ``expected`` within the tolerance of ``expected``'s rule."""
    if expected.text == actual.text:
        return True
    a, b = expected.value, actual.value
    if expected.rule == "p":
        if a <= 0 or b <= 0 or not (math.isfinite(a) and math.isfinite(b)):
            return a == b
        return max(a, b) <= P_FACTOR * min(a, b)
    if expected.rule == "rank":
        return abs(a - b) <= RANK_TOLERANCE + 1e-9
    if expected.rule == "decimal":
        places = _decimals(expected.text)
        return places == _decimals(actual.text) and abs(a - b) <= 10.0 ** -places * (1 + 1e-6)
    return False  # integers: exactly equal (their text differs)


def compare_blocks(expected: str, actual: str) -> list[str]:
    """Differences between two block texts beyond the stated tolerances (module docstring); empty when they agree.

    The text between numbers must be identical and the numbers as many; each number pair is
    compared by the rule of ``expected``'s number (:func:`numbers_agree`).
    """
    exp_text, exp_numbers = tokenize(expected)
    act_text, act_numbers = tokenize(actual)
    if exp_text != act_text or len(exp_numbers) != len(act_numbers):
        first = next((i for i, (e, a) in enumerate(zip(exp_text, act_text, strict=False)) if e != a),
                     min(len(exp_text), len(act_text)))
        near = exp_text[first] if first < len(exp_text) else "(end)"
        got = act_text[first] if first < len(act_text) else "(end)"
        return [f"text differs (or a number appears or disappears): expected {near!r}, found {got!r}"]
    return [f"{e.text} expected, {a.text} found ({e.rule} rule)" for e, a in zip(exp_numbers, act_numbers, strict=True)
            if not numbers_agree(e, a)]
