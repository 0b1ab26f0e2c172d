"""CombinedNonMaxSuppression (flowexec/ops/image_combined_nms_ops.py) against TF's recorded
outputs (tests/data/tf1/image_glimpse/combined_nms.npz): all four outputs bit for bit
(tolerance 0), tie orders included, static shapes, TF's messages, placeholders."""

import os
import random

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import image_combined_nms_ops as cn
from tests.ops.harness import OpCase, check_forward, ids
from tests.ops.npz_fixtures import load_npz_cases

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "image_glimpse")
_OUTS = ("nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections")


def _load(name):
    return load_npz_cases(os.path.join(DATA, name))[1]


_CASES = _load("combined_nms.npz")


def _args(r):
    return (r["boxes"], r["scores"], int(r["max_output_size_per_class"]),
            int(r["max_total_size"]), float(r["iou_threshold"]), float(r["score_threshold"]),
            bool(r["pad_per_class"]), bool(r["clip_boxes"]))


@pytest.mark.parametrize("feed", [False, True], ids=["const", "placeholders"])
@pytest.mark.parametrize("name", sorted(_CASES))
def test_combined_nms_matches_tf_bit_for_bit(name, feed):
    r = _CASES[name]
    b, s, m, t, iou, st, pad, clip = _args(r)
    with tf.Graph().as_default():
        if feed:
            bp = tf.placeholder(tf.float32, [None, None, None, None])
            sp = tf.placeholder(tf.float32, [None, None, None])
            mp, tp = tf.placeholder(tf.int32, []), tf.placeholder(tf.int32, [])
            outs = cn.combined_non_max_suppression(bp, sp, mp, tp, iou, st, pad, clip)
            fd = {bp: b, sp: s, mp: m, tp: t}
        else:
            outs = cn.combined_non_max_suppression(b, s, m, t, iou, st, pad, clip)
            fd = None
        with tf.Session() as sess:
            got = sess.run(list(outs), fd)
    for key, g, o in zip(_OUTS, got, outs):
        assert g.dtype == r[key].dtype, key
        assert o.shape.is_compatible_with(g.shape), (key, o.shape, g.shape)
        np.testing.assert_array_equal(g, r[key], err_msg=f"{name}: {key}")


def test_fixture_ties_are_not_index_order():
    # with all scores equal TF's heap and introsort scramble the order: a stable sort or a
    # (score, index) heap would give 0, 1, 2, ... and fail the test above
    r = _CASES["all_equal_noclip"]
    boxes = r["boxes"][0, :, 0]
    rows = [int(np.flatnonzero((boxes == row).all(axis=1))[0])
            for row in r["nmsed_boxes"][0][:int(r["valid_detections"][0])]]
    assert rows != sorted(rows)


def test_std_sort_sorts_like_sorted_on_distinct_keys():
    rnd = random.Random(3)
    for n in (0, 1, 5, 16, 17, 40, 300):
        keys = rnd.sample(range(10 * n + 1), n)
        a = list(keys)
        cn.std_sort(a, lambda x, y: x > y)
        assert a == sorted(keys, reverse=True)


def test_static_shapes_are_tfs():
    b = np.zeros((2, 4, 1, 4), np.float32)
    s = np.zeros((2, 4, 3), np.float32)
    with tf.Graph().as_default():
        shapes = lambda outs: [o.shape.as_list() for o in outs]  # noqa: E731
        assert shapes(cn.combined_non_max_suppression(b, s, 2, 5)) == [
            [2, 5, 4], [2, 5], [2, 5], [2]]
        assert shapes(cn.combined_non_max_suppression(b, s, 2, 100, pad_per_class=True)) == [
            [2, 6, 4], [2, 6], [2, 6], [2]]
        bp = tf.placeholder(tf.float32, [None, None, 1, 4])
        sp = tf.placeholder(tf.float32, [None, None, None])
        assert shapes(cn.combined_non_max_suppression(bp, sp, 3, 7, pad_per_class=True)) == [
            [None, None, 4], [None, None], [None, None], [None]]
        assert shapes(cn.combined_non_max_suppression(
            bp, sp, 3, tf.placeholder(tf.int32, []))) == [
            [None, None, 4], [None, None], [None, None], [None]]


