"""A small protocol-buffers wire-format decoder/encoder (no ``protobuf`` dependency).

Enough for NAS-Bench-101's ``ModelMetrics`` message: varints, 64-bit fields (doubles)
and length-delimited fields (strings, sub-messages), and skipping of 32-bit fields.
"""

from __future__ import annotations

import struct

from nasbench_lab.errors import DataFileError

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
_DOUBLE = struct.Struct("<d")


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    """(value, new position) of the varint at ``pos``."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DataFileError("protobuf: truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DataFileError("protobuf: varint longer than 10 bytes")


def fields(buf: bytes) -> list[tuple[int, int, object]]:
    """(field number, wire type, raw value) of every field in order; values are int, float-bytes or bytes."""
    out: list[tuple[int, int, object]] = []
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == VARINT:
            value, pos = read_varint(buf, pos)
        elif wire == FIXED64:
            if pos + 8 > end:
                raise DataFileError(f"protobuf: truncated 64-bit field {number}")
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == LENGTH:
            size, pos = read_varint(buf, pos)
            if pos + size > end:
                raise DataFileError(f"protobuf: field {number} claims {size} bytes, only {end - pos} left")
            value, pos = buf[pos:pos + size], pos + size
        elif wire == FIXED32:
            if pos + 4 > end:
                raise DataFileError(f"protobuf: truncated 32-bit field {number}")
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise DataFileError(f"protobuf: unsupported wire type {wire} (field {number})")
        out.append((number, wire, value))
    return out


def skip(buf: bytes, pos: int, wire: int, number: int = 0) -> int:
    """Position after the value of a field of wire type ``wire`` starting at ``pos``."""
    if wire == VARINT:
        return read_varint(buf, pos)[1]
    if wire == FIXED64:
        end = pos + 8
    elif wire == FIXED32:
        end = pos + 4
    elif wire == LENGTH:
        size, pos = read_varint(buf, pos)
        end = pos + size
    else:
        raise DataFileError(f"protobuf: unsupported wire type {wire} (field {number})")
    if end > len(buf):
        raise DataFileError(f"protobuf: truncated field {number}")
    return end


def as_signed(value: int, bits: int = 64) -> int:
    """Two's-complement reading of a varint (int32/int64 fields)."""
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


# ------------------------------------------------------------------------------- encoding
def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_varint_field(number: int, value: int) -> bytes:
    return _varint(number << 3 | VARINT) + _varint(value)


def encode_double_field(number: int, value: float) -> bytes:
    return _varint(number << 3 | FIXED64) + _DOUBLE.pack(value)


def encode_bytes_field(number: int, value: bytes) -> bytes:
    return _varint(number << 3 | LENGTH) + _varint(len(value)) + value
