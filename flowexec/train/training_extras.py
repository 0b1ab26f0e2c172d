"""More of `tf.train`: the joined and conditional batching functions (batch_join,
shuffle_batch_join, maybe_batch, maybe_shuffle_batch and their _join forms),
piecewise_constant_decay, match_filenames_once, and the checkpoint helpers load_variable,
checkpoints_iterator, generate_checkpoint_state_proto and summary_iterator.

The batching functions share `tf.train.batch`'s queue machinery: one enqueue op per tensor
list (one thread each for the _join forms), and for the maybe_ forms only the examples whose
`keep_input` is true are enqueued.
"""

import os
import time

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import GraphKeys
from flowexec.ops import array_ops, math_ops
from flowexec.ops.data_flow_ops import FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue
from flowexec.train import input as _input
from flowexec.train.learning_rate_decay import piecewise_constant
from flowexec.train.queue_runner import QueueRunner, add_queue_runner

__all__ = ["batch_join", "checkpoints_iterator", "generate_checkpoint_state_proto",
           "load_variable", "match_filenames_once", "maybe_batch", "maybe_batch_join",
           "maybe_shuffle_batch", "maybe_shuffle_batch_join", "piecewise_constant_decay",
           "shuffle_batch_join", "summary_iterator"]

piecewise_constant_decay = piecewise_constant


def _kept(flat, keep_input, enqueue_many):
    """The tensors of one example list reduced to the examples `keep_input` keeps, as a
    batch along dim 0 (so that they are enqueued with enqueue_many)."""
    keep = convert_to_tensor(keep_input, dtype=dtypes.bool, name="keep_input")
    if keep.shape.ndims == 0:
        if enqueue_many:
            n = array_ops.shape(flat[0])[0]
            keep = array_ops.fill(array_ops.reshape(n, [1]), keep)
        else:
            flat = [array_ops.expand_dims(t, 0) for t in flat]
            keep = array_ops.reshape(keep, [1])
    elif not enqueue_many:
        raise ValueError("keep_input must be a scalar when enqueue_many is False")
    return [array_ops.boolean_mask(t, keep) for t in flat]


def _batch_lists(kind, tensors_list, batch_size, capacity, enqueue_many, shapes, dynamic_pad,
                 allow_smaller_final_batch, shared_name, name, keep_input=None,
                 min_after_dequeue=0, seed=None):
    if not tensors_list:
        raise ValueError("Expected at least one set of tensors in tensors_list.")
    first, rebuild = _input._flatten(tensors_list[0])
    with graph_mod.name_scope(name, kind, first):
        lists = []
        for tensors in tensors_list:
            flat, _ = _input._flatten(tensors)
            if len(flat) != len(first):
                raise ValueError("Expected all tensor lists in tensors_list to have the same "
                                 "number of tensors.")
            lists.append([convert_to_tensor(t) for t in flat])
        types = [t.dtype.base_dtype for t in lists[0]]
        for flat in lists[1:]:
            if [t.dtype.base_dtype for t in flat] != types:
                raise TypeError(f"Expected types to be consistent: {types} vs. "
                                f"{[t.dtype.base_dtype for t in flat]}.")
        shapes = _input._shapes(lists[0], shapes, enqueue_many, dynamic_pad)
        if kind.startswith("shuffle"):
            queue = RandomShuffleQueue(capacity, min_after_dequeue, types, shapes, seed=seed,
                                       shared_name=shared_name)
        elif dynamic_pad:
            queue = PaddingFIFOQueue(capacity, types, shapes, shared_name=shared_name)
        else:
            queue = FIFOQueue(capacity, types, shapes, shared_name=shared_name)
        enqueues = []
        for flat in lists:
            if keep_input is not None:
                enqueues.append(queue.enqueue_many(_kept(flat, keep_input, enqueue_many)))
            elif enqueue_many:
                enqueues.append(queue.enqueue_many(flat))
            else:
                enqueues.append(queue.enqueue(flat))
        add_queue_runner(QueueRunner(queue, enqueues))
        if kind.startswith("shuffle"):
            from flowexec.summary import scalar

            tag = (f"fraction_over_{min_after_dequeue}_of_{capacity - min_after_dequeue}"
                   "_full")
            scalar(tag, math_ops.cast(math_ops.maximum(queue.size() - min_after_dequeue, 0),
                                      dtypes.float32) * (1.0 / (capacity - min_after_dequeue)))
        else:
            _input._fraction_full_summary(queue, capacity, f"fraction_of_{capacity}_full")
        out = (queue.dequeue_up_to(batch_size) if allow_smaller_final_batch
               else queue.dequeue_many(batch_size))
        return rebuild(out if isinstance(out, list) else [out])


