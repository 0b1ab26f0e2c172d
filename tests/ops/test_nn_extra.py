"""nn_extra_ops vs numpy formulas; gradients vs finite differences."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import nn_extra_ops as nx
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _n(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _stirling(t):
    s = t * np.log(np.maximum(t, 1)) - t + 0.5 * np.log(2 * np.pi * np.maximum(t, 1))
    return np.where((t >= 0) & (t <= 1), 0.0, s)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


CASES = [
    OpCase("log_poisson_loss", nx.log_poisson_loss, lambda t, x: np.exp(x) - x * t,
           lambda rng: [rng.uniform(0, 5, (3, 4)), rng.standard_normal((3, 4))]),
    OpCase("log_poisson_loss_full", lambda t, x: nx.log_poisson_loss(t, x, True),
           lambda t, x: np.exp(x) - x * t + _stirling(t),
           lambda rng: [rng.choice([0.0, 0.5, 1.0, 2.0, 7.0], (3, 4)),
                        rng.standard_normal((3, 4))], grad=(1,)),
    OpCase("sufficient_statistics_normalize_moments",
           lambda x: list(nx.normalize_moments(*nx.sufficient_statistics(x, [0, 2]))),
           lambda x: [x.mean((0, 2)), x.var((0, 2))], _n((3, 2, 4))),
    OpCase("sufficient_statistics_shift",
           lambda x: list(nx.sufficient_statistics(x, [1], shift=0.5, keepdims=True)[:3]),
           lambda x: [np.float64(4), (x - 0.5).sum(1, keepdims=True),
                      ((x - 0.5) ** 2).sum(1, keepdims=True)], _n((3, 4))),
    OpCase("normalize_moments_shift",
           lambda x: list(nx.normalize_moments(*nx.sufficient_statistics(x, [0], shift=0.3))),
           lambda x: [x.mean(0), x.var(0)], _n((5, 2))),
    OpCase("weighted_moments", lambda x, w: list(nx.weighted_moments(x, [0], w)),
           lambda x, w: [np.average(x, 0, np.broadcast_to(w, x.shape)),
                         np.average((x - np.average(x, 0, np.broadcast_to(w, x.shape))) ** 2,
                                    0, np.broadcast_to(w, x.shape))],
           lambda rng: [rng.standard_normal((5, 3)), rng.uniform(0.5, 2, (5, 1))], grad=(0,)),
    OpCase("crelu", nx.crelu, lambda x: np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)],
                                                      -1), _n((3, 4))),
    OpCase("swish", nx.swish, lambda x: x * _sigmoid(x), _n((3, 4))),
    OpCase("swish_beta", lambda x: nx.swish(x, beta=2.0), lambda x: x * _sigmoid(2 * x),
           _n((3,))),
    OpCase("batch_norm_with_global_normalization",
           lambda t, m, v, b, g: nx.batch_norm_with_global_normalization(t, m, v, b, g, 1e-3,
                                                                          True),
           lambda t, m, v, b, g: (t - m) / np.sqrt(v + 1e-3) * g + b,
           lambda rng: [rng.standard_normal((2, 3)), rng.standard_normal(3),
                        rng.uniform(0.5, 2, 3), rng.standard_normal(3), rng.standard_normal(3)]),
    OpCase("compute_average_loss", lambda x, w: nx.compute_average_loss(x, w),
           lambda x, w: (x * w).sum() / 4, _n((4,), (4,))),
    OpCase("compute_average_loss_global", lambda x: nx.compute_average_loss(
        x, global_batch_size=10), lambda x: x.sum() / 10, _n((4,))),
    OpCase("scale_regularization_loss", nx.scale_regularization_loss, lambda x: x.sum(),
           _n((3,))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


def test_names_in_tf_nn():
    assert tf.nn.silu is tf.nn.swish and tf.nn.crelu is nx.crelu
    assert tf.nn.space_to_batch is tf.space_to_batch
    with pytest.raises(ValueError, match="same shape"):
        nx.log_poisson_loss(tf.zeros([2]), tf.zeros([3]))
