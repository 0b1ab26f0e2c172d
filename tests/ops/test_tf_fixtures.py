"""flowexec against values computed by TensorFlow's CPU kernels through tf.compat.v1
(tests/ops/tf_fixture_cases.py builds the same graphs with either library;
scripts/make_conv_fixtures.py wrote the TF side): convolutions, pooling (ties included), LRN,
fused batch norm, depth/space moves, resizing and image ops, with gradients."""

import os

import numpy as np

import flowexec as tf
from tests.ops.tf_fixture_cases import build_cases

_FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "conv_tf.npz")


def test_matches_tensorflow_fixtures():
    data = np.load(_FIXTURES)
    with tf.Graph().as_default():
        names, tensors = build_cases(tf, data)
        with tf.Session() as sess:
            got = sess.run(tensors)
    assert len(names) >= 60
    for name, value in zip(names, got):
        np.testing.assert_allclose(value, data[name], rtol=1e-5, atol=2e-5, err_msg=name)
