"""TF 1.x queue-based input pipelines: `tf.train.batch`, `shuffle_batch`, the input
producers and `limit_epochs`.

Each function adds a queue, the ops that fill it and a QueueRunner (in the QUEUE_RUNNERS
collection) that runs them in threads once `tf.train.start_queue_runners` (or a
MonitoredSession) starts it, plus TF's "fraction full" summary of the queue. When the
input runs out (`limit_epochs`' counter reaches `num_epochs`: OutOfRangeError), the
runner closes the queue, and dequeuing past its last element raises OutOfRangeError.
"""

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.framework.tensor_shape import as_shape
from flowexec.ops import array_ops, constant_op, logging_ops, math_ops, random_ops
from flowexec.ops.data_flow_ops import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from flowexec.train.queue_runner import QueueRunner, add_queue_runner


def limit_epochs(tensor, num_epochs=None, name=None):
    """`tensor`, which raises OutOfRangeError after being evaluated `num_epochs` times.

    The count is a local variable ("epochs"): initialize it with
    `tf.local_variables_initializer()`.

    Raises:
        ValueError: num_epochs <= 0.
    """
    if num_epochs is None:
        return tensor
    if num_epochs <= 0:
        raise ValueError(f"num_epochs must be > 0 not {num_epochs}.")
    from flowexec import init_ops
    from flowexec.variable_scope import get_variable

    with graph_mod.name_scope(name, "limit_epochs", [tensor]) as scope:
        counter = get_variable(scope + "epochs", shape=[], dtype=dtypes.int64,
                               initializer=init_ops.zeros_initializer(), trainable=False,
                               collections=[GraphKeys.LOCAL_VARIABLES])
        with graph_mod.control_dependencies([counter.count_up_to(num_epochs)]):
            return constant_op.identity(tensor, name=scope[:-1] if scope else None)


def _fraction_full_summary(queue, capacity, tag):
    from flowexec.summary import scalar

    full = math_ops.cast(queue.size(), dtypes.float32) * (1.0 / capacity)
    scalar(tag, full)


def input_producer(input_tensor, element_shape=None, num_epochs=None, shuffle=True, seed=None,
                   capacity=32, shared_name=None, summary_name=None, name=None,
                   cancel_op=None):
    """A FIFOQueue filled with the rows of `input_tensor`, `num_epochs` times (forever by
    default), each pass shuffled when `shuffle`.

    Returns:
        The queue (dequeue from it).
    """
    with graph_mod.name_scope(name, "input_producer", [input_tensor]):
        input_tensor = convert_to_tensor(input_tensor, name="input_tensor")
        element_shape = input_tensor.shape[1:].merge_with(
            element_shape if element_shape is not None else input_tensor.shape[1:])
        if not element_shape.is_fully_defined():
            raise ValueError("Either `input_tensor` must have a fully defined shape or "
                             "`element_shape` must be specified")
        if shuffle:
            input_tensor = random_ops.random_shuffle(input_tensor, seed=seed)
        input_tensor = limit_epochs(input_tensor, num_epochs)
        q = FIFOQueue(capacity=capacity, dtypes=[input_tensor.dtype.base_dtype],
                      shapes=[element_shape], shared_name=shared_name, name=name or "fifo_queue")
        enq = q.enqueue_many([input_tensor])
        add_queue_runner(QueueRunner(q, [enq], cancel_op=cancel_op))
        if summary_name is not None:
            _fraction_full_summary(q, capacity, f"queue/{q.name}/{summary_name}")
        return q


def string_input_producer(string_tensor, num_epochs=None, shuffle=True, seed=None, capacity=32,
                          shared_name=None, name=None, cancel_op=None):
    """A queue of the strings of `string_tensor` (file names, usually).

    Raises:
        ValueError: `string_tensor` is a known empty list.
    """
    if isinstance(string_tensor, (list, tuple)) and not string_tensor:
        raise ValueError("string_input_producer requires a non-null input tensor")
    with graph_mod.name_scope(name, "input_producer", [string_tensor]) as scope:
        string_tensor = convert_to_tensor(string_tensor, dtype=dtypes.string)
        if string_tensor.shape.is_fully_defined() and string_tensor.shape.num_elements() == 0:
            raise ValueError("string_input_producer requires a non-null input tensor")
        # TF checks at run time too (a `match_filenames_once` variable has no static shape)
        # and takes each element as a scalar string
        not_empty = logging_ops.Assert(
            math_ops.greater(array_ops.size(string_tensor), 0),
            ["string_input_producer requires a non-null input tensor"])
        with graph_mod.control_dependencies([not_empty]):
            string_tensor = constant_op.identity(string_tensor)
        return input_producer(string_tensor, element_shape=[], num_epochs=num_epochs,
                              shuffle=shuffle, seed=seed,
                              capacity=capacity, shared_name=shared_name, name=scope,
                              summary_name=f"fraction_of_{capacity}_full", cancel_op=cancel_op)


