"""tf.sparse.cross / cross_hashed (SparseCross) against TF's recorded crosses and hashes:
string, int and mixed inputs, dense inputs (crossed after the sparse ones, as TF), buckets and
hash keys."""

import pytest

import flowexec as tf
from flowexec.ops import sparse_cross_ops
from tests.ops.sparse_fixtures import cases, check_case


@pytest.mark.parametrize("case", cases(["cross_"]))
def test_against_tf(case):
    check_case(case)


def test_row_without_features_has_no_crosses():
    a = tf.SparseTensor([[1, 0]], ["x"], [3, 1])
    out = tf.sparse.cross([a, tf.constant([["p"], ["q"], ["r"]])])
    with tf.Session() as sess:
        v = sess.run(out)
    assert v.indices.tolist() == [[1, 0]] and v.values.tolist() == [b"x_X_q"]
    assert v.dense_shape.tolist() == [3, 1]


def test_inputs_checked():
    with pytest.raises(TypeError, match="Inputs must be a list"):
        tf.sparse.cross(tf.constant([["a"]]))
    with pytest.raises(TypeError, match="All inputs must be SparseTensors"):
        tf.sparse.cross([[["a"]]])


def test_fingerprint_cat64_mixes_both():
    f = sparse_cross_ops.fingerprint_cat64
    assert f(1, 2) != f(2, 1) and 0 <= f(1, 2) < 2 ** 64
