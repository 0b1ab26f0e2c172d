"""`tf.train`: optimizers and the global step."""

from flowexec.train.adagrad import AdagradOptimizer
from flowexec.train.adam import AdamOptimizer
from flowexec.train.gradient_descent import GradientDescentOptimizer
from flowexec.train.learning_rate_decay import (
    exponential_decay,
    inverse_time_decay,
    natural_exp_decay,
    piecewise_constant,
    polynomial_decay,
)
from flowexec.train.momentum import MomentumOptimizer
from flowexec.train.optimizer import Optimizer
from flowexec.train.rmsprop import RMSPropOptimizer
from flowexec.train.training_util import (
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    global_step,
)

__all__ = [
    "AdagradOptimizer",
    "AdamOptimizer",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "Optimizer",
    "RMSPropOptimizer",
    "assert_global_step",
    "create_global_step",
    "exponential_decay",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
    "inverse_time_decay",
    "natural_exp_decay",
    "piecewise_constant",
    "polynomial_decay",
]
