"""signal_dct: the discrete cosine transforms of `tf.signal` (`dct`/`idct`, types I-IV, TF's
scipy.fftpack conventions) and the modified DCT (`mdct`/`inverse_mdct`), composed of the RFFT
and IRFFT ops of spectral_ops with elementwise twiddles, so their gradients are those ops'.

DCT-I is the real part of the RFFT of the even extension [x, x[-2:0:-1]]; DCT-II is
Re(2 e^{-i pi k / 2N} RFFT_{2N}(x)[k]); DCT-III is the IRFFT_{2N} of 2 e^{i pi k / 2N} x[k]
(times N, or the orthonormal weights); DCT-IV is the odd bins of the DCT-II of x zero-padded
to 2N. The twiddles are applied as real cosines and sines, with no complex exponential.
"""

import math

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops as _a
from flowexec.ops import complex_ops as _c
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns
from flowexec.ops import signal_framing as _framing
from flowexec.ops import signal_windows as _windows
from flowexec.ops import spectral_ops as _s


def _validate(input_tensor, dct_type, n, axis, norm):
    """TF's argument checks, in TF's order and words."""
    if axis != -1:
        raise NotImplementedError(f"axis must be -1. Got: {axis}")
    if n is not None and n < 1:
        raise ValueError("n should be a positive integer or None")
    if dct_type not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if dct_type == 1:
        if norm == "ortho":
            raise ValueError("Normalization is not supported for the Type-I DCT.")
        dims = input_tensor.shape.as_list() if input_tensor.shape.ndims else None
        if dims and dims[-1] is not None and dims[-1] < 2:
            raise ValueError("Type-I DCT requires the dimension to be greater than one.")
    if norm not in (None, "ortho"):
        raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")


def _last_dim(x):
    """The static size of x's last dimension, else a scalar int32 tensor."""
    if x.shape.ndims:
        d = x.shape.as_list()[-1]
        if d is not None:
            return d
    return _a.shape(x)[-1]


def _fit_last(x, n):
    """x cropped or zero-padded to n samples along its last axis (n an int or a tensor)."""
    size = _last_dim(x)
    if isinstance(size, int) and isinstance(n, int):
        if n <= size:
            return x[..., :n]
        rank = x.shape.ndims
        return _a.pad(x, [[0, 0]] * (rank - 1) + [[0, n - size]])
    cropped = x[..., :n]
    rank = _a.rank(cropped)
    extra = _m.maximum(0, n - _a.shape(cropped)[-1])
    paddings = _a.concat([_a.zeros(_a.stack([rank - 1, 2]), dtypes.int32),
                          _a.reshape(_a.stack([0, extra]), [1, 2])], 0)
    out = _a.pad(cropped, paddings)
    if isinstance(n, int) and out.shape.ndims is not None:
        out.set_shape(out.shape.as_list()[:-1] + [n])
    return out


def _angles(size, dtype):
    """pi * k / (2 size) for k = 0 .. size - 1, in dtype."""
    size_f = _m.cast(size, dtype)
    return _m.cast(_a.range(size), dtype) * (math.pi * 0.5) / size_f


def _ortho_weights(size, first, rest):
    """[first, rest, rest, ...] (size entries); first/rest scalar tensors of one dtype."""
    if isinstance(size, int):
        paddings = [[0, size - 1]]
    else:
        paddings = _a.reshape(_a.stack([0, size - 1]), [1, 2])
    return _a.pad(_a.reshape(first, [1]), paddings, constant_values=rest)


def _length_vector(n):
    """fft_length [n] for an int or a scalar tensor n."""
    return [n] if isinstance(n, int) else _a.reshape(n, [1])


def _dct2_unnormalized(x, size):
    spectrum = _s.rfft(x, _length_vector(2 * size))[..., :size]
    theta = _angles(size, x.dtype)
    return 2.0 * (_c.real(spectrum) * _m.cos(theta) + _c.imag(spectrum) * _m.sin(theta))


