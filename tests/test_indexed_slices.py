"""tf.IndexedSlices: the class, fetching, densifying, and the sparse gradients of gather /
embedding_lookup (aggregated by concatenation, densified by any other op), as TF 1.x."""

import warnings

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.indexed_slices import IndexedSlicesValue
from flowexec.train.replicate import average_gradients


def _dense(v, shape):
    out = np.zeros(shape, dtype=v.values.dtype)
    np.add.at(out, v.indices, v.values)
    return out


def test_indexed_slices_properties_and_neg():
    values = tf.constant([[1.0, 2.0], [3.0, 4.0]], name="vals")
    s = tf.IndexedSlices(values, tf.constant([3, 0]), tf.constant([5, 2]))
    assert s.values is values and s.dtype == tf.float32 and s.op is values.op
    assert s.name == "vals:0" and s.graph is values.graph and s.device == values.device
    assert s.shape.as_list() == [5, 2]
    assert str(s).startswith("IndexedSlices(indices=Tensor(")
    n = -s
    assert isinstance(n, tf.IndexedSlices) and n.indices is s.indices
    with tf.Session() as sess:
        got = sess.run(n)
    assert isinstance(got, IndexedSlicesValue)
    np.testing.assert_array_equal(got.values, [[-1, -2], [-3, -4]])
    np.testing.assert_array_equal(got.indices, [3, 0])
    np.testing.assert_array_equal(got.dense_shape, [5, 2])


def test_fetch_without_dense_shape_and_in_structures():
    s = tf.IndexedSlices(tf.constant([1.0]), tf.constant([2]))
    with tf.Session() as sess:
        got = sess.run({"g": [s]})
    assert got["g"][0].dense_shape is None
    assert got["g"][0].indices.tolist() == [2]


def test_convert_to_tensor_densifies_and_adds_repeated_rows():
    s = tf.IndexedSlices(tf.constant([[1.0], [2.0], [4.0]]), tf.constant([2, 0, 2]),
                         tf.constant([4, 1]))
    d = tf.convert_to_tensor(s)
    assert isinstance(d, tf.Tensor) and d.op.type == "UnsortedSegmentSum"
    assert d.shape.as_list() == [4, 1]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(d), [[2.0], [0.0], [5.0], [0.0]])
    assert tf.convert_to_tensor_or_indexed_slices(s) is s
    t = tf.convert_to_tensor_or_indexed_slices([1.0, 2.0])
    assert isinstance(t, tf.Tensor)
    with pytest.raises(ValueError, match="Incompatible tensor conversion requested to "
                                         "`dtype` int32"):
        tf.convert_to_tensor_or_indexed_slices(s, dtype=tf.int32)
    with pytest.raises(ValueError, match="Incompatible tensor conversion requested to "
                                         "`dtype` int32 for IndexedSlices"):
        tf.convert_to_tensor(s, dtype=tf.int32)
    with pytest.raises(ValueError, match="without dense_shape"):
        tf.convert_to_tensor(tf.IndexedSlices(tf.constant([1.0]), tf.constant([0])))


def test_densifying_unknown_shape_warns_as_tf():
    p = tf.placeholder(tf.float32, [None, 3])
    g, = tf.gradients(tf.reduce_sum(tf.gather(p, [0, 0])), p)
    assert isinstance(g, tf.IndexedSlices)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tf.convert_to_tensor(g)
    assert any("Converting sparse IndexedSlices to a dense Tensor of unknown shape" in
               str(x.message) for x in w)


def test_indexed_slices_spec():
    spec = tf.IndexedSlicesSpec([None, 64], tf.float32, tf.int32)
    assert spec.value_type is tf.IndexedSlices and spec.dtype == tf.float32
    assert spec == tf.IndexedSlicesSpec([None, 64], tf.float32, tf.int32)
    s = tf.IndexedSlices(tf.zeros([2, 64]), tf.constant([1, 2]))
    assert spec.is_compatible_with(s)
    assert not spec.is_compatible_with(tf.IndexedSlicesSpec([None, 32], tf.float32, tf.int32))


def test_gather_gradient_is_indexed_slices_of_the_gathered_rows():
    w0 = np.arange(12, dtype=np.float32).reshape(4, 3)
    w = tf.Variable(w0, name="w")
    g, = tf.gradients(tf.reduce_sum(tf.gather(w, [[1, 3], [1, 1]]) * 2.0), w)
    assert isinstance(g, tf.IndexedSlices)
    assert g.values.shape.as_list() == [4, 3] and g.indices.shape.as_list() == [4]
    with tf.Session() as sess:
        sess.run(w.initializer)
        got = sess.run(g)
    np.testing.assert_array_equal(got.indices, [1, 3, 1, 1])
    np.testing.assert_array_equal(got.values, np.full((4, 3), 2.0))
    np.testing.assert_array_equal(got.dense_shape, [4, 3])


def test_embedding_lookup_and_sparse_read_gradients_are_sparse():
    w = tf.Variable(np.ones((5, 2), np.float32), name="emb")
    for y in (tf.nn.embedding_lookup(w, [4, 0]), w.sparse_read([4, 0])):
        g, = tf.gradients(tf.reduce_sum(y), w)
        assert isinstance(g, tf.IndexedSlices)


