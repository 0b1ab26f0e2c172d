"""`tf.quantization`: simulated quantization (fake_quant_*) and real quantization (quantize,
dequantize, quantized_concat), as TF computes them.

Example:
    >>> import flowexec as tf
    >>> tf.quantization.fake_quant_with_min_max_args(x, min=-1.0, max=1.0, num_bits=8)
"""

from flowexec.ops import fake_quant_ops as _fake_quant_ops
from flowexec.ops.fake_quant_ops import *  # noqa: F401,F403
from flowexec.ops.quantize_ops import dequantize, quantize, quantized_concat  # noqa: F401

__all__ = [*_fake_quant_ops.__all__, "dequantize", "quantize", "quantized_concat"]
