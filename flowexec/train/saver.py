"""`tf.train.Saver` and the checkpoint helpers (`latest_checkpoint`, `get_checkpoint_state`, ...).

A checkpoint is named by its prefix, e.g. "train/model.ckpt-100", and made of two files:

    <prefix>.npz    the values: an uncompressed numpy .npz (a zip of .npy members) that
                    `np.load(path, allow_pickle=False)` opens; string variables are stored as
                    fixed-width bytes arrays, never as pickled objects.
    <prefix>.index  JSON, written last: its presence means the checkpoint is complete. It holds
                    the format name and version, the data file's size, and per variable its
                    name in the checkpoint, its npz key, dtype, shape and the CRC-32 of its
                    bytes.

Each directory also has a state file, "checkpoint", in TensorFlow's text format, so that TF
users and tools recognise it:

    model_checkpoint_path: "model.ckpt-100"
    all_model_checkpoint_paths: "model.ckpt-90"
    all_model_checkpoint_paths: "model.ckpt-100"

Paths of checkpoints in the state file's own directory are written relative to it, so the
directory can be moved (TF's `CheckpointManager` does the same; TF1's Saver writes absolute
paths unless `save_relative_paths`); readers resolve them against the directory, as TF's do.

Crash safety: every file is written to a temporary file in the same directory, flushed,
fsync'd and `os.replace`d onto its name, then the directory is fsync'd. A save writes the
data file, then the index, then the state file, and only then deletes checkpoints beyond
`max_to_keep` (index first). A crash at any point leaves every earlier checkpoint intact and
no partly written file under a final name; a save that fails removes what it wrote.

Restoring reads the index, checks that every variable is present with the expected dtype,
shape and checksum before anything is assigned, then assigns all values in one
`Session.run` through placeholders and Assign ops that the Saver builds once, each colocated
with its variable (so a variable on a GPU is written on its GPU).

Thread-safety: a Saver, like TF's, is not thread-safe; call `save` from one thread at a time.
`Session.run` calls made by `save`/`restore` may run concurrently with other steps.
"""

import contextlib
import errno
import json
import logging
import numbers
import os
import re
import time
import uuid
import zipfile
import zlib

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import constant_op, state_ops
from flowexec.train import training_util
from flowexec.variables import Variable

_log = logging.getLogger(__name__)

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


class _NotAValidCheckpointError(errors.NotFoundError, ValueError):
    """No checkpoint at a prefix. TF 1.x's `Saver.restore` raises ValueError here and its
    restore op NotFoundError; this error is both, so either `except` clause catches it."""


def _data_loss(message):
    return errors.DataLossError(None, None, message)


def _names_excerpt(names, limit=5):
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _os_error(exc, what):
    """The TF error class for a failed file operation (as TF's file_io maps errno)."""
    cls = {
        errno.ENOENT: errors.NotFoundError,
        errno.EACCES: errors.PermissionDeniedError,
        errno.EPERM: errors.PermissionDeniedError,
        errno.ENOSPC: errors.ResourceExhaustedError,
        errno.EDQUOT: errors.ResourceExhaustedError,
        errno.EEXIST: errors.AlreadyExistsError,
    }.get(exc.errno, errors.UnknownError)
    return cls(None, None, f"{what}: {exc}")


# ----- atomic files --------------------------------------------------------------------------
def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # no directory handles on this platform (Windows): rename is the best
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems refuse fsync on a directory (EINVAL)
        pass
    finally:
        os.close(fd)


