"""The checkpoint file format: writing, reading and validating one checkpoint's files.

A checkpoint is named by its prefix, e.g. "train/model.ckpt-100", and made of two files:

    <prefix>.index              JSON: the format name and version, the name and size of the
                                data file, and per variable its name in the checkpoint, its
                                npz key, dtype, numpy dtype, shape and the CRC-32 of its bytes.
    <prefix>.data-<gen>.npz     the values: an uncompressed numpy .npz (a zip of .npy members)
                                that `np.load(path, allow_pickle=False)` opens; string
                                variables are fixed-width bytes arrays, never pickled objects.
                                <gen> is 16 random hex digits, new for every save.

(Format version 1 named its data file "<prefix>.npz", implicitly; it is still read.)

Invariant (what makes saving crash-safe for every save pattern, also saving again and again
over one prefix): at every instant, `<prefix>.index` is absent or it is a complete index that
names a complete, durable data file. A save (`write_checkpoint`):

  1. writes the new data file under a temporary name, fsyncs it, renames it to its own new
     name `<prefix>.data-<gen>.npz` (no existing file is touched) and fsyncs the directory;
  2. writes the new index under a temporary name, fsyncs it, and `os.replace`s it onto
     `<prefix>.index`, the one atomic switch from the old checkpoint to the new one, then
     fsyncs the directory;
  3. only then deletes the data file that the old index named.

A crash before the switch leaves the old checkpoint (old index, old data), after it the new
one; a crash can only leave garbage beside them: temporary files, and a data file that no
index names. The next save removes that garbage when its writer is dead: every writer holds
an `flock` on its temporary files, and on its new data file until its index is in place, so a
file nobody holds and no index names belongs to a dead save (see `atomic_file`). A reader
that finds the data file gone because a concurrent save replaced it reads the new index
(`DataFileReplacedError`). Two savers writing one prefix at the same time are not supported
(nor by TF).

Reading never trusts the files: the index's size and JSON nesting are bounded before it is
parsed, every entry is checked (types, dtype, shape, that its bytes fit in the data file),
and each .npy member's header is read and compared with the index before any of its data is
read, so no claimed size can make the reader allocate more than the data file holds. Nothing
is unpickled. Damage is a DataLossError naming the file (and the variable); an unreadable file
the TF error class of its errno; a missing one NotFoundError.

This module knows nothing of graphs or sessions: it maps (name, DType, array) lists to files
and back.
"""

import contextlib
import json
import os
import re
import secrets
import zipfile
import zlib

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.train.atomic_file import (
    atomic_write,
    atomic_write_held,
    fsync_dir,
    is_abandoned,
    os_error,
    remove_abandoned_temporaries,
    remove_if_exists,
)

FORMAT_NAME = "flowexec-checkpoint"
FORMAT_VERSION = 2
INDEX_SUFFIX = ".index"
LEGACY_DATA_SUFFIX = ".npz"  # version 1: "<prefix>.npz"

# Keys that are safe as zip member names; other checkpoint names get a positional key.
_SAFE_KEY = re.compile(r"[A-Za-z0-9_]+(?:[./\-][A-Za-z0-9_]+)*")
_DATA_FILE = re.compile(r"(.+)\.data-[0-9a-f]{16}\.npz")
_NUMPY_DTYPE = re.compile(r"[<>|=]?[a-zA-Z][0-9]{0,9}")
MAX_INDEX_BYTES = 1 << 28    # 256 MiB: about a million variables
MAX_INDEX_DEPTH = 8          # a valid index nests 4 deep
MAX_RANK = 254               # TF's limit on a tensor's rank
_READ_CHUNK = 1 << 24


class SaverDef:
    """The checkpoint format versions of TF's SaverDef (`tf.train.SaverDef.V2`).

    `V2` (the default of `tf.train.Saver`, as in TF 1.x) is TensorFlow's tensor bundle
    (`bundle_checkpoint`), which TF reads; `V1` and `LEGACY` select flowexec's own format
    (this module), which TF does not read. TF's deprecated V1 files are not written.
    """

    LEGACY = 0
    V1 = 1
    V2 = 2


class NotAValidCheckpointError(errors.NotFoundError, ValueError):
    """No checkpoint at a prefix. TF 1.x's `Saver.restore` raises ValueError here and its
    restore op NotFoundError; this error is both, so either `except` clause catches it."""


class DataFileReplacedError(errors.NotFoundError):
    """The data file named by an index that was read is gone because a later save replaced
    the checkpoint at that prefix: read the index again."""


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


def data_file_name(prefix):
    """A new data file name for a checkpoint at `prefix` (its basename, random generation)."""
    return f"{os.path.basename(prefix)}.data-{secrets.token_hex(8)}.npz"


