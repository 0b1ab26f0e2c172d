"""tf.contrib.layers regularizers: values against numpy, TF's op names, scale checks,
sum/l1_l2 composition and apply_regularization."""

import numpy as np
import pytest

import flowexec as tf
from tests.contrib.helpers import run

L = tf.contrib.layers
W = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)


def test_l1_and_l2_values_and_names():
    w = tf.constant(W)
    l1 = L.l1_regularizer(0.3)(w)
    l2 = L.l2_regularizer(0.2)(w)
    assert l1.op.name == "l1_regularizer" and l1.op.type == "Mul"
    assert l2.op.name == "l2_regularizer" and l2.op.type == "Mul"
    assert l2.graph.get_tensor_by_name("l2_regularizer/scale:0").dtype == tf.float32
    v1, v2 = run([l1, l2])
    np.testing.assert_allclose(v1, 0.3 * np.abs(W).sum(), rtol=1e-6)
    np.testing.assert_allclose(v2, 0.2 * (W ** 2).sum() / 2, rtol=1e-6)
    assert L.l2_regularizer(0.1, scope="decay")(w).op.name == "decay"


def test_scale_validation_messages():
    with pytest.raises(ValueError, match="scale cannot be an integer: 2"):
        L.l1_regularizer(2)
    with pytest.raises(ValueError, match="scale cannot be an integer: 1"):
        L.l2_regularizer(1)
    with pytest.raises(ValueError) as err:
        L.l1_regularizer(-0.5)
    assert str(err.value) == "Setting a scale less than 0 on a regularizer: -0.5"
    with pytest.raises(ValueError) as err:
        L.l2_regularizer(-0.5)
    assert str(err.value) == "Setting a scale less than 0 on a regularizer: -0.5."
    with pytest.raises(ValueError, match="scale_l1 cannot be an integer: 1"):
        L.l1_l2_regularizer(1, 0.1)
    with pytest.raises(ValueError, match="scale_l2 cannot be an integer: 2"):
        L.l1_l2_regularizer(0.1, 2)


def test_zero_scale_disables_regularizer():
    w = tf.constant(W)
    assert L.l1_regularizer(0.0)(w) is None
    assert L.l2_regularizer(0.0)(w) is None
    # A disabled regularizer on a layer adds no loss.
    L.fully_connected(tf.zeros([2, 3]), 4, weights_regularizer=L.l2_regularizer(0.0))
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == []


def test_l1_l2_and_sum_regularizer():
    w = tf.constant(W)
    both = L.l1_l2_regularizer(0.1, 0.2)(w)
    assert both.op.name == "l1_l2_regularizer" and both.op.type == "AddN"
    only_l2 = L.l1_l2_regularizer(0.0, 0.2)(w)
    assert only_l2.op.name == "l1_l2_regularizer_1" and only_l2.op.type == "Mul"
    summed = L.sum_regularizer([L.l1_regularizer(0.1), None, L.l2_regularizer(0.0)])(w)
    assert summed.op.name == "sum_regularizer"
    assert L.sum_regularizer([None]) is None
    assert L.sum_regularizer([L.l2_regularizer(0.0)])(w) is None
    vb, vl2, vs = run([both, only_l2, summed])
    np.testing.assert_allclose(vb, 0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum() / 2,
                               rtol=1e-6)
    np.testing.assert_allclose(vl2, 0.2 * (W ** 2).sum() / 2, rtol=1e-6)
    np.testing.assert_allclose(vs, 0.1 * np.abs(W).sum(), rtol=1e-6)


def test_apply_regularization_sums_into_regularization_losses():
    a = tf.get_variable("a", initializer=W)
    b = tf.get_variable("b", initializer=2 * W)
    penalty = L.apply_regularization(L.l2_regularizer(0.5), [a, b])
    assert penalty.op.name == "get_regularization_penalty" and penalty.op.type == "AddN"
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == [penalty]
    np.testing.assert_allclose(run(penalty), 0.5 * 5 * (W ** 2).sum() / 2, rtol=1e-6)
    # None penalties count as 0; the WEIGHTS collection is the default list.
    tf.add_to_collection(tf.GraphKeys.WEIGHTS, a)
    assert run(L.apply_regularization(L.l1_regularizer(0.0))) == 0.0


def test_apply_regularization_errors():
    with pytest.raises(ValueError, match="No weights to regularize."):
        L.apply_regularization(L.l2_regularizer(0.1))
    with pytest.raises(ValueError, match="regularizer must return a scalar Tensor instead "
                                         "of a Tensor with rank 2."):
        L.apply_regularization(lambda w: w * 2.0, [tf.constant(W)])
