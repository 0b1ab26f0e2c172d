"""Image ops against per-pixel numpy references written from TF's formulas (resizing, depth
and space moves), finite-difference gradients (second order included), flips, standardization,
random crops and flips, and TF's messages."""

import math
import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import inputs, normal


def _scale(n_in, n_out, align):
    return (n_in - 1) / (n_out - 1) if align and n_out > 1 else n_in / n_out


def np_bilinear(x, size, align=False, half=False):
    n, h, w, c = x.shape
    oh, ow = size
    sy, sx = _scale(h, oh, align), _scale(w, ow, align)
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        fy = (i + 0.5) * sy - 0.5 if half else i * sy
        y0 = math.floor(fy)
        ly = fy - y0
        y0c, y1c = min(max(y0, 0), h - 1), min(max(math.ceil(fy), 0), h - 1)
        for j in range(ow):
            fx = (j + 0.5) * sx - 0.5 if half else j * sx
            x0 = math.floor(fx)
            lx = fx - x0
            x0c, x1c = min(max(x0, 0), w - 1), min(max(math.ceil(fx), 0), w - 1)
            top = x[:, y0c, x0c] * (1 - lx) + x[:, y0c, x1c] * lx
            bottom = x[:, y1c, x0c] * (1 - lx) + x[:, y1c, x1c] * lx
            y[:, i, j] = top * (1 - ly) + bottom * ly
    return y.astype(np.float32)


def np_nearest(x, size, align=False, half=False):
    n, h, w, c = x.shape
    oh, ow = size
    sy, sx = _scale(h, oh, align), _scale(w, ow, align)

    def src(o, s, limit):
        v = (o + 0.5) * s if half else o * s
        v = math.floor(v + 0.5) if align else math.floor(v)
        return min(max(v, 0), limit - 1)

    y = np.zeros((n, oh, ow, c), x.dtype)
    for i in range(oh):
        for j in range(ow):
            y[:, i, j] = x[:, src(i, sy, h), src(j, sx, w)]
    return y


def _cubic(t, a):
    t = abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a if t < 2 else 0.0


def _bicubic_taps(o, scale, limit, half):
    """[(input index, weight)] of output `o`, from TF's resize_bicubic kernel."""
    src = (o + 0.5) * scale - 0.5 if half else o * scale
    low = math.floor(src)
    delta = round((src - low) * 1024) / 1024  # TF's 1024-entry weight table
    a = -0.5 if half else -0.75
    taps = [(low + k, _cubic(delta - k, a)) for k in (-1, 0, 1, 2)]
    if half:  # outside taps dropped, the others renormalized
        taps = [(i, w if 0 <= i < limit else 0.0) for i, w in taps]
        total = sum(w for _, w in taps)
        taps = [(i, w / total) for i, w in taps]
    return [(min(max(i, 0), limit - 1), w) for i, w in taps]


def np_bicubic(x, size, align=False, half=False):
    n, h, w, c = x.shape
    oh, ow = size
    sy, sx = _scale(h, oh, align), _scale(w, ow, align)
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            for yi, wy in _bicubic_taps(i, sy, h, half):
                for xi, wx in _bicubic_taps(j, sx, w, half):
                    y[:, i, j] += wy * wx * x[:, yi, xi]
    return y.astype(np.float32)


def _area_cells(o, scale, limit):
    """[(input index, overlap)] of output cell `o`: TF's resize_area footprint."""
    start, end = o * scale, (o + 1) * scale
    cells = []
    for i in range(math.floor(start), math.ceil(end)):
        if i < start:
            part = scale if i + 1 > end else i + 1 - start
        else:
            part = end - i if i + 1 > end else 1.0
        cells.append((min(max(i, 0), limit - 1), part))
    return cells


def np_area(x, size, align=False):
    n, h, w, c = x.shape
    oh, ow = size
    sy, sx = _scale(h, oh, align), _scale(w, ow, align)
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            for yi, py in _area_cells(i, sy, h):
                for xi, px in _area_cells(j, sx, w):
                    y[:, i, j] += py * px * x[:, yi, xi]
    return (y / (sy * sx)).astype(np.float32)


