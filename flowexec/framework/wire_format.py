"""Protobuf's wire format, by hand: varints, field keys, length-delimited fields, and a reader
of a message's fields. For the few protos flowexec writes byte for byte without generated
classes (tf.train.Example, serialized SparseTensors' TensorProtos).

A malformed message raises DataLossError ("Error parsing message: ..."), as TF's parsers.
"""

from flowexec.framework.errors import DataLossError

__all__ = ["fields", "key", "length_delimited", "read_varint", "varint"]


def varint(n):
    """The varint encoding of `n` (negative ints as their 64-bit two's complement)."""
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf, pos):
    """(value, position after it) of the varint at `buf[pos]`."""
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise DataLossError(None, None, "Error parsing message: truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise DataLossError(None, None, "Error parsing message: varint too long")


def key(number, wire_type):
    """A field's key."""
    return varint((number << 3) | wire_type)


def length_delimited(number, payload):
    """A length-delimited field (bytes, strings, messages, packed values)."""
    return key(number, 2) + varint(len(payload)) + payload


def fields(buf):
    """Yields (field number, wire type, value) of a serialized message."""
    buf = memoryview(bytes(buf))
    pos = 0
    while pos < len(buf):
        k, pos = read_varint(buf, pos)
        number, wire = k >> 3, k & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value, pos = bytes(buf[pos:pos + 8]), pos + 8
        elif wire == 2:
            n, pos = read_varint(buf, pos)
            value, pos = bytes(buf[pos:pos + n]), pos + n
        elif wire == 5:
            value, pos = bytes(buf[pos:pos + 4]), pos + 4
        else:
            raise DataLossError(None, None, f"Error parsing message: wire type {wire}")
        if pos > len(buf):
            raise DataLossError(None, None, "Error parsing message: truncated field")
        yield number, wire, value
