"""The geometry and image-quality functions of `tf.image` (flowexec/ops/image_geometry_ops.py)
against TensorFlow's results (tests/data/tf1/image_geometry/, recorded with TF 2.21's
`tf.compat.v1` by scripts/make_tf_image_geometry_fixtures.py): values, dtypes, static shapes
for constant and placeholder inputs, gradients and error messages; numpy oracles written from
the definitions; finite-difference gradients; run-time checks through placeholders of unknown
shape."""

import json
import os
import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import image_geometry_ops as geo
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "image_geometry")
with open(os.path.join(DATA, "cases.json")) as _f:
    RECORDED = json.load(_f)
ARRAYS = np.load(os.path.join(DATA, "cases.npz"))
TF_CASES = {c["name"]: c for c in RECORDED["cases"]}
ERRORS = RECORDED["errors"]


def _fn(name):
    return getattr(geo, name)


def _outs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _inputs(case):
    return [ARRAYS[f"{case['name']}/x{i}"] for i in range(len(case["inputs"]))]


def _tf1_message(message):
    """A TF 2.21 message in TF1's words: unknown dims print as "?", and Assert data strings
    unescaped (TF prints string tensors C-escaped)."""
    in_shapes = re.sub(r"\(([^()]*)\)", lambda m: "(" + m.group(1).replace("None", "?") + ")",
                       message)
    return in_shapes.replace("\\'", "'")


def _close(got, want, name):
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != TF's {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape} != TF's {want.shape}"
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


# ----- against TensorFlow --------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(TF_CASES))
def test_matches_tensorflow(name):
    case = TF_CASES[name]
    xs = _inputs(case)
    with tf.Graph().as_default():
        consts = [tf.constant(x) for x in xs]
        outs = _outs(_fn(case["fn"])(*consts, **case["kwargs"]))
        assert [o.shape.as_list() if o.shape.ndims is not None else None
                for o in outs] == case["static_shapes"]
        assert [o.dtype.name for o in outs] == case["dtypes"]
        grads = None
        if case["grad"]:
            ws = [ARRAYS[f"{name}/w{i}"] for i in range(len(outs))]
            loss = tf.add_n([tf.reduce_sum(o * tf.constant(w)) for o, w in zip(outs, ws)])
            grads = tf.gradients(loss, consts)
        with tf.Session() as sess:
            got = sess.run(outs)
            got_grads = sess.run(grads) if grads else []
    for i, g in enumerate(got):
        _close(np.asarray(g), ARRAYS[f"{name}/y{i}"], f"{name} output {i}")
    for i, g in enumerate(got_grads):
        want = ARRAYS[f"{name}/dx{i}"]
        np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5,
                                   err_msg=f"{name}: gradient of input {i}")


PLACEHOLDER_ROWS = [(c["name"], i) for c in RECORDED["cases"]
                    for i in range(len(c["placeholder_shapes"]))]


@pytest.mark.parametrize("name, row", PLACEHOLDER_ROWS,
                         ids=[f"{n}-{r}" for n, r in PLACEHOLDER_ROWS])
def test_placeholder_static_shapes_and_values_match_tensorflow(name, row):
    case = TF_CASES[name]
    spec = case["placeholder_shapes"][row]
    xs = _inputs(case)
    with tf.Graph().as_default():
        phs = [tf.placeholder(tf.as_dtype(x.dtype), spec["in"]) for x in xs]
        if "error" in spec:
            with pytest.raises(ValueError) as info:
                _fn(case["fn"])(*phs, **case["kwargs"])
            assert str(info.value) == _tf1_message(spec["error"])
            return
        outs = _outs(_fn(case["fn"])(*phs, **case["kwargs"]))
        assert [o.shape.as_list() if o.shape.ndims is not None else None
                for o in outs] == spec["out"]
        with tf.Session() as sess:
            got = sess.run(outs, dict(zip(phs, xs)))
    for i, g in enumerate(got):
        _close(np.asarray(g), ARRAYS[f"{name}/y{i}"], f"{name} output {i}")


