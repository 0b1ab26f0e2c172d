"""Convolution ops against direct numpy references (loops over output cells and kernel
offsets, written from the definition), finite-difference gradients (second order included),
TF's build-time messages, and TF-computed fixtures (tests/ops/fixtures/conv_tf.npz)."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


# ----- numpy references ----------------------------------------------------------------------
def np_geometry(n, k, s, d, padding, pair=(0, 0)):
    """(out, before, after) from TF's documented formulas."""
    e = (k - 1) * d + 1
    if padding == "VALID":
        return (n - e) // s + 1, 0, 0
    if padding == "SAME":
        out = -(-n // s)
        total = max((out - 1) * s + e - n, 0)
        return out, total // 2, total - total // 2
    return (n + pair[0] + pair[1] - e) // s + 1, pair[0], pair[1]


def _cl(x, fmt):
    return np.moveaxis(x, 1, -1) if fmt.startswith("NC") else x


def _from_cl(x, fmt):
    return np.moveaxis(x, -1, 1) if fmt.startswith("NC") else x


def _prep(x_shape_cl, ksize, strides, dilations, padding, explicit):
    nd = len(ksize)
    geo = [np_geometry(x_shape_cl[1 + i], ksize[i], strides[i], dilations[i], padding,
                       explicit[i] if explicit else (0, 0)) for i in range(nd)]
    outs = [g[0] for g in geo]
    pads = [(g[1], g[2]) for g in geo]
    return outs, pads


def _cells(outs, ksize, strides, dilations):
    for o in itertools.product(*[range(v) for v in outs]):
        for k in itertools.product(*[range(v) for v in ksize]):
            pos = tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, strides, dilations))
            yield o, k, pos


def np_conv(x, w, strides, padding, dilations=None, fmt="NHWC", explicit=None):
    nd = w.ndim - 2
    dilations = dilations or [1] * nd
    x = _cl(x, fmt)
    outs, pads = _prep(x.shape, w.shape[:nd], strides, dilations, padding, explicit)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    y = np.zeros((x.shape[0], *outs, w.shape[-1]))
    for o, k, pos in _cells(outs, w.shape[:nd], strides, dilations):
        y[(slice(None),) + o] += xp[(slice(None),) + pos] @ w[k]
    return _from_cl(y, fmt).astype(x.dtype)


def np_conv_input_grad(x_shape, w, dy, strides, padding, dilations=None, fmt="NHWC",
                       explicit=None):
    nd = w.ndim - 2
    dilations = dilations or [1] * nd
    shape = list(x_shape)
    if fmt.startswith("NC"):
        shape = [shape[0]] + shape[2:] + [shape[1]]
    dy = _cl(dy, fmt)
    outs, pads = _prep(shape, w.shape[:nd], strides, dilations, padding, explicit)
    dxp = np.zeros([shape[0]] + [n + b + a for n, (b, a) in zip(shape[1:-1], pads)]
                   + [shape[-1]])
    for o, k, pos in _cells(outs, w.shape[:nd], strides, dilations):
        dxp[(slice(None),) + pos] += dy[(slice(None),) + o] @ w[k].T
    inner = (slice(None),) + tuple(slice(b, b + n) for (b, _), n in zip(pads, shape[1:-1]))
    return _from_cl(dxp[inner], fmt).astype(dy.dtype)


def np_conv_filter_grad(x, w_shape, dy, strides, padding, dilations=None, fmt="NHWC",
                        explicit=None):
    nd = len(w_shape) - 2
    dilations = dilations or [1] * nd
    x, dy = _cl(x, fmt), _cl(dy, fmt)
    outs, pads = _prep(x.shape, w_shape[:nd], strides, dilations, padding, explicit)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    dw = np.zeros(w_shape)
    for o, k, pos in _cells(outs, w_shape[:nd], strides, dilations):
        dw[k] += xp[(slice(None),) + pos].T @ dy[(slice(None),) + o]
    return dw.astype(x.dtype)


def np_grouped_conv(x, w, strides, padding, fmt="NHWC"):
    """A grouped convolution from its definition: group g convolves input channels
    [g * fc, (g + 1) * fc) with output channels [g * ocg, (g + 1) * ocg)."""
    xc = _cl(x, fmt)
    fc, oc = w.shape[-2], w.shape[-1]
    groups = xc.shape[-1] // fc
    ocg = oc // groups
    ys = [np_conv(xc[..., g * fc:(g + 1) * fc], w[..., g * ocg:(g + 1) * ocg], strides,
                  padding) for g in range(groups)]
    return _from_cl(np.concatenate(ys, axis=-1), fmt)


