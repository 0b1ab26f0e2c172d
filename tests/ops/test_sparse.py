"""sparse_ops: SparseToDense vs numpy, gradients vs finite differences, TF's index errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops.sparse_ops import sparse_to_dense
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

IDX = np.array([[0, 1], [1, 0], [1, 2]])


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
