"""tf.nn.dilation2d / erosion2d and the Dilation2D backprop ops against numpy loops written
from the definition (first maximum in scan order gets the gradient), finite-difference
gradients, TF's messages; TF's own results are in test_nnconv_fixtures.py."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import inputs, normal, np_geometry


def _windows(x, f, strides, rates, padding):
    """Yields (b, oy, ox, list of (y, x, i, j) in-bounds taps in scan order), out shape."""
    geo = [np_geometry(x.shape[1 + d], f.shape[d], strides[1 + d], rates[1 + d], padding)
           for d in range(2)]
    outs = [g[0] for g in geo]
    for oy, ox in itertools.product(range(outs[0]), range(outs[1])):
        taps = []
        for i, j in itertools.product(range(f.shape[0]), range(f.shape[1])):
            y = oy * strides[1] + i * rates[1] - geo[0][1]
            xx = ox * strides[2] + j * rates[2] - geo[1][1]
            if 0 <= y < x.shape[1] and 0 <= xx < x.shape[2]:
                taps.append((y, xx, i, j))
        yield oy, ox, taps
    return outs


def _argmax_taps(x, f, strides, rates, padding):
    """out, and per (b, oy, ox, c) the winning (y, x, i, j)."""
    geo = [np_geometry(x.shape[1 + d], f.shape[d], strides[1 + d], rates[1 + d], padding)
           for d in range(2)]
    out = np.zeros((x.shape[0], geo[0][0], geo[1][0], x.shape[3]))
    win = {}
    for oy, ox, taps in _windows(x, f, strides, rates, padding):
        for b, c in itertools.product(range(x.shape[0]), range(x.shape[3])):
            vals = [x[b, y, xx, c] + f[i, j, c] for y, xx, i, j in taps]
            k = int(np.argmax(vals))  # the first maximum, as TF's strict '>'
            out[b, oy, ox, c] = vals[k]
            win[b, oy, ox, c] = taps[k]
    return out.astype(x.dtype), win


def np_dilation(x, f, strides, rates, padding):
    return _argmax_taps(x, f, strides, rates, padding)[0]


def np_dilation_input_grad(x, f, dy, strides, rates, padding):
    dx = np.zeros_like(x)
    for (b, oy, ox, c), (y, xx, _, _) in _argmax_taps(x, f, strides, rates, padding)[1].items():
        dx[b, y, xx, c] += dy[b, oy, ox, c]
    return dx


def np_dilation_filter_grad(x, f, dy, strides, rates, padding):
    df = np.zeros_like(f)
    for (b, oy, ox, c), (_, _, i, j) in _argmax_taps(x, f, strides, rates, padding)[1].items():
        df[i, j, c] += dy[b, oy, ox, c]
    return df


def np_erosion(x, k, strides, rates, padding):
    return -np_dilation(-x, k[::-1, ::-1], strides, rates, padding)


S1 = [1, 1, 1, 1]
CASES = [
    OpCase("dilation2d_same", lambda x, f: tf.nn.dilation2d(x, f, S1, S1, "SAME"),
           lambda x, f: np_dilation(x, f, S1, S1, "SAME"),
           inputs(normal(2, 5, 6, 2), normal(2, 3, 2))),
    OpCase("dilation2d_valid_strided_rates",
           lambda x, f: tf.nn.dilation2d(x, f, [1, 2, 1, 1], [1, 1, 2, 1], "VALID"),
           lambda x, f: np_dilation(x, f, [1, 2, 1, 1], [1, 1, 2, 1], "VALID"),
           inputs(normal(1, 7, 8, 3), normal(3, 2, 3))),
    OpCase("dilation2d_same_rates_tf2_names",
           lambda x, f: tf.nn.dilation2d(x, filters=f, strides=[1, 1, 2, 1],
                                         dilations=[1, 2, 2, 1], padding="SAME"),
           lambda x, f: np_dilation(x, f, [1, 1, 2, 1], [1, 2, 2, 1], "SAME"),
           inputs(normal(2, 6, 5, 1), normal(2, 2, 1))),
    OpCase("dilation2d_int32", lambda x, f: tf.nn.dilation2d(x, f, S1, S1, "SAME"),
           lambda x, f: np_dilation(x, f, S1, S1, "SAME"),
           inputs(lambda r: r.integers(-9, 9, (1, 4, 4, 2)).astype(np.int32),
                  lambda r: r.integers(-3, 3, (2, 2, 2)).astype(np.int32))),
    OpCase("erosion2d_same", lambda x, k: tf.nn.erosion2d(x, k, S1, S1, "SAME"),
           lambda x, k: np_erosion(x, k, S1, S1, "SAME"),
           inputs(normal(2, 5, 5, 2), normal(3, 2, 2))),
    OpCase("erosion2d_valid_strided",
           lambda x, k: tf.nn.erosion2d(x, k, [1, 2, 2, 1], [1, 1, 2, 1], "VALID"),
           lambda x, k: np_erosion(x, k, [1, 2, 2, 1], [1, 1, 2, 1], "VALID"),
           inputs(normal(1, 7, 8, 2), normal(2, 2, 2))),
    OpCase("dilation2d_backprop_input",
           lambda x, f, dy: apply_op("Dilation2DBackpropInput", x, f, dy,
                                     strides=[1, 2, 1, 1], rates=S1, padding="SAME"),
           lambda x, f, dy: np_dilation_input_grad(x, f, dy, [1, 2, 1, 1], S1, "SAME"),
           inputs(normal(2, 5, 4, 2), normal(2, 3, 2), normal(2, 3, 4, 2)), grad=False),
    OpCase("dilation2d_backprop_filter",
           lambda x, f, dy: apply_op("Dilation2DBackpropFilter", x, f, dy, strides=S1,
                                     rates=[1, 2, 1, 1], padding="VALID"),
           lambda x, f, dy: np_dilation_filter_grad(x, f, dy, S1, [1, 2, 1, 1], "VALID"),
           inputs(normal(2, 6, 4, 2), normal(2, 2, 2), normal(2, 4, 3, 2)), grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad],
                         ids=ids([c for c in CASES if c.grad]))
def test_gradient(case):
    check_gradient(case)


def test_ties_send_the_gradient_to_the_first_maximum():
    x = tf.constant(np.ones([1, 2, 2, 1], np.float32))
    f = tf.zeros([2, 2, 1])
    y = tf.nn.dilation2d(x, f, S1, S1, "VALID")
    dx, df = tf.gradients(y, [x, f])
    with tf.Session() as sess:
        a, b = sess.run([dx, df])
    np.testing.assert_array_equal(a[0, :, :, 0], [[1, 0], [0, 0]])
    np.testing.assert_array_equal(b[:, :, 0], [[1, 0], [0, 0]])


def _p(*shape):
    return tf.placeholder(tf.float32, shape)


@pytest.mark.parametrize("build, message", [
    (lambda: tf.nn.dilation2d(_p(2, 7, 8, 3), _p(2, 3, 2), S1, S1, "SAME"),
     "Dimensions must be equal, but are 3 and 2"),
    (lambda: tf.nn.dilation2d(_p(2, 7, 8, 3), _p(2, 3), S1, S1, "SAME"),
     "Shape must be rank 3 but is rank 2"),
    (lambda: tf.nn.dilation2d(_p(2, 7, 8), _p(2, 3, 3), S1, S1, "SAME"),
     "Shape must be rank 4 but is rank 3"),
    (lambda: tf.nn.dilation2d(_p(2, 7, 8, 3), _p(2, 3, 3), [1, 1, 1], S1, "SAME"),
     "Attr 'strides' of 'Dilation2D' Op passed list of length 3 less than minimum 4."),
    (lambda: tf.nn.dilation2d(_p(2, 7, 8, 3), _p(2, 3, 3), S1, [1, 1, 1], "SAME"),
     "Attr 'rates' of 'Dilation2D' Op passed list of length 3 less than minimum 4."),
    (lambda: tf.nn.dilation2d(_p(2, 7, 8, 3), _p(9, 3, 3), S1, S1, "VALID"),
     "Computed output size would be negative: -1 [input_size: 7, effective_filter_size: 9, "
     "stride: 1]"),
    (lambda: tf.nn.dilation2d(_p(2, 7, 8, 3), _p(2, 3, 3), S1, S1, "EXPLICIT"),
     "Attr 'padding' of 'Dilation2D' Op passed string 'EXPLICIT' not in: \"SAME\", \"VALID\"."),
])
def test_build_time_errors_use_tf_messages(build, message):
    with pytest.raises(ValueError) as e:
        build()
    assert str(e.value).startswith(message), str(e.value)


@pytest.mark.parametrize("strides, rates, message", [
    ([2, 1, 1, 1], S1, "Stride is only supported across spatial dimensions."),
    (S1, [1, 1, 1, 2], "Rate is only supported across spatial dimensions."),
])
def test_batch_or_depth_strides_fail_at_run_time(strides, rates, message):
    y = tf.nn.dilation2d(tf.ones([2, 3, 3, 1]), tf.ones([1, 1, 1]), strides, rates, "SAME")
    with tf.Session() as sess, pytest.raises(tf.errors.UnimplementedError) as e:
        sess.run(y)
    assert e.value.message.startswith(message)


def test_backprop_ops_have_no_gradient_as_in_tf():
    x = _p(1, 4, 4, 1)
    dx = tf.gradients(tf.nn.dilation2d(x, tf.ones([2, 2, 1]), S1, S1, "SAME"), x)[0]
    assert dx.op.type == "Dilation2DBackpropInput"
    with pytest.raises(LookupError, match="op type: Dilation2DBackpropInput"):
        tf.gradients(dx, x)


def test_erosion_is_named_as_tf():
    y = tf.nn.erosion2d(_p(1, 4, 4, 1), tf.ones([2, 2, 1]), S1, S1, "SAME", name="ero")
    assert y.op.type == "Neg" and y.op.inputs[0].op.name == "ero"