def np_depthwise(x, w, strides, padding, dilations=(1, 1), fmt="NHWC"):
    x = _cl(x, fmt)
    outs, pads = _prep(x.shape, w.shape[:2], strides, dilations, padding, None)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    c, m = w.shape[2:]
    y = np.zeros((x.shape[0], *outs, c, m))
    for o, k, pos in _cells(outs, w.shape[:2], strides, dilations):
        y[(slice(None),) + o] += xp[(slice(None),) + pos][..., None] * w[k]
    return _from_cl(y.reshape(x.shape[0], *outs, c * m), fmt).astype(x.dtype)


def np_depthwise_input_grad(x_shape, w, dy, strides, padding, dilations=(1, 1)):
    outs, pads = _prep(x_shape, w.shape[:2], strides, dilations, padding, None)
    c, m = w.shape[2:]
    dy = dy.reshape(dy.shape[:-1] + (c, m))
    dxp = np.zeros([x_shape[0]] + [n + b + a for n, (b, a) in zip(x_shape[1:-1], pads)] + [c])
    for o, k, pos in _cells(outs, w.shape[:2], strides, dilations):
        dxp[(slice(None),) + pos] += (dy[(slice(None),) + o] * w[k]).sum(-1)
    return dxp[:, pads[0][0]:pads[0][0] + x_shape[1], pads[1][0]:pads[1][0] + x_shape[2]]


def np_depthwise_filter_grad(x, w_shape, dy, strides, padding, dilations=(1, 1)):
    outs, pads = _prep(x.shape, w_shape[:2], strides, dilations, padding, None)
    c, m = w_shape[2:]
    dy = dy.reshape(dy.shape[:-1] + (c, m))
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    dw = np.zeros(w_shape)
    for o, k, pos in _cells(outs, w_shape[:2], strides, dilations):
        dw[k] += (xp[(slice(None),) + pos][..., None] * dy[(slice(None),) + o]).sum(0)
    return dw


def normal(*shape, dtype=np.float64):
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def inputs(*makers):
    return lambda rng: [m(rng) for m in makers]


def _conv_row(name, x_shape, w_shape, strides, padding, dilations=None, fmt=None,
              explicit=None, dtype=np.float64, grad=True, **kw):
    nd = len(w_shape) - 2
    fmt = fmt or ("NHWC" if nd == 2 else "NDHWC")
    full = (lambda v: [1, 1] + list(v)) if fmt.startswith("NC") else (
        lambda v: [1] + list(v) + [1])
    pad_arg = padding
    if padding == "EXPLICIT":
        pairs = [[0, 0]] + [list(p) for p in explicit] + [[0, 0]]
        pad_arg = [pairs[0], pairs[-1]] + pairs[1:-1] if fmt.startswith("NC") else pairs
    op = tf.nn.conv2d if nd == 2 else tf.nn.conv3d

    def build(x, w):
        return op(x, w, full(strides), pad_arg, data_format=fmt,
                  dilations=full(dilations or [1] * nd))

    def ref(x, w):
        return np_conv(x, w, strides, padding, dilations, fmt, explicit)

    return OpCase(name, build, ref, inputs(normal(*x_shape, dtype=dtype),
                                           normal(*w_shape, dtype=dtype)), grad=grad, **kw)


