"""Records TensorFlow's results for `tf.signal` (windows, frame / overlap_and_add, stft /
inverse_stft, mel matrices and MFCCs, dct / idct, mdct / inverse_mdct, fftshift) into
tests/data/tf1/signal/ (read by tests/ops/test_signal_tf_fixtures.py).

Run with a TensorFlow install (not a flowexec dependency), from the repository root:

    /path/to/tf/bin/python scripts/make_tf_signal_fixtures.py

Everything is built in TF1 graph mode (`tf.compat.v1`) and evaluated in a Session. A case is a
call written as data, so the test rebuilds the same call with flowexec:

    {"fn": "stft", "args": ["$x", 64, 32], "kwargs": {"window_fn": "@hamming_window"}}

where "$x" is the array `<case>/x` of `cases.npz` (a constant), "@name" is the function
`tf.signal.name`, {"inverse_window": [step, "@name"]} is
`tf.signal.inverse_stft_window_fn(step, forward_window_fn=tf.signal.name)` and
"dtype:float64" is a DType. Each case saves

    <case>/<input>   the array inputs
    <case>/y         TF's output
    <case>/w         (gradient cases) weights; <case>/d<input> is d(sum(w * y))/d<input>
                     (for a complex y, sum(real(y) * real(w) + imag(y) * imag(w)))

and `cases.json` records per case the call, TF's static output shape, and TF's static shape
when every array is a placeholder of the same rank with unknown dimensions (or the error TF
raises then). `errors` lists
calls that TF rejects while building the graph, with the exception type and message.
"""

import json
import os

import numpy as np
import tensorflow as tf

tf1 = tf.compat.v1
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tf1", "signal")


