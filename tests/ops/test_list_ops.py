"""TensorList ops (list_ops.py): numpy oracles, finite-difference gradients through lists,
TF's run-time errors, and the immutability that loops and gradients rely on."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import list_ops as lo
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _rand(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _set_item(x, y):
    lst = lo.tensor_list_set_item(lo.tensor_list_from_tensor(x, [2]), 1, y)
    return lo.tensor_list_stack(lst, x.dtype, element_shape=[2])


def _set_item_ref(x, y):
    out = x.copy()
    out[1] = y
    return out


def _push_pop(x, y):
    lst = lo.tensor_list_push_back(lo.tensor_list_from_tensor(x, [2]), y)
    rest, last = lo.tensor_list_pop_back(lst, x.dtype, [2])
    return lo.tensor_list_stack(rest, x.dtype, element_shape=[2]) * 2.0, last


def _reserve_stack(x):
    lst = lo.tensor_list_reserve([2], 3, x.dtype)
    lst = lo.tensor_list_set_item(lst, 2, x)
    return lo.tensor_list_stack(lst, x.dtype, element_shape=[2])


def _gather(x):
    return lo.tensor_list_gather(lo.tensor_list_from_tensor(x, [3]), [2, 0, 2], x.dtype, [3])


def _scatter(x):
    lst = lo.tensor_list_scatter(x, [3, 0], [2])
    return lo.tensor_list_stack(lst, x.dtype, element_shape=[2]), lo.tensor_list_length(lst)


def _scatter_existing(x, y):
    lst = lo.tensor_list_scatter(y, [2, 0], input_handle=lo.tensor_list_from_tensor(x, [2]))
    return lo.tensor_list_stack(lst, x.dtype, element_shape=[2])


def _scatter_existing_ref(x, y):
    out = x.copy()
    out[2], out[0] = y[0], y[1]
    return out


def _concat_split(x):
    lst = lo.tensor_list_split(x, [None, 2], [1, 3, 0, 1])
    values, lengths = lo.tensor_list_concat_v2(lst, x.dtype, [None, 2])
    return values * 3.0, lengths, lo.tensor_list_get_item(lst, 1, x.dtype, [None, 2])


def _get_item_twice(x):
    lst = lo.tensor_list_from_tensor(x, [2])
    a = lo.tensor_list_get_item(lst, 0, x.dtype, [2])
    b = lo.tensor_list_get_item(lst, 0, x.dtype, [2])
    return a * b


def _element_shape_resize(x):
    lst = lo.tensor_list_from_tensor(x, [None])
    grown = lo.tensor_list_resize(lst, 5)
    return (lo.tensor_list_element_shape(lst), lo.tensor_list_length(grown),
            lo.tensor_list_stack(lo.tensor_list_resize(lst, 2), x.dtype))


def _empty_push(x):
    lst = lo.empty_tensor_list([2], x.dtype)
    lst = lo.tensor_list_push_back(lo.tensor_list_push_back(lst, x[1]), x[0])
    return lo.tensor_list_stack(lst, x.dtype, element_shape=[2])


CASES = [
    OpCase("set_item", _set_item, _set_item_ref, _rand((3, 2), (2,))),
    OpCase("push_pop", _push_pop, lambda x, y: (x * 2.0, y), _rand((3, 2), (2,))),
    OpCase("reserve_unset_reads_zeros", _reserve_stack,
           lambda x: np.stack([np.zeros(2), np.zeros(2), x]), _rand((2,))),
    OpCase("gather", _gather, lambda x: x[[2, 0, 2]], _rand((3, 3))),
    OpCase("scatter_new_list", _scatter,
           lambda x: (np.stack([x[1], np.zeros(2), np.zeros(2), x[0]]), np.int32(4)),
           _rand((2, 2))),
    OpCase("scatter_existing", _scatter_existing, _scatter_existing_ref, _rand((3, 2), (2, 2))),
    OpCase("concat_split", _concat_split,
           lambda x: (x * 3.0, np.array([1, 3, 0, 1], np.int64), x[1:4]), _rand((5, 2))),
    OpCase("get_item_twice_fans_out", _get_item_twice, lambda x: x[0] * x[0], _rand((3, 2))),
    OpCase("element_shape_length_resize", _element_shape_resize,
           lambda x: (np.array([4], np.int32), np.int32(5), x[:2]), _rand((3, 4)), grad=False),
    OpCase("empty_push_back", _empty_push, lambda x: x[::-1], _rand((2, 2))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=ids([c for c in CASES
                                                                         if c.grad]))
def test_gradient(case):
    check_gradient(case)


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def test_static_shapes_and_dtypes_are_inferred():
    x = tf.constant(np.zeros((3, 2), np.float32))
    lst = lo.tensor_list_from_tensor(x, [2])
    assert lst.dtype == tf.variant and lst.shape.as_list() == []
    item = lo.tensor_list_get_item(lst, 0, tf.float32, [2])
    assert item.dtype == tf.float32 and item.shape.as_list() == [2]
    assert lo.tensor_list_gather(lst, [0, 1], tf.float32, [2]).shape.as_list() == [2, 2]
    assert lo.tensor_list_stack(lst, tf.float32, 3, [2]).shape.as_list() == [3, 2]


def test_item_of_another_dtype_is_a_type_error_at_build_time():
    lst = lo.tensor_list_reserve([], 2, tf.float32)
    with pytest.raises(TypeError, match="holds float32"):
        from flowexec.framework.registry import apply_op
        apply_op("TensorListSetItem", lst, tf.constant(0), tf.constant(1),
                 element_dtype=tf.float32)


@pytest.mark.parametrize("build, message", [
    (lambda lst: lo.tensor_list_get_item(lst, 3, tf.float32),
     "Trying to access element 3 in a list with 2 elements."),
    (lambda lst: lo.tensor_list_set_item(lst, -1, 1.0),
     "Trying to modify element -1 in a list with 2 elements."),
    (lambda lst: lo.tensor_list_get_item(lo.tensor_list_reserve(None, 2, tf.float32), 0,
                                         tf.float32),
     "Trying to read an uninitialized tensor but element_shape is not fully defined"),
    (lambda lst: lo.tensor_list_stack(lst, tf.float32, num_elements=5),
     "Operation expected a list with 5 elements but got a list with 2 elements."),
    (lambda lst: lo.tensor_list_set_item(lst, 0, [1.0, 2.0]),
     r"Tried to set a tensor with incompatible shape at a list index. Item element shape: "
     r"\[2\] list shape: \[\]"),
    (lambda lst: lo.tensor_list_pop_back(lo.empty_tensor_list([], tf.float32), tf.float32),
     "Trying to pop from an empty list."),
    (lambda lst: lo.tensor_list_split([1.0, 2.0, 3.0], [None], [2, 2]),
     "Expected sum of lengths to be equal to values.shape\\[0\\], but sum of lengths is 4 and "
     "value's shape is: \\[3\\]"),
])
def test_run_time_errors_are_tfs(build, message):
    lst = lo.tensor_list_from_tensor(tf.constant([1.0, 2.0]), [])
    out = build(lst)
    out = out[0] if isinstance(out, tuple) else out
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            sess.run(out)
        assert sess.run(tf.constant(1.0) + 1.0) == 2.0  # the session stays usable


def test_a_list_is_never_changed_by_a_later_op():
    x = tf.constant([[1.0], [2.0]])
    lst = lo.tensor_list_from_tensor(x, [1])
    changed = lo.tensor_list_set_item(lst, 0, tf.constant([9.0]))
    pushed = lo.tensor_list_push_back(lst, tf.constant([5.0]))
    before = lo.tensor_list_stack(lst, tf.float32, element_shape=[1])
    after = lo.tensor_list_stack(changed, tf.float32, element_shape=[1])
    with tf.Session() as sess:
        b, a, n = sess.run([before, after, lo.tensor_list_length(pushed)])
    np.testing.assert_array_equal(b, [[1.0], [2.0]])
    np.testing.assert_array_equal(a, [[9.0], [2.0]])
    assert n == 3


def test_list_gradient_is_a_list_and_zeros_like_of_a_list_reads_zeros():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    lst = lo.tensor_list_from_tensor(x, [2])
    zeros = tf.zeros_like(lst)
    assert zeros.dtype == tf.variant
    dlst, = tf.gradients(lo.tensor_list_get_item(lst, 1, tf.float32, [2]) * 3.0, [lst])
    assert dlst.dtype == tf.variant
    with tf.Session() as sess:
        z, d = sess.run([lo.tensor_list_stack(zeros, tf.float32, element_shape=[2]),
                         lo.tensor_list_stack(dlst, tf.float32, element_shape=[2])])
    np.testing.assert_array_equal(z, np.zeros((2, 2)))
    np.testing.assert_array_equal(d, [[0.0, 0.0], [3.0, 3.0]])


def test_add_n_of_lists_adds_elementwise_and_checks_lengths():
    a = lo.tensor_list_from_tensor(tf.constant([1.0, 2.0]), [])
    b = lo.tensor_list_set_item(lo.tensor_list_reserve([], 2, tf.float32), 1, 10.0)
    total = tf.add_n([a, b])
    short = tf.add_n([a, lo.tensor_list_reserve([], 3, tf.float32)])
    with tf.Session() as sess:
        np.testing.assert_array_equal(
            sess.run(lo.tensor_list_stack(total, tf.float32, element_shape=[])), [1.0, 12.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="different lengths"):
            sess.run(lo.tensor_list_length(short))


def test_list_as_while_loop_variable():
    lst = lo.empty_tensor_list([], tf.float32)
    _, out = tf.while_loop(lambda i, l: i < 4,
                           lambda i, l: (i + 1, lo.tensor_list_push_back(
                               l, tf.cast(i, tf.float32) ** 2)), (0, lst))
    np.testing.assert_array_equal(_run(lo.tensor_list_stack(out, tf.float32)),
                                  [0.0, 1.0, 4.0, 9.0])
