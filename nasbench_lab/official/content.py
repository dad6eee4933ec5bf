"""Checks that a downloaded official file is what its name says, by reading a little of its content.

Most official files have no published checksum, so a complete transfer of the wrong bytes (a mirror's
error page, random data under the right name) would otherwise be accepted. Each file format (keyed by the
manifest entry's ``format`` or its file name's suffix) has one checker in :data:`CONTENT_CHECKERS`; it reads
as little as it can (a tar's member list, a pickle's first megabyte, a tfrecord's first records) and
returns a few words on what it found, or raises :class:`ContentMismatchError` saying what it expected and
what it found instead. Formats without a checker are accepted as they are (and said so).
"""

from __future__ import annotations

import bz2
import io
import json
import pickle
import pickletools
import re
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from nasbench_lab.errors import ChecksumMismatchError, DataFileError, NasbenchLabError, UnsafePickleError
from nasbench_lab.loaders.help_latency import INDEX_FILE, read_help_file, read_help_index
from nasbench_lab.loaders.nats import META_FILE
from nasbench_lab.loaders.safe_pickle import DEFAULT_ALLOWED, RestrictedUnpickler
from nasbench_lab.loaders.suite_zero import read_suite_zero
from nasbench_lab.loaders.tfrecord import read_tfrecord
from nasbench_lab.official.manifest import OfficialFile
from nasbench_lab.registry import Registry
from nasbench_lab.spaces.nb201 import NB201Space
from nasbench_lab.tables.hdf5 import read_table_header

#: how many decompressed bytes of a pickle are read (the NATS meta list and a NASLib pickle's first records)
PICKLE_PREFIX = 1 << 20
#: how many tfrecord records are parsed
TFRECORD_RECORDS = 3
#: file name suffix -> format, longest first (a manifest entry's "format" field overrides it)
SUFFIX_FORMATS = ((".pickle.pbz2", "pbz2"), (".tar.gz", "tar"), (".tgz", "tar"), (".tar", "tar"), (".zip", "zip"),
                  (".tfrecord", "tfrecord"), (".hdf5", "hdf5"), (".h5", "hdf5"), (".pth", "torch"),
                  (".pt", "torch-zip"), (".json", "json"), (".pickle", "pickle"), (".pkl", "pickle"))
_NATS_CELL = re.compile(r"(?:^|/)\d+\.pickle\.pbz2$")
_NATS_SINGLE = re.compile(r"(?:^|/)NATS-tss-v\d+_\d+-[0-9a-f]+\.pickle\.pbz2$")
#: what torch.save's legacy (non-zip) format writes first: protocol 2, then the long 0x1950a86a20f9469cfc6c
_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


class ContentMismatchError(ChecksumMismatchError):
    """A file's content is not what its name and manifest entry say (e.g. random bytes under a tar's name)."""


#: format -> checks the file at path (the entry says which file it should be); returns what it found
CONTENT_CHECKERS: Registry[Callable[[Path, OfficialFile], str]] = Registry("file format")


def file_format(entry: OfficialFile) -> str | None:
    """The entry's format: its manifest ``format`` field, else the one its name's suffix gives (None: unknown)."""
    if entry.format:
        return entry.format
    return next((fmt for suffix, fmt in SUFFIX_FORMATS if entry.name.endswith(suffix)), None)


def check_content(path: Path, entry: OfficialFile) -> str:
    """What ``path`` holds, checked against ``entry``'s format; ContentMismatchError when it is something else."""
    fmt = file_format(entry)
    if fmt is None:
        return "content not checked (no checker for this kind of file)"
    checker = CONTENT_CHECKERS.get(fmt)
    try:
        return checker(path, entry)
    except ContentMismatchError:
        raise
    except (NasbenchLabError, ValueError, TypeError, KeyError, AttributeError, IndexError, OSError, EOFError) as exc:
        raise _refuse(entry, f"a readable {fmt} file", f"{type(exc).__name__}: {exc}") from None


def _refuse(entry: OfficialFile, expected: str, found: str) -> ContentMismatchError:
    """The one-line refusal: the file, what was expected, what was found (long library messages cut short)."""
    found = " ".join(found.split())
    return ContentMismatchError(f"{entry.name} is not the official file: expected {expected}, found "
                                f"{found if len(found) <= 200 else found[:197] + '...'}")


# ------------------------------------------------------------------------------------------ archives
def _nats_members(names: list[str]) -> str | None:
    """None when a NATS-Bench topology tar's members are there, else what is missing."""
    if any(_NATS_SINGLE.search(n) for n in names):
        return None
    has_meta = any(n == META_FILE or n.endswith("/" + META_FILE) for n in names)
    cells = sum(1 for n in names if _NATS_CELL.search(n))
    if has_meta and cells:
        return None
    return "no NATS-tss-*.pickle.pbz2" + ("" if has_meta else f" and no {META_FILE}") + \
        ("" if cells else " and no <index>.pickle.pbz2 cell files")


