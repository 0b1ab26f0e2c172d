"""TF's vocabulary remapping ops (gen_checkpoint_ops): GenerateVocabRemapping and
LoadAndRemapMatrix, which `tf.train.warm_start` uses to initialize a variable from a
checkpoint whose rows (or columns) belong to another vocabulary.

GenerateVocabRemapping maps each line of a new vocabulary file (from `new_vocab_offset`,
`num_new_vocab` of them) to its line number in the old vocabulary file, -1 when absent.
LoadAndRemapMatrix builds a `num_rows x num_cols` float matrix whose cell (i, j) is the
checkpoint tensor's (row_remapping[i], col_remapping[j]) (col_remapping empty: j), and where
either id is -1 the next of `initializing_values`, in row-major order.

Vocabulary files are read as TF's text-file tables read them: one entry per line, "\\n" or
"\\r\\n" ended, an empty line an error. Errors and messages are TF's. Both ops are host-only,
stateful (they read files) and not differentiable.
"""

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops.checkpoint_ops import _text

__all__ = ["generate_vocab_remapping", "load_and_remap_matrix"]


def _vocab_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
    except OSError as e:
        raise errors.InvalidArgumentError(None, None, f"{path}; {e.strerror}") from None
    lines, pos = [], 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        nxt = len(data) if end < 0 else end + 1
        line = data[pos:nxt].rstrip(b"\n")
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            raise errors.InvalidArgumentError(
                None, None, f"Invalid content in {path}: empty line found at position {nxt}.")
        lines.append(line)
        pos = nxt
    return lines


def _remap_infer(op):
    return [(dtypes.int64, TensorShape([op.attrs["num_new_vocab"]])),
            (dtypes.int32, TensorShape([]))]


@defop("GenerateVocabRemapping", infer=_remap_infer, stateful=True, device_types=("CPU",))
def _generate_vocab_remapping(xp, new_vocab_file, old_vocab_file, *, new_vocab_offset,
                              num_new_vocab, old_vocab_size=-1):
    new_path, old_path = _text(new_vocab_file), _text(old_vocab_file)
    old_lines = _vocab_lines(old_path)
    if old_vocab_size != -1:
        if old_vocab_size > len(old_lines):
            raise errors.InvalidArgumentError(
                None, None, f"Invalid vocab_size in {old_path}: expected {old_vocab_size} but "
                f"got {len(old_lines)}")
        old_lines = old_lines[:old_vocab_size]
    old_ids = {}
    for i, token in enumerate(old_lines):
        if token in old_ids:
            raise errors.FailedPreconditionError(
                None, None, "HashTable has different value for same key. Key "
                f"{token.decode('utf-8', 'replace')} has {old_ids[token]} and trying to add "
                f"value {i}")
        old_ids[token] = i
    new_lines = _vocab_lines(new_path)
    if new_vocab_offset + num_new_vocab > len(new_lines):
        raise errors.InvalidArgumentError(
            None, None, "lookup table size must be larger than last new vocab entry's line")
    wanted = new_lines[new_vocab_offset:new_vocab_offset + num_new_vocab]
    remapping = np.array([old_ids.get(t, -1) for t in wanted], dtype=np.int64)
    return remapping, np.int32(np.count_nonzero(remapping >= 0))


_generate_vocab_remapping.not_differentiable()


def _load_infer(op):
    return [(dtypes.float32, TensorShape([op.attrs["num_rows"], op.attrs["num_cols"]]))]


def _check_unique(ids):
    seen = {}
    for new_id, old_id in enumerate(ids.tolist()):
        if old_id < 0:
            continue
        if old_id in seen:
            raise errors.UnimplementedError(
                None, None, f"Old ID {old_id} is mapped to both new ID {seen[old_id]} and "
                f"{new_id}, which is not supported.")
        seen[old_id] = new_id


