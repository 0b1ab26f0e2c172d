"""clip_ops: ClipByValue forward/gradient (TF1's routing to the bounds), clip_by_norm,
global_norm, clip_by_global_norm and norm vs numpy, with TF1's names and errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import clip_ops
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _f(*shapes, low=-2.0, high=2.0, dtype=np.float64):
    return lambda rng: [rng.uniform(low, high, size=s).astype(dtype) for s in shapes]


def _away(*shapes):
    """Values at least 0.1 away from the clip bounds -1 and 1 (finite differences stay on one
    side of the kink)."""
    def gen(rng):
        out = []
        for s in shapes:
            x = rng.uniform(-2.0, 2.0, size=s)
            x = np.where(np.abs(np.abs(x) - 1.0) < 0.1, x * 1.3, x)
            out.append(x)
        return out
    return gen


def _bounds_apart(rng):
    t = rng.uniform(-2.0, 2.0, size=(3, 4))
    lo = rng.uniform(-1.0, -0.5, size=(3, 4))
    hi = rng.uniform(0.5, 1.0, size=(3, 4))
    t = np.where(np.minimum(np.abs(t - lo), np.abs(t - hi)) < 0.05, t + 0.2, t)
    return [t, lo, hi]


def _clip_norm_ref(t, c, axes=None):
    n = np.sqrt(np.sum(t * t, axis=axes, keepdims=True))
    return t * c / np.maximum(n, c)


def _global_ref(*ts):
    return np.sqrt(sum(np.sum(t * t) for t in ts))


def _cgn_ref(a, b, c=1.5):
    g = _global_ref(a, b)
    s = c / max(g, c)
    return [a * s, b * s, g]


CASES = [
    OpCase("clip_by_value_scalar", lambda t: clip_ops.clip_by_value(t, -1.0, 1.0),
           lambda t: np.clip(t, -1.0, 1.0), _away((3, 4))),
    OpCase("clip_by_value_f32", lambda t: clip_ops.clip_by_value(t, -1.0, 1.0),
           lambda t: np.clip(t, -1.0, 1.0), _f((5,), dtype=np.float32), grad=False),
    OpCase("clip_by_value_int", lambda t: clip_ops.clip_by_value(t, -2, 3),
           lambda t: np.clip(t, -2, 3), lambda rng: [rng.integers(-5, 6, (4, 2), np.int32)]),
    OpCase("clip_by_value_tensor_bounds", clip_ops.clip_by_value, np.clip, _bounds_apart),
    OpCase("clip_by_value_scalar_tensor_bounds", clip_ops.clip_by_value,
           np.clip, lambda rng: [_away((2, 3))(rng)[0], np.array(-1.0), np.array(1.0)]),
    OpCase("clip_by_value_fed", clip_ops.clip_by_value, np.clip, _bounds_apart, feed=True),
    OpCase("clip_by_norm", lambda t: clip_ops.clip_by_norm(t, 1.5),
           lambda t: _clip_norm_ref(t, 1.5), _f((3, 4))),
    OpCase("clip_by_norm_not_clipped", lambda t: clip_ops.clip_by_norm(t, 100.0),
           lambda t: t, _f((3,))),
    OpCase("clip_by_norm_axes", lambda t: clip_ops.clip_by_norm(t, 1.0, axes=[1]),
           lambda t: _clip_norm_ref(t, 1.0, axes=1), _f((3, 4))),
    OpCase("global_norm", lambda a, b: clip_ops.global_norm([a, None, b]), _global_ref,
           _f((3, 2), (4,))),
    OpCase("clip_by_global_norm", lambda a, b: _flat_cgn(a, b), _cgn_ref, _f((3, 2), (4,))),
    OpCase("norm_euclidean", clip_ops.norm, lambda t: np.linalg.norm(t.ravel()), _f((3, 4))),
    OpCase("norm_axis_keepdims", lambda t: clip_ops.norm(t, axis=1, keepdims=True),
           lambda t: np.linalg.norm(t, axis=1, keepdims=True), _f((3, 4))),
    OpCase("norm_1", lambda t: clip_ops.norm(t, ord=1, axis=0),
           lambda t: np.linalg.norm(t, ord=1, axis=0), _f((3, 4))),
    OpCase("norm_inf", lambda t: clip_ops.norm(t, ord=np.inf, axis=-1),
           lambda t: np.linalg.norm(t, ord=np.inf, axis=-1), _f((3, 4))),
    OpCase("norm_2_vector", lambda t: clip_ops.norm(t, ord=2, axis=0),
           lambda t: np.linalg.norm(t, ord=2, axis=0), _f((3, 4))),
    OpCase("norm_p3", lambda t: clip_ops.norm(t, ord=3),
           lambda t: np.sum(np.abs(t) ** 3) ** (1 / 3), _f((5,))),
    OpCase("norm_fro_matrix", lambda t: clip_ops.norm(t, ord="fro", axis=(0, 1)),
           lambda t: np.linalg.norm(t, ord="fro"), _f((3, 4))),
    OpCase("norm_1_matrix", lambda t: clip_ops.norm(t, ord=1, axis=(0, 1)),
           lambda t: np.linalg.norm(t, ord=1), _f((3, 4))),
    OpCase("norm_inf_matrix", lambda t: clip_ops.norm(t, ord=np.inf, axis=[0, 1]),
           lambda t: np.linalg.norm(t, ord=np.inf), _f((3, 4))),
]


def _flat_cgn(a, b):
    (ca, none, cb), n = clip_ops.clip_by_global_norm([a, None, b], 1.5)
    assert none is None
    return [ca, cb, n]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad and not c.name.startswith("norm_inf")]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_clip_by_value_gradient_routes_clipped_part_to_the_bounds():
    t = tf.constant([-3.0, 0.5, 4.0, 1.0])
    lo, hi = tf.constant(-1.0), tf.constant([1.0, 1.0, 1.0, 1.0])
    y = clip_ops.clip_by_value(t, lo, hi)
    gt, glo, ghi = tf.gradients(tf.reduce_sum(y * [1.0, 2.0, 3.0, 4.0]), [t, lo, hi])
    with tf.Session() as sess:
        gt, glo, ghi = sess.run([gt, glo, ghi])
    np.testing.assert_array_equal(gt, [0.0, 2.0, 0.0, 4.0])  # x == max keeps its gradient
    assert glo == 1.0
    np.testing.assert_array_equal(ghi, [0.0, 0.0, 3.0, 0.0])


def test_names_follow_tf1():
    a, b = tf.constant([3.0]), tf.constant([4.0])
    assert clip_ops.clip_by_value(a, 0.0, 1.0).op.name == "clip_by_value"
    assert clip_ops.clip_by_norm(a, 1.0).op.name == "clip_by_norm"
    assert clip_ops.global_norm([a, b]).op.name == "global_norm/global_norm"
    clipped, n = clip_ops.clip_by_global_norm([a, b], 1.0)
    assert [c.op.name for c in clipped] == ["clip_by_global_norm/clip_by_global_norm/_0",
                                            "clip_by_global_norm/clip_by_global_norm/_1"]
    assert n.op.name == "global_norm_1/global_norm"


def test_clip_by_global_norm_inf_norm_gives_nan():
    clipped, _ = clip_ops.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    with tf.Session() as sess:
        assert np.all(np.isnan(sess.run(clipped[0])))


def test_clip_by_global_norm_uses_given_norm():
    clipped, _ = clip_ops.clip_by_global_norm([tf.constant([3.0, 4.0])], 1.0, use_norm=10.0)
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(clipped[0]), [0.3, 0.4], rtol=1e-6)


def test_clip_by_value_errors():
    t = tf.constant([[1.0, 2.0]])
    with pytest.raises(TypeError, match="Input 'clip_value_min' of 'ClipByValue' Op"):
        clip_ops.clip_by_value(t, tf.constant(0), 1.0)
    with pytest.raises(ValueError, match="ClipByValue"):
        clip_ops.clip_by_value(t, tf.constant([0.0, 0.0, 0.0]), 1.0)
    lo = tf.placeholder(tf.float32)
    y = clip_ops.clip_by_value(t, lo, 5.0)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="clip_value_min and t must be the same shape"):
            sess.run(y, {lo: [0.0, 1.0, 2.0]})


def test_sequence_and_norm_argument_errors():
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        clip_ops.global_norm(tf.constant([1.0]))
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        clip_ops.clip_by_global_norm(tf.constant([1.0]), 1.0)
    x = tf.constant([[1.0]])
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm"):
        clip_ops.norm(x, ord=-1)
    with pytest.raises(ValueError, match="'axis' must be None, an integer"):
        clip_ops.norm(x, axis=(0, 0))
    with pytest.raises(ValueError, match="spectral norm"):
        clip_ops.norm(x, ord=2, axis=(0, 1))


# ----- sparse gradients (IndexedSlices) ---------------------------------------------------------
def _slices():
    values = np.array([[3.0, 4.0], [0.0, 12.0]], np.float32)
    s = tf.IndexedSlices(tf.constant(values), tf.constant([2, 2]), tf.constant([4, 2]))
    return s, values


def test_clipping_takes_indexed_slices_and_keeps_them():
    s, values = _slices()
    by_norm = tf.clip_by_norm(s, 6.5)
    by_value = tf.clip_by_value(s, -1.0, 3.5)
    (clipped, dense), norm = tf.clip_by_global_norm([s, tf.constant([5.0])], 7.0)
    gnorm = tf.global_norm([s, None])
    for x in (by_norm, by_value, clipped):
        assert isinstance(x, tf.IndexedSlices) and x.indices is s.indices
    assert isinstance(dense, tf.Tensor)
    with tf.Session() as sess:
        bn, bv, c, d, n, gn = sess.run([by_norm, by_value, clipped, dense, norm, gnorm])
    # the norm is the slices' (13: rows counted as they are, not summed by index)
    np.testing.assert_allclose(bn.values, values * 6.5 / 13.0, rtol=1e-6)
    np.testing.assert_array_equal(bn.indices, [2, 2])
    np.testing.assert_allclose(bv.values, np.clip(values, -1.0, 3.5))
    total = np.sqrt(13.0 ** 2 + 5.0 ** 2)
    np.testing.assert_allclose(n, total, rtol=1e-6)
    np.testing.assert_allclose(gn, 13.0, rtol=1e-6)
    np.testing.assert_allclose(c.values, values * 7.0 / total, rtol=1e-6)
    np.testing.assert_allclose(d, [5.0 * 7.0 / total], rtol=1e-6)
