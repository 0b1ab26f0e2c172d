"""Optimizers apply IndexedSlices gradients sparsely (TF 1.x): only the looked-up rows of an
embedding change, repeated ids count each time, and the update ops are TF's."""

import numpy as np
import pytest

import flowexec as tf

W0 = np.random.RandomState(0).randn(6, 3).astype(np.float32)
IDS = [[1, 4], [4, 4]]


def _embedding_loss(name="emb"):
    w = tf.Variable(W0, name=name)
    loss = tf.reduce_sum(tf.nn.embedding_lookup(w, IDS) ** 2)
    return w, loss


def test_gradient_descent_scatter_subtracts_the_rows():
    w, loss = _embedding_loss()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    types = {op.type for op in tf.get_default_graph().get_operations()
             if op.name.startswith("GradientDescent/update_emb")}
    assert "ScatterSub" in types and "ApplyGradientDescent" not in types
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        got = sess.run(w)
    want = W0.copy()
    for i in np.ravel(IDS):
        want[i] -= 0.1 * 2 * W0[i]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    untouched = [0, 2, 3, 5]
    np.testing.assert_array_equal(got[untouched], W0[untouched])


def test_sparse_and_forced_dense_gradient_descent_agree():
    w, loss = _embedding_loss()
    opt = tf.train.GradientDescentOptimizer(0.1)
    (g, v), = opt.compute_gradients(loss)
    assert isinstance(g, tf.IndexedSlices)
    sparse = opt.apply_gradients([(g, v)])
    dense = opt.apply_gradients([(tf.convert_to_tensor(g), v)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(sparse)
        a = sess.run(w)
        sess.run(w.initializer)
        sess.run(dense)
        b = sess.run(w)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_apply_gradients_errors_and_constraint():
    w = tf.Variable(W0, name="w", constraint=lambda x: x)
    opt = tf.train.GradientDescentOptimizer(0.1)
    g = tf.IndexedSlices(tf.ones([1, 3]), tf.constant([0]), tf.constant([6, 3]))
    with pytest.raises(RuntimeError, match="Cannot use a constraint function on a sparse "
                                           "variable."):
        opt.apply_gradients([(g, w)])
    with pytest.raises(TypeError, match="Gradient must be convertible to a Tensor or "
                                        "IndexedSlices, or None"):
        opt.apply_gradients([(object(), w)])


def test_base_optimizer_without_apply_sparse_raises_not_implemented():
    class DenseOnly(tf.train.Optimizer):
        def _apply_dense(self, grad, var):
            return tf.no_op()

    w, loss = _embedding_loss()
    with pytest.raises(NotImplementedError):
        DenseOnly(False, "DenseOnly").minimize(loss)
