"""Graphs recorded in TensorFlow by scripts/make_tf_nnconv_fixtures.py and rebuilt in
flowexec by tests/ops/test_nnconv_fixtures.py: each case is built by the same function from
`tf` (tensorflow.compat.v1 there, flowexec here), so both sides run one program.

A case is (name, build(tf, *inputs) -> Tensor or list, input shapes, grad): `grad` says
whether TF's gradients of sum(out * weights) with respect to the inputs are recorded too.
"""

import zlib

import numpy as np


def inputs(name, shapes):
    rng = np.random.RandomState(zlib.crc32(name.encode()))
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def weights(name, shapes):
    rng = np.random.RandomState(zlib.crc32(name.encode()) ^ 0x5EED)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def build_graph(tf, build, xs):
    """(placeholders, output list, feed) of a case built in the current graph."""
    phs = [tf.placeholder(tf.float32, x.shape, name=f"in{i}") for i, x in enumerate(xs)]
    out = build(tf, *phs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return phs, outs, dict(zip(phs, xs))


# ----- transposed and generic convolutions ---------------------------------------------------
CONV = [
    ("conv_transpose_1d_nwc", lambda tf, x, w: tf.nn.conv_transpose(x, w, [2, 10, 4], 2),
     [(2, 5, 3), (3, 4, 3)], True),
    ("conv_transpose_2d_valid", lambda tf, x, w: tf.nn.conv_transpose(
        x, w, [2, 9, 7, 2], [2, 2], padding="VALID"), [(2, 4, 3, 3), (3, 3, 2, 3)], True),
    ("conv_transpose_3d", lambda tf, x, w: tf.nn.conv_transpose(
        x, w, [1, 4, 6, 4, 2], [1, 1, 2, 1, 1]), [(1, 4, 3, 4, 3), (2, 2, 2, 2, 3)], True),
    ("conv1d_transpose_valid", lambda tf, x, w: tf.nn.conv1d_transpose(
        x, w, [2, 11, 3], 3, padding="VALID"), [(2, 3, 4), (3, 3, 4)], True),
    ("atrous_conv2d_transpose_same", lambda tf, x, w: tf.nn.atrous_conv2d_transpose(
        x, w, [2, 7, 6, 3], 2, "SAME"), [(2, 7, 6, 4), (3, 3, 3, 4)], True),
    ("atrous_conv2d_transpose_valid", lambda tf, x, w: tf.nn.atrous_conv2d_transpose(
        x, w, [1, 9, 8, 2], 3, "VALID"), [(1, 6, 2, 3), (2, 3, 2, 3)], True),
    ("atrous_conv2d_transpose_rate1", lambda tf, x, w: tf.nn.atrous_conv2d_transpose(
        x, w, [1, 5, 5, 2], 1, "SAME"), [(1, 5, 5, 3), (3, 3, 2, 3)], True),
    ("conv_generic_2d", lambda tf, x, w: tf.conv(x, w, [1, 2, 1, 1], "SAME"),
     [(2, 7, 6, 3), (2, 3, 3, 4)], False),
    ("conv_generic_batch_dims", lambda tf, x, w: tf.conv(x, w, [1, 1, 1, 1], "VALID",
                                                         batch_dims=2),
     [(2, 3, 5, 6, 3), (2, 2, 3, 4)], False),
    ("conv_generic_explicit", lambda tf, x, w: tf.conv(
        x, w, [1, 1, 1, 1], "EXPLICIT", explicit_paddings=[0, 0, 1, 2, 0, 1, 0, 0]),
     [(1, 4, 5, 2), (3, 2, 2, 3)], False),
    ("conv_generic_3d", lambda tf, x, w: tf.conv(x, w, [1, 1, 2, 1, 1], "SAME"),
     [(1, 3, 4, 5, 2), (2, 2, 2, 2, 3)], False),
    ("conv3d_backprop_filter", lambda tf, x, dy: tf.nn.conv3d_backprop_filter(
        x, [2, 2, 2, 2, 3], dy, [1, 1, 1, 1, 1], "SAME"), [(1, 3, 4, 4, 2), (1, 3, 4, 4, 3)],
     True),
    ("depthwise_conv2d_backprop_input", lambda tf, w, dy:
        tf.nn.depthwise_conv2d_backprop_input([2, 5, 5, 3], w, dy, [1, 2, 2, 1], "SAME"),
     [(3, 3, 3, 2), (2, 3, 3, 6)], True),
    ("depthwise_conv2d_backprop_filter", lambda tf, x, dy:
        tf.nn.depthwise_conv2d_backprop_filter(x, [3, 3, 3, 2], dy, [1, 1, 1, 1], "VALID"),
     [(2, 6, 5, 3), (2, 4, 3, 6)], True),
]

# ----- N-D pooling -----------------------------------------------------------------------
POOL = [
    ("pool_max_dilated", lambda tf, x: tf.nn.pool(x, [2, 3], "MAX", "VALID",
                                                  dilation_rate=[2, 2]),
     [(2, 7, 8, 3)], True),
    ("pool_avg_dilated_1d", lambda tf, x: tf.nn.pool(x, [3], "AVG", "VALID",
                                                     dilation_rate=[3]), [(2, 11, 2)], True),
    ("pool_avg_same_strided", lambda tf, x: tf.nn.pool(x, [3, 2], "AVG", "SAME",
                                                       strides=[2, 2]), [(2, 7, 6, 2)], True),
    ("pool_max_3d_dilated", lambda tf, x: tf.nn.pool(x, [2, 2, 2], "MAX", "VALID",
                                                     dilation_rate=[1, 2, 2]),
     [(1, 4, 6, 5, 2)], True),
    ("with_space_to_batch_same_conv", lambda tf, x, w: tf.nn.with_space_to_batch(
        x, [2, 2], "SAME", lambda i, n, p: tf.nn.conv2d(i, w, [1, 1, 1, 1], p),
        filter_shape=[3, 3]), [(1, 7, 6, 2), (3, 3, 2, 3)], True),
    ("max_pool_v2_1d", lambda tf, x: tf.nn.max_pool_v2(x, 3, 2, "SAME"), [(2, 9, 3)], True),
    ("max_pool_v2_3d", lambda tf, x: tf.nn.max_pool_v2(x, [2, 1, 2], 2, "VALID"),
     [(1, 5, 4, 5, 2)], True),
    ("avg_pool_v2_2d", lambda tf, x: tf.nn.avg_pool_v2(x, [3, 2], [2, 1], "SAME"),
     [(2, 5, 6, 3)], True),
]

# ----- morphology ------------------------------------------------------------------------
MORPHOLOGY = [
    ("dilation2d_same", lambda tf, x, f: tf.nn.dilation2d(x, f, [1, 1, 1, 1], [1, 1, 1, 1],
                                                          "SAME"),
     [(2, 6, 5, 3), (3, 2, 3)], True),
    ("dilation2d_valid_strided_rates", lambda tf, x, f: tf.nn.dilation2d(
        x, f, [1, 2, 1, 1], [1, 1, 2, 1], "VALID"), [(1, 7, 8, 2), (2, 3, 2)], True),
    ("dilation2d_same_rates", lambda tf, x, f: tf.nn.dilation2d(
        x, f, [1, 1, 2, 1], [1, 2, 2, 1], "SAME"), [(2, 6, 7, 1), (2, 2, 1)], True),
    ("erosion2d_same", lambda tf, x, k: tf.nn.erosion2d(x, k, [1, 1, 1, 1], [1, 1, 1, 1],
                                                        "SAME"),
     [(2, 5, 6, 2), (3, 2, 2)], True),
    ("erosion2d_valid_strided", lambda tf, x, k: tf.nn.erosion2d(
        x, k, [1, 2, 2, 1], [1, 2, 1, 1], "VALID"), [(1, 8, 7, 2), (2, 2, 2)], True),
]

# ----- fractional pooling (TF's Philox sequences for fixed seeds) -------------------------
def _fractional(kind, ratio, pseudo, overlapping, seed, seed2):
    def build(tf, x):
        fn = tf.nn.fractional_max_pool if kind == "max" else tf.nn.fractional_avg_pool
        return list(fn(x, ratio, pseudo, overlapping, deterministic=True, seed=seed,
                       seed2=seed2))
    return build


FRACTIONAL = [
    ("fractional_max_random", _fractional("max", [1.0, 1.44, 1.73, 1.0], False, False, 1, 2),
     [(2, 10, 9, 3)], True),
    ("fractional_max_pseudo_overlapping",
     _fractional("max", [1.0, 1.5, 1.3, 1.0], True, True, 7, 11), [(1, 17, 13, 2)], True),
    ("fractional_max_large_seeds",
     _fractional("max", [1.0, 2.5, 1.2, 1.0], False, True, 2 ** 40 + 3, -5),
     [(1, 23, 11, 1)], True),
    ("fractional_avg_random_overlapping",
     _fractional("avg", [1.0, 1.6, 1.44, 1.0], False, True, 3, 4), [(2, 14, 12, 2)], True),
    ("fractional_avg_pseudo", _fractional("avg", [1.0, 1.7, 2.3, 1.0], True, False, 12345, 9),
     [(1, 20, 23, 2)], True),
]

CASES = CONV + POOL + MORPHOLOGY + FRACTIONAL
