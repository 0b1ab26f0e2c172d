"""segment_ops vs a numpy loop oracle, gradients vs finite differences, TF's empty-segment
values and run-time errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import segment_ops as so
from tests.ops.harness import OpCase, check_forward, check_gradient, ids

IDS = np.array([0, 0, 1, 3, 3, 3])
UIDS = np.array([2, 0, -1, 2, 0, 2])


def _ref(kind, data, seg, num, empty):
    out = np.full((num,) + data.shape[seg.ndim:], empty, dtype=data.dtype)
    flat = data.reshape((-1,) + data.shape[seg.ndim:])
    for k in range(num):
        rows = flat[seg.reshape(-1) == k]
        if len(rows):
            out[k] = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
                      "prod": np.prod}[kind](rows, axis=0)
    return out


def _data(*shape):
    return lambda rng: [rng.uniform(-2, 2, shape)]


def _sorted_case(kind, fn):
    return OpCase(f"segment_{kind}", lambda d: fn(d, IDS),
                  lambda d: _ref(kind, d, IDS, 4, 1.0 if kind == "prod" else 0.0), _data(6, 3))


def _unsorted_case(kind, fn, empty, num=4):
    # num=3: every segment is present (an empty max/min segment holds +-finfo.max, which
    # finite differences cannot weigh).
    seg = UIDS if num == 4 else np.array([2, 0, -1, 1, 0, 2])
    return OpCase(f"unsorted_segment_{kind}_{num}", lambda d: fn(d, seg, num),
                  lambda d: _ref(kind, d, seg, num, empty(d.dtype)), _data(6, 3),
                  grad=num == 3 or kind in ("sum", "prod"))


_LOW = lambda dt: np.finfo(dt).min
_HIGH = lambda dt: np.finfo(dt).max

CASES = [
    _sorted_case("sum", so.segment_sum), _sorted_case("mean", so.segment_mean),
    _sorted_case("max", so.segment_max), _sorted_case("min", so.segment_min),
    _sorted_case("prod", so.segment_prod),
    _unsorted_case("sum", so.unsorted_segment_sum, lambda dt: 0),
    _unsorted_case("max", so.unsorted_segment_max, _LOW),
    _unsorted_case("min", so.unsorted_segment_min, _HIGH),
    _unsorted_case("max", so.unsorted_segment_max, _LOW, num=3),
    _unsorted_case("min", so.unsorted_segment_min, _HIGH, num=3),
    _unsorted_case("prod", so.unsorted_segment_prod, lambda dt: 1),
    OpCase("unsorted_segment_mean", lambda d: so.unsorted_segment_mean(d, UIDS, 4),
           lambda d: _ref("mean", d, UIDS, 4, 0.0), _data(6, 3)),
    OpCase("unsorted_segment_sqrt_n", lambda d: so.unsorted_segment_sqrt_n(d, UIDS, 4),
           lambda d: _ref("sum", d, UIDS, 4, 0.0)
           / np.sqrt(np.maximum(np.bincount(UIDS[UIDS >= 0], minlength=4), 1))[:, None],
           _data(6, 3)),
    OpCase("unsorted_segment_sum_2d_ids",
           lambda d: so.unsorted_segment_sum(d, UIDS.reshape(2, 3), 3),
           lambda d: _ref("sum", d, UIDS.reshape(2, 3), 3, 0.0), _data(2, 3, 2)),
    OpCase("segment_sum_int", lambda d: so.segment_sum(d, IDS),
           lambda d: _ref("sum", d, IDS, 4, 0),
           lambda rng: [rng.integers(-5, 5, (6, 2)).astype(np.int32)]),
    OpCase("segment_prod_with_zeros", lambda d: so.segment_prod(d, IDS),
           lambda d: _ref("prod", d, IDS, 4, 1.0),
           [np.array([[0.0, 1.5], [2.0, 0.0], [0.5, 3.0], [0.0, 0.0], [1.5, -1.0],
                      [2.0, 0.0]])]),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad and c.arrays()[0].dtype.kind == "f"]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_max_gradient_splits_ties_evenly():
    x = tf.constant([[1.0, 4.0], [3.0, 4.0], [5.0, 6.0]])
    g = _run(tf.gradients(so.segment_max(x, [0, 0, 2]), x)[0])
    np.testing.assert_allclose(g, [[0, 0.5], [1, 0.5], [1, 1]])


@pytest.mark.parametrize("fn, ids_, msg", [
    (so.segment_sum, [1, 0, 2], "segment ids are not increasing"),
    (so.segment_sum, [0, 1], "segment_ids should be the same size as dimension 0 of input."),
    (so.segment_sum, [-1, 0, 1], (r"Segment id -1 out of range \[0, 2\), possibly because "
                                  "'segment_ids' input is not sorted.")),
    (lambda d, i: so.unsorted_segment_sum(d, i, 3), [0, 5, 1],
     r"segment_ids\[1\] = 5 is out of range \[0, 3\)"),
])
def test_bad_ids_are_invalid_argument(fn, ids_, msg):
    ph = tf.placeholder(tf.int32, None)
    t = fn(tf.constant([[1.0], [2.0], [3.0]]), ph)
    with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
        _run(t, {ph: ids_})


def test_static_shapes():
    d = tf.constant(np.ones((6, 3)))
    assert so.segment_sum(d, IDS).shape.as_list() == [None, 3]
    assert so.unsorted_segment_sum(d, UIDS, 4).shape.as_list() == [4, 3]
    assert so.unsorted_segment_sum(d, UIDS, 4, name="seg").op.name == "seg"
