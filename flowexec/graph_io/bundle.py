"""TensorFlow's V2 checkpoint format (the tensor bundle), read and written.

A checkpoint `prefix` is an index and one or more data files: `prefix.index`, a LevelDB
table (sstable.py) whose key "" holds a BundleHeaderProto and whose other keys, the tensor
names in sorted order, each hold a BundleEntryProto; and `prefix.data-<i>-of-<n>` (five
digits each; one per shard, `prefix.data-00000-of-00001` for one), the tensors' bytes one
after another. An entry says where its bytes are (shard, offset, size), the dtype and shape,
and the masked CRC-32C of the bytes. Numbers are raw little-endian; a string tensor is its
varint64 lengths, a masked CRC-32C of the lengths, then the bytes.

The two messages are encoded here directly in protobuf's wire format (TF's
tensor_bundle.proto; the few fields used):

    BundleHeaderProto: 1 num_shards int32, 2 endianness enum (0 little), 3 version VersionDef
    BundleEntryProto:  1 dtype enum, 2 shape TensorShapeProto, 3 shard_id int32,
                       4 offset int64, 5 size int64, 6 crc32c fixed32,
                       7 slices TensorSliceProto {1 extent {1 start int64, 2 length int64}}
    TensorShapeProto:  2 dim {1 size int64}, 3 unknown_rank bool

Numeric, bool and string tensors and any number of shards are read and written. A tensor
saved as slices (a partitioned variable, `Slices`) is, as TF writes it, one entry under its
name with its full dtype and shape and the list of its slices (no data), and one ordinary
entry per slice under the slice's key: TF's `EncodeTensorNameSlice`, the name and the
extents in OrderedCode (`slice_key`), which sorts before every plain name. Reading the name
assembles the full tensor from its slices. The files flowexec writes are byte-identical to
TF's for the same tensors. Any damage (bad
table, entry, size, checksum) is `flowexec.errors.DataLossError` naming the file.
"""

import os
import re
import struct

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.graph_io import sstable
from flowexec.graph_io.crc32c import crc32c, mask, unmask
from flowexec.graph_io.wire import field_bytes as _field_bytes
from flowexec.graph_io.wire import field_varint as _field_varint
from flowexec.graph_io.wire import parse_message as _parse
from flowexec.graph_io.wire import varint as _varint

__all__ = ["BundleReader", "Slices", "data_filename", "encode_bundle", "encode_bundle_chunks",
           "is_bundle", "slice_key", "write_bundle"]

_SHARD = "{}.data-{:05d}-of-{:05d}"
DATA_FILE = re.compile(r"(.+)\.data-(\d{5})-of-(\d{5})")  # a data file's name: base, id, count


def data_filename(prefix, shard_id=0, num_shards=1):
    """`prefix.data-<shard_id>-of-<num_shards>`, 5 digits each, as TF names data files."""
    return _SHARD.format(prefix, shard_id, num_shards)


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


def _shape_bytes(shape):
    return b"".join(_field_bytes(2, _field_varint(1, int(d))) for d in shape)


def _parse_shape(buf):
    msg = _parse(buf)
    if msg.get(3, [0])[0]:
        raise sstable.TableError("entry has an unknown-rank shape")
    return tuple(_parse(d).get(1, [0])[0] for d in msg.get(2, []))


def _header_bytes(num_shards):
    return _field_varint(1, num_shards) + _field_bytes(3, _field_varint(1, 1))


def _entry_bytes(dtype, shape, shard_id, offset, size, crc):
    return (_field_varint(1, dtype.as_datatype_enum) + _field_bytes(2, _shape_bytes(shape))
            + _field_varint(3, shard_id) + _field_varint(4, offset) + _field_varint(5, size)
            + _varint((6 << 3) | 5) + struct.pack("<I", crc))


