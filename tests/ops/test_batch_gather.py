"""tf.batch_gather: forward vs a numpy loop, gradients by finite differences, and TF 1.x's
values and errors (recorded from TensorFlow 2.21's tf.compat.v1 in graph mode)."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _ref(params, indices):
    """out[b..., j, ...] = params[b..., indices[b..., j], ...], batch = indices' leading dims."""
    batch = indices.shape[:-1]
    out = np.empty(indices.shape + params.shape[len(batch) + 1:], params.dtype)
    for b in itertools.product(*map(range, batch)):
        out[b] = params[b][indices[b]]
    return out


def _case(name, pshape, ishape, dtype=np.int32):
    def inputs(rng):
        params = rng.normal(size=pshape)
        return [params, rng.integers(0, pshape[len(ishape) - 1], size=ishape).astype(dtype)]
    return OpCase(name, tf.batch_gather, _ref, inputs)


CASES = [
    _case("rank1_plain_gather", (5, 2), (3,)),
    _case("one_batch_dim", (2, 4), (2, 3)),
    _case("one_batch_dim_trailing", (3, 4, 2), (3, 5)),
    _case("two_batch_dims_int64", (2, 3, 4), (2, 3, 2), np.int64),
    _case("three_batch_dims", (2, 2, 3, 2), (2, 2, 3, 1)),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gradient(case):
    check_gradient(case)


def test_tf_values_and_static_shape():
    p = np.arange(24).reshape(2, 3, 4).astype(np.float32)
    y = tf.batch_gather(p, [[2, 0], [1, 1]])
    z = tf.batch_gather(p, np.array([[[1], [0], [2]], [[0], [0], [1]]], np.int64))
    assert y.shape.as_list() == [2, 2, 4] and z.shape.as_list() == [2, 3, 1]
    assert y.op.name.startswith("BatchGather/")
    with tf.Session() as sess:
        assert sess.run(y).tolist() == [[[8, 9, 10, 11], [0, 1, 2, 3]],
                                        [[16, 17, 18, 19], [16, 17, 18, 19]]]
        assert sess.run(z).tolist() == [[[1], [4], [10]], [[12], [16], [21]]]


def test_an_index_past_its_batch_reads_the_next_one_as_tf():
    params = tf.constant([[1, 2, 3], [4, 5, 6]])
    with tf.Session() as sess:
        assert sess.run(tf.batch_gather(params, [[3], [2]])).tolist() == [[4], [6]]
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices\[1\] = 6"):
            sess.run(tf.batch_gather(params, [[3], [3]]))


def test_tf_errors():
    p = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="^batch_gather does not allow indices with unknown "
                                         "shape.$"):
        tf.batch_gather(p, tf.placeholder(tf.int32))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.batch_gather(p, [[[0]]] * 3)
    with pytest.raises(ValueError, match=r"^Argument `batch_dims` = 1 must be less than "
                                         r"rank\(`params`\) = 1$"):
        tf.batch_gather(p[0, 0], [[0]])