def _grad_rows():
    rows = []
    # Conv2DBackpropInput / Filter as ops of their own (their gradients are second order).
    x_shape, w_shape, dy_shape = (2, 5, 4, 3), (3, 2, 3, 2), (2, 3, 2, 2)

    rows.append(OpCase(
        "conv2d_backprop_input_same_stride2",
        lambda w, dy: tf.nn.conv2d_backprop_input(list(x_shape), w, dy, [1, 2, 2, 1], "SAME"),
        lambda w, dy: np_conv_input_grad(x_shape, w, dy, [2, 2], "SAME"),
        inputs(normal(*w_shape), normal(*dy_shape))))
    rows.append(OpCase(
        "conv2d_backprop_filter_same_stride2",
        lambda x, dy: tf.nn.conv2d_backprop_filter(x, list(w_shape), dy, [1, 2, 2, 1], "SAME"),
        lambda x, dy: np_conv_filter_grad(x, w_shape, dy, [2, 2], "SAME"),
        inputs(normal(*x_shape), normal(*dy_shape))))
    rows.append(OpCase(
        "conv2d_backprop_input_nchw_dilated",
        lambda w, dy: tf.nn.conv2d_backprop_input([1, 2, 5, 5], w, dy, [1, 1, 1, 1], "VALID",
                                                  data_format="NCHW",
                                                  dilations=[1, 1, 2, 2]),
        lambda w, dy: np_conv_input_grad((1, 2, 5, 5), w, dy, [1, 1], "VALID", [2, 2],
                                         "NCHW"),
        inputs(normal(2, 2, 2, 3), normal(1, 3, 3, 3))))
    rows.append(OpCase(
        "conv2d_transpose_stride2",
        lambda v, w: tf.nn.conv2d_transpose(v, w, [2, 6, 6, 2], [1, 2, 2, 1], "SAME"),
        lambda v, w: np_conv_input_grad((2, 6, 6, 2), w, v, [2, 2], "SAME"),
        inputs(normal(2, 3, 3, 3), normal(3, 3, 2, 3))))
    rows.append(OpCase(
        "conv3d_transpose",
        lambda v, w: tf.nn.conv3d_transpose(v, w, [1, 4, 3, 3, 2], [1, 2, 1, 1, 1], "SAME"),
        lambda v, w: np_conv_input_grad((1, 4, 3, 3, 2), w, v, [2, 1, 1], "SAME"),
        inputs(normal(1, 2, 3, 3, 2), normal(2, 2, 2, 2, 2))))
    rows.append(OpCase(
        "conv3d_backprop_filter_v2",
        lambda x, dy: tf.nn.conv3d_backprop_filter_v2(x, [2, 2, 2, 2, 2], dy, [1, 1, 1, 1, 1],
                                                      "VALID"),
        lambda x, dy: np_conv_filter_grad(x, (2, 2, 2, 2, 2), dy, [1, 1, 1], "VALID"),
        inputs(normal(1, 3, 3, 3, 2), normal(1, 2, 2, 2, 2))))
    rows.append(OpCase(
        "depthwise_backprop_input",
        lambda w, dy: tf.nn.depthwise_conv2d_native_backprop_input(
            [1, 4, 4, 2], w, dy, [1, 2, 2, 1], "SAME"),
        lambda w, dy: np_depthwise_input_grad((1, 4, 4, 2), w, dy, [2, 2], "SAME"),
        inputs(normal(3, 3, 2, 2), normal(1, 2, 2, 4))))
    rows.append(OpCase(
        "depthwise_backprop_filter",
        lambda x, dy: tf.nn.depthwise_conv2d_native_backprop_filter(
            x, [3, 3, 2, 2], dy, [1, 2, 2, 1], "SAME"),
        lambda x, dy: np_depthwise_filter_grad(x, (3, 3, 2, 2), dy, [2, 2], "SAME"),
        inputs(normal(1, 4, 4, 2), normal(1, 2, 2, 4))))
    # Grouped convolution's gradient ops (groups = 6 / 2 = 3), against the grouped forward's
    # adjoints: <dy, conv(x, w)> is linear in x and in w.
    gx_shape, gw_shape = (2, 5, 4, 6), (3, 3, 2, 3)
    rows.append(OpCase(
        "conv2d_backprop_input_grouped",
        lambda w, dy: tf.nn.conv2d_backprop_input(list(gx_shape), w, dy, [1, 2, 1, 1], "SAME"),
        lambda w, dy: np.concatenate(
            [np_conv_input_grad(gx_shape[:3] + (2,), w[..., g:g + 1], dy[..., g:g + 1],
                                [2, 1], "SAME") for g in range(3)], axis=-1),
        inputs(normal(*gw_shape), normal(2, 3, 4, 3))))
    rows.append(OpCase(
        "conv2d_backprop_filter_grouped",
        lambda x, dy: tf.nn.conv2d_backprop_filter(x, list(gw_shape), dy, [1, 2, 1, 1], "SAME"),
        lambda x, dy: np.concatenate(
            [np_conv_filter_grad(x[..., 2 * g:2 * g + 2], (3, 3, 2, 1), dy[..., g:g + 1],
                                 [2, 1], "SAME") for g in range(3)], axis=-1),
        inputs(normal(*gx_shape), normal(2, 3, 4, 3))))
    return rows


