"""Protocol buffer wire format, the few pieces flowexec encodes by hand (tensor bundle entries,
the object-graph proto of object-based checkpoints), so that reading and writing those files
never needs the protobuf package.

Encoding follows proto3: a zero varint field is omitted (`field_varint`); a sub-message or a
string field is always written when given (`field_bytes`). Decoding (`parse_message`) returns
each field's values in order; it raises `sstable.TableError` on truncated or malformed input.
"""

import struct

from flowexec.graph_io import sstable

__all__ = ["field_bytes", "field_varint", "parse_message", "varint"]


def varint(n):
    """`n` as a base-128 varint (negative numbers as their 64-bit two's complement)."""
    return sstable._varint(n & ((1 << 64) - 1))


def field_varint(field, n):
    """A varint field, or nothing for 0 (proto3's default)."""
    return varint(field << 3) + varint(n) if n else b""


def field_bytes(field, data):
    """A length-delimited field (bytes, string or an encoded sub-message)."""
    return varint((field << 3) | 2) + varint(len(data)) + data


def parse_message(buf):
    """{field: [values]} of a message (varints as int, length-delimited as bytes, fixed32 and
    fixed64 as int)."""
    out = {}
    pos, n = 0, len(buf)
    while pos < n:
        tag, pos = sstable._read_varint(buf, pos, n)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = sstable._read_varint(buf, pos, n)
        elif wire == 2:
            size, pos = sstable._read_varint(buf, pos, n)
            if pos + size > n:
                raise sstable.TableError("truncated field")
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            if pos + 4 > n:
                raise sstable.TableError("truncated field")
            (value,), pos = struct.unpack_from("<I", buf, pos), pos + 4
        elif wire == 1:
            if pos + 8 > n:
                raise sstable.TableError("truncated field")
            (value,), pos = struct.unpack_from("<Q", buf, pos), pos + 8
        else:
            raise sstable.TableError(f"bad wire type {wire}")
        out.setdefault(field, []).append(value)
    return out
