"""signal_framing: `tf.signal.frame` (a signal's axis cut into overlapping frames) and
`tf.signal.overlap_and_add` (its adjoint: frames summed back at a hop), composed of Reshape,
Slice, Pad, GatherV2, Transpose and Sum, so both are differentiable and run on shapes known only
when the graph runs (a tensor `frame_length`, `frame_step` or `axis`; unknown dimensions).

`frame` gathers whole blocks of gcd(frame_length, frame_step) samples when both are static
(one block of a sample otherwise); `overlap_and_add` splits each frame into
ceil(frame_length / frame_step) hop-sized segments and sums the segments that land on the same
hop with one reshape trick, never a loop. Static output shapes follow TF's inference.
"""

import math

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns


def _static_int(t):
    v = shape_fns.constant_value(t)
    return None if v is None else int(v)


def _imax(a, b):
    """max(a, b) in Python when both are ints (so static sizes stay static), else Maximum."""
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    return _m.maximum(a, b)


def _scalar_int(value, name):
    t = convert_to_tensor(value, name=name)
    t.shape.assert_has_rank(0)
    return t


def _frame_shape(signal, frame_length, frame_step, pad_end, axis):
    """TF's static shape of `frame`'s result (None: unknown rank)."""
    if signal.shape.ndims is None:
        return None
    if axis is None:
        return [None] * (signal.shape.ndims + 1)
    dims = signal.shape.as_list()
    rank = len(dims)
    if not -rank <= axis < rank:
        raise IndexError(f"axis {axis} is out of range for a signal of rank {rank}")
    axis %= rank
    n = dims[axis]
    num_frames = None
    if n is not None and frame_step is not None and pad_end:
        num_frames = max(0, -(-n // frame_step))
    elif n is not None and frame_step is not None and frame_length is not None:
        num_frames = max(0, (n - frame_length + frame_step) // frame_step)
    return dims[:axis] + [num_frames, frame_length] + dims[axis + 1:]


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Expands `signal`'s `axis` dimension into frames of `frame_length` samples taken every
    `frame_step` samples: `[..., N, ...]` becomes `[..., num_frames, frame_length, ...]`.

    Without `pad_end`, num_frames = max(0, 1 + (N - frame_length) // frame_step) (only frames
    inside the signal); with it, num_frames = ceil(N / frame_step) and the missing samples
    are `pad_value`.

    Args:
        signal: a `[..., samples, ...]` Tensor of rank >= 1; the rank and dimensions may be
            unknown.
        frame_length: the frame length in samples (int or scalar integer Tensor).
        frame_step: the hop in samples (int or scalar integer Tensor).
        pad_end: pad the end of the signal so that every frame starting in it is produced.
        pad_value: the scalar padding value (with `pad_end`).
        axis: the axis to frame (int or scalar integer Tensor; negative counts from the end).
        name: optional name scope.

    Returns:
        A Tensor of frames, `[..., num_frames, frame_length, ...]`, of `signal`'s dtype.

    Raises:
        ValueError: `signal` has rank 0, or `frame_length`, `frame_step`, `pad_value` or
            `axis` is not a scalar.
        IndexError: a static `axis` outside the static rank of `signal`.

    Example:
        >>> tf.signal.frame([1, 2, 3, 4, 5], 3, 2)  # [[1, 2, 3], [3, 4, 5]]
    """
    with name_scope(name, "frame", [signal, frame_length, frame_step, pad_value]):
        signal = convert_to_tensor(signal, name="signal")
        frame_length = _scalar_int(frame_length, "frame_length")
        frame_step = _scalar_int(frame_step, "frame_step")
        axis = _scalar_int(axis, "axis")
        signal.shape.with_rank_at_least(1)
        length_s, step_s, axis_s = (_static_int(frame_length), _static_int(frame_step),
                                    _static_int(axis))
        result_shape = _frame_shape(signal, length_s, step_s, pad_end, axis_s)
        # sizes known while building are Python ints, so the shapes below stay static
        frame_length = length_s if length_s is not None else _m.cast(frame_length, dtypes.int32)
        frame_step = step_s if step_s is not None else _m.cast(frame_step, dtypes.int32)

        shape = _a.shape(signal)
        rank = signal.shape.ndims
        if rank is not None and axis_s is not None:
            axis = axis_s % rank
            rank_t = rank
            samples = signal.shape.as_list()[axis]
        else:
            rank_t = _a.rank(signal)
            axis = _a.range(rank_t)[_m.cast(axis, dtypes.int32)]
            samples = None
        outer, inner = shape[:axis], shape[axis + 1:]
        if samples is None:
            samples = shape[axis]

        if pad_end:
            pad_value = convert_to_tensor(pad_value, dtype=signal.dtype, name="pad_value")
            pad_value.shape.assert_has_rank(0)
            num_frames = -(-samples // frame_step)
            extra = _imax(0, frame_length + frame_step * (num_frames - 1) - samples)
            paddings = _a.concat([_a.zeros(_a.stack([axis, 2]), dtypes.int32),
                                  _a.reshape(_a.stack([0, extra]), [1, 2]),
                                  _a.zeros(_a.stack([rank_t - 1 - axis, 2]), dtypes.int32)], 0)
            signal = _a.pad(signal, paddings, constant_values=pad_value)
            samples = samples + extra
        else:
            num_frames = _imax(0, 1 + (samples - frame_length) // frame_step)

        # Blocks of `block` samples: each frame is frame_length // block whole blocks starting
        # at block frame_index * (frame_step // block), so one gather picks them all.
        block = math.gcd(length_s, step_s) if length_s and step_s else 1
        blocks_per_frame = frame_length // block
        blocks_per_hop = frame_step // block
        num_blocks = samples // block
        kept = _a.slice(signal, _a.zeros_like(_a.shape(signal)),
                        _a.concat([outer, _a.reshape(num_blocks * block, [1]), inner], 0))
        blocks = _a.reshape(kept, _a.concat(
            [outer, _a.stack([num_blocks, block]), inner], 0))
        starts = _a.reshape(_a.range(num_frames) * blocks_per_hop, [-1, 1])
        selector = starts + _a.reshape(_a.range(blocks_per_frame), [1, -1])
        gathered = _a.gather(blocks, selector, axis=axis)
        frames = _a.reshape(gathered, _a.concat(
            [outer, _a.stack([num_frames, frame_length]), inner], 0))
        if result_shape is not None:
            frames.set_shape(result_shape)
        return frames


def overlap_and_add(signal, frame_step, name=None):
    """Sums frames `[..., frames, frame_length]` into a signal, frame f starting at sample
    f * frame_step: the result is `[..., (frames - 1) * frame_step + frame_length]`.

    Args:
        signal: a `[..., frames, frame_length]` Tensor of rank >= 2; dimensions may be unknown.
        frame_step: the hop in samples (int or scalar integer Tensor); it may exceed
            frame_length (gaps are zeros).
        name: optional name scope.

    Returns:
        A `[..., output_size]` Tensor of `signal`'s dtype.

    Raises:
        ValueError: `signal`'s rank is below 2, or `frame_step` is not a scalar integer.

    Example:
        >>> tf.signal.overlap_and_add([[1., 1., 1.], [2., 2., 2.]], 2)  # [1, 1, 3, 2, 2]
    """
    with name_scope(name, "overlap_and_add", [signal, frame_step]):
        signal = convert_to_tensor(signal, name="signal")
        signal.shape.with_rank_at_least(2)
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        frame_step.shape.assert_has_rank(0)
        if not frame_step.dtype.is_integer:
            raise ValueError(f"frame_step must be an integer. Got {frame_step.dtype}")
        step_s = _static_int(frame_step)
        frame_step = step_s if step_s is not None else _m.cast(frame_step, dtypes.int32)

        static_dims = signal.shape.as_list() if signal.shape.ndims is not None else None
        out_static = None
        if static_dims is not None:
            frames_s, length_s = static_dims[-2:]
            out_len = None
            if None not in (frames_s, length_s, step_s):
                out_len = length_s + step_s * (frames_s - 1)
            out_static = static_dims[:-2] + [out_len]

        shape = _a.shape(signal)
        outer = shape[:-2]
        frames_s = length_s = None
        if static_dims is not None:
            frames_s, length_s = static_dims[-2:]
        num_frames = frames_s if frames_s is not None else shape[-2]
        frame_length = length_s if length_s is not None else shape[-1]
        output_length = frame_length + frame_step * (num_frames - 1)

        def full(*inner):
            return _a.concat([outer, _a.stack(list(inner))], 0)

        if step_s is not None and static_dims is not None and static_dims[-1] == step_s:
            result = _a.reshape(signal, full(output_length), name="fast_path")
        else:
            # Cut each frame into `segments` hop-long pieces (zero-padded) and add `segments`
            # empty frames. Segment s of frame f belongs at hop f + s: laying the pieces out
            # segment-major ([S, F + S, hop]), flattening and re-reading the rows F + S - 1 at
            # a time shifts segment s by s rows, so a sum over segments is the overlap-add.
            segments = -(-frame_length // frame_step)
            outer_rank = _a.size(outer)
            paddings = _a.concat([
                _a.zeros(_a.stack([outer_rank, 2]), dtypes.int32),
                _a.reshape(_a.stack([0, segments, 0, segments * frame_step - frame_length]),
                           [2, 2])], 0)
            x = _a.pad(signal, paddings)
            x = _a.reshape(x, full(num_frames + segments, segments, frame_step))
            swap = convert_to_tensor([1, 0, 2], dtype=dtypes.int32)
            perm = _a.concat([_a.range(outer_rank), outer_rank + swap], 0)
            x = _a.transpose(x, perm)
            x = _a.reshape(x, full((num_frames + segments) * segments, frame_step))
            rows = (num_frames + segments - 1) * segments
            x = _a.slice(x, _a.zeros_like(_a.shape(x)),
                         _a.concat([outer, _a.stack([rows, frame_step])], 0))
            x = _a.reshape(x, full(segments, num_frames + segments - 1, frame_step))
            x = _m.reduce_sum(x, -3)
            x = _a.reshape(x, full((num_frames + segments - 1) * frame_step))
            result = _a.slice(x, _a.zeros_like(_a.shape(x)), full(output_length))
        if out_static is not None:
            result.set_shape(out_static)
        return result


__all__ = ["frame", "overlap_and_add"]
