"""tf.conv (op Conv: batch dims, channels first, groups, explicit padding, 3-D) and
tf.conv2d_backprop_input_v2 / conv2d_backprop_filter_v2 against numpy convolutions
(tests/ops/test_conv.py), finite-difference gradients (flowexec gives these ops gradients;
TF has none), and TF's shape-function messages."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import (inputs, normal, np_conv, np_conv_filter_grad,
                                 np_conv_input_grad, np_grouped_conv)


def _batched(fn, x, batch_dims):
    lead = x.shape[:batch_dims]
    y = fn(x.reshape((-1,) + x.shape[batch_dims:]) if batch_dims else x[None])
    return y.reshape(lead + y.shape[1:])


CASES = [
    OpCase("conv_2d_same_strided", lambda x, w: tf.conv(x, w, [1, 2, 1, 1], "SAME"),
           lambda x, w: np_conv(x, w, [2, 1], "SAME"),
           inputs(normal(2, 5, 4, 3), normal(2, 3, 3, 2))),
    OpCase("conv_2d_batch_dims_2",
           lambda x, w: tf.conv(x, w, [1, 1, 1, 1], "VALID", batch_dims=2,
                                dilations=[1, 2, 1, 1]),
           lambda x, w: _batched(lambda a: np_conv(a, w, [1, 1], "VALID", [2, 1]), x, 2),
           inputs(normal(2, 2, 5, 4, 2), normal(2, 2, 2, 3))),
    OpCase("conv_2d_no_batch_dim", lambda x, w: tf.conv(x, w, [1, 1, 1, 1], "SAME",
                                                        batch_dims=0),
           lambda x, w: np_conv(x[None], w, [1, 1], "SAME")[0],
           inputs(normal(4, 3, 2), normal(2, 2, 2, 2))),
    OpCase("conv_2d_channels_first_groups",
           lambda x, w: tf.conv(x, w, [1, 1, 1, 2], "SAME", data_format="CHANNELS_FIRST",
                                groups=2),
           lambda x, w: np_grouped_conv(x, w, [1, 2], "SAME", fmt="NCHW"),
           inputs(normal(2, 4, 4, 5), normal(3, 2, 2, 4))),
    OpCase("conv_2d_explicit",
           lambda x, w: tf.conv(x, w, [1, 1, 1, 1], "EXPLICIT",
                                explicit_paddings=[0, 0, 1, 0, 2, 1, 0, 0]),
           lambda x, w: np_conv(x, w, [1, 1], "EXPLICIT", explicit=[(1, 0), (2, 1)]),
           inputs(normal(1, 3, 4, 2), normal(2, 3, 2, 2))),
    OpCase("conv_3d_explicit_batch_dims",
           lambda x, w: tf.conv(x, w, [1, 1, 1, 2, 1], "EXPLICIT", batch_dims=2,
                                explicit_paddings=[0, 0, 1, 1, 0, 0, 1, 0, 0, 0]),
           lambda x, w: _batched(lambda a: np_conv(a, w, [1, 1, 2], "EXPLICIT",
                                                   explicit=[(1, 1), (0, 0), (1, 0)]), x, 2),
           inputs(normal(1, 2, 3, 3, 3, 2), normal(2, 2, 2, 2, 2))),
    OpCase("conv2d_backprop_input_v2",
           lambda x, w, dy: tf.conv2d_backprop_input_v2(x, w, dy, [1, 2, 2, 1], "SAME"),
           lambda x, w, dy: np_conv_input_grad(x.shape, w, dy, [2, 2], "SAME"),
           inputs(normal(2, 5, 4, 3), normal(3, 2, 3, 2), normal(2, 3, 2, 2)), grad=(1, 2)),
    OpCase("conv2d_backprop_input_v2_nchw_explicit",
           lambda x, w, dy: tf.conv2d_backprop_input_v2(
               x, w, dy, [1, 1, 1, 1], "EXPLICIT", data_format="NCHW",
               explicit_paddings=[0, 0, 0, 0, 1, 0, 0, 1]),
           lambda x, w, dy: np_conv_input_grad(x.shape, w, dy, [1, 1], "EXPLICIT",
                                               fmt="NCHW", explicit=[(1, 0), (0, 1)]),
           inputs(normal(1, 2, 4, 3), normal(2, 2, 2, 3), normal(1, 3, 4, 3)), grad=(1, 2)),
    OpCase("conv2d_backprop_filter_v2",
           lambda x, w, dy: tf.conv2d_backprop_filter_v2(x, w, dy, [1, 1, 1, 1], "VALID",
                                                         dilations=[1, 1, 2, 1]),
           lambda x, w, dy: np_conv_filter_grad(x, w.shape, dy, [1, 1], "VALID", [1, 2]),
           inputs(normal(2, 4, 5, 3), normal(2, 2, 3, 2), normal(2, 3, 3, 2)), grad=(0, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient(case):
    check_gradient(case)


def test_v2_ops_take_only_the_shapes():
    dy = tf.ones([1, 2, 2, 1])
    x = tf.placeholder(tf.float32, [1, 2, 2, 3])
    w = tf.placeholder(tf.float32, [1, 1, 3, 1])
    dx = tf.conv2d_backprop_input_v2(x, tf.ones([1, 1, 3, 1]), dy, [1, 1, 1, 1], "SAME")
    dw = tf.conv2d_backprop_filter_v2(tf.ones([1, 2, 2, 3]), w, dy, [1, 1, 1, 1], "SAME")
    assert dx.op.type == "Conv2DBackpropInputV2" and dx.shape.as_list() == [1, 2, 2, 3]
    assert dw.op.type == "Conv2DBackpropFilterV2" and dw.shape.as_list() == [1, 1, 3, 1]
    assert tf.gradients(dx, x) == [None] and tf.gradients(dw, w) == [None]
    with tf.Session() as sess:
        a, b = sess.run([dx, dw], {x: np.full([1, 2, 2, 3], np.nan, np.float32),
                                   w: np.full([1, 1, 3, 1], np.nan, np.float32)})
    np.testing.assert_array_equal(a, np.ones([1, 2, 2, 3]))
    np.testing.assert_array_equal(b, np.full([1, 1, 3, 1], 4.0))


def test_conv_shapes():
    P = tf.placeholder
    assert tf.conv(P(tf.float32, [2, 3, 5, 6, 4]), P(tf.float32, [2, 2, 2, 6]),
                   [1, 1, 1, 1], "VALID", batch_dims=2, groups=2).shape.as_list() == \
        [2, 3, 4, 5, 6]
    assert tf.conv(P(tf.float32, [2, 4, 5, 6]), P(tf.float32, [2, 2, 4, 3]), [1, 1, 2, 1],
                   "VALID", data_format="CHANNELS_FIRST").shape.as_list() == [2, 3, 2, 5]
    assert tf.conv(P(tf.float32), P(tf.float32), [1, 1, 1, 1], "SAME").shape.ndims is None


def _p(*shape):
    return tf.placeholder(tf.float32, shape)


@pytest.mark.parametrize("build, error, message", [
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 2, 4), [1, 1, 1, 1], "SAME"), ValueError,
     "Input tensor rank must be the same as filter rank."),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 4), [1, 1, 1, 1], "SAME"), ValueError,
     "Filter tensor must be rank 4 or 5, but got: 3"),
    (lambda: tf.conv(_p(2, 5, 3), _p(2, 2, 3, 4), [1, 2, 1], "VALID"), ValueError,
     "Input tensor must be rank 4 or 5, excluding extra batch dimensions, but got: 3"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 4), [1, 1, 1, 1, 1], "SAME", groups=2),
     ValueError, "Stride attribute should contain 4 values, but got: 5"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 4), [1, 1, 1, 1], "SAME", groups=2,
                     dilations=[1, 1, 1]), ValueError,
     "Conv requires the dilation attribute to contain 4 values, but got: 3"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 3), [1, 1, 1, 1], "SAME", groups=2),
     ValueError, "Number of groups should divide output depth"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 3, 3), [1, 1, 1, 1], "SAME"), ValueError,
     "Depth of input (4) is not a multiple of input depth of filter (3)"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 4), [1, 1, 1, 1], "SAME"), ValueError,
     "Input depth divided by filter input depth does not match with groups parameter (1)"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 4), [1, 1, 1, 1], "SAME", groups=3),
     ValueError, "Number of groups should divide input depth"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 4), [1, 1, 1, 1], "EXPLICIT", groups=2),
     ValueError, "explicit_paddings attribute must contain 8 values, but got: 0"),
    (lambda: tf.conv(_p(2, 5, 6, 4), _p(2, 2, 2, 4), [1, 1, 1, 1], "SAME", groups=2,
                     batch_dims=-1), ValueError, "Batch dims must be non-negative."),
    (lambda: tf.conv(_p(2, 5, 6, 4), tf.zeros([2, 2, 2, 4], tf.float64), [1, 1, 1, 1],
                     "SAME", groups=2), TypeError,
     "Input 'filter' of 'Conv' Op has type float64 that does not match type float32 of "
     "argument 'input'."),
    (lambda: tf.conv2d_backprop_input_v2(_p(2, 5, 6), _p(2, 2, 3, 4), _p(2, 5, 6, 4),
                                         [1, 1, 1, 1], "SAME"), ValueError,
     "Shape must be rank 4 but is rank 3"),
    (lambda: tf.conv2d_backprop_filter_v2(_p(2, 5, 6, 3), _p(2, 2, 3), _p(2, 5, 6, 4),
                                          [1, 1, 1, 1], "SAME"), ValueError,
     "Shape must be rank 4 but is rank 3"),
])
def test_build_time_errors_use_tf_messages(build, error, message):
    with pytest.raises(error) as e:
        build()
    assert str(e.value).startswith(message), str(e.value)


def test_strides_in_batch_dimension_fail_at_run_time():
    y = tf.conv(tf.ones([2, 3, 3, 1]), tf.ones([1, 1, 1, 1]), [2, 1, 1, 1], "SAME")
    assert y.shape.as_list() == [2, 3, 3, 1]  # TF's shape function ignores it too
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="strides in the batch and depth"):
        sess.run(y)