def _dct(x, dct_type, n, norm):
    """The DCT without argument checks (n may be a scalar tensor)."""
    if n is not None:
        x = _fit_last(x, n)
    size = _last_dim(x)
    size_f = _m.cast(size, x.dtype)
    if dct_type == 1:
        extended = _a.concat([x, _a.reverse(x[..., 1:-1], [-1])], -1)
        return _c.real(_s.rfft(extended))
    if dct_type == 2:
        out = _dct2_unnormalized(x, size)
        if norm == "ortho":
            first = 0.5 * _m.rsqrt(size_f)
            out = out * _ortho_weights(size, first, first * math.sqrt(2.0))
        return out
    if dct_type == 3:
        if norm == "ortho":
            first = _m.sqrt(size_f)
            x = x * _ortho_weights(size, first, first * math.sqrt(0.5))
        else:
            x = x * size_f
        theta = _angles(size, x.dtype)
        twiddled = _c.complex(2.0 * x * _m.cos(theta), 2.0 * x * _m.sin(theta))
        return _s.irfft(twiddled, _length_vector(2 * size))[..., :size]
    # type 4
    out = _dct(x, 2, 2 * size, None)[..., 1::2]
    if norm == "ortho":
        out = out * (math.sqrt(0.5) * _m.rsqrt(size_f))
    return out


def _as_float(x, name):
    x = convert_to_tensor(x, name=name)
    if x.dtype not in (dtypes.float32, dtypes.float64):
        raise TypeError(f"{name} must be float32 or float64, got {x.dtype.name}")
    return x


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The 1-D discrete cosine transform of types I-IV along the last axis, as
    `scipy.fftpack.dct` (unnormalized: DCT-II y[k] = 2 sum x[n] cos(pi k (2n + 1) / 2N)).

    Args:
        input: a `[..., samples]` float32/float64 Tensor.
        type: the DCT type, 1, 2, 3 or 4.
        n: the transform length: the input is truncated or zero-padded to n samples.
        axis: must be -1 (as TF).
        norm: None, or "ortho" for the orthonormal transform (not for type 1).
        name: optional name scope.

    Returns:
        A `[..., n or samples]` Tensor of the input's dtype.

    Raises:
        ValueError: a bad `type`, `n` < 1, `norm` not None/"ortho", "ortho" with type 1, or a
            type-1 transform of fewer than 2 samples.
        NotImplementedError: `axis` is not -1.

    Example:
        >>> tf.signal.dct([1., 2., 3.], type=2)  # scipy.fftpack.dct([1, 2, 3]) = [12, -3.46, 0]
    """
    x = _as_float(input, "input")
    _validate(x, type, n, axis, norm)
    with name_scope(name, "dct", [x]):
        return _dct(x, type, n, norm)


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The inverse DCT: a DCT of the inverse type (II <-> III, I and IV their own), so
    `idct(dct(x)) == x * 2N` unnormalized (`2(N-1)` for type I) and `== x` with "ortho".

    Args:
        input: a `[..., samples]` float32/float64 Tensor.
        type: the type of the DCT to invert, 1, 2, 3 or 4.
        n: the transform length (truncate or zero-pad the input to n samples).
        axis: must be -1.
        norm: None or "ortho".
        name: optional name scope.

    Returns:
        A `[..., n or samples]` Tensor of the input's dtype.

    Raises:
        ValueError, NotImplementedError: as `dct`.

    Example:
        >>> x = tf.constant([1., 2., 3.])
        >>> tf.signal.idct(tf.signal.dct(x, norm="ortho"), norm="ortho")  # x
    """
    x = _as_float(input, "input")
    _validate(x, type, n, axis, norm)
    with name_scope(name, "idct", [x]):
        return _dct(x, {1: 1, 2: 3, 3: 2, 4: 4}[type], n, norm)