def _atomic_write(path, write_fn):
    """Writes `path` through `write_fn(binary file)` into a temporary file beside it, fsyncs
    it and renames it onto `path`; returns the file's size. On failure the temporary file is
    removed and `path` is untouched."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex[:12]}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write_fn(f)
            f.flush()
            os.fsync(f.fileno())
            size = os.fstat(f.fileno()).st_size
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
    return size


def _remove_if_exists(path):
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


# ----- values <-> stored arrays --------------------------------------------------------------
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


def _write_checkpoint(prefix, named_values):
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
    _remove_if_exists(index_path)
    data_size = _atomic_write(data_path, write_data)
    header = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION,
                         "data_format": "npz", "data_size": data_size, "checksum": "crc32"})
    # One line per variable keeps the index readable and diffable.
    payload = (header[:-1] + ', "variables": [\n'
               + ",\n".join("  " + json.dumps(r) for r in records) + "\n]}\n").encode("utf-8")
    try:
        _atomic_write(index_path, lambda f: f.write(payload))
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(data_path)
        raise


def _is_dtype_name(name):
    try:
        return isinstance(name, str) and dtypes.as_dtype(name).name == name
    except TypeError:
        return False


def _read_index(prefix):
    """The parsed, validated index of the checkpoint at `prefix` (DataLossError if not)."""
    index_path = prefix + INDEX_SUFFIX
    try:
        with open(index_path, "rb") as f:
            raw = f.read()
    except FileNotFoundError as e:
        raise _NotAValidCheckpointError(
            None, None, "The passed save_path is not a valid checkpoint: " + prefix) from e
    except OSError as e:
        raise _os_error(e, f"Cannot read checkpoint index {index_path}") from e
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


def _load_values(prefix, index, records):
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
        raise _os_error(e, f"Cannot read checkpoint data file {data_path}") from e
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


# ----- the checkpoint state file ------------------------------------------------------------
class CheckpointState:
    """The contents of a directory's "checkpoint" file (TF's CheckpointState proto).

    Attributes:
        model_checkpoint_path: the latest checkpoint's prefix.
        all_model_checkpoint_paths: the prefixes of the checkpoints kept, oldest first.
        all_model_checkpoint_timestamps: their save times (seconds since the epoch), if known.
        last_preserved_timestamp: the time of the last checkpoint kept by
            `keep_checkpoint_every_n_hours`, or 0.0.

    `str()` gives TF's text format.
    """

    def __init__(self, model_checkpoint_path="", all_model_checkpoint_paths=(),
                 all_model_checkpoint_timestamps=(), last_preserved_timestamp=0.0):
        self.model_checkpoint_path = model_checkpoint_path
        self.all_model_checkpoint_paths = list(all_model_checkpoint_paths)
        self.all_model_checkpoint_timestamps = list(all_model_checkpoint_timestamps)
        self.last_preserved_timestamp = last_preserved_timestamp

    def __eq__(self, other):
        return isinstance(other, CheckpointState) and str(self) == str(other)

    __hash__ = None

    def __repr__(self):
        return f"CheckpointState({str(self)!r})"

    def __str__(self):
        lines = []
        if self.model_checkpoint_path:
            lines.append(f'model_checkpoint_path: "{_c_escape(self.model_checkpoint_path)}"')
        lines += [f'all_model_checkpoint_paths: "{_c_escape(p)}"'
                  for p in self.all_model_checkpoint_paths]
        lines += [f"all_model_checkpoint_timestamps: {float(t)!r}"
                  for t in self.all_model_checkpoint_timestamps]
        if self.last_preserved_timestamp:
            lines.append(f"last_preserved_timestamp: {float(self.last_preserved_timestamp)!r}")
        return "".join(line + "\n" for line in lines)


class _ParseError(ValueError):
    pass


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "'": "\\'", "\\": "\\\\"}
_UNESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", '"': b'"', "'": b"'", "\\": b"\\",
              "a": b"\a", "b": b"\b", "f": b"\f", "v": b"\v", "?": b"?"}
_FIELD = re.compile(r"\s*([A-Za-z_]\w*)\s*:\s*(.*?)\s*")
_OCTAL = re.compile(r"[0-7]{1,3}")
_HEX = re.compile(r"[0-9A-Fa-f]{1,2}")


def _c_escape(text):
    """Protobuf's text-format escaping of a path (non-ASCII bytes as octal escapes)."""
    out = []
    for b in os.fsencode(text):
        ch = chr(b)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


