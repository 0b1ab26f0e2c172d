"""`tf.mixed_precision` (TF 2.x's compat.v1 names) and `tf.mixed_precision.experimental`
(TF 1.15's): loss scales, the loss scale optimizer and the graph rewrite switches, the same
objects as `tf.train.experimental`'s.

Example:
    >>> tf.mixed_precision.experimental.DynamicLossScale is \\
    ...     tf.train.experimental.DynamicLossScale
    True
"""

import sys
import types

from flowexec.train.loss_scale import DynamicLossScale, FixedLossScale, LossScale
from flowexec.train.loss_scale_optimizer import (
    MixedPrecisionLossScaleOptimizer,
    disable_mixed_precision_graph_rewrite,
    enable_mixed_precision_graph_rewrite,
)

experimental = types.ModuleType(
    __name__ + ".experimental",
    "`tf.mixed_precision.experimental`: LossScale, FixedLossScale, DynamicLossScale.")
experimental.LossScale = LossScale
experimental.FixedLossScale = FixedLossScale
experimental.DynamicLossScale = DynamicLossScale
experimental.__all__ = ["DynamicLossScale", "FixedLossScale", "LossScale"]
sys.modules[experimental.__name__] = experimental

__all__ = [
    "DynamicLossScale",
    "FixedLossScale",
    "LossScale",
    "MixedPrecisionLossScaleOptimizer",
    "disable_mixed_precision_graph_rewrite",
    "enable_mixed_precision_graph_rewrite",
    "experimental",
]