def _separable_ref(x, dw, pw):
    return np_conv(np_depthwise(x, dw, [1, 1], "SAME"), pw, [1, 1], "VALID")


CASES = [
    _conv_row("conv2d_valid", (2, 5, 5, 2), (3, 3, 2, 3), [1, 1], "VALID"),
    _conv_row("conv2d_same_odd_pad", (1, 5, 6, 2), (2, 3, 2, 2), [1, 1], "SAME"),
    _conv_row("conv2d_same_stride2", (2, 6, 5, 2), (3, 3, 2, 2), [2, 2], "SAME"),
    _conv_row("conv2d_valid_stride_remainder", (1, 7, 6, 1), (3, 2, 1, 2), [2, 3], "VALID"),
    _conv_row("conv2d_dilated_same", (1, 6, 6, 2), (2, 2, 2, 2), [1, 1], "SAME",
              dilations=[2, 2]),
    _conv_row("conv2d_explicit", (1, 4, 4, 2), (3, 2, 2, 2), [1, 2], "EXPLICIT",
              explicit=[(1, 2), (0, 1)]),
    _conv_row("conv2d_nchw", (2, 2, 5, 4), (3, 3, 2, 3), [2, 1], "SAME", fmt="NCHW"),
    _conv_row("conv2d_nchw_explicit", (1, 2, 4, 4), (2, 2, 2, 2), [1, 1], "EXPLICIT",
              fmt="NCHW", explicit=[(1, 0), (2, 1)]),
    _conv_row("conv2d_1x1", (2, 3, 3, 4), (1, 1, 4, 3), [1, 1], "VALID"),
    _conv_row("conv2d_f32", (2, 8, 8, 3), (5, 5, 3, 4), [1, 1], "SAME", dtype=np.float32,
              grad=False, atol=1e-5, rtol=1e-5),
    _conv_row("conv2d_f16", (1, 5, 5, 2), (3, 3, 2, 2), [1, 1], "SAME", dtype=np.float16,
              grad=False, atol=2e-2, rtol=2e-2),
    OpCase("conv2d_grouped_stride2",
           lambda x, w: tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"),
           lambda x, w: np_grouped_conv(x, w, [2, 2], "SAME"),
           inputs(normal(2, 5, 5, 4), normal(3, 3, 2, 6))),
    OpCase("conv2d_grouped_nchw",
           lambda x, w: tf.nn.conv2d(x, w, 1, "VALID", data_format="NCHW"),
           lambda x, w: np_grouped_conv(x, w, [1, 1], "VALID", "NCHW"),
           inputs(normal(1, 6, 4, 4), normal(2, 2, 2, 3))),
    OpCase("conv2d_depthwise_as_groups",
           lambda x, w: tf.nn.conv2d(x, w, 1, "SAME"),
           lambda x, w: np_grouped_conv(x, w, [1, 1], "SAME"),
           inputs(normal(1, 4, 4, 3), normal(2, 2, 1, 3))),
    _conv_row("conv3d_same", (1, 3, 4, 4, 2), (2, 3, 2, 2, 2), [1, 2, 1], "SAME"),
    _conv_row("conv3d_ncdhw_valid", (1, 2, 3, 4, 3), (2, 2, 2, 2, 2), [1, 1, 2], "VALID",
              fmt="NCDHW"),
    OpCase("conv1d_same_stride2", lambda x, w: tf.nn.conv1d(x, w, 2, "SAME"),
           lambda x, w: np_conv(x, w, [2], "SAME"), inputs(normal(2, 7, 2), normal(3, 2, 3))),
    OpCase("conv1d_ncw_dilated",
           lambda x, w: tf.nn.conv1d(x, w, 1, "VALID", data_format="NCW", dilations=2),
           lambda x, w: np_conv(x, w, [1], "VALID", [2], "NCW"),
           inputs(normal(1, 2, 7), normal(2, 2, 2))),
    OpCase("convolution_2d_dilated",
           lambda x, w: tf.nn.convolution(x, w, "SAME", dilation_rate=[2, 1]),
           lambda x, w: np_conv(x, w, [1, 1], "SAME", [2, 1]),
           inputs(normal(1, 5, 4, 2), normal(2, 2, 2, 2))),
    OpCase("convolution_1d_strided",
           lambda x, w: tf.nn.convolution(x, w, "VALID", strides=[2]),
           lambda x, w: np_conv(x, w, [2], "VALID"), inputs(normal(1, 6, 2), normal(2, 2, 2))),
    OpCase("convolution_3d",
           lambda x, w: tf.nn.convolution(x, w, "VALID"),
           lambda x, w: np_conv(x, w, [1, 1, 1], "VALID"),
           inputs(normal(1, 3, 3, 3, 1), normal(2, 2, 2, 1, 2))),
    OpCase("atrous_conv2d", lambda x, w: tf.nn.atrous_conv2d(x, w, 2, "SAME"),
           lambda x, w: np_conv(x, w, [1, 1], "SAME", [2, 2]),
           inputs(normal(1, 5, 5, 2), normal(2, 2, 2, 2))),
    OpCase("depthwise_same_stride2",
           lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME"),
           lambda x, w: np_depthwise(x, w, [2, 2], "SAME"),
           inputs(normal(2, 5, 4, 2), normal(3, 2, 2, 2))),
    OpCase("depthwise_rate2",
           lambda x, w: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID", rate=[2, 2]),
           lambda x, w: np_depthwise(x, w, [1, 1], "VALID", [2, 2]),
           inputs(normal(1, 5, 5, 2), normal(2, 2, 2, 1))),
    OpCase("depthwise_nchw",
           lambda x, w: tf.nn.depthwise_conv2d_native(x, w, [1, 1, 1, 1], "SAME",
                                                      data_format="NCHW"),
           lambda x, w: np_depthwise(x, w, [1, 1], "SAME", fmt="NCHW"),
           inputs(normal(1, 2, 4, 3), normal(2, 2, 2, 2))),
    OpCase("separable_conv2d",
           lambda x, dw, pw: tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "SAME"),
           _separable_ref, inputs(normal(1, 4, 4, 2), normal(2, 2, 2, 2), normal(1, 1, 4, 3))),
    OpCase("conv2d_fed_unknown_shapes",
           lambda x, w: tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME"),
           lambda x, w: np_conv(x, w, [2, 2], "SAME"),
           inputs(normal(1, 5, 5, 2), normal(3, 3, 2, 2)), feed=True, grad=False),
] + _grad_rows()


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=ids([c for c in CASES
                                                                      if c.grad]))
