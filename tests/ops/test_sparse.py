"""sparse_ops: SparseToDense, sparse_tensor_to_dense, from_dense, to_indicator, sparse_merge and
SparseReorder vs numpy, gradients vs finite differences, TF's index errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops.sparse_ops import sparse_to_dense
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

IDX = np.array([[0, 1], [1, 0], [1, 2]])
UNSORTED = np.array([[1, 2], [0, 1], [1, 0], [0, 0]])


def _reorder_ref(v):
    order = np.lexsort(UNSORTED.T[::-1])
    return UNSORTED[order], v[order]


def _reordered(v):
    st = tf.sparse.reorder(tf.SparseTensor(UNSORTED, v, [2, 3]))
    return [st.indices, st.values]


def _dense(values, default, shape=(2, 3), idx=IDX):
    out = np.full(shape, default, dtype=np.asarray(values).dtype)
    out[tuple(idx.T)] = values
    return out


CASES = [
    OpCase("sparse_to_dense", lambda v, d: sparse_to_dense(IDX, [2, 3], v, d), _dense,
           lambda rng: [rng.normal(size=3), np.array(rng.normal())]),
    OpCase("sparse_to_dense_scalar_value", lambda v: sparse_to_dense(IDX, [2, 3], v, 0.5),
           lambda v: _dense(v, 0.5), [np.array(2.0)]),
    OpCase("sparse_to_dense_1d_int", lambda v: sparse_to_dense([0, 2], [4], v),
           lambda v: _dense(v, 0, (4,), np.array([[0], [2]])), [np.array([7, 8], np.int32)]),
    OpCase("sparse_tensor_to_dense", lambda v: tf.sparse.to_dense(tf.SparseTensor(IDX, v, [2, 3])),
           lambda v: _dense(v, 0.0), lambda rng: [rng.normal(size=3)]),
    OpCase("sparse_tensor_to_dense_default",
           lambda v: tf.sparse_tensor_to_dense(tf.SparseTensor(IDX, v, [2, 3]), -1),
           lambda v: _dense(v, -1), [np.array([4, 5, 6], np.int64)]),
    OpCase("sparse_reorder", _reordered, _reorder_ref, lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_reorder_fed", _reordered, _reorder_ref,
           [np.array([1, 2, 3, 4], np.int32)], feed=True),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.arrays()[0].dtype.kind == "f"]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


@pytest.mark.parametrize("idx, msg", [
    ([[1, 0], [0, 1]], r"indices\[1\] = \[0,1\] is out of order\. Many sparse ops require"),
    ([[0, 1], [0, 1]], r"indices\[1\] = \[0,1\] is repeated"),
    ([[0, 1], [2, 0]], r"indices\[1\] = \[2,0\] is out of bounds: need 0 <= index < \[2,3\]"),
])
def test_invalid_indices(idx, msg):
    t = tf.sparse_to_dense(idx, [2, 3], [5.0, 6.0])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match=msg):
        sess.run(t)


def test_unvalidated_indices_and_static_shape():
    t = tf.sparse_to_dense([[1, 0], [0, 1]], [2, 3], [5.0, 6.0], validate_indices=False)
    assert t.shape.as_list() == [2, 3]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(t), [[0, 6, 0], [5, 0, 0]])


def test_to_dense_refuses_a_dense_tensor():
    with pytest.raises(TypeError, match="Input must be a SparseTensor."):
        tf.sparse.to_dense(tf.constant([1.0]))


def test_to_dense_validates_sparse_tensor_indices():
    st = tf.SparseTensor([[1, 0], [0, 1]], [5.0, 6.0], [2, 3])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = \[0,1\] is "
                                                                 "out of order"):
            sess.run(tf.sparse.to_dense(st))
        out = sess.run(tf.sparse.to_dense(st, validate_indices=False))
        np.testing.assert_array_equal(out, [[0, 6, 0], [5, 0, 0]])
        out = sess.run(tf.sparse.to_dense(tf.sparse.reorder(st)))
        np.testing.assert_array_equal(out, [[0, 6, 0], [5, 0, 0]])


@pytest.mark.parametrize("dense", [
    np.array([0, 0, 3, 0, 1], np.int32),
    np.array([[0.0, 1.5], [-2.0, 0.0], [0.0, 0.0]]),
    np.zeros((2, 0, 3), np.float32),
    np.array([[True, False], [False, True]]),
])
def test_from_dense_round_trip(dense):
    sp = tf.sparse.from_dense(dense)
    assert sp.shape.as_list() == list(dense.shape) and sp.dtype.np == dense.dtype
    with tf.Session() as sess:
        v, back = sess.run([sp, tf.sparse.to_dense(sp)])
    np.testing.assert_array_equal(v.indices, np.argwhere(dense))
    np.testing.assert_array_equal(v.values, dense[dense != 0])
    np.testing.assert_array_equal(v.dense_shape, dense.shape)
    np.testing.assert_array_equal(back, dense)


def test_to_indicator_matches_tf_doc_example():
    idx = [[0, 0, 0], [0, 1, 0], [1, 0, 3], [1, 1, 1], [1, 1, 2], [1, 1, 3], [1, 2, 1]]
    vals = [0, 10, 103, 150, 149, 150, 121]
    st = tf.SparseTensor(idx, tf.constant(vals, tf.int64), [2, 3, 4])
    ind = tf.sparse.to_indicator(st, 200)
    assert ind.dtype == tf.bool
    want = np.zeros((2, 3, 200), bool)
    for (a, b, _), v in zip(idx, vals):
        want[a, b, v] = True
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(ind), want)


def test_sparse_merge_single_and_list():
    ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [2, 0, 1], [2, 2])
    vals = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1.0, 2.0, 3.0], [2, 2])
    merged = tf.sparse_merge(ids, vals, 3)
    ids2 = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([1, 1, 0], tf.int64), [2, 2])
    merged2 = tf.sparse.merge([ids, ids2], vals, [3, 2])
    with tf.Session() as sess:
        v, d, v2 = sess.run([merged, tf.sparse.to_dense(merged), merged2])
    np.testing.assert_array_equal(v.indices, [[0, 0], [0, 2], [1, 1]])
    np.testing.assert_array_equal(v.values, [2.0, 1.0, 3.0])
    np.testing.assert_array_equal(d, [[2, 0, 1], [0, 3, 0]])
    np.testing.assert_array_equal(v2.indices, [[0, 0, 1], [0, 2, 1], [1, 1, 0]])
    np.testing.assert_array_equal(v2.dense_shape, [2, 3, 2])
    with pytest.raises(TypeError, match="vocab_size has to be a Tensor or Python int"):
        tf.sparse_merge(ids, vals, 3.0)
    with pytest.raises(ValueError, match="sp_ids and vocab_size have to have equal lengths"):
        tf.sparse_merge([ids, ids2], vals, [3])


def test_reorder_keeps_static_shape_and_identity_for_unknown():
    x = tf.sparse_placeholder(tf.float32, shape=[None, 4])
    r = tf.sparse.reorder(x)
    assert r.shape.as_list() == [None, 4] and r.dense_shape.op.type == "Identity"
    r2 = tf.sparse.reorder(tf.SparseTensor([[0]], [1.0], [3]))
    assert r2.shape.as_list() == [3] and r2.dense_shape.op.type == "Const"
    with tf.Session() as sess:
        v = sess.run(r, {x: ([[2, 3], [0, 1], [2, 0]], [1.0, 2.0, 3.0], [3, 4])})
    np.testing.assert_array_equal(v.indices, [[0, 1], [2, 0], [2, 3]])
    np.testing.assert_array_equal(v.values, [2.0, 3.0, 1.0])


def test_reorder_rank_errors():
    from flowexec.framework.registry import apply_op

    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        apply_op("SparseReorder", tf.constant([[0]], tf.int64), tf.constant([[1.0]]),
                 tf.constant([1], tf.int64))