def np_depth_to_space(x, bs):
    n, h, w, c = x.shape
    co = c // (bs * bs)
    y = np.zeros((n, h * bs, w * bs, co), x.dtype)
    for i in range(h * bs):
        for j in range(w * bs):
            d = ((i % bs) * bs + (j % bs)) * co
            y[:, i, j] = x[:, i // bs, j // bs, d:d + co]
    return y


def np_space_to_depth(x, bs):
    n, h, w, c = x.shape
    y = np.zeros((n, h // bs, w // bs, c * bs * bs), x.dtype)
    for i in range(h):
        for j in range(w):
            d = ((i % bs) * bs + (j % bs)) * c
            y[:, i // bs, j // bs, d:d + c] = x[:, i, j]
    return y


def np_standardize(x):
    x = x.astype(np.float64)
    axes = (-1, -2, -3)
    m = x.mean(axis=axes, keepdims=True)
    s = x.std(axis=axes, keepdims=True)
    n = np.prod(x.shape[-3:])
    return ((x - m) / np.maximum(s, 1 / np.sqrt(n))).astype(np.float32)


def _nchw(f):
    return lambda x: np.moveaxis(f(np.moveaxis(x, 1, -1)), -1, 1)


CASES = [
    OpCase("resize_bilinear_up", lambda x: tf.image.resize_bilinear(x, [5, 7]),
           lambda x: np_bilinear(x, (5, 7)), inputs(normal(2, 3, 4, 2)), rtol=1e-5,
           atol=1e-5, grad=False),
    OpCase("resize_bilinear_down_align", lambda x: tf.image.resize_bilinear(
        x, [3, 2], align_corners=True), lambda x: np_bilinear(x, (3, 2), True),
        inputs(normal(1, 6, 5, 2)), rtol=1e-5, atol=1e-5, grad=False),
    OpCase("resize_bilinear_half_pixel", lambda x: tf.image.resize_bilinear(
        x, [7, 3], half_pixel_centers=True), lambda x: np_bilinear(x, (7, 3), half=True),
        inputs(normal(1, 4, 5, 1)), rtol=1e-5, atol=1e-5, grad=False),
    OpCase("resize_images_3d_bilinear", lambda x: tf.image.resize_images(x, [4, 6]),
           lambda x: np_bilinear(x[None], (4, 6))[0], inputs(normal(3, 3, 2)), rtol=1e-5,
           atol=1e-5, grad=False),
    OpCase("resize_bilinear_uint8_to_float32",
           lambda x: tf.image.resize_images(x, [3, 5]),
           lambda x: np_bilinear(x.astype(np.float64), (3, 5)),
           [np.arange(24, dtype=np.uint8).reshape(1, 4, 3, 2)], rtol=1e-5, atol=1e-4),
    OpCase("resize_nearest_up", lambda x: tf.image.resize_nearest_neighbor(x, [5, 7]),
           lambda x: np_nearest(x, (5, 7)), inputs(normal(2, 3, 4, 2))),
    OpCase("resize_nearest_align_int", lambda x: tf.image.resize_images(
        x, [5, 4], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR, align_corners=True),
        lambda x: np_nearest(x, (5, 4), True),
        [np.arange(24, dtype=np.int32).reshape(1, 4, 3, 2)]),
    OpCase("resize_nearest_half_pixel_down", lambda x: tf.image.resize_nearest_neighbor(
        x, [2, 3], half_pixel_centers=True), lambda x: np_nearest(x, (2, 3), half=True),
        inputs(normal(1, 5, 7, 1))),
    OpCase("resize_bilinear_grad_op",
           lambda g, x: apply_op("ResizeBilinearGrad", g, x, align_corners=False,
                                 half_pixel_centers=True),
           lambda g, x: _bilinear_adjoint(g, x.shape, half=True),
           lambda rng: [rng.standard_normal((1, 5, 4, 2)).astype(np.float32),
                        rng.standard_normal((1, 3, 3, 2))], grad=False, rtol=1e-5,
           atol=1e-5),
    OpCase("resize_bicubic_up", lambda x: tf.image.resize_bicubic(x, [7, 9]),
           lambda x: np_bicubic(x, (7, 9)), inputs(normal(2, 4, 5, 2)), rtol=1e-5,
           atol=1e-5, grad=False),
    OpCase("resize_bicubic_down_align", lambda x: tf.image.resize_bicubic(
        x, [3, 4], align_corners=True), lambda x: np_bicubic(x, (3, 4), True),
        inputs(normal(1, 7, 6, 2)), rtol=1e-5, atol=1e-5, grad=False),
    OpCase("resize_bicubic_half_pixel", lambda x: tf.image.resize_bicubic(
        x, [8, 3], half_pixel_centers=True), lambda x: np_bicubic(x, (8, 3), half=True),
        inputs(normal(1, 3, 5, 1)), rtol=1e-5, atol=1e-5, grad=False),
    OpCase("resize_images_bicubic_int", lambda x: tf.image.resize_images(
        x, [5, 4], method=tf.image.ResizeMethod.BICUBIC),
        lambda x: np_bicubic(x.astype(np.float64), (5, 4)),
        [np.arange(24, dtype=np.int32).reshape(1, 4, 3, 2)], rtol=1e-5, atol=1e-4),
    OpCase("resize_area_down", lambda x: tf.image.resize_area(x, [3, 2]),
           lambda x: np_area(x, (3, 2)), inputs(normal(2, 7, 5, 2)), rtol=1e-5, atol=1e-5,
           grad=False),
    OpCase("resize_area_up", lambda x: tf.image.resize_area(x, [5, 7]),
           lambda x: np_area(x, (5, 7)), inputs(normal(1, 3, 4, 1)), rtol=1e-5, atol=1e-5,
           grad=False),
    OpCase("resize_images_area_align", lambda x: tf.image.resize_images(
        x, [3, 4], method="area", align_corners=True),
        lambda x: np_area(x[None], (3, 4), True)[0], inputs(normal(6, 7, 2)), rtol=1e-5,
        atol=1e-5, grad=False),
    OpCase("resize_bicubic_grad_op",
           lambda g, x: apply_op("ResizeBicubicGrad", g, x, align_corners=False,
                                 half_pixel_centers=True),
           lambda g, x: _adjoint(np_bicubic, g, x.shape, half=True),
           lambda rng: [rng.standard_normal((1, 5, 4, 2)).astype(np.float32),
                        rng.standard_normal((1, 3, 3, 2))], grad=False, rtol=1e-5,
           atol=1e-5),
    OpCase("depth_to_space", lambda x: tf.nn.depth_to_space(x, 2),
           lambda x: np_depth_to_space(x, 2), inputs(normal(2, 2, 3, 8))),
    OpCase("depth_to_space_nchw", lambda x: tf.depth_to_space(x, 2, data_format="NCHW"),
           _nchw(lambda x: np_depth_to_space(x, 2)), inputs(normal(1, 8, 2, 2))),
    OpCase("space_to_depth", lambda x: tf.nn.space_to_depth(x, 3),
           lambda x: np_space_to_depth(x, 3), inputs(normal(1, 3, 6, 2))),
    OpCase("space_to_depth_nchw_int", lambda x: tf.space_to_depth(x, 2, data_format="NCHW"),
           _nchw(lambda x: np_space_to_depth(x, 2)),
           [np.arange(32, dtype=np.int32).reshape(1, 2, 4, 4)]),
    OpCase("flip_left_right_batch", tf.image.flip_left_right, lambda x: x[:, :, ::-1],
           inputs(normal(2, 3, 4, 1))),
    OpCase("flip_up_down_3d", tf.image.flip_up_down, lambda x: x[::-1],
           inputs(normal(3, 4, 2))),
    OpCase("per_image_standardization", tf.image.per_image_standardization, np_standardize,
           inputs(normal(2, 4, 3, 3, dtype=np.float32)), rtol=1e-5, atol=1e-5, grad=False),
    OpCase("per_image_standardization_constant_image", tf.image.per_image_standardization,
           np_standardize, [np.full((3, 3, 1), 7, np.uint8)], atol=1e-6),
]


def _adjoint(resize, g, x_shape, **kw):
    """The transpose of a resize, from its definition: d(sum(g * resize(x)))/dx."""
    x = np.zeros(x_shape)
    out = np.zeros(x_shape)
    for idx in np.ndindex(*x_shape):
        x[idx] = 1
        out[idx] = (resize(x, g.shape[1:3], **kw).astype(np.float64) * g).sum()
        x[idx] = 0
    return out


def _bilinear_adjoint(g, x_shape, half=False):
    """The transpose of the bilinear resize, from its definition: d(sum(g * resize(x)))/dx."""
    x = np.zeros(x_shape)
    out = np.zeros(x_shape)
    for idx in np.ndindex(*x_shape):
        x[idx] = 1
        out[idx] = (np_bilinear(x, g.shape[1:3], half=half).astype(np.float64) * g).sum()
        x[idx] = 0
    return out


def _float64_resizes():
    """Gradient rows of the Grad ops, linear maps checked by finite differences in float64
    (ResizeBilinear's own output is float32 as in TF, too coarse for finite differences: its
    gradient is compared with the exact adjoint below)."""
    return [
        OpCase("grad_resize_bilinear_grad_op",
               lambda g, x: apply_op("ResizeBilinearGrad", tf.cast(g, tf.float32), x,
                                     align_corners=True, half_pixel_centers=False),
               lambda g, x: _bilinear_adjoint_align(g, x.shape),
               inputs(normal(1, 4, 3, 1), normal(1, 3, 2, 1)), grad=False, atol=1e-5,
               rtol=1e-5),
        OpCase("grad_resize_bicubic_grad_op",
               lambda g, x: apply_op("ResizeBicubicGrad", tf.cast(g, tf.float32), x,
                                     align_corners=True, half_pixel_centers=False),
               lambda g, x: _adjoint(np_bicubic, g, x.shape, align=True),
               inputs(normal(1, 4, 5, 1), normal(1, 3, 2, 1)), grad=False, atol=1e-5,
               rtol=1e-5),
        OpCase("grad_resize_nearest_grad_op",
               lambda g: apply_op("ResizeNearestNeighborGrad", g, tf.constant([3, 2]),
                                  align_corners=False, half_pixel_centers=False),
               lambda g: _nearest_adjoint(g, (1, 3, 2, 1)), inputs(normal(1, 5, 3, 1))),
    ]


def _bilinear_adjoint_align(g, x_shape):
    x = np.zeros(x_shape)
    out = np.zeros(x_shape)
    for idx in np.ndindex(*x_shape):
        x[idx] = 1
        out[idx] = (np_bilinear(x, g.shape[1:3], align=True).astype(np.float64) * g).sum()
        x[idx] = 0
    return out


def _nearest_adjoint(g, x_shape):
    x = np.zeros(x_shape)
    out = np.zeros(x_shape)
    for idx in np.ndindex(*x_shape):
        x[idx] = 1
        out[idx] = (np_nearest(x, g.shape[1:3]) * g).sum()
        x[idx] = 0
    return out


CASES += _float64_resizes()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


@pytest.mark.parametrize("half", [False, True])
def test_resize_bilinear_gradient_is_the_exact_adjoint(half):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 3, 4, 2))
    g = rng.standard_normal((1, 5, 3, 2)).astype(np.float32)
    xt = tf.constant(x)
    y = tf.image.resize_bilinear(xt, [5, 3], half_pixel_centers=half)
    gt = tf.constant(g)
    dx = tf.gradients(tf.reduce_sum(y * gt), xt)[0]
    assert dx.op.type == "ResizeBilinearGrad" and dx.dtype == tf.float64
    # Second order: ResizeBilinearGrad is linear in its `grads`, with the resize as adjoint.
    h = rng.standard_normal(x.shape)
    ddx = tf.gradients(tf.reduce_sum(dx * h), gt)[0]
    with tf.Session() as sess:
        got_dx, got_ddx = sess.run([dx, ddx])
    np.testing.assert_allclose(got_dx, _bilinear_adjoint(g, x.shape, half=half), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(got_ddx, np_bilinear(h, (5, 3), half=half), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("half", [False, True])
def test_resize_bicubic_gradient_is_the_exact_adjoint(half):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 3, 2))
    g = rng.standard_normal((1, 6, 5, 2)).astype(np.float32)
    xt, gt = tf.constant(x), tf.constant(g)
    y = tf.image.resize_bicubic(xt, [6, 5], half_pixel_centers=half)
    dx = tf.gradients(tf.reduce_sum(y * gt), xt)[0]
    assert dx.op.type == "ResizeBicubicGrad" and dx.dtype == tf.float64
    h = rng.standard_normal(x.shape)
    ddx = tf.gradients(tf.reduce_sum(dx * h), gt)[0]
    with tf.Session() as sess:
        got_dx, got_ddx = sess.run([dx, ddx])
    np.testing.assert_allclose(got_dx, _adjoint(np_bicubic, g, x.shape, half=half),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_ddx, np_bicubic(h, (6, 5), half=half), rtol=1e-5,
                               atol=1e-5)


def test_resize_area_has_no_gradient_as_in_tf():
    x = tf.zeros([1, 4, 4, 1])
    y = tf.image.resize_area(x, [2, 2])
    with pytest.raises(LookupError, match=r"No gradient defined for operation .*ResizeArea"):
        tf.gradients(tf.reduce_sum(y), x)


def test_resize_images_same_size_is_the_input():
    x = tf.zeros([2, 4, 4, 3])
    assert tf.image.resize_images(x, [4, 4]) is x


def test_random_crop_is_a_seeded_slice():
    value = np.arange(6 * 5 * 2, dtype=np.float32).reshape(6, 5, 2)
    crop = tf.image.random_crop(tf.constant(value), [3, 2, 2], seed=4)
    tf.set_random_seed(1)
    with tf.Session() as sess:
        got = [sess.run(crop) for _ in range(20)]
    for g in got:
        assert g.shape == (3, 2, 2)
        r, c = np.argwhere(value[..., 0] == g[0, 0, 0])[0]
        np.testing.assert_array_equal(g, value[r:r + 3, c:c + 2])
    assert len({g[0, 0, 0] for g in got}) > 3
    too_big = tf.image.random_crop(tf.constant(value), [7, 2, 2])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="Need value.shape >= size"):
        sess.run(too_big)


def test_random_flip_left_right_flips_each_image_on_its_own_draw():
    images = np.arange(16 * 2 * 3, dtype=np.float32).reshape(16, 2, 3, 1)
    out = tf.image.random_flip_left_right(tf.constant(images), seed=5)
    with tf.Session() as sess:
        got = sess.run(out)
    flipped = [np.array_equal(g, x[:, ::-1]) for g, x in zip(got, images)]
    same = [np.array_equal(g, x) for g, x in zip(got, images)]
    assert all(f or s for f, s in zip(flipped, same))
    assert 0 < sum(flipped) < 16
    single = tf.image.random_flip_up_down(tf.constant(images[0]), seed=2)
    with tf.Session() as sess:
        g = sess.run(single)
    assert np.array_equal(g, images[0]) or np.array_equal(g, images[0][::-1])


@pytest.mark.parametrize("build, message", [
    (lambda: tf.nn.depth_to_space(tf.zeros([1, 2, 2, 6]), 2),
     "Dimension size must be evenly divisible by 4 but is 6"),
    (lambda: tf.nn.space_to_depth(tf.zeros([1, 3, 4, 2]), 2),
     "Dimension size must be evenly divisible by 2 but is 3"),
    (lambda: tf.nn.space_to_depth(tf.zeros([1, 3, 4, 2]), 1),
     "Attr 'block_size' of 'SpaceToDepth' Op passed 1 less than minimum 2."),
    (lambda: tf.image.flip_left_right(tf.zeros([3, 4])),
     "'image' (shape (3, 4)) must be at least three-dimensional."),
    (lambda: tf.image.flip_up_down(tf.zeros([1, 1, 3, 4, 1])),
     "'image' (shape (1, 1, 3, 4, 1))must have either 3 or 4 dimensions."),
    (lambda: tf.image.resize_images(tf.zeros([3, 4]), [2, 2]),
     "'images' must have either 3 or 4 dimensions."),
    (lambda: tf.image.resize_bilinear(tf.zeros([1, 3, 4, 1]), [2, 2], align_corners=True,
                                      half_pixel_centers=True),
     "If half_pixel_centers is True, align_corners must be False."),
])
def test_build_time_errors_use_tf_messages(build, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_flips_of_an_image_of_unknown_rank_decide_at_run_time():
    """TF's cond on the rank: a 3-D image flips its own axis, a batch each image's."""
    image = tf.placeholder(tf.float32, None)
    lr, ud = tf.image.flip_left_right(image), tf.image.flip_up_down(image)
    x3 = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    with tf.Session() as sess:
        got = sess.run([lr, ud], {image: x3})
        np.testing.assert_array_equal(got[0], x3[:, ::-1])
        np.testing.assert_array_equal(got[1], x3[::-1])
        got = sess.run(lr, {image: x3[None]})
        np.testing.assert_array_equal(got, x3[None][:, :, ::-1])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="'image' must be at least three-dimensional."):
            sess.run(lr, {image: x3[0]})



def test_random_flips_take_an_image_of_unknown_rank_as_one_3d_image():
    image = tf.placeholder(tf.float32, None)
    lr = tf.image.random_flip_left_right(image, seed=3)
    x3 = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    with tf.Session() as sess:
        seen = {sess.run(lr, {image: x3}).tobytes() for _ in range(20)}
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="'image' must be at least three-dimensional."):
            sess.run(lr, {image: x3[0]})
    assert seen == {x3.tobytes(), x3[:, ::-1].tobytes()}   # both outcomes, nothing else
