"""signal_windows: TF's window functions of `tf.signal` — Hann, Hamming, Kaiser,
Kaiser-Bessel-derived and Vorbis — composed of existing ops (Range, Cos, BesselI0e, Cumsum, ...),
so their values follow TF's formulas step for step and a tensor `window_length` works.

Facts of TF kept here: a *periodic* raised-cosine window divides by `window_length` only for an
even length (an odd length gives the symmetric window either way); a window of static length 1
is `[1.]`; the Kaiser-Bessel-derived window of an odd length has `window_length - 1` samples.
"""

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import nn_ops as _nn
from flowexec.ops import shape_fns
from flowexec.ops.cond import cond as _cond
from flowexec.ops.special_ops import bessel_i0e as _bessel_i0e


def _check_params(window_length, dtype):
    """`window_length` as a scalar int32 tensor; ValueError in TF's words for bad arguments."""
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Found {dtype}")
    window_length = convert_to_tensor(window_length, dtype=dtypes.int32, name="window_length")
    window_length.shape.assert_has_rank(0)
    return window_length, dtype


def _static_int(t):
    v = shape_fns.constant_value(t)
    return None if v is None else int(v)


def _with_length(window, length):
    if length is not None and length >= 0:
        window.set_shape([length])
    return window


def _raised_cosine(name, default_name, window_length, periodic, dtype, a, b):
    """a - b * cos(2 pi k / (N - 1 + periodic * even(N))), k = 0 .. N - 1."""
    with name_scope(name, default_name, [window_length, periodic]):
        window_length, dtype = _check_params(window_length, dtype)
        static_length = _static_int(window_length)
        if static_length == 1:
            return _a.ones([1], dtype=dtype)
        periodic = convert_to_tensor(periodic, dtype=dtypes.bool, name="periodic")
        periodic.shape.assert_has_rank(0)
        periodic = _m.cast(periodic, dtypes.int32)
        even = 1 - _m.mod(window_length, 2)
        denom = _m.cast(window_length + periodic * even - 1, dtype)
        count = _m.cast(_a.range(window_length), dtype)
        window = a - b * _m.cos(convert_to_tensor(2 * np.pi, dtype=dtype) * count / denom)
        if static_length is not None:
            return window
        return _cond(_m.equal(window_length, 1),
                     lambda: _a.ones(_a.reshape(window_length, [1]), dtype=dtype),
                     lambda: window)


