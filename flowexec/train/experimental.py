"""`tf.train.experimental`: loss scaling and the mixed precision graph rewrite (TF 1.15).

Example:
    >>> opt = tf.train.experimental.enable_mixed_precision_graph_rewrite(
    ...     tf.train.GradientDescentOptimizer(0.1), loss_scale="dynamic")
"""

from flowexec.train.loss_scale import DynamicLossScale, FixedLossScale, LossScale
from flowexec.train.loss_scale_optimizer import (
    MixedPrecisionLossScaleOptimizer,
    disable_mixed_precision_graph_rewrite,
    enable_mixed_precision_graph_rewrite,
)

__all__ = [
    "DynamicLossScale",
    "FixedLossScale",
    "LossScale",
    "MixedPrecisionLossScaleOptimizer",
    "disable_mixed_precision_graph_rewrite",
    "enable_mixed_precision_graph_rewrite",
]
