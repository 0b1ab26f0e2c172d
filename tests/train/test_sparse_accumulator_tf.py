"""tf.SparseConditionalAccumulator against TF's recorded runs (scripts/
make_tf_sparse_ops_fixtures.py): TF's merge of sparse gradients, per-index means, stale
gradients, shape errors; IndexedSlices in and out, TF's namedtuple, waiting takes."""

import threading

import numpy as np
import pytest

import flowexec as tf
from tests.ops.sparse_fixtures import cases, check_case


@pytest.mark.parametrize("case", cases(["accumulator_"]))
def test_against_tf(case):
    check_case(case)


def test_indexed_slices_in_and_out_and_global_step():
    acc = tf.sparse.SparseConditionalAccumulator(tf.float32, shape=[6, 2])
    assert acc.dtype == tf.float32 and acc.name == "sparse_conditional_accumulator"
    g = tf.IndexedSlices(tf.constant([[1.0, 1.0], [2.0, 2.0]]), tf.constant([0, 5]),
                         tf.constant([6, 2]))
    apply = acc.apply_indexed_slices_grad(g)
    take = acc.take_indexed_slices_grad(2)
    assert isinstance(take, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(apply)
        sess.run(apply)
        assert sess.run(acc.num_accumulated()) == 2
        v = sess.run(take)
        np.testing.assert_array_equal(v.indices, [0, 5])
        np.testing.assert_array_equal(v.values, [[1, 1], [2, 2]])
        np.testing.assert_array_equal(v.dense_shape, [6, 2])
        sess.run(apply)  # local step 0 < global step 1: dropped
        assert sess.run(acc.num_accumulated()) == 0
        sess.run(acc.apply_indexed_slices_grad(g, local_step=1))
        assert sess.run(acc.num_accumulated()) == 1


def test_take_waits_for_enough_gradients():
    acc = tf.SparseConditionalAccumulator(tf.float64, reduction_type="SUM")
    apply = acc.apply_grad([1], [[3.0]])
    take = acc.take_grad(2)
    with tf.Session() as sess:
        out = {}
        t = threading.Thread(target=lambda: out.update(v=sess.run(take)))
        t.start()
        sess.run(apply)
        t.join(0.3)
        assert t.is_alive()
        sess.run(apply)
        t.join(10)
    np.testing.assert_array_equal(out["v"].values, [[6.0]])
    np.testing.assert_array_equal(out["v"].shape, [-1, 1])


def test_reduction_type_checked():
    with pytest.raises(ValueError, match="reduction_type must be 'MEAN' or 'SUM'"):
        tf.SparseConditionalAccumulator(tf.float32, reduction_type="MAX")
