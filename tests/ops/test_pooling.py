"""Pooling ops against direct numpy references (loops over output cells), TF's tie and
padding rules for the gradients, finite-difference gradients (second order included), and
TF's messages."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.test_conv import inputs, normal, np_geometry


def _cells(x_cl, ksize, strides, padding):
    """(out index, [valid input positions of its window in scan order]) per output cell."""
    spatial = x_cl.shape[1:-1]
    geo = [np_geometry(n, k, s, 1, padding) for n, k, s in zip(spatial, ksize, strides)]
    outs = [g[0] for g in geo]
    for o in itertools.product(*[range(v) for v in outs]):
        cells = []
        for k in itertools.product(*[range(v) for v in ksize]):
            pos = tuple(oi * s + ki - g[1] for oi, ki, s, g in zip(o, k, strides, geo))
            if all(0 <= p < n for p, n in zip(pos, spatial)):
                cells.append(pos)
        yield o, cells, outs


def _to_cl(x, fmt):
    return np.moveaxis(x, 1, -1) if fmt.startswith("NC") else x


def _from_cl(x, fmt):
    return np.moveaxis(x, -1, 1) if fmt.startswith("NC") else x


def np_pool(x, ksize, strides, padding, kind, fmt="NHWC"):
    x = _to_cl(x, fmt)
    outs = None
    res = {}
    for o, cells, outs in _cells(x, ksize, strides, padding):
        vals = np.stack([x[(slice(None),) + p] for p in cells])
        res[o] = vals.max(0) if kind == "max" else vals.astype(np.float64).mean(0)
    y = np.zeros((x.shape[0], *outs, x.shape[-1]), x.dtype)
    for o, v in res.items():
        y[(slice(None),) + o] = v
    return _from_cl(y, fmt)


def np_max_pool_grad(x, dy, ksize, strides, padding, fmt="NHWC"):
    """Each output's gradient goes to the first maximum of its window in scan order."""
    x, dy = _to_cl(x, fmt), _to_cl(dy, fmt)
    dx = np.zeros_like(x)
    for o, cells, _ in _cells(x, ksize, strides, padding):
        for b in range(x.shape[0]):
            for c in range(x.shape[-1]):
                vals = [x[(b,) + p + (c,)] for p in cells]
                p = cells[int(np.argmax(vals))]  # np.argmax returns the first maximum
                dx[(b,) + p + (c,)] += dy[(b,) + o + (c,)]
    return _from_cl(dx, fmt)


def np_avg_pool_grad(x_shape, dy, ksize, strides, padding, fmt="NHWC"):
    dy = _to_cl(dy, fmt)
    shape = list(x_shape)
    if fmt.startswith("NC"):
        shape = [shape[0]] + shape[2:] + [shape[1]]
    dx = np.zeros(shape, dy.dtype)
    for o, cells, _ in _cells(np.zeros(shape), ksize, strides, padding):
        for p in cells:
            dx[(slice(None),) + p] += dy[(slice(None),) + o] / len(cells)
    return _from_cl(dx, fmt)


def np_argmax(x, ksize, strides, padding, include_batch):
    n, h, w, c = x.shape
    out = None
    res = {}
    for o, cells, out in _cells(x, ksize, strides, padding):
        for b in range(n):
            for ch in range(c):
                vals = [x[b, p[0], p[1], ch] for p in cells]
                y, xx = cells[int(np.argmax(vals))]
                flat = (y * w + xx) * c + ch
                res[(b,) + o + (ch,)] = flat + (b * h * w * c if include_batch else 0)
    a = np.zeros((n, *out, c), np.int64)
    for k, v in res.items():
        a[k] = v
    return a


def ties(*shape):
    return lambda rng: rng.integers(0, 3, shape).astype(np.float64)


def distinct(*shape, dtype=np.float64):
    """A random permutation of well-separated values: no ties, so max is differentiable."""
    return lambda rng: (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
                        ).astype(dtype)


def _max_pool_grad_op(x, dy, ksize, strides, padding, fmt="NHWC"):
    y = tf.nn.max_pool(x, ksize, strides, padding, data_format=fmt)
    return apply_op("MaxPoolGrad", x, y, dy, ksize=y.op.attrs["ksize"],
                    strides=y.op.attrs["strides"], padding=padding, data_format=fmt)


K2 = [1, 2, 2, 1]
K3 = [1, 3, 3, 1]