def test_gradient(case):
    check_gradient(case)


# ----- inference and messages ----------------------------------------------------------------
def _x():
    return tf.placeholder(tf.float32, [2, 5, 5, 3])


def test_shapes_are_inferred_at_build_time():
    with tf.Graph().as_default():
        x = _x()
        assert tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8]), [1, 2, 2, 1], "SAME").shape == \
            (2, 3, 3, 8)
        assert tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8]), 1, "VALID").shape == (2, 3, 3, 8)
        assert tf.nn.depthwise_conv2d(x, tf.zeros([3, 3, 3, 2]), [1, 1, 1, 1],
                                      "SAME").shape == (2, 5, 5, 6)
        assert tf.nn.conv1d(tf.zeros([2, 9, 3]), tf.zeros([3, 3, 4]), 2, "SAME").shape == \
            (2, 5, 4)
        y = tf.nn.conv2d(tf.placeholder(tf.float32, [None, 28, 28, 1]),
                         tf.zeros([5, 5, 1, 32]), [1, 1, 1, 1], "SAME")
        assert y.shape.as_list() == [None, 28, 28, 32]


@pytest.mark.parametrize("build, error, message", [
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 4, 8]), [1, 1, 1, 1], "SAME"), ValueError,
     (r"Depth of input \(3\) is not a multiple of input depth of filter \(4\) for 'Conv2D' "
      r"\(op: 'Conv2D'\) with input shapes: \[2,5,5,3\], \[3,3,4,8\]")),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 1, 5]), 1, "SAME"), ValueError,
     r"Depth of output \(5\) is not a multiple of the number of groups \(3\) for 'Conv2D'"),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 3]), [1, 1, 1, 1], "SAME"), ValueError,
     "Shape must be rank 4 but is rank 3"),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8]), [1, 1, 1], "SAME"), ValueError,
     r"strides should be of length 1, 2 or 4. Received: strides=\[1, 1, 1\] of length 3"),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8]), [2, 1, 1, 1], "SAME"), ValueError,
     "does not yet support strides in the batch and depth dimensions"),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8]), 1, "FOO"), ValueError,
     ("Attr 'padding' of 'Conv2D' Op passed string 'FOO' not in: \"SAME\", \"VALID\", "
      "\"EXPLICIT\"")),
    (lambda x: tf.nn.conv2d(x, tf.zeros([7, 7, 3, 8]), 1, "VALID"), ValueError,
     "Negative dimension size caused by subtracting 7 from 5"),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8]), 1, [[1, 0], [1, 1], [2, 0], [0, 0]]),
     ValueError, "Nonzero explicit padding in the batch or depth dimensions is not supported"),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8]), 1, "SAME", data_format="NWHC"),
     ValueError, "Attr 'data_format' of 'Conv2D' Op passed string 'NWHC' not in"),
    (lambda x: tf.nn.conv2d(x, tf.zeros([3, 3, 3, 8], tf.float64), 1, "SAME"), TypeError,
     "filter"),
    (lambda x: tf.nn.depthwise_conv2d(x, tf.zeros([3, 3, 4, 2]), [1, 1, 1, 1], "SAME"),
     ValueError, "Dimensions must be equal, but are 3 and 4 for 'depthwise'"),
    (lambda x: tf.nn.conv2d_transpose(x, tf.zeros([3, 3, 8, 4]), [2, 10, 10, 8],
                                      [1, 2, 2, 1], "SAME"),
     ValueError, "input channels does not match filter's input channels, 3 != 4"),
    (lambda x: tf.nn.conv2d_transpose(x, tf.zeros([3, 3, 8, 3]), [2, 10, 10, 7],
                                      [1, 2, 2, 1], "SAME"),
     ValueError, "output_shape does not match filter's output channels, 7 != 8"),
    (lambda x: tf.nn.separable_conv2d(x, tf.zeros([3, 3, 3, 2]), tf.zeros([1, 1, 5, 4]),
                                      [1, 1, 1, 1], "SAME"),
     ValueError, r"Depth of input \(6\) is not a multiple of input depth of filter \(5\)"),
    (lambda x: tf.nn.atrous_conv2d(x, tf.zeros([3, 3, 3, 4]), 0, "SAME"), ValueError,
     "rate 0 cannot be less than one"),
    (lambda x: tf.nn.convolution(x, tf.zeros([3, 3, 3, 4]), "SAME", strides=[2, 2],
                                 dilation_rate=[2, 2]),
     ValueError, "`strides > 1` not supported in conjunction with `dilation_rate > 1`"),
])
def test_build_time_errors_use_tf_messages(build, error, message):
    with tf.Graph().as_default(), pytest.raises(error, match=message):
        build(_x())


