"""Queues (TF 1.x input pipelines): FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue.

State lives in the Session, like variables: the queue op (`FIFOQueueV2`, ...) creates the
queue in `ctx.state` the first time it runs in a session and outputs a `resource` handle
(the state key); `QueueEnqueueV2`, `QueueDequeueManyV2`, ... take that handle as input, so
they run after it. Two sessions on one graph have separate queues.

Blocking: an enqueue waits while the queue is full, a dequeue while it holds too few
elements. A waiting kernel holds only its queue's condition variable, and only between
short waits (`_POLL` seconds): each wake-up checks `ctx.step_cancelled()`, so a step whose
deadline passed (RunOptions.timeout_in_ms: the run raises DeadlineExceededError), that
failed elsewhere, or whose session was closed (CancelledError) gives up without taking
or leaving an element. Closing a queue wakes every waiter: pending dequeues that cannot be
served raise OutOfRangeError with TF's message ("FIFOQueue '_0_fifo_queue' is closed and
has insufficient elements (requested 1, current size 0)"), later enqueues CancelledError,
and pending enqueues too with `cancel_pending_enqueues=True`.

Every op here is stateful, host-only and not differentiable.
"""

import itertools
import threading
from collections import deque

import numpy as np

from flowexec.framework import dtypes, errors, resources
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape, as_shape, unknown_shape

_POLL = 0.02  # seconds between cancellation checks of a blocked kernel
_CREATE_LOCK = threading.Lock()
_NAMES = itertools.count()  # TF names queue resources "_<n>_<op name>"


class _QueueState:
    """One queue of one session: elements (tuples of numpy arrays) under a Condition."""

    def __init__(self, kind, name, capacity, shapes, min_after_dequeue=0, seed=None,
                 dtypes_=()):
        self.kind = kind  # "FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue"
        self.name = name
        self.capacity = capacity if capacity and capacity > 0 else None
        self.shapes = shapes
        self.dtypes = dtypes_
        self.min_after_dequeue = min_after_dequeue
        self.rng = np.random.RandomState(seed) if kind == "RandomShuffleQueue" else None
        self.items = deque() if self.rng is None else []
        self.cond = threading.Condition()
        self.closed = False
        self.cancel_enqueues = False

    def closed_error(self, requested):
        return errors.OutOfRangeError(
            None, None, f"{self.kind} '{self.name}' is closed and has insufficient elements "
                        f"(requested {requested}, current size {len(self.items)})")

    def wait(self, ctx, ready, what):
        """Waits (holding `cond`) until `ready()`; CancelledError when the step is."""
        while not ready():
            if ctx.step_cancelled():
                raise errors.CancelledError(None, None, f"{what} operation was cancelled")
            self.cond.wait(_POLL)

    def put(self, ctx, element):
        if self.closed:
            raise errors.CancelledError(None, None, f"{self.kind} '{self.name}' is closed.")
        self.wait(ctx, lambda: self.closed or self.capacity is None
                  or len(self.items) < self.capacity, "Enqueue")
        if self.closed:
            raise errors.CancelledError(
                None, None, "Enqueue operation was cancelled" if self.cancel_enqueues
                else f"{self.kind} '{self.name}' is closed.")
        self.items.append(element)
        self.cond.notify_all()

    def available(self):
        """How many elements a dequeue may take now (RandomShuffleQueue keeps
        `min_after_dequeue` until it is closed)."""
        if self.rng is None or self.closed:
            return len(self.items)
        return max(len(self.items) - self.min_after_dequeue, 0)

    def take(self, n):
        if self.rng is None:
            return [self.items.popleft() for _ in range(n)]
        out = []
        for _ in range(n):
            i = self.rng.randint(len(self.items))
            self.items[i], self.items[-1] = self.items[-1], self.items[i]
            out.append(self.items.pop())
        return out


def _queue(ctx, handle):
    state = ctx.state.get(("queue", str(np.asarray(handle).item())))
    if state is None:
        raise errors.NotFoundError(None, None, f"Resource {handle} does not exist.")
    return state


