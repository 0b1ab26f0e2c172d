"""`tf.train`: optimizers, the global step, checkpoints (Saver), and data-parallel towers
(`replicate_model`, `average_gradients`, `data_parallel_minimize`)."""

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
from flowexec.train.replicate import average_gradients, data_parallel_minimize, replicate_model
from flowexec.train.rmsprop import RMSPropOptimizer
from flowexec.train.checkpoint_management import (
    CheckpointState,
    checkpoint_exists,
    get_checkpoint_mtimes,
    get_checkpoint_state,
    latest_checkpoint,
    meta_graph_filename,
    remove_checkpoint,
    update_checkpoint_state,
)
from flowexec.train.saver import Saver, SaverDef
from flowexec.train.training_util import (
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    global_step,
)

__all__ = [
    "average_gradients",
    "data_parallel_minimize",
    "replicate_model",
    "AdagradOptimizer",
    "AdamOptimizer",
    "CheckpointState",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "Optimizer",
    "RMSPropOptimizer",
    "Saver",
    "SaverDef",
    "assert_global_step",
    "checkpoint_exists",
    "create_global_step",
    "exponential_decay",
    "get_checkpoint_mtimes",
    "get_checkpoint_state",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
    "inverse_time_decay",
    "latest_checkpoint",
    "meta_graph_filename",
    "natural_exp_decay",
    "piecewise_constant",
    "polynomial_decay",
    "remove_checkpoint",
    "update_checkpoint_state",
]