@pytest.mark.parametrize("err", ERRORS, ids=[e["name"] for e in ERRORS])
def test_errors_match_tensorflow(err):
    x = np.zeros(err["shape"], err["dtype"])
    want = _tf1_message(err["message"])
    with tf.Graph().as_default():
        if not err["dynamic"]:
            with pytest.raises(ValueError) as info:
                _fn(err["fn"])(tf.constant(x), **err["kwargs"])
            assert str(info.value) == want
            return
        ph = tf.placeholder(tf.as_dtype(x.dtype), None)
        out = _fn(err["fn"])(ph, **err["kwargs"])
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(out, {ph: x})
    assert err["error"] == "InvalidArgumentError"
    assert str(info.value).splitlines()[0] == want


# ----- numpy oracles and finite differences --------------------------------------------------
def np_crop(x, oh, ow, th, tw):
    return x[..., oh:oh + th, ow:ow + tw, :]


def np_pad(x, oh, ow, th, tw):
    h, w = x.shape[-3:-1]
    pads = [(0, 0)] * (x.ndim - 3) + [(oh, th - oh - h), (ow, tw - ow - w), (0, 0)]
    return np.pad(x, pads)


def np_central_crop(x, fraction):
    h, w = x.shape[-3:-1]
    sh, sw = int((h - h * fraction) / 2), int((w - w * fraction) / 2)
    return x[..., sh:h - sh, sw:w - sw, :]


def np_crop_or_pad(x, th, tw):
    h, w = x.shape[-3:-1]
    ch, cw = max((h - th) // 2, 0), max((w - tw) // 2, 0)
    x = np_crop(x, ch, cw, min(th, h), min(tw, w))
    ph, pw = max((th - h) // 2, 0), max((tw - w) // 2, 0)
    return np_pad(x, ph, pw, th, tw)


def np_rot90(x, k):
    return np.rot90(x, k, axes=(x.ndim - 3, x.ndim - 2))


def np_total_variation(x):
    axes = tuple(range(x.ndim - 3, x.ndim))
    return (np.abs(np.diff(x, axis=-3)).sum(axis=axes)
            + np.abs(np.diff(x, axis=-2)).sum(axis=axes))


def np_image_gradients(x):
    dy = np.zeros_like(x)
    dx = np.zeros_like(x)
    dy[:, :-1] = x[:, 1:] - x[:, :-1]
    dx[:, :, :-1] = x[:, :, 1:] - x[:, :, :-1]
    return dy, dx


def np_sobel(x):
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], np.float64)
    p = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    n, h, w, c = x.shape
    out = np.zeros((n, h, w, c, 2), x.dtype)
    for i in range(3):
        for j in range(3):
            win = p[:, i:i + h, j:j + w, :]
            out[..., 0] += ky[i, j] * win
            out[..., 1] += ky.T[i, j] * win
    return out


def np_psnr(a, b, max_val):
    mse = ((a.astype(np.float64) - b) ** 2).mean(axis=(-3, -2, -1))
    return (20 * np.log10(max_val) - 10 * np.log10(mse)).astype(np.float32)


