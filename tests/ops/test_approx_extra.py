"""approx_max_k / approx_min_k / approx_top_k (exact on CPU), cumulative_logsumexp."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import sort_ops as so
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _np_lse_cum(x, axis, exclusive=False, reverse=False):
    x = np.moveaxis(x, axis, -1)
    if reverse:
        x = x[..., ::-1]
    out = np.logaddexp.accumulate(x, axis=-1)
    if exclusive:
        out = np.concatenate([np.full(out.shape[:-1] + (1,), -np.inf), out[..., :-1]], -1)
    if reverse:
        out = out[..., ::-1]
    return np.moveaxis(out, -1, axis)


X = np.array([[1.0, 5.0, 3.0, 4.0], [0.0, -2.0, 7.0, 1.0]])

CASES = [
    OpCase("approx_max_k", lambda x: so.approx_max_k(x, 2),
           lambda x: [np.array([[5.0, 4.0], [7.0, 1.0]]), np.array([[1, 3], [2, 3]], np.int32)],
           [X]),
    OpCase("approx_min_k_axis0", lambda x: so.approx_min_k(x, 1, reduction_dimension=0),
           lambda x: [x.min(0, keepdims=True), x.argmin(0)[None].astype(np.int32)], [X]),
    OpCase("approx_top_k_min", lambda x: so.approx_top_k(x, 3, is_max_k=False),
           lambda x: [np.sort(x, -1)[:, :3], np.argsort(x, -1, kind="stable")[:, :3].astype(
               np.int32)], [X], grad=False),
    OpCase("cumulative_logsumexp", lambda x: tf.math.cumulative_logsumexp(x, axis=1),
           lambda x: _np_lse_cum(x, 1), lambda rng: [rng.standard_normal((3, 5)) * 10]),
    OpCase("cumulative_logsumexp_reverse", lambda x: tf.math.cumulative_logsumexp(
        x, axis=0, reverse=True), lambda x: _np_lse_cum(x, 0, reverse=True),
        lambda rng: [rng.standard_normal((4, 2))]),
    OpCase("cumulative_logsumexp_exclusive", lambda x: tf.math.cumulative_logsumexp(
        x, exclusive=True), lambda x: _np_lse_cum(x, 0, exclusive=True),
        lambda rng: [rng.standard_normal((4,))], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)
