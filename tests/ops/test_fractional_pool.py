"""tf.nn.fractional_max_pool / fractional_avg_pool: pooling against numpy loops over the
returned sequences, TF's Philox sequences (bit for bit, tests/data/tf1/nnconv via
test_nnconv_fixtures.py and below), the sequences' documented properties when unseeded,
finite-difference gradients, TF's messages."""

import math

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import fractional_pool_ops as fp
from flowexec.ops.philox import Philox
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import inputs, normal


def np_fractional(x, rows, cols, overlapping, kind):
    out = np.zeros((x.shape[0], len(rows) - 1, len(cols) - 1, x.shape[3]), x.dtype)
    for i in range(len(rows) - 1):
        r1 = min(rows[i + 1] - (0 if overlapping else 1), x.shape[1] - 1)
        for j in range(len(cols) - 1):
            c1 = min(cols[j + 1] - (0 if overlapping else 1), x.shape[2] - 1)
            cell = x[:, rows[i]:r1 + 1, cols[j]:c1 + 1]
            out[:, i, j] = cell.max((1, 2)) if kind == "max" else cell.mean((1, 2))
    return out


def _tf_sequences(shape, ratio, pseudo, seed, seed2):
    gen = Philox(seed, seed2)
    outs = [int(math.floor(d / r)) for d, r in zip(shape, ratio)]
    return (fp.pooling_sequence(shape[1], outs[1], gen, pseudo),
            fp.pooling_sequence(shape[2], outs[2], gen, pseudo))


def _case(name, kind, shape, ratio, pseudo, overlapping, seed=3, seed2=4):
    fn = tf.nn.fractional_max_pool if kind == "max" else tf.nn.fractional_avg_pool

    def build(x):
        return list(fn(x, ratio, pseudo, overlapping, deterministic=True, seed=seed,
                       seed2=seed2))

    def ref(x):
        rows, cols = _tf_sequences(x.shape, ratio, pseudo, seed, seed2)
        return [np_fractional(x, rows, cols, overlapping, kind), np.array(rows),
                np.array(cols)]

    return OpCase(name, build, ref, inputs(normal(*shape)))


CASES = [
    _case("max_random", "max", (2, 10, 9, 2), [1.0, 1.44, 1.73, 1.0], False, False),
    _case("max_pseudo_random_overlapping", "max", (1, 11, 7, 3), [1.0, 1.5, 1.3, 1.0], True,
          True),
    _case("max_ratio_two", "max", (1, 8, 6, 1), [1.0, 2.0, 2.0, 1.0], False, True),
    _case("avg_random_overlapping", "avg", (2, 9, 10, 2), [1.0, 1.6, 1.44, 1.0], False, True),
    _case("avg_pseudo_random", "avg", (1, 12, 8, 2), [1.0, 1.7, 1.5, 1.0], True, False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient(case):
    check_gradient(case)


def _run_twice(y, session_count=1):
    out = []
    for _ in range(session_count):
        with tf.Session() as sess:
            out.append([sess.run(y[1:]) for _ in range(2)])
    return out


def _valid(seq, n_in, n_out):
    steps = np.diff(seq)
    k = n_in // n_out
    return (seq[0] == 0 and seq[-1] == n_in and len(seq) == n_out + 1
            and set(steps) <= {k, k + 1})


@pytest.mark.parametrize("pseudo", [False, True])
def test_unseeded_sequences_are_valid_and_fresh_each_run(pseudo):
    x = tf.constant(np.zeros([1, 60, 50, 1], np.float32))
    y = tf.nn.fractional_max_pool(x, [1.0, 1.44, 1.3, 1.0], pseudo_random=pseudo)
    assert y[1].shape.as_list() == [42] and y[2].shape.as_list() == [39]
    with tf.Session() as sess:
        runs = [sess.run(y[1:]) for _ in range(4)]
    for rows, cols in runs:
        assert _valid(rows, 60, 41) and _valid(cols, 50, 38)
    assert len({tuple(r) + tuple(c) for r, c in runs}) > 1


def test_seeded_sequences_are_tfs_and_repeat_per_session():
    x = tf.constant(np.zeros([1, 10, 9, 1], np.float32))
    det = tf.nn.fractional_max_pool(x, [1.0, 1.44, 1.73, 1.0], deterministic=True, seed=1,
                                    seed2=2)
    pseudo = tf.nn.fractional_avg_pool(x, [1.0, 1.44, 1.73, 1.0], pseudo_random=True,
                                       deterministic=True, seed=1, seed2=2)
    # TensorFlow 2.21's sequences for these seeds (its Philox stream, rows then columns).
    want = {det: ([0, 1, 3, 4, 6, 8, 10], [0, 2, 3, 5, 7, 9]),
            pseudo: ([0, 2, 3, 5, 7, 8, 10], [0, 2, 3, 5, 7, 9])}
    for y, (rows, cols) in want.items():
        for session in _run_twice(y, session_count=2):
            for got_rows, got_cols in session:
                assert got_rows.tolist() == rows and got_cols.tolist() == cols


def test_max_gradient_goes_to_the_first_maximum():
    x = tf.constant(np.ones([1, 4, 4, 1], np.float32))
    y, _, _ = tf.nn.fractional_max_pool(x, [1.0, 2.0, 2.0, 1.0], deterministic=True, seed=1,
                                        seed2=1)
    with tf.Session() as sess:
        dx = sess.run(tf.gradients(y, x)[0])
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 0, 1, 0], [0, 0, 0, 0],
                                                   [1, 0, 1, 0], [0, 0, 0, 0]])


