"""tf.SparseConditionalAccumulator and tf.ConditionalAccumulatorBase: rows summed by index and
averaged by each index's count, in order of first appearance, stale gradients dropped, TF's
shape checks and messages (recorded from TF 2.21's compat.v1), IndexedSlices in and out."""

import numpy as np
import pytest

import flowexec as tf


def test_mean_by_index_in_order_of_first_appearance():
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
    assert isinstance(acc, tf.ConditionalAccumulatorBase)
    assert acc.name == "sparse_conditional_accumulator" and acc.dtype == tf.float32
    a1 = acc.apply_grad([0, 2], [[1.0, 1.0], [2.0, 2.0]], local_step=0)
    a2 = acc.apply_indexed_slices_grad(tf.IndexedSlices(
        tf.constant([[3.0, 3.0], [5.0, 5.0]]), tf.constant([2, 3], tf.int64),
        tf.constant([4, 2], tf.int64)), local_step=0)
    indices, values, shape = acc.take_grad(2)
    slices = acc.take_indexed_slices_grad(1)
    with tf.Session() as sess:
        sess.run(a1)
        sess.run(a2)
        assert sess.run(acc.num_accumulated()) == 2
        got = sess.run([indices, values, shape])
        np.testing.assert_array_equal(got[0], [0, 2, 3])
        np.testing.assert_array_equal(got[1], [[1, 1], [2.5, 2.5], [5, 5]])
        np.testing.assert_array_equal(got[2], [4, 2])
        sess.run(acc.apply_grad([1, 0], [[7.0, 7.0], [9.0, 9.0]], local_step=1))
        r = sess.run(slices)
        np.testing.assert_array_equal(r.indices, [1, 0])
        np.testing.assert_array_equal(r.values, [[7, 7], [9, 9]])
        sess.run(acc.apply_grad([1], [[7.0, 7.0]], local_step=0))  # stale: global step is 2
        assert sess.run(acc.num_accumulated()) == 0


def test_sum_and_unknown_shape():
    acc = tf.SparseConditionalAccumulator(tf.float32, reduction_type="SUM")
    with tf.Session() as sess:
        sess.run(acc.apply_grad([3, 1], [[1.0], [2.0]]))
        sess.run(acc.apply_grad([1], [[5.0]]))
        indices, values, shape = sess.run(acc.take_grad(2))
    # TF's merge walk expects increasing indices; with [3, 1] it gives what TF gives
    np.testing.assert_array_equal(indices, [1, 3, 1])
    np.testing.assert_array_equal(values, [[5.0], [1.0], [2.0]])
    np.testing.assert_array_equal(shape, [-1, 1])


@pytest.mark.parametrize("indices, values, grad_shape, message", [
    ([1], [[1.0, 1.0, 1.0]], None, "Shape mismatch: expected values dim 1 to be 2, got 3"),
    ([7], [[1.0, 1.0]], [4, 2], "Shape mismatch: index of slice 0 exceeded limits of shape; "
                                "index is 7 exceeded 4"),
    ([1], [[1.0, 1.0]], [5, 2], "Shape mismatch: expected shape dim 0 to be 4, got 5"),
])
def test_shape_errors_are_tfs(indices, values, grad_shape, message):
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
    bad = acc.apply_grad(indices, values, grad_shape=grad_shape, local_step=9)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(bad)
    assert info.value.message.split("\n")[0] == message


def test_take_needs_a_positive_count_and_global_step_moves():
    acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Argument num_required must be positive, but was 0"):
            sess.run(acc.take_grad(0))
        sess.run(acc.set_global_step(5))
        sess.run(acc.apply_grad([1], [[1.0, 1.0]], local_step=4))  # stale
        sess.run(acc.apply_grad([1], [[1.0, 1.0]], local_step=5))
        assert sess.run(acc.num_accumulated()) == 1
    with pytest.raises(ValueError, match="reduction_type"):
        tf.SparseConditionalAccumulator(tf.float32, reduction_type="MAX")


def test_dense_accumulator_is_a_conditional_accumulator_base():
    acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
    assert isinstance(acc, tf.ConditionalAccumulatorBase)
    with tf.Session() as sess:
        sess.run(acc.apply_grad([1.0, 3.0]))
        np.testing.assert_array_equal(sess.run(acc.take_grad(1)), [1.0, 3.0])
