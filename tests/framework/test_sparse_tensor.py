"""tf.SparseTensor, SparseTensorValue, SparseTensorSpec, sparse_placeholder: construction, TF's
validation errors, static shapes, fetching (a SparseTensorValue, nested too) and feeding (a
SparseTensorValue or an (indices, values, dense_shape) tuple)."""

import numpy as np
import pytest

import flowexec as tf


def test_components_are_int64_tensors_named_as_tf():
    st = tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4])
    assert st.indices.dtype == tf.int64 and st.dense_shape.dtype == tf.int64
    assert st.dtype == tf.float32 and st.values.dtype == tf.float32
    assert st.indices.name == "SparseTensor/indices:0"
    assert st.values.name == "SparseTensor/values:0"
    assert st.dense_shape.name == "SparseTensor/dense_shape:0"
    assert st.shape.as_list() == [3, 4] and st.get_shape().as_list() == [3, 4]
    assert st.op is st.values.op and st.graph is tf.get_default_graph()


@pytest.mark.parametrize("args, msg", [
    (([0, 1], [1.0], [3]), r"Shape \(2,\) must have rank 2"),
    (([[0], [1]], [1.0], [3]), "Dimensions 2 and 1 are not compatible"),
    (([[0], [1]], [1.0, 2.0], [3, 3]), "Dimensions 1 and 2 are not compatible"),
    (([[0]], [[1.0]], [3]), r"must have rank 1"),
])
def test_invalid_components_are_value_errors(args, msg):
    with pytest.raises(ValueError, match=msg):
        tf.SparseTensor(*args)


def test_int32_tensor_indices_are_refused():
    with pytest.raises(ValueError, match="requested dtype int64 for Tensor with dtype int32"):
        tf.SparseTensor(tf.constant([[0], [1]]), [1.0, 2.0], [3])


def test_static_shape_from_partly_known_dense_shape():
    n = tf.placeholder(tf.int64, [])
    st = tf.SparseTensor(tf.zeros([0, 2], tf.int64), tf.zeros([0]), tf.stack([n, 5]))
    assert st.shape.as_list() == [None, 5]
    st.set_shape([7, None])
    assert st.shape.as_list() == [7, 5]
    with pytest.raises(ValueError):
        st.set_shape([8, 5])


def test_convert_to_tensor_refuses_sparse_and_or_sparse_keeps_it():
    st = tf.SparseTensor([[0]], [1], [2])
    with pytest.raises(TypeError, match="Failed to convert"):
        tf.convert_to_tensor(st)
    assert tf.convert_to_tensor_or_sparse_tensor(st) is st
    with pytest.raises(RuntimeError, match="Sparse dtype mismatch. Requested: float32,  "
                                           "Actual: int32"):
        tf.convert_to_tensor_or_sparse_tensor(st, tf.float32)
    made = tf.convert_to_tensor_or_sparse_tensor(tf.SparseTensorValue([[0]], [1.5], [3]))
    assert isinstance(made, tf.SparseTensor) and made.shape.as_list() == [3]
    t = tf.convert_to_tensor_or_sparse_tensor([1, 2])
    assert isinstance(t, tf.Tensor)


def test_from_value_and_with_values():
    st = tf.SparseTensor.from_value(tf.SparseTensorValue([[0, 1]], [3], [2, 2]))
    assert st.shape.as_list() == [2, 2]
    with pytest.raises(TypeError, match="is neither a SparseTensor nor SparseTensorValue"):
        tf.SparseTensor.from_value([1, 2])
    st2 = st.with_values([4.0])
    assert st2.dtype == tf.float32 and st2.indices is st.indices


def test_fetch_gives_sparse_tensor_value_also_nested():
    st = tf.SparseTensor([[0, 0], [1, 2]], [1.0, 2.0], [3, 4])
    with tf.Session() as sess:
        v = sess.run(st)
        both = sess.run([st, {"a": st, "b": (st.values,)}])
        with sess.as_default():
            ev = st.eval()
    assert isinstance(v, tf.SparseTensorValue)
    np.testing.assert_array_equal(v.indices, [[0, 0], [1, 2]])
    assert v.indices.dtype == np.int64 and v.dense_shape.dtype == np.int64
    np.testing.assert_array_equal(v.values, np.array([1, 2], np.float32))
    np.testing.assert_array_equal(v.dense_shape, [3, 4])
    assert isinstance(both[0], tf.SparseTensorValue)
    assert isinstance(both[1]["a"], tf.SparseTensorValue)
    np.testing.assert_array_equal(both[1]["b"][0], [1, 2])
    np.testing.assert_array_equal(ev.values, v.values)