def batch_join(tensors_list, batch_size, capacity=32, enqueue_many=False, shapes=None,
               dynamic_pad=False, allow_smaller_final_batch=False, shared_name=None,
               name=None):
    """Batches examples from several tensor lists (e.g. several readers), one enqueueing
    thread per list, into one FIFOQueue; otherwise as `tf.train.batch`.

    Raises:
        ValueError: `tensors_list` is empty or its lists differ in length.
        TypeError: the lists' dtypes differ.
    """
    return _batch_lists("batch_join", tensors_list, batch_size, capacity, enqueue_many,
                        shapes, dynamic_pad, allow_smaller_final_batch, shared_name, name)


def shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue, seed=None,
                       enqueue_many=False, shapes=None, allow_smaller_final_batch=False,
                       shared_name=None, name=None):
    """`batch_join` through a RandomShuffleQueue (as `tf.train.shuffle_batch`)."""
    return _batch_lists("shuffle_batch_join", tensors_list, batch_size, capacity, enqueue_many,
                        shapes, False, allow_smaller_final_batch, shared_name, name,
                        min_after_dequeue=min_after_dequeue, seed=seed)


def maybe_batch(tensors, keep_input, batch_size, num_threads=1, capacity=32,
                enqueue_many=False, shapes=None, dynamic_pad=False,
                allow_smaller_final_batch=False, shared_name=None, name=None):
    """`tf.train.batch` that enqueues an example only where `keep_input` is true (a scalar
    bool, or with `enqueue_many` one bool per example)."""
    return _batch_lists("maybe_batch", [tensors] * num_threads, batch_size, capacity,
                        enqueue_many, shapes, dynamic_pad, allow_smaller_final_batch,
                        shared_name, name, keep_input=keep_input)


def maybe_batch_join(tensors_list, keep_input, batch_size, capacity=32, enqueue_many=False,
                     shapes=None, dynamic_pad=False, allow_smaller_final_batch=False,
                     shared_name=None, name=None):
    """`batch_join` that enqueues only the examples `keep_input` keeps."""
    return _batch_lists("maybe_batch_join", tensors_list, batch_size, capacity, enqueue_many,
                        shapes, dynamic_pad, allow_smaller_final_batch, shared_name, name,
                        keep_input=keep_input)


def maybe_shuffle_batch(tensors, batch_size, capacity, min_after_dequeue, keep_input,
                        num_threads=1, seed=None, enqueue_many=False, shapes=None,
                        allow_smaller_final_batch=False, shared_name=None, name=None):
    """`tf.train.shuffle_batch` that enqueues only the examples `keep_input` keeps."""
    return _batch_lists("shuffle_maybe_batch", [tensors] * num_threads, batch_size, capacity,
                        enqueue_many, shapes, False, allow_smaller_final_batch, shared_name,
                        name, keep_input=keep_input, min_after_dequeue=min_after_dequeue,
                        seed=seed)


def maybe_shuffle_batch_join(tensors_list, batch_size, capacity, min_after_dequeue,
                             keep_input, seed=None, enqueue_many=False, shapes=None,
                             allow_smaller_final_batch=False, shared_name=None, name=None):
    """`shuffle_batch_join` that enqueues only the examples `keep_input` keeps."""
    return _batch_lists("shuffle_maybe_batch_join", tensors_list, batch_size, capacity,
                        enqueue_many, shapes, False, allow_smaller_final_batch, shared_name,
                        name, keep_input=keep_input, min_after_dequeue=min_after_dequeue,
                        seed=seed)