def _c_unescape(raw):
    if len(raw) < 2 or raw[0] not in "\"'" or raw[-1] != raw[0]:
        raise _ParseError(f"expected a quoted string, got {raw!r}")
    body, out, i = raw[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i]
        if c == raw[0]:
            raise _ParseError(f"unescaped quote in {raw!r}")
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        esc = body[i + 1:i + 2]
        if esc in _UNESCAPES:
            out += _UNESCAPES[esc]
            i += 2
        elif (m := _OCTAL.match(body, i + 1)) is not None:
            if int(m.group(), 8) > 0xFF:
                raise _ParseError(f"octal escape out of range in {raw!r}")
            out.append(int(m.group(), 8))
            i = m.end()
        elif esc == "x" and (m := _HEX.match(body, i + 2)) is not None:
            out.append(int(m.group(), 16))
            i = m.end()
        else:
            raise _ParseError(f"invalid escape in {raw!r}")
    try:
        return os.fsdecode(bytes(out))
    except UnicodeDecodeError as e:  # only where the file system encoding is strict
        raise _ParseError(f"string is not a valid path: {raw!r}") from e


def _parse_state(text):
    state = CheckpointState()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _FIELD.fullmatch(line)
        if m is None:
            raise _ParseError(f"{lineno}: expected 'field: value', got {line!r}")
        field, raw = m.groups()
        try:
            if field == "model_checkpoint_path":
                state.model_checkpoint_path = _c_unescape(raw)
            elif field == "all_model_checkpoint_paths":
                state.all_model_checkpoint_paths.append(_c_unescape(raw))
            elif field == "all_model_checkpoint_timestamps":
                state.all_model_checkpoint_timestamps.append(float(raw))
            elif field == "last_preserved_timestamp":
                state.last_preserved_timestamp = float(raw)
            else:
                raise _ParseError(f'Message type "tensorflow.CheckpointState" has no field '
                                  f'named "{field}".')
        except ValueError as e:
            raise _ParseError(f"{lineno}: {e}") from e
    return state


def _state_filename(save_dir, latest_filename):
    return os.path.join(save_dir, latest_filename or "checkpoint")


def _state_path(path, save_dir, save_relative_paths):
    """How the state file in `save_dir` names the checkpoint `path`."""
    if os.path.dirname(os.path.abspath(path)) == os.path.abspath(save_dir or "."):
        return os.path.basename(path)
    if save_relative_paths or (not os.path.isabs(save_dir) and not os.path.isabs(path)):
        return os.path.relpath(path, save_dir or ".")
    return path


def _update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                             latest_filename=None, save_relative_paths=False,
                             all_model_checkpoint_timestamps=None,
                             last_preserved_timestamp=None):
    save_dir = os.fsdecode(os.fspath(save_dir))
    paths = list(all_model_checkpoint_paths or [])
    if not paths or paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    filename = _state_filename(save_dir, latest_filename)
    if os.path.abspath(filename) == os.path.abspath(model_checkpoint_path):
        raise RuntimeError(f"Save path '{model_checkpoint_path}' conflicts with path used for "
                           "checkpoint state.  Please use a different save path.")
    state = CheckpointState(
        _state_path(model_checkpoint_path, save_dir, save_relative_paths),
        [_state_path(p, save_dir, save_relative_paths) for p in paths],
        all_model_checkpoint_timestamps or (), last_preserved_timestamp or 0.0)
    payload = str(state).encode("utf-8")
    _atomic_write(filename, lambda f: f.write(payload))