def range_input_producer(limit, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """A queue of the integers 0 .. limit-1 (int32)."""
    with graph_mod.name_scope(name, "input_producer", [limit]) as scope:
        range_tensor = array_ops.range(limit)
        return input_producer(range_tensor, [], num_epochs, shuffle, seed, capacity,
                              shared_name, f"fraction_of_{capacity}_full", scope)


def slice_input_producer(tensor_list, num_epochs=None, shuffle=True, seed=None, capacity=32,
                         shared_name=None, name=None):
    """One row of each tensor of `tensor_list` at a time (the same row of each).

    Returns:
        A list of tensors: the rows.

    Raises:
        ValueError: an empty `tensor_list`.
    """
    with graph_mod.name_scope(name, "input_producer", tensor_list):
        tensor_list = [convert_to_tensor(t) for t in tensor_list]
        if not tensor_list:
            raise ValueError("Expected at least one tensor in slice_input_producer().")
        range_size = array_ops.shape(tensor_list[0], out_type=dtypes.int32)[0]
        queue = range_input_producer(range_size, num_epochs=num_epochs, shuffle=shuffle,
                                     seed=seed, capacity=capacity, shared_name=shared_name)
        index = queue.dequeue()
        return [array_ops.gather(t, index) for t in tensor_list]


def _flatten(tensors):
    if isinstance(tensors, dict):
        keys = sorted(tensors)
        return [tensors[k] for k in keys], lambda outs: dict(zip(keys, outs))
    if isinstance(tensors, (list, tuple)):
        return list(tensors), list
    return [tensors], lambda outs: outs[0]


def _shapes(tensors, shapes, enqueue_many, dynamic_pad):
    if shapes is not None:
        return [as_shape(s) for s in shapes]
    shapes = [t.shape[1:] if enqueue_many else t.shape for t in tensors]
    for s in shapes:
        if not dynamic_pad and not s.is_fully_defined():
            raise ValueError(f"All shapes must be fully defined: {shapes}")
    return shapes


def _batch(kind, tensors, batch_size, capacity, num_threads, enqueue_many, shapes,
           dynamic_pad, allow_smaller_final_batch, shared_name, name, min_after_dequeue=0,
           seed=None):
    with graph_mod.name_scope(name, kind, _flatten(tensors)[0]):
        flat, rebuild = _flatten(tensors)
        flat = [convert_to_tensor(t) for t in flat]
        shapes = _shapes(flat, shapes, enqueue_many, dynamic_pad)
        types = [t.dtype.base_dtype for t in flat]
        if kind == "shuffle_batch":
            queue = RandomShuffleQueue(capacity, min_after_dequeue, types, shapes, seed=seed,
                                       shared_name=shared_name)
            tag = (f"fraction_over_{min_after_dequeue}_of_{capacity - min_after_dequeue}"
                   "_full")
        elif dynamic_pad:
            queue = PaddingFIFOQueue(capacity, types, shapes, shared_name=shared_name)
            tag = f"fraction_of_{capacity}_full"
        else:
            queue = FIFOQueue(capacity, types, shapes, shared_name=shared_name)
            tag = f"fraction_of_{capacity}_full"
        enqueue = queue.enqueue_many(flat) if enqueue_many else queue.enqueue(flat)
        add_queue_runner(QueueRunner(queue, [enqueue] * num_threads))
        if kind == "shuffle_batch":
            from flowexec.summary import scalar

            scalar(tag, math_ops.cast(math_ops.maximum(queue.size() - min_after_dequeue, 0),
                                      dtypes.float32) * (1.0 / (capacity - min_after_dequeue)))
        else:
            _fraction_full_summary(queue, capacity, tag)
        out = (queue.dequeue_up_to(batch_size) if allow_smaller_final_batch
               else queue.dequeue_many(batch_size))
        outs = out if isinstance(out, list) else [out]
        return rebuild(outs)


def batch(tensors, batch_size, num_threads=1, capacity=32, enqueue_many=False, shapes=None,
          dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None, name=None):
    """Batches `tensors` (a tensor, list or dict) through a FIFOQueue and `num_threads`
    enqueueing threads.

    Args:
        tensors: what to batch; with `enqueue_many`, each holds many examples along dim 0.
        batch_size: examples per batch.
        num_threads: enqueueing threads.
        capacity: the queue's capacity.
        enqueue_many: see `tensors`.
        shapes: the examples' shapes (default: the tensors' static shapes).
        dynamic_pad: pad examples of varying shapes to the batch's largest.
        allow_smaller_final_batch: the last batch may be smaller.
        shared_name, name: the queue's shared name and the name scope.

    Returns:
        The batched tensors, in the structure of `tensors`.

    Raises:
        ValueError: a shape that is not fully defined (without `dynamic_pad`).

    Example:
        >>> image, label = tf.train.slice_input_producer([images, labels])
        >>> images_b, labels_b = tf.train.batch([image, label], batch_size=32)
    """
    return _batch("batch", tensors, batch_size, capacity, num_threads, enqueue_many, shapes,
                  dynamic_pad, allow_smaller_final_batch, shared_name, name)


def shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, num_threads=1, seed=None,
                  enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                  shared_name=None, name=None):
    """Batches `tensors` in random order through a RandomShuffleQueue that keeps at least
    `min_after_dequeue` examples to draw from; arguments as for `batch`."""
    return _batch("shuffle_batch", tensors, batch_size, capacity, num_threads, enqueue_many,
                  shapes, False, allow_smaller_final_batch, shared_name, name,
                  min_after_dequeue=min_after_dequeue, seed=seed)


__all__ = ["batch", "input_producer", "limit_epochs", "range_input_producer", "shuffle_batch",
           "slice_input_producer", "string_input_producer"]