# ----- slices (TF's tensor_slice / OrderedCode) ---------------------------------------------
class Slices:
    """A tensor stored as slices of a full tensor: its full shape and the slices, each
    `(offsets, array)`; what `encode_bundle` writes as TF writes a partitioned variable.

    Example:
        >>> Slices([7, 3], [([0, 0], np.zeros((3, 3))), ([3, 0], np.ones((4, 3)))])
    """

    def __init__(self, full_shape, parts):
        self.full_shape = [int(d) for d in full_shape]
        self.parts = sorted(((list(map(int, o)), np.asarray(a)) for o, a in parts),
                            key=lambda p: p[0])

    def merged(self, other):
        if other.full_shape != self.full_shape:
            raise ValueError(f"Slices of one tensor have full shapes {self.full_shape} and "
                             f"{other.full_shape}")
        return Slices(self.full_shape, self.parts + other.parts)


def _ordered_unsigned(n):
    """OrderedCode::WriteNumIncreasing: a length byte, then big-endian bytes."""
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return bytes([len(raw)]) + raw


_SIGNED_HEADER = [(0, 0), (0x80, 0), (0xC0, 0), (0xE0, 0), (0xF0, 0), (0xF8, 0), (0xFC, 0),
                  (0xFE, 0), (0xFF, 0), (0xFF, 0x80), (0xFF, 0xC0)]