def test_integer_average_truncates_as_tf():
    x = tf.constant(np.array([[-3, 0], [1, 1]], np.int32).reshape(1, 2, 2, 1))
    y, _, _ = tf.nn.fractional_avg_pool(x, [1.0, 2.0, 2.0, 1.0], deterministic=True, seed=1,
                                        seed2=1)
    with tf.Session() as sess:
        assert sess.run(y).ravel().tolist() == [0]  # -1 / 4 truncates to 0


def _p(*shape):
    return tf.placeholder(tf.float32, shape)


@pytest.mark.parametrize("build, message", [
    (lambda: tf.nn.fractional_max_pool(_p(2, 10, 9, 3), [1.0, 1.44, 1.73]),
     "Attr 'pooling_ratio' of 'FractionalMaxPool' Op passed list of length 3 less than "
     "minimum 4."),
    (lambda: tf.nn.fractional_max_pool(_p(2, 10, 9, 3), [1.0, 0.5, 1.73, 1.0]),
     "pooling_ratio cannot be smaller than 1, got: 0.5"),
    (lambda: tf.nn.fractional_avg_pool(_p(2, 10, 9), [1.0, 1.5, 1.73, 1.0]),
     "Shape must be rank 4 but is rank 3"),
])
def test_build_time_errors_use_tf_messages(build, message):
    with pytest.raises(ValueError) as e:
        build()
    assert str(e.value).startswith(message), str(e.value)


def test_static_shapes():
    y = tf.nn.fractional_max_pool(_p(2, 10, 9, 3), [1.0, 1.44, 1.73, 1.0])
    assert [t.shape.as_list() for t in y] == [[2, 6, 5, 3], [7], [6]]
    assert [t.dtype for t in y] == [tf.float32, tf.int64, tf.int64]
    y = tf.nn.fractional_avg_pool(tf.placeholder(tf.float32, [None, None, 9, 3]),
                                  [1.0, 1.5, 1.73, 1.0])
    assert [t.shape.as_list() for t in y] == [[None, None, 5, 3], [None], [6]]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(seed=5, seed2=7), tf.errors.InvalidArgumentError,
     "Both seed and seed2 should be 0 if deterministic is false."),
    (dict(ratio=[1.0, 12.0, 1.5, 1.0]), tf.errors.InvalidArgumentError,
     "Pooling ratio is higher than input dimension size for dimension 1. Input dim size: 10 "
     "pooling ratio: 12"),
    (dict(ratio=[2.0, 1.5, 1.5, 1.0]), tf.errors.UnimplementedError,
     "Fractional pooling is not yet supported on the batch nor channel dimension."),
])
def test_run_time_errors(kwargs, error, message):
    ratio = kwargs.pop("ratio", [1.0, 1.5, 1.5, 1.0])
    y = tf.nn.fractional_max_pool(tf.zeros([2, 10, 9, 1]), ratio, **kwargs)
    with tf.Session() as sess, pytest.raises(error) as e:
        sess.run(y)
    assert e.value.message.startswith(message)


def test_gradient_ops_have_no_gradient_as_in_tf():
    x = _p(1, 6, 6, 1)
    y, _, _ = tf.nn.fractional_avg_pool(x, [1.0, 1.5, 1.5, 1.0])
    dx = tf.gradients(y, x)[0]
    assert dx.op.type == "FractionalAvgPoolGrad"
    with pytest.raises(LookupError, match="op type: FractionalAvgPoolGrad"):
        tf.gradients(dx, x)