def update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths=None,
                            latest_filename=None, all_model_checkpoint_timestamps=None,
                            last_preserved_timestamp=None):
    """Writes the state file of `save_dir` (atomically), as `Saver.save` does.

    Args:
        save_dir: the directory of the state file.
        model_checkpoint_path: the latest checkpoint's prefix.
        all_model_checkpoint_paths: the prefixes kept, oldest first; the latest is appended
            when it is not last.
        latest_filename: the state file's name (default "checkpoint").
        all_model_checkpoint_timestamps, last_preserved_timestamp: optional save times.

    Raises:
        RuntimeError: the state file would overwrite the checkpoint's path.

    Example:
        >>> tf.train.update_checkpoint_state("train", "train/model.ckpt-7")
        >>> tf.train.latest_checkpoint("train")
        'train/model.ckpt-7'
    """
    _update_checkpoint_state(save_dir, model_checkpoint_path, all_model_checkpoint_paths,
                             latest_filename, False, all_model_checkpoint_timestamps,
                             last_preserved_timestamp)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """Reads the state file of `checkpoint_dir`.

    Relative paths in it are joined to `checkpoint_dir`, as TF does. A missing or unreadable
    file gives None (an unparsable one is logged).

    Args:
        checkpoint_dir: the directory of the checkpoints.
        latest_filename: the state file's name (default "checkpoint").

    Returns:
        A `CheckpointState` with `model_checkpoint_path` and `all_model_checkpoint_paths`,
        or None.

    Raises:
        ValueError: the file parses but names no checkpoint.

    Example:
        >>> ckpt = tf.train.get_checkpoint_state("train")
        >>> if ckpt:
        ...     saver.restore(sess, ckpt.model_checkpoint_path)
    """
    checkpoint_dir = os.fsdecode(os.fspath(checkpoint_dir))
    filename = _state_filename(checkpoint_dir, latest_filename)
    try:
        with open(filename, "rb") as f:
            state = _parse_state(f.read().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, _ParseError) as e:
        _log.warning("%s: %s", type(e).__name__, e)
        _log.warning("%s: Checkpoint ignored", filename)
        return None
    if not state.model_checkpoint_path:
        raise ValueError("Invalid checkpoint state loaded from " + checkpoint_dir)
    if not os.path.isabs(state.model_checkpoint_path):
        state.model_checkpoint_path = os.path.join(checkpoint_dir, state.model_checkpoint_path)
    state.all_model_checkpoint_paths = [
        p if os.path.isabs(p) else os.path.join(checkpoint_dir, p)
        for p in state.all_model_checkpoint_paths]
    return state


