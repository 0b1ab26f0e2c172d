"""sparse_segment_ops: SparseSegmentSum/Mean/SqrtN (and WithNumSegments) against TF's recorded
outputs and errors, numpy oracles, and gradients (SparseSegmentMeanGrad/SqrtNGrad) vs finite
differences."""

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, check_gradient, ids
from tests.ops.sparse_fixtures import cases, check_case


@pytest.mark.parametrize("case", cases(["segment_"]))
def test_against_tf(case):
    check_case(case)


IDX = np.array([0, 2, 2, 1, 3])
SEG = np.array([0, 0, 2, 2, 3])


def _ref(kind, rows=None):
    def ref(data):
        n = rows or SEG[-1] + 1
        out = np.zeros((n,) + data.shape[1:], data.dtype)
        np.add.at(out, SEG, data[IDX])
        counts = np.bincount(SEG, minlength=n).astype(data.dtype).reshape((-1,) + (1,) * (
            data.ndim - 1))
        if kind == "mean":
            out = out / np.maximum(counts, 1)
        elif kind == "sqrtn":
            out = out / np.maximum(np.sqrt(counts), 1)
        return out.astype(data.dtype)
    return ref


CASES = [
    OpCase("sparse_segment_sum", lambda d: tf.sparse.segment_sum(d, IDX, SEG), _ref("sum"),
           lambda rng: [rng.normal(size=(4, 3))]),
    OpCase("sparse_segment_mean", lambda d: tf.sparse.segment_mean(d, IDX, SEG), _ref("mean"),
           lambda rng: [rng.normal(size=(4, 3))]),
    OpCase("sparse_segment_sqrt_n", lambda d: tf.sparse.segment_sqrt_n(d, IDX, SEG),
           _ref("sqrtn"), lambda rng: [rng.normal(size=(4, 2, 2))]),
    OpCase("sparse_segment_sum_num", lambda d: tf.sparse_segment_sum(d, IDX, SEG, num_segments=6),
           _ref("sum", 6), lambda rng: [rng.normal(size=(4, 3))]),
    OpCase("sparse_segment_mean_num",
           lambda d: tf.sparse_segment_mean(d, IDX, SEG, num_segments=5), _ref("mean", 5),
           lambda rng: [rng.normal(size=(4, 3))]),
    OpCase("sparse_segment_sqrt_n_num",
           lambda d: tf.sparse_segment_sqrt_n(d, IDX, SEG, num_segments=5), _ref("sqrtn", 5),
           lambda rng: [rng.normal(size=(4, 3))]),
    OpCase("sparse_segment_sum_int", lambda d: tf.sparse.segment_sum(d, IDX, SEG), _ref("sum"),
           [np.arange(8, dtype=np.int32).reshape(4, 2)], feed=True),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD = [c for c in CASES if c.arrays()[0].dtype.kind == "f"]


@pytest.mark.parametrize("case", GRAD, ids=ids(GRAD))
def test_gradient(case):
    check_gradient(case)


def test_static_shapes():
    d = tf.zeros([4, 3])
    assert tf.sparse.segment_sum(d, IDX, SEG).shape.as_list() == [None, 3]
    assert tf.sparse.segment_mean(d, IDX, SEG, num_segments=7).shape.as_list() == [7, 3]
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        tf.sparse.segment_sum(d, [[0]], [0])