def _run(t, feed):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_run_time_errors_for_shapes_known_only_when_fed():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None, None, None])
        y = tf.nn.conv2d(x, tf.zeros([7, 7, 3, 8]), [1, 1, 1, 1], "VALID")
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Computed output size would be negative: -1 \[input_size: 5, "
                                 r"effective_filter_size: 7, stride: 1\]"):
            _run(y, {x: np.zeros([1, 5, 5, 3], np.float32)})
        z = tf.nn.conv2d(x, tf.zeros([3, 3, 4, 8]), [1, 1, 1, 1], "VALID")
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="input depth must be evenly divisible by filter depth: 3 vs 4"):
            _run(z, {x: np.zeros([1, 5, 5, 3], np.float32)})
        u = tf.nn.conv2d(x, tf.zeros([3, 3, 1, 4]), [1, 1, 1, 1], "VALID")
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Depth of output \(4\) is not a multiple of the number of "
                                 r"groups \(3\)"):
            _run(u, {x: np.zeros([1, 5, 5, 3], np.float32)})
        dy = tf.placeholder(tf.float32, [None, None, None, None])
        dx = tf.nn.conv2d_backprop_input([2, 5, 5, 3], tf.zeros([3, 3, 3, 4]), dy,
                                         [1, 2, 2, 1], "SAME")
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Size of out_backprop doesn't match computed: actual = 2, "
                                 "computed = 3"):
            _run(dx, {dy: np.zeros([2, 2, 3, 4], np.float32)})


def test_conv2d_gradient_ops_have_tf_names():
    with tf.Graph().as_default():
        x = _x()
        w = tf.zeros([3, 3, 3, 4])
        dx, dw = tf.gradients(tf.reduce_sum(tf.nn.conv2d(x, w, 1, "SAME")), [x, w])
        assert dx.op.type == "Conv2DBackpropInput"
        assert dw.op.type == "Conv2DBackpropFilter"
        assert dx.shape == (2, 5, 5, 3) and dw.shape == (3, 3, 3, 4)
