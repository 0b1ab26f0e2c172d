"""Detection ops of tf.image (flowexec/ops/image_detection_ops.py): brute-force numpy oracles
written from TF's definitions, TF's recorded outputs (tests/data/tf1/image_detection/, made by
scripts/make_tf_image_detection_fixtures.py), finite-difference gradients of CropAndResize wrt
the image and the boxes, TF's messages, and runs with placeholders."""

import math
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.ops import image_detection_ops as det
from flowexec.ops import image_nms_ops as nms
from tests.ops.harness import OpCase, check_forward, ids
from tests.ops.npz_fixtures import load_npz_cases

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "image_detection")


def _load(name):
    return load_npz_cases(os.path.join(DATA, name))[1]


def _run(*fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(list(fetches), feed_dict=feed)


# ----- numpy oracles, written from TF's definitions, one pair / one pixel at a time ---------
def np_iou(a, b):
    ay0, ay1 = sorted((float(a[0]), float(a[2])))
    ax0, ax1 = sorted((float(a[1]), float(a[3])))
    by0, by1 = sorted((float(b[0]), float(b[2])))
    bx0, bx1 = sorted((float(b[1]), float(b[3])))
    area_a = (ay1 - ay0) * (ax1 - ax0)
    area_b = (by1 - by0) * (bx1 - bx0)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ay1, by1) - max(ay0, by0), 0) * max(min(ax1, bx1) - max(ax0, bx0), 0)
    return inter / (area_a + area_b - inter)


def np_nms(sim, scores, size, thr, score_thr, sigma=0.0):
    """Brute force: rescan all live candidates each step (no priority queue); scores in
    float32 as TF's, so that decayed ties order as TF's."""
    f32 = np.float32
    live = {i: f32(s) for i, s in enumerate(scores) if s > score_thr}
    seen = {i: 0 for i in live}
    sel, sel_scores = [], []
    while len(sel) < size and live:
        i = min(live, key=lambda k: (-live[k], k))
        s0 = live.pop(i)
        s = s0
        dropped = False
        for j in reversed(sel[seen[i]:]):
            o = sim(i, j)
            if sigma > 0:
                w = f32(math.exp(f32(f32(f32(-0.5) / f32(sigma)) * f32(o)) * f32(o)))
                s = f32(s * w)  # TF's soft NMS: every overlap decays, whatever `thr`
                if s <= score_thr:
                    break
            elif o > thr:
                dropped = True
                break
        seen[i] = len(sel)
        if dropped:
            continue
        if s == s0:
            sel.append(i)
            sel_scores.append(s)
        elif s > score_thr:
            live[i] = s
    return sel, sel_scores


def np_crop_and_resize(image, boxes, ind, size, method="bilinear", extra=0.0):
    n, h, w, d = image.shape
    ch, cw = size
    out = np.zeros((len(boxes), ch, cw, d))
    img = image.astype(np.float64)
    for b, (y1, x1, y2, x2) in enumerate(boxes.astype(np.float64)):
        for i in range(ch):
            y = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (ch - 1) if ch > 1 else \
                0.5 * (y1 + y2) * (h - 1)
            for j in range(cw):
                x = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (cw - 1) if cw > 1 else \
                    0.5 * (x1 + x2) * (w - 1)
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    out[b, i, j] = extra
                    continue
                src = img[ind[b]]
                if method == "nearest":
                    out[b, i, j] = src[int(math.floor(y + 0.5)), int(math.floor(x + 0.5))]
                    continue
                y0, x0 = math.floor(y), math.floor(x)
                y1_, x1_ = math.ceil(y), math.ceil(x)
                ly, lx = y - y0, x - x0
                top = src[y0, x0] * (1 - lx) + src[y0, x1_] * lx
                bot = src[y1_, x0] * (1 - lx) + src[y1_, x1_] * lx
                out[b, i, j] = top * (1 - ly) + bot * ly
    return out.astype(np.float32)


# ----- oracle table --------------------------------------------------------------------------
def _nms_inputs(rng):
    c = rng.integers(0, 6, size=(25, 2)) / 6
    boxes = np.concatenate([c, c + rng.integers(1, 4, size=(25, 2)) / 6], 1)
    return [boxes.astype(np.float32), np.round(rng.random(25), 1).astype(np.float32)]


def _nms_ref(boxes, scores, size=15, thr=0.4, st=0.15, sigma=0.0):
    sel, sc = np_nms(lambda i, j: np_iou(boxes[i], boxes[j]), scores, size, thr, st, sigma)
    return np.array(sel, np.int32), np.array(sc, np.float32)