def _r(rng, *shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _c(rng, *shape, dtype=np.complex64):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def cases(rng):
    """(name, fn, args, kwargs, arrays, grad) rows; arrays maps "$name" keys to inputs."""
    rows = []

    def add(name, fn, args, kwargs=None, arrays=None, grad=False):
        rows.append((name, fn, args, kwargs or {}, arrays or {}, grad))

    # ----- windows: lengths even/odd/1/0, periodic and symmetric, both float widths
    for fn in ("hann_window", "hamming_window"):
        for length in (8, 7, 1, 2):
            for periodic in (True, False):
                add(f"{fn}_{length}_{'p' if periodic else 's'}", fn, [length],
                    {"periodic": periodic})
        add(f"{fn}_16_f64", fn, [16], {"dtype": "dtype:float64"})
        add(f"{fn}_0", fn, [0])
    add("hann_window_9_f16", "hann_window", [9], {"dtype": "dtype:float16"})
    for length, beta in ((6, 4.0), (7, 12.0), (1, 5.0), (16, 0.5)):
        add(f"kaiser_window_{length}_{beta}", "kaiser_window", [length], {"beta": beta})
    add("kaiser_window_11_f64", "kaiser_window", [11], {"beta": 8.0, "dtype": "dtype:float64"})
    for length, beta in ((8, 4.0), (7, 12.0), (16, 1.0), (2, 3.0)):
        add(f"kbd_window_{length}_{beta}", "kaiser_bessel_derived_window", [length],
            {"beta": beta})
    add("kbd_window_12_f64", "kaiser_bessel_derived_window", [12],
        {"dtype": "dtype:float64"})
    for length in (8, 5, 1):
        add(f"vorbis_window_{length}", "vorbis_window", [length])
    add("vorbis_window_10_f64", "vorbis_window", [10], {"dtype": "dtype:float64"})

    # ----- frame
    add("frame_basic", "frame", ["$x", 4, 2], arrays={"x": _r(rng, 2, 10)}, grad=True)
    add("frame_gcd1", "frame", ["$x", 5, 3], arrays={"x": _r(rng, 3, 17)}, grad=True)
    add("frame_pad_end", "frame", ["$x", 4, 3], {"pad_end": True, "pad_value": -1.5},
        arrays={"x": _r(rng, 2, 10)}, grad=True)
    add("frame_axis0", "frame", ["$x", 3, 2], {"axis": 0}, arrays={"x": _r(rng, 9, 3)},
        grad=True)
    add("frame_axis_mid_pad", "frame", ["$x", 4, 2], {"axis": -2, "pad_end": True},
        arrays={"x": _r(rng, 2, 7, 3, dtype=np.float64)}, grad=True)
    add("frame_no_overlap", "frame", ["$x", 5, 5], arrays={"x": _r(rng, 12)}, grad=True)
    add("frame_step_gt_length", "frame", ["$x", 2, 5], arrays={"x": _r(rng, 2, 13)}, grad=True)
    add("frame_too_short", "frame", ["$x", 6, 2], arrays={"x": _r(rng, 2, 4)})
    add("frame_too_short_pad", "frame", ["$x", 6, 2], {"pad_end": True},
        arrays={"x": _r(rng, 2, 4)})
    add("frame_int32", "frame", ["$x", 3, 1], arrays={"x": np.arange(8, dtype=np.int32)})
    add("frame_f64", "frame", ["$x", 8, 4], arrays={"x": _r(rng, 3, 2, 20, dtype=np.float64)},
        grad=True)

    # ----- overlap_and_add
    add("ola_basic", "overlap_and_add", ["$x", 2], arrays={"x": _r(rng, 2, 3, 5)}, grad=True)
    add("ola_fast_path", "overlap_and_add", ["$x", 5], arrays={"x": _r(rng, 4, 5)}, grad=True)
    add("ola_gap", "overlap_and_add", ["$x", 7], arrays={"x": _r(rng, 3, 4)}, grad=True)
    add("ola_rank4_f64", "overlap_and_add", ["$x", 3],
        arrays={"x": _r(rng, 2, 2, 4, 8, dtype=np.float64)}, grad=True)
    add("ola_one_frame", "overlap_and_add", ["$x", 1], arrays={"x": _r(rng, 1, 6)}, grad=True)

    # ----- stft / inverse_stft / inverse_stft_window_fn
    sig = _r(rng, 2, 300)
    add("stft_default", "stft", ["$x", 64, 32], arrays={"x": sig}, grad=True)
    add("stft_non_pow2", "stft", ["$x", 50, 20], {"pad_end": True}, arrays={"x": sig},
        grad=True)
    add("stft_no_window_fft100", "stft", ["$x", 40, 16],
        {"window_fn": None, "fft_length": 100}, arrays={"x": sig})
    add("stft_hamming_short_fft", "stft", ["$x", 40, 10],
        {"window_fn": "@hamming_window", "fft_length": 32}, arrays={"x": sig})
    add("stft_f64_1d", "stft", ["$x", 32, 8],
        arrays={"x": _r(rng, 120, dtype=np.float64)}, grad=True)
    add("stft_kaiser", "stft", ["$x", 48, 12], {"window_fn": "@kaiser_window"},
        arrays={"x": sig})
    add("istft_default", "inverse_stft", ["$s", 64, 32], arrays={"s": _c(rng, 2, 6, 33)},
        grad=True)
    add("istft_inverse_window", "inverse_stft", ["$s", 50, 20],
        {"window_fn": {"inverse_window": [20, "@hann_window"]}},
        arrays={"s": _c(rng, 5, 33)}, grad=True)
    add("istft_frame_gt_fft", "inverse_stft", ["$s", 40, 10],
        {"fft_length": 32, "window_fn": {"inverse_window": [10, "@hamming_window"]}},
        arrays={"s": _c(rng, 2, 4, 17)})
    add("istft_no_window_f64", "inverse_stft", ["$s", 30, 15],
        {"window_fn": None, "fft_length": 64},
        arrays={"s": _c(rng, 3, 33, dtype=np.complex128)}, grad=True)
    for step, length, fwd in ((160, 400, "@hann_window"), (16, 64, "@hamming_window"),
                              (7, 20, "@vorbis_window"), (30, 30, "@hann_window")):
        add(f"istft_window_{length}_{step}_{fwd[1:]}", "inverse_stft_window_fn_call",
            [step, fwd, length, "dtype:float32"])
    add("istft_window_f64", "inverse_stft_window_fn_call",
        [24, "@hann_window", 96, "dtype:float64"])

    # ----- mel matrix and MFCCs
    add("mel_defaults", "linear_to_mel_weight_matrix", [])
    add("mel_16k", "linear_to_mel_weight_matrix", [40, 257, 16000.0, 20.0, 8000.0])
    add("mel_f64", "linear_to_mel_weight_matrix", [10, 33, 22050.0, 0.0, 11025.0],
        {"dtype": "dtype:float64"})
    add("mel_int_rate", "linear_to_mel_weight_matrix", [8, 65, 16000, 300.0, 4000.0])
    add("mfcc_f32", "mfccs_from_log_mel_spectrograms", ["$x"], arrays={"x": _r(rng, 3, 20)},
        grad=True)
    add("mfcc_f64", "mfccs_from_log_mel_spectrograms", ["$x"],
        arrays={"x": _r(rng, 2, 4, 13, dtype=np.float64)}, grad=True)

    # ----- dct / idct: every type, norm, and n (truncating and padding)
    x8 = _r(rng, 3, 8)
    x64 = _r(rng, 2, 7, dtype=np.float64)
    for fn in ("dct", "idct"):
        for kind in (1, 2, 3, 4):
            for norm in (None, "ortho"):
                if kind == 1 and norm:
                    continue
                tag = f"{fn}{kind}_{norm or 'none'}"
                add(tag, fn, ["$x"], {"type": kind, "norm": norm}, arrays={"x": x8})
                add(tag + "_n5", fn, ["$x"], {"type": kind, "norm": norm, "n": 5},
                    arrays={"x": x8})
                add(tag + "_n11_f64", fn, ["$x"], {"type": kind, "norm": norm, "n": 11},
                    arrays={"x": x64}, grad=True)

    # ----- mdct / inverse_mdct
    sig2 = _r(rng, 2, 64)
    add("mdct_default", "mdct", ["$x", 16], arrays={"x": sig2}, grad=True)
    add("mdct_pad_ortho", "mdct", ["$x", 16], {"pad_end": True, "norm": "ortho"},
        arrays={"x": sig2})
    add("mdct_no_window", "mdct", ["$x", 8], {"window_fn": None}, arrays={"x": sig2})
    add("mdct_kbd_f64", "mdct", ["$x", 12], {"window_fn": "@kaiser_bessel_derived_window"},
        arrays={"x": _r(rng, 50, dtype=np.float64)}, grad=True)
    add("imdct_default", "inverse_mdct", ["$m"], arrays={"m": _r(rng, 2, 5, 8)}, grad=True)
    add("imdct_ortho", "inverse_mdct", ["$m"], {"norm": "ortho"}, arrays={"m": _r(rng, 4, 6)})
    add("imdct_no_window_f64", "inverse_mdct", ["$m"], {"window_fn": None},
        arrays={"m": _r(rng, 3, 4, dtype=np.float64)}, grad=True)

    # ----- fftshift / ifftshift
    add("fftshift_1d", "fftshift", ["$x"], arrays={"x": np.arange(10, dtype=np.float32)})
    add("fftshift_odd_2d", "fftshift", ["$x"], arrays={"x": _r(rng, 3, 5)}, grad=True)
    add("fftshift_axis_int", "fftshift", ["$x"], {"axes": 1}, arrays={"x": _r(rng, 3, 4, 5)})
    add("fftshift_axes_neg", "fftshift", ["$x"], {"axes": [0, -1]},
        arrays={"x": _c(rng, 3, 4, 5)})
    add("ifftshift_1d", "ifftshift", ["$x"], arrays={"x": np.arange(9, dtype=np.float64)})
    add("ifftshift_2d", "ifftshift", ["$x"], arrays={"x": _r(rng, 3, 5)}, grad=True)
    add("ifftshift_axes", "ifftshift", ["$x"], {"axes": [-2]}, arrays={"x": _r(rng, 3, 4, 5)})
    return rows


# Calls TF rejects while the graph is built: (name, fn, args, kwargs, arrays).
ERRORS = [
    ("window_int_dtype", "hann_window", [8], {"dtype": "dtype:int32"}, {}),
    ("window_rank1_length", "hann_window", [[8]], {}, {}),
    ("kaiser_int_dtype", "kaiser_window", [8], {"dtype": "dtype:int32"}, {}),
    ("vorbis_int_dtype", "vorbis_window", [8], {"dtype": "dtype:int64"}, {}),
    ("frame_scalar_signal", "frame", ["$x", 2, 1], {}, {"x": np.float32(1.0)}),
    ("frame_vector_length", "frame", ["$x", [2], 1], {}, {"x": np.zeros(5, np.float32)}),
    ("frame_vector_step", "frame", ["$x", 2, [1]], {}, {"x": np.zeros(5, np.float32)}),
    ("frame_vector_pad_value", "frame", ["$x", 2, 1], {"pad_end": True, "pad_value": [0.0]},
     {"x": np.zeros(5, np.float32)}),
    ("ola_rank1", "overlap_and_add", ["$x", 2], {}, {"x": np.zeros(5, np.float32)}),
    ("ola_float_step", "overlap_and_add", ["$x", 2.0], {}, {"x": np.zeros((2, 5), np.float32)}),
    ("ola_vector_step", "overlap_and_add", ["$x", [2]], {}, {"x": np.zeros((2, 5), np.float32)}),
    ("stft_scalar_signal", "stft", ["$x", 4, 2], {}, {"x": np.float32(1.0)}),
    ("stft_vector_length", "stft", ["$x", [4], 2], {}, {"x": np.zeros(9, np.float32)}),
    ("istft_rank1", "inverse_stft", ["$s", 4, 2], {}, {"s": np.zeros(5, np.complex64)}),
    ("istft_vector_fft_length", "inverse_stft", ["$s", 4, 2], {"fft_length": [4]},
     {"s": np.zeros((2, 3), np.complex64)}),
    ("dct_type5", "dct", ["$x"], {"type": 5}, {"x": np.zeros((2, 4), np.float32)}),
    ("dct_bad_norm", "dct", ["$x"], {"norm": "forward"}, {"x": np.zeros((2, 4), np.float32)}),
    ("dct1_ortho", "dct", ["$x"], {"type": 1, "norm": "ortho"},
     {"x": np.zeros((2, 4), np.float32)}),
    ("dct1_length1", "dct", ["$x"], {"type": 1}, {"x": np.zeros((2, 1), np.float32)}),
    ("dct_n0", "dct", ["$x"], {"n": 0}, {"x": np.zeros((2, 4), np.float32)}),
    ("dct_axis0", "dct", ["$x"], {"axis": 0}, {"x": np.zeros((2, 4), np.float32)}),
    ("idct_type0", "idct", ["$x"], {"type": 0}, {"x": np.zeros((2, 4), np.float32)}),
    ("mdct_length10", "mdct", ["$x", 10], {}, {"x": np.zeros(40, np.float32)}),
    ("mdct_scalar_signal", "mdct", ["$x", 8], {}, {"x": np.float32(0.0)}),
    ("imdct_rank1", "inverse_mdct", ["$m"], {}, {"m": np.zeros(8, np.float32)}),
    ("mel_zero_bins", "linear_to_mel_weight_matrix", [0], {}, {}),
    ("mel_negative_lower", "linear_to_mel_weight_matrix", [20, 129, 8000, -1.0], {}, {}),
    ("mel_lower_ge_upper", "linear_to_mel_weight_matrix", [20, 129, 8000, 3000.0, 2000.0],
     {}, {}),
    ("mel_zero_rate", "linear_to_mel_weight_matrix", [20, 129, 0.0, 0.0, 100.0], {}, {}),
    ("mel_above_nyquist", "linear_to_mel_weight_matrix", [20, 129, 8000, 125.0, 4100.0],
     {}, {}),
    ("mel_int_dtype", "linear_to_mel_weight_matrix", [], {"dtype": "dtype:int32"}, {}),
    ("mfcc_zero_bins", "mfccs_from_log_mel_spectrograms", ["$x"], {},
     {"x": np.zeros((2, 0), np.float32)}),
]


def resolve(value, tensors):
    """A spec value as a TF argument."""
    if isinstance(value, str) and value.startswith("$"):
        return tensors[value[1:]]
    if isinstance(value, str) and value.startswith("@"):
        return getattr(tf1.signal, value[1:])
    if isinstance(value, str) and value.startswith("dtype:"):
        return tf.as_dtype(value[6:])
    if isinstance(value, dict) and "inverse_window" in value:
        step, fwd = value["inverse_window"]
        return tf1.signal.inverse_stft_window_fn(step, forward_window_fn=resolve(fwd, tensors))
    return value


def call(fn, args, kwargs, tensors):
    args = [resolve(a, tensors) for a in args]
    kwargs = {k: resolve(v, tensors) for k, v in kwargs.items()}
    if fn == "inverse_stft_window_fn_call":
        step, fwd, length, dtype = args
        return tf1.signal.inverse_stft_window_fn(step, forward_window_fn=fwd)(length, dtype)
    return getattr(tf1.signal, fn)(*args, **kwargs)


def _unknown_dims_shape(fn, args, kwargs, arrays):
    if not arrays:
        return None
    with tf1.Graph().as_default():
        tensors = {k: tf1.placeholder(tf.as_dtype(v.dtype), [None] * np.ndim(v))
                   for k, v in arrays.items()}
        try:
            y = call(fn, args, kwargs, tensors)
        except (ValueError, TypeError) as e:  # TF's inverse_mdct needs a static last dim
            return {"error": type(e).__name__, "message": str(e)}
        return y.shape.as_list() if y.shape.ndims is not None else None


def _loss(y, w):
    if y.dtype.is_complex:
        return tf1.reduce_sum(tf1.real(y) * np.real(w) + tf1.imag(y) * np.imag(w))
    return tf1.reduce_sum(y * w)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240917)
    arrays_out, table = {}, {}
    for name, fn, args, kwargs, arrays, grad in cases(rng):
        graph = tf1.Graph()
        with graph.as_default(), tf1.Session(graph=graph) as sess:
            tensors = {k: tf1.constant(v) for k, v in arrays.items()}
            y = call(fn, args, kwargs, tensors)
            fetch = {"y": y}
            if grad:
                shape = y.shape.as_list()
                w = rng.standard_normal(shape)
                if y.dtype.is_complex:
                    w = w + 1j * rng.standard_normal(shape)
                w = w.astype(y.dtype.as_numpy_dtype)
                arrays_out[f"{name}/w"] = w
                keys = sorted(arrays)
                grads = tf1.gradients(_loss(y, w), [tensors[k] for k in keys])
                for k, g in zip(keys, grads):
                    fetch[f"d{k}"] = g
            got = sess.run(fetch)
        for k, v in arrays.items():
            arrays_out[f"{name}/{k}"] = v
        for k, v in got.items():
            arrays_out[f"{name}/{k}"] = v
        table[name] = {"fn": fn, "args": args, "kwargs": kwargs, "grad": grad,
                       "inputs": sorted(arrays), "dtype": y.dtype.name,
                       "static_shape": y.shape.as_list() if y.shape.ndims is not None else None,
                       "unknown_dims_shape": _unknown_dims_shape(fn, args, kwargs, arrays)}
    errors = {}
    for name, fn, args, kwargs, arrays in ERRORS:
        with tf1.Graph().as_default():
            tensors = {k: tf1.constant(v) for k, v in arrays.items()}
            try:
                call(fn, args, kwargs, tensors)
            except Exception as e:  # noqa: BLE001 - recording whatever TF raises
                errors[name] = {"fn": fn, "args": args, "kwargs": kwargs,
                                "inputs": sorted(arrays), "type": type(e).__name__,
                                "message": str(e)}
            else:
                raise AssertionError(f"TF accepted error case {name}")
        for k, v in arrays.items():
            arrays_out[f"error_{name}/{k}"] = v
    np.savez_compressed(os.path.join(OUT, "cases.npz"), **arrays_out)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "cases": table, "errors": errors}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(table)} cases and {len(errors)} error cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
