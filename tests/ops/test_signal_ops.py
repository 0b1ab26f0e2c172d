"""tf.signal (flowexec/ops/signal_*.py) against independent oracles: numpy/scipy windows
(scipy.signal.get_window, numpy.kaiser, scipy's KBD), scipy.fft.dct/idct, numpy framing,
overlap-add and STFT loops, the HTK mel formula and the MDCT definition; finite-difference
gradients; perfect reconstruction (stft -> inverse_stft with inverse_stft_window_fn, mdct ->
inverse_mdct); shapes known only at run time (tensor frame_length / frame_step / axis / window
length); run-time errors. TF's own recorded values are checked in test_signal_tf_fixtures.py.

Tolerances: float64 results to 1e-10 (float32 ones to 1e-5 relative to the signal's scale);
gradients against central differences (eps 1e-6, float64) to atol 1e-6 / rtol 1e-5.
"""

import numpy as np
import pytest
import scipy.fft as sfft
import scipy.signal as ssig

import flowexec as tf
from flowexec.framework import errors
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


# ----- numpy oracles -------------------------------------------------------------------------
def np_frame(x, length, step, pad_end=False, pad_value=0.0, axis=-1):
    x = np.moveaxis(np.asarray(x), axis, -1)
    n = x.shape[-1]
    if pad_end:
        count = -(-n // step)
        extra = max(0, length + step * (count - 1) - n)
        x = np.concatenate([x, np.full(x.shape[:-1] + (extra,), pad_value, x.dtype)], -1)
    else:
        count = max(0, 1 + (n - length) // step)
    frames = np.stack([x[..., i * step:i * step + length] for i in range(count)], -2) \
        if count else np.zeros(x.shape[:-1] + (0, length), x.dtype)
    # frames: [..., count, length] with the framed axis last; put the pair back at `axis`
    axis = axis % (x.ndim)
    return np.moveaxis(np.moveaxis(frames, -2, axis), -1, axis + 1)


def np_overlap_and_add(frames, step):
    frames = np.asarray(frames)
    count, length = frames.shape[-2:]
    out = np.zeros(frames.shape[:-2] + ((count - 1) * step + length,), frames.dtype)
    for i in range(count):
        out[..., i * step:i * step + length] += frames[..., i, :]
    return out


def np_hann(n, periodic=True):
    return ssig.get_window("hann", n, fftbins=periodic)


def np_stft(x, length, step, fft_length, window):
    frames = np_frame(x, length, step)
    return np.fft.rfft(frames * window, n=fft_length)


def np_mel_matrix(num_mel, num_bins, rate, low, high):
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)  # HTK's mel scale (= 1127 ln(1 + f/700))
    freqs = np.linspace(0.0, rate / 2.0, num_bins)
    edges = np.linspace(mel(low), mel(high), num_mel + 2)
    out = np.zeros((num_bins, num_mel))
    for j in range(num_mel):
        lo, mid, hi = edges[j:j + 3]
        m = mel(freqs[1:])
        out[1:, j] = np.maximum(0.0, np.minimum((m - lo) / (mid - lo), (hi - m) / (hi - mid)))
    return out


def np_mdct(x, length, window):
    """X[k] = 2 sum_n w[n] x[n] cos(pi / N (n + 1/2 + N/2) (k + 1/2)), N = length / 2 (the 2
    is TF's unnormalized DCT-IV)."""
    half = length // 2
    frames = np_frame(x, length, half) * window
    n, k = np.arange(length), np.arange(half)
    basis = np.cos(np.pi / half * (n[:, None] + 0.5 + half / 2) * (k[None, :] + 0.5))
    return 2.0 * frames @ basis


# ----- windows -------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 8, 64, 255, 256])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("kind", ["hann", "hamming"])
def test_raised_cosine_windows_match_scipy(kind, periodic, n):
    fn = tf.signal.hann_window if kind == "hann" else tf.signal.hamming_window
    got = _run(fn(n, periodic=periodic, dtype=tf.float64))
    # TF's rule: an odd-length "periodic" window is the symmetric one
    want = ssig.get_window(kind, n, fftbins=periodic and n % 2 == 0)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_odd_periodic_window_is_symmetric_as_tf():
    got = _run(tf.signal.hann_window(7, periodic=True))
    np.testing.assert_allclose(got, ssig.windows.hann(7, sym=True), atol=1e-6)
    assert not np.allclose(got, ssig.get_window("hann", 7, fftbins=True), atol=1e-3)


@pytest.mark.parametrize("n,beta", [(6, 4.0), (7, 12.0), (32, 0.5), (33, 30.0)])
def test_kaiser_window_matches_numpy(n, beta):
    got = _run(tf.signal.kaiser_window(n, beta, dtype=tf.float64))
    np.testing.assert_allclose(got, np.kaiser(n, beta), atol=1e-7)  # float32 sample grid


@pytest.mark.parametrize("n,beta", [(8, 4.0), (16, 1.0), (64, 12.0)])
def test_kbd_window_matches_scipy_and_is_power_complementary(n, beta):
    got = _run(tf.signal.kaiser_bessel_derived_window(n, beta, dtype=tf.float64))
    np.testing.assert_allclose(got, ssig.windows.kaiser_bessel_derived(n, beta),
                               atol=1e-7)
    np.testing.assert_allclose(got[:n // 2] ** 2 + got[n // 2:] ** 2, 1.0, atol=1e-12)


def test_kbd_window_of_odd_length_drops_a_sample_as_tf():
    assert _run(tf.signal.kaiser_bessel_derived_window(7)).shape == (6,)


@pytest.mark.parametrize("n", [4, 10, 31])
def test_vorbis_window_formula_and_power_complementary(n):
    got = _run(tf.signal.vorbis_window(n, dtype=tf.float64))
    k = np.arange(n)
    np.testing.assert_allclose(got, np.sin(np.pi / 2 * np.sin(np.pi * (k + 0.5) / n) ** 2),
                               atol=1e-12)
    if n % 2 == 0:
        np.testing.assert_allclose(got[:n // 2] ** 2 + got[n // 2:] ** 2, 1.0, atol=1e-12)


def test_windows_with_run_time_length():
    length = tf.placeholder(tf.int32, [])
    hann, kaiser, vorbis = (tf.signal.hann_window(length), tf.signal.kaiser_window(length, 3.0),
                            tf.signal.vorbis_window(length))
    assert hann.shape.as_list() == [None]
    with tf.Session() as sess:
        for n in (1, 2, 9, 16):
            h, k, v = sess.run([hann, kaiser, vorbis], {length: n})
            want = np.ones(1) if n == 1 else ssig.get_window("hann", n, fftbins=n % 2 == 0)
            np.testing.assert_allclose(h, want, atol=1e-6)
            if n > 1:
                np.testing.assert_allclose(k, np.kaiser(n, 3.0), atol=1e-6)
            assert v.shape == (n,)


def test_window_length_one_and_zero():
    assert _run(tf.signal.hann_window(1)).tolist() == [1.0]
    assert _run(tf.signal.kaiser_window(1)).tolist() == [1.0]
    assert _run(tf.signal.hamming_window(0)).shape == (0,)


def test_window_bad_arguments():
    with pytest.raises(ValueError, match="dtype must be a floating point type"):
        tf.signal.hamming_window(4, dtype=tf.int32)
    with pytest.raises(ValueError, match="must have rank 0"):
        tf.signal.kaiser_window([4])
    with pytest.raises(ValueError, match="must have rank 0"):
        tf.signal.hann_window(4, periodic=[True, False])


# ----- frame / overlap_and_add ---------------------------------------------------------------
@pytest.mark.parametrize("shape,length,step,pad_end,axis", [
    ((2, 10), 4, 2, False, -1), ((3, 17), 5, 3, False, -1), ((2, 10), 4, 3, True, -1),
    ((9, 3), 3, 2, False, 0), ((2, 7, 3), 4, 2, True, 1), ((2, 7, 3), 4, 2, True, -2),
    ((12,), 5, 5, False, 0), ((2, 13), 2, 5, True, -1), ((2, 4), 6, 2, False, -1),
    ((2, 4), 6, 2, True, -1)])
def test_frame_matches_numpy(shape, length, step, pad_end, axis):
    x = np.random.default_rng(1).standard_normal(shape)
    y = tf.signal.frame(x, length, step, pad_end=pad_end, pad_value=-2.0, axis=axis)
    want = np_frame(x, length, step, pad_end, -2.0, axis)
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_array_equal(_run(y), want)


def test_frame_with_run_time_length_step_axis_and_shape():
    x = np.random.default_rng(2).standard_normal((3, 11, 2))
    sig = tf.placeholder(tf.float64, None)
    length, step, axis = (tf.placeholder(tf.int32, []) for _ in range(3))
    plain = tf.signal.frame(sig, length, step, axis=axis)
    padded = tf.signal.frame(sig, length, step, pad_end=True, axis=axis)
    with tf.Session() as sess:
        for ln, st, ax in [(4, 2, 1), (3, 3, -2), (2, 1, 0), (5, 4, -1), (4, 6, 1)]:
            got, got_pad = sess.run([plain, padded], {sig: x, length: ln, step: st, axis: ax})
            np.testing.assert_array_equal(got, np_frame(x, ln, st, False, 0.0, ax))
            np.testing.assert_array_equal(got_pad, np_frame(x, ln, st, True, 0.0, ax))


def test_frame_static_shape_with_tensor_length():
    length = tf.placeholder(tf.int32, [])
    y = tf.signal.frame(tf.zeros([2, 10]), length, 2)
    assert y.shape.as_list() == [2, None, None]
    assert tf.signal.frame(tf.zeros([2, 10]), 4, 3, pad_end=True).shape.as_list() == [2, 4, 4]
    assert tf.signal.frame(tf.zeros([5, 2]), 3, 1, axis=tf.placeholder(tf.int32, [])) \
        .shape.as_list() == [None, None, None]


@pytest.mark.parametrize("shape,step", [((2, 3, 5), 2), ((4, 5), 5), ((3, 4), 7), ((1, 6), 1),
                                        ((2, 2, 4, 8), 3), ((5, 9), 4)])
def test_overlap_and_add_matches_numpy(shape, step):
    x = np.random.default_rng(3).standard_normal(shape)
    y = tf.signal.overlap_and_add(x, step)
    want = np_overlap_and_add(x, step)
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(_run(y), want, atol=1e-12)


def test_overlap_and_add_with_run_time_shape_and_step():
    x = np.random.default_rng(4).standard_normal((2, 5, 6))
    sig, step = tf.placeholder(tf.float64, None), tf.placeholder(tf.int32, [])
    y = tf.signal.overlap_and_add(sig, step)
    with tf.Session() as sess:
        for st in (1, 2, 4, 6, 9):
            np.testing.assert_allclose(sess.run(y, {sig: x, step: st}),
                                       np_overlap_and_add(x, st), atol=1e-12)


def test_overlap_and_add_inverts_frame_with_no_overlap():
    x = np.arange(12.0).reshape(2, 6)
    np.testing.assert_array_equal(_run(tf.signal.overlap_and_add(tf.signal.frame(x, 3, 3), 3)),
                                  x)


def test_framing_bad_arguments():
    with pytest.raises(ValueError, match="must have rank at least 1"):
        tf.signal.frame(tf.constant(1.0), 2, 1)
    with pytest.raises(ValueError, match="must have rank 0"):
        tf.signal.frame(tf.zeros([5]), 2, 1, axis=[0])
    with pytest.raises(ValueError, match="must have rank at least 2"):
        tf.signal.overlap_and_add(tf.zeros([5]), 2)
    with pytest.raises(ValueError, match="frame_step must be an integer"):
        tf.signal.overlap_and_add(tf.zeros([2, 5]), 2.0)


def test_frame_axis_out_of_range_at_run_time():
    axis = tf.placeholder(tf.int32, [])
    y = tf.signal.frame(tf.zeros([2, 3]), 2, 1, axis=axis)
    with pytest.raises(errors.InvalidArgumentError):
        _run(y, {axis: 4})


# ----- stft / inverse_stft -------------------------------------------------------------------
@pytest.mark.parametrize("length,step,fft_length", [(64, 32, None), (50, 20, None),
                                                    (40, 16, 100), (40, 10, 32)])
def test_stft_matches_numpy(length, step, fft_length):
    x = np.random.default_rng(5).standard_normal((2, 300))
    y = tf.signal.stft(x, length, step, fft_length=fft_length)
    n_fft = fft_length or int(2 ** np.ceil(np.log2(length)))
    want = np_stft(x, length, step, n_fft, np_hann(length, periodic=length % 2 == 0))
    assert y.dtype == tf.complex128
    assert y.shape.as_list() == list(want.shape)
    np.testing.assert_allclose(_run(y), want, atol=1e-10)


def test_stft_default_fft_length_is_enclosing_power_of_two():
    for length, bins in [(8, 5), (9, 9), (400, 257), (512, 257), (513, 513), (1, 1)]:
        assert tf.signal.stft(tf.zeros([600]), length, 4).shape.as_list()[-1] == bins
    length = tf.placeholder(tf.int32, [])
    y = tf.signal.stft(tf.zeros([600]), length, 100)
    with tf.Session() as sess:
        for n, bins in [(8, 5), (9, 9), (400, 257), (512, 257)]:
            assert sess.run(y, {length: n}).shape[-1] == bins


def test_stft_float32_and_custom_window():
    x = np.random.default_rng(6).standard_normal((3, 200)).astype(np.float32)
    y = tf.signal.stft(x, 48, 12, window_fn=tf.signal.hamming_window)
    assert y.dtype == tf.complex64
    want = np_stft(x.astype(np.float64), 48, 12, 64, ssig.get_window("hamming", 48))
    np.testing.assert_allclose(_run(y), want, atol=2e-5 * np.abs(want).max())


def test_inverse_stft_matches_numpy():
    rng = np.random.default_rng(7)
    s = rng.standard_normal((2, 6, 33)) + 1j * rng.standard_normal((2, 6, 33))
    y = tf.signal.inverse_stft(s, 50, 20)  # fft 64 cropped to 50, periodic Hann of even 50
    frames = np.fft.irfft(s, n=64)[..., :50] * np_hann(50)
    np.testing.assert_allclose(_run(y), np_overlap_and_add(frames, 20), atol=1e-12)


def test_inverse_stft_pads_frames_longer_than_fft():
    rng = np.random.default_rng(8)
    s = rng.standard_normal((4, 17)) + 1j * rng.standard_normal((4, 17))
    y = tf.signal.inverse_stft(s, 40, 10, fft_length=32, window_fn=None)
    frames = np.concatenate([np.fft.irfft(s, n=32), np.zeros((4, 8))], -1)
    np.testing.assert_allclose(_run(y), np_overlap_and_add(frames, 10), atol=1e-12)


@pytest.mark.parametrize("length,step,fft_length,window", [
    (256, 64, None, tf.signal.hann_window), (400, 160, None, tf.signal.hann_window),
    (64, 16, 128, tf.signal.hamming_window), (30, 10, None, tf.signal.vorbis_window),
    (60, 15, None, None)])
def test_stft_inverse_stft_perfect_reconstruction(length, step, fft_length, window):
    x = np.random.default_rng(9).standard_normal((2, 2000))
    kwargs = {} if window is None else {"window_fn": window}
    spec = tf.signal.stft(x, length, step, fft_length=fft_length, **kwargs)
    inv_window = tf.signal.inverse_stft_window_fn(
        step, **({} if window is None else {"forward_window_fn": window}))
    y = _run(tf.signal.inverse_stft(spec, length, step, fft_length=fft_length,
                                    window_fn=inv_window))
    frames = (2000 - length) // step + 1
    # every sample covered by all ceil(length / step) frames that overlap it
    lo, hi = length, (frames - 1) * step
    np.testing.assert_allclose(y[:, lo:hi], x[:, lo:hi], atol=1e-10)


def test_inverse_stft_window_fn_formula():
    w = np_hann(64)
    denom = sum(np.roll(w ** 2, k * 16) for k in range(4))
    got = _run(tf.signal.inverse_stft_window_fn(16)(64, tf.float64))
    np.testing.assert_allclose(got, w / denom, atol=1e-12)


def test_stft_with_run_time_shapes_and_lengths():
    x = np.random.default_rng(10).standard_normal((2, 500))
    sig, length = tf.placeholder(tf.float64, None), tf.placeholder(tf.int32, [])
    spec = tf.signal.stft(sig, length, 25, pad_end=True)
    back = tf.signal.inverse_stft(spec, length, 25,
                                  window_fn=tf.signal.inverse_stft_window_fn(25))
    with tf.Session() as sess:
        for n in (100, 128):
            s, b = sess.run([spec, back], {sig: x, length: n})
            want = _run(tf.signal.stft(x, n, 25, pad_end=True))
            np.testing.assert_allclose(s, want, atol=1e-10)
            np.testing.assert_allclose(b[:, n:400], x[:, n:400], atol=1e-10)


def test_stft_bad_arguments():
    with pytest.raises(ValueError, match="must have rank at least 1"):
        tf.signal.stft(tf.constant(1.0), 4, 2)
    with pytest.raises(ValueError, match="must have rank 0"):
        tf.signal.stft(tf.zeros([20]), 4, [2])
    with pytest.raises(ValueError, match="must have rank at least 2"):
        tf.signal.inverse_stft(tf.zeros([5], tf.complex64), 4, 2)
    with pytest.raises(ValueError, match="must have rank 0"):
        tf.signal.inverse_stft(tf.zeros([2, 3], tf.complex64), 4, 2, fft_length=[4])


# ----- mel / mfcc ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(), (40, 257, 16000.0, 20.0, 8000.0),
                                  (10, 33, 22050.0, 0.0, 11025.0), (8, 65, 16000, 300.0, 4000.0)])
def test_mel_matrix_matches_htk_formula(args):
    full = dict(zip(["num_mel_bins", "num_spectrogram_bins", "sample_rate",
                     "lower_edge_hertz", "upper_edge_hertz"], (20, 129, 8000, 125.0, 3800.0)))
    full.update(zip(list(full)[:len(args)], args))
    got = _run(tf.signal.linear_to_mel_weight_matrix(*args, dtype=tf.float64))
    want = np_mel_matrix(*full.values())
    assert got.shape == (full["num_spectrogram_bins"], full["num_mel_bins"])
    np.testing.assert_allclose(got, want, atol=1e-10)
    assert not got[0].any()  # HTK leaves out the DC bin


def test_mel_matrix_with_tensor_sample_rate_and_bins():
    bins = tf.placeholder(tf.int32, [])
    m = tf.signal.linear_to_mel_weight_matrix(20, bins, tf.constant(8000.0))
    with tf.Session() as sess:
        got = sess.run(m, {bins: 129})
    np.testing.assert_allclose(got, np_mel_matrix(20, 129, 8000, 125.0, 3800.0), atol=1e-5)


def test_mel_bad_arguments():
    with pytest.raises(ValueError, match="num_mel_bins must be positive"):
        tf.signal.linear_to_mel_weight_matrix(0)
    with pytest.raises(ValueError, match="Nyquist"):
        tf.signal.linear_to_mel_weight_matrix(20, 129, tf.constant(8000.0), 125.0, 4500.0)
    with pytest.raises(ValueError, match="dtype must be a floating point type"):
        tf.signal.linear_to_mel_weight_matrix(dtype=tf.int64)


def test_mfcc_is_htk_scaled_dct2():
    x = np.random.default_rng(11).standard_normal((3, 4, 13))
    got = _run(tf.signal.mfccs_from_log_mel_spectrograms(x))
    want = sfft.dct(x, type=2, norm="ortho")
    want[..., 0] *= np.sqrt(2.0)  # HTK scales every bin by sqrt(2 / N), the 0th too
    np.testing.assert_allclose(got, want, atol=1e-12)
    ph = tf.placeholder(tf.float64, None)
    np.testing.assert_allclose(_run(tf.signal.mfccs_from_log_mel_spectrograms(ph), {ph: x}),
                               want, atol=1e-12)


# ----- dct / idct ----------------------------------------------------------------------------
DCT_ARGS = [(t, norm, n) for t in (1, 2, 3, 4) for norm in (None, "ortho") for n in (None, 5, 11)
            if not (t == 1 and norm)]


@pytest.mark.parametrize("kind,norm,n", DCT_ARGS)
def test_dct_and_idct_match_scipy(kind, norm, n):
    x = np.random.default_rng(12).standard_normal((3, 8))
    np.testing.assert_allclose(_run(tf.signal.dct(x, kind, n=n, norm=norm)),
                               sfft.dct(x, type=kind, n=n, norm=norm), atol=1e-10)
    # scipy.fft's unnormalized idct divides by 2N (2(N - 1) for type 1); TF's does not
    size = n or 8
    scale = 1.0 if norm else 2.0 * (size - 1 if kind == 1 else size)
    np.testing.assert_allclose(_run(tf.signal.idct(x, kind, n=n, norm=norm)),
                               sfft.idct(x, type=kind, n=n, norm=norm) * scale, atol=1e-10)


@pytest.mark.parametrize("kind", [1, 2, 3, 4])
def test_dct_with_unknown_length_and_n(kind):
    x = np.random.default_rng(13).standard_normal((2, 9))
    ph = tf.placeholder(tf.float64, [None, None])
    with tf.Session() as sess:
        for n in (None, 4, 9, 14):
            y = tf.signal.dct(ph, kind, n=n)
            if n is not None:
                assert y.shape.as_list() == [None, n]
            np.testing.assert_allclose(sess.run(y, {ph: x}), sfft.dct(x, type=kind, n=n),
                                       atol=1e-10)


def test_dct_orthonormal_round_trip_float32():
    x = np.random.default_rng(14).standard_normal((4, 16)).astype(np.float32)
    for kind in (2, 3, 4):
        y = tf.signal.idct(tf.signal.dct(x, kind, norm="ortho"), kind, norm="ortho")
        assert y.dtype == tf.float32
        np.testing.assert_allclose(_run(y), x, atol=1e-5)


def test_dct_bad_arguments():
    x = tf.zeros([2, 4])
    with pytest.raises(ValueError, match="Types I, II, III and IV"):
        tf.signal.dct(x, type=5)
    with pytest.raises(ValueError, match="Unknown normalization"):
        tf.signal.idct(x, norm="backward")
    with pytest.raises(ValueError, match="Normalization is not supported for the Type-I"):
        tf.spectral.dct(x, type=1, norm="ortho")
    with pytest.raises(ValueError, match="greater than one"):
        tf.signal.dct(tf.zeros([2, 1]), type=1)
    with pytest.raises(ValueError, match="n should be a positive integer"):
        tf.signal.dct(x, n=0)
    with pytest.raises(NotImplementedError, match="axis must be -1"):
        tf.signal.dct(x, axis=0)


def test_spectral_namespace_has_dct():
    assert tf.spectral.dct is tf.signal.dct and tf.spectral.idct is tf.signal.idct


# ----- mdct / inverse_mdct -------------------------------------------------------------------
@pytest.mark.parametrize("length,window", [(16, "vorbis"), (12, "kbd"), (8, None)])
def test_mdct_matches_definition(length, window):
    x = np.random.default_rng(15).standard_normal((2, 64))
    fn = {"vorbis": tf.signal.vorbis_window, "kbd": tf.signal.kaiser_bessel_derived_window,
          None: None}[window]
    w = np.full(length, 1 / np.sqrt(2)) if fn is None else _run(fn(length, dtype=tf.float64))
    got = _run(tf.signal.mdct(x, length, window_fn=fn))
    np.testing.assert_allclose(got, np_mdct(x, length, w), atol=1e-10)
    ortho = _run(tf.signal.mdct(x, length, window_fn=fn, norm="ortho"))
    np.testing.assert_allclose(ortho, got * np.sqrt(0.5 / (length // 2)), atol=1e-10)


@pytest.mark.parametrize("window", [tf.signal.vorbis_window,
                                    tf.signal.kaiser_bessel_derived_window, None])
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_mdct_inverse_mdct_perfect_reconstruction(window, norm):
    x = np.random.default_rng(16).standard_normal((3, 1000))
    half = 32
    padded = np.pad(x, [(0, 0), (half, 0)])
    coeffs = tf.signal.mdct(padded, 2 * half, window_fn=window, pad_end=True, norm=norm)
    y = _run(tf.signal.inverse_mdct(coeffs, window_fn=window, norm=norm))
    np.testing.assert_allclose(y[:, half:half + 1000], x, atol=1e-10)


def test_mdct_with_run_time_frame_length():
    x = np.random.default_rng(17).standard_normal(100)
    length = tf.placeholder(tf.int32, [])
    y = tf.signal.mdct(x, length)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {length: 16}), _run(tf.signal.mdct(x, 16)),
                                   atol=1e-12)


def test_mdct_bad_arguments():
    with pytest.raises(ValueError, match="multiple of 4"):
        tf.signal.mdct(tf.zeros([40]), 10)
    with pytest.raises(ValueError, match="must have rank at least 2"):
        tf.signal.inverse_mdct(tf.zeros([8]))
    with pytest.raises(ValueError, match="Unknown normalization"):
        tf.signal.inverse_mdct(tf.zeros([2, 8]), norm="forward")


# ----- fftshift ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,axes", [((10,), None), ((9,), None), ((3, 5), None),
                                        ((3, 4, 5), 1), ((3, 4, 5), [0, -1]), ((3, 4, 5), [-2])])
def test_fftshift_and_ifftshift_match_numpy(shape, axes):
    x = np.random.default_rng(18).standard_normal(shape)
    np.testing.assert_array_equal(_run(tf.signal.fftshift(x, axes)), np.fft.fftshift(x, axes))
    np.testing.assert_array_equal(_run(tf.signal.ifftshift(x, axes)),
                                  np.fft.ifftshift(x, axes))
    back = tf.signal.ifftshift(tf.signal.fftshift(x, axes), axes)
    np.testing.assert_array_equal(_run(back), x)


def test_fftshift_with_unknown_rank_and_bad_axis():
    x = np.arange(15.0).reshape(3, 5)
    ph = tf.placeholder(tf.float64, None)
    np.testing.assert_array_equal(_run(tf.signal.fftshift(ph), {ph: x}), np.fft.fftshift(x))
    with pytest.raises(errors.InvalidArgumentError):
        _run(tf.signal.fftshift(ph, axes=[4]), {ph: x})


# ----- gradients (finite differences) --------------------------------------------------------
def _u(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _ri(z):
    return [tf.math.real(z), tf.math.imag(z)]


CASES = [
    OpCase("frame", lambda x: tf.signal.frame(x, 4, 2),
           lambda x: np_frame(x, 4, 2), _u((2, 11))),
    OpCase("frame_pad_axis0", lambda x: tf.signal.frame(x, 3, 2, pad_end=True, axis=0),
           lambda x: np_frame(x, 3, 2, True, 0.0, 0), _u((6, 2))),
    OpCase("frame_fed", lambda x: tf.signal.frame(x, 3, 2),
           lambda x: np_frame(x, 3, 2), _u((2, 9)), feed=True),
    OpCase("overlap_and_add", lambda x: tf.signal.overlap_and_add(x, 3),
           lambda x: np_overlap_and_add(x, 3), _u((2, 4, 7))),
    OpCase("overlap_and_add_gap", lambda x: tf.signal.overlap_and_add(x, 5),
           lambda x: np_overlap_and_add(x, 5), _u((3, 3))),
    OpCase("stft", lambda x: _ri(tf.signal.stft(x, 16, 4)),
           lambda x: [np_stft(x, 16, 4, 16, np_hann(16)).real,
                      np_stft(x, 16, 4, 16, np_hann(16)).imag], _u((2, 40))),
    OpCase("stft_padded_fft", lambda x: _ri(tf.signal.stft(x, 10, 3, fft_length=16,
                                                          window_fn=tf.signal.hamming_window)),
           lambda x: [np_stft(x, 10, 3, 16, ssig.get_window("hamming", 10)).real,
                      np_stft(x, 10, 3, 16, ssig.get_window("hamming", 10)).imag],
           _u((31,))),
    OpCase("inverse_stft",
           lambda re, im: tf.signal.inverse_stft(tf.complex(re, im), 16, 4,
                                                 window_fn=tf.signal.inverse_stft_window_fn(4)),
           None, _u((5, 9), (5, 9))),
    OpCase("inverse_stft_crop", lambda re, im: tf.signal.inverse_stft(
        tf.complex(re, im), 12, 5, fft_length=16), None, _u((2, 3, 9), (2, 3, 9))),
    OpCase("mfcc", tf.signal.mfccs_from_log_mel_spectrograms,
           lambda x: sfft.dct(x, type=2) / np.sqrt(2 * x.shape[-1]), _u((3, 10))),
    OpCase("mdct", lambda x: tf.signal.mdct(x, 8), None, _u((2, 32))),
    OpCase("inverse_mdct", lambda m: tf.signal.inverse_mdct(m, norm="ortho"), None,
           _u((3, 6))),
    OpCase("fftshift", lambda x: tf.signal.fftshift(x), np.fft.fftshift, _u((3, 5))),
] + [OpCase(f"dct{t}_{norm}_{n}", lambda x, t=t, norm=norm, n=n: tf.signal.dct(
    x, t, n=n, norm=norm), lambda x, t=t, norm=norm, n=n: sfft.dct(x, t, n=n, norm=norm),
    _u((2, 7))) for t, norm, n in DCT_ARGS if n != 11]


FORWARD_CASES = [c for c in CASES if c.ref is not None]


@pytest.mark.parametrize("case", FORWARD_CASES, ids=ids(FORWARD_CASES))
def test_forward_through_harness(case):
    case.atol = 1e-10
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient_matches_finite_differences(case):
    case.grad_atol, case.grad_rtol = 1e-6, 1e-5
    check_gradient(case)


def test_gradient_check_would_catch_a_wrong_gradient():
    """The harness fails when analytic and numeric gradients disagree (here: the gradient of
    frame is replaced by twice itself through a custom stop-gradient trick)."""
    def doubled(x):
        y = tf.signal.frame(x, 4, 2)
        return y + (y - tf.stop_gradient(y))  # value y, gradient 2x frame's
    bad = OpCase("doubled_frame", doubled, lambda x: np_frame(x, 4, 2), _u((2, 9)))
    with pytest.raises(AssertionError):
        check_gradient(bad)
