"""dynamic_partition / dynamic_stitch / ParallelDynamicStitch against numpy, their gradients
against finite differences, and TF's messages (checked against TF 2.21)."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import partition_ops
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

P1 = np.array([1, 0, 1, 2, 0, 2])
P2 = np.array([[0, 1, 1], [2, 0, 0]])


def _partition_ref(data, parts, n):
    rows = data.reshape((parts.size,) + data.shape[parts.ndim:])
    return [rows[parts.reshape(-1) == k] for k in range(n)]


def _stitch_ref(indices, data):
    tail = data[0].shape[np.ndim(indices[0]):]
    rows = max((int(np.max(i)) for i in indices if np.size(i)), default=-1) + 1
    out = np.zeros((rows,) + tail, data[0].dtype)
    for idx, d in zip(indices, data):
        for j, i in enumerate(np.reshape(idx, -1)):
            out[i] = d.reshape((-1,) + tail)[j]
    return out


IDX_A, IDX_B = np.array([4, 0, 2]), np.array([[1], [3]])

CASES = [
    OpCase("partition_rows", lambda d: tf.dynamic_partition(d, P1, 3),
           lambda d: _partition_ref(d, P1, 3), lambda r: [r.normal(size=(6, 2))]),
    OpCase("partition_2d_prefix", lambda d: tf.dynamic_partition(d, P2, 4),
           lambda d: _partition_ref(d, P2, 4), lambda r: [r.normal(size=(2, 3, 2))]),
    OpCase("partition_fed", lambda d, p: tf.dynamic_partition(d, p, 3),
           lambda d, p: _partition_ref(d, p, 3),
           [np.arange(12, dtype=np.int64).reshape(6, 2), P1.astype(np.int32)], feed=True),
    OpCase("stitch", lambda a, b: tf.dynamic_stitch([IDX_A, IDX_B], [a, b]),
           lambda a, b: _stitch_ref([IDX_A, IDX_B], [a, b]),
           lambda r: [r.normal(size=(3, 2)), r.normal(size=(2, 1, 2))]),
    OpCase("stitch_duplicates_last_wins",
           lambda a, b: tf.dynamic_stitch([[0, 5, 1], [1, 1]], [a, b]),
           lambda a, b: _stitch_ref([[0, 5, 1], [1, 1]], [a, b]),
           lambda r: [r.normal(size=3), r.normal(size=2)], grad=False),
    OpCase("parallel_stitch",
           lambda a, b: partition_ops.parallel_dynamic_stitch([IDX_A, IDX_B], [a, b]),
           lambda a, b: _stitch_ref([IDX_A, IDX_B], [a, b]),
           lambda r: [r.normal(size=(3, 2)), r.normal(size=(2, 1, 2))]),
    OpCase("partition_then_stitch_is_identity",
           lambda d: tf.dynamic_stitch(tf.dynamic_partition(tf.range(6), P1, 3),
                                       tf.dynamic_partition(d, P1, 3)),
           lambda d: d, lambda r: [r.normal(size=(6, 3))]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward_matches_numpy(case):
    check_forward(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=ids([c for c in CASES
                                                                           if c.grad]))
def test_gradient_matches_finite_differences(case):
    check_gradient(case)


def test_static_shapes():
    d = tf.placeholder(tf.float32, [6, 4])
    parts = tf.dynamic_partition(d, P1, 3)
    assert len(parts) == 3 and all(p.shape.as_list() == [None, 4] for p in parts)
    assert isinstance(tf.dynamic_partition(d, P1, 1), list)
    assert tf.dynamic_stitch([[0, 4]], [tf.ones([2, 3])]).shape.as_list() == [5, 3]
    i = tf.placeholder(tf.int32, [2])
    assert tf.dynamic_stitch([i], [tf.ones([2, 3])]).shape.as_list() == [None, 3]


def _msg(build):
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(build())
    return info.value.message.split("\n")[0]


def test_tf_errors():
    assert _msg(lambda: tf.dynamic_partition([1, 2, 3, 4], [0, 5, 1, 0], 2)) == (
        "partitions[1] = 5 is not in [0, 2)")
    assert _msg(lambda: tf.dynamic_partition([[1, 2], [3, 4]], [[0, 1], [1, 3]], 2)) == (
        "partitions[1,1] = 3 is not in [0, 2)")
    assert _msg(lambda: tf.dynamic_stitch([[0, -1], [1, 1]], [[1., 2.], [3., 4.]])) == (
        "indices[1] is out of range")
    with tf.Graph().as_default():
        p = tf.placeholder(tf.int32)
        d = tf.placeholder(tf.float32)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"data.shape must start with partitions.shape, got "
                                     r"data.shape = \[3,2\], partitions.shape = \[2\]"):
                sess.run(tf.dynamic_partition(d, p, 2), {d: np.ones((3, 2)), p: [0, 1]})
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"data\[0\].shape = \[3,2\] does not start with "
                                     r"indices\[0\].shape = \[2\]"):
                sess.run(tf.dynamic_stitch([p], [d]), {d: np.ones((3, 2)), p: [0, 1]})
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"Need data\[0\].shape\[1:\] = data\[1\].shape\[1:\]"):
                sess.run(tf.dynamic_stitch([p, p], [d, tf.ones([2])]),
                         {d: np.ones((2, 2)), p: [0, 1]})
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.dynamic_partition(tf.ones([3, 2]), [0, 1], 2)
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.dynamic_stitch([[0, 1]], [tf.ones([3, 2])])
    with pytest.raises(ValueError, match="'num_partitions' of 'DynamicPartition' Op passed 0"):
        tf.dynamic_partition(tf.ones([3]), [0, 1, 1], 0)