def _index_payload(data_file, data_size, records):
    header = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION,
                         "data_file": data_file, "data_format": "npz",
                         "data_size": data_size, "checksum": "crc32"})
    # One line per variable keeps the index readable and diffable.
    return (header[:-1] + ', "variables": [\n'
            + ",\n".join("  " + json.dumps(r) for r in records) + "\n]}\n").encode("utf-8")


def write_checkpoint(prefix, named_values):
    """Writes the checkpoint at `prefix` for [(name, DType, value)], replacing any checkpoint
    there only by the atomic rename of its index (see the module docstring).

    First removes what dead saves left in the directory. On failure, everything this call
    wrote is removed and the checkpoint that was at `prefix` is intact.

    Raises:
        OSError: writing failed.
        UnimplementedError: a string value the format cannot store.
    """
    directory = os.path.dirname(prefix) or "."
    index_path = prefix + INDEX_SUFFIX
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

    remove_abandoned_files(directory)
    old_data = _named_data_file(prefix)
    data_file = data_file_name(prefix)
    data_path = os.path.join(directory, data_file)
    with atomic_write_held(data_path, write_data) as held:  # locked until the index names it
        payload = _index_payload(data_file, held.size, records)
        try:
            atomic_write(index_path, lambda f: f.write(payload))
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(data_path)
            raise
    if old_data is not None and old_data != data_path:
        remove_if_exists(old_data)


def _named_data_file(prefix):
    """The data file path that the index at `prefix` names, or None (no index, or one too
    damaged to name a valid data file)."""
    try:
        index = _parse_index_json(_read_bounded(prefix + INDEX_SUFFIX), prefix + INDEX_SUFFIX)
        return _data_path(prefix, index)
    except (OSError, errors.OpError):
        return None


def remove_abandoned_files(directory):
    """Deletes what dead saves left in `directory`: their temporary files, and data files
    that no live writer holds and that their checkpoint's index does not name. Returns the
    names removed."""
    from flowexec.train import bundle_checkpoint

    removed = remove_abandoned_temporaries(directory)
    removed += bundle_checkpoint.remove_abandoned_data_files(directory)
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return removed
    by_prefix = {}
    for name in sorted(names):
        m = _DATA_FILE.fullmatch(name)
        if m:
            by_prefix.setdefault(m.group(1), []).append(name)
    present = set(names)
    for base, data_names in by_prefix.items():
        if len(data_names) == 1 and base + INDEX_SUFFIX in present:
            continue  # the common case: the checkpoint's own data file
        prefix = os.path.join(directory, base)
        for name in data_names:
            path = os.path.join(directory, name)
            # Lock first, index second: a writer releases its data file only after its index
            # names it, so a file found unlocked and unnamed is never going to be named.
            if is_abandoned(path) and _named_data_file(prefix) != path:
                with contextlib.suppress(OSError):
                    os.remove(path)
                    removed.append(name)
    return removed


def _is_dtype_name(name):
    try:
        return isinstance(name, str) and dtypes.as_dtype(name).name == name
    except TypeError:
        return False


def _json_depth(raw):
    """The deepest nesting of arrays/objects in JSON bytes (strings ignored), iteratively."""
    stripped = re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', raw)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    opens = (codes == ord("[")) | (codes == ord("{"))
    closes = (codes == ord("]")) | (codes == ord("}"))
    if not codes.size:
        return 0
    return int(np.cumsum(opens.astype(np.int64) - closes.astype(np.int64)).max())


