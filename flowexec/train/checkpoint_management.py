"""The checkpoint state file and the checkpoint helpers of TF's checkpoint_management
(`get_checkpoint_state`, `update_checkpoint_state`, `latest_checkpoint`, ...).

Each checkpoint directory has a state file, "checkpoint", in TensorFlow's text format, so that
TF users and tools recognise it:

    model_checkpoint_path: "model.ckpt-100"
    all_model_checkpoint_paths: "model.ckpt-90"
    all_model_checkpoint_paths: "model.ckpt-100"

Paths of checkpoints in the state file's own directory are written relative to it, so the
directory can be moved (TF's `CheckpointManager` does the same; TF1's Saver writes absolute
paths unless `save_relative_paths`); readers resolve them against the directory, as TF's do.

The state file is replaced atomically (`atomic_file.atomic_write`): a reader sees the old or
the new file, never a partial one. The files of one checkpoint are the business of
`checkpoint_format`; this module only names checkpoints by prefix.
"""

import logging
import os
import re

from flowexec.train import checkpoint_format
from flowexec.train.atomic_file import atomic_write, remove_if_exists

_log = logging.getLogger(__name__)


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


def update_checkpoint_state_internal(save_dir, model_checkpoint_path,
                                     all_model_checkpoint_paths=None, latest_filename=None,
                                     save_relative_paths=False,
                                     all_model_checkpoint_timestamps=None,
                                     last_preserved_timestamp=None):
    """`update_checkpoint_state` with `save_relative_paths` (as TF's internal variant)."""
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
    atomic_write(filename, lambda f: f.write(payload))


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
    update_checkpoint_state_internal(save_dir, model_checkpoint_path, all_model_checkpoint_paths,
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
    return checkpoint_format.checkpoint_exists(os.fsdecode(os.fspath(checkpoint_prefix)))


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
        mtime = checkpoint_format.checkpoint_mtime(os.fsdecode(os.fspath(prefix)))
        if mtime is not None:
            mtimes.append(mtime)
    return mtimes


def meta_graph_filename(checkpoint_filename, meta_graph_suffix="meta"):
    """The name of the meta graph file that TF writes beside a checkpoint."""
    basename = re.sub(r"-[\d\?]+-of-\d+$", "", checkpoint_filename)
    return f"{basename}.{meta_graph_suffix}"


def remove_checkpoint(checkpoint_prefix, checkpoint_format_version=checkpoint_format.SaverDef.V2,
                      meta_graph_suffix="meta"):
    """Deletes a checkpoint's files (the index first, so it never outlives its data).

    Missing files are ignored.

    Args:
        checkpoint_prefix: the checkpoint's prefix.
        checkpoint_format_version: accepted for TF compatibility (the files of either
            format are found and removed).
        meta_graph_suffix: suffix of a meta graph file to delete too, if one exists.

    Example:
        >>> tf.train.remove_checkpoint("train/model.ckpt-1")
    """
    prefix = os.fsdecode(os.fspath(checkpoint_prefix))
    checkpoint_format.remove_checkpoint_files(prefix)
    remove_if_exists(meta_graph_filename(prefix, meta_graph_suffix))


__all__ = [
    "CheckpointState",
    "checkpoint_exists",
    "get_checkpoint_mtimes",
    "get_checkpoint_state",
    "latest_checkpoint",
    "meta_graph_filename",
    "remove_checkpoint",
    "update_checkpoint_state",
    "update_checkpoint_state_internal",
]
