"""sparse_structure_ops: SparseReshape, SparseSlice, SparseSplit, SparseConcat,
SparseFillEmptyRows and the transpose/retain/reset_shape/expand_dims/eye compositions against
TF's recorded outputs and errors, numpy oracles, and gradients vs finite differences."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.sparse_fixtures import cases, check_case

STRUCTURE = ("reshape", "slice", "split", "concat", "transpose", "reorder", "fill_empty_rows",
             "retain", "reset_shape", "expand_dims", "eye")


@pytest.mark.parametrize("case", cases(STRUCTURE))
def test_against_tf(case):
    check_case(case)


IDX = np.array([[0, 1], [0, 3], [2, 0], [2, 2]])


def _dense(idx, vals, shape):
    out = np.zeros(shape, np.asarray(vals).dtype)
    out[tuple(np.asarray(idx).T)] = vals
    return out


def _st(v, idx=IDX, shape=(3, 4)):
    return tf.SparseTensor(idx, v, list(shape))


def _fill_ref(v, d):
    rows = [[0, 1], [0, 3], [1, 0], [2, 0], [2, 2], [3, 0]]
    vals = np.array([v[0], v[1], d, v[2], v[3], d])
    return np.array(rows), vals, np.array([False, True, False, True]), np.array([0, 1, 3, 4])


def _fill(v, d):
    st, empty = tf.sparse.fill_empty_rows(_st(v, shape=(4, 4)), d)
    return [st.indices, st.values, empty, st.values.op.outputs[3]]


def _slice(v):
    st = tf.sparse.slice(_st(v), [0, 1], [3, 2])
    return [st.indices, st.values, st.dense_shape]


def _slice_ref(v):
    return np.array([[0, 0], [2, 1]]), v[[0, 3]], np.array([3, 2])


def _split(v):
    return [s.values for s in tf.sparse.split(sp_input=_st(v), num_split=3, axis=1)]


def _concat(a, b):
    st = tf.sparse.concat(0, [_st(a), _st(b, [[0, 0], [1, 1]], (2, 4))])
    return [st.indices, st.values, st.dense_shape]


def _concat_ref(a, b):
    return (np.array([[0, 1], [0, 3], [2, 0], [2, 2], [3, 0], [4, 1]]), np.concatenate([a, b]),
            np.array([5, 4]))


CASES = [
    OpCase("sparse_reshape", lambda v: tf.sparse.to_dense(tf.sparse.reshape(_st(v), [2, 6])),
           lambda v: _dense(IDX, v, (3, 4)).reshape(2, 6), lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_reshape_fed", lambda v: tf.sparse.to_dense(tf.sparse.reshape(_st(v), [-1, 2])),
           lambda v: _dense(IDX, v, (3, 4)).reshape(-1, 2), [np.arange(1, 5, dtype=np.int32)],
           feed=True),
    OpCase("sparse_slice", _slice, _slice_ref, lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_split", _split, lambda v: [v[[0, 2]], v[[3]], v[[1]]],
           lambda rng: [rng.normal(size=4)], grad=False),
    OpCase("sparse_concat", _concat, _concat_ref, lambda rng: [rng.normal(size=4),
                                                               rng.normal(size=2)], grad=False),
    OpCase("sparse_fill_empty_rows", _fill, _fill_ref,
           lambda rng: [rng.normal(size=4), np.array(rng.normal())]),
    OpCase("sparse_transpose", lambda v: tf.sparse.to_dense(tf.sparse.transpose(_st(v))),
           lambda v: _dense(IDX, v, (3, 4)).T, lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_retain", lambda v: tf.sparse.retain(_st(v), [True, False, True, True]).values,
           lambda v: v[[0, 2, 3]], lambda rng: [rng.normal(size=4)]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD = [c for c in CASES if c.grad and c.arrays()[0].dtype.kind == "f"]


@pytest.mark.parametrize("case", GRAD, ids=ids(GRAD))
def test_gradient(case):
    check_gradient(case)


def test_static_shapes():
    st = _st(tf.constant([1.0, 2.0, 3.0, 4.0]))
    assert tf.sparse.reshape(st, [2, -1]).shape.as_list() == [2, 6]
    assert tf.sparse.transpose(st).shape.as_list() == [4, 3]
    assert tf.sparse.concat(1, [st, st]).shape.as_list() == [3, 8]
    assert tf.sparse.expand_dims(st, 0).shape.as_list() == [1, 3, 4]
    assert tf.sparse.eye(3).shape.as_list() == [3, 3]
    x = tf.sparse_placeholder(tf.float32, [None, 4])
    c = tf.sparse.concat(0, [x, st])
    assert c.shape.as_list() == [None, 4]
    assert tf.sparse.concat(1, [x, st], expand_nonconcat_dim=True).shape.as_list() == [None, 8]
    assert tf.sparse.reshape(x, [-1, 2]).shape.as_list() == [None, None]  # as TF
    assert [s.shape.as_list() for s in tf.sparse.split(sp_input=x, num_split=2, axis=1)] == \
        [[None, None]] * 2


def test_split_needs_keywords_and_arguments():
    st = _st(tf.constant([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="Keyword arguments are required"):
        tf.sparse.split(st, 2, 0)
    with pytest.raises(ValueError, match="num_split is required"):
        tf.sparse.split(sp_input=st, axis=0)
    with pytest.raises(ValueError, match="axis is required"):
        tf.sparse.split(sp_input=st, num_split=2)
    assert len(tf.sparse_split(sp_input=st, num_split=2, split_dim=1)) == 2


def test_reset_shape_errors():
    st = _st(tf.constant([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="Requested new_shape should have dimension sizes >= "
                                         "sp_input.shape"):
        tf.sparse.reset_shape(st, [2, 6])
    x = tf.sparse_placeholder(tf.float32)
    out = tf.sparse.reset_shape(x, tf.placeholder_with_default(
        tf.constant([2, 2], tf.int64), [2]))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(out, {x: ([[0, 0]], [1.0], [3, 3])})
        v = sess.run(out, {x: ([[0, 0]], [1.0], [1, 2])})
    np.testing.assert_array_equal(v.dense_shape, [2, 2])


def test_retain_checks_length():
    st = _st(tf.constant([1.0, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="Dimensions 4 and 3 are not compatible"):
        tf.sparse.retain(st, [True, False, True])
    with pytest.raises(ValueError, match="must have rank 1"):
        tf.sparse.retain(st, [[True, False, True, True]])


def test_structure_graph_exports_and_imports():
    g = tf.Graph()
    with g.as_default():
        st = _st(tf.constant([1.0, 2.0, 3.0, 4.0]))
        parts = tf.sparse.split(sp_input=st, num_split=2, axis=1)
        cat = tf.sparse.concat(1, parts)
        out = tf.sparse.to_dense(tf.sparse.reshape(tf.sparse.slice(cat, [0, 0], [3, 4]), [4, 3]))
        filled, _ = tf.sparse.fill_empty_rows(st, 0.0)
        with tf.Session() as sess:
            want = sess.run([out, filled.values])
        gd = g.as_graph_def()
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            got = sess.run([out.name, filled.values.name])
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_no_gradient_through_split_as_tf():
    v = tf.constant([1.0, 2.0, 3.0, 4.0])
    parts = tf.sparse.split(sp_input=_st(v), num_split=2, axis=0)
    with pytest.raises(LookupError, match="No gradient defined for operation 'SparseSplit' "
                                          r"\(op type: SparseSplit\)"):
        tf.gradients(tf.reduce_sum(parts[0].values), v)