#: loader -> member-list check of its archives (None: the expected members are there, else what is missing)
_TAR_LAYOUTS: dict[str, Callable[[list[str]], str | None]] = {"nats-tss": _nats_members}


@CONTENT_CHECKERS.register("tar")
def _check_tar(path: Path, entry: OfficialFile) -> str:
    expected = "a tar archive" + (f" of the {entry.loader} layout" if entry.loader in _TAR_LAYOUTS else "")
    try:
        with tarfile.open(path) as tf:
            names = tf.getnames()  # headers only: nothing is extracted
    except (tarfile.TarError, EOFError, OSError) as exc:
        why = str(exc).splitlines()[-1].strip(" -") if str(exc) else type(exc).__name__
        raise _refuse(entry, expected, f"no readable tar ({why})") from None
    if not names:
        raise _refuse(entry, expected, "an empty archive")
    missing = _TAR_LAYOUTS[entry.loader](names) if entry.loader in _TAR_LAYOUTS else None
    if missing is not None:
        raise _refuse(entry, f"{expected} (meta plus per-cell files, or the single pickle)",
                      f"{len(names)} members with {missing}")
    return f"tar archive listing {len(names)} expected members"


@CONTENT_CHECKERS.register("zip")
def _check_zip(path: Path, entry: OfficialFile) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise _refuse(entry, "a zip archive", f"no readable zip ({type(exc).__name__}: {exc})") from None
    if not names:
        raise _refuse(entry, "a zip archive", "an empty archive")
    if entry.loader == "nb301-official" and not any(re.search(r"(?:^|/)xgb_v[^/]*/", n) for n in names):
        raise _refuse(entry, "NB301's surrogate models (an xgb_v<version>/ folder)", f"{len(names)} other members")
    return f"zip archive listing {len(names)} members"


# ------------------------------------------------------------------------------------------ pickles
def _pickle_prefix(entry: OfficialFile, data: bytes, complete: bool) -> list[str]:
    """Reads ``data`` (the whole pickle when ``complete``, else its first bytes) with the restricted unpickler;
    returns its first strings (dict keys, list items) for a layout check."""
    if not data.startswith(b"\x80"):
        raise _refuse(entry, "a pickle (protocol 2 or later)", f"the bytes {data[:8]!r}")
    try:
        RestrictedUnpickler(io.BytesIO(data), DEFAULT_ALLOWED, source=entry.name).load()
    except UnsafePickleError as exc:
        raise _refuse(entry, "a pickle of plain containers and numbers", str(exc).split("; allowed:")[0]) from None
    except Exception as exc:  # corrupt bytes raise almost anything
        ran_out = isinstance(exc, EOFError) or (isinstance(exc, pickle.UnpicklingError)
                                                and any(w in str(exc) for w in ("truncated", "exhausted")))
        if complete or not ran_out:
            raise _refuse(entry, "a readable pickle", f"corrupt data ({type(exc).__name__}: {exc})") from None
    strings: list[str] = []
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            if "UNICODE" in op.name and isinstance(arg, str):
                strings.append(arg)
                if len(strings) > 3:
                    break
    except ValueError:  # the prefix ends inside an opcode
        pass
    return strings


def _nats_layout(entry: OfficialFile, strings: list[str]) -> str:
    space = NB201Space()
    official = [space.to_string(a) for a in space.from_index(list(range(3)))]
    head = strings[1:4]
    if not strings or strings[0] != "meta_archs" or not head or head != official[:len(head)]:
        raise _refuse(entry, "a NATS-Bench record starting with 'meta_archs' and the official NB201 cells "
                      f"({official[0]!r}, ...)", f"the strings {[s[:60] for s in strings[:3]]}")
    return "NATS-Bench pickle: meta_archs lists the official NB201 cells"


def _top_dict(entry: OfficialFile, data: bytes) -> str:
    ops = [op.name for op, _, _ in _first_ops(data, 3)]
    if "EMPTY_DICT" not in ops:
        raise _refuse(entry, "a pickled dict (the loader's layout)", f"a pickle starting with {ops}")
    return "pickled dict of plain records"


def _first_ops(data: bytes, n: int) -> list:
    out: list = []
    try:
        for item in pickletools.genops(io.BytesIO(data)):
            if item[0].name not in ("PROTO", "FRAME"):
                out.append(item)
            if len(out) >= n:
                break
    except ValueError:
        pass
    return out


#: loader -> checks the first strings / bytes of its pickles; returns what it found
_PICKLE_LAYOUTS: dict[str, Callable[[OfficialFile, list[str], bytes], str]] = {
    "nats-tss": lambda entry, strings, data: _nats_layout(entry, strings),
}


def _check_pickle_bytes(entry: OfficialFile, data: bytes, complete: bool) -> str:
    strings = _pickle_prefix(entry, data, complete)
    layout = _PICKLE_LAYOUTS.get(entry.loader or "")
    return layout(entry, strings, data) if layout else _top_dict(entry, data)


