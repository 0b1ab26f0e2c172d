"""PriorityQueue: a queue (data_flow_ops' machinery: session state, blocking, closing) whose
elements carry an int64 priority as component 0 and leave smallest-priority first (ties in
insertion order).
"""

import heapq
import itertools

from flowexec.framework import dtypes, errors, resources
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape, as_shape
from flowexec.ops import data_flow_ops as _q

__all__ = ["PriorityQueue"]

_HOST = ("CPU",)


# ----- PriorityQueue --------------------------------------------------------------------------
class _PriorityState(_q._QueueState):
    """A queue state whose items form a heap keyed by (priority, insertion order)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = []
        self._order = itertools.count()

    def put(self, ctx, element):
        if self.closed:
            raise errors.CancelledError(None, None, f"{self.kind} '{self.name}' is closed.")
        self.wait(ctx, lambda: self.closed or self.capacity is None
                  or len(self.items) < self.capacity, "Enqueue")
        if self.closed:
            raise errors.CancelledError(None, None, f"{self.kind} '{self.name}' is closed.")
        priority = element[0]
        if priority.shape != ():
            raise errors.InvalidArgumentError(
                None, None, f"Expected the priority element to be a scalar, but received "
                            f"shape: [{','.join(map(str, priority.shape))}]")
        heapq.heappush(self.items, (int(priority), next(self._order), element))
        self.cond.notify_all()

    def available(self):
        return len(self.items)

    def take(self, n):
        return [heapq.heappop(self.items)[2] for _ in range(n)]


@defop("PriorityQueueV2", infer=_q._resource_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _priority_queue(ctx, xp, *, component_types, shapes, capacity, shared_name="",
                    container=""):
    key = ("queue", resources.qualified(container, shared_name or ctx.op.name))
    if key not in ctx.state:
        with _q._CREATE_LOCK:
            if key not in ctx.state:
                name = shared_name or f"_{next(_q._NAMES)}_{ctx.op.name}"
                ctx.state[key] = _PriorityState("PriorityQueue", name, capacity, shapes,
                                                dtypes_=component_types)
    return key[1]


_priority_queue.not_differentiable()


class PriorityQueue(_q.QueueBase):
    """A queue whose elements leave in order of an int64 priority (smallest first).

    Each enqueued element is `(priority, *components)`: `dtypes` and `shapes` describe the
    components after the priority, and dequeue returns the priority as component 0.

    Args:
        capacity: the most elements it holds.
        types: the dtypes of the components after the priority.
        shapes: their shapes (required, as in TF).
        names: accepted as TF's; must be None.
        shared_name, name: the resource's and the op's names.

    Example:
        >>> q = tf.PriorityQueue(10, [tf.string], shapes=[[]])
        >>> enq = q.enqueue_many(([3, 1, 2], ["c", "a", "b"]))
        >>> prio, value = q.dequeue()  # 1, b"a"
    """

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None,
                 name="priority_queue"):
        if names is not None:
            raise ValueError("names must be None for PriorityQueue")
        types = [dtypes.as_dtype(t) for t in _q._as_list(types)]
        if shapes is None:
            raise ValueError("PriorityQueue requires the shapes of its components")
        shapes = [as_shape(s) for s in shapes]
        if len(shapes) != len(types):
            raise ValueError("Queue shapes must have the same length as dtypes")
        all_types = [dtypes.int64] + types
        all_shapes = [TensorShape([])] + shapes
        ref = apply_op("PriorityQueueV2", name=name, component_types=all_types,
                       shapes=all_shapes, capacity=int(capacity),
                       shared_name=shared_name or "")
        _q.QueueBase.__init__(self, all_types, all_shapes, None, ref)