def test_gather_on_other_axis_is_dense():
    p = tf.constant(np.ones((2, 3), np.float32))
    g, = tf.gradients(tf.reduce_sum(tf.gather(p, [2, 2], axis=1)), p)
    assert isinstance(g, tf.Tensor)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g), [[0, 0, 2], [0, 0, 2]])


def test_several_sparse_gradients_concatenate_and_mixed_ones_densify():
    w = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2), name="w")
    a = tf.reduce_sum(tf.gather(w, [0, 2]))
    b = tf.reduce_sum(tf.nn.embedding_lookup(w, [2]) * 3.0)
    g, = tf.gradients(a + b, w)
    assert isinstance(g, tf.IndexedSlices) and g.values.op.type == "ConcatV2"
    mixed, = tf.gradients(a + tf.reduce_sum(w * w), w)
    assert isinstance(mixed, tf.Tensor)
    with tf.Session() as sess:
        sess.run(w.initializer)
        got, m = sess.run([g, mixed])
        w0 = sess.run(w)
    assert sorted(got.indices.tolist()) == [0, 2, 2]
    np.testing.assert_array_equal(_dense(got, (4, 2)), [[1, 1], [0, 0], [4, 4], [0, 0]])
    want = 2 * w0
    want[[0, 2]] += 1
    np.testing.assert_allclose(m, want)


def test_sparse_gradient_flowing_through_another_op_is_densified():
    p = tf.placeholder(tf.float64, [4, 3])
    q = p * 2.0
    y = tf.reduce_sum(tf.gather(q, [1, 1, 3]) ** 2)
    g, = tf.gradients(y, p)
    assert isinstance(g, tf.Tensor)
    x = np.random.RandomState(0).randn(4, 3)
    with tf.Session() as sess:
        got = sess.run(g, {p: x})
    want = np.zeros_like(x)
    want[1] = 2 * 8 * x[1]
    want[3] = 8 * x[3]
    np.testing.assert_allclose(got, want)


def test_densified_gather_gradient_matches_finite_differences():
    x0 = np.random.RandomState(1).randn(5, 3)
    with tf.Graph().as_default(), tf.Session().as_default():
        p = tf.placeholder(tf.float64, [5, 3])
        y = tf.gather(p, [4, 0, 4, 2]) * tf.constant(np.arange(12.0).reshape(4, 3))
        theo, num = tf.test.compute_gradient(p, [5, 3], y, [4, 3], x_init_value=x0)
    np.testing.assert_allclose(theo, num, atol=1e-6)
    assert np.abs(theo[3:6]).max() == 0  # row 1 is never gathered


def test_gate_gradients_keeps_the_slices():
    w = tf.Variable(np.ones((3, 2), np.float32), name="w")
    b = tf.Variable(np.ones((2,), np.float32), name="b")
    loss = tf.reduce_sum(tf.gather(w, [0]) * b)
    opt = tf.train.GradientDescentOptimizer(0.1)
    for gate in (tf.train.Optimizer.GATE_OP, tf.train.Optimizer.GATE_GRAPH):
        gv = opt.compute_gradients(loss, gate_gradients=gate)
        assert isinstance(gv[0][0], tf.IndexedSlices)


def test_variable_scatter_methods_take_indexed_slices():
    w = tf.Variable(np.zeros((3, 2), np.float32), name="w")
    upd = w.scatter_add(tf.IndexedSlices(tf.ones([2, 2]), tf.constant([2, 2])))
    with pytest.raises(TypeError, match="sparse_delta is not IndexedSlices"):
        w.scatter_sub(tf.ones([3, 2]))
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(upd), [[0, 0], [0, 0], [2, 2]])


def test_average_gradients_keeps_sparse_towers_sparse():
    w = tf.Variable(np.zeros((4, 2), np.float32), name="w")
    towers = [[(tf.gradients(tf.reduce_sum(tf.gather(w, ids)), w)[0], w)]
              for ids in ([0, 1], [1, 3])]
    (g, v), = average_gradients(towers)
    assert isinstance(g, tf.IndexedSlices) and v is w
    dense_tower = [(tf.ones([4, 2]), w)]
    (mixed, _), = average_gradients([towers[0], dense_tower])
    assert isinstance(mixed, tf.Tensor)
    with tf.Session() as sess:
        sess.run(w.initializer)
        got, m = sess.run([g, mixed])
    np.testing.assert_allclose(_dense(got, (4, 2)), [[.5, .5], [1, 1], [0, 0], [.5, .5]])
    np.testing.assert_allclose(m, [[1, 1], [1, 1], [.5, .5], [.5, .5]])


def test_feeding_an_indexed_slices_feeds_its_parts():
    values = tf.placeholder(tf.float32, [None, 2])
    indices = tf.placeholder(tf.int32, [None])
    s = tf.IndexedSlices(values, indices, tf.constant([3, 2]))
    d = tf.convert_to_tensor(s)
    with tf.Session() as sess:
        got = sess.run(d, {s: IndexedSlicesValue(np.ones((2, 2)), np.array([2, 2]),
                                                 np.array([3, 2]))})
        np.testing.assert_array_equal(got, [[0, 0], [0, 0], [2, 2]])
        with pytest.raises(ValueError, match="fed with its 3 parts"):
            sess.run(d, {s: np.ones((2, 2))})
