"""_ConvWithPatches and _ConvBackpropFilterFromPatches (made by the optimizer's patch
sharing) against numpy: the convolution from its definition, the patch matrix built by
explicit loops, and the filter gradient of the ops they replace."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import registry
from tests.ops.harness import OpCase, check_forward, ids
from tests.ops.test_conv import np_conv, np_conv_filter_grad, np_grouped_conv


def np_patches(x, ksize, strides, padding):
    """Rows (n, *out positions), columns (*kernel offset, channel), by loops."""
    sizes = x.shape[1:-1]
    geo = []
    for n, k, s in zip(sizes, ksize, strides):
        out = -(-n // s) if padding == "SAME" else (n - k) // s + 1
        total = max((out - 1) * s + k - n, 0) if padding == "SAME" else 0
        geo.append((out, total // 2, total - total // 2))
    xp = np.pad(x, [(0, 0)] + [(b, a) for _, b, a in geo] + [(0, 0)])
    rows = []
    for b in range(x.shape[0]):
        for o in np.ndindex(*[g[0] for g in geo]):
            row = [xp[(b,) + tuple(oi * s + ki for oi, s, ki in zip(o, strides, k))]
                   for k in np.ndindex(*ksize)]
            rows.append(np.concatenate(row))
    return np.array(rows)


def _with_patches(forward_type, strides, padding):
    nd = 3 if forward_type == "Conv3D" else 2
    data_format = "NDHWC" if nd == 3 else "NHWC"
    full = [1] + list(strides) + [1]
    extra = {"explicit_paddings": []} if nd == 2 else {}

    def build(x, w):
        return registry.apply_op("_ConvWithPatches", x, w, name="cwp", forward_type=forward_type,
                                 strides=full, padding=padding, data_format=data_format,
                                 dilations=[1] * (nd + 2), **extra)
    return build


def _from_patches(w_shape, forward_type="Conv2D"):
    def build(p, dy):
        return registry.apply_op("_ConvBackpropFilterFromPatches", p, tf.constant(list(w_shape)),
                                 dy, name="fp", forward_type=forward_type, data_format="NHWC")
    return build


def _rng_inputs(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


CASES = [
    OpCase("conv_with_patches_same_stride2", _with_patches("Conv2D", [2, 1], "SAME"),
           lambda x, w: (np_conv(x, w, [2, 1], "SAME"), np_patches(x, (3, 2), [2, 1], "SAME")),
           _rng_inputs((2, 5, 4, 3), (3, 2, 3, 4)), grad=False),
    OpCase("conv_with_patches_grouped", _with_patches("Conv2D", [1, 1], "VALID"),
           lambda x, w: (np_grouped_conv(x, w, [1, 1], "VALID"),
                         np_patches(x, (2, 2), [1, 1], "VALID")),
           _rng_inputs((1, 4, 4, 4), (2, 2, 2, 6)), grad=False),
    OpCase("conv3d_with_patches", _with_patches("Conv3D", [1, 2, 1], "SAME"),
           lambda x, w: (np_conv(x, w, [1, 2, 1], "SAME"),
                         np_patches(x, (2, 2, 2), [1, 2, 1], "SAME")),
           _rng_inputs((1, 3, 4, 3, 2), (2, 2, 2, 2, 3)), grad=False),
    OpCase("conv_backprop_filter_from_patches", _from_patches((3, 2, 3, 4)),
           lambda p, dy: np_conv_filter_grad(
               _X, (3, 2, 3, 4), dy, [2, 1], "SAME"),
           lambda rng: [np_patches(_X, (3, 2), [2, 1], "SAME"),
                        rng.standard_normal((2, 3, 4, 4))], grad=False),
]
_X = np.random.default_rng(7).standard_normal((2, 5, 4, 3))


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


def test_from_patches_refuses_patches_that_do_not_fit():
    with tf.Graph().as_default():
        p = tf.placeholder(tf.float64, [None, None])
        dw = _from_patches((3, 3, 3, 4))(p, tf.zeros([2, 3, 4, 4], tf.float64))
        with tf.Session() as sess, pytest.raises(
                tf.errors.InvalidArgumentError,
                match=r"patches of shape \[24, 17\] do not match filter_sizes \[3, 3, 3, 4\]"):
            sess.run(dw, {p: np.zeros((24, 17))})