CASES = [
    OpCase("max_pool_valid", lambda x: tf.nn.max_pool(x, K2, K2, "VALID"),
           lambda x: np_pool(x, [2, 2], [2, 2], "VALID", "max"), inputs(distinct(2, 5, 4, 3))),
    OpCase("max_pool_same_overlap", lambda x: tf.nn.max_pool(x, K3, K2, "SAME"),
           lambda x: np_pool(x, [3, 3], [2, 2], "SAME", "max"), inputs(distinct(1, 5, 6, 2))),
    OpCase("max_pool_nchw", lambda x: tf.nn.max_pool(x, [1, 1, 2, 3], [1, 1, 2, 1], "SAME",
                                                     data_format="NCHW"),
           lambda x: np_pool(x, [2, 3], [2, 1], "SAME", "max", "NCHW"),
           inputs(distinct(1, 2, 5, 4))),
    OpCase("max_pool_int32", lambda x: tf.nn.max_pool(x, K2, [1, 1, 1, 1], "SAME"),
           lambda x: np_pool(x, [2, 2], [1, 1], "SAME", "max"),
           [np.arange(-8, 10, dtype=np.int32).reshape(1, 3, 3, 2)]),
    OpCase("max_pool_f32", lambda x: tf.nn.max_pool(x, 2, 2, "SAME"),
           lambda x: np_pool(x, [2, 2], [2, 2], "SAME", "max"),
           inputs(normal(2, 5, 5, 3, dtype=np.float32)), grad=False),
    OpCase("max_pool1d", lambda x: tf.nn.max_pool1d(x, 3, 2, "SAME"),
           lambda x: np_pool(x, [3], [2], "SAME", "max"), inputs(distinct(2, 7, 2))),
    OpCase("max_pool3d_same", lambda x: tf.nn.max_pool3d(x, [1, 2, 2, 2, 1], [1, 2, 1, 2, 1],
                                                         "SAME"),
           lambda x: np_pool(x, [2, 2, 2], [2, 1, 2], "SAME", "max"),
           inputs(distinct(1, 3, 3, 4, 2))),
    OpCase("avg_pool_same_counts_valid_cells", lambda x: tf.nn.avg_pool(x, K3, K2, "SAME"),
           lambda x: np_pool(x, [3, 3], [2, 2], "SAME", "avg"), inputs(normal(2, 5, 4, 2))),
    OpCase("avg_pool_valid_nchw", lambda x: tf.nn.avg_pool(x, [1, 1, 2, 1], [1, 1, 1, 2], "VALID",
                                                           data_format="NCHW"),
           lambda x: np_pool(x, [2, 1], [1, 2], "VALID", "avg", "NCHW"),
           inputs(normal(1, 2, 4, 5))),
    OpCase("avg_pool_f32", lambda x: tf.nn.avg_pool2d(x, 3, 1, "SAME"),
           lambda x: np_pool(x, [3, 3], [1, 1], "SAME", "avg").astype(np.float32),
           inputs(normal(1, 4, 4, 2, dtype=np.float32)), grad=False, rtol=1e-5),
    OpCase("avg_pool1d_ncw", lambda x: tf.nn.avg_pool1d(x, 2, 1, "SAME", data_format="NCW"),
           lambda x: np_pool(x, [2], [1], "SAME", "avg", "NCW"), inputs(normal(2, 2, 5))),
    OpCase("avg_pool3d", lambda x: tf.nn.avg_pool3d(x, [1, 2, 3, 2, 1], [1, 1, 2, 2, 1],
                                                    "SAME"),
           lambda x: np_pool(x, [2, 3, 2], [1, 2, 2], "SAME", "avg"),
           inputs(normal(1, 3, 4, 3, 2))),
    OpCase("max_pool_grad_ties_first_max",
           lambda x, dy: _max_pool_grad_op(x, dy, K3, K2, "SAME"),
           lambda x, dy: np_max_pool_grad(x, dy, [3, 3], [2, 2], "SAME"),
           inputs(ties(2, 5, 6, 2), normal(2, 3, 3, 2)), grad=[1]),
    OpCase("max_pool_grad_ties_nchw",
           lambda x, dy: _max_pool_grad_op(x, dy, [1, 1, 2, 2], [1, 1, 1, 1], "VALID", "NCHW"),
           lambda x, dy: np_max_pool_grad(x, dy, [2, 2], [1, 1], "VALID", "NCHW"),
           inputs(ties(1, 2, 4, 4), normal(1, 2, 3, 3)), grad=[1]),
    OpCase("max_pool3d_grad_ties",
           lambda x, dy: apply_op("MaxPool3DGrad", x, tf.nn.max_pool3d(x, 2, 2, "SAME"), dy,
                                  ksize=[1, 2, 2, 2, 1], strides=[1, 2, 2, 2, 1],
                                  padding="SAME", data_format="NDHWC"),
           lambda x, dy: np_max_pool_grad(x, dy, [2, 2, 2], [2, 2, 2], "SAME"),
           inputs(ties(1, 3, 4, 4, 2), normal(1, 2, 2, 2, 2)), grad=[1]),
    OpCase("avg_pool_grad_same",
           lambda dy: apply_op("AvgPoolGrad", tf.constant([2, 5, 4, 2]), dy, ksize=K3,
                               strides=K2, padding="SAME", data_format="NHWC"),
           lambda dy: np_avg_pool_grad((2, 5, 4, 2), dy, [3, 3], [2, 2], "SAME"),
           inputs(normal(2, 3, 2, 2))),
    OpCase("avg_pool3d_grad",
           lambda dy: apply_op("AvgPool3DGrad", tf.constant([1, 3, 4, 3, 2]), dy,
                               ksize=[1, 2, 3, 2, 1], strides=[1, 1, 2, 2, 1], padding="SAME",
                               data_format="NDHWC"),
           lambda dy: np_avg_pool_grad((1, 3, 4, 3, 2), dy, [2, 3, 2], [1, 2, 2], "SAME"),
           inputs(normal(1, 3, 2, 2, 2))),
    OpCase("max_pool_with_argmax",
           lambda x: tf.nn.max_pool_with_argmax(x, K2, K2, "SAME"),
           lambda x: (np_pool(x, [2, 2], [2, 2], "SAME", "max"),
                      np_argmax(x, [2, 2], [2, 2], "SAME", False)),
           inputs(distinct(2, 5, 3, 2))),
    OpCase("max_pool_with_argmax_ties_batch_index",
           lambda x: tf.nn.max_pool_with_argmax(x, K3, [1, 1, 2, 1], "VALID",
                                                include_batch_in_index=True),
           lambda x: (np_pool(x, [3, 3], [1, 2], "VALID", "max"),
                      np_argmax(x, [3, 3], [1, 2], "VALID", True)),
           inputs(ties(2, 4, 5, 2)), grad=False),
    OpCase("max_pool_with_argmax_int32_index",
           lambda x: tf.nn.max_pool_with_argmax(x, K2, K2, "VALID", Targmax=tf.int32)[1],
           lambda x: np_argmax(x, [2, 2], [2, 2], "VALID", False).astype(np.int32),
           inputs(distinct(1, 4, 4, 1)), grad=False),
]


