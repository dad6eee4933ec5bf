"""TFRecord files without TensorFlow: framing, masked CRC32C checks, reading and writing.

Each record is ``uint64 length | uint32 masked_crc(length) | data | uint32 masked_crc(data)``,
little-endian, where ``masked_crc(x) = rotr15(crc32c(x)) + 0xa282ead8`` (mod 2^32).
CRC32C (Castagnoli) runs over many records at once: records are left-padded with zero
bytes to one length (zeros from a zero register leave it at zero), processed byte column
by byte column with a lookup table, and the initial-register term, which depends only on
a record's length, is added afterwards.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import overload

import numpy as np

from nasbench_lab.errors import DataFileError

_POLY = 0x82F63B78  # CRC-32C, reflected
_MASK_DELTA = 0xA282EAD8
_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")


def _crc_table() -> np.ndarray:
    table = np.zeros(256, dtype=np.uint32)
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table[byte] = crc
    return table


_TABLE = _crc_table()
_TABLE_LIST = [int(x) for x in _TABLE]


def crc32c(data: bytes) -> int:
    """CRC-32C of one byte string (pure Python; for short inputs)."""
    crc = 0xFFFFFFFF
    table = _TABLE_LIST
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@overload
def mask(crc: int) -> int: ...
@overload
def mask(crc: np.ndarray) -> np.ndarray: ...
def mask(crc: int | np.ndarray) -> int | np.ndarray:
    """TFRecord's masked CRC: rotate right by 15 bits, add a constant."""
    if isinstance(crc, np.ndarray):
        crc = crc.astype(np.uint32)
        return ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_MASK_DELTA)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


class _InitTerm:
    """Register contribution of the initial 0xFFFFFFFF after L message bytes, for every L up to a bound."""

    def __init__(self) -> None:
        self._values = [0xFFFFFFFF]

    def upto(self, length: int) -> np.ndarray:
        values, table = self._values, _TABLE_LIST
        crc = values[-1]
        while len(values) <= length:
            crc = table[crc & 0xFF] ^ (crc >> 8)
            values.append(crc)
        return np.asarray(values[: length + 1], dtype=np.uint32)


def crc32c_many(chunks: list[bytes], _init: _InitTerm | None = None) -> np.ndarray:
    """CRC-32C of many byte strings at once (uint32 array)."""
    if not chunks:
        return np.zeros(0, dtype=np.uint32)
    init = _init or _InitTerm()
    lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    out = np.empty(len(chunks), dtype=np.uint32)
    # bucket by length so that left padding stays small
    order = np.argsort(lengths, kind="stable")
    start = 0
    while start < len(order):
        lo = lengths[order[start]]
        stop = int(np.searchsorted(lengths[order], max(2 * lo, lo + 64), side="right"))
        rows = order[start:stop]
        width = int(lengths[rows].max())
        buf = np.zeros((len(rows), width), dtype=np.uint8)
        for r, i in enumerate(rows.tolist()):
            data = chunks[i]
            if data:
                buf[r, width - len(data):] = np.frombuffer(data, dtype=np.uint8)
        reg = np.zeros(len(rows), dtype=np.uint32)
        eight = np.uint32(8)
        for col in buf.T:
            reg = _TABLE[(reg ^ col) & 0xFF] ^ (reg >> eight)
        out[rows] = (reg ^ init.upto(width)[lengths[rows]]) ^ np.uint32(0xFFFFFFFF)
        start = stop
    return out


def read_tfrecord(path: str | os.PathLike, verify: bool = True, batch: int = 50_000) -> Iterator[bytes]:
    """Yields the payload of every record, streaming; DataFileError on truncation or (if ``verify``) a CRC mismatch.

    CRCs are checked a batch of records at a time, before any record of the batch is yielded.
    """
    path = Path(path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise DataFileError(f"file not found: {path}") from None
    init = _InitTerm()
    with handle:
        size = os.fstat(handle.fileno()).st_size
        offset = 0
        pending: list[tuple[int, bytes, int, bytes, int]] = []
        while True:
            header = handle.read(_HEADER.size)
            if not header:
                break
            if len(header) < _HEADER.size:
                raise DataFileError(f"{path}: truncated record header at byte {offset} "
                                    f"({len(header)} bytes left, need 12)")
            length, len_crc = _HEADER.unpack(header)
            if offset + _HEADER.size + length + _FOOTER.size > size:
                if verify and mask(crc32c(header[:8])) != len_crc:
                    raise DataFileError(f"{path}: corrupted record at byte {offset}: length CRC32C mismatch")
                body = b""
            else:
                body = handle.read(length + _FOOTER.size)
            if len(body) < length + _FOOTER.size:
                left = max(size - offset - _HEADER.size - _FOOTER.size, 0)
                raise DataFileError(f"{path}: truncated record at byte {offset}: header says {length} bytes but "
                                    f"only {left} remain (incomplete download?)")
            (data_crc,) = _FOOTER.unpack_from(body, length)
            pending.append((offset, header[:8], len_crc, body[:length], data_crc))
            offset += _HEADER.size + length + _FOOTER.size
            if len(pending) >= batch:
                yield from _checked(path, pending, verify, init)
                pending = []
        yield from _checked(path, pending, verify, init)


def _checked(path: Path, frames: list[tuple[int, bytes, int, bytes, int]], verify: bool,
             init: _InitTerm) -> Iterator[bytes]:
    if verify and frames:
        len_ok = mask(crc32c_many([f[1] for f in frames], init)) == np.array([f[2] for f in frames], dtype=np.uint32)
        data_ok = mask(crc32c_many([f[3] for f in frames], init)) == np.array([f[4] for f in frames], dtype=np.uint32)
        if not len_ok.all():
            bad = frames[int(np.flatnonzero(~len_ok)[0])][0]
            raise DataFileError(f"{path}: corrupted record at byte {bad}: length CRC32C mismatch")
        if not data_ok.all():
            bad = frames[int(np.flatnonzero(~data_ok)[0])][0]
            raise DataFileError(f"{path}: corrupted record at byte {bad}: data CRC32C mismatch")
    for frame in frames:
        yield frame[3]


def write_tfrecord(path: str | os.PathLike, records: Iterable[bytes]) -> Path:
    """Writes records in TFRecord framing (used to build test fixtures and benchmarks)."""
    path = Path(path)
    with open(path, "wb") as f:
        for rec in records:
            header = struct.pack("<Q", len(rec))
            f.write(header)
            f.write(_FOOTER.pack(mask(crc32c(header))))
            f.write(rec)
            f.write(_FOOTER.pack(mask(crc32c(rec))))
    return path


def looks_like_tfrecord(path: str | os.PathLike) -> bool:
    """Cheap sniff: the first record's length and its masked CRC agree."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    if len(head) < 12:
        return False
    length, len_crc = _HEADER.unpack(head)
    return mask(crc32c(head[:8])) == len_crc and length < 1 << 32
