"""TensorFlow's V2 checkpoint format (the tensor bundle), read and written.

A checkpoint `prefix` is two files: `prefix.index`, a LevelDB table (sstable.py) whose key
"" holds a BundleHeaderProto and whose other keys, the tensor names in sorted order, each
hold a BundleEntryProto; and `prefix.data-00000-of-00001`, the tensors' raw little-endian
bytes one after another. An entry says where its bytes are (shard, offset, size), the dtype
and shape, and the masked CRC-32C of the bytes.

The two messages are encoded here directly in protobuf's wire format (TF's
tensor_bundle.proto; the few fields used):

    BundleHeaderProto: 1 num_shards int32, 2 endianness enum (0 little), 3 version VersionDef
    BundleEntryProto:  1 dtype enum, 2 shape TensorShapeProto, 3 shard_id int32,
                       4 offset int64, 5 size int64, 6 crc32c fixed32, 7 slices (refused)
    TensorShapeProto:  2 dim {1 size int64}, 3 unknown_rank bool

Numeric and bool tensors are supported; string tensors and partitioned (sliced) variables are
refused with a clear error. Any damage (bad table, entry, size, checksum) is
`flowexec.errors.DataLossError` naming the file.
"""

import os
import struct

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.graph_io import sstable
from flowexec.graph_io.crc32c import crc32c, mask, unmask

__all__ = ["BundleReader", "data_filename", "is_bundle", "write_bundle"]

_SHARD = "{}.data-00000-of-00001"


def data_filename(prefix):
    return _SHARD.format(prefix)


def is_bundle(prefix):
    """Whether `prefix.index` starts as... ends as a TF table (the footer's magic number)."""
    path = prefix + ".index"
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() < sstable.FOOTER_SIZE:
                return False
            f.seek(-8, os.SEEK_END)
            return struct.unpack("<Q", f.read(8))[0] == sstable.MAGIC
    except OSError:
        return False


# ----- protobuf wire format ------------------------------------------------------------------
def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field_varint(field, n):
    return _varint(field << 3) + _varint(n) if n else b""


def _field_bytes(field, data):
    return _varint((field << 3) | 2) + _varint(len(data)) + data


def _parse(buf):
    """{field: [values]} of a message (varints as int, length-delimited as bytes)."""
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


def _shape_bytes(shape):
    return b"".join(_field_bytes(2, _field_varint(1, int(d))) for d in shape)


def _parse_shape(buf):
    msg = _parse(buf)
    if msg.get(3, [0])[0]:
        raise sstable.TableError("entry has an unknown-rank shape")
    return tuple(_parse(d).get(1, [0])[0] for d in msg.get(2, []))


def _header_bytes():
    return _field_varint(1, 1) + _field_bytes(3, _field_varint(1, 1))


def _entry_bytes(dtype, shape, offset, size, crc):
    return (_field_varint(1, dtype.as_datatype_enum) + _field_bytes(2, _shape_bytes(shape))
            + _field_varint(4, offset) + _field_varint(5, size)
            + _varint((6 << 3) | 5) + struct.pack("<I", crc))


# ----- writing -------------------------------------------------------------------------------
def _raw(name, value):
    arr = np.asarray(value)
    if arr.dtype.kind in "SUO":
        raise errors.UnimplementedError(
            None, None, f"Cannot write string tensor '{name}' to a TF V2 checkpoint: string "
            "tensors are not supported by flowexec's bundle writer")
    dt = dtypes.from_numpy(arr.dtype)
    return dt, arr.shape, np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()


def write_bundle(prefix, tensors, write_file):
    """Writes `tensors` ({name: array}) as a V2 checkpoint at `prefix`.

    Args:
        prefix: the checkpoint prefix ("dir/model.ckpt-10").
        tensors: {tensor name: numpy array}.
        write_file: `write_file(path, bytes)`, the caller's (atomic) file writer.

    Returns:
        The paths written: [index, data].
    """
    data = bytearray()
    entries = [(b"", _header_bytes())]
    for name in sorted(tensors):
        dt, shape, raw = _raw(name, tensors[name])
        entries.append((name.encode("utf-8"),
                        _entry_bytes(dt, shape, len(data), len(raw), mask(crc32c(raw)))))
        data += raw
    data_path, index_path = data_filename(prefix), prefix + ".index"
    write_file(data_path, bytes(data))
    write_file(index_path, sstable.write_table(entries))
    return [index_path, data_path]