def test_consumers_of_every_component():
    st = tf.SparseTensor([[0, 0]], [1.0], [3, 4])
    assert st.consumers() == []
    d = tf.sparse.to_dense(st)
    assert st.consumers() == [d.op]


def test_sparse_placeholder_with_partial_shape():
    x = tf.sparse_placeholder(tf.float32, shape=[None, 3], name="sp")
    assert x.shape.as_list() == [None, 3]
    assert x.values.name == "sp/values:0" and x.indices.name == "sp/indices:0"
    assert x.dense_shape.name == "sp/shape:0"
    assert x.dense_shape.op.type == "PlaceholderWithDefault"
    assert x.indices.shape.as_list() == [None, 2] and x.values.shape.as_list() == [None]
    d = tf.sparse.to_dense(x)
    with tf.Session() as sess:
        a = sess.run(d, {x: tf.SparseTensorValue([[0, 1]], [5.0], [2, 3])})
        b = sess.run(d, {x: ([[1, 2]], [6.0], [2, 3])})
        c = sess.run(x, {x: (np.array([[0, 0]]), np.array([1.0]), np.array([4, 3]))})
    np.testing.assert_array_equal(a, [[0, 5, 0], [0, 0, 0]])
    np.testing.assert_array_equal(b, [[0, 0, 0], [0, 0, 6]])
    assert isinstance(c, tf.SparseTensorValue)
    np.testing.assert_array_equal(c.dense_shape, [4, 3])


def test_sparse_placeholder_without_shape_must_be_fed_whole():
    x = tf.sparse_placeholder(tf.int32)
    assert x.shape.ndims is None and x.dense_shape.op.type == "Placeholder"
    assert x.indices.shape.as_list() == [None, None]
    d = tf.sparse.to_dense(x)
    with tf.Session() as sess:
        out = sess.run(d, {x: ([[0, 0, 1]], [7], [1, 1, 2])})
        np.testing.assert_array_equal(out, [[[0, 7]]])
        with pytest.raises(ValueError, match="fed with its 3 parts: indices, values, "
                                             "dense_shape"):
            sess.run(d, {x: ([[0]], [1])})


def test_sparse_placeholder_with_known_shape():
    x = tf.sparse_placeholder(tf.float64, shape=[2, 2])
    assert x.shape.as_list() == [2, 2]
    with tf.Session() as sess:
        out = sess.run(tf.sparse.to_dense(x), {x.indices: [[1, 1]], x.values: [2.0]})
    np.testing.assert_array_equal(out, [[0, 0], [0, 2]])


def test_spec():
    spec = tf.SparseTensorSpec([None, 3], tf.float32)
    assert repr(spec) == f"SparseTensorSpec({tf.TensorShape([None, 3])!r}, tf.float32)"
    assert spec == tf.SparseTensorSpec([None, 3], "float32")
    assert spec != tf.SparseTensorSpec([None, 3], tf.float64)
    assert spec.value_type is tf.SparseTensor
    st = tf.SparseTensor([[0, 0]], [1.0], [4, 3])
    assert spec.is_compatible_with(st)
    assert not tf.SparseTensorSpec([None, 4]).is_compatible_with(st)
    assert tf.SparseTensorSpec.from_value(st) == tf.SparseTensorSpec([4, 3], tf.float32)
    v = tf.SparseTensorSpec.from_value(tf.SparseTensorValue(
        np.array([[0]]), np.array([1], np.int32), np.array([5])))
    assert v == tf.SparseTensorSpec([5], tf.int32)
    with pytest.raises(TypeError, match="Expected SparseTensor or SparseTensorValue"):
        tf.SparseTensorSpec.from_value(3)


def test_sparse_namespace_names():
    assert tf.sparse.SparseTensor is tf.SparseTensor
    assert tf.sparse.to_dense is tf.sparse_tensor_to_dense
    assert tf.sparse.placeholder is tf.sparse_placeholder
