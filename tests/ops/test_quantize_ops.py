"""tf.quantize / quantize_v2, tf.dequantize and tf.quantized_concat, bit for bit against
TensorFlow (tests/data/tf1/quantize/quantize.npz, scripts/make_tf_quantize_fixtures.py):
every mode, round mode, narrow range and quantized type, per-axis ranges, TF's errors."""

import json
import os

import numpy as np
import pytest

import flowexec as tf
from scripts.make_tf_quantize_fixtures import QTYPES, quantized_values
from tests.graph_io.helpers import DATA

FIX = np.load(os.path.join(DATA, "quantize", "quantize.npz"))
TF_CASES = json.loads(str(FIX["cases"]))


def _build(case, i):
    if case["op"] == "quantize":
        kw = {k: case[k] for k in ("mode", "round_mode", "narrow_range", "axis",
                                   "ensure_minimum_range") if k in case}
        return list(tf.quantize(tf.constant(FIX["input"]), case["min"], case["max"],
                                getattr(tf, case["T"]), **kw))
    if case["op"] == "dequantize":
        q = tf.constant(quantized_values(case["T"], (4, 6), i).view(getattr(tf, case["T"]).np))
        kw = {k: case[k] for k in ("mode", "narrow_range", "axis") if k in case}
        return [tf.dequantize(q, case["min"], case["max"], **kw)]
    qt = getattr(tf, case["T"])
    vals = [tf.constant(quantized_values(case["T"], (2, 3), i + j).view(qt.np))
            for j in range(len(case["ranges"]))]
    return list(tf.quantized_concat(case["axis"], vals, [r[0] for r in case["ranges"]],
                                    [r[1] for r in case["ranges"]]))


def _as_ints(value, case):
    value = np.asarray(value)
    return value.view(QTYPES[case["T"]]).reshape(value.shape) if value.dtype.names else value


@pytest.mark.parametrize("i", range(len(TF_CASES)),
                         ids=[f"{i}-{c['op']}-{c['T']}-{c.get('mode', '')}"
                              for i, c in enumerate(TF_CASES)])
def test_matches_tensorflow_bit_for_bit(i):
    case = TF_CASES[i]
    error = f"error{i}"
    if error in FIX.files:
        cls, message = str(FIX[error]).split(": ", 1)
        exc = ValueError if cls == "ValueError" else getattr(tf.errors, cls)
        with pytest.raises(exc) as info:
            outs = _build(case, i)
            with tf.Session() as sess:
                sess.run(outs)
        if exc is not ValueError:  # (TF's kernel-lookup message also names the node)
            assert message.replace(" used by {{node QuantizedConcat}}", "") in str(info.value)
        return
    outs = _build(case, i)
    with tf.Session() as sess:
        got = sess.run(outs)
    for j, value in enumerate(got):
        want = FIX[f"out{i}_{j}"]
        have = _as_ints(value, case)
        assert have.dtype == want.dtype and have.shape == want.shape, (j, have, want)
        np.testing.assert_array_equal(have.reshape(-1).view(np.uint8),
                                      want.reshape(-1).view(np.uint8),
                                      err_msg=f"output {j}: {have} vs {want}")


def test_quantize_round_trips_within_one_step():
    x = np.random.RandomState(0).uniform(-2, 3, size=100).astype(np.float32)
    for mode in ("MIN_COMBINED", "MIN_FIRST", "SCALED"):
        q, lo, hi = tf.quantize(x, -2.0, 3.0, tf.quint16 if mode != "SCALED" else tf.qint16,
                                mode=mode)
        y = tf.dequantize(q, lo, hi, mode=mode)
        with tf.Session() as sess:
            yv, lov, hiv = sess.run([y, lo, hi])
        step = (hiv - lov) / 65535 * (2 if mode == "SCALED" else 1)
        assert np.abs(yv - x).max() <= step, mode


def test_build_time_errors():
    with pytest.raises(TypeError, match="allowed values"):
        tf.quantize([1.0], -1.0, 1.0, tf.int8)
    with pytest.raises(ValueError, match="mode"):
        tf.quantize([1.0], -1.0, 1.0, tf.qint8, mode="MAX")
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        tf.quantize(np.zeros((2, 3), np.float32), [0.0, 0.0], [1.0, 1.0], tf.qint8, axis=1)
    with pytest.raises(TypeError, match="allowed values"):
        tf.quantized_concat(0, [[1.0], [2.0]], [-1.0, -1.0], [1.0, 1.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="min_range must be a scalar"):
        with tf.Session() as sess:
            sess.run(tf.quantize(tf.placeholder_with_default([1.0], [None]),
                                 tf.placeholder_with_default([0.0, 0.0], None), 1.0,
                                 tf.qint8)[0])


def test_not_differentiable():
    x = tf.constant([0.5, -0.5])
    q, lo, hi = tf.quantize(x, -1.0, 1.0, tf.quint8)
    with pytest.raises(LookupError, match="No gradient defined for operation 'Dequantize'"):
        tf.gradients(tf.dequantize(q, lo, hi), x)