# ----- reading -------------------------------------------------------------------------------
class BundleReader:
    """The tensors of a V2 checkpoint: names, dtypes, shapes, values (read on demand).

    Raises (from the constructor):
        flowexec.errors.NotFoundError: no `prefix.index`.
        flowexec.errors.DataLossError: the index is damaged (names the file).
    """

    def __init__(self, prefix):
        self.prefix = prefix
        self.index_path = prefix + ".index"
        try:
            with open(self.index_path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise errors.NotFoundError(
                None, None, f"Unsuccessful TensorSliceReader constructor: Failed to find any "
                f"matching files for {prefix}") from None
        self.entries = {}
        try:
            table = sstable.read_table(raw)
            if not table or table[0][0] != b"":
                raise sstable.TableError("no bundle header")
            header = _parse(table[0][1])
            if header.get(2, [0])[0] != 0:
                raise sstable.TableError("big-endian bundles are not read")
            if header.get(1, [1])[0] != 1:
                raise errors.UnimplementedError(
                    None, None, f"{self.index_path}: checkpoints of several shards are not "
                    "read by flowexec")
            for key, value in table[1:]:
                self.entries[key.decode("utf-8")] = self._entry(key, value)
        except (sstable.TableError, UnicodeDecodeError, KeyError, ValueError) as e:
            raise errors.DataLossError(
                None, None, f"Unable to read the checkpoint index {self.index_path}: {e}") from e

    @staticmethod
    def _entry(key, value):
        msg = _parse(value)
        if 7 in msg:
            raise sstable.TableError(f"tensor {key!r} is partitioned (slices are not read)")
        dt = dtypes.as_dtype(msg.get(1, [0])[0])
        shape = _parse_shape(msg[2][0]) if 2 in msg else ()
        return {"dtype": dt, "shape": shape, "shard": msg.get(3, [0])[0],
                "offset": msg.get(4, [0])[0], "size": msg.get(5, [0])[0],
                "crc": msg.get(6, [None])[0]}

    def dtype(self, name):
        return self.entries[name]["dtype"]

    def shape(self, name):
        return list(self.entries[name]["shape"])

    def get(self, name):
        """The value of tensor `name` (a numpy array), checked against its CRC.

        Raises:
            flowexec.errors.NotFoundError: no such tensor.
            flowexec.errors.DataLossError: the data file is short or the bytes are damaged.
        """
        e = self.entries.get(name)
        if e is None:
            raise errors.NotFoundError(None, None,
                                       f"Key {name} not found in checkpoint {self.prefix}")
        dt = e["dtype"]
        if dt is dtypes.string or not dt.is_numpy_compatible:
            raise errors.UnimplementedError(
                None, None, f"Tensor '{name}' of {self.prefix} has dtype {dt.name}, which "
                "flowexec's bundle reader does not read")
        path = data_filename(self.prefix)
        n = int(np.prod(e["shape"], dtype=np.int64))
        le = dt.np.newbyteorder("<")
        if e["size"] != n * le.itemsize:
            raise errors.DataLossError(None, None, f"{self.index_path}: entry '{name}' has "
                                       f"{e['size']} bytes for shape {list(e['shape'])}")
        try:
            with open(path, "rb") as f:
                f.seek(e["offset"])
                raw = f.read(e["size"])
        except OSError as ex:
            raise errors.DataLossError(None, None, f"Cannot read {path}: {ex}") from ex
        if len(raw) != e["size"]:
            raise errors.DataLossError(None, None, f"{path} is truncated: tensor '{name}' needs "
                                       f"bytes {e['offset']}..{e['offset'] + e['size']}")
        if e["crc"] is not None and unmask(e["crc"]) != crc32c(raw):
            raise errors.DataLossError(None, None, f"Checksum does not match: stored "
                                       f"{unmask(e['crc'])} vs. calculated on the restored "
                                       f"bytes {crc32c(raw)} (tensor '{name}' in {path})")
        return np.frombuffer(raw, dtype=le).astype(dt.np).reshape(e["shape"])
