"""Strict reading of CSV files and their cells, shared by the flat and the table CSV readers.

One rule set, so that a damaged or hand-edited file never gives a wrong number whichever layout it
has: the file ends with a newline (a file cut inside its last field still parses), holds no NUL byte,
may start with a UTF-8 byte order mark, every row has the header's fields, and every number is a
plain decimal (no ``inf``/``nan``, no ``1_000``) that fits float32 and the metric's range.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from nasbench_lab.errors import DataFileError
from nasbench_lab.metrics import metric_info

#: a plain decimal number (no inf/nan, no digit separators); an empty field means "no value"
NUMBER_TEXT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(f"^{NUMBER_TEXT}$")
#: a whole column joined by newlines: fields that are numbers or empty
_COLUMN_OF_NUMBERS = re.compile(f"(?:{NUMBER_TEXT})?(?:\n(?:{NUMBER_TEXT})?)*")
_COUNT = re.compile(r"^\d{1,10}$")
#: a column of counts of at most 10 digits (<= COUNT_MAX is checked after)
_COLUMN_OF_COUNTS = re.compile(r"\d{1,10}(?:\n\d{1,10})*")
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: the largest fidelity or seed a table stores (int32, as files and HDF5 attributes of other tools hold them)
COUNT_MAX = 2**31 - 1


def read_csv(path: Path, header_only: bool = False) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a CSV file, refused with a one-line DataFileError unless it is whole and clean.

    The header's names are stripped; a UTF-8 byte order mark is skipped; an empty file gives ([], []).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise DataFileError(f"{path} is a folder, not a CSV file") from None
    if not data:
        return [], []
    if not data.endswith(b"\n"):
        raise DataFileError(f"{path}: does not end with a newline: the file is truncated (or was written "
                            "without a final newline; add one if the last row is complete)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path}: not a readable CSV file (not UTF-8 text: {exc})") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise DataFileError(f"{path}: line {text.count(chr(10), 0, nul) + 1} holds a NUL byte: the file is "
                            "corrupted (a CSV holds text only)")
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [c.strip() for c in next(reader, [])]
        rows = [] if header_only else list(reader)
    except csv.Error as exc:
        raise DataFileError(f"{path}: not a readable CSV file: {exc}") from None
    for n, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataFileError(f"{path}: line {n} has {len(row)} fields but the header has {len(header)} "
                                "(truncated or corrupted file?)")
    return header, rows


def read_header(path: Path) -> list[str]:
    """The first row of a CSV file, BOM skipped ([] for an empty or unreadable file): for cheap sniffing."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return [c.strip() for c in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def value_bounds(metric: str) -> tuple[float, float] | None:
    """Accuracies are percentages in [0, 100] (fractions in [0, 1] fit too); other metrics are unbounded."""
    return (0.0, 100.0) if metric_info(metric).unit == "%" else None


def parse_numbers(path: Path, texts: list[str], lines: np.ndarray, column: str,
                  bounds: tuple[float, float] | None) -> np.ndarray:
    """Fields as float64 (NaN where empty), refused naming line and column unless each is a plain,
    float32-sized number in ``bounds``. Checked a column at a time: one regex pass, one conversion."""
    texts = [t.strip() for t in texts]
    if not _COLUMN_OF_NUMBERS.fullmatch("\n".join(texts)):
        bad = next(n for n, t in enumerate(texts) if t and not _NUMBER.match(t))
        raise DataFileError(f"{path}: line {lines[bad]}, column {column!r}: {texts[bad]!r} is not a number "
                            "(accepted: plain decimal numbers; an empty field means no value)")
    values = np.array([t or "nan" for t in texts], dtype=np.float64) if texts else np.zeros(0)
    with np.errstate(invalid="ignore"):
        problems = [(np.abs(values) > FLOAT32_MAX, f"overflows float32 (accepted: |value| <= {FLOAT32_MAX:.9g})")]
        if bounds is not None:
            problems.append(((values < bounds[0]) | (values > bounds[1]),
                             f"is outside the accepted range [{bounds[0]:g}, {bounds[1]:g}]"))
    for mask, problem in problems:
        if mask.any():
            bad = int(np.flatnonzero(mask)[0])
            raise DataFileError(f"{path}: line {lines[bad]}, column {column!r}: {texts[bad]} {problem}")
    return values


def parse_counts(path: Path, texts: list[str], column: str) -> np.ndarray:
    """A column of whole numbers in [0, COUNT_MAX] (fidelities) as int64, refused naming the first bad line."""
    texts = [t.strip() for t in texts]
    if not texts:
        return np.zeros(0, dtype=np.int64)
    values = np.array(texts, dtype=np.int64) if _COLUMN_OF_COUNTS.fullmatch("\n".join(texts)) else None
    if values is None or (values > COUNT_MAX).any():
        bad = next(n for n, t in enumerate(texts) if not is_count(t))
        raise DataFileError(f"{path}: line {bad + 2}, column {column!r}: {texts[bad]!r} is not an integer in "
                            f"[0, {COUNT_MAX}]")
    return values


def is_count(text: str) -> bool:
    """Whether ``text`` is a plain whole number that parse_counts accepts."""
    return bool(_COUNT.match(text)) and int(text) <= COUNT_MAX
