"""`tf.contrib.training`: ps placement strategies for `tf.train.replica_device_setter`."""

from flowexec.train.device_setter import (  # noqa: F401
    GreedyLoadBalancingStrategy,
    byte_size_load_fn,
)

__all__ = ["GreedyLoadBalancingStrategy", "byte_size_load_fn"]