def _ordered_signed(n):
    """OrderedCode::WriteSignedNumIncreasing."""
    x = ~n if n < 0 else n
    if x < 64:
        return bytes([(0x80 ^ n) & 0xFF])
    length = min(x.bit_length() // 7 + 1, 10)
    buf = bytearray((n & ((1 << 64) - 1)).to_bytes(8, "big"))
    buf = bytearray(b"\xff\xff" if n < 0 else b"\x00\x00") + buf
    out = buf[len(buf) - length:]
    out[0] ^= _SIGNED_HEADER[length][0]
    out[1] ^= _SIGNED_HEADER[length][1]
    return bytes(out)


def _ordered_string(text):
    """OrderedCode::WriteString: 0x00 -> 00 ff, 0xff -> ff 00, then the terminator 00 01."""
    escape = {0x00: b"\x00\xff", 0xFF: b"\xff\x00"}
    return b"".join(escape.get(c, bytes([c])) for c in text) + b"\x00\x01"


def slice_key(name, offsets, lengths):
    """The bundle key of one slice of tensor `name` (TF's EncodeTensorNameSlice); a length
    of None is a whole dimension (TF's length -1)."""
    key = _ordered_unsigned(0) + _ordered_string(name.encode("utf-8"))
    key += _ordered_unsigned(len(offsets))
    for start, length in zip(offsets, lengths):
        key += _ordered_signed(int(start)) + _ordered_signed(-1 if length is None
                                                             else int(length))
    return key


def _slice_proto(offsets, lengths):
    return b"".join(_field_bytes(1, _field_varint(1, o) + (
        b"" if n is None else _varint(2 << 3) + _varint(n))) for o, n in zip(offsets, lengths))


def _parse_slice_proto(buf):
    offsets, lengths = [], []
    for ext in _parse(buf).get(1, []):
        msg = _parse(ext)
        offsets.append(msg.get(1, [0])[0])
        lengths.append(msg[2][0] if 2 in msg else None)
    return offsets, lengths


# ----- writing -------------------------------------------------------------------------------
def _string_elements(name, arr):
    out = []
    for item in arr.reshape(-1):
        if isinstance(item, (bytes, np.bytes_)):
            out.append(bytes(item))
        elif isinstance(item, str):
            out.append(item.encode("utf-8"))
        else:
            raise errors.InvalidArgumentError(
                None, None, f"Cannot write tensor '{name}' to a TF V2 checkpoint: element "
                f"{item!r} of a string tensor is not bytes or str")
    return out


def _string_bytes(strings):
    """TF's layout of a string tensor: the varint64 lengths, the masked CRC-32C of the lengths
    (each as a little-endian uint32, or uint64 above 2**32-1), then the bytes; and the CRC of
    all that as TF computes it (lengths as integers, the length CRC, the bytes)."""
    lengths = b"".join(_varint(len(b)) for b in strings)
    as_ints = b"".join(struct.pack("<I" if len(b) <= 0xFFFFFFFF else "<Q", len(b))
                       for b in strings)
    length_crc = struct.pack("<I", mask(crc32c(as_ints)))
    body = b"".join(strings)
    return lengths + length_crc + body, crc32c(as_ints + length_crc + body)


def _encode(name, value):
    """(DType, shape, bytes, CRC-32C) of one tensor as a bundle stores it."""
    arr = np.asarray(value)
    if arr.dtype.kind in "SUO":
        raw, crc = _string_bytes(_string_elements(name, arr))
        return dtypes.string, arr.shape, raw, crc
    dt = dtypes.from_numpy(arr.dtype)
    raw = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return dt, arr.shape, raw, crc32c(raw)


def encode_bundle(shards, num_shards=None):
    """The files of a V2 checkpoint whose tensors are split into shards.

    Args:
        shards: a list of {tensor name: numpy array}, one per data file; names are unique
            across shards. Strings (bytes, str or object arrays) are stored as TF does.
        num_shards: the number of data files the header counts (default len(shards)); the
            ones beyond `shards` are empty.

    Returns:
        (index bytes, [bytes of data file i for i in range(num_shards)]).

    Raises:
        ValueError: a name is in two shards.
    """
    index, chunks = encode_bundle_chunks(shards, num_shards)
    return index, [b"".join(c) for c in chunks]


def encode_bundle_chunks(shards, num_shards=None):
    """As `encode_bundle`, each data file as its list of byte chunks (one per tensor), which a
    writer writes one after another without joining them."""
    num_shards = len(shards) if num_shards is None else num_shards
    if num_shards < max(len(shards), 1):
        raise ValueError(f"num_shards={num_shards} is less than the {len(shards)} shards")
    chunks = [[] for _ in range(num_shards)]
    entries, sliced = {}, {}  # key bytes -> entry bytes; name -> (DType, full shape, slices)
    for shard_id, tensors in enumerate(shards):
        offset = 0
        for name in sorted(tensors):
            value = tensors[name]
            if not isinstance(value, Slices):
                key = name.encode("utf-8")
                if key in entries or name in sliced:
                    raise ValueError(f"Tensor '{name}' is in two shards of one checkpoint")
                pieces = [(key, value)]
            else:
                if name.encode("utf-8") in entries:
                    raise ValueError(f"Tensor '{name}' is saved whole and as slices")
                pieces = []
                for offsets, arr in value.parts:
                    pieces.append((slice_key(name, offsets, arr.shape), arr))
                    dt, full, specs = sliced.get(name, (None, value.full_shape, []))
                    if full != value.full_shape:
                        raise ValueError(f"Slices of tensor '{name}' have full shapes {full} "
                                         f"and {value.full_shape}")
                    specs.append((offsets, list(arr.shape)))
                    sliced[name] = (_encode(name, arr[:0])[0] if dt is None else dt, full,
                                    specs)
            for key, arr in pieces:
                if key in entries:
                    raise ValueError(f"Tensor '{name}' has one slice twice")
                dt, shape, raw, crc = _encode(name, arr)
                entries[key] = _entry_bytes(dt, shape, shard_id, offset, len(raw), mask(crc))
                chunks[shard_id].append(raw)
                offset += len(raw)
    for name, (dt, full, specs) in sliced.items():
        entries[name.encode("utf-8")] = (
            _field_varint(1, dt.as_datatype_enum) + _field_bytes(2, _shape_bytes(full))
            + b"".join(_field_bytes(7, _slice_proto(o, n)) for o, n in sorted(specs)))
    table = [(b"", _header_bytes(num_shards))]
    table += [(key, entries[key]) for key in sorted(entries)]
    return sstable.write_table(table), chunks


def write_bundle(prefix, tensors, write_file):
    """Writes `tensors` ({name: array}) as a one-shard V2 checkpoint at `prefix`.

    Args:
        prefix: the checkpoint prefix ("dir/model.ckpt-10").
        tensors: {tensor name: numpy array}.
        write_file: `write_file(path, bytes)`, the caller's (atomic) file writer; the data
            file is written first, the index last.

    Returns:
        The paths written: [index, data].
    """
    index, (data,) = encode_bundle([tensors])
    data_path, index_path = data_filename(prefix), prefix + ".index"
    write_file(data_path, data)
    write_file(index_path, index)
    return [index_path, data_path]


# ----- reading -------------------------------------------------------------------------------
class BundleReader:
    """The tensors of a V2 checkpoint: names, dtypes, shapes, values (read on demand).

    Reads any number of shards, numeric, bool and string tensors, and tensors saved as
    slices (partitioned variables), which `get` assembles; `entries` lists the tensors by
    name, never the slice keys.

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
        self._slice_entries = {}
        try:
            table = sstable.read_table(raw)
            if not table or table[0][0] != b"":
                raise sstable.TableError("no bundle header")
            header = _parse(table[0][1])
            if header.get(2, [0])[0] != 0:
                raise sstable.TableError("big-endian bundles are not read")
            self.num_shards = header.get(1, [0])[0]
            if not 1 <= self.num_shards <= 99999:
                raise sstable.TableError(f"the header counts {self.num_shards} shards")
            for key, value in table[1:]:
                entry = self._entry(key, value)
                if entry["shard"] >= self.num_shards:
                    raise sstable.TableError(f"tensor {key!r} is in shard {entry['shard']} "
                                             f"of {self.num_shards}")
                if key[:1] == b"\x00":  # a slice of a tensor saved as slices
                    self._slice_entries[key] = entry
                else:
                    self.entries[key.decode("utf-8")] = entry
        except (sstable.TableError, UnicodeDecodeError, KeyError, ValueError, TypeError) as e:
            raise errors.DataLossError(
                None, None, f"Unable to read the checkpoint index {self.index_path}: {e}") from e

    @staticmethod
    def _entry(key, value):
        msg = _parse(value)
        dt = dtypes.as_dtype(msg.get(1, [0])[0])
        shape = _parse_shape(msg[2][0]) if 2 in msg else ()
        slices = [_parse_slice_proto(b) for b in msg.get(7, [])]
        for offsets, lengths in slices:
            if len(offsets) != len(shape) or any(
                    o < 0 or (n is not None and (n < 0 or o + n > d))
                    for o, n, d in zip(offsets, lengths, shape)):
                raise sstable.TableError(f"tensor {key!r} has a slice {offsets}/{lengths} "
                                         f"outside its shape {list(shape)}")
        return {"dtype": dt, "shape": shape, "shard": msg.get(3, [0])[0],
                "offset": msg.get(4, [0])[0], "size": msg.get(5, [0])[0],
                "crc": msg.get(6, [None])[0], "slices": slices}

    def dtype(self, name):
        return self.entries[name]["dtype"]

    def shape(self, name):
        return list(self.entries[name]["shape"])

    def data_paths(self):
        """The data files the header counts."""
        return [data_filename(self.prefix, i, self.num_shards) for i in range(self.num_shards)]

    def get(self, name):
        """The value of tensor `name` (a numpy array; strings as an object array of bytes,
        as TF returns them), checked against its CRC.

        Raises:
            flowexec.errors.NotFoundError: no such tensor, or its data file is gone.
            flowexec.errors.DataLossError: the data file is short or the bytes are damaged.
        """
        e = self.entries.get(name)
        if e is None:
            raise errors.NotFoundError(None, None,
                                       f"Key {name} not found in checkpoint {self.prefix}")
        if not e["slices"]:
            return self._value(name, e)
        full = np.empty(e["shape"], dtype=object if e["dtype"] is dtypes.string
                        else e["dtype"].np)
        for offsets, lengths in e["slices"]:
            se = self._slice_entries.get(slice_key(name, offsets, lengths))
            want = [d if n is None else n for d, n in zip(e["shape"], lengths)]
            if se is None or list(se["shape"]) != want or se["dtype"] != e["dtype"]:
                raise errors.DataLossError(
                    None, None, f"{self.index_path}: slice {offsets}/{want} of tensor "
                    f"'{name}' is missing or does not match its entry")
            full[tuple(slice(o, o + n) for o, n in zip(offsets, want))] = \
                self._value(f"{name} (slice at {offsets})", se)
        return full

    def _value(self, name, e):
        dt = e["dtype"]
        if dt is not dtypes.string and not dt.is_numpy_compatible:
            raise errors.UnimplementedError(
                None, None, f"Tensor '{name}' of {self.prefix} has dtype {dt.name}, which "
                "flowexec's bundle reader does not read")
        path = data_filename(self.prefix, e["shard"], self.num_shards)
        n = int(np.prod(e["shape"], dtype=np.int64))
        if dt is not dtypes.string and e["size"] != n * dt.np.itemsize:
            raise errors.DataLossError(None, None, f"{self.index_path}: entry '{name}' has "
                                       f"{e['size']} bytes for shape {list(e['shape'])}")
        raw = self._read(path, name, e)
        if dt is dtypes.string:
            value, crc = _decode_strings(raw, n, path, name)
        else:
            value, crc = np.frombuffer(raw, dtype=dt.np.newbyteorder("<")).astype(dt.np), \
                crc32c(raw)
        if e["crc"] is not None and unmask(e["crc"]) != crc:
            raise errors.DataLossError(None, None, f"Checksum does not match: stored "
                                       f"{unmask(e['crc'])} vs. calculated on the restored "
                                       f"bytes {crc} (tensor '{name}' in {path})")
        return value.reshape(e["shape"])

    @staticmethod
    def _read(path, name, e):
        try:
            with open(path, "rb") as f:
                f.seek(e["offset"])
                raw = f.read(e["size"])
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{path} not found: the data of tensor "
                                       f"'{name}' is missing") from None
        except OSError as ex:
            raise errors.DataLossError(None, None, f"Cannot read {path}: {ex}") from ex
        if len(raw) != e["size"]:
            raise errors.DataLossError(None, None, f"{path} is truncated: tensor '{name}' needs "
                                       f"bytes {e['offset']}..{e['offset'] + e['size']}")
        return raw


def _decode_strings(raw, n, path, name):
    """(object array of the n strings, their CRC as TF computes it) of a string tensor's
    bytes (see `_string_bytes`)."""
    def bad(what):
        return errors.DataLossError(None, None, f"{path}: string tensor '{name}' is damaged: "
                                    f"{what}")

    pos, size, lengths = 0, len(raw), []
    if n > size:  # every length takes a byte at least
        raise bad(f"{size} bytes cannot hold {n} strings")
    try:
        for _ in range(n):
            length, pos = sstable._read_varint(raw, pos, size)
            lengths.append(length)
    except sstable.TableError as ex:
        raise bad(ex) from ex
    as_ints = b"".join(struct.pack("<I" if k <= 0xFFFFFFFF else "<Q", k) for k in lengths)
    if pos + 4 > size or struct.unpack_from("<I", raw, pos)[0] != mask(crc32c(as_ints)):
        raise bad("the checksum of the lengths does not match")
    length_crc, pos = raw[pos:pos + 4], pos + 4
    if pos + sum(lengths) != size:
        raise bad(f"the lengths add up to {sum(lengths)} bytes, the entry has {size - pos}")
    body = raw[pos:]
    out = np.empty(n, dtype=object)
    for i, length in enumerate(lengths):
        out[i] = bytes(raw[pos:pos + length])
        pos += length
    return out, crc32c(as_ints + length_crc + body)
