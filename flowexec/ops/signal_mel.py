"""signal_mel: mel-scale features of `tf.signal` — `linear_to_mel_weight_matrix` (HTK-style
triangular filters, mel(f) = 1127 ln(1 + f / 700), peak 1, the DC bin left out) and
`mfccs_from_log_mel_spectrograms` (HTK's scaling of the DCT-II: sqrt(2 / N) / 2 times the
unnormalized transform, on every bin including the 0th).

Both are compositions of existing ops (LinSpace, the framing and DCT compositions), so the
matrix folds to a constant when its arguments are static and MFCCs are differentiable.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.tensor import Tensor
from flowexec.ops import array_ops as _a
from flowexec.ops import math_ops as _m
from flowexec.ops import shape_fns
from flowexec.ops import signal_dct as _dct
from flowexec.ops import signal_framing as _framing
from flowexec.ops.manip_ops import lin_space as _linspace

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(hertz):
    return _MEL_HIGH_FREQUENCY_Q * _m.log(1.0 + hertz / _MEL_BREAK_FREQUENCY_HERTZ)


def _validate(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype):
    """TF's checks, in TF's order and words (sample_rate only when it is a Python number)."""
    if num_mel_bins <= 0:
        raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
    if lower_edge_hertz < 0.0:
        raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(f"lower_edge_hertz {lower_edge_hertz:.1f} >= upper_edge_hertz "
                         f"{upper_edge_hertz:.1f}")
    if not isinstance(sample_rate, Tensor):
        if sample_rate <= 0.0:
            raise ValueError(f"sample_rate must be positive. Got: {sample_rate}")
        if upper_edge_hertz > sample_rate / 2:
            raise ValueError("upper_edge_hertz must not be larger than the Nyquist frequency "
                             f"(sample_rate / 2). Got {upper_edge_hertz} for sample_rate: "
                             f"{sample_rate}")
    if not dtype.is_floating:
        raise ValueError(f"dtype must be a floating point type. Got: {dtype}")


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype=dtypes.float32, name=None):
    """A `[num_spectrogram_bins, num_mel_bins]` matrix that maps linear-frequency spectrogram
    bins (0 .. sample_rate / 2) to `num_mel_bins` triangular mel bands spanning
    [lower_edge_hertz, upper_edge_hertz]: `mel_spectrogram = tf.tensordot(S, M, 1)`.

    The bands are spaced evenly on the HTK mel scale, mel(f) = 1127 ln(1 + f / 700)
    (= 2595 log10(1 + f / 700)); each triangle peaks at 1; row 0 (the DC bin) is zero.

    Args:
        num_mel_bins: Python int, the number of mel bands.
        num_spectrogram_bins: int or integer Tensor, the spectrogram's bins
            (fft_length // 2 + 1).
        sample_rate: the signal's samples per second (Python number or Tensor).
        lower_edge_hertz: Python float, the lower edge of the lowest band.
        upper_edge_hertz: Python float, the upper edge of the highest band.
        dtype: a floating point DType of the matrix.
        name: optional name scope.

    Returns:
        A `[num_spectrogram_bins, num_mel_bins]` Tensor of `dtype`.

    Raises:
        ValueError: `num_mel_bins` or `sample_rate` not positive, `lower_edge_hertz`
            negative or not below `upper_edge_hertz`, `upper_edge_hertz` above the Nyquist
            frequency, or a non-floating `dtype`.

    Example:
        >>> tf.signal.linear_to_mel_weight_matrix(40, 257, 16000., 20., 8000.)  # [257, 40]
    """
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "linear_to_mel_weight_matrix") as scope:
        if isinstance(sample_rate, Tensor):
            static = shape_fns.constant_value(sample_rate)
            if static is not None:
                sample_rate = static.item()
        _validate(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype)
        sample_rate = _m.cast(sample_rate, dtype, name="sample_rate")
        lower = convert_to_tensor(lower_edge_hertz, dtype=dtype, name="lower_edge_hertz")
        upper = convert_to_tensor(upper_edge_hertz, dtype=dtype, name="upper_edge_hertz")
        zero = convert_to_tensor(0.0, dtype=dtype)
        # HTK leaves out the DC bin; it is added back as a zero row at the end.
        linear = _linspace(zero, sample_rate / 2.0, num_spectrogram_bins)[1:]
        bins_mel = _a.expand_dims(_hertz_to_mel(linear), 1)
        # num_mel_bins + 2 evenly spaced mel edges: band i is (edge i, edge i+1, edge i+2)
        edges = _framing.frame(_linspace(_hertz_to_mel(lower), _hertz_to_mel(upper),
                                         num_mel_bins + 2), frame_length=3, frame_step=1)
        low, center, high = (_a.reshape(t, [1, num_mel_bins])
                             for t in _a.split(edges, 3, axis=1))
        rising = (bins_mel - low) / (center - low)
        falling = (high - bins_mel) / (high - center)
        weights = _m.maximum(zero, _m.minimum(rising, falling))
        return _a.pad(weights, [[1, 0], [0, 0]], name=scope)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """The mel-frequency cepstral coefficients of log-magnitude mel spectrograms: HTK's DCT-II,
    `dct(x, type=2) * rsqrt(2 N)` for N mel bins. All N coefficients are returned (speech
    features usually keep the first 13).

    Args:
        log_mel_spectrograms: a `[..., num_mel_bins]` float32/float64 Tensor.
        name: optional name scope.

    Returns:
        A `[..., num_mel_bins]` Tensor of the input's dtype.

    Raises:
        ValueError: a static `num_mel_bins` of 0.

    Example:
        >>> log_mel = tf.math.log(tf.tensordot(tf.abs(stfts), mel_matrix, 1) + 1e-6)
        >>> tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :13]
    """
    with name_scope(name, "mfccs_from_log_mel_spectrograms", [log_mel_spectrograms]):
        x = convert_to_tensor(log_mel_spectrograms, name="log_mel_spectrograms")
        dims = x.shape.as_list() if x.shape.ndims else None
        if dims and dims[-1] is not None:
            num_mel_bins = dims[-1]
            if num_mel_bins == 0:
                raise ValueError(f"num_mel_bins must be positive. Got: {x}")
        else:
            num_mel_bins = _a.shape(x)[-1]
        out = _dct.dct(x, type=2)
        return out * _m.rsqrt(_m.cast(num_mel_bins, out.dtype) * 2.0)


__all__ = ["linear_to_mel_weight_matrix", "mfccs_from_log_mel_spectrograms"]
