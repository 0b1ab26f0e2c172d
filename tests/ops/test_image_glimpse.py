"""ExtractGlimpse / ExtractGlimpseV2 (flowexec/ops/image_glimpse_ops.py) against TF's recorded
outputs (tests/data/tf1/image_glimpse/glimpse.npz, scripts/make_tf_image_glimpse_fixtures.py):
the copied pixels exactly (tolerance 0: they are copies), which pixels are noise (those that
differ between two runs), the noise's range and statistics per mode, static shapes, TF's
messages, and runs with placeholders."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from flowexec.ops import image_glimpse_ops as gl
from tests.ops.harness import OpCase, check_forward, ids
from tests.ops.npz_fixtures import load_npz_cases

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "image_glimpse")


def _load(name):
    return load_npz_cases(os.path.join(DATA, name))


_TOP, _CASES = _load("glimpse.npz")
IMAGE = _TOP["image"]


def _build(r, x):
    kw = dict(centered=bool(r["centered"]), normalized=bool(r["normalized"]))
    if int(r["version"]) == 1:
        return gl.extract_glimpse(x, r["size"], r["offsets"],
                                  uniform_noise=bool(r["uniform_noise"]), **kw)
    return gl.extract_glimpse_v2(x, r["size"], r["offsets"], noise=str(r["noise"]), **kw)


def _twice(r, image=IMAGE):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None, None, None])
        g = _build(r, x)
        with tf.Session() as sess:
            return sess.run(g, {x: image}), sess.run(g, {x: image})


@pytest.mark.parametrize("name", sorted(n for n in _CASES if not n.startswith("far_")))
def test_glimpse_matches_tf(name):
    r = _CASES[name]
    a, b = _twice(r)
    assert a.shape == r["out"].shape and a.dtype == np.float32
    stable = a == b
    want = r["stable"]
    if str(r["noise"]) == "gaussian":
        # clipped Gaussian noise can hit a channel's min or max in both runs
        lo, hi = IMAGE.min(axis=(1, 2)), IMAGE.max(axis=(1, 2))
        clip = lambda v: (v == lo[:, None, None]) | (v == hi[:, None, None])  # noqa: E731
        clipped = clip(r["out"]) | (clip(a) & clip(b))
        stable, want = stable & ~clipped, want & ~clipped
    np.testing.assert_array_equal(stable, want, err_msg=f"{name}: copied pixels differ")
    np.testing.assert_array_equal(a[r["stable"]], r["out"][r["stable"]], err_msg=name)


def test_zero_noise_glimpses_equal_tf_everywhere():
    names = [n for n in _CASES if _CASES[n]["noise"] == "zero"]
    assert len(names) > 50
    for name in names:
        a, _ = _twice(_CASES[name])
        np.testing.assert_array_equal(a, _CASES[name]["out"], err_msg=name)


@pytest.mark.parametrize("name", sorted(n for n in _CASES if n.startswith("far_")))
def test_noise_of_a_window_outside_the_image_has_tfs_statistics(name):
    r = _CASES[name]
    ours, _ = _twice(r)
    for got in (ours, r["out"]):  # ours, and TF's as a check of the statistics themselves
        for i in range(2):
            img, g = IMAGE[i], got[i]
            if str(r["noise"]) == "zero":
                assert not g.any()
            elif str(r["noise"]) == "gaussian":
                mean, std = img.mean(axis=(0, 1)), img.std(axis=(0, 1))
                assert (g >= img.min(axis=(0, 1))).all() and (g <= img.max(axis=(0, 1))).all()
                np.testing.assert_allclose(g.mean(axis=(0, 1)), mean, atol=0.2)
                np.testing.assert_allclose(g.std(axis=(0, 1)), std, rtol=0.2)
            else:  # uniform over the whole image's [min, max], also with uniform_noise=False
                lo, hi = img.min(), img.max()
                assert (g >= lo).all() and (g <= hi).all()
                np.testing.assert_allclose(g.mean(), (lo + hi) / 2, atol=0.2)
                np.testing.assert_allclose(g.std(), (hi - lo) / np.sqrt(12), rtol=0.1)


def test_v1_and_v2_offsets_differ_as_in_tf():
    img = np.arange(2 * 6 * 8, dtype=np.float32).reshape(2, 6, 8, 1)
    off = np.array([[2.0, 3.0], [0.0, 0.0]], np.float32)
    with tf.Graph().as_default(), tf.Session() as sess:
        v1 = sess.run(gl.extract_glimpse(img, [2, 2], off, centered=False, normalized=False))
        v2 = sess.run(gl.extract_glimpse_v2(img, [2, 2], off, centered=False,
                                            normalized=False, noise="zero"))
    np.testing.assert_array_equal(v2[0, ..., 0], img[0, 2:4, 3:5, 0])  # corner at (2, 3)
    np.testing.assert_array_equal(v1[0, ..., 0], img[0, 1:3, 2:4, 0])  # centre at (2, 3)
    np.testing.assert_array_equal(v2[1, ..., 0], img[1, :2, :2, 0])


def test_static_shapes_are_tfs():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5, None, 3])
        g = gl.extract_glimpse(x, [3, 4], tf.placeholder(tf.float32, [None, 2]))
        assert g.shape.as_list() == [None, 3, 4, 3]
        g = gl.extract_glimpse_v2(x, tf.placeholder(tf.int32, [2]),
                                  tf.placeholder(tf.float32, [7, 2]))
        assert g.shape.as_list() == [7, None, None, 3]


@pytest.mark.parametrize("build, message", [
    (lambda: gl.extract_glimpse(IMAGE[0], [2, 2], [[0.0, 0.0]]),
     "Shape must be rank 4 but is rank 3 for '.*' \\(op: 'ExtractGlimpse'\\)"),
    (lambda: gl.extract_glimpse(IMAGE, [2, 2], [[0.0, 0.0]]),
     "Dimensions must be equal, but are 2 and 1"),
    (lambda: apply_op("ExtractGlimpseV2", tf.constant(IMAGE), tf.constant([2, 2]),
                      tf.constant(np.zeros((2, 2), np.float32)), noise="zero",
                      uniform_noise=True),
     "The uniform_noise should not be True when noise is not uniform"),
])
def test_build_time_errors_use_tf_messages(build, message):
    with tf.Graph().as_default(), pytest.raises(ValueError, match=message):
        build()


def test_wrong_input_dtype_is_tfs_type_error():
    with tf.Graph().as_default(), pytest.raises(TypeError, match="Input 'size' of "
                                                "'ExtractGlimpse' Op has type int64"):
        apply_op("ExtractGlimpse", tf.constant(IMAGE), tf.constant(np.int64([2, 2])),
                 tf.constant(np.zeros((2, 2), np.float32)))


def _ph(value):
    return tf.placeholder_with_default(value, None)


_Z = np.zeros((2, 2), np.float32)


@pytest.mark.parametrize("build, message", [
    (lambda: gl.extract_glimpse(_ph(IMAGE[0]), [2, 2], [[0.0, 0.0]]),
     r"input must be 4-dimensional \(batch_size, height, width, depth\)\[7,9,3\]"),
    (lambda: gl.extract_glimpse(IMAGE, _ph(np.int32([2, 2, 2])), _Z),
     r"input must be a vector of size 2 \(height, width\)\[3\]"),
    (lambda: gl.extract_glimpse(IMAGE, [2, 2], _ph(np.float32([0, 0]))),
     r"input must be a matrix\[2\]"),
    (lambda: gl.extract_glimpse(IMAGE, [2, 2], _ph(_Z[:1])),
     r"first dimension should be batch\[1,2\]"),
    (lambda: gl.extract_glimpse(IMAGE, [2, 2], _ph(np.zeros((2, 3), np.float32))),
     r"second dimension should be of size 2 \(y,x\)\[2,3\]"),
    (lambda: gl.extract_glimpse_v2(IMAGE, [2, 2], _Z, noise="foo"),
     "The noise could only be uniform, gaussian, or zero, gotfoo"),
    (lambda: gl.extract_glimpse_v2(IMAGE, _ph(np.int32([-1, 2])), _Z, noise="zero"),
     "Expected a non-negative size, got -1"),
])
def test_run_time_errors_use_tf_messages_and_leave_the_session_usable(build, message):
    with tf.Graph().as_default():
        out = build()
        ok = gl.extract_glimpse_v2(IMAGE, [1, 1], _Z, noise="zero")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match=message) as info:
                sess.run(out)
            assert "ExtractGlimpse" in str(info.value)
            assert sess.run(ok).shape == (2, 1, 1, 3)


def test_empty_glimpse_and_no_gradient_as_in_tf():
    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.constant(IMAGE)
        assert sess.run(gl.extract_glimpse_v2(x, [0, 3], _Z)).shape == (2, 0, 3, 3)
        g1 = gl.extract_glimpse(x, [2, 2], _Z)
        assert tf.gradients(tf.reduce_sum(g1), x) == [None]
        g2 = gl.extract_glimpse_v2(x, [2, 2], _Z)
        with pytest.raises(LookupError, match="No gradient defined .*ExtractGlimpseV2"):
            tf.gradients(tf.reduce_sum(g2), x)


# ----- oracle rows (tests/ops/test_registry.py): TF's recorded values as the oracle ----------
def _row(name):
    r = _CASES[name]
    return OpCase(f"glimpse_{name}", lambda x: _build(r, x), lambda x: r["out"], [IMAGE],
                  grad=False, atol=0, rtol=0)


CASES = [_row("v2_c0_n0_big_0"), _row("v2_c1_n1_s3x4_1"), _row("v1_c1_n0_one_1")]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)
