"""The checkpoint file format: writing, reading and validating one checkpoint's files.

A checkpoint is named by its prefix, e.g. "train/model.ckpt-100", and made of two files:

    <prefix>.npz    the values: an uncompressed numpy .npz (a zip of .npy members) that
                    `np.load(path, allow_pickle=False)` opens; string variables are stored as
                    fixed-width bytes arrays, never as pickled objects.
    <prefix>.index  JSON, written last: its presence means the checkpoint is complete. It holds
                    the format name and version, the data file's size, and per variable its
                    name in the checkpoint, its npz key, dtype, shape and the CRC-32 of its
                    bytes.

Every file is written through `atomic_file.atomic_write` (temporary file, fsync, rename,
directory fsync); a save that fails removes what it wrote.

Reading checks the index (format, version, entries) and, per variable, the stored dtype,
shape and checksum against it; damage is a DataLossError naming the file and the variable.
This module knows nothing of graphs or sessions: it maps (name, DType, array) lists to files
and back.
"""

import contextlib
import json
import os
import re
import zipfile
import zlib

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.train.atomic_file import atomic_write, os_error, remove_if_exists

FORMAT_NAME = "flowexec-checkpoint"
FORMAT_VERSION = 1
DATA_SUFFIX = ".npz"
INDEX_SUFFIX = ".index"

# Keys that are safe as zip member names; other checkpoint names get a positional key.
_SAFE_KEY = re.compile(r"[A-Za-z0-9_]+(?:[./\-][A-Za-z0-9_]+)*")


class SaverDef:
    """The checkpoint format versions of TF's SaverDef (`tf.train.SaverDef.V2`).

    flowexec writes one format (see the module docstring) whichever version is asked for.
    """

    LEGACY = 0
    V1 = 1
    V2 = 2


class NotAValidCheckpointError(errors.NotFoundError, ValueError):
    """No checkpoint at a prefix. TF 1.x's `Saver.restore` raises ValueError here and its
    restore op NotFoundError; this error is both, so either `except` clause catches it."""


def _data_loss(message):
    return errors.DataLossError(None, None, message)


def _names_excerpt(names, limit=5):
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _crc32(arr):
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")
    return zlib.crc32(arr.reshape(-1).view(np.uint8)) & 0xFFFFFFFF


def _to_storable(name, dtype, value):
    """`value` as the array written to the npz: C-ordered, strings as fixed-width bytes."""
    arr = np.asarray(value)
    if dtype is not dtypes.string:
        return arr if arr.flags.c_contiguous else arr.copy(order="C")
    flat = arr.reshape(-1)
    for i, item in enumerate(flat):
        if not isinstance(item, bytes):
            raise errors.UnimplementedError(
                None, None, f"Cannot save string variable '{name}': element {i} is a "
                f"{type(item).__name__}, not bytes.")
        if item.endswith(b"\x00"):
            raise errors.UnimplementedError(
                None, None, f"Cannot save string variable '{name}': element {i} ends with a "
                "NUL byte, which the checkpoint's fixed-width bytes arrays cannot hold (they "
                "drop trailing NULs; strings are never pickled).")
    width = max((len(b) for b in flat), default=0) or 1
    out = np.empty(arr.shape, dtype=f"S{width}")
    out.reshape(-1)[:] = flat
    return out


def _npz_keys(names):
    keys, used = {}, set()
    for i, name in enumerate(names):
        key = name if _SAFE_KEY.fullmatch(name) else f"tensor_{i}"
        while key in used:
            key = f"tensor_{i}_{len(used)}"
        used.add(key)
        keys[name] = key
    return keys


def write_checkpoint(prefix, named_values):
    """Writes `<prefix>.npz` then `<prefix>.index` for [(name, DType, value)]."""
    data_path, index_path = prefix + DATA_SUFFIX, prefix + INDEX_SUFFIX
    keys = _npz_keys([name for name, _, _ in named_values])
    arrays, records = [], []
    for name, dtype, value in named_values:
        arr = _to_storable(name, dtype, value)
        arrays.append((keys[name], arr))
        records.append({"name": name, "key": keys[name], "dtype": dtype.name,
                        "numpy_dtype": arr.dtype.str, "shape": list(arr.shape),
                        "crc32": _crc32(arr)})

    def write_data(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for key, arr in arrays:
                with zf.open(key + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, arr, allow_pickle=False)

    # A checkpoint already at this prefix stops being one before its data is replaced, so a
    # crash can never pair its index with other data.
    remove_if_exists(index_path)
    data_size = atomic_write(data_path, write_data)
    header = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION,
                         "data_format": "npz", "data_size": data_size, "checksum": "crc32"})
    # One line per variable keeps the index readable and diffable.
    payload = (header[:-1] + ', "variables": [\n'
               + ",\n".join("  " + json.dumps(r) for r in records) + "\n]}\n").encode("utf-8")
    try:
        atomic_write(index_path, lambda f: f.write(payload))
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(data_path)
        raise