def np_ssim(a, b, max_val=1.0, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """SSIM from Wang et al.'s definition: Gaussian-weighted local means, variances and
    covariance over VALID windows, averaged over the map and the channels."""
    c = (size - 1) / 2
    i = np.arange(size) - c
    g = np.exp(-(i[:, None] ** 2 + i[None, :] ** 2) / (2 * sigma ** 2))
    g /= g.sum()

    def local(z):
        win = np.lib.stride_tricks.sliding_window_view(z, (size, size), axis=(-3, -2))
        return np.einsum("...hwcij,ij->...hwc", win, g)

    a, b = a.astype(np.float64), b.astype(np.float64)
    ma, mb = local(a), local(b)
    va, vb, cov = local(a * a) - ma ** 2, local(b * b) - mb ** 2, local(a * b) - ma * mb
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    s = ((2 * ma * mb + c1) / (ma ** 2 + mb ** 2 + c1)
         * (2 * cov + c2) / (va + vb + c2))
    return s.mean(axis=(-3, -2, -1)).astype(np.float32)


def normal(*shape, dtype=np.float64):
    return lambda rng: [rng.standard_normal(shape).astype(dtype)]


def pair(*shape):
    return lambda rng: [rng.random(shape), rng.random(shape)]


CASES = [
    OpCase("crop_3d", lambda x: geo.crop_to_bounding_box(x, 1, 0, 2, 3),
           lambda x: np_crop(x, 1, 0, 2, 3), normal(4, 5, 2)),
    OpCase("crop_3d_feed", lambda x: geo.crop_to_bounding_box(x, 0, 2, 3, 2),
           lambda x: np_crop(x, 0, 2, 3, 2), normal(4, 5, 2), feed=True, grad=False),
    OpCase("pad_4d", lambda x: geo.pad_to_bounding_box(x, 1, 2, 5, 6),
           lambda x: np_pad(x, 1, 2, 5, 6), normal(2, 3, 3, 1)),
    OpCase("pad_3d_feed_int", lambda x: geo.pad_to_bounding_box(x, 2, 0, 6, 4),
           lambda x: np_pad(x, 2, 0, 6, 4), [np.arange(24, dtype=np.int64).reshape(4, 3, 2)],
           feed=True),
    OpCase("central_crop_3d", lambda x: geo.central_crop(x, 0.5),
           lambda x: np_central_crop(x, 0.5), normal(7, 6, 2)),
    OpCase("central_crop_4d", lambda x: geo.central_crop(x, 0.7),
           lambda x: np_central_crop(x, 0.7), normal(2, 9, 5, 1)),
    OpCase("crop_or_pad_3d", lambda x: geo.resize_image_with_crop_or_pad(x, 3, 8),
           lambda x: np_crop_or_pad(x, 3, 8), normal(6, 5, 2)),
    # fed with unknown rank: taken as one 3-D image, as in TF
    OpCase("crop_or_pad_3d_feed", lambda x: geo.resize_with_crop_or_pad(x, 7, 2),
           lambda x: np_crop_or_pad(x, 7, 2), normal(4, 5, 1), feed=True, grad=False),
    *[OpCase(f"rot90_k{k}_{nd}d", (lambda k: lambda x: geo.rot90(x, k))(k),
             (lambda k: lambda x: np_rot90(x, k))(k),
             normal(*([2] if nd == 4 else []), 3, 4, 2)) for k in (0, 1, 2, 3, -3, 6)
      for nd in (3, 4)],
    OpCase("transpose_3d", geo.transpose_image, lambda x: np.swapaxes(x, 0, 1),
           normal(3, 4, 2)),
    OpCase("transpose_4d_alias", geo.transpose, lambda x: np.swapaxes(x, 1, 2),
           normal(2, 3, 4, 1)),
    OpCase("total_variation_3d", geo.total_variation, np_total_variation, normal(4, 5, 2)),
    OpCase("total_variation_4d", geo.total_variation, np_total_variation,
           normal(2, 4, 3, 2)),
    OpCase("image_gradients", geo.image_gradients, np_image_gradients, normal(2, 4, 3, 2)),
    OpCase("image_gradients_int", geo.image_gradients, np_image_gradients,
           [np.arange(24, dtype=np.int32).reshape(1, 4, 3, 2) ** 2]),
    OpCase("sobel_edges", geo.sobel_edges, np_sobel, normal(2, 4, 5, 2)),
    OpCase("sobel_edges_2x2", geo.sobel_edges, np_sobel, normal(1, 2, 2, 1)),
    OpCase("psnr", lambda a, b: geo.psnr(a, b, 1.0), lambda a, b: np_psnr(a, b, 1.0),
           pair(2, 4, 5, 3), rtol=1e-5, atol=1e-4, grad_atol=2e-3, grad_rtol=1e-2),
    OpCase("psnr_uint8", lambda a, b: geo.psnr(a, b, 255),
           lambda a, b: np_psnr(a / 255.0, b / 255.0, 1.0),
           lambda rng: [rng.integers(0, 256, (3, 4, 1)).astype(np.uint8),
                        rng.integers(0, 256, (3, 4, 1)).astype(np.uint8)], rtol=1e-5,
           atol=1e-4),
    OpCase("ssim", lambda a, b: geo.ssim(a, b, 1.0), lambda a, b: np_ssim(a, b),
           pair(2, 12, 13, 2), rtol=1e-4, atol=1e-5, grad_atol=2e-3, grad_rtol=1e-2),
    OpCase("ssim_options", lambda a, b: geo.ssim(a, b, 2.0, filter_size=5, filter_sigma=0.7,
                                                 k1=0.05, k2=0.1),
           lambda a, b: np_ssim(a, b, 2.0, 5, 0.7, 0.05, 0.1), pair(7, 6, 1), rtol=1e-4,
           atol=1e-5, grad_atol=2e-3, grad_rtol=1e-2),
]

# psnr and ssim compute in float32 (as TF): their finite differences use a wide step.
_FLOAT32_INSIDE = {"psnr", "ssim", "ssim_options"}


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_against_numpy(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient_by_finite_differences(case):
    check_gradient(case, eps=1e-3 if case.name in _FLOAT32_INSIDE else 1e-6)


# ----- dynamic arguments and run-time checks -------------------------------------------------
def _run(fetches, feed):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_crop_and_pad_take_tensor_offsets_and_check_them_at_run_time():
    x = np.arange(4 * 5 * 2, dtype=np.float32).reshape(4, 5, 2)
    oh, ow = tf.placeholder(tf.int32, []), tf.placeholder(tf.int32, [])
    crop = geo.crop_to_bounding_box(tf.constant(x), oh, ow, 2, 3)
    pad = geo.pad_to_bounding_box(tf.constant(x), oh, ow, 7, 8)
    assert crop.shape.as_list() == [2, 3, 2] and pad.shape.as_list() == [7, 8, 2]
    got_crop, got_pad = _run([crop, pad], {oh: 1, ow: 2})
    np.testing.assert_array_equal(got_crop, np_crop(x, 1, 2, 2, 3))
    np.testing.assert_array_equal(got_pad, np_pad(x, 1, 2, 7, 8))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("assertion failed: [width must be >= target + offset.]")):
        _run(crop, {oh: 0, ow: 3})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("assertion failed: [offset_height must be >= 0.]")):
        _run(crop, {oh: -1, ow: 0})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("assertion failed: [width must be <= target - offset]")):
        _run(pad, {oh: 0, ow: 4})


