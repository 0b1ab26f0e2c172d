"""tf.nn.conv_transpose / conv1d_transpose / atrous_conv2d_transpose against the numpy
definition of a convolution's input gradient (tests/ops/test_conv.py), finite-difference
gradients, and TF's Python-side errors; TF's own results are in test_nnconv_fixtures.py."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import inputs, normal, np_conv_input_grad

CASES = [
    OpCase("conv_transpose_1d_same_stride2",
           lambda x, w: tf.nn.conv_transpose(x, w, [2, 9, 3], 2),
           lambda x, w: np_conv_input_grad([2, 9, 3], w, x, [2], "SAME"),
           inputs(normal(2, 5, 4), normal(3, 3, 4))),
    OpCase("conv_transpose_1d_ncw_dilated",
           lambda x, w: tf.nn.conv_transpose(x, w, [1, 2, 8], 1, data_format="NCW",
                                             dilations=2),
           lambda x, w: np.moveaxis(np_conv_input_grad(
               [1, 8, 2], w, np.moveaxis(x, 1, -1), [1], "SAME", [2]), -1, 1),
           inputs(normal(1, 3, 8), normal(2, 2, 3))),
    OpCase("conv_transpose_2d_nchw",
           lambda x, w: tf.nn.conv_transpose(x, w, [1, 2, 7, 6], [1, 1, 2, 2],
                                             padding="VALID", data_format="NCHW"),
           lambda x, w: np_conv_input_grad([1, 2, 7, 6], w, x, [2, 2], "VALID", fmt="NCHW"),
           inputs(normal(1, 3, 3, 3), normal(3, 2, 2, 3))),
    OpCase("conv_transpose_3d_dilated",
           lambda x, w: tf.nn.conv_transpose(x, w, [1, 5, 4, 4, 2], 1, dilations=[2, 1, 1]),
           lambda x, w: np_conv_input_grad([1, 5, 4, 4, 2], w, x, [1, 1, 1], "SAME",
                                           [2, 1, 1]),
           inputs(normal(1, 5, 4, 4, 3), normal(2, 2, 1, 2, 3))),
    OpCase("conv1d_transpose_tensor_shape",
           lambda x, w: tf.nn.conv1d_transpose(x, w, tf.constant([2, 7, 3]), [1, 2, 1],
                                               "VALID"),
           lambda x, w: np_conv_input_grad([2, 7, 3], w, x, [2], "VALID"),
           inputs(normal(2, 3, 2), normal(3, 3, 2))),
    OpCase("atrous_conv2d_transpose_same_rate2",
           lambda x, w: tf.nn.atrous_conv2d_transpose(x, w, [1, 6, 5, 2], 2, "SAME"),
           lambda x, w: np_conv_input_grad([1, 6, 5, 2], w, x, [1, 1], "SAME", [2, 2]),
           inputs(normal(1, 6, 5, 3), normal(3, 2, 2, 3))),
    OpCase("atrous_conv2d_transpose_valid_rate3",
           lambda x, w: tf.nn.atrous_conv2d_transpose(x, w, [2, 8, 7, 1], 3, "VALID"),
           lambda x, w: np_conv_input_grad([2, 8, 7, 1], w, x, [1, 1], "VALID", [3, 3]),
           inputs(normal(2, 5, 4, 2), normal(2, 2, 1, 2))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=ids([c for c in CASES
                                                                         if c.grad]))
def test_gradient(case):
    check_gradient(case)


def test_output_shapes_are_static():
    x = tf.placeholder(tf.float32, [2, 5, 4])
    assert tf.nn.conv_transpose(x, tf.zeros([3, 3, 4]), [2, 9, 3], 2).shape.as_list() == \
        [2, 9, 3]
    v = tf.placeholder(tf.float32, [1, 6, 5, 3])
    y = tf.nn.atrous_conv2d_transpose(v, tf.zeros([3, 2, 2, 3]), [1, 6, 5, 2], 2, "SAME")
    assert y.shape.as_list() == [1, 6, 5, 2]


@pytest.mark.parametrize("build, message", [
    (lambda: tf.nn.conv_transpose(tf.zeros([1, 2, 2, 2, 2, 1]), tf.zeros([1] * 6),
                                  [1, 2, 2, 2, 2, 1], 1),
     "`output_shape` must be of length 3, 4 or 5. Received: output_shape=[1, 2, 2, 2, 2, 1] "
     "of length 6."),
    (lambda: tf.nn.conv_transpose(tf.zeros([1, 2, 1]), tf.zeros([1, 1, 1]), 3, 1),
     "`output_shape` must be a tensor or sized collection. Received: output_shape=3"),
    (lambda: tf.nn.conv1d_transpose(tf.zeros([1, 2, 1]), tf.zeros([1, 1, 1]), [1, 2, 1], 1,
                                    data_format="NHWC"),
     "`data_format` must be 'NWC' or 'NCW'. Received: data_format=NHWC"),
    (lambda: tf.nn.atrous_conv2d_transpose(tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 1, 3]),
                                           [1, 4, 4, 1], 2, "SAME"),
     "`value` channel count must be compatible with `filters` input channel count. "
     "Received: value.shape=(1, 4, 4, 2) with channel count 2 and filters.shape=(2, 2, 1, 3) "
     "with input channel count 3."),
    (lambda: tf.nn.atrous_conv2d_transpose(tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 1, 2]),
                                           [1, 4, 4, 1], 0, "SAME"),
     "`rate` cannot be less than one. Received: rate=0"),
    (lambda: tf.nn.atrous_conv2d_transpose(tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 1, 2]),
                                           [1, 4, 4], 2, "SAME"),
     "`output_shape` must have shape (4,). Received: output_shape=(3,)"),
    (lambda: tf.nn.atrous_conv2d_transpose(tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 1, 2]),
                                           [1, 4, 4, 3], 2, "SAME"),
     "`output_shape` channel count must be compatible with `filters` output channel count. "
     "Received: output_shape=[1, 4, 4, 3] with channel count 3 and filters.shape=(2, 2, 1, "
     "2) with output channel count 2."),
    (lambda: tf.nn.atrous_conv2d_transpose(tf.zeros([1, 4, 4, 2]), tf.zeros([2, 2, 1, 2]),
                                           [1, 4, 4, 1], 2, "FULL"),
     "`padding` must be either 'VALID' or 'SAME'. Received: padding=FULL"),
])
def test_errors_use_tf_messages(build, message):
    with pytest.raises(ValueError) as e:
        build()
    assert str(e.value) == message


def test_aliases_are_tf_functions():
    assert tf.nn.depthwise_conv2d_backprop_input is tf.nn.depthwise_conv2d_native_backprop_input
    assert tf.nn.depthwise_conv2d_backprop_filter is \
        tf.nn.depthwise_conv2d_native_backprop_filter
    dw = tf.nn.conv3d_backprop_filter(tf.zeros([1, 3, 3, 3, 2]), [2, 2, 2, 2, 4],
                                      tf.zeros([1, 3, 3, 3, 4]), [1] * 5, "SAME")
    assert dw.op.type == "Conv3DBackpropFilterV2" and dw.shape.as_list() == [2, 2, 2, 2, 4]