def _component_error(i, want, got):
    return errors.InvalidArgumentError(
        None, None, f"Shape mismatch in tuple component {i}. Expected "
                    f"{TensorShape(want).proto_str()}, got {TensorShape(got).proto_str()}")


def _check_element(state, element):
    for i, (shape, value) in enumerate(zip(state.shapes, element)):
        if shape is not None and shape.ndims is not None and \
                not shape.is_compatible_with(value.shape):
            raise _component_error(i, shape.as_list(), list(value.shape))


# ----- queue creation ------------------------------------------------------------------------
def _resource_infer(op):
    return [(dtypes.resource, TensorShape([]))]


def _make_queue_kernel(kind):
    def kernel(ctx, xp, *, component_types, shapes, capacity, shared_name="", container="",
               min_after_dequeue=0, seed=0, seed2=0):
        key = ("queue", resources.qualified(container, shared_name or ctx.op.name))
        if key not in ctx.state:
            with _CREATE_LOCK:
                if key not in ctx.state:
                    name = shared_name or f"_{next(_NAMES)}_{ctx.op.name}"
                    rng_seed = None if not (seed or seed2) else (seed * 1000003 + seed2) % 2**32
                    ctx.state[key] = _QueueState(kind, name, capacity, shapes,
                                                 min_after_dequeue, rng_seed, component_types)
        return key[1]
    return kernel


for _kind in ("FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue"):
    defop(f"{_kind}V2", infer=_resource_infer, stateful=True, needs_ctx=True,
          device_types=("CPU",))(_make_queue_kernel(_kind)).not_differentiable()


# ----- enqueue -------------------------------------------------------------------------------
def _no_outputs(op):
    return []


