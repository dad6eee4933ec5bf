"""Generated blocks of README.md and docs/*.md: ``<!-- generated:NAME -->`` ... ``<!-- /generated:NAME -->``.

A generator script computes each block's text from the code at HEAD; :func:`write_blocks` puts it
between the markers (every file holding them), :func:`stale_blocks` says which blocks in the docs
differ from freshly generated text (the slow doc test). A block name may appear in several files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


def stale_blocks(blocks: Mapping[str, str], repo: Path = REPO) -> list[str]:
    """``file:name`` of each block whose text in the docs differs from ``blocks`` (or that no file holds)."""
    present = read_blocks(repo)
    out = [f"(no file):{name}" for name in blocks if name not in present]
    for name, body in blocks.items():
        out += [f"{path.relative_to(repo)}:{name}" for path, text in present.get(name, [])
                if text != _normal(body)]
    return out
