"""tf.quantization.quantize_and_dequantize(_v2) (ops QuantizeAndDequantizeV2/V4, in
fake_quant_ops.py): values and gradients bit for bit against TF's recorded ones
(tests/data/tf1/misc_api/quantize_and_dequantize.npz), and a numpy oracle."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.registry import apply_op
from tests.ops.harness import OpCase, check_forward, ids

HERE = os.path.dirname(os.path.abspath(__file__))
REC = np.load(os.path.join(HERE, "..", "data", "tf1", "misc_api", "quantize_and_dequantize.npz"))
X = np.array([-1.7, -1.0, -0.55, -0.25, 0.0, 0.123, 0.5, 0.55, 1.0, 1.6], np.float32)
X2 = np.array([[-1.2, 0.3, 0.9], [0.05, -0.4, 2.5], [0.7, -0.01, 0.2], [-3.0, 1.1, 0.6]],
              np.float32)
QDQ_CASES = {  # as scripts/make_tf_misc_api_fixtures.py recorded them
    "default": (X, 0.0, 0.0, {}),
    "range_given": (X, -1.0, 1.0, {"range_given": True}),
    "unsigned": (np.abs(X), 0.0, 1.0, {"signed_input": False, "range_given": True,
                                      "num_bits": 4}),
    "narrow": (X, -1.0, 1.0, {"range_given": True, "narrow_range": True, "num_bits": 3}),
    "half_up": (X, -1.0, 1.0, {"range_given": True, "round_mode": "HALF_UP", "num_bits": 3}),
    "axis_computed": (X2, np.zeros(3, np.float32), np.zeros(3, np.float32),
                      {"axis": 1, "num_bits": 5}),
    "asym": (X, -0.3, 1.2, {"range_given": True, "num_bits": 4}),
}
FNS = ("quantize_and_dequantize", "quantize_and_dequantize_v2")


def _ref_range_given_3bit(x):
    # signed 3 bits on [-1, 1]: scale = min(-4 / -1, 3 / 1) = 3 (from the max side), so the
    # range becomes [-4 / 3, 1]
    return (np.rint(np.clip(x, np.float32(-4) / 3, 1) * 3) / 3).astype(np.float32)


CASES = [
    OpCase(f"{fn}_range_given", lambda x, fn=fn: getattr(tf.quantization, fn)(
        x, -1.0, 1.0, range_given=True, num_bits=3), _ref_range_given_3bit, [X], grad=False)
    for fn in FNS
] + [
    OpCase("quantize_and_dequantize_v4_grad",
           lambda dy, x: apply_op("QuantizeAndDequantizeV4Grad", dy, x, tf.constant(-1.0),
                                  tf.constant(1.0), axis=-1)[0],
           lambda dy, x: np.where((x >= -1) & (x <= 1), dy, 0).astype(np.float32),
           [np.linspace(1, 2, X.size, dtype=np.float32), X], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("name", sorted(QDQ_CASES))
def test_values_and_gradient_match_tf(fn, name):
    x, lo, hi, kw = QDQ_CASES[name]
    xt = tf.constant(x)
    y = getattr(tf.quantization, fn)(xt, lo, hi, **kw)
    w = tf.constant(np.linspace(0.5, 1.5, x.size, dtype=np.float32).reshape(x.shape))
    dx, = tf.gradients(y * w, xt)
    with tf.Session() as sess:
        got_y, got_dx = sess.run([y, dx])
    np.testing.assert_array_equal(got_y, REC[f"{fn}_{name}_y"])
    np.testing.assert_array_equal(got_dx, REC[f"{fn}_{name}_dx"])


def test_v1_gradient_is_straight_through_and_v2_masks_outside_the_range():
    x = tf.constant([-2.0, 0.5, 2.0])
    g1, = tf.gradients(tf.quantization.quantize_and_dequantize(x, -1.0, 1.0, range_given=True), x)
    g2, = tf.gradients(tf.quantization.quantize_and_dequantize_v2(x, -1.0, 1.0,
                                                                  range_given=True), x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g1), [1, 1, 1])
        np.testing.assert_array_equal(sess.run(g2), [0, 1, 0])


@pytest.mark.parametrize("fn", FNS)
def test_given_per_axis_range_is_refused_as_tf_2_21(fn):
    y = getattr(tf.quantization, fn)(X2, [-1.0, -0.5, -2.0], [1.0, 0.5, 2.0], range_given=True,
                                     axis=1)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match="input_min must be a scalar"):
        sess.run(y)
