"""tf.nn.embedding_lookup_sparse and safe_embedding_lookup_sparse against TF's recorded results
(every combiner, weights, partitioned tables, max_norm, invalid ids, empty rows, default_id,
rank-3 ids), a numpy oracle, and gradients vs finite differences."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.sparse_fixtures import cases, check_case


@pytest.mark.parametrize("case", cases(["embedding_", "safe_embedding"]))
def test_against_tf(case):
    check_case(case)


IDX = np.array([[0, 0], [0, 1], [1, 0], [3, 0], [3, 2]])
IDS = np.array([1, 3, 0, 5, 1])


def _lookup(combiner, weighted):
    def build(table, w):
        sp_ids = tf.SparseTensor(IDX, IDS, [4, 3])
        sp_w = tf.SparseTensor(IDX, w, [4, 3]) if weighted else None
        return tf.nn.embedding_lookup_sparse(table, sp_ids, sp_w, combiner=combiner)

    def ref(table, w):
        w = w if weighted else np.ones(5)
        out = np.zeros((4, table.shape[1]))
        norm = np.zeros(4)
        for (row, _), i, wi in zip(IDX, IDS, w):
            out[row] += wi * table[i]
            norm[row] += wi if combiner == "mean" else wi * wi
        if combiner == "sum":
            return out
        norm = norm if combiner == "mean" else np.sqrt(norm)
        return out / np.where(norm == 0, 1, norm)[:, None]
    return build, ref


CASES = [OpCase(f"embedding_lookup_sparse_{c}{'_weighted' if w else ''}", *_lookup(c, w),
                lambda rng: [rng.normal(size=(6, 3)), rng.uniform(0.5, 2, size=5)],
                grad=True if w else (0,))
         for c in ("sum", "mean", "sqrtn") for w in (False, True)]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient(case):
    check_gradient(case)


def test_errors():
    table = tf.zeros([4, 2])
    sp = tf.SparseTensor([[0, 0]], tf.constant([1], tf.int64), [1, 1])
    with pytest.raises(ValueError, match="combiner must be one of 'mean', 'sqrtn' or 'sum'"):
        tf.nn.embedding_lookup_sparse(table, sp, None, combiner="max")
    with pytest.raises(TypeError, match="sp_ids must be SparseTensor"):
        tf.nn.embedding_lookup_sparse(table, tf.constant([1]), None)
    with pytest.raises(TypeError, match="sp_weights must be either None or SparseTensor"):
        tf.nn.embedding_lookup_sparse(table, sp, tf.constant([1.0]))
    with pytest.raises(ValueError, match="Missing embedding_weights"):
        tf.nn.safe_embedding_lookup_sparse(None, sp)


def test_gradient_wrt_variable_table_is_sparse():
    table = tf.Variable(np.ones((6, 2), np.float32))
    sp = tf.SparseTensor(IDX, IDS, [4, 3])
    out = tf.nn.embedding_lookup_sparse(table, sp, None, combiner="sum")
    (g,) = tf.gradients(tf.reduce_sum(out), [table])
    assert isinstance(g, tf.IndexedSlices)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        v = sess.run(tf.convert_to_tensor(g))
    np.testing.assert_array_equal(v[:, 0], [1, 2, 0, 1, 0, 1])


def test_safe_lookup_static_shape():
    sp = tf.sparse_placeholder(tf.int64, shape=[None, None, 3])
    out = tf.nn.safe_embedding_lookup_sparse(tf.zeros([5, 4]), sp)
    assert out.shape.as_list() == [None, None, 4]
