"""`tf.contrib.metrics` (= `slim.metrics`): TF 1.15's contrib streaming metrics over
`tf.metrics`, predictions first — see metric_ops.py. Not here: `streaming_covariance`,
`streaming_pearson_correlation`, `streaming_curve_points`, `streaming_false_*_rate`,
`confusion_matrix`, `set_*` ops, `f1_score`, ...

Example:
    >>> names_to_values, names_to_updates = tf.contrib.metrics.aggregate_metric_map({
    ...     "accuracy": tf.contrib.metrics.streaming_accuracy(predictions, labels)})
"""

from flowexec.contrib.metrics.metric_ops import *  # noqa: F401,F403
from flowexec.contrib.metrics.metric_ops import __all__  # noqa: F401