def match_filenames_once(pattern, name=None):
    """A local variable holding the file names that match `pattern`, evaluated once when
    local variables are initialized (as TF).

    Example:
        >>> files = tf.train.match_filenames_once("/data/*.tfrecord")
        >>> sess.run(tf.local_variables_initializer()); sess.run(files)
    """
    from flowexec.ops.io_ops import matching_files
    from flowexec.variables import Variable

    with graph_mod.name_scope(name, "matching_filenames", [pattern]) as scope:
        return Variable(matching_files(pattern), trainable=False, validate_shape=False,
                        name=scope.rstrip("/") or "matching_filenames",
                        collections=[GraphKeys.LOCAL_VARIABLES])


def load_variable(ckpt_dir_or_file, name):
    """The value (a numpy array) of variable `name` in a checkpoint (or a directory's latest
    checkpoint); a name ending in ":0" is accepted.

    Raises:
        ValueError / NotFoundError: no checkpoint, or no such variable.
    """
    from flowexec.graph_io.checkpoint_reader import load_checkpoint

    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def generate_checkpoint_state_proto(save_dir, model_checkpoint_path,
                                    all_model_checkpoint_paths=None,
                                    all_model_checkpoint_timestamps=None,
                                    last_preserved_timestamp=None):
    """The CheckpointState a "checkpoint" file in `save_dir` would hold: relative paths when
    `save_dir` is relative, the latest path last in all_model_checkpoint_paths.

    Raises:
        ValueError: the timestamps do not match the paths.
    """
    from flowexec.train.checkpoint_management import CheckpointState

    paths = list(all_model_checkpoint_paths or [])
    if paths and paths[-1] != model_checkpoint_path:
        paths.append(model_checkpoint_path)
    elif not paths:
        paths = [model_checkpoint_path]
    stamps = list(all_model_checkpoint_timestamps or [])
    if stamps and len(stamps) != len(paths):
        raise ValueError(f"Checkpoint timestamps, if provided, must match checkpoint paths "
                         f"(got paths {paths} and timestamps {stamps})")
    if not os.path.isabs(save_dir):
        if not os.path.isabs(model_checkpoint_path):
            model_checkpoint_path = os.path.relpath(model_checkpoint_path, save_dir)
        paths = [p if os.path.isabs(p) else os.path.relpath(p, save_dir) for p in paths]
    return CheckpointState(model_checkpoint_path=model_checkpoint_path,
                           all_model_checkpoint_paths=paths,
                           all_model_checkpoint_timestamps=stamps,
                           last_preserved_timestamp=last_preserved_timestamp or 0.0)


def checkpoints_iterator(checkpoint_dir, min_interval_secs=0, timeout=None, timeout_fn=None):
    """Yields each new checkpoint prefix of `checkpoint_dir` as it appears, waiting for the
    next one; stops after `timeout` seconds without one (unless `timeout_fn` returns False,
    which continues waiting), as TF's.

    Example:
        >>> for path in tf.train.checkpoints_iterator("/tmp/model", timeout=60):
        ...     evaluate(path)
    """
    from flowexec.train.checkpoint_management import latest_checkpoint

    last = None
    while True:
        start = time.time()
        path = None
        while True:
            path = latest_checkpoint(checkpoint_dir)
            if path is not None and path != last:
                break
            if timeout is not None and time.time() - start + 1 > timeout:
                path = None
                break
            time.sleep(1)
        if path is None:
            if timeout_fn is None or timeout_fn():
                return
            continue
        last = path
        yield path
        wait = start + min_interval_secs - time.time()
        if wait > 0:
            time.sleep(wait)


def summary_iterator(path):
    """The `Event` protocol buffers of an event file, in order (needs tensorboard).

    Example:
        >>> for e in tf.train.summary_iterator(path):
        ...     for v in e.summary.value: print(e.step, v.tag, v.simple_value)
    """
    from flowexec.summary import protos

    event_cls = protos.proto_class("Event")
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    for record in RawEventFileLoader(os.fspath(path)).Load():
        yield event_cls.FromString(record)
