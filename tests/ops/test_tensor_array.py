"""tf.TensorArray: numpy oracles, gradients by finite differences, TF 1.x's run-time errors
(with its messages), and TensorArrays as while_loop loop variables."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _rand(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _write_read(x, y):
    ta = tf.TensorArray(x.dtype, size=3, clear_after_read=False).write(0, x).write(2, y)
    return ta.read(0) * ta.read(2), ta.stack()


def _unstack_gather(x):
    ta = tf.TensorArray(x.dtype, size=4).unstack(x)
    return ta.gather([3, 1]), ta.size()


def _scatter_stack(x):
    return tf.TensorArray(x.dtype, size=3, element_shape=[2]).scatter([2, 0], x).stack()


def _split_concat(x):
    ta = tf.TensorArray(x.dtype, size=3, infer_shape=False, clear_after_read=False).split(
        x, [2, 0, 3])
    return ta.concat() * 2.0, ta.read(2)


def _dynamic(x):
    ta = tf.TensorArray(x.dtype, size=1, dynamic_size=True).write(3, x)
    return ta.stack(), ta.size()


def _stack_ref(x, y):
    return x * y, np.stack([x, np.zeros_like(x), y])


CASES = [
    OpCase("write_read_stack", _write_read, _stack_ref, _rand((2,), (2,))),
    OpCase("unstack_gather_size", _unstack_gather, lambda x: (x[[3, 1]], np.int32(4)),
           _rand((4, 3))),
    OpCase("scatter_stack_unwritten_zeros", _scatter_stack,
           lambda x: np.stack([x[1], np.zeros(2), x[0]]), _rand((2, 2))),
    OpCase("split_concat", _split_concat, lambda x: (x * 2.0, x[2:]), _rand((5, 2))),
    OpCase("dynamic_size_grows", _dynamic,
           lambda x: (np.stack([np.zeros(2)] * 3 + [x]), np.int32(4)), _rand((2,))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient(case):
    check_gradient(case)


def _error(out, error, message):
    with tf.Session() as sess:
        with pytest.raises(error, match=message):
            sess.run(out)
        assert sess.run(tf.constant(2.0) * 2.0) == 4.0


def test_read_of_unwritten_index_with_unknown_shape():
    ta = tf.TensorArray(tf.float32, 3, tensor_array_name="foo")
    _error(ta.read(1), tf.errors.InvalidArgumentError,
           r"TensorArray foo: Could not read from TensorArray index 1.  Furthermore, the "
           r"element shape is not fully defined: <unknown>.  It is possible")


def test_read_of_unwritten_index_with_known_shape_is_zeros():
    ta = tf.TensorArray(tf.float32, 3, element_shape=[2])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(ta.read(1)), [0.0, 0.0])


def test_writing_an_index_twice():
    ta = tf.TensorArray(tf.float32, 3, tensor_array_name="foo").write(0, 1.0).write(0, 2.0)
    _error(ta.read(0), tf.errors.InvalidArgumentError,
           "TensorArray foo: Could not write to TensorArray index 0 because it has already "
           "been written to.")


def test_out_of_range_write_and_read():
    ta = tf.TensorArray(tf.float32, 3, tensor_array_name="foo")
    _error(ta.write(5, 1.0).flow, tf.errors.InvalidArgumentError,
           "TensorArray foo: Tried to write to index 5 but array is not resizeable and size "
           "is: 3")
    _error(ta.write(-1, 1.0).flow, tf.errors.InvalidArgumentError,
           "Tried to write to index -1 but array is not resizeable")
    _error(ta.write(0, 1.0).read(4), tf.errors.InvalidArgumentError,
           "Tried to read from index 4 but array size is: 3")


def test_reading_a_cleared_element_twice():
    ta = tf.TensorArray(tf.float32, 3, tensor_array_name="foo").write(0, 1.0)
    a = ta.read(0)
    with tf.control_dependencies([a]):
        b = ta.read(0)
    _error([a, b], tf.errors.InvalidArgumentError,
           r"TensorArray foo: Could not read index 0 twice because it was cleared after a "
           r"previous read \(perhaps try setting clear_after_read = false\?\).")
    keep = tf.TensorArray(tf.float32, 3, clear_after_read=False).write(0, 1.0)
    a = keep.read(0)
    with tf.control_dependencies([a]):
        b = keep.read(0)
    with tf.Session() as sess:
        assert sess.run([a, b]) == [1.0, 1.0]


def test_inconsistent_element_shapes():
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(3,\) but expected "
                                         r"\(2,\)"):
        tf.TensorArray(tf.float32, 3, element_shape=[2]).write(0, [1.0, 2.0, 3.0])
    p = tf.placeholder(tf.float32, [None])
    ta = tf.TensorArray(tf.float32, 3, tensor_array_name="foo").write(0, [1.0, 2.0]).write(1, p)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"TensorArray foo: Could not write to TensorArray index 1 "
                                 r"because the value shape is \[3\] which is incompatible with "
                                 r"the TensorArray's inferred element shape: \[2\] \(consider "
                                 r"setting infer_shape=False\)."):
            sess.run(ta.stack(), {p: [1.0, 2.0, 3.0]})
        np.testing.assert_array_equal(sess.run(ta.stack(), {p: [3.0, 4.0]})[:2],
                                      [[1.0, 2.0], [3.0, 4.0]])


def test_wrong_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="value dtype is int32 but TensorArray dtype is "
                                        "float32"):
        tf.TensorArray(tf.float32, 3).write(0, tf.constant(1))


def test_stack_of_empty_array_needs_a_static_shape():
    _error(tf.TensorArray(tf.float32, 0).stack(), tf.errors.UnimplementedError,
           "TensorArray has size zero, but element shape <unknown> is not fully defined.")
    with tf.Session() as sess:
        assert sess.run(tf.TensorArray(tf.float32, 0, element_shape=[2]).stack()).shape == \
            (0, 2)


def test_unstack_more_rows_than_size():
    _error(tf.TensorArray(tf.float32, 2).unstack([1.0, 2.0, 3.0]).stack(),
           tf.errors.InvalidArgumentError, r"Max scatter index must be < array size \(2 vs. 2\)")


def test_split_errors():
    _error(tf.TensorArray(tf.float32, 2).split([1.0, 2.0, 3.0], [2, 2]).read(1),
           tf.errors.InvalidArgumentError,
           r"Expected sum of lengths to be equal to values.shape\[0\], but sum of lengths is "
           r"4 and value's shape is: \[3\]")
    _error(tf.TensorArray(tf.float32, 2, tensor_array_name="foo").split([1.0, 2.0, 3.0], [2, 1])
           .read(1), tf.errors.InvalidArgumentError,
           r"TensorArray foo: Could not write to TensorArray index 1 because the value shape is "
           r"\[1\] which is incompatible with the TensorArray's inferred element shape: \[2\]")


def test_constructor_argument_errors():
    ta = tf.TensorArray(tf.float32, 2)
    with pytest.raises(ValueError, match="Size must be provided if handle is not provided"):
        tf.TensorArray(tf.float32)
    with pytest.raises(ValueError, match="Cannot provide both a handle and size"):
        tf.TensorArray(tf.float32, 2, handle=ta.handle, flow=ta.flow)
    with pytest.raises(TypeError, match="Handle must be a Tensor"):
        tf.TensorArray(tf.float32, handle=3)
    same = tf.TensorArray(tf.float32, handle=ta.handle, flow=ta.flow)
    assert same.flow is ta.flow and same.dtype == tf.float32


def test_properties_identity_close_and_static_shapes():
    ta = tf.TensorArray(tf.float32, size=2, element_shape=[3], name="arr")
    assert ta.dtype == tf.float32 and ta.element_shape.as_list() == [3]
    assert ta.flow.dtype == tf.variant and ta.handle is ta.flow
    assert ta.read(0).shape.as_list() == [3]
    assert ta.stack().shape.as_list() == [None, 3]
    written = ta.write(0, tf.zeros([3])).write(1, tf.ones([3]))
    same = written.identity()
    assert same.flow.op.type == "Identity"
    assert written.close().type == "NoOp"
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(same.stack()), [[0.0] * 3, [1.0] * 3])


def test_grad_array_adds_repeated_writes():
    ta = tf.TensorArray(tf.float32, size=2, element_shape=[])
    g = ta.grad("source").write(1, 2.0).write(1, 3.0)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g.stack()), [0.0, 5.0])


def test_tensor_array_as_while_loop_variable():
    ta = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    i, ta = tf.while_loop(lambda i, ta: i < 5,
                          lambda i, ta: (i + 1, ta.write(i, tf.cast(i, tf.float32) ** 2)),
                          (0, ta))
    assert isinstance(ta, tf.TensorArray)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(ta.stack()), [0.0, 1.0, 4.0, 9.0, 16.0])


def test_loop_keeps_the_element_shape_the_body_wrote():
    x = tf.constant(np.arange(6.0).reshape(3, 2))
    ta = tf.TensorArray(tf.float64, size=3)
    _, out = tf.while_loop(lambda i, ta: i < 3,
                           lambda i, ta: (i + 1, ta.write(i, tf.gather(x, i) * 2.0)), [0, ta])
    assert out.element_shape.as_list() == [2]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out.stack()), np.arange(6.0).reshape(3, 2) * 2)


def test_gradient_through_write_read_in_a_plain_graph():
    x = tf.constant([1.0, 2.0])
    ta = tf.TensorArray(tf.float32, size=2, clear_after_read=False).write(0, x * x).write(
        1, x * 3.0)
    y = tf.reduce_sum(ta.read(0)) + tf.reduce_sum(ta.stack() * 2.0)
    dx, = tf.gradients(y, [x])
    with tf.Session() as sess:
        # d/dx [sum(x^2) + 2 sum(x^2) + 2 sum(3x)] = 6x + 6
        np.testing.assert_allclose(sess.run(dx), [12.0, 18.0])