def test_tensor_targets_leave_the_static_dims_unknown():
    x = np.arange(6 * 5, dtype=np.float32).reshape(1, 6, 5, 1)
    th, tw = tf.placeholder(tf.int32, []), tf.placeholder(tf.int32, [])
    out = geo.resize_image_with_crop_or_pad(tf.constant(x), th, tw)
    crop = geo.crop_to_bounding_box(tf.constant(x), 0, 0, th, tw)
    assert out.shape.as_list() == [1, None, None, 1]
    assert crop.shape.as_list() == [1, None, None, 1]
    for size in [(3, 8), (9, 2), (6, 5)]:
        got = _run(out, {th: size[0], tw: size[1]})
        np.testing.assert_array_equal(got, np_crop_or_pad(x, *size))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("assertion failed: [target_height must be > 0.]")):
        _run(out, {th: 0, tw: 3})


def test_central_crop_with_a_tensor_fraction():
    x = np.arange(2 * 9 * 7 * 1, dtype=np.float32).reshape(2, 9, 7, 1)
    fraction = tf.placeholder(tf.float32, [])
    out = geo.central_crop(tf.constant(x), fraction)
    assert out.shape.as_list() == [2, None, None, 1]
    for f in (0.3, 0.5, 0.9):
        np.testing.assert_array_equal(_run(out, {fraction: f}),
                                      np_central_crop(x, np.float64(np.float32(f))))
    assert geo.central_crop(tf.constant(x), 1.0).op.type == "Const"  # the image itself


@pytest.mark.parametrize("k", [0, 1, 2, 3, -1, 7])
def test_rot90_with_k_fed_at_run_time(k):
    x = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    kt = tf.placeholder(tf.int32, [])
    img = tf.placeholder(tf.float32, None)  # unknown rank: picked at run time, as TF
    out4 = geo.rot90(tf.constant(x), kt)
    out_any = geo.rot90(img, kt)
    assert out4.shape.as_list() == [2, None, None, 2] and out_any.shape.ndims is None
    got4 = _run(out4, {kt: k})
    got_batch = _run(out_any, {kt: k, img: x})
    got_single = _run(out_any, {kt: k, img: x[0]})
    np.testing.assert_array_equal(got4, np_rot90(x, k))
    np.testing.assert_array_equal(got_batch, np_rot90(x, k))
    np.testing.assert_array_equal(got_single, np_rot90(x[0], k))


def test_transpose_image_of_unknown_rank_is_picked_at_run_time():
    x = np.arange(2 * 3 * 4, dtype=np.int32).reshape(2, 3, 4, 1)
    img = tf.placeholder(tf.int32, None)
    out = geo.transpose_image(img)
    np.testing.assert_array_equal(_run(out, {img: x}), np.swapaxes(x, 1, 2))
    np.testing.assert_array_equal(_run(out, {img: x[0]}), np.swapaxes(x[0], 0, 1))