_B = np.random.default_rng(0).random((2, 4, 1, 4)).astype(np.float32)
_S = np.random.default_rng(1).random((2, 4, 3)).astype(np.float32)


@pytest.mark.parametrize("kw, message", [
    (dict(boxes=np.concatenate([_B, _B], 2)),
     "third dimension of boxes must be either 1 or equal to the third dimension of scores"),
    (dict(boxes=_B[..., :3]), "Dimension must be 4 but is 3"),
    (dict(scores=_S[:, :3]), "Dimensions must be equal, but are 4 and 3"),
    (dict(boxes=_B[:, :, 0]), "Shape must be rank 4 but is rank 3"),
    (dict(max_total_size=[2]), "Shape must be rank 0 but is rank 1"),
])
def test_build_time_errors_use_tf_messages(kw, message):
    args = dict(boxes=_B, scores=_S, max_output_size_per_class=2, max_total_size=5)
    args.update(kw)
    with tf.Graph().as_default(), pytest.raises(ValueError, match=message):
        cn.combined_non_max_suppression(**args)


def _ph(v):
    v = np.asarray(v)
    v = v.astype(np.float32) if v.dtype.kind == "f" else v.astype(np.int32)
    return tf.placeholder_with_default(v, None)


@pytest.mark.parametrize("kw, message", [
    (lambda: dict(boxes=_ph(_B[:1])), "boxes and scores must have same batch size"),
    (lambda: dict(max_output_size_per_class=_ph(0)), "max_size_per_class must be positive"),
    (lambda: dict(max_total_size=_ph(0)), "max_total_size must be > 0"),
    (lambda: dict(max_output_size_per_class=_ph([2])),
     r"max_size_per_class must be 0-D, got shape \[1\]"),
    (lambda: dict(max_total_size=_ph([2])), r"max_total_size must be 0-D, got shape \[1\]"),
    (lambda: dict(iou_threshold=_ph([0.5])), r"iou_threshold must be 0-D, got shape \[1\]"),
    (lambda: dict(score_threshold=_ph([0.5])), r"score_threshold must be 0-D, got shape \[1\]"),
    (lambda: dict(iou_threshold=_ph(1.5)), r"iou_threshold must be in \[0, 1\]"),
    (lambda: dict(boxes=_ph(_B[:, :, 0])), r"boxes must be 4-D\[2,4,4\]"),
    (lambda: dict(boxes=_ph(np.concatenate([_B, _B], 2))),
     "third dimension of boxes must be either 1 or num classes"),
    (lambda: dict(boxes=_ph(_B[..., :3])), "boxes must have 4 columns"),
    (lambda: dict(scores=_ph(_S[:, :3])), "scores has incompatible shape"),
    (lambda: dict(scores=_ph(_S[:, :, 0])), r"scores must be 3-D\[2,4\]"),
])
def test_run_time_errors_use_tf_messages_and_leave_the_session_usable(kw, message):
    args = dict(boxes=_B, scores=_S, max_output_size_per_class=2, max_total_size=5)
    with tf.Graph().as_default():
        args.update(kw())
        outs = cn.combined_non_max_suppression(**args)
        ok = cn.combined_non_max_suppression(_B, _S, 2, 5)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=message) as info:
                sess.run(outs[0])
            assert "CombinedNonMaxSuppression" in str(info.value)
            assert sess.run(ok[3]).shape == (2,)


def test_no_gradient_as_in_tf():
    with tf.Graph().as_default():
        s = tf.constant(_S)
        _, scores, _, _ = cn.combined_non_max_suppression(_B, s, 2, 5)
        with pytest.raises(LookupError, match="No gradient defined .*CombinedNonMaxSuppression"):
            tf.gradients(tf.reduce_sum(scores), s)


# ----- oracle rows (tests/ops/test_registry.py): TF's recorded values as the oracle ----------
def _row(name):
    r = _CASES[name]
    _, _, m, t, iou, st, pad, clip = _args(r)
    return OpCase(f"combined_nms_{name}",
                  lambda b, s: cn.combined_non_max_suppression(b, s, m, t, iou, st, pad, clip),
                  lambda b, s: [r[k] for k in _OUTS], [r["boxes"], r["scores"]], grad=False,
                  atol=0, rtol=0)


CASES = [_row("ties_q3"), _row("all_equal_nms")]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)
