"""tf.random_index_shuffle (RandomIndexShuffle): TF's outputs bit for bit (recorded from
TensorFlow 2.21, scripts/make_tf_random_index_shuffle_fixtures.py), the bijection property
(a numpy check: every index of [0, max_index] lands once), shapes and TF's errors."""

import os

import numpy as np
import pytest

import flowexec as tf

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "random_index_shuffle",
                       "random_index_shuffle.npz")
RECORDED = np.load(FIXTURE)
RECORDED_CASES = sorted({k.rsplit("_", 1)[0] for k in RECORDED.files if k.endswith("_out")})


@pytest.mark.parametrize("case", RECORDED_CASES)
def test_matches_tf_bit_for_bit(case):
    index, seed, max_index, rounds, expected = (
        RECORDED[f"{case}_{part}"] for part in ("index", "seed", "max_index", "rounds", "out"))
    y = tf.random_index_shuffle(tf.constant(index), tf.constant(seed), tf.constant(max_index),
                                rounds=int(rounds))
    with tf.Session() as sess:
        got = sess.run(y)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("max_index,rounds", [(9, 4), (999, 8), (70000, 6)])
def test_is_a_permutation(max_index, rounds):
    y = tf.random_index_shuffle(tf.range(max_index + 1, dtype=tf.int64), [4, 5, 6],
                                tf.constant(max_index, tf.int64), rounds=rounds)
    with tf.Session() as sess:
        got = sess.run(y)
    np.testing.assert_array_equal(np.sort(got), np.arange(max_index + 1))
    assert not np.array_equal(got, np.arange(max_index + 1))


def test_shapes_and_names():
    y = tf.random_index_shuffle(5, [7, 8, 9], 100)
    assert y.shape.as_list() == [] and y.dtype == tf.int32 and y.op.name == "RandomIndexShuffle"
    assert y.op.get_attr("rounds") == 4
    assert tf.random_index_shuffle(3, [[1, 2, 3]], 5).shape.as_list() == [1]
    v = tf.random_index_shuffle(tf.placeholder(tf.int32, [None]),
                                tf.placeholder(tf.int32, [None, 3]), 5)
    assert v.shape.as_list() == [None]
    assert tf.random_index_shuffle(tf.placeholder(tf.int32), [1, 2, 3], 5).shape.ndims is None
    with tf.Session() as sess:
        assert sess.run(y) == 91


@pytest.mark.parametrize("args,message", [
    ((np.arange(3), [1, 2], 9), r"^Seed must have shape \[3\] or \[n, 3\] but got \[2\]\. for "),
    ((np.arange(3), [[1, 2, 3]] * 2, 9),
     r"^Seed has shape \[2,3\] but must have shape \[3, 3\]\. since index had shape \[3\]\."),
    ((np.arange(3), [1, 2, 3], [9, 9]), r"^Max index has shape \[2\] but must have shape \[3\]\."),
    ((np.zeros((2, 2), np.int32), [1, 2, 3], 9), "^Shape must be at most rank 1 but is rank 2"),
])
def test_shape_errors_as_tf(args, message):
    with pytest.raises(ValueError, match=message):
        tf.random_index_shuffle(*args)


def test_dtype_errors_as_tf():
    with pytest.raises(TypeError, match="^Value passed to parameter 'index' has DataType "
                                        "float64 not in list of allowed values: int32, "
                                        "uint32, int64, uint64$"):
        tf.random_index_shuffle(np.arange(3.0), [1, 2, 3], 9.0)
    with pytest.raises(TypeError, match="parameter 'seed' has DataType float32"):
        tf.random_index_shuffle(np.arange(3), [1.0, 2, 3], 9)


@pytest.mark.parametrize("index,max_index,message", [
    (-1, 2 ** 20, "index must be >= 0 but was -1"),
    (3, 2, "max_index must be >= index, but 2 < 3")])
def test_run_errors_as_tf(index, max_index, message):
    y = tf.random_index_shuffle(index, [1, 2, 3], max_index)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(y)
    assert info.value.message.startswith(message + "\n")


@pytest.mark.parametrize("rounds", [2, 3, 5])
def test_rounds_tf_cannot_run_are_an_error(rounds):
    y = tf.random_index_shuffle(1, [1, 2, 3], 9, rounds=rounds)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="rounds must be an even number >= 4"):
        sess.run(y)
