"""signal_stft: the short-time Fourier transform of `tf.signal` — `stft` (frame, window, RFFT),
`inverse_stft` (IRFFT, crop or pad to the frame, window, overlap-add) and
`inverse_stft_window_fn` (the forward window divided by the overlap-added squared forward
window, Griffin-Lim's least-squares synthesis window, giving perfect reconstruction).

As TF: the default window is the periodic Hann window and the default `fft_length` is the
smallest power of two >= `frame_length`; a tensor `frame_length` works (the power of two is then
computed in the graph, in float32).
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns
from flowexec.ops import signal_framing as _framing
from flowexec.ops import signal_windows as _windows
from flowexec.ops import spectral_ops as _s


def _scalar(value, name):
    t = convert_to_tensor(value, name=name)
    t.shape.assert_has_rank(0)
    return t


def _enclosing_power_of_two(value):
    """2**ceil(log2(value)) as a tensor of value's dtype (TF's float formula, so that a
    static and a fed length agree)."""
    static = shape_fns.constant_value(value)
    if static is not None:
        return convert_to_tensor(int(2 ** np.ceil(np.log(static) / np.log(2.0))),
                                 dtype=value.dtype)
    log2 = _m.log(_m.cast(value, dtypes.float32)) / _m.log(2.0)
    return _m.cast(_m.pow(2.0, _m.ceil(log2)), value.dtype)


def _fft_length(fft_length, frame_length):
    if fft_length is None:
        return _enclosing_power_of_two(frame_length)
    fft_length = convert_to_tensor(fft_length, name="fft_length")
    fft_length.shape.assert_has_rank(0)
    return fft_length


def stft(signals, frame_length, frame_step, fft_length=None,
         window_fn=_windows.hann_window, pad_end=False, name=None):
    """The short-time Fourier transform: `rfft(window * frame(signals), [fft_length])`.

    Args:
        signals: a `[..., samples]` float32/float64 Tensor of real signals.
        frame_length: the window length in samples (int or scalar integer Tensor).
        frame_step: the hop in samples (int or scalar integer Tensor).
        fft_length: the FFT size (default: the smallest power of 2 >= frame_length); frames
            are zero-padded or cropped to it.
        window_fn: `fn(length, dtype=...)` giving the window (default the periodic Hann
            window), or None for no windowing.
        pad_end: zero-pad the end of `signals` so that every frame starting in it is produced.
        name: optional name scope.

    Returns:
        A `[..., frames, fft_length // 2 + 1]` complex64/complex128 Tensor.

    Raises:
        ValueError: `signals` has rank 0, or `frame_length`, `frame_step` or `fft_length` is
            not a scalar.

    Example:
        >>> tf.signal.stft(tf.zeros([1000]), 400, 160)  # shape [4, 257]
    """
    with name_scope(name, "stft", [signals, frame_length, frame_step]):
        signals = convert_to_tensor(signals, name="signals")
        signals.shape.with_rank_at_least(1)
        frame_length = _scalar(frame_length, "frame_length")
        frame_step = _scalar(frame_step, "frame_step")
        fft_length = _fft_length(fft_length, frame_length)
        frames = _framing.frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            frames = frames * window_fn(frame_length, dtype=frames.dtype)
        return _s.rfft(frames, _a.reshape(_m.cast(fft_length, dtypes.int32), [1]))


def inverse_stft_window_fn(frame_step, forward_window_fn=_windows.hann_window, name=None):
    """A window function for `inverse_stft` that inverts `stft` with `forward_window_fn`:
    w[n] / sum_k w[n + k * frame_step]^2 (the squared window overlap-added at the hop; 0 where
    that sum is 0).

    Args:
        frame_step: the hop in samples (int or scalar integer Tensor) of the STFT.
        forward_window_fn: the window function the forward `stft` used.
        name: optional name scope of the window's ops.

    Returns:
        A callable `fn(frame_length, dtype)` returning a `[frame_length]` Tensor of `dtype`.

    Raises:
        ValueError: (when called) `frame_step` or `frame_length` is not a scalar.

    Example:
        >>> y = tf.signal.inverse_stft(tf.signal.stft(x, 400, 160), 400, 160,
        ...                            window_fn=tf.signal.inverse_stft_window_fn(160))
    """
    def window_fn(frame_length, dtype):
        with name_scope(name, "inverse_stft_window_fn", []):
            step = _m.cast(_scalar(frame_step, "frame_step"), dtypes.int32)
            length = _scalar(frame_length, "frame_length")
            forward = forward_window_fn(length, dtype=dtype)
            length = _m.cast(length, dtypes.int32)
            squared = _m.square(forward)
            overlaps = -(-length // step)
            padded = _a.pad(squared, _a.reshape(_a.stack([0, overlaps * step - length]), [1, 2]))
            per_hop = _m.reduce_sum(_a.reshape(padded, _a.stack([overlaps, step])), 0,
                                    keepdims=True)
            denom = _a.reshape(_a.tile(per_hop, _a.stack([overlaps, 1])), [-1])[:length]
            return _m.where(_m.equal(denom, 0.0), _a.zeros_like(forward), forward / denom)
    return window_fn


def _fit_frames(frames, frame_length):
    """`frames` cropped or zero-padded along the last axis to `frame_length` samples."""
    length_s = shape_fns.constant_value(frame_length)
    last = frames.shape.as_list()[-1] if frames.shape.ndims is not None else None
    if length_s is not None and last is not None:
        length_s = int(length_s)
        if last > length_s:
            return frames[..., :length_s]
        if last < length_s:
            return _a.pad(frames, [[0, 0]] * (frames.shape.ndims - 1) + [[0, length_s - last]])
        return frames
    length = _m.cast(frame_length, dtypes.int32)
    cropped = frames[..., :length]
    rank = _a.rank(cropped)
    extra = _m.maximum(0, length - _a.shape(cropped)[-1])
    out = _a.pad(cropped, _a.concat([_a.zeros(_a.stack([rank - 1, 2]), dtypes.int32),
                                     _a.reshape(_a.stack([0, extra]), [1, 2])], 0))
    if frames.shape.ndims is not None:
        out.set_shape(frames.shape.as_list()[:-1] + [None if length_s is None else int(length_s)])
    return out


def inverse_stft(stfts, frame_length, frame_step, fft_length=None,
                 window_fn=_windows.hann_window, name=None):
    """The inverse short-time Fourier transform: `overlap_and_add(window * irfft(stfts))`, each
    frame cropped or zero-padded to `frame_length`. Use
    `window_fn=inverse_stft_window_fn(frame_step, forward_window_fn)` to invert `stft`.

    Args:
        stfts: a `[..., frames, fft_length // 2 + 1]` complex64/complex128 Tensor.
        frame_length: the window length in samples (int or scalar integer Tensor).
        frame_step: the hop in samples (int or scalar integer Tensor).
        fft_length: the FFT size the STFT used (default: the smallest power of 2 >=
            frame_length).
        window_fn: the synthesis window function (default periodic Hann), or None.
        name: optional name scope.

    Returns:
        A `[..., (frames - 1) * frame_step + frame_length]` float32/float64 Tensor.

    Raises:
        ValueError: `stfts` has rank below 2, or `frame_length`, `frame_step` or `fft_length`
            is not a scalar.

    Example:
        >>> s = tf.signal.stft(x, 400, 160)
        >>> tf.signal.inverse_stft(s, 400, 160,
        ...                        window_fn=tf.signal.inverse_stft_window_fn(160))  # ~ x
    """
    with name_scope(name, "inverse_stft", [stfts]):
        stfts = convert_to_tensor(stfts, name="stfts")
        stfts.shape.with_rank_at_least(2)
        frame_length = _scalar(frame_length, "frame_length")
        frame_step = _scalar(frame_step, "frame_step")
        fft_length = _fft_length(fft_length, frame_length)
        frames = _s.irfft(stfts, _a.reshape(_m.cast(fft_length, dtypes.int32), [1]))
        frames = _fit_frames(frames, frame_length)
        if window_fn is not None:
            frames = frames * window_fn(frame_length, dtype=stfts.dtype.real_dtype)
        return _framing.overlap_and_add(frames, frame_step)


__all__ = ["inverse_stft", "inverse_stft_window_fn", "stft"]