@defop("LoadAndRemapMatrix", infer=_load_infer, stateful=True, device_types=("CPU",))
def _load_and_remap_matrix(xp, ckpt_path, old_tensor_name, row_remapping, col_remapping,
                           initializing_values, *, num_rows, num_cols, max_rows_in_memory=-1):
    from flowexec.graph_io.checkpoint_reader import CheckpointReader

    rows = np.asarray(row_remapping, dtype=np.int64).reshape(-1)
    cols = np.asarray(col_remapping, dtype=np.int64).reshape(-1)
    init = np.asarray(initializing_values, dtype=np.float32).reshape(-1)
    if rows.size != num_rows:
        raise errors.InvalidArgumentError(
            None, None, f"Size of row_remapping is {rows.size} instead of being equal to "
            f"num_rows={num_rows}")
    if cols.size and cols.size != num_cols:
        raise errors.InvalidArgumentError(
            None, None, f"Provided col_remapping, but its size is {cols.size} instead of being "
            f"equal to num_cols={num_cols}")
    _check_unique(rows)
    _check_unique(cols)
    name = _text(old_tensor_name)
    old = np.asarray(CheckpointReader(_text(ckpt_path)).get_tensor(name))
    shape = ",".join(str(d) for d in old.shape)
    if old.ndim != 2:
        raise errors.InvalidArgumentError(
            None, None, f"Tensor {name} has shape [{shape}], expected a matrix")
    if not cols.size and old.shape[1] != num_cols:
        raise errors.InvalidArgumentError(
            None, None, f"Tensor {name} has shape [{shape}], where the size of its 2nd "
            f"dimension is {old.shape[1]} instead of being equal to num_cols={num_cols}")
    present_rows = rows[rows >= 0]
    if present_rows.size and present_rows.max() >= old.shape[0]:
        low = int(present_rows.min())
        raise errors.InternalError(
            None, None, f"Extent in dimension 0 out of bounds: shape = [{shape}], slice = "
            f"{low},{int(present_rows.max()) - low + 1}:-")
    if cols.size and cols.max() >= old.shape[1]:
        raise errors.InvalidArgumentError(
            None, None, f"col_remapping has id {int(cols.max())}, but tensor {name} has shape "
            f"[{shape}]")
    col_ids = cols if cols.size else np.arange(num_cols, dtype=np.int64)
    missing = (rows[:, None] < 0) | (col_ids[None, :] < 0)
    need = int(np.count_nonzero(missing))
    if init.size < need:
        raise errors.InvalidArgumentError(
            None, None, f"initializing_values contained {init.size} elements, but more "
            "missing values remain.")
    if init.size > need:
        raise errors.InvalidArgumentError(
            None, None, f"initializing_values contained {init.size} elements, but only "
            f"{need} elements were used to fill in missing values.")
    out = np.empty((num_rows, num_cols), dtype=np.float32)
    out[missing] = init  # boolean assignment fills in row-major order
    present = ~missing
    r_idx, c_idx = np.nonzero(present)
    out[present] = np.asarray(old, dtype=np.float32)[rows[r_idx], col_ids[c_idx]]
    return out


_load_and_remap_matrix.not_differentiable()


def generate_vocab_remapping(new_vocab_file, old_vocab_file, new_vocab_offset, num_new_vocab,
                             old_vocab_size=-1, name=None):
    """(remapping, num_present) from a new vocabulary's lines to an old one's line numbers
    (TF's `gen_checkpoint_ops.generate_vocab_remapping`).

    Args:
        new_vocab_file, old_vocab_file: string scalars, the vocabulary files' paths.
        new_vocab_offset: the first line of the new vocabulary to map.
        num_new_vocab: how many new lines to map.
        old_vocab_size: use only the first this many old lines (-1: all).

    Returns:
        An int64 vector (-1 for tokens not in the old vocabulary) and an int32 scalar, the
        number of tokens found.
    """
    from flowexec.framework.convert import convert_to_tensor

    return apply_op("GenerateVocabRemapping", convert_to_tensor(new_vocab_file, dtypes.string),
                    convert_to_tensor(old_vocab_file, dtypes.string),
                    new_vocab_offset=int(new_vocab_offset), num_new_vocab=int(num_new_vocab),
                    old_vocab_size=int(old_vocab_size),
                    name=name or "GenerateVocabRemapping")


def load_and_remap_matrix(ckpt_path, old_tensor_name, row_remapping, col_remapping,
                          initializing_values, num_rows, num_cols, max_rows_in_memory=-1,
                          name=None):
    """A float matrix loaded from a checkpoint tensor with its rows and columns remapped
    (TF's `gen_checkpoint_ops.load_and_remap_matrix`; see the module docstring).

    `max_rows_in_memory` is accepted (TF reads the checkpoint in chunks of this many rows;
    the result is the same).
    """
    from flowexec.framework.convert import convert_to_tensor

    col_remapping = convert_to_tensor(col_remapping, dtype=dtypes.int64)
    return apply_op("LoadAndRemapMatrix", convert_to_tensor(ckpt_path, dtypes.string),
                    convert_to_tensor(old_tensor_name, dtypes.string),
                    convert_to_tensor(row_remapping, dtype=dtypes.int64), col_remapping,
                    convert_to_tensor(initializing_values, dtype=dtypes.float32),
                    num_rows=int(num_rows), num_cols=int(num_cols),
                    max_rows_in_memory=int(max_rows_in_memory),
                    name=name or "LoadAndRemapMatrix")
