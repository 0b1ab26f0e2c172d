"""tf.signal vs TensorFlow's recorded results (tests/data/tf1/signal, written by
scripts/make_tf_signal_fixtures.py): values, dtypes, static shapes (with constants and with
placeholders of unknown dimensions), values again with placeholders of unknown rank (shapes
known only when the graph runs), gradients, and TF's build-time error types and messages.

Tolerances: float32 results agree to atol 2e-5 relative to the case's largest magnitude (both
sides use a float32 FFT, rounded in a different order), float64 to 1e-11; gradients the same.
"""

import json
import os

import numpy as np
import pytest

import flowexec as tf

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "signal")

with open(os.path.join(FIXTURES, "cases.json")) as _f:
    _TABLE = json.load(_f)
_ARRAYS = np.load(os.path.join(FIXTURES, "cases.npz"))
FIXTURE_CASES = _TABLE["cases"]
ERRORS = _TABLE["errors"]

# per output precision; the largest differences seen against TF 2.21 were 7.2e-6 (float32,
# mel matrix), 2.4e-6 (complex64, stft), 1.8e-15 (float64), 0 (float16, int32, complex128)
ATOL = {np.dtype(np.float16): 2e-3, np.dtype(np.float32): 2e-5, np.dtype(np.complex64): 2e-5,
        np.dtype(np.float64): 1e-11, np.dtype(np.complex128): 1e-11}


def _resolve(value, tensors):
    if isinstance(value, str) and value.startswith("$"):
        return tensors[value[1:]]
    if isinstance(value, str) and value.startswith("@"):
        return getattr(tf.signal, value[1:])
    if isinstance(value, str) and value.startswith("dtype:"):
        return tf.as_dtype(value[6:])
    if isinstance(value, dict) and "inverse_window" in value:
        step, fwd = value["inverse_window"]
        return tf.signal.inverse_stft_window_fn(step, forward_window_fn=_resolve(fwd, tensors))
    return value


def _call(spec, tensors):
    args = [_resolve(a, tensors) for a in spec["args"]]
    kwargs = {k: _resolve(v, tensors) for k, v in spec["kwargs"].items()}
    if spec["fn"] == "inverse_stft_window_fn_call":
        step, fwd, length, dtype = args
        return tf.signal.inverse_stft_window_fn(step, forward_window_fn=fwd)(length, dtype)
    return getattr(tf.signal, spec["fn"])(*args, **kwargs)


def _inputs(name, spec, prefix=""):
    return {k: _ARRAYS[f"{prefix}{name}/{k}"] for k in spec["inputs"]}


def _close(got, want, what):
    want = np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != TF's {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != TF's {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=0, atol=ATOL[want.dtype] * scale,
                                   err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def _as_specific(got, want, what):
    """flowexec's static shape knows at least what TF's does (and never contradicts it)."""
    assert want is not None and got.ndims == len(want), f"{what}: {got} vs TF's {want}"
    for g, w in zip(got.as_list(), want):
        assert w is None or g == w, f"{what}: {got} vs TF's {want}"


def max_differences():
    """{case: max |flowexec - TF|} over outputs (a helper for reporting; not a test)."""
    out = {}
    for name, spec in FIXTURE_CASES.items():
        with tf.Graph().as_default(), tf.Session() as sess:
            tensors = {k: tf.constant(v) for k, v in _inputs(name, spec).items()}
            got = sess.run(_call(spec, tensors))
        want = _ARRAYS[f"{name}/y"]
        out[name] = float(np.max(np.abs(got - want))) if want.size else 0.0
    return out


@pytest.mark.parametrize("name", sorted(FIXTURE_CASES))
def test_matches_tf_with_constants(name):
    spec = FIXTURE_CASES[name]
    with tf.Graph().as_default(), tf.Session() as sess:
        arrays = _inputs(name, spec)
        tensors = {k: tf.constant(v) for k, v in arrays.items()}
        y = _call(spec, tensors)
        assert y.dtype.name == spec["dtype"]
        _as_specific(y.shape, spec["static_shape"], f"static shape of {name}")
        fetch = {"y": y}
        if spec["grad"]:
            w = _ARRAYS[f"{name}/w"]
            if y.dtype.is_complex:
                loss = tf.reduce_sum(tf.math.real(y) * np.real(w) + tf.math.imag(y) * np.imag(w))
            else:
                loss = tf.reduce_sum(y * w)
            keys = spec["inputs"]
            for k, g in zip(keys, tf.gradients(loss, [tensors[k] for k in keys])):
                assert g is not None, f"{name}: no gradient for {k}"
                fetch[f"d{k}"] = g
        got = sess.run(fetch)
    for key, value in got.items():
        _close(np.asarray(value), _ARRAYS[f"{name}/{key}"], f"{name}/{key}")


@pytest.mark.parametrize("name", sorted(n for n, spec in FIXTURE_CASES.items() if spec["inputs"]))
def test_matches_tf_with_run_time_shapes(name):
    spec = FIXTURE_CASES[name]
    arrays = _inputs(name, spec)
    with tf.Graph().as_default(), tf.Session() as sess:
        unknown_dims = {k: tf.placeholder(tf.as_dtype(v.dtype), [None] * v.ndim)
                        for k, v in arrays.items()}
        want_shape = spec["unknown_dims_shape"]
        y = _call(spec, unknown_dims)
        if isinstance(want_shape, list):
            _as_specific(y.shape, want_shape, f"static shape of {name}, unknown dims")
        else:  # TF needs a static last dimension (inverse_mdct); flowexec works without
            assert y.shape.is_compatible_with(spec["static_shape"])
        got = sess.run(y, {unknown_dims[k]: v for k, v in arrays.items()})
        _close(np.asarray(got), _ARRAYS[f"{name}/y"], f"{name} (unknown dims)")

        unknown_rank = {k: tf.placeholder(tf.as_dtype(v.dtype), None) for k, v in arrays.items()}
        y = _call(spec, unknown_rank)
        got = sess.run(y, {unknown_rank[k]: v for k, v in arrays.items()})
        _close(np.asarray(got), _ARRAYS[f"{name}/y"], f"{name} (unknown rank)")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_rejects_what_tf_rejects_with_tf_message(name):
    spec = ERRORS[name]
    with tf.Graph().as_default():
        tensors = {k: tf.constant(v) for k, v in _inputs(name, spec, "error_").items()}
        with pytest.raises(Exception) as info:
            _call(spec, tensors)
    assert type(info.value).__name__ == spec["type"], str(info.value)
    message = spec["message"]
    if name == "mfcc_zero_bins":  # the message shows the tensor; its name may differ
        message = message.split("Got:")[0]
    assert message in str(info.value)


def test_fixture_table_covers_every_function():
    fns = {spec["fn"] for spec in FIXTURE_CASES.values()}
    fns.discard("inverse_stft_window_fn_call")
    fns.add("inverse_stft_window_fn")
    wanted = {"frame", "overlap_and_add", "hann_window", "hamming_window", "kaiser_window",
              "kaiser_bessel_derived_window", "vorbis_window", "stft", "inverse_stft",
              "inverse_stft_window_fn", "linear_to_mel_weight_matrix",
              "mfccs_from_log_mel_spectrograms", "dct", "idct", "mdct", "inverse_mdct",
              "fftshift", "ifftshift"}
    assert wanted <= fns