def hann_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """A Hann window: 0.5 - 0.5 * cos(2 pi k / N') for k = 0 .. window_length - 1.

    N' is `window_length` for a periodic window of even length and `window_length - 1`
    otherwise (TF's rule: an odd-length periodic window equals the symmetric one).

    Args:
        window_length: scalar int (or int32 Tensor): the number of samples.
        periodic: bool (or bool Tensor): a periodic (spectral analysis) rather than a
            symmetric (filter design) window.
        dtype: a floating point DType of the result.
        name: optional name scope.

    Returns:
        A `[window_length]` Tensor of `dtype`.

    Raises:
        ValueError: `dtype` is not floating point, or `window_length`/`periodic` not scalar.

    Example:
        >>> tf.signal.hann_window(4)  # [0., 0.5, 1., 0.5]
    """
    return _raised_cosine(name, "hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    """A Hamming window: 0.54 - 0.46 * cos(2 pi k / N'), N' as in `hann_window`.

    Args:
        window_length: scalar int (or int32 Tensor): the number of samples.
        periodic: bool (or bool Tensor): periodic rather than symmetric.
        dtype: a floating point DType of the result.
        name: optional name scope.

    Returns:
        A `[window_length]` Tensor of `dtype`.

    Raises:
        ValueError: `dtype` is not floating point, or `window_length`/`periodic` not scalar.

    Example:
        >>> tf.signal.hamming_window(4)  # [0.08, 0.54, 1., 0.54]
    """
    return _raised_cosine(name, "hamming_window", window_length, periodic, dtype, 0.54, 0.46)


def kaiser_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """A Kaiser window, `numpy.kaiser(window_length, beta)`, computed with `bessel_i0e` so that
    large `beta` does not overflow.

    Args:
        window_length: scalar int (or int32 Tensor): the number of samples.
        beta: the shape parameter (float or scalar Tensor).
        dtype: a floating point DType of the result.
        name: optional name scope.

    Returns:
        A `[window_length]` Tensor of `dtype`.

    Raises:
        ValueError: `dtype` is not floating point, or `window_length` is not scalar.

    Example:
        >>> tf.signal.kaiser_window(5, beta=4.)  # numpy.kaiser(5, 4.)
    """
    with name_scope(name, "kaiser_window"):
        window_length, dtype = _check_params(window_length, dtype)
        if _static_int(window_length) == 1:
            return _a.ones([1], dtype=dtype)
        # the sample positions are made in float32 (as TF does, whatever `dtype`)
        half = (_m.cast(window_length, dtypes.float32) - 1.0) / 2.0
        arg = _m.cast(_a.range(-half, half + 0.1, dtype=dtypes.float32), dtype)
        beta = _m.cast(beta, dtype)
        half = _m.cast(half, dtype)
        one = _m.cast(1.0, dtype)
        num = beta * _m.sqrt(_nn.relu(one - _m.square(arg / half)))
        return _with_length(_m.exp(num - beta) * (_bessel_i0e(num) / _bessel_i0e(beta)),
                            _static_int(window_length))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype=dtypes.float32, name=None):
    """A Kaiser-Bessel-derived window: the square root of the normalized running sum of a
    Kaiser window of `window_length // 2 + 1` samples, mirrored. It satisfies the Princen-Bradley
    condition w[n]^2 + w[n + N/2]^2 = 1 (perfect reconstruction with `mdct`).

    Args:
        window_length: scalar int (or int32 Tensor); an odd length gives `window_length - 1`
            samples, as TF's does.
        beta: the Kaiser shape parameter.
        dtype: a floating point DType of the result.
        name: optional name scope.

    Returns:
        A `[2 * (window_length // 2)]` Tensor of `dtype`.

    Raises:
        ValueError: `dtype` is not floating point, or `window_length` is not scalar.

    Example:
        >>> tf.signal.kaiser_bessel_derived_window(8, beta=4.)
    """
    with name_scope(name, "kaiser_bessel_derived_window"):
        window_length, dtype = _check_params(window_length, dtype)
        kaiser = kaiser_window(window_length // 2 + 1, beta, dtype=dtype)
        running = _m.cumsum(kaiser)
        half = _m.sqrt(running[:-1] / running[-1])
        length = _static_int(window_length)
        return _with_length(_a.concat([half, _a.reverse(half, [0])], 0),
                            None if length is None else 2 * (length // 2))


def vorbis_window(window_length, dtype=dtypes.float32, name=None):
    """The Vorbis power-complementary window sin(pi/2 * sin^2(pi (k + 1/2) / N)).

    Args:
        window_length: scalar int (or int32 Tensor): the number of samples N.
        dtype: a floating point DType of the result.
        name: optional name scope.

    Returns:
        A `[window_length]` Tensor of `dtype`.

    Raises:
        ValueError: `dtype` is not floating point, or `window_length` is not scalar.

    Example:
        >>> tf.signal.vorbis_window(4)  # [0.2280, 0.9737, 0.9737, 0.2280]
    """
    with name_scope(name, "vorbis_window"):
        window_length, dtype = _check_params(window_length, dtype)
        arg = _m.cast(_a.range(window_length), dtype)
        inner = _m.sin(np.pi / _m.cast(window_length, dtype) * (arg + 0.5))
        return _with_length(_m.sin(np.pi / 2.0 * _m.pow(inner, 2.0)),
                            _static_int(window_length))


__all__ = ["hamming_window", "hann_window", "kaiser_bessel_derived_window", "kaiser_window",
           "vorbis_window"]
