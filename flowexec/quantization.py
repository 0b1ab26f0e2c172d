"""`tf.quantization`: simulated quantization (fake_quant_*), as TF computes it.

Example:
    >>> import flowexec as tf
    >>> tf.quantization.fake_quant_with_min_max_args(x, min=-1.0, max=1.0, num_bits=8)
"""

from flowexec.ops.fake_quant_ops import *  # noqa: F401,F403
from flowexec.ops.fake_quant_ops import __all__  # noqa: F401