def checkpoint_exists(checkpoint_prefix):
    """Whether a complete checkpoint exists at `checkpoint_prefix` (its index file does).

    Example:
        >>> tf.train.checkpoint_exists(saver.save(sess, "train/model.ckpt"))
        True
    """
    return os.path.isfile(os.fsdecode(os.fspath(checkpoint_prefix)) + INDEX_SUFFIX)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The prefix of the latest checkpoint recorded in `checkpoint_dir`'s state file, or None
    when there is none or its files are gone.

    Example:
        >>> saver.restore(sess, tf.train.latest_checkpoint("train"))
    """
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state and state.model_checkpoint_path:
        if checkpoint_exists(state.model_checkpoint_path):
            return state.model_checkpoint_path
        _log.error("Couldn't match files for checkpoint %s", state.model_checkpoint_path)
    return None


def get_checkpoint_mtimes(checkpoint_prefixes):
    """The modification times (seconds) of the checkpoints that exist among the prefixes.

    Example:
        >>> tf.train.get_checkpoint_mtimes(saver.last_checkpoints)
        [1700000000.5, 1700000060.25]
    """
    mtimes = []
    for prefix in checkpoint_prefixes:
        try:
            mtimes.append(os.stat(os.fsdecode(os.fspath(prefix)) + INDEX_SUFFIX).st_mtime_ns
                          / 1e9)
        except FileNotFoundError:
            continue
    return mtimes


def meta_graph_filename(checkpoint_filename, meta_graph_suffix="meta"):
    """The name of the meta graph file that TF writes beside a checkpoint."""
    basename = re.sub(r"-[\d\?]+-of-\d+$", "", checkpoint_filename)
    return ".".join([basename, meta_graph_suffix])


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=SaverDef.V2,
                      meta_graph_suffix="meta"):
    """Deletes a checkpoint's files (the index first, so it never outlives its data).

    Missing files are ignored.

    Args:
        checkpoint_prefix: the checkpoint's prefix.
        checkpoint_format_version: accepted for TF compatibility (one format here).
        meta_graph_suffix: suffix of a meta graph file to delete too, if one exists.

    Example:
        >>> tf.train.remove_checkpoint("train/model.ckpt-1")
    """
    prefix = os.fsdecode(os.fspath(checkpoint_prefix))
    for path in (prefix + INDEX_SUFFIX, prefix + DATA_SUFFIX,
                 meta_graph_filename(prefix, meta_graph_suffix)):
        _remove_if_exists(path)


# ----- Saver ---------------------------------------------------------------------------------
def _is_variable(var):
    return isinstance(var, Variable) or getattr(getattr(var, "op", None), "type", None) == \
        "VariableV2"


def _op_list_to_dict(var_list):
    if not isinstance(var_list, (list, tuple, set)):
        raise TypeError(f"Variables to save should be passed in a dict or a list: {var_list}")
    for var in var_list:
        if not _is_variable(var):
            raise TypeError(f"Variable to save is not a Variable: {var}")
    names = {}
    for var in sorted(var_list, key=lambda v: v.name):
        name = var.op.name
        if name in names:
            raise ValueError(f"At least two variables have the same name: {name}")
        names[name] = var
    return names


def _checked_dict(names_to_vars):
    seen = {}
    for name, var in names_to_vars.items():
        if not isinstance(name, str):
            raise TypeError(f"Names of variables to save must be strings, got {name!r}")
        if not _is_variable(var):
            raise TypeError("names_to_saveables must be a dict mapping string names to "
                            f"Tensors/Variables. Not a variable: {var}")
        if var.op in seen:
            raise ValueError(f"The same saveable will be restored with two names: {var}")
        seen[var.op] = name
    return dict(names_to_vars)


def _check_session(sess):
    from flowexec.runtime.session import BaseSession

    if not isinstance(sess, BaseSession):
        raise TypeError(f"'sess' must be a Session; {sess}")


class _Entry:
    """One saved variable: its checkpoint name, the variable, and its restore feed."""

    __slots__ = ("name", "var", "tensor", "placeholder")

    def __init__(self, name, var, placeholder):
        self.name = name
        self.var = var
        self.tensor = var.op.outputs[0]
        self.placeholder = placeholder


class Saver:
    """Saves and restores variables (TF1's `tf.train.Saver`).

    Args:
        var_list: the variables: None for every global variable (and SAVEABLE_OBJECTS),
            a list (saved under `var.op.name`), or a dict {checkpoint name: variable}.
        reshape: allow restoring a value of another shape with as many elements.
        sharded: accepted for TF compatibility; every checkpoint is one data file and one
            index, which is what TF's V2 format looks like to its users.
        max_to_keep: how many recent checkpoints to keep; older ones are deleted. None or 0
            keeps all (and does not track them).
        keep_checkpoint_every_n_hours: additionally keep one checkpoint per this many hours.
        name: name scope of the restore ops (default "save").
        restore_sequentially: accepted for TF compatibility; values are assigned in one step.
        saver_def, builder: not supported (flowexec has no SaverDef protos); must be None.
        defer_build: build the restore ops in `build()` instead of now.
        allow_empty: with no variables, make save/restore do nothing instead of raising.
        write_version: SaverDef.V1 or SaverDef.V2; accepted for TF compatibility (one format).
        pad_step_number: zero-pad the global step in names ("model-00000100").
        save_relative_paths: also write paths outside the state file's directory relative to
            it (paths inside it are always written relative).
        filename: accepted for TF compatibility (the default path of TF's save op).

    Raises:
        ValueError: duplicate names, no variables without `allow_empty`, `var_list` with
            `defer_build`, or `saver_def`/`builder` given.
        TypeError: `var_list` holds something that is not a variable.

    Example:
        >>> w = tf.Variable([1.0, 2.0], name="w")
        >>> saver = tf.train.Saver(max_to_keep=3)
        >>> with tf.Session() as sess:
        ...     sess.run(tf.global_variables_initializer())
        ...     path = saver.save(sess, "train/model.ckpt", global_step=100)
        >>> path
        'train/model.ckpt-100'
        >>> with tf.Session() as sess:
        ...     saver.restore(sess, tf.train.latest_checkpoint("train"))
    """

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=SaverDef.V2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        if defer_build and var_list:
            raise ValueError("If `var_list` is provided then build cannot be deferred. Either "
                             "set defer_build=False or var_list=None.")
        if saver_def is not None or builder is not None:
            raise ValueError("saver_def and builder are not supported: flowexec has no "
                             "SaverDef protos or saver builders; pass var_list instead.")
        if write_version not in (SaverDef.V1, SaverDef.V2):
            raise ValueError(f"write_version must be SaverDef.V1 or SaverDef.V2, got "
                             f"{write_version!r}")
        self._var_list = var_list
        self._reshape = bool(reshape)
        self._sharded = bool(sharded)
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        self._name = name
        self._restore_sequentially = restore_sequentially
        self._allow_empty = allow_empty
        self._write_version = write_version
        self._pad_step_number = pad_step_number
        self._save_relative_paths = save_relative_paths
        self._filename = filename
        self._is_built = False
        self._is_empty = None
        self._entries = []
        self._restore_op = None
        self._last_checkpoints = []          # [(prefix, save time)], oldest first
        self._checkpoints_to_be_deleted = []
        self._next_checkpoint_time = None
        if not defer_build:
            self.build()

    def build(self):
        """Collects the variables and builds the restore ops (once; later calls do nothing).

        Raises:
            ValueError: no variables (without `allow_empty`), duplicate names, or variables
                of several graphs.
        """
        if self._is_built:
            return
        var_list = self._var_list
        if var_list is None:
            graph = graph_mod.get_default_graph()
            var_list = (graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
                        + graph.get_collection(GraphKeys.SAVEABLE_OBJECTS))
        names_to_vars = (_checked_dict(var_list) if isinstance(var_list, dict)
                         else _op_list_to_dict(var_list))
        self._next_checkpoint_time = time.time() + self._keep_checkpoint_every_n_hours * 3600
        if not names_to_vars:
            if not self._allow_empty:
                raise ValueError("No variables to save")
            self._is_empty = True
            self._is_built = True
            return
        graphs = {var.op.graph for var in names_to_vars.values()}
        if len(graphs) != 1:
            raise ValueError("The variables of one Saver must all be in one graph.")
        graph = graphs.pop()
        entries = []
        with graph.as_default(), graph.control_dependencies(None), \
                graph.name_scope(self._name or "save"):
            for name in sorted(names_to_vars):
                var = names_to_vars[name]
                tensor = var.op.outputs[0]
                with state_ops.colocate(var.op):
                    ph = constant_op.placeholder(tensor.dtype, shape=tensor.shape,
                                                 name="restore_value")
                entries.append((_Entry(name, var, ph), state_ops.assign(
                    var, ph, validate_shape=tensor.shape.is_fully_defined())))
            self._restore_op = constant_op.group(*[a for _, a in entries], name="restore_all")
        self._entries = [e for e, _ in entries]
        self._is_empty = False
        self._is_built = True

    # ----- bookkeeping of recent checkpoints ----------------------------------------------
    @property
    def last_checkpoints(self):
        """The prefixes of the checkpoints this Saver keeps, oldest first."""
        return [p for p, _ in self._last_checkpoints]

    def set_last_checkpoints(self, last_checkpoints):
        """Deprecated: sets the kept checkpoints (never deleted: their time is +inf).

        Raises:
            TypeError: `last_checkpoints` is not a list.
        """
        if not isinstance(last_checkpoints, list):
            raise TypeError(f"last_checkpoints must be a list, got {last_checkpoints!r}")
        self._last_checkpoints = [(p, np.inf) for p in last_checkpoints]

    def set_last_checkpoints_with_time(self, last_checkpoints_with_time):
        """Sets the kept checkpoints as [(prefix, save time in seconds)], oldest first.

        Raises:
            TypeError: the argument is not a list.

        Example:
            >>> saver.set_last_checkpoints_with_time([("train/m-1", 1700000000.0)])
        """
        if not isinstance(last_checkpoints_with_time, list):
            raise TypeError("last_checkpoints_with_time must be a list, got "
                            f"{last_checkpoints_with_time!r}")
        self._last_checkpoints = list(last_checkpoints_with_time)

    def recover_last_checkpoints(self, checkpoint_paths):
        """Tracks the existing ones of `checkpoint_paths` (with their file times), e.g. after
        a restart, so that `max_to_keep` deletes them in turn.

        Example:
            >>> ckpt = tf.train.get_checkpoint_state("train")
            >>> saver.recover_last_checkpoints(ckpt.all_model_checkpoint_paths)
        """
        with_times = []
        for path in checkpoint_paths:
            mtime = get_checkpoint_mtimes([path])
            if mtime:
                with_times.append((path, mtime[0]))
        self.set_last_checkpoints_with_time(with_times)

    def _record_last_checkpoint(self, path):
        if not self._max_to_keep:
            return
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != path]
        self._last_checkpoints.append((path, time.time()))
        if len(self._last_checkpoints) > self._max_to_keep:
            self._checkpoints_to_be_deleted.append(self._last_checkpoints.pop(0))

    def _maybe_delete_old_checkpoints(self, meta_graph_suffix):
        if not self._checkpoints_to_be_deleted:
            return
        path, saved_at = self._checkpoints_to_be_deleted.pop(0)
        if saved_at > self._next_checkpoint_time:  # keep one per keep_checkpoint_every_n_hours
            self._next_checkpoint_time += self._keep_checkpoint_every_n_hours * 3600
            return
        try:
            remove_checkpoint(path, self._write_version, meta_graph_suffix)
        except OSError as e:
            _log.warning("Ignoring: %s", e)

    # ----- save / restore -----------------------------------------------------------------
    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False):
        """Saves the variables' values in `sess` as a checkpoint; returns its prefix.

        Args:
            sess: the Session whose values are saved.
            save_path: the checkpoint's prefix, e.g. "train/model.ckpt".
            global_step: an int, or an integer Tensor/Variable evaluated in `sess`, appended
                to the prefix ("train/model.ckpt-100").
            latest_filename: the state file's name (default "checkpoint").
            meta_graph_suffix: the suffix of meta graph files deleted with old checkpoints.
            write_meta_graph, strip_default_attrs, save_debug_info: accepted for TF
                compatibility; flowexec has no MetaGraphDef, so no ".meta" file is written.
            write_state: record the checkpoint in the state file and apply `max_to_keep`.

        Returns:
            The checkpoint's prefix (for `restore`), or None when the Saver is empty.

        Raises:
            RuntimeError: `build()` was deferred and not called.
            TypeError: `sess` is not a Session.
            ValueError: the directory does not exist, or `latest_filename` has a directory
                or collides with `save_path`.
            FailedPreconditionError: a variable is uninitialized in `sess`.
            UnimplementedError: a string variable holds a value the format cannot store.
            ResourceExhaustedError, PermissionDeniedError, UnknownError: writing failed; the
                earlier checkpoints are intact and nothing partial is left.

        Example:
            >>> saver.save(sess, "train/model.ckpt", global_step=step)
            'train/model.ckpt-100'
        """
        if not self._is_built:
            raise RuntimeError("`build()` should be called before save if defer_build==True")
        if latest_filename is None:
            latest_filename = "checkpoint"
        if os.path.split(latest_filename)[0]:
            raise ValueError("'latest_filename' must not contain path components")
        save_path = os.fsdecode(os.fspath(save_path))
        if global_step is not None:
            if not isinstance(global_step, (numbers.Integral, np.integer)):
                global_step = training_util.global_step(sess, global_step)
            step = f"{int(global_step):08d}" if self._pad_step_number else str(int(global_step))
            checkpoint_file = f"{save_path}-{step}"
        else:
            checkpoint_file = save_path
            if os.path.basename(save_path) == latest_filename and not self._sharded:
                raise ValueError(f"'latest_filename' collides with 'save_path': "
                                 f"'{latest_filename}' and '{save_path}'")
        _check_session(sess)
        if self._is_empty:
            return None
        save_dir = os.path.dirname(save_path)
        if not os.path.isdir(save_dir or "."):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        values = sess.run([e.var for e in self._entries])
        named = [(e.name, e.tensor.dtype, v) for e, v in zip(self._entries, values)]
        try:
            _write_checkpoint(checkpoint_file, named)
            if write_state:
                self._record_last_checkpoint(checkpoint_file)
                _update_checkpoint_state(save_dir, checkpoint_file, self.last_checkpoints,
                                         latest_filename, self._save_relative_paths)
                self._maybe_delete_old_checkpoints(meta_graph_suffix)
        except OSError as e:
            raise _os_error(e, f"Failed to save checkpoint {checkpoint_file}") from e
        return checkpoint_file

    def restore(self, sess, save_path):
        """Restores the variables in `sess` from the checkpoint at `save_path`.

        Every variable is checked (present, dtype, shape, checksum) before any is assigned,
        so a failed restore changes nothing. Restoring also initializes the variables.

        Args:
            sess: the Session to restore into.
            save_path: a prefix returned by `save` or `latest_checkpoint`.

        Raises:
            ValueError: `save_path` is None.
            NotFoundError: no checkpoint at `save_path` ("The passed save_path is not a valid
                checkpoint: ..."; the error is also a ValueError, which TF 1.x raises), a
                variable is not in it ("Key <name> not found in checkpoint ..."), or its
                data file is gone.
            InvalidArgumentError: a variable's dtype or shape differs from the graph's.
            DataLossError: the index or data file is corrupt or truncated, or a checksum
                does not match; the message names the file and the variable.
            RuntimeError: `build()` was deferred and not called.
            TypeError: `sess` is not a Session.

        Example:
            >>> saver.restore(sess, "train/model.ckpt-100")
        """
        if self._is_empty:
            return
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        if not self._is_built:
            raise RuntimeError("`build()` should be called before restore if "
                               "defer_build==True")
        prefix = os.fsdecode(os.fspath(save_path))
        if not checkpoint_exists(prefix):
            raise _NotAValidCheckpointError(
                None, None, "The passed save_path is not a valid checkpoint: " + prefix)
        _check_session(sess)
        _log.info("Restoring parameters from %s", prefix)
        index, records = _read_index(prefix)
        index_path = prefix + INDEX_SUFFIX
        for e in self._entries:
            if e.name not in records:
                raise errors.NotFoundError(
                    None, None, "Restoring from checkpoint failed. This is most likely due to "
                    "a Variable name or other graph key that is missing from the checkpoint. "
                    f"Key {e.name} not found in checkpoint {index_path}")
            rec = records[e.name]
            if rec["dtype"] != e.tensor.dtype.name:
                raise errors.InvalidArgumentError(
                    None, None, "Expected to restore a tensor of type "
                    f"{e.tensor.dtype.proto_name}, got a tensor of type "
                    f"{dtypes.as_dtype(rec['dtype']).proto_name} instead: tensor_name = "
                    f"{e.name} (variable '{e.var.op.name}', checkpoint {index_path})")
            self._check_shape(e, rec["shape"], index_path)
        values = _load_values(prefix, index, [records[e.name] for e in self._entries])
        feed = {}
        for e in self._entries:
            value = values[e.name]
            if e.tensor.shape.is_fully_defined() and \
                    list(value.shape) != e.tensor.shape.as_list():
                value = value.reshape(e.tensor.shape.as_list())  # allowed by _check_shape
            feed[e.placeholder] = value
        sess.run(self._restore_op, feed)

    def _check_shape(self, entry, shape, index_path):
        var_shape = entry.tensor.shape
        if var_shape.is_compatible_with(TensorShape(shape)):
            return
        if self._reshape and var_shape.is_fully_defined() and \
                var_shape.num_elements() == int(np.prod(shape, dtype=np.int64)):
            return
        lhs, rhs = var_shape.proto_str(), TensorShape(shape).proto_str()
        raise errors.InvalidArgumentError(
            None, None, f"Restoring variable '{entry.var.op.name}' (key {entry.name}) from "
            f"checkpoint {index_path} failed: it has shape {lhs} in the graph but {rhs} in "
            f"the checkpoint. Assign requires shapes of both tensors to match. lhs shape= "
            f"{lhs} rhs shape= {rhs}")


__all__ = [
    "CheckpointState",
    "Saver",
    "SaverDef",
    "checkpoint_exists",
    "get_checkpoint_mtimes",
    "get_checkpoint_state",
    "latest_checkpoint",
    "meta_graph_filename",
    "remove_checkpoint",
    "update_checkpoint_state",
]