def test_session_with_a_placeholder_of_unknown_shape():
    rng = np.random.default_rng(3)
    x = rng.random((6, 7, 3)).astype(np.float32)
    img = tf.placeholder(tf.float32, None)
    crop = geo.crop_to_bounding_box(img, 1, 2, 4, 3)
    pad = geo.pad_to_bounding_box(img, 1, 1, 9, 9)
    cop = geo.resize_image_with_crop_or_pad(img, 4, 10)
    wpad = geo.resize_image_with_pad(img, 12, 12)
    assert [t.shape.as_list() for t in (crop, pad, cop, wpad)] == [
        [4, 3, None], [9, 9, None], [4, 10, None], [12, 12, None]]
    got = _run([crop, pad, cop, wpad], {img: x})
    np.testing.assert_array_equal(got[0], np_crop(x, 1, 2, 4, 3))
    np.testing.assert_array_equal(got[1], np_pad(x, 1, 1, 9, 9))
    np.testing.assert_array_equal(got[2], np_crop_or_pad(x, 4, 10))
    assert got[3].shape == (12, 12, 3)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("assertion failed: [height must be >= target + offset.]")):
        _run(crop, {img: x[:4]})
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=re.escape("assertion failed: [inner 3 dims of 'image.shape' "
                                       "must be > 0.]")):
        _run(crop, {img: np.zeros((6, 7, 0), np.float32)})


def test_ssim_checks_the_window_fits_at_run_time():
    a = tf.placeholder(tf.float32, [None, None, None, 1])
    out = geo.ssim(a, a, 1.0)
    assert out.shape.as_list() == [None]
    small = np.zeros((1, 8, 12, 1), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="assertion failed"):
        _run(out, {a: small})
    np.testing.assert_allclose(_run(out, {a: np.ones((1, 11, 11, 1), np.float32)}), [1.0])


def test_psnr_and_ssim_reject_mismatched_images_at_build_time():
    with pytest.raises(ValueError):
        geo.psnr(tf.zeros([2, 4, 5, 3]), tf.zeros([2, 4, 6, 3]), 1.0)
    with pytest.raises(ValueError, match="Two images are not compatible"):
        geo.ssim(tf.zeros([2, 3, 12, 12, 1]), tf.zeros([3, 3, 12, 12, 1]), 1.0)
    with pytest.raises(ValueError):
        geo.psnr(tf.zeros([4, 5]), tf.zeros([4, 5]), 1.0)


def test_resize_with_pad_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="Resize method is not implemented: lanczos9"):
        geo.resize_with_pad(tf.zeros([4, 4, 1]), 8, 8, method="lanczos9")
    with pytest.raises(ValueError, match="Resize method is not implemented: 9"):
        geo.resize_image_with_pad(tf.zeros([4, 4, 1]), 8, 8, method=9)


def test_offsets_may_be_numpy_ints_variables_or_int64_tensors():
    x = np.arange(4 * 5, dtype=np.float32).reshape(4, 5, 1)
    v = tf.Variable(1)
    crop = geo.crop_to_bounding_box(tf.constant(x), np.int64(1), v, 2, np.int32(3))
    pad = geo.pad_to_bounding_box(tf.constant(x), np.int64(1), tf.constant(2, tf.int64), 6, 8)
    assert crop.shape.as_list() == [2, 3, 1] and pad.shape.as_list() == [6, 8, 1]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got_crop, got_pad = sess.run([crop, pad])
    np.testing.assert_array_equal(got_crop, np_crop(x, 1, 1, 2, 3))
    np.testing.assert_array_equal(got_pad, np_pad(x, 1, 2, 6, 8))
    with pytest.raises(ValueError, match=re.escape("height must be >= target + offset.")):
        geo.crop_to_bounding_box(tf.constant(x), np.int64(3), 0, 2, 3)


@pytest.mark.parametrize("rank", [3, 4])
def test_rot90_of_unknown_rank_has_the_inverse_rotation_as_gradient(rank):
    rng = np.random.default_rng(rank)
    x = rng.standard_normal((2, 3, 4, 1)[4 - rank:])
    w = rng.standard_normal(np_rot90(x, 3).shape)
    img = tf.placeholder(tf.float64, None)
    y = geo.rot90(img, 3)
    grad = tf.gradients(tf.reduce_sum(y * tf.constant(w)), img)[0]
    np.testing.assert_allclose(_run(grad, {img: x}), np_rot90(w, -3))