def mdct(signals, frame_length, window_fn=_windows.vorbis_window, pad_end=False, norm=None,
         name=None):
    """The modified discrete cosine transform of `signals`' frames of `frame_length` samples
    taken every `frame_length // 2` samples: a DCT-IV of each windowed frame folded to half
    its length.

    Args:
        signals: a `[..., samples]` float32/float64 Tensor.
        frame_length: the frame length (int or scalar integer Tensor), a multiple of 4.
        window_fn: `fn(length, dtype=...)` giving the analysis window (default the Vorbis
            window), or None for a flat window of 1/sqrt(2). Perfect reconstruction needs
            w[n]^2 + w[n + N/2]^2 = 1 and a symmetric w (Vorbis, KBD, None).
        pad_end: zero-pad the end so that every frame starting in the signal is produced.
        norm: None (unnormalized DCT-IV) or "ortho".
        name: optional name scope.

    Returns:
        A `[..., frames, frame_length // 2]` Tensor of `signals`' dtype.

    Raises:
        ValueError: `signals` has rank 0, `frame_length` is not a scalar, or a static
            `frame_length` is not a multiple of 4.

    Example:
        >>> tf.signal.mdct(tf.random.normal([1000]), 64)  # shape [30, 32]
    """
    with name_scope(name, "mdct", [signals, frame_length]):
        signals = convert_to_tensor(signals, name="signals")
        signals.shape.with_rank_at_least(1)
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_length.shape.assert_has_rank(0)
        length_s = shape_fns.constant_value(frame_length)
        if length_s is not None:
            if int(length_s) % 4 != 0:
                raise ValueError("The frame length must be a multiple of 4.")
            frame_step = convert_to_tensor(int(length_s) // 2, dtype=frame_length.dtype)
        else:
            frame_step = frame_length // 2
        frames = _framing.frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            frames = frames * window_fn(frame_length, dtype=frames.dtype)
        else:
            frames = frames * (1.0 / np.sqrt(2))
        a, b, c, d = _a.split(frames, 4, axis=-1)
        folded = _a.concat([-_a.reverse(c, [-1]) - d, a - _a.reverse(b, [-1])], -1)
        return _dct(folded, 4, None, norm)


def inverse_mdct(mdcts, window_fn=_windows.vorbis_window, norm=None, name=None):
    """The inverse of `mdct`: a DCT-IV of each frame's coefficients, unfolded to a full frame,
    windowed and overlap-added at half a frame (with the same window as the forward transform
    this reconstructs the signal where two frames overlap).

    Args:
        mdcts: a `[..., frames, frame_length // 2]` float32/float64 Tensor.
        window_fn: the synthesis window function (default Vorbis), or None for 1/sqrt(2).
        norm: None (a DCT-IV scaled by 0.5 / (frame_length // 2)) or "ortho".
        name: optional name scope.

    Returns:
        A `[..., (frames - 1) * (frame_length // 2) + frame_length]` Tensor.

    Raises:
        ValueError: `mdcts` has rank below 2, or `norm` is not None/"ortho".

    Example:
        >>> x = tf.pad(tf.random.normal([1000]), [[32, 32]])
        >>> y = tf.signal.inverse_mdct(tf.signal.mdct(x, 64, pad_end=True))  # y[32:1032] == x
    """
    with name_scope(name, "inverse_mdct", [mdcts]):
        mdcts = convert_to_tensor(mdcts, name="mdcts")
        mdcts.shape.with_rank_at_least(2)
        if norm not in (None, "ortho"):
            raise ValueError(f"Unknown normalization. Expected None or 'ortho', got: {norm}")
        half_len = _last_dim(mdcts)
        if norm is None:
            unfolded = (0.5 / _m.cast(half_len, mdcts.dtype)) * _dct(mdcts, 4, None, None)
        else:
            unfolded = _dct(mdcts, 4, None, "ortho")
        first, second = _a.split(unfolded, 2, axis=-1)
        frames = _a.concat([second, -_a.reverse(second, [-1]), -_a.reverse(first, [-1]),
                            -first], -1)
        if window_fn is not None:
            frames = frames * window_fn(2 * half_len, dtype=mdcts.dtype)
        else:
            frames = frames * (1.0 / np.sqrt(2))
        return _framing.overlap_and_add(frames, half_len)


__all__ = ["dct", "idct", "inverse_mdct", "mdct"]