def _crop_inputs(rng):
    image = rng.standard_normal((2, 4, 5, 2))
    boxes = np.array([[0.1, 0.2, 0.8, 0.7], [0.9, 0.1, 0.3, 0.6], [-0.1, 0.2, 0.5, 1.2]],
                     np.float32)
    return [image.astype(np.float32), boxes, np.array([1, 0, 1], np.int32)]


CASES = [
    OpCase("nms_v3", lambda b, s: nms.non_max_suppression(b, s, 15, 0.4, 0.15),
           lambda b, s: _nms_ref(b, s)[0], _nms_inputs, grad=False),
    OpCase("nms_v4_padded", lambda b, s: nms.non_max_suppression_padded(
        b, s, 30, 0.4, 0.15, pad_to_max_output_size=True),
        lambda b, s: (np.pad(_nms_ref(b, s, 30)[0], (0, 30 - len(_nms_ref(b, s, 30)[0]))),
                      np.int32(len(_nms_ref(b, s, 30)[0]))), _nms_inputs, grad=False),
    OpCase("nms_v5_soft", lambda b, s: nms.non_max_suppression_with_scores(
        b, s, 15, 0.6, 0.15, soft_nms_sigma=0.5),
        lambda b, s: _nms_ref(b, s, 15, 0.6, 0.15, 0.5), _nms_inputs, grad=False,
        atol=1e-6, rtol=1e-5),
    OpCase("nms_overlaps", lambda o, s: nms.non_max_suppression_overlaps(o, s, 8, 0.5, 0.1),
           lambda o, s: np.array(np_nms(lambda i, j: o[i, j], s, 8, 0.5, 0.1)[0], np.int32),
           lambda rng: [np.round(rng.random((20, 20)), 1).astype(np.float32),
                        np.round(rng.random(20), 1).astype(np.float32)], grad=False),
    OpCase("crop_and_resize_bilinear", lambda x, b, i: det.crop_and_resize(x, b, i, [3, 4]),
           lambda x, b, i: np_crop_and_resize(x, b, i, (3, 4)), _crop_inputs, rtol=1e-5,
           atol=1e-5, grad=False),
    OpCase("crop_and_resize_nearest_extrapolate", lambda x, b, i: det.crop_and_resize(
        x, b, i, [5, 1], method="nearest", extrapolation_value=-2.0),
        lambda x, b, i: np_crop_and_resize(x, b, i, (5, 1), "nearest", -2.0), _crop_inputs,
        grad=False, feed=True),
    OpCase("crop_and_resize_float64_grad", lambda x, b, i: det.crop_and_resize(
        x, tf.cast(b, tf.float32), i, [3, 3]), lambda x, b, i: np_crop_and_resize(x, b, i, (3, 3)),
        lambda rng: [rng.standard_normal((2, 4, 5, 2)),
                     np.array([[0.1, 0.15, 0.8, 0.7], [0.9, 0.1, 0.3, 0.55]], np.float32),
                     np.array([1, 0], np.int32)], grad=False, rtol=1e-5, atol=1e-5),
]


# ----- against TF's recorded outputs ---------------------------------------------------------
NMS = _load("nms.npz")


@pytest.mark.parametrize("name", sorted(NMS))
def test_nms_matches_tf(name):
    c = NMS[name]
    args = (c["boxes"], c["scores"], int(c["max_output_size"]))
    thr, st, sigma = float(c["iou_threshold"]), float(c["score_threshold"]), \
        float(c["soft_nms_sigma"])
    v3 = nms.non_max_suppression(*args, thr, st)
    v4 = nms.non_max_suppression_padded(*args, thr, st, pad_to_max_output_size=True)
    v5 = apply_op("NonMaxSuppressionV5", tf.constant(c["boxes"]), tf.constant(c["scores"]),
                  tf.constant(args[2]), tf.constant(np.float32(thr)),
                  tf.constant(np.float32(st)), tf.constant(np.float32(sigma)),
                  pad_to_max_output_size=True)
    assert v4[0].shape.as_list() == [args[2]] and v5[1].shape.as_list() == [args[2]]
    v3h = nms.non_max_suppression(c["boxes"].astype(np.float16),
                                  c["scores"].astype(np.float16), args[2], thr, st)
    r3, r4, r5, r3h = _run(v3, v4, v5, v3h)
    np.testing.assert_array_equal(r3, c["v3"])
    np.testing.assert_array_equal(r3h, c["v3_half"])
    np.testing.assert_array_equal(r4[0], c["v4_idx"])
    assert r4[1] == c["v4_valid"]
    np.testing.assert_array_equal(r5[0], c["v5_idx"])
    np.testing.assert_allclose(r5[1], c["v5_scores"], rtol=1e-6, atol=0)
    assert r5[2] == c["v5_valid"]
    # and the brute-force oracle agrees with TF
    b = c["boxes"]
    sel, _ = np_nms(lambda i, j: np_iou(b[i], b[j]), c["scores"], args[2], thr, st, sigma)
    np.testing.assert_array_equal(np.array(sel, np.int32), c["v5_idx"][:len(sel)])