@CONTENT_CHECKERS.register("pbz2")
def _check_pbz2(path: Path, entry: OfficialFile) -> str:
    decompressor = bz2.BZ2Decompressor()
    out = bytearray()
    try:
        with open(path, "rb") as handle:
            while len(out) < PICKLE_PREFIX and not decompressor.eof:
                chunk = handle.read(1 << 16)
                if not chunk:
                    break
                out += decompressor.decompress(chunk, PICKLE_PREFIX - len(out))
                while len(out) < PICKLE_PREFIX and not decompressor.needs_input and not decompressor.eof:
                    out += decompressor.decompress(b"", PICKLE_PREFIX - len(out))
    except (OSError, EOFError, ValueError) as exc:
        raise _refuse(entry, "bz2-compressed data", f"something else ({exc})") from None
    if not out:
        raise _refuse(entry, "bz2-compressed data", "an empty or truncated bz2 stream")
    return "bz2 + " + _check_pickle_bytes(entry, bytes(out), complete=decompressor.eof)


@CONTENT_CHECKERS.register("pickle")
def _check_pickle(path: Path, entry: OfficialFile) -> str:
    with open(path, "rb") as handle:
        data = handle.read(PICKLE_PREFIX + 1)
    return _check_pickle_bytes(entry, data[:PICKLE_PREFIX], complete=len(data) <= PICKLE_PREFIX)


@CONTENT_CHECKERS.register("torch")
def _check_torch(path: Path, entry: OfficialFile) -> str:
    with open(path, "rb") as handle:
        head = handle.read(len(_TORCH_LEGACY_MAGIC))
    if head == _TORCH_LEGACY_MAGIC:
        return "torch.save file (legacy format)"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                if any(n.endswith("data.pkl") for n in zf.namelist()):
                    return "torch.save file (zip format)"
        except (zipfile.BadZipFile, OSError, EOFError):
            pass
    raise _refuse(entry, "a torch.save file (legacy magic number or a zip with data.pkl)", f"the bytes {head[:8]!r}")


# ------------------------------------------------------------------------------------------ other formats
@CONTENT_CHECKERS.register("torch-zip")
def _check_torch_zip(path: Path, entry: OfficialFile) -> str:
    if entry.loader != "nb201-folder":
        return _check_torch(path, entry)
    index = entry.name == INDEX_FILE
    try:
        read_help_index(path) if index else read_help_file(path)
    except DataFileError as exc:
        expected = "HELP's index (a dict of 15,625 cells)" if index else "HELP latencies (a list of 15,625 numbers)"
        raise _refuse(entry, expected, str(exc).replace(f"{path}: ", "")) from None
    return "HELP index of the 15,625 cells" if index else "HELP list of 15,625 latencies"


@CONTENT_CHECKERS.register("tfrecord")
def _check_tfrecord(path: Path, entry: OfficialFile) -> str:
    records = []
    try:
        for payload in read_tfrecord(path, batch=TFRECORD_RECORDS):
            records.append(payload)
            if len(records) >= TFRECORD_RECORDS:
                break
    except DataFileError as exc:
        raise _refuse(entry, "TFRecord framing with valid CRC32C", str(exc).replace(f"{path}: ", "")) from None
    if not records:
        raise _refuse(entry, "TFRecord records", "no record")
    if entry.loader == "nb101-tfrecord":
        try:
            first = json.loads(records[0])
            ok = isinstance(first, list) and len(first) == 5 and isinstance(first[0], str)
        except (ValueError, UnicodeDecodeError):
            ok = False
        if not ok:
            raise _refuse(entry, "NAS-Bench-101 records ([hash, epochs, adjacency, ops, metrics])",
                          f"the record {records[0][:40]!r}")
    return f"{len(records)} TFRecord records with valid CRCs"


@CONTENT_CHECKERS.register("hdf5")
def _check_hdf5(path: Path, entry: OfficialFile) -> str:
    try:
        header = read_table_header(path)
    except DataFileError as exc:
        raise _refuse(entry, "a nasbench_lab HDF5 table", str(exc).replace(str(path), "the file")) from None
    return f"HDF5 table of {header.benchmark} ({', '.join(header.datasets)})"


@CONTENT_CHECKERS.register("json")
def _check_json(path: Path, entry: OfficialFile) -> str:
    if entry.loader == "suite-zero":
        try:
            records = read_suite_zero(path)
        except NasbenchLabError as exc:
            raise _refuse(entry, "a NAS-Bench-Suite-Zero JSON (datasets -> architectures -> proxy scores)",
                          str(exc).replace(f"{path}: ", "").replace(str(path), "the file")) from None
        return f"Suite-Zero proxies for {', '.join(records)}"
    try:
        with open(path, encoding="utf-8") as handle:
            json.load(handle)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _refuse(entry, "a JSON document", f"no JSON ({exc})") from None
    return "JSON document"
