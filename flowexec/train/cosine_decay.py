"""TF1's cosine learning-rate schedules: cosine decay, with warm restarts (SGDR), linear
cosine and noisy linear cosine decay.

Composites of graph ops evaluated from `global_step` whenever they run, in the learning
rate's dtype, with TF1's formulas and name scopes ("CosineDecay", "SGDRDecay",
"LinearCosineDecay", "NoisyLinearCosineDecay").

Example:
    >>> step = tf.train.get_or_create_global_step()
    >>> lr = tf.train.cosine_decay(0.1, step, decay_steps=1000, alpha=0.01)
"""

import math
import numbers

from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.ops import math_ops, random_ops


def _setup(learning_rate, global_step, decay_steps, what):
    if global_step is None:
        raise ValueError(f"{what} requires global_step")
    learning_rate = convert_to_tensor(learning_rate, name="initial_learning_rate")
    dtype = learning_rate.dtype
    return (learning_rate, dtype, math_ops.cast(global_step, dtype),
            math_ops.cast(decay_steps, dtype))


def _cosine(fraction):
    return 0.5 * (1.0 + math_ops.cos(math.pi * fraction))


def _linear_and_cosine(step, steps, num_periods):
    """(linear decay, cosine factor) at `step` capped to `steps`, and the capped step."""
    step = math_ops.minimum(step, steps)
    return (steps - step) / steps, _cosine(2.0 * num_periods * step / steps), step


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """lr * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha).

    Raises:
        ValueError: `global_step` is None.
    """
    with name_scope(name, "CosineDecay", [learning_rate, global_step]):
        lr, _, step, steps = _setup(learning_rate, global_step, decay_steps,
                                    "cosine decay")
        step = math_ops.minimum(step, steps)
        decayed = (1 - alpha) * _cosine(step / steps) + alpha
        return math_ops.multiply(lr, decayed)


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0,
                          alpha=0.0, name=None):
    """Cosine decay with warm restarts (SGDR): period i lasts first_decay_steps * t_mul**i
    steps and starts from lr * m_mul**i.

    Raises:
        ValueError: `global_step` is None.
    """
    with name_scope(name, "SGDRDecay", [learning_rate, global_step]) as scope:
        lr, dtype, step, first = _setup(learning_rate, global_step, first_decay_steps,
                                        "cosine decay restarts")
        t = math_ops.cast(t_mul, dtype)
        m = math_ops.cast(m_mul, dtype)
        fraction = step / first

        def uniform():
            i = math_ops.floor(fraction)
            return i, fraction - i

        def geometric():
            i = math_ops.floor(math_ops.log(1.0 - fraction * (1.0 - t)) / math_ops.log(t))
            sum_r = (1.0 - math_ops.pow(t, i)) / (1.0 - t)
            return i, (fraction - sum_r) / math_ops.pow(t, i)

        if isinstance(t_mul, numbers.Number):
            i_restart, within = uniform() if t_mul == 1.0 else geometric()
        else:
            (iu, wu), (ig, wg) = uniform(), geometric()
            is_one = math_ops.equal(t, 1.0)
            i_restart, within = math_ops.where(is_one, iu, ig), math_ops.where(is_one, wu, wg)
        decayed = 0.5 * math_ops.pow(m, i_restart) * (1.0 + math_ops.cos(math.pi * within))
        decayed = (1 - alpha) * decayed + alpha
        return math_ops.multiply(lr, decayed, name=scope)


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0,
                        beta=0.001, name=None):
    """lr * ((alpha + linear) * cosine + beta), linear = (decay_steps - step) / decay_steps
    and cosine = 0.5 * (1 + cos(2 pi num_periods step / decay_steps)), step capped.

    Raises:
        ValueError: `global_step` is None.
    """
    with name_scope(name, "LinearCosineDecay", [learning_rate, global_step]):
        lr, _, step, steps = _setup(learning_rate, global_step, decay_steps,
                                    "linear cosine decay")
        linear, cosine, _ = _linear_and_cosine(step, steps, num_periods)
        return math_ops.multiply(lr, (alpha + linear) * cosine + beta)


def noisy_linear_cosine_decay(learning_rate, global_step, decay_steps, initial_variance=1.0,
                              variance_decay=0.55, num_periods=0.5, alpha=0.0, beta=0.001,
                              name=None):
    """`linear_cosine_decay` with Gaussian noise of variance
    initial_variance / (1 + step)**variance_decay added to the linear term.

    Raises:
        ValueError: `global_step` is None.
    """
    with name_scope(name, "NoisyLinearCosineDecay", [learning_rate, global_step]):
        lr, dtype, step, steps = _setup(learning_rate, global_step, decay_steps,
                                        "noisy linear cosine decay")
        linear, cosine, step = _linear_and_cosine(step, steps, num_periods)
        variance = initial_variance / math_ops.pow(1.0 + step, variance_decay)
        noisy = linear + random_ops.random_normal([], stddev=math_ops.sqrt(variance),
                                                  dtype=dtype)
        return math_ops.multiply(lr, (alpha + noisy) * cosine + beta)


__all__ = ["cosine_decay", "cosine_decay_restarts", "linear_cosine_decay",
           "noisy_linear_cosine_decay"]
