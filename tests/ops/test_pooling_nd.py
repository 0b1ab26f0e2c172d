"""tf.nn.pool (N-D, strides or dilation), tf.nn.with_space_to_batch and tf.nn.max_pool_v2 /
avg_pool_v2 against a numpy pool written from the definition, finite-difference gradients,
static shapes and TF's Python-side errors; TF's own results are in test_nnconv_fixtures.py."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import inputs, normal, np_conv, np_geometry


def np_pool(x, window, kind, padding, strides=None, rates=None, channels_first=False):
    """out[b, o, c] = max/mean of x[b, o * s + w * r - pad, c] over in-bounds w."""
    if channels_first:
        x = np.moveaxis(x, 1, -1)
    nd = len(window)
    strides = strides or [1] * nd
    rates = rates or [1] * nd
    geo = [np_geometry(x.shape[1 + i], window[i], strides[i], rates[i], padding)
           for i in range(nd)]
    out = np.zeros((x.shape[0],) + tuple(g[0] for g in geo) + (x.shape[-1],))
    for o in itertools.product(*[range(g[0]) for g in geo]):
        cells = []
        for w in itertools.product(*[range(k) for k in window]):
            pos = [o[i] * strides[i] + w[i] * rates[i] - geo[i][1] for i in range(nd)]
            if all(0 <= p < x.shape[1 + i] for i, p in enumerate(pos)):
                cells.append(x[(slice(None),) + tuple(pos)])
        stack = np.stack(cells)
        out[(slice(None),) + o] = stack.max(0) if kind == "MAX" else stack.mean(0)
    out = out.astype(x.dtype)
    return np.moveaxis(out, -1, 1) if channels_first else out


CASES = [
    OpCase("pool_max_dilated_2d",
           lambda x: tf.nn.pool(x, [2, 3], "MAX", "VALID", dilation_rate=[2, 2]),
           lambda x: np_pool(x, [2, 3], "MAX", "VALID", rates=[2, 2]),
           inputs(normal(2, 7, 8, 2))),
    OpCase("pool_avg_dilated_uneven_rates",
           lambda x: tf.nn.pool(x, [3, 2], "AVG", "VALID", dilations=[1, 3]),
           lambda x: np_pool(x, [3, 2], "AVG", "VALID", rates=[1, 3]),
           inputs(normal(1, 5, 7, 3))),
    OpCase("pool_avg_same_strided",
           lambda x: tf.nn.pool(x, [3, 3], "AVG", "SAME", strides=[2, 3]),
           lambda x: np_pool(x, [3, 3], "AVG", "SAME", strides=[2, 3]),
           inputs(normal(2, 5, 7, 2))),
    OpCase("pool_max_1d_ncw_dilated",
           lambda x: tf.nn.pool(x, [3], "MAX", "VALID", dilation_rate=[2], data_format="NCW"),
           lambda x: np_pool(x, [3], "MAX", "VALID", rates=[2], channels_first=True),
           inputs(normal(2, 3, 9))),
    OpCase("pool_avg_1d_same",
           lambda x: tf.nn.pool(x, [2], "AVG", "SAME", strides=[2]),
           lambda x: np_pool(x, [2], "AVG", "SAME", strides=[2]),
           inputs(normal(2, 7, 3))),
    OpCase("pool_max_3d_dilated",
           lambda x: tf.nn.pool(x, [2, 2, 2], "MAX", "VALID", dilation_rate=[2, 1, 2]),
           lambda x: np_pool(x, [2, 2, 2], "MAX", "VALID", rates=[2, 1, 2]),
           inputs(normal(1, 5, 4, 5, 2))),
    OpCase("pool_avg_nchw_dilated",
           lambda x: tf.nn.pool(x, [2, 2], "AVG", "VALID", dilation_rate=[2, 2],
                                data_format="NCHW"),
           lambda x: np_pool(x, [2, 2], "AVG", "VALID", rates=[2, 2], channels_first=True),
           inputs(normal(1, 2, 6, 5))),
    OpCase("with_space_to_batch_same_conv",
           lambda x, w: tf.nn.with_space_to_batch(
               x, [2, 3], "SAME",
               lambda i, n, p: tf.nn.conv2d(i, w, [1, 1, 1, 1], p), filter_shape=[3, 2]),
           lambda x, w: np_conv(x, w, [1, 1], "SAME", [2, 3]),
           inputs(normal(2, 7, 8, 2), normal(3, 2, 2, 3))),
    OpCase("with_space_to_batch_spatial_dims_gap",
           lambda x: tf.nn.with_space_to_batch(
               x, [2, 2], "VALID", lambda i, n, p: tf.nn.max_pool3d(
                   i, [1, 2, 1, 2, 1], [1, 1, 1, 1, 1], p), spatial_dims=[1, 3]),
           lambda x: np.stack([np_pool(x[:, :, j], [2, 2], "MAX", "VALID", rates=[2, 2])
                               for j in range(x.shape[2])], axis=2),
           inputs(normal(1, 6, 2, 5, 2))),
    OpCase("max_pool_v2_1d", lambda x: tf.nn.max_pool_v2(x, 2, 2, "SAME"),
           lambda x: np_pool(x, [2], "MAX", "SAME", strides=[2]), inputs(normal(2, 7, 3))),
    OpCase("max_pool_v2_3d_ncdhw",
           lambda x: tf.nn.max_pool_v2(x, [2, 2, 1], [1, 2, 1], "VALID",
                                       data_format="NCDHW"),
           lambda x: np_pool(x, [2, 2, 1], "MAX", "VALID", strides=[1, 2, 1],
                             channels_first=True), inputs(normal(1, 2, 3, 5, 4))),
    OpCase("avg_pool_v2_2d", lambda x: tf.nn.avg_pool_v2(x, [2, 3], [1, 2], "SAME"),
           lambda x: np_pool(x, [2, 3], "AVG", "SAME", strides=[1, 2]),
           inputs(normal(2, 5, 6, 2))),
    OpCase("avg_pool_v2_1d_ncw",
           lambda x: tf.nn.avg_pool_v2(x, 3, 2, "VALID", data_format="NCW"),
           lambda x: np_pool(x, [3], "AVG", "VALID", strides=[2], channels_first=True),
           inputs(normal(2, 3, 8))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient(case):
    check_gradient(case)


def test_static_shapes_and_ops():
    x = tf.placeholder(tf.float32, [2, 7, 8, 3])
    assert tf.nn.pool(x, [2, 2], "MAX", "VALID", dilation_rate=[2, 1]).shape.as_list() == \
        [2, 5, 7, 3]
    y = tf.nn.pool(x, [2, 2], "AVG", "VALID", strides=[2, 2], name="p")
    assert y.op.type == "AvgPool" and y.op.name == "p"
    assert tf.nn.max_pool_v2(tf.placeholder(tf.float32, [2, 7, 6, 5, 3]), 2, 2,
                             "SAME").op.type == "MaxPool3D"
    assert tf.nn.avg_pool_v2(x, 2, 2, "VALID").op.type == "AvgPool"
    assert tf.nn.with_space_to_batch(x, [1, 1], "FULL", lambda i, n, p: (i, n, p)) == \
        (x, 2, "FULL")


def _x(*shape):
    return tf.placeholder(tf.float32, shape or (2, 7, 8, 3))


def _id(i, n, p):
    return i


@pytest.mark.parametrize("build, message", [
    (lambda: tf.nn.pool(_x(), [2, 2], "AVG", "SAME", dilation_rate=[2, 2]),
     "pooling with 'SAME' padding is not implemented for `dilation_rate` > 1. Received: "
     "padding=SAME and dilation_rate=[2 2]"),
    (lambda: tf.nn.pool(_x(), [2, 2], "MAX", "VALID", dilation_rate=[2, 2], strides=[2, 1]),
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
     "strides=[2 1] and dilation_rate=[2 2]"),
    (lambda: tf.nn.pool(_x(), [2, 2], "MAX", "VALID", strides=[3, 1]),
     "`strides` > `window_shape` not supported due to inconsistency between CPU and GPU "
     "implementations. Received: strides=[3 1] and window_shape=[2, 2]"),
    (lambda: tf.nn.pool(_x(), [2, 2], "MAX", "VALID", strides=[3]),
     "`len(strides)` should be 2. Received: strides=[3] of length 1"),
    (lambda: tf.nn.pool(_x(), [2, 2], "MAX", "VALID", dilation_rate=[0, 1]),
     "all values of `dilation_rate` must be positive. Received: dilation_rate=[0 1]"),
    (lambda: tf.nn.pool(_x(), [2, 2], "MAX", "VALID", strides=[0, 1]),
     "all values of `strides` must be positive. Received: strides=[0 1]"),
    (lambda: tf.nn.pool(_x(), [2, 2, 2, 2], "MAX", "VALID"),
     "`len(window_shape)` must be 1, 2, or 3. Received: window_shape=[2, 2, 2, 2] of "
     "length 4"),
    (lambda: tf.nn.pool(_x(), [2, 2, 2], "MAX", "VALID"), "Shape (2, 7, 8, 3) must have rank 5"),
    (lambda: tf.nn.pool(_x(), [2, 2], "MIN", "VALID"), "2-D MIN pooling is not supported."),
    (lambda: tf.nn.pool(_x(2, 7, 3), [2], "MAX", "VALID", data_format="NHWC"),
     "data_format must be either 'NWC' or 'NCW'. Received: data_format=NHWC"),
    (lambda: tf.nn.with_space_to_batch(_x(), [2, 2], "SAME", _id),
     "`filter_shape` must be specified for `padding='SAME'`. Received: filter_shape=None and "
     "padding=SAME"),
    (lambda: tf.nn.with_space_to_batch(_x(), [2, 0], "VALID", _id),
     "`dilation_rate` must be positive. Received: dilation_rate=[2 0]"),
    (lambda: tf.nn.with_space_to_batch(_x(), [2, 2], "VALID", _id, spatial_dims=[2, 1]),
     "`spatial_dims` must be a monotonically increasing sequence of positive integers. "
     "Received: spatial_dims=[2, 1]"),
    (lambda: tf.nn.with_space_to_batch(_x(), [2, 2], "VALID", _id, spatial_dims=[3, 4]),
     "`input.shape.rank` must be at least 5. Received: input.shape=(2, 7, 8, 3) with rank 4"),
    (lambda: tf.nn.with_space_to_batch(_x(), [2, 2], "FULL", _id),
     "`padding` must be one of 'SAME' or 'VALID'. Received: padding=FULL"),
    (lambda: tf.nn.max_pool_v2(_x(2, 7), 2, 2, "VALID"),
     "`input.shape.rank` must be 3, 4 or 5. Received: input.shape=(2, 7) of rank 2."),
    (lambda: tf.nn.max_pool_v2(tf.placeholder(tf.float32), 2, 2, "VALID", data_format="NHWC"),
     "Cannot take the length of shape with unknown rank."),
    (lambda: tf.nn.avg_pool_v2(_x(2, 7, 3), [2, 2], 2, "SAME"),
     "ksize should be of length 1, 1 or 3. Received: ksize=[2, 2] of length 2"),
])
def test_errors_use_tf_messages(build, message):
    with pytest.raises(ValueError) as e:
        build()
    assert str(e.value) == message
