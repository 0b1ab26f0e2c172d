"""TFRecord framing and compressed file access (TF's `core/lib/io/record_writer.cc`), shared by the reader kernel and
`tf.python_io.TFRecordWriter`:

    uint64 length (little endian) | uint32 masked crc32c(length) | data | uint32 masked crc32c(data)

with TF's mask `((crc >> 15 | crc << 17) + 0xa282ead8) mod 2**32`. CRC32C (Castagnoli) is
computed here in Python, table-driven: about a few MB/s, enough for test and tutorial-sized
files; it is checked on every record read, as TF does.
"""

import gzip
import io
import struct
import zlib

from flowexec.framework import errors

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)
del _i, _c


def crc32c(data):
    """The CRC32C of `data` (bytes)."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def encode(record):
    """One record, framed."""
    header = struct.pack("<Q", len(record))
    return (header + struct.pack("<I", masked_crc(header)) + record
            + struct.pack("<I", masked_crc(record)))


class CorruptRecord(Exception):
    """A record whose framing or checksum is wrong (TF: DataLossError)."""


def read_records(f, name):
    """The records of the open binary file `f`, checked; raises CorruptRecord."""
    while True:
        header = f.read(12)
        if not header:
            return
        if len(header) < 12:
            raise CorruptRecord(f"truncated record at end of file {name}")
        length_bytes, crc = header[:8], struct.unpack("<I", header[8:])[0]
        if masked_crc(length_bytes) != crc:
            raise CorruptRecord(f"corrupted record: length checksum mismatch in {name}")
        (length,) = struct.unpack("<Q", length_bytes)
        data = f.read(length)
        footer = f.read(4)
        if len(data) < length or len(footer) < 4:
            raise CorruptRecord(f"truncated record at end of file {name}")
        if masked_crc(data) != struct.unpack("<I", footer)[0]:
            raise CorruptRecord(f"corrupted record: data checksum mismatch in {name}")
        yield data


def open_read(name, compression):
    """A binary file object reading `name`, decompressed as TF's `compression_type` ("",
    "GZIP", "ZLIB") says.

    Raises:
        NotFoundError: no such file. InvalidArgumentError: an unknown compression type.
    """
    compression = compression.decode() if isinstance(compression, bytes) else compression
    if compression not in ("", "GZIP", "ZLIB"):
        raise errors.InvalidArgumentError(None, None,
                                          f"Unsupported compression_type: {compression}.")
    try:
        if compression == "GZIP":
            return gzip.open(name, "rb")
        f = open(name, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{name}; No such file or directory") from None
    if compression == "ZLIB":
        with f:
            return io.BytesIO(zlib.decompress(f.read()))
    return f
