"""sparse_math_ops: SparseTensorDenseMatMul, SparseAdd, SparseTensorDenseAdd, the SparseTensor
`*` and `/` operators, SparseReduceSum/Max(Sparse), SparseSoftmax, SparseSparseMaximum/Minimum,
sparse_mask and SparseMatMul against TF's recorded outputs and errors, numpy oracles, and
gradients vs finite differences."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.sparse_fixtures import cases, check_case

MATH = ("matmul", "add", "cwise", "reduce_", "softmax", "maximum", "minimum")


@pytest.mark.parametrize("case", cases(MATH))
def test_against_tf(case):
    check_case(case)


IDX = np.array([[0, 1], [0, 3], [2, 0], [2, 2]])
B_IDX = np.array([[0, 1], [1, 1], [2, 2]])


def _dense(idx, vals, shape=(3, 4)):
    out = np.zeros(shape, np.asarray(vals).dtype)
    np.add.at(out, tuple(np.asarray(idx).T), vals)
    return out


def _st(v, idx=IDX, shape=(3, 4)):
    return tf.SparseTensor(idx, v, list(shape))


def _matmul(adj_a, adj_b):
    def build(v, b):
        return tf.sparse.matmul(_st(v), b, adjoint_a=adj_a, adjoint_b=adj_b)

    def ref(v, b):
        a = _dense(IDX, v)
        a = a.conj().T if adj_a else a
        return a @ (b.conj().T if adj_b else b)
    return build, ref


def _b_shape(adj_a, adj_b):
    k = 3 if adj_a else 4
    return (2, k) if adj_b else (k, 2)


MATMUL = [OpCase(f"sparse_dense_matmul_{int(a)}{int(b)}", *_matmul(a, b),
                 lambda rng, a=a, b=b: [rng.normal(size=4), rng.normal(size=_b_shape(a, b))])
          for a in (False, True) for b in (False, True)]


def _add(v, w):
    st = tf.sparse.add(_st(v), _st(w, B_IDX))
    return [st.indices, st.values]


def _add_ref(v, w):
    idx = np.array([[0, 1], [0, 3], [1, 1], [2, 0], [2, 2]])
    return idx, np.array([v[0] + w[0], v[1], w[1], v[2], v[3] + w[2]])


def _cwise(op):
    def build(v, d):
        st = _st(v)
        return (st * d if op == "mul" else st / d).values
    return build


def _softmax_ref(v):
    out = v.copy()
    for rows in ([0, 1], [2, 3]):
        e = np.exp(v[rows] - v[rows].max())
        out[rows] = e / e.sum()
    return out


CASES = MATMUL + [
    OpCase("sparse_dense_matmul_complex", *_matmul(True, True),
           lambda rng: [rng.normal(size=4) + 1j * rng.normal(size=4),
                        rng.normal(size=(2, 3)) + 1j * rng.normal(size=(2, 3))], grad=False),
    OpCase("sparse_add", _add, _add_ref, lambda rng: [rng.normal(size=4), rng.normal(size=3)]),
    OpCase("sparse_add_dense", lambda v, d: tf.sparse.add(_st(v), d),
           lambda v, d: d + _dense(IDX, v), lambda rng: [rng.normal(size=4),
                                                         rng.normal(size=(3, 4))]),
    OpCase("sparse_dense_cwise_mul", _cwise("mul"),
           lambda v, d: v * np.broadcast_to(d, (3, 4))[tuple(IDX.T)],
           lambda rng: [rng.normal(size=4), rng.normal(size=(4,))]),
    OpCase("sparse_dense_cwise_div", _cwise("div"),
           lambda v, d: v / np.broadcast_to(d, (3, 4))[tuple(IDX.T)],
           lambda rng: [rng.normal(size=4), rng.uniform(1, 2, size=(3, 1))]),
    OpCase("sparse_dense_cwise_div_int", _cwise("div"),
           lambda v, d: (v / d[tuple(IDX.T)]).astype(np.float64),
           [np.array([7, -7, 9, 4], np.int32), np.full((3, 4), 2, np.int32)]),
    OpCase("sparse_reduce_sum", lambda v: tf.sparse.reduce_sum(_st(v), 1),
           lambda v: _dense(IDX, v).sum(1), lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_reduce_sum_keep", lambda v: tf.sparse.reduce_sum(_st(v), 0, keepdims=True),
           lambda v: _dense(IDX, v).sum(0, keepdims=True), lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_reduce_sum_all", lambda v: tf.sparse.reduce_sum(_st(v)),
           lambda v: np.array(v.sum()), lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_reduce_sum_sparse", lambda v: tf.sparse.reduce_sum_sparse(_st(v), 1).values,
           lambda v: np.array([v[0] + v[1], v[2] + v[3]]), lambda rng: [rng.normal(size=4)],
           grad=False),
    OpCase("sparse_reduce_max", lambda v: tf.sparse.reduce_max(_st(v), 1),
           lambda v: np.array([max(v[0], v[1]), 0, max(v[2], v[3])]),
           lambda rng: [rng.normal(size=4)], grad=False),
    OpCase("sparse_reduce_max_sparse", lambda v: tf.sparse.reduce_max_sparse(_st(v), 1).values,
           lambda v: np.array([max(v[0], v[1]), max(v[2], v[3])]),
           lambda rng: [rng.normal(size=4)], grad=False),
    OpCase("sparse_softmax", lambda v: tf.sparse.softmax(_st(v)).values, _softmax_ref,
           lambda rng: [rng.normal(size=4)]),
    OpCase("sparse_maximum", lambda v, w: tf.sparse.maximum(_st(v), _st(w, B_IDX)).values,
           lambda v, w: np.array([max(v[0], w[0]), max(v[1], 0), max(w[1], 0), max(v[2], 0),
                                  max(v[3], w[2])]),
           lambda rng: [rng.normal(size=4), rng.normal(size=3)], grad=False),
    OpCase("sparse_minimum", lambda v, w: tf.sparse.minimum(_st(v), _st(w, B_IDX)).values,
           lambda v, w: np.array([min(v[0], w[0]), min(v[1], 0), min(w[1], 0), min(v[2], 0),
                                  min(v[3], w[2])]),
           lambda rng: [rng.normal(size=4), rng.normal(size=3)], grad=False),
    OpCase("sparse_matmul", lambda a, b: tf.sparse_matmul(a, b, a_is_sparse=True),
           lambda a, b: a @ b, lambda rng: [rng.normal(size=(2, 3)).astype(np.float32),
                                            rng.normal(size=(3, 2)).astype(np.float32)],
           atol=1e-5, rtol=1e-5, grad=False),
    OpCase("sparse_matmul_transposed",
           lambda a, b: tf.sparse_matmul(a, b, transpose_a=True, transpose_b=True),
           lambda a, b: a.T @ b.T, lambda rng: [rng.normal(size=(3, 2)).astype(np.float32),
                                                rng.normal(size=(2, 3)).astype(np.float32)],
           atol=1e-5, rtol=1e-5, grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD = [c for c in CASES if c.grad and c.arrays()[0].dtype.kind == "f"]


@pytest.mark.parametrize("case", GRAD, ids=ids(GRAD))
def test_gradient(case):
    check_gradient(case)


@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False), (True, True)])
def test_sparse_matmul_gradient_in_float32(ta, tb):
    rng = np.random.default_rng(3)
    a0 = rng.normal(size=(3, 2) if ta else (2, 3)).astype(np.float32)
    b0 = rng.normal(size=(4, 3) if tb else (3, 4)).astype(np.float32)
    w = rng.normal(size=(2, 4)).astype(np.float32)
    a, b = tf.constant(a0), tf.constant(b0)
    out = tf.sparse_matmul(a, b, transpose_a=ta, transpose_b=tb, b_is_sparse=True)
    ga, gb = tf.gradients(tf.reduce_sum(out * w), [a, b])
    with tf.Session() as sess:
        got_a, got_b = sess.run([ga, gb])
    x, y = (a0.T if ta else a0), (b0.T if tb else b0)
    want_a, want_b = w @ y.T, x.T @ w
    np.testing.assert_allclose(got_a, want_a.T if ta else want_a, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_b, want_b.T if tb else want_b, rtol=1e-5, atol=1e-5)


def test_dense_times_sparse_is_sparse():
    v = tf.constant([1.0, 2.0, 3.0, 4.0])
    d = tf.constant(np.arange(12, dtype=np.float32).reshape(3, 4))
    prod = d * _st(v)
    assert isinstance(prod, tf.SparseTensor)
    with tf.Session() as sess:
        got = sess.run(prod.values)
    np.testing.assert_array_equal(got, [1.0, 6.0, 24.0, 40.0])
    assert isinstance(d * 2.0, tf.Tensor)


def test_sparse_add_needs_a_sparse_operand():
    with pytest.raises(TypeError, match="At least one input should be SparseTensor"):
        tf.sparse.add(tf.constant([1.0]), tf.constant([2.0]))


def test_gradient_through_ops_tf_leaves_undefined():
    v = tf.constant([1.0, 2.0, 3.0, 4.0])
    for out in (tf.sparse.reduce_max(_st(v)), tf.sparse.maximum(_st(v), _st(v)).values):
        with pytest.raises(LookupError, match="No gradient defined for operation"):
            tf.gradients(tf.reduce_sum(out), v)


def test_sparse_mask():
    values = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
    a = tf.IndexedSlices(values, tf.constant([12, 26, 37, 45]), tf.constant([50, 2]))
    masked = tf.sparse_mask(a, [12, 45])
    assert isinstance(masked, tf.IndexedSlices)
    with tf.Session() as sess:
        v = sess.run(masked)
    np.testing.assert_array_equal(v.indices, [26, 37])
    np.testing.assert_array_equal(v.values, [[2, 3], [4, 5]])
    np.testing.assert_array_equal(v.dense_shape, [50, 2])


def test_static_shapes():
    v = tf.constant([1.0, 2.0, 3.0, 4.0])
    assert tf.sparse.matmul(_st(v), tf.zeros([4, 5])).shape.as_list() == [3, 5]
    assert tf.sparse.matmul(_st(v), tf.zeros([5, 3]), adjoint_a=True,
                            adjoint_b=True).shape.as_list() == [4, 5]
    assert tf.sparse.reduce_sum(_st(v), 1).shape.as_list() == [3]
    assert tf.sparse.reduce_sum(_st(v), [0, 1], keepdims=True).shape.as_list() == [1, 1]
    assert tf.sparse.reduce_sum(_st(v)).shape.as_list() == []
    assert tf.sparse.add(_st(v), _st(v)).shape.as_list() == [3, 4]
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 4 and 5"):
        tf.sparse.matmul(_st(v), tf.zeros([5, 2]))


def test_math_graph_exports_and_imports():
    g = tf.Graph()
    with g.as_default():
        v = tf.constant([1.0, 2.0, 3.0, 4.0])
        st = _st(v)
        outs = [tf.sparse.matmul(st, tf.ones([4, 2])), tf.sparse.add(st, st).values,
                (st * tf.ones([4])).values, tf.sparse.reduce_sum(st, 1),
                tf.sparse.softmax(st).values, tf.sparse.maximum(st, st).values,
                tf.sparse_matmul(tf.ones([2, 2]), tf.ones([2, 2]), a_is_sparse=True)]
        outs.append(tf.gradients(tf.add_n([tf.reduce_sum(o) for o in outs[:5]]), v)[0])
        with tf.Session() as sess:
            want = sess.run(outs)
        gd = g.as_graph_def()
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            got = sess.run([o.name for o in outs])
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)
