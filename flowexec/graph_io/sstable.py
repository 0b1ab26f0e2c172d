"""The LevelDB table format TF's checkpoint `.index` files use, read and written.

A table is: data blocks, a metaindex block (empty here, as TF writes it), an index block,
and a 48-byte footer. A block holds entries `varint32 shared | varint32 non_shared |
varint32 value_length | key suffix | value`, keys prefix-compressed against the previous
key and restarted every `restart_interval` entries; then the fixed32 restart offsets and
their count. Every block is followed by a 5-byte trailer: compression type (0: none) and
the masked CRC-32C of the block and that byte. The index block maps, per data block, a key
>= its last key to its BlockHandle (varint64 offset, varint64 size). The footer holds the
metaindex and index handles, zero-padded to 40 bytes, and the magic 0xdb4775248b80fb57.

Every read is bounds-checked; damage raises `TableError`, which callers turn into TF's
DataLossError naming the file.
"""

import struct

from flowexec.graph_io.crc32c import masked_crc32c

__all__ = ["TableError", "read_table", "write_table"]

MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
BLOCK_TRAILER_SIZE = 5


class TableError(ValueError):
    """A corrupt or truncated table."""


def _varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _read_varint(buf, pos, limit):
    result = shift = 0
    while True:
        if pos >= limit or shift > 63:
            raise TableError("bad varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _block(entries, restart_interval):
    out = bytearray()
    restarts = []
    prev = b""
    for i, (key, value) in enumerate(entries):
        if i % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            for a, b in zip(prev, key):
                if a != b:
                    break
                shared += 1
        out += _varint(shared) + _varint(len(key) - shared) + _varint(len(value))
        out += key[shared:] + value
        prev = key
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def _with_trailer(block):
    return block + b"\x00" + struct.pack("<I", masked_crc32c(block + b"\x00"))


def _separator(last, nxt):
    """A short key k with last <= k < nxt (LevelDB's FindShortestSeparator), or after the
    last block a short key >= last (FindShortSuccessor)."""
    if nxt is None:
        for i, c in enumerate(last):
            if c != 0xFF:
                return last[:i] + bytes([c + 1])
        return last
    n = 0
    while n < min(len(last), len(nxt)) and last[n] == nxt[n]:
        n += 1
    if n < min(len(last), len(nxt)):
        c = last[n]
        if c < 0xFF and c + 1 < nxt[n]:
            return last[:n] + bytes([c + 1])
    return last


def write_table(entries, block_size=262144):
    """The bytes of a table holding `entries` ([(key bytes, value bytes)], sorted keys)."""
    keys = [k for k, _ in entries]
    if keys != sorted(keys) or len(set(keys)) != len(keys):
        raise ValueError("table keys must be unique and sorted")
    out = bytearray()
    blocks, current, size = [], [], 0
    for k, v in entries:
        current.append((k, v))
        size += len(k) + len(v) + 8
        if size >= block_size:
            blocks.append(current)
            current, size = [], 0
    if current:
        blocks.append(current)
    index = []
    for i, blk in enumerate(blocks):
        data = _block(blk, 16)
        handle = _varint(len(out)) + _varint(len(data))
        out += _with_trailer(data)
        nxt = blocks[i + 1][0][0] if i + 1 < len(blocks) else None
        index.append((_separator(blk[-1][0], nxt), handle))
    meta = _block([], 16)
    meta_handle = _varint(len(out)) + _varint(len(meta))
    out += _with_trailer(meta)
    idx = _block(index, 1)
    idx_handle = _varint(len(out)) + _varint(len(idx))
    out += _with_trailer(idx)
    footer = meta_handle + idx_handle
    out += footer + b"\x00" * (40 - len(footer)) + struct.pack("<Q", MAGIC)
    return bytes(out)


def _read_block(buf, offset, size):
    end = offset + size
    if offset < 0 or size < 4 or end + BLOCK_TRAILER_SIZE > len(buf):
        raise TableError(f"block at {offset} of {size} bytes runs past the end")
    block = buf[offset:end]
    kind = buf[end]
    (crc,) = struct.unpack_from("<I", buf, end + 1)
    if masked_crc32c(bytes(block) + bytes([kind])) != crc:
        raise TableError(f"block checksum mismatch at offset {offset}")
    if kind != 0:
        raise TableError(f"block at {offset} has compression type {kind} (only none is read)")
    return bytes(block)


def _entries(block):
    (n_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * n_restarts
    if limit < 0:
        raise TableError("bad restart count")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _read_varint(block, pos, limit)
        non_shared, pos = _read_varint(block, pos, limit)
        vlen, pos = _read_varint(block, pos, limit)
        if shared > len(key) or pos + non_shared + vlen > limit:
            raise TableError("bad block entry")
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        yield key, block[pos:pos + vlen]
        pos += vlen


def _handle(buf, pos, limit):
    off, pos = _read_varint(buf, pos, limit)
    size, pos = _read_varint(buf, pos, limit)
    return off, size, pos


def read_table(data):
    """[(key, value)] of a table's bytes, in key order.

    Raises:
        TableError: the bytes are not a complete, intact table.
    """
    if len(data) < FOOTER_SIZE:
        raise TableError(f"file of {len(data)} bytes is too short to be an sstable")
    footer = len(data) - FOOTER_SIZE
    (magic,) = struct.unpack_from("<Q", data, len(data) - 8)
    if magic != MAGIC:
        raise TableError("not an sstable (bad magic number)")
    _, _, pos = _handle(data, footer, footer + 40)
    ioff, isize, _ = _handle(data, pos, footer + 40)
    if ioff + isize + BLOCK_TRAILER_SIZE > footer:
        raise TableError("index block runs past the footer")
    out = []
    for _, handle in _entries(_read_block(data, ioff, isize)):
        off, size, _ = _handle(handle, 0, len(handle))
        if off + size + BLOCK_TRAILER_SIZE > footer:
            raise TableError("data block runs past the index")
        out.extend(_entries(_read_block(data, off, size)))
    return out
