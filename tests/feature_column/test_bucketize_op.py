"""The Bucketize op (flowexec/ops/bucketize_ops.py): TF's recorded bucket ids, a
numpy-oracle CASES table, inference and errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops.bucketize_ops import bucketize
from tests.feature_column import fixtures
from tests.ops import harness
from tests.ops.harness import OpCase

CASES = [
    OpCase("bucketize_float", lambda x: bucketize(x, [-0.5, 0.0, 0.7]),
           lambda x: np.searchsorted(np.float32([-0.5, 0.0, 0.7]), x, "right").astype(np.int32),
           inputs=lambda rng: [rng.standard_normal((3, 4)).astype(np.float32)], grad=False),
    OpCase("bucketize_int64", lambda x: bucketize(x, [0.0, 3.0, 5.0]),
           lambda x: np.searchsorted(np.float32([0, 3, 5]), x.astype(np.float32),
                                     "right").astype(np.int32),
           inputs=[np.array([[-2, 0, 3], [4, 5, 9]], np.int64)], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=harness.ids(CASES))
def test_bucketize_against_numpy(case):
    harness.check_forward(case)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_bucketize_matches_tf(dtype):
    arrays, _ = fixtures.recorded()
    x, want = arrays[f"bucketize/{dtype}/x"], arrays[f"bucketize/{dtype}/y"]
    bounds = {"float32": [0.0, 1.0, 2.5], "float64": [0.1, 0.2], "int32": [0.0, 10.0, 100.0],
              "int64": [2.0, 16777216.0]}[dtype]
    with tf.Session() as sess:
        got = sess.run(bucketize(tf.constant(x), bounds))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_bucketize_infers_shape_and_rejects_strings():
    y = bucketize(tf.placeholder(tf.float32, [None, 3]), [1.0])
    assert y.dtype == tf.int32 and y.shape.as_list() == [None, 3]
    with pytest.raises(TypeError, match="not in list of allowed values"):
        bucketize(tf.constant(["a"]), [1.0])
    with pytest.raises(TypeError, match="Expected list for 'boundaries'"):
        bucketize(tf.constant([1.0]), 1.0)


def test_bucketize_has_no_gradient():
    x = tf.constant([1.0, 2.0])
    y = tf.cast(bucketize(x, [1.5]), tf.float32)
    assert tf.gradients(tf.reduce_sum(y * x), x)[0] is not None  # flows through x only
