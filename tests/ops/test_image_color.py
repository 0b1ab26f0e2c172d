"""Colour ops of tf.image (flowexec/ops/image_color_ops.py): numpy oracles (colorsys for HSV,
the published matrices for YIQ/YUV, TF's scaling rules for convert_image_dtype), TF's recorded
outputs and gradients for every function (tests/data/tf1/image_color, written by
scripts/make_tf_image_color_fixtures.py), finite-difference gradients, TF's build-time and
run-time messages, TF's gradient decisions, seeded random variants, and a Session pipeline."""

import colorsys
import dataclasses
import json
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import dtypes
from flowexec.ops import image_color_ops as ic
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "image_color")


# ----- numpy oracles -------------------------------------------------------------------------
def _per_pixel(fn, x):
    flat = x.reshape(-1, 3).astype(np.float64)
    return np.array([fn(*p) for p in flat]).reshape(x.shape)


def np_rgb_to_hsv(x):
    return _per_pixel(colorsys.rgb_to_hsv, x).astype(x.dtype)


def np_hsv_to_rgb(x):
    return _per_pixel(colorsys.hsv_to_rgb, x).astype(x.dtype)


def np_adjust_saturation(x, factor):
    def one(r, g, b):
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb(h, min(max(s * factor, 0.0), 1.0), v)
    return _per_pixel(one, x).astype(x.dtype)


def np_adjust_hue(x, delta):
    def one(r, g, b):
        h, s, v = colorsys.rgb_to_hsv(r, g, b)
        return colorsys.hsv_to_rgb((h + delta) % 1.0, s, v)
    return _per_pixel(one, x).astype(x.dtype)


def np_adjust_contrast(x, factor):
    xf = x.astype(np.float64)
    mean = xf.mean(axis=(-3, -2), keepdims=True)
    return ((xf - mean) * factor + mean).astype(x.dtype)