def _argmax_grad_rows():
    def grad_op(op_type, include_batch):
        def build(x, g):
            _, am = tf.nn.max_pool_with_argmax(x, K2, K2, "SAME",
                                               include_batch_in_index=include_batch)
            return apply_op(op_type, x, g, am, ksize=K2, strides=K2, padding="SAME",
                            include_batch_in_index=include_batch)
        return build

    def ref_grad(x, g, include_batch):
        return np_max_pool_grad(x, g, [2, 2], [2, 2], "SAME")

    def ref_grad_grad(x, g):
        a = np_argmax(x, [2, 2], [2, 2], "SAME", True)
        return g.reshape(-1)[a]

    return [
        OpCase("max_pool_grad_with_argmax",
               grad_op("MaxPoolGradWithArgmax", False),
               lambda x, g: ref_grad(x, g, False),
               inputs(ties(2, 3, 4, 2), normal(2, 2, 2, 2)), grad=[1]),
        OpCase("max_pool_grad_grad_with_argmax",
               grad_op("MaxPoolGradGradWithArgmax", True), ref_grad_grad,
               inputs(ties(2, 3, 4, 2), normal(2, 3, 4, 2)), grad=[1]),
        OpCase("max_pool_grad_grad",
               lambda x, g: apply_op("MaxPoolGradGrad", x, tf.nn.max_pool(x, K3, K2, "SAME"),
                                     g, ksize=K3, strides=K2, padding="SAME",
                                     data_format="NHWC"),
               lambda x, g: _np_grad_grad(x, g, [3, 3], [2, 2], "SAME"),
               inputs(ties(1, 5, 4, 2), normal(1, 5, 4, 2)), grad=[1]),
        OpCase("max_pool3d_grad_grad",
               lambda x, g: apply_op("MaxPool3DGradGrad", x, tf.nn.max_pool3d(x, 2, 1, "VALID"),
                                     g, ksize=[1, 2, 2, 2, 1], strides=[1] * 5,
                                     padding="VALID", data_format="NDHWC"),
               lambda x, g: _np_grad_grad(x, g, [2, 2, 2], [1, 1, 1], "VALID"),
               inputs(ties(1, 3, 3, 3, 1), normal(1, 3, 3, 3, 1)), grad=[1]),
    ]