OVERLAPS = _load("overlaps.npz")


@pytest.mark.parametrize("name", sorted(OVERLAPS))
def test_nms_overlaps_matches_tf(name):
    c = OVERLAPS[name]
    sel = nms.non_max_suppression_overlaps(c["overlaps"], c["scores"],
                                           int(c["max_output_size"]),
                                           float(c["overlap_threshold"]),
                                           float(c["score_threshold"]))
    np.testing.assert_array_equal(_run(sel)[0], c["selected"])


CROPS = _load("crop.npz")


@pytest.mark.parametrize("name", sorted(CROPS))
def test_crop_and_resize_matches_tf(name):
    c = CROPS[name]
    x = tf.constant(c["image"])
    b = tf.constant(c["boxes"])
    crops = det.crop_and_resize(x, b, c["box_ind"], c["crop_size"], method=str(c["method"]),
                                extrapolation_value=float(c["extrapolation_value"]))
    fetches = [crops]
    if "grads" in c:
        fetches += tf.gradients(crops, [x, b], grad_ys=tf.constant(c["grads"]))
    got = _run(*fetches)
    np.testing.assert_allclose(got[0], c["crops"], rtol=1e-6, atol=1e-6)
    assert got[0].dtype == np.float32
    if "grads" in c:
        assert got[1].dtype == c["d_image"].dtype
        np.testing.assert_allclose(got[1], c["d_image"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got[2], c["d_boxes"], rtol=1e-4, atol=1e-4)


DRAWS = _load("draw.npz")


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_draw_bounding_boxes_matches_tf(name):
    c = DRAWS[name]
    out = det.draw_bounding_boxes(c["images"], c["boxes"], colors=c.get("colors"))
    got = _run(out)[0]
    assert got.dtype == c["out"].dtype
    np.testing.assert_array_equal(got, c["out"])


SAMPLES = _load("sample.npz")


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_distorted_bounding_box_matches_tf_bit_for_bit(name):
    c = SAMPLES[name]
    attrs = {k[5:]: v.tolist() for k, v in c.items() if k.startswith("attr_")}
    with tf.Graph().as_default():
        op = det.sample_distorted_bounding_box(
            tf.constant(c["image_size"] if name == "int64_size" else
                        c["image_size"].astype(np.int32)), c["boxes"],
            min_object_covered=float(c["min_object_covered"]), **attrs)
        with tf.Session() as sess:
            runs = [sess.run(op) for _ in range(5)]
    for i, k in enumerate(("begin", "size", "bboxes")):
        got = np.stack([r[i] for r in runs])
        assert got.dtype == c[k].dtype
        np.testing.assert_array_equal(got, c[k], err_msg=k)


# ----- more oracle rows: the gradient ops, drawing, the sampler ------------------------------
def np_crop_adjoint(g, boxes, ind, image_shape, method="bilinear"):
    """The transpose of the (linear in the image) crop, from its definition."""
    x = np.zeros(image_shape)
    out = np.zeros(image_shape)
    for idx in np.ndindex(*image_shape):
        x[idx] = 1
        out[idx] = (np_crop_and_resize(x, boxes, ind, g.shape[1:3], method).astype(
            np.float64) * g).sum()
        x[idx] = 0
    return out


def np_crop_boxes_grad(g, image, boxes, ind, eps=1e-6):
    """d(sum(g * crop))/d(boxes) by central differences of the float64 oracle."""
    def loss(bx):
        return (_np_crop64(image, bx, ind, g.shape[1:3]) * g).sum()
    out = np.zeros(boxes.shape)
    for idx in np.ndindex(*boxes.shape):
        bp, bm = boxes.astype(np.float64), boxes.astype(np.float64)
        bp[idx] += eps
        bm[idx] -= eps
        out[idx] = (loss(bp) - loss(bm)) / (2 * eps)
    return out.astype(np.float32)


def _np_crop64(image, boxes, ind, size):
    n, h, w, d = image.shape
    ch, cw = size
    out = np.zeros((len(boxes), ch, cw, d))
    for b, (y1, x1, y2, x2) in enumerate(boxes):
        for i in range(ch):
            y = y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (ch - 1) if ch > 1 else \
                0.5 * (y1 + y2) * (h - 1)
            for j in range(cw):
                x = x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (cw - 1) if cw > 1 else \
                    0.5 * (x1 + x2) * (w - 1)
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    continue
                src = image[ind[b]].astype(np.float64)
                y0, x0 = math.floor(y), math.floor(x)
                ly, lx = y - y0, x - x0
                y1_, x1_ = math.ceil(y), math.ceil(x)
                top = src[y0, x0] * (1 - lx) + src[y0, x1_] * lx
                bot = src[y1_, x0] * (1 - lx) + src[y1_, x1_] * lx
                out[b, i, j] = top * (1 - ly) + bot * ly
    return out


def np_draw(images, boxes, colors=None):
    """Per pixel: is (r, c) on one of the four sides of box k (TF's truncation rules)?"""
    out = images.copy()
    n, h, w, d = images.shape
    if colors is None or colors.size == 0:
        table = np.array(det._DEFAULT_COLORS, np.float64)
        if d == 1:
            table[:, 0] = 1
    else:
        table = colors
    for b in range(n):
        for k, (y1, x1, y2, x2) in enumerate(boxes[b].astype(np.float32)):
            t, bt = int(y1 * np.float32(h - 1)), int(y2 * np.float32(h - 1))
            lf, rt = int(x1 * np.float32(w - 1)), int(x2 * np.float32(w - 1))
            if t > bt or lf > rt or t >= h or bt < 0 or lf >= w or rt < 0:
                continue
            for r in range(h):
                for c in range(w):
                    on_row = r in (t, bt) and lf <= c <= rt
                    on_col = c in (lf, rt) and t <= r <= bt
                    if on_row or on_col:
                        out[b, r, c] = table[k % len(table)][:d]
    return out


def _draw_inputs(depth, colors=None):
    def make(rng):
        boxes = np.array([[[0.1, 0.1, 0.8, 0.9], [-0.3, 0.2, 0.6, 1.4], [0.7, 0.2, 0.3, 0.9],
                           [0.0, 0.0, 1.0, 1.0], [0.4, -0.6, 0.4, 0.5]]], np.float32)
        xs = [rng.random((2, 7, 8, depth)).astype(np.float32), np.repeat(boxes, 2, 0)]
        return xs + ([colors] if colors is not None else [])
    return make


_GRAD_BOXES = np.array([[0.13, 0.21, 0.77, 0.69], [0.92, 0.08, 0.31, 0.57]], np.float32)
_GRAD_IND = np.array([1, 0], np.int32)
_SAMPLE = _load("sample.npz")["tight"]

CASES += [
    OpCase("crop_and_resize_grad_image_op", lambda g, b, i: apply_op(
        "CropAndResizeGradImage", g, b, i, tf.constant([2, 3, 4, 2]), T=tf.float32,
        method="bilinear"), lambda g, b, i: np_crop_adjoint(g, b, i, (2, 3, 4, 2)),
        lambda rng: [rng.standard_normal((2, 3, 2, 2)).astype(np.float32), _GRAD_BOXES,
                     _GRAD_IND], grad=False, rtol=1e-5, atol=1e-5),
    OpCase("crop_and_resize_grad_image_nearest_float64", lambda g, b, i: apply_op(
        "CropAndResizeGradImage", g, b, i, tf.constant([2, 3, 4, 2]), T=tf.float64,
        method="nearest"), lambda g, b, i: np_crop_adjoint(g, b, i, (2, 3, 4, 2), "nearest"),
        lambda rng: [rng.standard_normal((2, 4, 3, 2)).astype(np.float32), _GRAD_BOXES,
                     _GRAD_IND], grad=False, rtol=1e-6, atol=1e-6),
    OpCase("crop_and_resize_grad_boxes_op", lambda g, x, b, i: apply_op(
        "CropAndResizeGradBoxes", g, x, b, i, method="bilinear"), np_crop_boxes_grad,
        lambda rng: [rng.standard_normal((2, 3, 4, 2)).astype(np.float32),
                     rng.standard_normal((2, 5, 6, 2)).astype(np.float32), _GRAD_BOXES,
                     _GRAD_IND], grad=False, rtol=1e-4, atol=1e-4),
    OpCase("draw_bounding_boxes_rgb", lambda x, b: det.draw_bounding_boxes(x, b),
           np_draw, _draw_inputs(3), grad=False),
    OpCase("draw_bounding_boxes_gray", lambda x, b: det.draw_bounding_boxes(x, b),
           np_draw, _draw_inputs(1), grad=False, feed=True),
    OpCase("draw_bounding_boxes_v2_colors", lambda x, b, c: det.draw_bounding_boxes(
        x, b, colors=c), np_draw, _draw_inputs(4, np.array(
            [[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], [1, 0, 1, 0]], np.float32)),
        grad=False),
    OpCase("sample_distorted_bounding_box_tf_first_run",
           lambda s, b: det.sample_distorted_bounding_box(
               s, b, min_object_covered=float(_SAMPLE["min_object_covered"]),
               **{k[5:]: v.tolist() for k, v in _SAMPLE.items() if k.startswith("attr_")}),
           lambda s, b: (_SAMPLE["begin"][0], _SAMPLE["size"][0], _SAMPLE["bboxes"][0]),
           [_SAMPLE["image_size"].astype(np.int32), _SAMPLE["boxes"]], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


# ----- finite-difference gradients of CropAndResize ------------------------------------------
def _fd_check(method, wrt, eps, rtol, atol):
    rng = np.random.default_rng(4)
    image = rng.standard_normal((2, 5, 6, 2)).astype(np.float32)
    w = rng.standard_normal((2, 3, 4, 2))
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 5, 6, 2])
        b = tf.placeholder(tf.float32, [2, 4])
        crops = det.crop_and_resize(x, b, _GRAD_IND, [3, 4], method=method)
        loss = tf.reduce_sum(tf.cast(crops, tf.float64) * tf.constant(w))
        target = x if wrt == "image" else b
        (grad,) = tf.gradients(loss, [target])
        assert grad.op.type == ("CropAndResizeGradImage" if wrt == "image"
                                else "CropAndResizeGradBoxes")
        with tf.Session() as sess:
            feed = {x: image, b: _GRAD_BOXES}
            analytic = sess.run(grad, feed)
            base = feed[target]
            numeric = np.zeros(base.shape)
            for idx in np.ndindex(*base.shape):
                plus, minus = base.copy(), base.copy()
                plus[idx] += eps
                minus[idx] -= eps
                numeric[idx] = (sess.run(loss, {**feed, target: plus}) -
                                sess.run(loss, {**feed, target: minus})) / (
                                    float(plus[idx]) - float(minus[idx]))
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
def test_crop_and_resize_image_gradient_matches_finite_differences(method):
    _fd_check(method, "image", eps=0.25, rtol=1e-4, atol=1e-4)


def test_crop_and_resize_boxes_gradient_matches_finite_differences():
    _fd_check("bilinear", "boxes", eps=1e-3, rtol=2e-3, atol=2e-3)


def test_crop_and_resize_integer_image_gets_only_the_boxes_gradient():
    x = tf.constant(np.arange(2 * 5 * 6 * 2, dtype=np.int32).reshape(2, 5, 6, 2))
    b = tf.constant(_GRAD_BOXES)
    dx, db = tf.gradients(tf.reduce_sum(det.crop_and_resize(x, b, _GRAD_IND, [2, 2])), [x, b])
    assert dx is None and db.op.type == "CropAndResizeGradBoxes"


def test_nms_and_draw_have_no_gradient_as_in_tf():
    boxes = tf.constant(_GRAD_BOXES)
    scores = tf.constant([0.5, 0.7])
    _, sc = nms.non_max_suppression_with_scores(boxes, scores, 2, soft_nms_sigma=0.5)
    with pytest.raises(LookupError, match="No gradient defined .*NonMaxSuppressionV5"):
        tf.gradients(tf.reduce_sum(sc), scores)
    images = tf.zeros([1, 3, 3, 3])
    drawn = det.draw_bounding_boxes(images, tf.constant(_GRAD_BOXES[None]))
    assert tf.gradients(tf.reduce_sum(drawn), images) == [None]


# ----- sample_distorted_bounding_box: the documented constraints -----------------------------
def test_sample_distorted_bounding_box_respects_its_constraints():
    h, w = 120, 160
    boxes = np.array([[[0.2, 0.3, 0.5, 0.7]]], np.float32)
    with tf.Graph().as_default():
        begin, size, bbox = det.sample_distorted_bounding_box(
            [h, w, 3], boxes, seed=3, seed2=9, min_object_covered=0.4,
            aspect_ratio_range=[0.5, 2.0], area_range=[0.1, 0.8])
        with tf.Session() as sess:
            runs = [sess.run([begin, size, bbox]) for _ in range(200)]
    obj = (int(0.3 * w), int(0.2 * h), int(0.7 * w), int(0.5 * h))
    shapes = set()
    for bg, sz, bb in runs:
        y, x, th, tw = bg[0], bg[1], sz[0], sz[1]
        assert bg[2] == 0 and sz[2] == -1
        assert 0 <= y and 0 <= x and y + th <= h and x + tw <= w
        assert 0.1 * h * w <= th * tw <= 0.8 * h * w
        assert th * 0.5 - 0.5 <= tw <= th * 2.0 + 0.5  # width = round(height * ratio)
        inter = max(0, min(x + tw, obj[2]) - max(x, obj[0])) * \
            max(0, min(y + th, obj[3]) - max(y, obj[1]))
        assert inter / ((obj[2] - obj[0]) * (obj[3] - obj[1])) >= 0.4
        np.testing.assert_allclose(bb[0, 0], [y / h, x / w, (y + th) / h, (x + tw) / w],
                                   rtol=1e-6)
        shapes.add((int(th), int(tw)))
    assert len(shapes) > 20


def test_sample_distorted_bounding_box_whole_image_without_boxes():
    with tf.Graph().as_default():
        out = det.sample_distorted_bounding_box(
            [10, 20, 3], np.zeros((1, 0, 4), np.float32), seed=1, min_object_covered=1.0,
            area_range=[1.0, 1.0], use_image_if_no_bounding_boxes=True)
        got = _run(*out)
    np.testing.assert_array_equal(got[0], [0, 0, 0])
    np.testing.assert_array_equal(got[1], [10, 20, -1])
    np.testing.assert_array_equal(got[2], [[[0, 0, 1, 1]]])


def test_sample_distorted_bounding_box_static_shapes_and_dtypes():
    size = tf.placeholder(tf.int64, None)
    boxes = tf.placeholder(tf.float32, None)
    begin, sz, bbox = det.sample_distorted_bounding_box(size, boxes, seed=1)
    assert begin.dtype == tf.int64 and sz.dtype == tf.int64 and bbox.dtype == tf.float32
    assert begin.shape.as_list() == [3] and bbox.shape.as_list() == [1, 1, 4]
    assert begin.op.type == "SampleDistortedBoundingBoxV2"
    assert begin.op.name.startswith("sample_distorted_bounding_box/")


# ----- TF's static shapes and messages -------------------------------------------------------
def test_static_shapes_are_tfs():
    b = tf.placeholder(tf.float32, [None, 4])
    s = tf.placeholder(tf.float32, [None])
    assert nms.non_max_suppression(b, s, 5).shape.as_list() == [None]
    idx, valid = nms.non_max_suppression_padded(b, s, 5, pad_to_max_output_size=True)
    assert idx.shape.as_list() == [5] and valid.shape.as_list() == []
    idx, valid = nms.non_max_suppression_padded(b, s, 5)
    assert idx.shape.as_list() == [None]
    image = tf.placeholder(tf.uint8, [None, 4, 5, 3])
    crops = det.crop_and_resize(image, b, tf.placeholder(tf.int32, [None]), [3, 7])
    assert crops.dtype == tf.float32 and crops.shape.as_list() == [None, 3, 7, 3]
    drawn = det.draw_bounding_boxes(tf.placeholder(tf.float16, [2, 4, 5, 1]),
                                    tf.placeholder(tf.float32, [2, None, 4]))
    assert drawn.dtype == tf.float16 and drawn.shape.as_list() == [2, 4, 5, 1]


_B = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1]], np.float32)
_S = np.array([0.9, 0.8], np.float32)
_IM = np.zeros((2, 4, 5, 2), np.float32)


