"""scatter_ops: variable scatter updates against numpy (duplicates, scalars, errors), and the
pure tensor_scatter_nd_* ops against numpy with finite-difference gradients."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import scatter_ops as sc
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _np_scatter_nd(t, idx, upd, fn):
    out = t.copy()
    for vec, u in zip(idx.reshape(-1, idx.shape[-1]), upd.reshape((-1,) + t.shape[idx.shape[-1]:])):
        out[tuple(vec)] = fn(out[tuple(vec)], u)
    return out


IDX = np.array([[0, 1], [2, 0], [0, 1]])


def _inputs(rng):
    return [rng.standard_normal((3, 2, 4)), IDX, rng.standard_normal((3, 4))]


def _distinct(rng):
    # distinct values so that max/min have no ties (finite differences are then exact)
    t = rng.permutation(24).reshape(3, 2, 4) / 7.0
    return [t, np.array([[0, 1], [2, 0]]), rng.permutation(8).reshape(2, 4) / 7.0 + 0.03]


CASES = [
    OpCase("tensor_scatter_nd_update", sc.tensor_scatter_nd_update,
           lambda t, i, u: _np_scatter_nd(t, i[:2], u[:2], lambda a, b: b),
           lambda rng: [rng.standard_normal((3, 2, 4)), IDX[:2], rng.standard_normal((2, 4))]),
    OpCase("tensor_scatter_nd_add_duplicates", sc.tensor_scatter_nd_add,
           lambda t, i, u: _np_scatter_nd(t, i, u, np.add), _inputs),
    OpCase("tensor_scatter_nd_sub", sc.tensor_scatter_nd_sub,
           lambda t, i, u: _np_scatter_nd(t, i, u, np.subtract), _inputs),
    OpCase("tensor_scatter_nd_max", sc.tensor_scatter_nd_max,
           lambda t, i, u: _np_scatter_nd(t, i, u, np.maximum), _distinct),
    OpCase("tensor_scatter_nd_min", sc.tensor_scatter_nd_min,
           lambda t, i, u: _np_scatter_nd(t, i, u, np.minimum), _distinct),
    OpCase("tensor_scatter_update_full_index", sc.tensor_scatter_update,
           lambda t, i, u: _np_scatter_nd(t, i, u, lambda a, b: b),
           [np.arange(6).reshape(2, 3), np.array([[1, 2], [0, 0]]), np.array([10, 20])]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


VAR_CASES = [
    ("scatter_update", sc.scatter_update, [2, 0], [[9.0, 9.5], [8.0, 8.5]],
     lambda v, i, u: _set(v, i, u)),
    ("scatter_add", sc.scatter_add, [1, 1, 0], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
     lambda v, i, u: _at(np.add, v, i, u)),
    ("scatter_sub", sc.scatter_sub, [2, 2], [[1.0, 1.0], [1.0, 1.0]],
     lambda v, i, u: _at(np.subtract, v, i, u)),
    ("scatter_mul", sc.scatter_mul, [0, 0], [[2.0, 3.0], [2.0, 3.0]],
     lambda v, i, u: _at(np.multiply, v, i, u)),
    ("scatter_div", sc.scatter_div, [1], [[2.0, 4.0]], lambda v, i, u: _at(np.divide, v, i, u)),
    ("scatter_max", sc.scatter_max, [0, 2], [[10.0, -10.0], [0.0, 100.0]],
     lambda v, i, u: _at(np.maximum, v, i, u)),
    ("scatter_min", sc.scatter_min, [0, 2], [[10.0, -10.0], [0.0, 100.0]],
     lambda v, i, u: _at(np.minimum, v, i, u)),
    ("scatter_add_scalar", sc.scatter_add, [0, 2], 1.5,
     lambda v, i, u: _at(np.add, v, i, np.full((2, 2), u))),
]


def _set(v, i, u):
    out = v.copy()
    out[i] = u
    return out


def _at(fn, v, i, u):
    out = v.copy()
    fn.at(out, i, np.asarray(u))
    return out


@pytest.mark.parametrize("row", VAR_CASES, ids=[r[0] for r in VAR_CASES])
def test_variable_scatter_matches_numpy_and_persists(row):
    _, fn, indices, updates, ref = row
    init = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.Graph().as_default():
        v = tf.Variable(init)
        out = fn(v, indices, updates)
        assert out.dtype == tf.float64 and out.shape.as_list() == [3, 2]
        with tf.Session() as sess:
            sess.run(v.initializer)
            want = ref(init, np.array(indices), updates)
            np.testing.assert_allclose(sess.run(out), want)
            np.testing.assert_allclose(sess.run(v), want)
            np.testing.assert_allclose(sess.run(out), ref(want, np.array(indices), updates))


def test_scatter_nd_variable_ops_and_batch_scatter_update():
    with tf.Graph().as_default():
        v = tf.Variable([1, 2, 3, 4, 5, 6, 7, 8])
        w = tf.Variable(np.zeros((2, 3)))
        b = tf.Variable([[1, 2, 3], [4, 5, 6]])
        up = sc.scatter_nd_update(v, [[4], [3], [1], [7]], [9, 10, 11, 12])
        add = sc.scatter_nd_add(w, [[0, 1], [1, 2], [0, 1]], [1.0, 2.0, 3.0])
        sub = sc.scatter_nd_sub(w, [[1]], [[1.0, 1.0, 1.0]])
        bsu = sc.batch_scatter_update(b, [[2, 0], [1, 1]], [[30, 10], [50, 51]])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(up), [1, 11, 3, 10, 9, 6, 7, 12])
            np.testing.assert_array_equal(sess.run(add), [[0, 4, 0], [0, 0, 2]])
            np.testing.assert_array_equal(sess.run(sub), [[0, 4, 0], [-1, -1, 1]])
            out = sess.run(bsu)
            assert out[0].tolist() == [10, 2, 30] and out[1, 0] == 4 and out[1, 1] in (50, 51)


def test_scatter_div_integers_truncate_as_tf():
    with tf.Graph().as_default():
        v = tf.Variable([7, -7, 9])
        out = sc.scatter_div(v, [0, 1, 2, 2], [2, 2, 2, 2])
        with tf.Session() as sess:
            sess.run(v.initializer)
            np.testing.assert_array_equal(sess.run(out), [3, -3, 2])


def test_scatter_errors():
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0])
        with pytest.raises(TypeError, match="updates"):
            sc.scatter_update(v, [0], tf.constant([1], dtype=tf.int32))
        with pytest.raises(TypeError, match="needs a variable"):
            sc.scatter_add(tf.constant([1.0]), [0], [1.0])
        bad = sc.scatter_update(v, [5], [1.0])
        bad_nd = sc.tensor_scatter_nd_add([1.0, 2.0], [[3]], [1.0])
        uninit = sc.scatter_add(tf.Variable([0.0]), [0], [1.0])
        with tf.Session() as sess:
            sess.run(v.initializer)
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[0\] = 5 is not"):
                sess.run(bad)
            with pytest.raises(tf.errors.InvalidArgumentError, match="does not index"):
                sess.run(bad_nd)
            with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized"):
                sess.run(uninit)
            np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])  # session still usable