def _np_grad_grad(x, g, ksize, strides, padding):
    """The gradient of MaxPoolGrad for its `grad`: `g` read at each window's first maximum."""
    out = None
    res = {}
    for o, cells, out in _cells(x, ksize, strides, padding):
        for b in range(x.shape[0]):
            for c in range(x.shape[-1]):
                vals = [x[(b,) + p + (c,)] for p in cells]
                p = cells[int(np.argmax(vals))]
                res[(b,) + o + (c,)] = g[(b,) + p + (c,)]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for k, v in res.items():
        y[k] = v
    return y


CASES += _argmax_grad_rows()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_max_pool_gradient_goes_to_first_maximum_of_tied_window():
    x = np.ones([1, 3, 3, 1], np.float32)
    xt = tf.constant(x)
    y = tf.nn.max_pool(xt, K2, [1, 1, 1, 1], "VALID")
    with tf.Session() as sess:
        dx = sess.run(tf.gradients(y, xt)[0])
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_same_avg_pool_gradient_divides_by_valid_cells():
    xt = tf.constant(np.ones([1, 3, 3, 1], np.float32))
    y = tf.nn.avg_pool(xt, K2, K2, "SAME")
    with tf.Session() as sess:
        dx = sess.run(tf.gradients(y, xt)[0])
    np.testing.assert_allclose(dx[0, :, :, 0], [[.25, .25, .5], [.25, .25, .5], [.5, .5, 1]])


@pytest.mark.parametrize("build, message", [
    (lambda x: tf.nn.max_pool(x, [1, 2, 2], K2, "SAME"),
     r"ksize should be of length 1, 2 or 4. Received: ksize=\[1, 2, 2\] of length 3"),
    (lambda x: tf.nn.max_pool(x, [2, 2, 2, 1], K2, "SAME"),
     "Pooling is not yet supported on the batch nor depth dimensions"),
    (lambda x: tf.nn.max_pool(x, K2, K2, "FOO"),
     "Attr 'padding' of 'MaxPool' Op passed string 'FOO' not in: \"SAME\", \"VALID\""),
    (lambda x: tf.nn.max_pool(x, [1, 7, 7, 1], [1, 1, 1, 1], "VALID"),
     r"Negative dimension size caused by subtracting 7 from 5 for 'MaxPool' \(op: 'MaxPool'\)"),
    (lambda x: tf.nn.max_pool(tf.zeros([2, 5, 5]), K2, K2, "VALID"),
     "Shape must be rank 4 but is rank 3"),
    (lambda x: tf.nn.avg_pool(tf.zeros([1, 4, 4, 1], tf.int32), K2, K2, "VALID"),
     "Value passed to parameter 'value' has DataType int32 not in list of allowed values"),
    (lambda x: tf.nn.max_pool_with_argmax(x, K2, K2, "SAME", data_format="NCHW"),
     "Data formats other than 'NHWC' are not yet supported"),
])
def test_build_time_errors_use_tf_messages(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build(tf.placeholder(tf.float32, [2, 5, 5, 3]))


def test_shapes_are_inferred_at_build_time():
    x = tf.placeholder(tf.float32, [None, 28, 28, 32])
    assert tf.nn.max_pool(x, K2, K2, "SAME").shape.as_list() == [None, 14, 14, 32]
    _, am = tf.nn.max_pool_with_argmax(x, K3, K2, "VALID")
    assert am.dtype == tf.int64 and am.shape.as_list() == [None, 13, 13, 32]
    assert tf.nn.avg_pool3d(tf.zeros([1, 5, 5, 5, 2]), 2, 2, "SAME").shape == (1, 3, 3, 3, 2)


def test_run_time_window_too_large():
    x = tf.placeholder(tf.float32, None)
    y = tf.nn.max_pool(x, [1, 7, 7, 1], [1, 1, 1, 1], "VALID")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                       match="Computed output size would be negative"):
        sess.run(y, {x: np.zeros([1, 5, 5, 3], np.float32)})