@pytest.mark.parametrize("build, message", [
    (lambda: nms.non_max_suppression(_B[0], _S, 3), "Shape must be rank 2 but is rank 1"),
    (lambda: nms.non_max_suppression(_B[:, :3], _S, 3), "Dimension must be 4 but is 3"),
    (lambda: nms.non_max_suppression(_B, _S[:1], 3),
     "Dimensions must be equal, but are 2 and 1"),
    (lambda: nms.non_max_suppression(_B, _S, [3]), "Shape must be rank 0 but is rank 1"),
    (lambda: nms.non_max_suppression_overlaps(np.ones((2, 3), np.float32), _S, 3),
     "Dimensions must be equal, but are 2 and 3"),
    (lambda: det.crop_and_resize(_IM, _B[0], [0, 1], [3, 3]),
     "Shape must be rank 2 but is rank 1"),
    (lambda: det.crop_and_resize(_IM, _B, [0], [3, 3]),
     "Dimensions must be equal, but are 2 and 1"),
    (lambda: det.crop_and_resize(_IM[0], _B, [0, 1], [3, 3]),
     "Shape must be rank 4 but is rank 3"),
    (lambda: det.crop_and_resize(_IM, _B, [0, 1], [3, 3], method="cubic"),
     "Attr 'method' of 'CropAndResize' Op passed string 'cubic' not in: \"bilinear\", "
     "\"nearest\"."),
    (lambda: det.draw_bounding_boxes(_IM, _B[None].repeat(2, 0)),
     r"Channel depth should be either 1 \(GRY\), 3 \(RGB\), or 4 \(RGBA\)"),
    (lambda: det.draw_bounding_boxes(_IM[0], _B[None]), "Shape must be rank 4 but is rank 3"),
    (lambda: det.sample_distorted_bounding_box([10, 20], _B[None], seed=1),
     "Dimension must be 3 but is 2"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _B, seed=1),
     "Shape must be rank 3 but is rank 2"),
])
def test_build_time_errors_use_tf_messages(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def _ph(value):
    return tf.placeholder_with_default(value, None)


def _ind2():
    return tf.constant([0, 1])


@pytest.mark.parametrize("build, error, message", [
    (lambda: nms.non_max_suppression(_B, _S, 3, 1.5), "InvalidArgumentError",
     r"iou_threshold must be in \[0, 1\]"),
    (lambda: nms.non_max_suppression(_B, _S, -1), "InvalidArgumentError",
     "output size must be non-negative"),
    (lambda: nms.non_max_suppression_with_scores(_B, _S, 3, soft_nms_sigma=-0.5),
     "InvalidArgumentError", "soft_nms_sigma_val must be >= 0"),
    (lambda: det.crop_and_resize(_IM, _B, [0, 2], [3, 3]), "OutOfRangeError",
     r"box_index has values outside \[0, batch_size\)"),
    (lambda: det.crop_and_resize(_IM, _B, [0, 1], _ph([0, 3])), "InvalidArgumentError",
     "crop dimensions must be positive"),
    (lambda: det.crop_and_resize(_IM, _ph(_B[:, :3]), [0, 1], [3, 3]),
     "InvalidArgumentError", "boxes must have 4 columns"),
    (lambda: det.crop_and_resize(_IM, _B, _ph([0]), [3, 3]), "InvalidArgumentError",
     "box_index has incompatible shape"),
    (lambda: det.crop_and_resize(_ph(np.zeros((1, 0, 3, 1), np.float32)), _B, [0, 0], [3, 3]),
     "InvalidArgumentError", "image dimensions must be positive"),
    (lambda: det.crop_and_resize(_IM, _B, [0, 1], _ph([3, 3, 3])), "InvalidArgumentError",
     r"crop_size must have two elements\[3\]"),
    (lambda: det.draw_bounding_boxes(_IM[..., :1], _B[None].repeat(2, 0), colors=[1., 1, 1]),
     "InvalidArgumentError", r"colors must be a 2-D matrix\[3\]"),
    (lambda: det.draw_bounding_boxes(_IM[..., :1], _ph(_B)), "InvalidArgumentError",
     "The rank of the boxes tensor should be 3"),
    (lambda: det.draw_bounding_boxes(_IM[..., :1], _ph(_B[None])), "InvalidArgumentError",
     "The batch sizes should be the same"),
    (lambda: det.draw_bounding_boxes(_IM[..., :1], _ph(_B[None, :, :3].repeat(2, 0))),
     "InvalidArgumentError", "The size of the third dimension of the box must be 4. "
                             "Received: 3"),
    (lambda: det.draw_bounding_boxes(_ph(_IM), _B[None].repeat(2, 0)), "InvalidArgumentError",
     r"Channel depth should be either 1 \(GRY\), 3 \(RGB\), or 4 \(RGBA\)"),
    (lambda: det.draw_bounding_boxes(np.zeros((2, 4, 5, 3), np.float32), _B[None].repeat(2, 0),
                                     colors=np.ones((2, 2), np.float32)),
     "InvalidArgumentError",
     r"colors must have equal or more channels than the image provided: \[2,2\]"),
    (lambda: nms.non_max_suppression(_ph(_B[:, :3]), _S, 2), "InvalidArgumentError",
     "boxes must have 4 columns"),
    (lambda: nms.non_max_suppression(_B, _ph(_S[:1]), 2), "InvalidArgumentError",
     "scores has incompatible shape"),
    (lambda: nms.non_max_suppression_overlaps(_ph(np.zeros((2, 3), np.float32)), _S, 2),
     "InvalidArgumentError", r"overlaps must be square\[2,3\]"),
    (lambda: apply_op("CropAndResizeGradImage", tf.zeros([2, 2, 2, 3]), tf.constant(_B), _ind2(),
                      _ph([1, 4, 4]), T=tf.float32), "InvalidArgumentError",
     r"image_size must have 4 elements\[3\]"),
    (lambda: apply_op("CropAndResizeGradImage", tf.zeros([2, 2, 2, 3]), tf.constant(_B), _ind2(),
                      _ph([1, 4, 4, 2]), T=tf.float32), "InvalidArgumentError",
     "image_size and grads are incompatible"),
    (lambda: apply_op("CropAndResizeGradBoxes", tf.zeros([2, 2, 2, 3]), _ph(_IM),
                      tf.constant(_B), _ind2()), "InvalidArgumentError",
     "image, grads depth differ"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _B[None] * 2, seed=1),
     "InvalidArgumentError", r"All bounding box coordinates must be in \[0.0, 1.0\]: 2"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], np.zeros((1, 0, 4), np.float32),
                                               seed=1), "InvalidArgumentError",
     "No bounding boxes provided as input. One must enable use_image_if_no_bounding_boxes "
     "if you wish to not provide any bounding boxes."),
    (lambda: det.sample_distorted_bounding_box(_ph([10, 20]), _B[None], seed=1),
     "InvalidArgumentError", r"image_size must contain 3 elements\[2\]"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _ph(_B), seed=1),
     "InvalidArgumentError",
     r"input boxes must be 3-dimensional \[batch, num_boxes, coords\]: \[2,4\]"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _B[None], seed=1,
                                               min_object_covered=-1.0),
     "InvalidArgumentError", "Min object covered must be non-negative: -1"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _B[None], seed=1,
                                               aspect_ratio_range=[1.0]),
     "InvalidArgumentError", "Aspect ratio range field must specify 2 dimensions"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _B[None], seed=1,
                                               aspect_ratio_range=[-1.0, 2]),
     "InvalidArgumentError", r"Aspect ratio range must be non-negative: \[-1, 2\]"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _B[None], seed=1,
                                               area_range=[0.5, 2]),
     "InvalidArgumentError", r"Area range must be less then or equal to 1.0: \[0.5, 2\]"),
    (lambda: det.sample_distorted_bounding_box([10, 20, 3], _B[None], seed=1, max_attempts=0),
     "InvalidArgumentError", "Max attempts must be non-negative: 0"),
])
def test_run_time_errors_use_tf_messages(build, error, message):
    with tf.Graph().as_default():
        out = build()
        with tf.Session() as sess, pytest.raises(getattr(tf.errors, error), match=message):
            sess.run(out)


