"""gather_tree_ops: TF 1.x's GatherTree op (tensorflow/contrib/seq2seq/ops/beam_search_ops.cc),
used by `tf.contrib.seq2seq.BeamSearchDecoder.finalize` to turn per-step beam search
choices into whole sequences.

`step_ids` and `parent_ids` are int32 `[max_time, batch_size, beam_width]`: at time `t`,
beam `k` of batch entry `b` chose token `step_ids[t, b, k]` and continued beam
`parent_ids[t, b, k]` of time `t - 1`. For each (b, k) the kernel walks back from
`L = min(max_time, max_sequence_lengths[b])`: `beams[L-1] = step_ids[L-1, b, k]`, then
`parent = parent_ids[L-1, b, k]` and `beams[t] = step_ids[t, b, parent]`,
`parent = parent_ids[t, b, parent]` for t = L-2 .. 0. Every position past `L` and every
position after the first `end_token` of the walked beam is `end_token` (as TF's CPU kernel).
A parent outside [0, beam_width] met on the way is TF's InvalidArgumentError "Saw invalid
parent id ..." (TF's CPU check lets `parent == beam_width` through and then reads out of
bounds; here that is an error too). Not differentiable (integer ids).
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import EXPENSIVE, apply_op, defop
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns

__all__ = ["gather_tree"]

_NAMES = ("step_ids", "parent_ids", "max_sequence_lengths", "end_token")


def _infer(op):
    step, parent, lengths, end = op.inputs
    for i, t in enumerate(op.inputs):
        if t.dtype.base_dtype is not dtypes.int32:
            raise TypeError(f"Input '{_NAMES[i]}' of 'GatherTree' Op has type {t.dtype.name} "
                            "that does not match expected type of int32.")
    for t, rank in ((step, 3), (parent, 3), (lengths, 1), (end, 0)):
        if t.shape.ndims is not None and t.shape.ndims != rank:
            raise shape_fns.shape_error(
                op, f"Shape must be rank {rank} but is rank {t.shape.ndims}")
    try:
        dims = step.shape.merge_with(parent.shape).with_rank(3).as_list()
        lb = lengths.shape.with_rank(1).as_list()[0]
    except ValueError as e:
        raise shape_fns.shape_error(op, str(e)) from e
    if dims[1] is not None and lb is not None and dims[1] != lb:
        raise shape_fns.shape_error(op, f"Dimensions must be equal, but are {dims[1]} and {lb}")
    dims[1] = dims[1] if dims[1] is not None else lb
    return [(dtypes.int32, TensorShape(dims))]


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


@defop("GatherTree", infer=_infer, cost=EXPENSIVE, device_types=("CPU",))
def _gather_tree(xp, step_ids, parent_ids, max_sequence_lengths, end_token, **_):
    step = xp.asarray(step_ids)
    parent = xp.asarray(parent_ids)
    lengths = xp.asarray(max_sequence_lengths)
    end = xp.asarray(end_token)
    if step.ndim != 3:
        raise _invalid(f"step_ids must be a 3-tensor, saw shape: {list(step.shape)}")
    if lengths.ndim != 1:
        raise _invalid(f"max_sequence_lengths must be a vector, saw shape: "
                       f"{list(lengths.shape)}")
    if end.ndim != 0:
        raise _invalid(f"end_token must be a scalar, saw shape: {list(end.shape)}")
    if step.shape != parent.shape:
        raise _invalid(f"step_ids.shape must match parent_ids.shape.  but shapes are: "
                       f"{list(step.shape)} and {list(parent.shape)}")
    if step.shape[1] != lengths.shape[0]:
        raise _invalid(f"batch size dimensions step_ids.shape[1] and max_seqeuence_lengths."
                       f"shape[0] must match.  but shapes are: {list(step.shape)} and "
                       f"{list(lengths.shape)}")
    max_time, batch_size, beam_width = step.shape
    end = int(end)
    # The walk is sequential per beam and tiny: host integers, one Python loop.
    step_h = step.tolist()
    parent_h = parent.tolist()
    beams = [[[end] * beam_width for _ in range(batch_size)] for _ in range(max_time)]
    for b in range(batch_size):
        length = min(max_time, int(lengths[b]))
        if length <= 0:
            continue
        for k in range(beam_width):
            beams[length - 1][b][k] = step_h[length - 1][b][k]
            p = parent_h[length - 1][b][k]
            for t in range(length - 2, -1, -1):
                if p < 0 or p >= beam_width:
                    raise _invalid(f"Saw invalid parent id {p} at (batch, time, beam) == "
                                   f"({b}, {t}, {k})")
                beams[t][b][k] = step_h[t][b][p]
                p = parent_h[t][b][p]
            finished = False
            for t in range(length):
                if finished:
                    beams[t][b][k] = end
                elif beams[t][b][k] == end:
                    finished = True
    return xp.asarray(beams, dtype=xp.int32).reshape(step.shape)


_gather_tree.not_differentiable()


def gather_tree(step_ids, parent_ids, max_sequence_lengths, end_token, name=None):
    """The full beams from per-step ids and parent beam ids (op type GatherTree).

    Args:
        step_ids: int32 `[max_time, batch_size, beam_width]`, the token each beam chose.
        parent_ids: int32 `[max_time, batch_size, beam_width]`, the beam each continued.
        max_sequence_lengths: int32 `[batch_size]`, how many steps to walk back from.
        end_token: int32 scalar; fills every position past the length and after the first
            end token of a beam.
        name: the op's name (default "GatherTree").

    Returns:
        An int32 Tensor `[max_time, batch_size, beam_width]`: `beams[:, b, k]` is the token
        sequence that ends in beam `k`.

    Raises:
        TypeError: an input that is not int32.
        ValueError: inputs of the wrong rank or mismatched shapes (at build time).
        InvalidArgumentError (at run time): a parent id outside [0, beam_width) met on the
            walk back ("Saw invalid parent id -1 at (batch, time, beam) == (0, 0, 1)").

    Example:
        >>> step = [[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]], [[-1, -1, -1]]]
        >>> parent = [[[0, 0, 0]], [[0, 1, 1]], [[2, 1, 2]], [[-1, -1, -1]]]
        >>> gather_tree(step, parent, [3], 10)[:, 0, :]
        >>> # [[2, 2, 2], [6, 5, 6], [7, 8, 9], [10, 10, 10]]
    """
    with name_scope(name, "GatherTree", [step_ids, parent_ids, max_sequence_lengths]) as scope:
        step_ids = convert_to_tensor(step_ids, dtype=dtypes.int32, name="step_ids")
        parent_ids = convert_to_tensor(parent_ids, dtype=dtypes.int32, name="parent_ids")
        max_sequence_lengths = convert_to_tensor(max_sequence_lengths, dtype=dtypes.int32,
                                                 name="max_sequence_lengths")
        end_token = convert_to_tensor(end_token, dtype=dtypes.int32, name="end_token")
        return apply_op("GatherTree", step_ids, parent_ids, max_sequence_lengths, end_token,
                        name=scope)