@defop("QueueEnqueueV2", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _enqueue(ctx, xp, handle, *components, timeout_ms=-1):
    state = _queue(ctx, handle)
    element = tuple(np.array(c, copy=True) for c in components)
    _check_element(state, element)
    with state.cond:
        state.put(ctx, element)


_enqueue.not_differentiable()


@defop("QueueEnqueueManyV2", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _enqueue_many(ctx, xp, handle, *components, timeout_ms=-1):
    state = _queue(ctx, handle)
    arrays = [np.asarray(c) for c in components]
    n = arrays[0].shape[0] if arrays and arrays[0].ndim else None
    for i, a in enumerate(arrays):
        if a.ndim == 0 or a.shape[0] != n:
            raise errors.InvalidArgumentError(
                None, None, f"Shape mismatch in tuple component {i}. Expected [{n},...], "
                            f"got {TensorShape(list(a.shape)).proto_str()}")
    elements = [tuple(np.array(a[j], copy=True) for a in arrays) for j in range(n or 0)]
    for element in elements:
        _check_element(state, element)
    with state.cond:
        for element in elements:
            state.put(ctx, element)


_enqueue_many.not_differentiable()


# ----- dequeue -------------------------------------------------------------------------------
def _dequeue_infer(op):
    return [(t, s if s is not None else unknown_shape())
            for t, s in zip(op.attrs["component_types"], op.attrs["_shapes"])]


def _batched_infer(op):
    n = op.attrs.get("_static_n")
    return [(t, TensorShape([n]).concatenate(s) if s is not None and s.ndims is not None
             else unknown_shape())
            for t, s in zip(op.attrs["component_types"], op.attrs["_shapes"])]


def _stack(state, elements, ncomp):
    """The components of `elements` stacked along a new axis 0 (padded for a
    PaddingFIFOQueue)."""
    out = []
    for i in range(ncomp):
        values = [e[i] for e in elements]
        dtype = state.dtypes[i].np if state.dtypes else None
        if not values:
            shape = state.shapes[i]
            dims = shape.as_list() if shape is not None and shape.is_fully_defined() else []
            out.append(np.zeros([0, *dims], dtype=dtype))
            continue
        if state.kind == "PaddingFIFOQueue":
            rank = values[0].ndim
            big = [max(v.shape[d] for v in values) for d in range(rank)]
            fill = b"" if values[0].dtype == object else 0
            batch = np.full([len(values), *big], fill, dtype=values[0].dtype)
            for j, v in enumerate(values):
                batch[(j, *[slice(0, d) for d in v.shape])] = v
            out.append(batch)
            continue
        if any(v.shape != values[0].shape for v in values):
            raise errors.InvalidArgumentError(
                None, None, f"{state.kind}'s DequeueMany and DequeueUpTo require the "
                            "components to have specified shapes.")
        out.append(np.stack(values))
    return out


def _dequeue_n(ctx, state, n, up_to):
    with state.cond:
        if up_to:
            def ready():
                return state.available() >= n or (state.closed and len(state.items) < n)
        else:
            def ready():
                return state.available() >= n or state.closed
        state.wait(ctx, ready, "Dequeue")
        have = state.available()
        if have < n:
            if not up_to or have == 0:
                raise state.closed_error(n)
            n = have
        elements = state.take(n)
        state.cond.notify_all()
    return elements


@defop("QueueDequeueV2", infer=_dequeue_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _dequeue(ctx, xp, handle, *, component_types, timeout_ms=-1):
    state = _queue(ctx, handle)
    element = _dequeue_n(ctx, state, 1, False)[0]
    return element[0] if len(element) == 1 else tuple(element)


_dequeue.not_differentiable()


def _dequeue_many_kernel(up_to):
    def kernel(ctx, xp, handle, n, *, component_types, timeout_ms=-1):
        state = _queue(ctx, handle)
        count = int(np.asarray(n))
        if count < 0:
            raise errors.InvalidArgumentError(None, None, f"Request ({count}) must be "
                                                          "non-negative")
        out = _stack(state, _dequeue_n(ctx, state, count, up_to) if count else [],
                     len(component_types))
        return out[0] if len(out) == 1 else tuple(out)
    return kernel


defop("QueueDequeueManyV2", infer=_batched_infer, stateful=True, needs_ctx=True,
      device_types=("CPU",))(_dequeue_many_kernel(False)).not_differentiable()
defop("QueueDequeueUpToV2", infer=_batched_infer, stateful=True, needs_ctx=True,
      device_types=("CPU",))(_dequeue_many_kernel(True)).not_differentiable()


# ----- close, size, is_closed ----------------------------------------------------------------
@defop("QueueCloseV2", infer=_no_outputs, stateful=True, needs_ctx=True, device_types=("CPU",))
def _close(ctx, xp, handle, *, cancel_pending_enqueues=False):
    state = _queue(ctx, handle)
    with state.cond:
        state.closed = True
        state.cancel_enqueues = state.cancel_enqueues or cancel_pending_enqueues
        state.cond.notify_all()


_close.not_differentiable()


def _scalar_infer(dtype):
    return lambda op: [(dtype, TensorShape([]))]


@defop("QueueSizeV2", infer=_scalar_infer(dtypes.int32), stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _size(ctx, xp, handle):
    return np.int32(len(_queue(ctx, handle).items))


_size.not_differentiable()


@defop("QueueIsClosedV2", infer=_scalar_infer(dtypes.bool), stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _is_closed(ctx, xp, handle):
    return np.bool_(_queue(ctx, handle).closed)


_is_closed.not_differentiable()


# ----- the Python classes ----------------------------------------------------------------------
def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class QueueBase:
    """What every queue offers; see FIFOQueue. Build-time errors are TF's (ValueError for a
    wrong number of components or incompatible shapes, TypeError for a wrong dtype)."""

    _op_type = None

    def __init__(self, dtypes_, shapes, names, queue_ref):
        self._dtypes = dtypes_
        self._shapes = shapes
        self._names = names
        self._queue_ref = queue_ref
        self._name = queue_ref.op.name

    @property
    def queue_ref(self):
        """The queue's resource handle."""
        return self._queue_ref

    @property
    def name(self):
        return self._name

    @property
    def dtypes(self):
        return list(self._dtypes)

    @property
    def shapes(self):
        return list(self._shapes)

    @property
    def names(self):
        return self._names

    def _components(self, vals, many):
        if isinstance(vals, dict):
            if self._names is None:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names) != sorted(vals):
                raise ValueError(f"Keys in dictionary to enqueue do not match names of Queue."
                                 f"  Dictionary: {sorted(vals)}, Queue: {sorted(self._names)}")
            vals = [vals[k] for k in self._names]
        vals = _as_list(vals)
        if len(vals) != len(self._dtypes):
            raise ValueError(f"Expected {len(self._dtypes)} components but got {len(vals)}")
        tensors = []
        for i, (v, dt, shape) in enumerate(zip(vals, self._dtypes, self._shapes)):
            t = convert_to_tensor(v, dtype=dt, name=f"component_{i}")
            if shape is not None:
                want = TensorShape([None]).concatenate(shape) if many else shape
                if not want.is_compatible_with(t.shape):
                    raise ValueError(f"Shapes {want.as_list() if want.ndims is not None else '?'}"
                                     f" and {t.shape.as_list()} are incompatible")
            tensors.append(t)
        return tensors

    def enqueue(self, vals, name=None):
        """Enqueues one element (a tensor, a list/tuple, or a dict for named queues);
        the op blocks while the queue is full."""
        with graph_mod.name_scope(name, f"{self._name}_enqueue", []) as scope:
            comps = self._components(vals, False)
            return apply_op("QueueEnqueueV2", self._queue_ref, *comps, name=scope)

    def enqueue_many(self, vals, name=None):
        """Enqueues the elements sliced along dimension 0 of every component."""
        with graph_mod.name_scope(name, f"{self._name}_EnqueueMany", []) as scope:
            comps = self._components(vals, True)
            return apply_op("QueueEnqueueManyV2", self._queue_ref, *comps, name=scope)

    def _wrap(self, outs):
        outs = _as_list(outs) if isinstance(outs, (list, tuple)) else [outs]
        if self._names is not None:
            return dict(zip(self._names, outs))
        return outs[0] if len(outs) == 1 else outs

    def _attrs(self):
        return {"component_types": list(self._dtypes), "_shapes": list(self._shapes)}

    def dequeue(self, name=None):
        """Dequeues one element; blocks until there is one; OutOfRangeError once the queue
        is closed and empty."""
        name = name or f"{self._name}_Dequeue"
        return self._wrap(apply_op("QueueDequeueV2", self._queue_ref, name=name,
                                   **self._attrs()))

    def _dequeue_n(self, op_type, n, name):
        n_t = convert_to_tensor(n, dtype=dtypes.int32, name="n")
        static = n if isinstance(n, int) else None
        if static is None:
            from flowexec.ops import shape_fns

            value = shape_fns.constant_value(n_t)
            static = int(value) if value is not None else None
        if op_type == "QueueDequeueUpToV2":
            static = None  # fewer may come back
        return self._wrap(apply_op(op_type, self._queue_ref, n_t, name=name,
                                   _static_n=static, **self._attrs()))

    def dequeue_many(self, n, name=None):
        """Dequeues `n` elements stacked along a new dimension 0; blocks until there are
        `n`; OutOfRangeError when the queue is closed with fewer."""
        return self._dequeue_n("QueueDequeueManyV2", n, name or f"{self._name}_DequeueMany")

    def dequeue_up_to(self, n, name=None):
        """As dequeue_many, but a closed queue gives what it still holds (at least one)."""
        return self._dequeue_n("QueueDequeueUpToV2", n, name or f"{self._name}_DequeueUpTo")

    def close(self, cancel_pending_enqueues=False, name=None):
        """Closes the queue: no more enqueues; pending enqueues fail too when
        `cancel_pending_enqueues`."""
        return apply_op("QueueCloseV2", self._queue_ref, name=name or f"{self._name}_Close",
                        cancel_pending_enqueues=bool(cancel_pending_enqueues))

    def size(self, name=None):
        """The number of elements in the queue (an int32 scalar)."""
        return apply_op("QueueSizeV2", self._queue_ref, name=name or f"{self._name}_Size")

    def is_closed(self, name=None):
        """Whether the queue is closed (a bool scalar)."""
        return apply_op("QueueIsClosedV2", self._queue_ref,
                        name=name or f"{self._name}_IsClosed")


def _normalize(dtypes_, shapes, names, need_shapes=False):
    dtypes_ = [dtypes.as_dtype(d) for d in _as_list(dtypes_)]
    if shapes is None:
        if need_shapes:
            raise ValueError("When providing partial shapes, a list of shapes must be "
                             "provided.")
        shapes = [None] * len(dtypes_)
    else:
        # TF's rule: a list of dimensions (ints or None; also `()`) is one shape.
        if not isinstance(shapes, (list, tuple)) or all(
                s is None or isinstance(s, int) for s in shapes):
            shapes = [shapes]
        shapes = [as_shape(s) for s in shapes]
        if len(shapes) != len(dtypes_):
            raise ValueError("Queue shapes must have the same length as dtypes")
    if names is not None:
        names = _as_list(names)
        if len(names) != len(dtypes_):
            raise ValueError("Queue names must have the same length as dtypes")
    return dtypes_, shapes, names


def _make(cls, op_type, capacity, dtypes_, shapes, names, shared_name, name, **extra):
    dtypes_, shapes, names = _normalize(dtypes_, shapes, names,
                                        need_shapes=op_type == "PaddingFIFOQueueV2")
    ref = apply_op(op_type, name=name, component_types=dtypes_, shapes=shapes,
                   capacity=int(capacity), shared_name=shared_name or "", **extra)
    QueueBase.__init__(cls, dtypes_, shapes, names, ref)


class FIFOQueue(QueueBase):
    """A queue that dequeues in first-in first-out order.

    Args:
        capacity: the most elements it holds (enqueues block beyond).
        dtypes: the components' dtypes.
        shapes: the components' shapes (required for dequeue_many of differing shapes).
        names: component names (elements are then dicts).
        shared_name, name: the resource's and the op's names.

    Example:
        >>> q = tf.FIFOQueue(3, tf.float32)
        >>> init = q.enqueue_many(([0.0, 0.1, 0.2],))
        >>> x = q.dequeue()
    """

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None,
                 name="fifo_queue"):
        _make(self, "FIFOQueueV2", capacity, dtypes, shapes, names, shared_name, name)


class PaddingFIFOQueue(QueueBase):
    """A FIFOQueue whose dequeue_many pads each component to the batch's largest shape
    (zeros, or b"" for strings); `shapes` is required, None dimensions are padded."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None,
                 name="padding_fifo_queue"):
        if shapes is None:
            raise ValueError("When providing partial shapes, a list of shapes must be "
                             "provided.")
        _make(self, "PaddingFIFOQueueV2", capacity, dtypes, shapes, names, shared_name, name)


class RandomShuffleQueue(QueueBase):
    """A queue that dequeues in random order, keeping at least `min_after_dequeue`
    elements until it is closed (so that what comes out is well mixed).

    Args:
        capacity, dtypes, shapes, names, shared_name, name: as for FIFOQueue.
        min_after_dequeue: elements kept after a dequeue while the queue is open.
        seed: the order's seed (with the graph seed, as TF's op seeds).
    """

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None,
                 seed=None, shared_name=None, name="random_shuffle_queue"):
        from flowexec.ops import random_ops

        seed1, seed2 = random_ops.get_seed(seed)
        _make(self, "RandomShuffleQueueV2", capacity, dtypes, shapes, names, shared_name,
              name, min_after_dequeue=int(min_after_dequeue), seed=int(seed1 or 0),
              seed2=int(seed2 or 0))


__all__ = ["FIFOQueue", "PaddingFIFOQueue", "QueueBase", "RandomShuffleQueue"]
