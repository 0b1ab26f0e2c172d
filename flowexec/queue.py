"""`tf.queue`: the queue classes under TF's namespace for them (the same classes as
`tf.FIFOQueue`, `tf.PaddingFIFOQueue`, `tf.PriorityQueue`, `tf.RandomShuffleQueue`)."""

from flowexec.ops.data_flow_ops import (  # noqa: F401
    FIFOQueue,
    PaddingFIFOQueue,
    QueueBase,
    RandomShuffleQueue,
)
from flowexec.ops.priority_queue_ops import PriorityQueue  # noqa: F401

__all__ = ["FIFOQueue", "PaddingFIFOQueue", "PriorityQueue", "QueueBase", "RandomShuffleQueue"]