# ----- through tf.Session with placeholders --------------------------------------------------
def test_detection_pipeline_through_session_with_placeholders():
    rng = np.random.default_rng(9)
    images = rng.random((2, 16, 20, 3)).astype(np.float32)
    c = rng.random((30, 2)) * 0.7
    boxes = np.concatenate([c, c + 0.05 + rng.random((30, 2)) * 0.3], 1).astype(np.float32)
    scores = rng.random(30).astype(np.float32)
    with tf.Graph().as_default():
        im = tf.placeholder(tf.float32, [None, None, None, 3])
        bx = tf.placeholder(tf.float32, [None, 4])
        sc = tf.placeholder(tf.float32, [None])
        k = tf.placeholder(tf.int32, [])
        keep = nms.non_max_suppression(bx, sc, k, iou_threshold=0.3)
        kept = tf.gather(bx, keep)
        ind = tf.zeros_like(keep)
        crops = det.crop_and_resize(im, kept, ind, [4, 4])
        drawn = det.draw_bounding_boxes(im[:1], kept[None])
        with tf.Session() as sess:
            feed = {im: images, bx: boxes, sc: scores, k: 6}
            got_keep, got_crops, got_drawn = sess.run([keep, crops, drawn], feed)
            assert len(sess.run(keep, {**feed, k: 2})) == 2
    sel, _ = np_nms(lambda i, j: np_iou(boxes[i], boxes[j]), scores, 6, 0.3, -np.inf)
    np.testing.assert_array_equal(got_keep, sel)
    np.testing.assert_allclose(got_crops, np_crop_and_resize(
        images, boxes[sel], np.zeros(len(sel), np.int32), (4, 4)), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got_drawn, np_draw(images[:1], boxes[sel][None]))