def _read_bounded(path):
    """The bytes of a file, or its first MAX_INDEX_BYTES + 1 if it is larger."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        return f.read(min(size, MAX_INDEX_BYTES) + 1)


def _parse_index_json(raw, index_path):
    """The index dict, with its header fields checked (DataLossError if not)."""
    if len(raw) > MAX_INDEX_BYTES:
        raise _data_loss(f"Checkpoint index {index_path} is corrupt: larger than "
                         f"{MAX_INDEX_BYTES} bytes.")
    if _json_depth(raw) > MAX_INDEX_DEPTH:
        raise _data_loss(f"Checkpoint index {index_path} is corrupt: JSON nested deeper than "
                         f"{MAX_INDEX_DEPTH} levels.")
    try:
        index = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _data_loss(f"Checkpoint index {index_path} is corrupt (not JSON: {e}).") from e
    if not isinstance(index, dict) or index.get("format") != FORMAT_NAME:
        raise _data_loss(f"Checkpoint index {index_path} is not a {FORMAT_NAME} index.")
    version = index.get("version")
    if type(version) is not int or version < 1:
        raise _data_loss(f"Checkpoint index {index_path} has an invalid version {version!r}.")
    if version > FORMAT_VERSION:
        raise errors.UnimplementedError(
            None, None, f"Checkpoint index {index_path} has format version {version}; this "
            f"flowexec reads versions up to {FORMAT_VERSION}.")
    size = index.get("data_size")
    if not isinstance(index.get("variables"), list) or type(size) is not int or size < 0:
        raise _data_loss(f"Checkpoint index {index_path} is corrupt: no variable list or "
                         "data size.")
    return index


def _data_path(prefix, index):
    """The data file of a parsed index; DataLossError for a name that is not its own."""
    directory, base = os.path.split(prefix)
    if index["version"] == 1:
        return prefix + LEGACY_DATA_SUFFIX
    name = index.get("data_file")
    m = _DATA_FILE.fullmatch(name) if isinstance(name, str) else None
    if m is None or m.group(1) != base:
        raise _data_loss(f"Checkpoint index {prefix + INDEX_SUFFIX} is corrupt: data file "
                         f"{name!r} is not a data file of checkpoint {base!r}.")
    return os.path.join(directory, name)


def _expected_numpy_dtype(rec):
    """The numpy dtype an entry's bytes have, or None if the entry's dtypes are invalid."""
    text = rec.get("numpy_dtype")
    if not _is_dtype_name(rec.get("dtype")) or not isinstance(text, str) or \
            not _NUMPY_DTYPE.fullmatch(text):
        return None
    try:
        dt = np.dtype(text)
    except (TypeError, ValueError):
        return None
    if rec["dtype"] == dtypes.string.name:
        return dt if dt.kind == "S" and dt.itemsize >= 1 else None
    want = np.dtype(dtypes.as_dtype(rec["dtype"]).as_numpy_dtype)
    return dt if dt.newbyteorder("=") == want.newbyteorder("=") and \
        dt.kind != "O" else None


def _check_record(rec, data_size):
    """A validated index entry with "np_dtype" and "nbytes" added, or None if invalid."""
    if not isinstance(rec, dict) or not isinstance(rec.get("name"), str) or \
            not isinstance(rec.get("key"), str) or type(rec.get("crc32")) is not int or \
            not 0 <= rec["crc32"] <= 0xFFFFFFFF:
        return None
    shape = rec.get("shape")
    if not isinstance(shape, list) or len(shape) > MAX_RANK or \
            not all(type(d) is int and d >= 0 for d in shape):
        return None
    dt = _expected_numpy_dtype(rec)
    if dt is None:
        return None
    nbytes = 0 if 0 in shape else dt.itemsize
    for d in shape:
        nbytes *= d
        if nbytes > data_size:  # more than the data file holds (Python ints never overflow)
            return None
    return dict(rec, np_dtype=dt, nbytes=nbytes)


def read_index(prefix):
    """The parsed, validated index of the checkpoint at `prefix`.

    Returns:
        (index, {name: entry}): the index's fields, with "data_path" the data file's path,
        and its entries, each with "np_dtype" and "nbytes" (its size in the data file).

    Raises:
        NotAValidCheckpointError: there is no index.
        DataLossError: the index is damaged; the message names it.
        UnimplementedError: a newer format version.
        PermissionDeniedError, ...: the index cannot be read.
    """
    index_path = prefix + INDEX_SUFFIX
    try:
        raw = _read_bounded(index_path)
    except FileNotFoundError as e:
        raise NotAValidCheckpointError(
            None, None, "The passed save_path is not a valid checkpoint: " + prefix) from e
    except OSError as e:
        raise os_error(e, f"Cannot read checkpoint index {index_path}") from e
    index = _parse_index_json(raw, index_path)
    index["data_path"] = _data_path(prefix, index)
    by_name, keys = {}, set()
    for rec in index["variables"]:
        checked = _check_record(rec, index["data_size"])
        if checked is None:
            raise _data_loss(f"Checkpoint index {index_path} is corrupt: bad entry "
                             f"{_excerpt(rec)}.")
        if checked["name"] in by_name or checked["key"] in keys:
            raise _data_loss(f"Checkpoint index {index_path} is corrupt: two entries for "
                             f"{checked['name']!r} or its key {checked['key']!r}.")
        keys.add(checked["key"])
        by_name[checked["name"]] = checked
    return index, by_name


def _excerpt(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# What reading a damaged zip or .npy member can raise (zipfile: BadZipFile, NotImplementedError
# for unknown compression, RuntimeError for encryption; numpy's header parser: ValueError,
# SyntaxError; struct and zlib errors; OverflowError for absurd offsets).
_READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error, KeyError,
                NotImplementedError, RuntimeError, SyntaxError, OverflowError, TypeError,
                UnicodeDecodeError)


def _read_member(zf, rec, where):
    """The array of one entry, its .npy header checked against the index before any data
    is read (DataLossError naming `where` on any mismatch or damage)."""
    try:
        info = zf.getinfo(rec["key"] + ".npy")
    except KeyError:
        raise _data_loss(f"Missing {where}, which the index lists.") from None
    if info.flag_bits & 0x1:
        raise _data_loss(f"Corrupt {where}: the member is encrypted.")
    with zf.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dt = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dt = np.lib.format.read_array_header_2_0(member)
        else:
            raise _data_loss(f"Corrupt {where}: .npy format version {version} is not one "
                             "a checkpoint is written in.")
        if dt != rec["np_dtype"] or list(shape) != rec["shape"] or fortran:
            order = " (Fortran order)" if fortran else ""
            raise _data_loss(
                f"Corrupt {where}: stored as {dt.str} {list(shape)}{order}, the index says "
                f"{rec['numpy_dtype']} {rec['shape']}.")
        nbytes = rec["nbytes"]
        if info.file_size - member.tell() != nbytes:
            raise _data_loss(
                f"Corrupt {where}: the member holds {info.file_size - member.tell()} bytes of "
                f"data, its shape and dtype need {nbytes}.")
        buf = bytearray(nbytes)
        view, pos = memoryview(buf), 0
        while pos < nbytes:
            chunk = member.read(min(_READ_CHUNK, nbytes - pos))
            if not chunk:
                raise _data_loss(f"Corrupt {where}: truncated after {pos} of {nbytes} bytes.")
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
        member.read(1)  # reaching the member's end makes zipfile check its CRC-32
    return np.frombuffer(buf, dtype=dt).reshape(shape)


def load_values(prefix, index, records):
    """{name: verified array} for the `read_index` entries `records`.

    Raises:
        NotFoundError: the data file is missing (DataFileReplacedError when a later save
            replaced the checkpoint meanwhile: read the index again).
        DataLossError: the data file is damaged or does not match the index; the message
            names the file and the variable.
    """
    data_path = index["data_path"]
    names = [rec["name"] for rec in records]
    try:
        f = open(data_path, "rb")  # noqa: SIM115 (closed by `with f` below)
    except FileNotFoundError as e:
        if _named_data_file(prefix) not in (None, data_path):
            raise DataFileReplacedError(
                None, None, f"Checkpoint data file {data_path} was replaced by a later save "
                f"of {prefix}.") from e
        raise errors.NotFoundError(
            None, None, f"Checkpoint data file {data_path} not found (variables "
            f"{_names_excerpt(names)}).") from e
    except OSError as e:
        raise os_error(e, f"Cannot read checkpoint data file {data_path}") from e
    values = {}
    with f:
        size = os.fstat(f.fileno()).st_size
        if size != index["data_size"]:
            raise _data_loss(
                f"Checkpoint data file {data_path} is {size} bytes but its index records "
                f"{index['data_size']}: the file is truncated or was replaced; cannot restore "
                f"variables {_names_excerpt(names)}.")
        try:
            zf = zipfile.ZipFile(f)
        except _READ_ERRORS as e:
            raise _data_loss(f"Checkpoint data file {data_path} is corrupt ({e}); cannot "
                             f"restore variables {_names_excerpt(names)}.") from e
        with zf:
            for rec in records:
                name, key = rec["name"], rec["key"]
                where = f"variable '{name}' (key '{key}') in checkpoint data file {data_path}"
                try:
                    arr = _read_member(zf, rec, where)
                except errors.OpError:
                    raise
                except _READ_ERRORS as e:
                    raise _data_loss(f"Cannot read {where}: {type(e).__name__}: {e}") from e
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
    """Deletes a checkpoint's files, of either format: the index first, so that no index
    outlives its data, then the data file it named and any other data file of this prefix
    (flowexec's and TF's bundle data files)."""
    from flowexec.train import bundle_checkpoint

    directory, base = os.path.split(checkpoint_prefix)
    named = _named_data_file(checkpoint_prefix)
    remove_if_exists(checkpoint_prefix + INDEX_SUFFIX)
    fsync_dir(directory or ".")
    if named is not None:
        remove_if_exists(named)
    remove_if_exists(checkpoint_prefix + LEGACY_DATA_SUFFIX)
    bundle_checkpoint.remove_data_files(checkpoint_prefix)
    with contextlib.suppress(OSError):
        for name in os.listdir(directory or "."):
            m = _DATA_FILE.fullmatch(name)
            if m and m.group(1) == base:
                remove_if_exists(os.path.join(directory, name))