YIQ = np.array([[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
                [0.114, -0.32134392, 0.31119955]])
YUV = np.array([[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
                [0.114, 0.43601035, -0.10001026]])
# TF's inverses, to 8 digits (a round trip is the identity only to about 1e-4).
YIQ_INV = np.array([[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
                    [0.6208248, -0.64720424, 1.70423049]])
YUV_INV = np.array([[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]])


def np_convert(x, dtype, saturate=False):
    """TF's convert_image_dtype rules, written out with numpy."""
    src, dst = x.dtype, np.dtype(dtype)
    if src == dst:
        return x
    if src.kind in "iu" and dst.kind in "iu":
        smax, dmax = int(np.iinfo(src).max), int(np.iinfo(dst).max)
        if smax > dmax:
            y = x.astype(np.int64) // ((smax + 1) // (dmax + 1))
        else:
            y = x.astype(np.int64)
            if saturate:
                y = np.clip(y, np.iinfo(dst).min, np.iinfo(dst).max)
            return (y.astype(dst) * ((dmax + 1) // (smax + 1))).astype(dst)
        if saturate:
            y = np.clip(y, np.iinfo(dst).min, np.iinfo(dst).max)
        return y.astype(dst)
    if src.kind == "f" and dst.kind == "f":
        return x.astype(dst)
    if src.kind in "iu":
        return x.astype(dst) * dst.type(1.0 / np.iinfo(src).max)
    y = x * src.type(np.iinfo(dst).max + 0.5)
    if saturate:
        y = np.clip(y, np.iinfo(dst).min, np.iinfo(dst).max)
    return y.astype(dst)


def unit(*shape, dtype=np.float64, low=0.02, high=0.98):
    """Random images in [low, high)."""
    return lambda rng: [(rng.random(shape) * (high - low) + low).astype(dtype)]


def _hsv_safe(*shape):
    """RGB pixels whose channels differ by at least 0.05: away from the ties where the
    hue is discontinuous, so finite differences are meaningful."""
    def make(rng):
        x = rng.random((int(np.prod(shape[:-1])), 3)) * 0.8 + 0.1
        for i, p in enumerate(x):
            while min(abs(p[0] - p[1]), abs(p[1] - p[2]), abs(p[0] - p[2])) < 0.05:
                p = rng.random(3) * 0.8 + 0.1
            x[i] = p
        return [x.reshape(shape)]
    return make


CASES = [
    OpCase("rgb_to_hsv_4d", ic.rgb_to_hsv, np_rgb_to_hsv, _hsv_safe(2, 3, 4, 3), atol=1e-12,
           rtol=1e-12, grad_atol=1e-6, grad_rtol=1e-5),
    OpCase("rgb_to_hsv_float32_3d", ic.rgb_to_hsv, np_rgb_to_hsv,
           unit(3, 4, 3, dtype=np.float32), atol=1e-6, rtol=1e-6, grad=False),
    OpCase("hsv_to_rgb_4d", ic.hsv_to_rgb, np_hsv_to_rgb, unit(2, 3, 4, 3, low=0.0, high=1.0),
           atol=1e-12, rtol=1e-12, grad=False),
    OpCase("hsv_to_rgb_float32_2d", ic.hsv_to_rgb, np_hsv_to_rgb,
           unit(5, 3, dtype=np.float32), atol=1e-6, rtol=1e-6, grad=False),
    OpCase("adjust_contrast_4d", lambda x: ic.adjust_contrast(x, 1.7),
           lambda x: np_adjust_contrast(x, 1.7), unit(2, 3, 4, 3, dtype=np.float32),
           atol=1e-6, rtol=1e-6, grad=False),
    OpCase("adjust_contrast_3d_single_channel", lambda x: ic.adjust_contrast(x, -0.5),
           lambda x: np_adjust_contrast(x, -0.5), unit(4, 5, 1, dtype=np.float32),
           atol=1e-6, rtol=1e-6, grad=False),
    OpCase("adjust_saturation_4d", lambda x: ic.adjust_saturation(x, 0.4),
           lambda x: np_adjust_saturation(x, 0.4), unit(2, 3, 4, 3, dtype=np.float32),
           atol=1e-6, rtol=1e-6, grad=False),
    OpCase("adjust_saturation_clips_at_one", lambda x: ic.adjust_saturation(x, 5.0),
           lambda x: np_adjust_saturation(x, 5.0), unit(3, 4, 3, dtype=np.float32),
           atol=1e-6, rtol=1e-6, grad=False),
    OpCase("adjust_hue_4d", lambda x: ic.adjust_hue(x, 0.3), lambda x: np_adjust_hue(x, 0.3),
           unit(2, 3, 4, 3, dtype=np.float32), atol=1e-6, rtol=1e-6, grad=False),
    OpCase("adjust_hue_negative", lambda x: ic.adjust_hue(x, -0.7),
           lambda x: np_adjust_hue(x, -0.7), unit(3, 4, 3, dtype=np.float32), atol=1e-6,
           rtol=1e-6, grad=False),
    OpCase("adjust_brightness_float32", lambda x: ic.adjust_brightness(x, 0.25),
           lambda x: x + np.float32(0.25), unit(2, 3, 4, 3, dtype=np.float32), grad=False),
    OpCase("adjust_brightness_uint8_saturates", lambda x: ic.adjust_brightness(x, 0.5),
           lambda x: np_convert(np_convert(x, np.float32) + np.float32(0.5), np.uint8, True),
           [np.arange(0, 256, 8, dtype=np.uint8).reshape(2, 4, 4, 1)]),
    OpCase("adjust_gamma_float32", lambda x: ic.adjust_gamma(x, 0.5, 2.0),
           lambda x: 2 * x.astype(np.float64) ** 0.5, unit(3, 4, 3, dtype=np.float32),
           atol=1e-6, rtol=1e-6, grad=False),
    OpCase("rgb_to_grayscale_4d", ic.rgb_to_grayscale,
           lambda x: (x @ np.array([0.2989, 0.5870, 0.1140]))[..., None],
           unit(2, 3, 4, 3, dtype=np.float32), atol=1e-6, rtol=1e-6, grad=False),
    OpCase("grayscale_to_rgb_3d", ic.grayscale_to_rgb, lambda x: np.repeat(x, 3, axis=-1),
           unit(3, 4, 1)),
    OpCase("rgb_to_yiq", ic.rgb_to_yiq, lambda x: x @ YIQ, unit(2, 3, 4, 3), atol=1e-12,
           rtol=1e-12),
    OpCase("yiq_round_trip", lambda x: ic.yiq_to_rgb(ic.rgb_to_yiq(x)),
           lambda x: x @ YIQ @ YIQ_INV, unit(3, 4, 3), atol=1e-12, rtol=1e-12),
    OpCase("rgb_to_yuv", ic.rgb_to_yuv, lambda x: x @ YUV, unit(4, 3), atol=1e-12,
           rtol=1e-12),
    OpCase("yuv_round_trip", lambda x: ic.yuv_to_rgb(ic.rgb_to_yuv(x)),
           lambda x: x @ YUV @ YUV_INV, unit(2, 2, 3, 3), atol=1e-12, rtol=1e-12),
    OpCase("convert_uint8_to_float32", lambda x: ic.convert_image_dtype(x, tf.float32),
           lambda x: np_convert(x, np.float32),
           [np.arange(256, dtype=np.uint8).reshape(4, 8, 8)]),
    OpCase("convert_float32_to_uint8_saturate",
           lambda x: ic.convert_image_dtype(x, tf.uint8, saturate=True),
           lambda x: np_convert(x, np.uint8, True),
           [np.linspace(-0.5, 1.5, 48, dtype=np.float32).reshape(4, 4, 3)], grad=False),
    OpCase("convert_int16_to_uint8_saturate",
           lambda x: ic.convert_image_dtype(x, tf.uint8, saturate=True),
           lambda x: np_convert(x, np.uint8, True),
           [np.linspace(-32768, 32767, 24).astype(np.int16).reshape(2, 4, 3)]),
    OpCase("convert_uint8_to_int32", lambda x: ic.convert_image_dtype(x, tf.int32),
           lambda x: np_convert(x, np.int32),
           [np.arange(0, 256, 5, dtype=np.uint8).reshape(1, 52, 1)[:, :48].reshape(4, 4, 3)]),
    OpCase("convert_float64_to_float32", lambda x: ic.convert_image_dtype(x, tf.float32),
           lambda x: x.astype(np.float32), unit(2, 3, 3), grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


# Composites that compute in float32 whatever the input (TF's convert_image_dtype to float32):
# finite differences with a step float32 resolves.
FLOAT32_GRAD_CASES = [
    OpCase("adjust_brightness", lambda x: ic.adjust_brightness(x, 0.2), None,
           unit(2, 3, 2, 3, dtype=np.float32)),
    OpCase("adjust_gamma", lambda x: ic.adjust_gamma(x, 1.7, 0.8), None,
           unit(3, 2, 3, dtype=np.float32, low=0.2)),
    OpCase("adjust_gamma_tensor_gamma", lambda x: ic.adjust_gamma(x, tf.constant(0.6)), None,
           unit(2, 2, 3, dtype=np.float32, low=0.2)),
    OpCase("rgb_to_grayscale", ic.rgb_to_grayscale, None, unit(2, 3, 2, 3, dtype=np.float32)),
    OpCase("grayscale_to_rgb", ic.grayscale_to_rgb, None, unit(3, 2, 1, dtype=np.float32)),
]


@pytest.mark.parametrize("case", FLOAT32_GRAD_CASES, ids=ids(FLOAT32_GRAD_CASES))
def test_float32_composite_gradient_matches_finite_differences(case):
    check_gradient(dataclasses.replace(case, grad_atol=2e-3, grad_rtol=2e-3), eps=1e-3)


# ----- TF's recorded results -----------------------------------------------------------------
def _fixture_cases():
    with open(os.path.join(FIXTURES, "cases.json")) as f:
        return json.load(f)["cases"]


TF_CASES = _fixture_cases()
_ARRAYS = np.load(os.path.join(FIXTURES, "cases.npz"))


def _build(meta, x):
    """The case's call on `x`; for a `via` case (bfloat16) returns (output, float32 output)."""
    kwargs = {k: (tf.as_dtype(v) if k == "dtype" else v) for k, v in meta["kwargs"].items()}
    if meta.get("via"):
        y = getattr(ic, meta["fn"])(tf.cast(x, meta["via"]), **kwargs)
        return y, tf.cast(y, tf.float32)
    y = getattr(ic, meta["fn"])(x, **kwargs)
    return y, y


def _assert_tf_equal(got, want, name):
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != TF's {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape} != TF's {want.shape}"
    if want.dtype.kind == "f":
        # The kernels are TF's operation for operation; only Eigen's float32 reductions
        # (contrast's mean, gamma's pow) may round differently in the last place.
        np.testing.assert_allclose(got, want, rtol=4e-7, atol=2e-7, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def _needs(meta):
    if meta.get("via") == "bfloat16" and not dtypes.HAS_BFLOAT16:
        pytest.skip("bfloat16 needs the ml_dtypes package")


@pytest.mark.parametrize("name", sorted(TF_CASES))
def test_matches_tf_outputs_shapes_and_gradients(name):
    meta = TF_CASES[name]
    _needs(meta)
    x = _ARRAYS[f"{name}/x"]
    graph = tf.Graph()
    with graph.as_default():
        xt = tf.constant(x)
        y, y_out = _build(meta, xt)
        assert y.shape.as_list() == meta["static_shape"]
        assert y.dtype.name == meta["dtype"]
        fetch = [y_out]
        if meta["grad"]:
            w = tf.constant(_ARRAYS[f"{name}/w"])
            fetch.append(tf.gradients(tf.reduce_sum(y * w), xt)[0])
        with tf.Session(graph=graph) as sess:
            got = sess.run(fetch)
    _assert_tf_equal(got[0], _ARRAYS[f"{name}/y"], name)
    if meta["grad"]:
        np.testing.assert_allclose(got[1], _ARRAYS[f"{name}/dx"], rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}: gradient")


@pytest.mark.parametrize("name", sorted(TF_CASES))
def test_matches_tf_with_unknown_dimensions(name):
    """The same values through a placeholder of known rank and unknown dimensions."""
    meta = TF_CASES[name]
    _needs(meta)
    x = _ARRAYS[f"{name}/x"]
    graph = tf.Graph()
    with graph.as_default():
        ph = tf.placeholder(tf.as_dtype(x.dtype), [None] * x.ndim)
        y, y_out = _build(meta, ph)
        assert y.shape.as_list() == meta["unknown_dims_shape"]
        with tf.Session(graph=graph) as sess:
            got = sess.run(y_out, {ph: x})
    _assert_tf_equal(got, _ARRAYS[f"{name}/y"], name)


@pytest.mark.parametrize("name", ["rgb_to_grayscale_u8", "rgb_to_grayscale_f3"])
def test_rgb_to_grayscale_of_unknown_rank_matches_tf(name):
    x = _ARRAYS[f"{name}/x"]
    ph = tf.placeholder(tf.as_dtype(x.dtype), None)
    y = ic.rgb_to_grayscale(ph)
    assert y.shape.ndims is None
    with tf.Session() as sess:
        _assert_tf_equal(sess.run(y, {ph: x}), _ARRAYS[f"{name}/y"], name)


def test_half_images_compute_in_float32_like_tfs_gpu_kernels():
    rng = np.random.default_rng(3)
    x = rng.random((2, 3, 4, 3)).astype(np.float16)
    x32 = x.astype(np.float32)
    pairs = [(ic.adjust_hue(x, 0.2), ic.adjust_hue(x32, 0.2)),
             (ic.adjust_saturation(x, 0.6), ic.adjust_saturation(x32, 0.6)),
             (ic.adjust_contrast(x, 1.4), ic.adjust_contrast(x32, 1.4))]
    with tf.Session() as sess:
        for half, full in sess.run(pairs):
            assert half.dtype == np.float16
            np.testing.assert_array_equal(half, full.astype(np.float16))


# ----- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("build, error, message", [
    (lambda: ic.rgb_to_hsv(tf.zeros([2, 4])), ValueError,
     r"Dimension must be 3 but is 4 for 'RGBToHSV' \(op: 'RGBToHSV'\)"),
    (lambda: ic.hsv_to_rgb(tf.zeros([2, 2])), ValueError, "Dimension must be 3 but is 2"),
    (lambda: ic.rgb_to_hsv(tf.zeros([])), ValueError,
     "Shape must be at least rank 1 but is rank 0"),
    (lambda: ic.rgb_to_hsv(tf.zeros([2, 3], tf.int32)), TypeError,
     "Value passed to parameter 'images' has DataType int32 not in list of allowed values"),
    (lambda: ic.adjust_contrast(tf.zeros([2, 4]), 2.0), ValueError,
     "Shape must be at least rank 3 but is rank 2"),
    (lambda: ic.adjust_contrast(tf.zeros([2, 4, 3]), [2.0, 1.0]), ValueError,
     "Shape must be rank 0 but is rank 1"),
    (lambda: ic.adjust_saturation(tf.zeros([2, 3]), 2.0), ValueError,
     "Shape must be at least rank 3 but is rank 2"),
    (lambda: ic.adjust_hue(tf.zeros([4, 3]), 0.2), ValueError,
     "Shape must be at least rank 3 but is rank 2"),
    (lambda: ic.rgb_to_grayscale(tf.zeros([2, 4, 4])), ValueError,
     "Dimensions must be equal, but are 4 and 3"),
    (lambda: ic.rgb_to_yiq(tf.zeros([2, 4, 4])), ValueError,
     "Dimensions must be equal, but are 4 and 3"),
    (lambda: ic.grayscale_to_rgb(tf.zeros([2, 4, 4])), ValueError,
     "Last dimension of a grayscale image should be size 1."),
    (lambda: ic.grayscale_to_rgb(tf.zeros([4])), ValueError,
     r"A grayscale image \(shape \(4,\)\) must be at least two-dimensional."),
    (lambda: ic.adjust_gamma(tf.zeros([2, 4, 3]), -1.0), ValueError,
     "Gamma should be a non-negative real number."),
    (lambda: ic.random_brightness(tf.zeros([2, 4, 3]), -1.0), ValueError,
     "max_delta must be non-negative."),
    (lambda: ic.random_contrast(tf.zeros([2, 4, 3]), 0.5, 0.5), ValueError,
     "upper must be > lower."),
    (lambda: ic.random_contrast(tf.zeros([2, 4, 3]), -0.5, 0.5), ValueError,
     "lower must be non-negative."),
    (lambda: ic.random_saturation(tf.zeros([2, 4, 3]), 0.5, 0.2), ValueError,
     "upper must be > lower."),
    (lambda: ic.random_saturation(tf.zeros([2, 4, 3]), -0.1, 0.2), ValueError,
     "lower must be non-negative."),
    (lambda: ic.random_hue(tf.zeros([2, 4, 3]), 0.6), ValueError, r"max_delta must be <= 0.5."),
    (lambda: ic.random_hue(tf.zeros([2, 4, 3]), -0.1), ValueError,
     "max_delta must be non-negative."),
    (lambda: ic.convert_image_dtype(tf.zeros([2, 4, 3]), tf.string), AttributeError,
     "dtype must be either floating point or integer"),
    (lambda: ic.convert_image_dtype(tf.zeros([2, 4, 3], tf.bool), tf.float32),
     AttributeError, "image dtype must be either floating point or integer"),
])
def test_build_time_errors_use_tf_messages(build, error, message):
    with pytest.raises(error, match=message):
        build()


def _unknown(value, dtype=tf.float32):
    return tf.placeholder_with_default(tf.constant(value, dtype), None)


@pytest.mark.parametrize("build, error, message", [
    (lambda: ic.adjust_hue(tf.zeros([2, 4, 4]), 0.2), tf.errors.InvalidArgumentError,
     "input must have 3 channels but instead has 4 channels."),
    (lambda: ic.adjust_saturation(tf.zeros([2, 4, 2]), 0.2), tf.errors.InvalidArgumentError,
     "input must have 3 channels but instead has 2 channels."),
    (lambda: ic.adjust_hue(tf.zeros([2, 4, 3]), [0.2, 0.1]), tf.errors.InvalidArgumentError,
     r"delta must be scalar: \[2\]"),
    (lambda: ic.adjust_saturation(tf.zeros([2, 4, 3]), [0.2, 0.1]),
     tf.errors.InvalidArgumentError, r"scale must be scalar: \[2\]"),
    (lambda: ic.adjust_contrast(tf.zeros([2, 4, 3]), _unknown([2.0, 1.0])),
     tf.errors.InvalidArgumentError, r"contrast_factor must be scalar: \[2\]"),
    (lambda: ic.adjust_contrast(_unknown(np.zeros((2, 4))), 2.0),
     tf.errors.InvalidArgumentError, r"input must be at least 3-D, got shape\[2,4\]"),
    (lambda: ic.adjust_hue(_unknown(np.zeros((2, 4))), 0.1), tf.errors.InvalidArgumentError,
     r"input must be at least 3-D, got shape\[2,4\]"),
    (lambda: ic.rgb_to_hsv(_unknown(np.zeros((2, 4)))), tf.errors.FailedPreconditionError,
     "input must have 3 channels but input only has 4 channels."),
    (lambda: ic.hsv_to_rgb(_unknown(0.0)), tf.errors.InvalidArgumentError,
     r"input must be at least 1D\[\]"),
    (lambda: ic.adjust_gamma(tf.zeros([2, 4, 3]), tf.constant(-1.0)),
     tf.errors.InvalidArgumentError, r"Gamma should be a non-negative real number."),
    (lambda: ic.grayscale_to_rgb(tf.placeholder_with_default(tf.zeros([2, 4]), [None, None])),
     tf.errors.InvalidArgumentError, "Last dimension of a grayscale image should be size 1."),
    # TF asserts rank >= 3 once the shape is not static (its message says two-dimensional).
    (lambda: ic.grayscale_to_rgb(tf.placeholder_with_default(tf.zeros([4, 1]), [None, 1])),
     tf.errors.InvalidArgumentError, "A grayscale image must be at least two-dimensional."),
])
def test_run_time_errors_use_tf_messages(build, error, message):
    out = build()
    with tf.Session() as sess, pytest.raises(error, match=message):
        sess.run(out)


# ----- gradient decisions --------------------------------------------------------------------
@pytest.mark.parametrize("build, op_type", [
    (lambda x: ic.adjust_contrast(x, 2.0), "AdjustContrastv2"),
    (lambda x: ic.adjust_saturation(x, 0.5), "AdjustSaturation"),
    (lambda x: ic.adjust_hue(x, 0.1), "AdjustHue"),
])
def test_adjust_ops_have_no_gradient_as_in_tf(build, op_type):
    x = tf.zeros([2, 3, 3])
    with pytest.raises(LookupError,
                       match=rf"No gradient defined for operation .* \(op type: {op_type}\)"):
        tf.gradients(tf.reduce_sum(build(x)), x)


def test_hsv_to_rgb_is_not_differentiable_as_in_tf():
    x = tf.zeros([2, 3, 3])
    assert tf.gradients(tf.reduce_sum(ic.hsv_to_rgb(x)), x) == [None]


def test_rgb_to_hsv_gradient_breaks_ties_as_tf():
    """TF's masks at ties and at grey or black pixels (TF 2.x's RGBToHSV gradient), from the
    recorded special pixels: the value follows red, then green, then blue."""
    x = np.array([[0.5, 0.5, 0.5], [0.0, 0.0, 0.0], [0.6, 0.6, 0.2], [0.2, 0.6, 0.6],
                  [0.6, 0.2, 0.6]], np.float64)
    xt = tf.constant(x)
    dv = tf.gradients(tf.reduce_sum(ic.rgb_to_hsv(xt)[..., 2]), xt)[0]
    dh = tf.gradients(tf.reduce_sum(ic.rgb_to_hsv(xt)[..., 0]), xt)[0]
    with tf.Session() as sess:
        got_dv, got_dh = sess.run([dv, dh])
    np.testing.assert_array_equal(got_dv, [[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0],
                                           [1, 0, 0]])
    np.testing.assert_array_equal(got_dh[:2], np.zeros((2, 3)))  # grey: no hue


# ----- random variants -----------------------------------------------------------------------
def _factor_and_output(out, op_type):
    """The factor the graph drew (the adjust op's second input) and the result, one run."""
    op = next(o for o in out.graph.get_operations() if o.type == op_type)
    with tf.Session(graph=out.graph) as sess:
        return sess.run([op.inputs[1], out])


def test_random_brightness_adds_one_delta_in_range():
    x = np.random.default_rng(0).random((2, 3, 4, 3)).astype(np.float32)
    out = ic.random_brightness(tf.constant(x), 0.3, seed=7)
    with tf.Session() as sess:
        got = sess.run(out)
    delta = got - x
    assert np.ptp(delta) < 1e-6 and -0.3 <= delta.flat[0] < 0.3


@pytest.mark.parametrize("fn, op_type, args, adjust", [
    (ic.random_contrast, "AdjustContrastv2", (0.2, 1.8), np_adjust_contrast),
    (ic.random_saturation, "AdjustSaturation", (0.1, 2.0), np_adjust_saturation),
    (ic.random_hue, "AdjustHue", (0.4,), np_adjust_hue),
])
def test_random_adjustments_draw_one_factor_in_range(fn, op_type, args, adjust):
    x = np.random.default_rng(1).random((3, 4, 3)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(5)
        out = fn(tf.constant(x), *args, seed=3)
        factor, got = _factor_and_output(out, op_type)
    low, high = (args[0], args[1]) if len(args) == 2 else (-args[0], args[0])
    assert low <= factor < high
    np.testing.assert_allclose(got, adjust(x, float(factor)), atol=1e-5, rtol=1e-5)


def test_random_adjustments_are_reproducible_with_seeds():
    x = np.random.default_rng(2).random((2, 3, 4, 3)).astype(np.float32)

    def run():
        graph = tf.Graph()
        with graph.as_default():
            tf.set_random_seed(11)
            img = tf.constant(x)
            out = ic.random_hue(ic.random_saturation(ic.random_contrast(
                ic.random_brightness(img, 0.2, seed=1), 0.5, 1.5, seed=2), 0.5, 1.5, seed=3),
                0.1, seed=4)
            with tf.Session(graph=graph) as sess:
                return sess.run(out), sess.run(out)
    (a1, a2), (b1, b2) = run(), run()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)  # a new draw on each run


# ----- a graph-mode pipeline -----------------------------------------------------------------
def test_uint8_augmentation_pipeline_in_a_session():
    rng = np.random.default_rng(4)
    batch = rng.integers(0, 256, (4, 6, 5, 3)).astype(np.uint8)
    graph = tf.Graph()
    with graph.as_default():
        images = tf.placeholder(tf.uint8, [None, None, None, 3], name="images")
        x = ic.convert_image_dtype(images, tf.float32)
        x = ic.adjust_brightness(x, 0.05)
        x = ic.adjust_contrast(x, 1.2)
        x = ic.adjust_saturation(x, 1.3)
        x = ic.adjust_hue(x, -0.05)
        x = tf.clip_by_value(x, 0.0, 1.0)
        gray = ic.rgb_to_grayscale(x)
        out = ic.convert_image_dtype(x, tf.uint8, saturate=True)
        assert out.shape.as_list() == [None, None, None, 3]
        assert gray.shape.as_list() == [None, None, None, 1]
        with tf.Session(graph=graph) as sess:
            got, got_gray = sess.run([out, gray], {images: batch})
            again = sess.run(out, {images: batch[:1]})
    f = np_convert(batch, np.float32) + np.float32(0.05)
    f = np_adjust_contrast(f, 1.2)
    f = np_adjust_hue(np_adjust_saturation(f, 1.3), -0.05)
    f = np.clip(f, 0, 1)
    np.testing.assert_allclose(got.astype(int), np_convert(f, np.uint8, True).astype(int),
                               atol=1)
    np.testing.assert_allclose(got_gray[..., 0], f @ np.array([0.2989, 0.5870, 0.1140]),
                               atol=1e-5)
    np.testing.assert_array_equal(again, got[:1])