def _is_dtype_name(name):
    try:
        return isinstance(name, str) and dtypes.as_dtype(name).name == name
    except TypeError:
        return False


def read_index(prefix):
    """The parsed, validated index of the checkpoint at `prefix` (DataLossError if not)."""
    index_path = prefix + INDEX_SUFFIX
    try:
        with open(index_path, "rb") as f:
            raw = f.read()
    except FileNotFoundError as e:
        raise NotAValidCheckpointError(
            None, None, "The passed save_path is not a valid checkpoint: " + prefix) from e
    except OSError as e:
        raise os_error(e, f"Cannot read checkpoint index {index_path}") from e
    try:
        index = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _data_loss(f"Checkpoint index {index_path} is corrupt (not JSON: {e}).") from e
    if not isinstance(index, dict) or index.get("format") != FORMAT_NAME:
        raise _data_loss(f"Checkpoint index {index_path} is not a {FORMAT_NAME} index.")
    version = index.get("version")
    if not isinstance(version, int) or version < 1:
        raise _data_loss(f"Checkpoint index {index_path} has an invalid version {version!r}.")
    if version > FORMAT_VERSION:
        raise errors.UnimplementedError(
            None, None, f"Checkpoint index {index_path} has format version {version}; this "
            f"flowexec reads versions up to {FORMAT_VERSION}.")
    records = index.get("variables")
    if not isinstance(records, list) or not isinstance(index.get("data_size"), int):
        raise _data_loss(f"Checkpoint index {index_path} is corrupt: no variable list or "
                         "data size.")
    by_name = {}
    for rec in records:
        ok = (isinstance(rec, dict) and isinstance(rec.get("name"), str)
              and isinstance(rec.get("key"), str) and isinstance(rec.get("crc32"), int)
              and _is_dtype_name(rec.get("dtype"))
              and isinstance(rec.get("numpy_dtype"), str)
              and isinstance(rec.get("shape"), list)
              and all(isinstance(d, int) and d >= 0 for d in rec["shape"]))
        if not ok:
            raise _data_loss(f"Checkpoint index {index_path} is corrupt: bad entry {rec!r}.")
        by_name[rec["name"]] = rec
    return index, by_name


def load_values(prefix, index, records):
    """{name: verified array} for the index entries `records` (DataLossError on damage)."""
    data_path = prefix + DATA_SUFFIX
    names = [rec["name"] for rec in records]
    try:
        size = os.path.getsize(data_path)
    except FileNotFoundError as e:
        raise errors.NotFoundError(
            None, None, f"Checkpoint data file {data_path} not found (variables "
            f"{_names_excerpt(names)}).") from e
    except OSError as e:
        raise os_error(e, f"Cannot read checkpoint data file {data_path}") from e
    if size != index["data_size"]:
        raise _data_loss(
            f"Checkpoint data file {data_path} is {size} bytes but its index records "
            f"{index['data_size']}: the file is truncated or was replaced; cannot restore "
            f"variables {_names_excerpt(names)}.")
    values = {}
    try:
        npz = np.load(data_path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise _data_loss(f"Checkpoint data file {data_path} is corrupt ({e}); cannot restore "
                         f"variables {_names_excerpt(names)}.") from e
    with npz:
        members = set(npz.files)
        for rec in records:
            name, key = rec["name"], rec["key"]
            where = f"variable '{name}' (key '{key}') in checkpoint data file {data_path}"
            if key not in members:
                raise _data_loss(f"Missing {where}, which the index lists.")
            try:
                arr = npz[key]
            except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
                raise _data_loss(f"Cannot read {where}: {e}") from e
            if arr.dtype.str != rec["numpy_dtype"] or list(arr.shape) != rec["shape"]:
                raise _data_loss(
                    f"Corrupt {where}: stored as {arr.dtype.str} {list(arr.shape)}, the index "
                    f"says {rec['numpy_dtype']} {rec['shape']}.")
            crc = _crc32(arr)
            if crc != rec["crc32"]:
                raise _data_loss(
                    f"Checksum does not match for {where}: stored {rec['crc32']:08x} vs. "
                    f"calculated on the restored bytes {crc:08x}.")
            if rec["dtype"] == dtypes.string.name:
                arr = arr.astype(object)
            values[name] = arr
    return values


def checkpoint_exists(checkpoint_prefix):
    """Whether a complete checkpoint exists at `checkpoint_prefix` (its index file does)."""
    return os.path.isfile(checkpoint_prefix + INDEX_SUFFIX)


def checkpoint_mtime(checkpoint_prefix):
    """The checkpoint's modification time in seconds (its index's), or None if it is absent."""
    try:
        return os.stat(checkpoint_prefix + INDEX_SUFFIX).st_mtime_ns / 1e9
    except FileNotFoundError:
        return None


def remove_checkpoint_files(checkpoint_prefix):
    """Deletes a checkpoint's files, the index first so that it never outlives its data."""
    for path in (checkpoint_prefix + INDEX_SUFFIX, checkpoint_prefix + DATA_SUFFIX):
        remove_if_exists(path)
