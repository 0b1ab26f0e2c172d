"""Random ops: distribution statistics, bounds, TF1's seed rules and reproducibility across
Sessions, fresh values across runs, dtype/shape inference, errors and names."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import random_ops
from tests.ops.harness import OpCase, check_forward, ids

# Truncated at two standard deviations: variance 1 - 2*2*phi(2) / (Phi(2) - Phi(-2)).
_PHI2 = np.exp(-2.0) / np.sqrt(2 * np.pi)
TRUNC_VAR = 1 - 4 * _PHI2 / 0.9544997361036416


def moments(t):
    """[mean, mean of squares, min, max] of a random tensor, in float64."""
    x = tf.cast(t, tf.float64)
    return [tf.reduce_mean(x), tf.reduce_mean(x * x), tf.reduce_min(x), tf.reduce_max(x)]


SHAPE = [np.array([200, 100], np.int32)]

# Statistical oracle rows: 20000 samples; each tolerance is >= 5 standard errors of the
# loosest statistic in its row (usually the mean of squares). Seeded, so stable.
CASES = [
    OpCase("random_uniform_f32", lambda s: moments(tf.random_uniform(s, seed=1)),
           lambda s: [0.5, 1 / 3, 0.0, 1.0], SHAPE, grad=False, atol=0.012),
    OpCase("random_uniform_f16",
           lambda s: moments(tf.random_uniform(s, dtype=tf.float16, seed=2)),
           lambda s: [0.5, 1 / 3, 0.0, 1.0], SHAPE, grad=False, atol=0.012),
    OpCase("random_uniform_range_f64",
           lambda s: moments(tf.random_uniform(s, -2.0, 6.0, tf.float64, seed=3)),
           lambda s: [2.0, 4 + 16 / 3, -2.0, 6.0], SHAPE, grad=False, atol=0.4),
    OpCase("random_uniform_int",
           lambda s: moments(tf.random_uniform(s, 3, 9, dtype=tf.int32, seed=4)),
           lambda s: [5.5, np.mean(np.arange(3, 9) ** 2), 3.0, 8.0], SHAPE, grad=False,
           atol=0.7),
    OpCase("random_uniform_int64",
           lambda s: moments(tf.random_uniform(s, -5, 5, dtype=tf.int64, seed=5)),
           lambda s: [-0.5, np.mean(np.arange(-5, 5) ** 2), -5.0, 4.0], SHAPE, grad=False,
           atol=0.3),
    OpCase("random_normal_f32", lambda s: moments(tf.random_normal(s, seed=6))[:2],
           lambda s: [0.0, 1.0], SHAPE, grad=False, atol=0.05),
    OpCase("random_normal_mean_std_f64",
           lambda s: moments(tf.random_normal(s, 3.0, 2.0, tf.float64, seed=7))[:2],
           lambda s: [3.0, 13.0], SHAPE, grad=False, atol=0.5),
    OpCase("random_normal_f16",
           lambda s: moments(tf.random_normal(s, dtype=tf.float16, seed=8))[:2],
           lambda s: [0.0, 1.0], SHAPE, grad=False, atol=0.05),
    OpCase("truncated_normal_f32", lambda s: moments(tf.truncated_normal(s, seed=9)),
           lambda s: [0.0, TRUNC_VAR, -2.0, 2.0], SHAPE, grad=False, atol=0.04),
    OpCase("truncated_normal_scaled_f64",
           lambda s: moments(tf.truncated_normal(s, 1.0, 0.5, tf.float64, seed=10)),
           lambda s: [1.0, 1.0 + 0.25 * TRUNC_VAR, 0.0, 2.0], SHAPE, grad=False, atol=0.03),
    OpCase("random_shuffle_is_permutation",
           lambda v: tf.reduce_sum(tf.random_shuffle(v, seed=11), axis=0),
           lambda v: v.sum(axis=0), [np.arange(30.0).reshape(10, 3)], grad=False),
    OpCase("multinomial_frequencies",
           lambda lg: tf.reduce_mean(tf.one_hot(tf.multinomial(lg, 20000, seed=12), 3),
                                     axis=1),
           lambda lg: np.exp(lg) / np.exp(lg).sum(axis=1, keepdims=True),
           [np.log(np.array([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5]]) + 1e-30)], grad=False,
           atol=0.02),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_statistics(case):
    check_forward(case)


def _run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


# ----- bounds and exact properties -----------------------------------------------------------
def test_truncated_normal_never_beyond_two_stddev():
    v = _run(tf.truncated_normal([100000], mean=5.0, stddev=3.0, seed=1))
    assert np.abs(v - 5.0).max() <= 6.0
    assert np.abs(v - 5.0).max() > 5.9  # the tails up to the cut are really sampled


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64])
def test_uniform_float_range_is_half_open(dtype):
    v = _run(tf.random_uniform([100000], dtype=dtype, seed=2))
    assert v.dtype == dtype.np
    assert v.min() >= 0 and v.max() < 1


def test_uniform_int_covers_range_and_excludes_maxval():
    v = _run(tf.random_uniform([10000], minval=-3, maxval=4, dtype=tf.int64, seed=3))
    assert v.dtype == np.int64
    assert sorted(np.unique(v)) == list(range(-3, 4))


def test_random_shuffle_permutes_rows():
    value = np.arange(40).reshape(20, 2)
    out = tf.random_shuffle(value, seed=4)
    with tf.Session() as sess:
        a, b = sess.run(out), sess.run(out)
    assert sorted(map(tuple, a)) == sorted(map(tuple, value))
    assert not np.array_equal(a, b)
    assert _run(tf.random_shuffle(tf.constant(5.0))) == 5.0


def test_multinomial_never_draws_zero_probability_classes():
    logits = tf.constant([[-np.inf, 0.0, -np.inf, 0.0]])
    out = tf.multinomial(logits, 5000, seed=5)
    assert out.dtype == tf.int64 and out.shape.as_list() == [1, 5000]
    v = _run(out)
    assert set(np.unique(v)) == {1, 3}


# ----- seeds ---------------------------------------------------------------------------------
def test_get_seed_rules():
    with tf.Graph().as_default() as g:
        assert random_ops.get_seed(None) == (None, None)
        assert random_ops.get_seed(5) == (random_ops.DEFAULT_GRAPH_SEED, 5)
        tf.set_random_seed(42)
        assert g.seed == 42
        first, second = random_ops.get_seed(None), random_ops.get_seed(None)
        assert first[0] == second[0] == 42 and first[1] != second[1]
        assert random_ops.get_seed(9) == (42, 9)
        assert random_ops.get_seed(2 ** 31) == (42, 1)  # truncated to 31 bits
        tf.set_random_seed(0)
        assert random_ops.get_seed(0) == (0, 2 ** 31 - 1)  # (0, 0) would mean "random"


def test_graph_seed_gives_same_values_in_two_sessions():
    tf.set_random_seed(1234)
    a = tf.random_uniform([5])
    b = tf.random_normal([5])
    with tf.Session() as s1:
        a1, a2, b1 = s1.run(a), s1.run(a), s1.run(b)
    with tf.Session() as s2:
        a1_, a2_, b1_ = s2.run(a), s2.run(a), s2.run(b)
    np.testing.assert_array_equal(a1, a1_)
    np.testing.assert_array_equal(a2, a2_)
    np.testing.assert_array_equal(b1, b1_)
    assert not np.array_equal(a1, a2)  # successive runs draw new values


def test_graph_seed_reproduces_across_identically_built_graphs():
    def build():
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(7)
            ops = [tf.random_normal([4]), tf.random_normal([4])]
        with tf.Session(graph=g) as sess:
            return sess.run(ops)
    x1, y1 = build()
    x2, y2 = build()
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, y1)  # each op gets its own op seed


def test_op_seed_only_is_reproducible_and_unseeded_is_not():
    a = tf.random_uniform([6], seed=1)
    b = tf.random_uniform([6])
    with tf.Session() as s1:
        a1, b1 = s1.run([a, b])
    with tf.Session() as s2:
        a2, b2 = s2.run([a, b])
    np.testing.assert_array_equal(a1, a2)
    assert not np.array_equal(b1, b2)


def test_different_op_seeds_differ_and_equal_seeds_agree():
    a = tf.random_normal([6], seed=1)
    b = tf.random_normal([6], seed=2)
    c = tf.random_normal([6], seed=1)
    va, vb, vc = _run([a, b, c])
    assert not np.array_equal(va, vb)
    np.testing.assert_array_equal(va, vc)  # TF: same (seed, seed2) -> same sequence


def test_fetching_one_op_twice_in_a_run_gives_one_value():
    a = tf.random_uniform([3], seed=3)
    v1, v2 = _run([a, a])
    np.testing.assert_array_equal(v1, v2)


# ----- inference, names, errors --------------------------------------------------------------
def test_inferred_dtypes_and_shapes():
    assert tf.random_normal([2, 3]).shape.as_list() == [2, 3]
    assert tf.random_normal([2, 3]).dtype == tf.float32
    assert tf.random_uniform((4,), dtype=tf.float64).dtype == tf.float64
    assert tf.random_uniform([], maxval=5, dtype=tf.int32).shape.as_list() == []
    assert tf.truncated_normal(tf.TensorShape([3, 1])).shape.as_list() == [3, 1]
    assert tf.random_normal(np.array([2, 2], np.int64)).shape.as_list() == [2, 2]
    s = tf.placeholder(tf.int32, [2])
    t = tf.random_normal(s)
    assert t.shape.as_list() == [None, None]
    assert _run(t, {s: [3, 1]}).shape == (3, 1)
    assert tf.random_uniform(tf.placeholder(tf.int32)).shape.ndims is None


def test_tf1_names():
    assert tf.random_normal([2]).name == "random_normal:0"
    assert tf.random_normal([2]).name == "random_normal_1:0"
    u = tf.random_uniform([2], name="u")
    assert u.name == "u:0"
    ops = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert ops["random_normal/RandomStandardNormal"] == "RandomStandardNormal"
    assert ops["u/RandomUniform"] == "RandomUniform"
    assert tf.truncated_normal([2]).name == "truncated_normal:0"
    assert tf.random_uniform([2], maxval=3, dtype=tf.int32).name == "random_uniform:0"


def test_build_time_errors():
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        tf.random_uniform([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="Invalid dtype"):
        tf.random_uniform([2], dtype=tf.bool)
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 0"):
        tf.random_normal(5)
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: "
                                        "int32, int64"):
        tf.random_normal(tf.constant([2.0]))
    with pytest.raises(TypeError):
        tf.random_normal([2], dtype=tf.int32)
    with pytest.raises(ValueError, match="Cannot convert a partially known TensorShape"):
        tf.random_normal(tf.TensorShape([None, 2]))


def test_run_time_errors():
    lo = tf.placeholder(tf.int32, [])
    out = tf.random_uniform([3], minval=lo, maxval=3, dtype=tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need minval < maxval: 5 >= 3"):
        _run(out, {lo: 5})
    s = tf.placeholder(tf.int32, [2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Dimension -1 must be >= 0"):
        _run(tf.random_normal(s), {s: [-1, 2]})


def test_random_ops_are_not_differentiable():
    mean = tf.placeholder(tf.float32, [])
    out = tf.random_normal([3], mean=mean)
    (g,) = tf.gradients(tf.reduce_sum(out), [mean])
    assert _run(g, {mean: 0.0}) == pytest.approx(3.0)  # flows through the shift only
