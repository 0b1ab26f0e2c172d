"""`slim.learning` (TF 1.15's contrib/slim/python/slim/learning.py): gradient helpers,
`create_train_op` and the `train` loop.

`create_train_op` returns a *tensor*: the total loss, computed after the gradients are
applied (and after the UPDATE_OPS, e.g. batch-norm moving averages), checked for inf/NaN.
Running it is one training step.

`train` runs `train_step_fn(sess, train_op, global_step, train_step_kwargs)` in a
`tf.train.Supervisor`'s managed session until `train_step_fn` says stop — by default when
the global step reaches `number_of_steps` (checked after each step, so a resumed run whose
checkpoint is already past it still runs one step) — or the input ends (OutOfRangeError).
The Supervisor restores the latest checkpoint in `logdir` or runs `init_op` then `init_fn`;
on the chief with a `logdir` it saves checkpoints every `save_interval_secs` (the first one
when the services start), summaries every `save_summaries_secs`, and a final checkpoint
(`<logdir>/model.ckpt-<step>`) after the services are stopped.
An AbortedError restarts the session, as in TF.
"""

import logging
import sys
import time

from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.ops import math_ops
from flowexec.ops import numerics_ops
from flowexec.ops.constant_op import constant, identity, no_op

_log = logging.getLogger(__name__)

__all__ = ["add_gradients_summaries", "clip_gradient_norms", "clip_gradient_norms_fn",
           "create_train_op", "multiply_gradients", "train", "train_step"]

_USE_DEFAULT = 0
_USE_GLOBAL_STEP = 0


def _map_grad(grad, fn):
    if isinstance(grad, IndexedSlices):
        return IndexedSlices(fn(grad.values), grad.indices, grad.dense_shape)
    return fn(grad)


def clip_gradient_norms(gradients_to_variables, max_norm):
    """Clips each gradient to L2 norm `max_norm` (`tf.clip_by_norm`; an IndexedSlices'
    values are clipped).

    Args:
        gradients_to_variables: a list of `(gradient, variable)` pairs.
        max_norm: the maximum norm.

    Returns:
        The list of clipped pairs (None gradients kept).

    Example:
        >>> grads = slim.learning.clip_gradient_norms(opt.compute_gradients(loss), 5.0)
    """
    from flowexec.ops.clip_ops import clip_by_norm

    out = []
    for grad, var in gradients_to_variables:
        if grad is not None:
            grad = _map_grad(grad, lambda g: clip_by_norm(g, max_norm))
        out.append((grad, var))
    return out


def clip_gradient_norms_fn(max_norm):
    """A `transform_grads_fn` clipping every gradient to `max_norm`.

    Example:
        >>> fn = slim.learning.clip_gradient_norms_fn(5.0)
    """
    def clip_norms(gradients_to_variables):
        return clip_gradient_norms(gradients_to_variables, max_norm)
    return clip_norms


def multiply_gradients(grads_and_vars, gradient_multipliers):
    """Scales the gradients of the variables named in `gradient_multipliers`.

    Args:
        grads_and_vars: a list of `(gradient, variable)` pairs.
        gradient_multipliers: a dict from a Variable or its op name to a float.

    Returns:
        The list of pairs, scaled where a multiplier applies.

    Raises:
        ValueError: grads_and_vars is not a list, or gradient_multipliers is empty or not a
            dict.

    Example:
        >>> grads = slim.learning.multiply_gradients(grads, {"logits/weights": 10.0})
    """
    if not isinstance(grads_and_vars, list):
        raise ValueError("`grads_and_vars` must be a list.")
    if not gradient_multipliers:
        raise ValueError("`gradient_multipliers` is empty.")
    if not isinstance(gradient_multipliers, dict):
        raise ValueError("`gradient_multipliers` must be a dict.")
    by_name = {}
    for key, value in gradient_multipliers.items():
        by_name[key if isinstance(key, str) else key.op.name] = value
    out = []
    for grad, var in grads_and_vars:
        if grad is not None and var.op.name in by_name:
            mult = by_name[var.op.name]
            grad = _map_grad(grad, lambda g, m=mult: g * constant(m, dtype=g.dtype.base_dtype))
        out.append((grad, var))
    return out


def add_gradients_summaries(grads_and_vars):
    """Adds a histogram `<var>/gradient` and a scalar `<var>/gradient_norm` per gradient.

    Args:
        grads_and_vars: a list of `(gradient, variable)` pairs.

    Returns:
        The list of summary tensors.

    Example:
        >>> slim.learning.add_gradients_summaries(grads)
    """
    from flowexec import summary
    from flowexec.ops.clip_ops import global_norm

    summaries = []
    for grad, var in grads_and_vars:
        if grad is None:
            _log.info("Var %s has no gradient", var.op.name)
            continue
        values = grad.values if isinstance(grad, IndexedSlices) else grad
        summaries.append(summary.histogram(var.op.name + "/gradient", values))
        summaries.append(summary.scalar(var.op.name + "/gradient_norm", global_norm([values])))
    return summaries


def create_train_op(total_loss, optimizer, global_step=_USE_GLOBAL_STEP, update_ops=None,
                    variables_to_train=None, clip_gradient_norm=0, summarize_gradients=False,
                    gate_gradients=1, aggregation_method=None,
                    colocate_gradients_with_ops=False, gradient_multipliers=None,
                    check_numerics=True):
    """A tensor that applies one optimizer step and gives the total loss.

    Args:
        total_loss: the scalar loss to minimize.
        optimizer: a `tf.train.Optimizer`.
        global_step: incremented by the step (default: `get_or_create_global_step()`;
            None: not incremented).
        update_ops: ops run before the loss (default: the UPDATE_OPS collection).
        variables_to_train: default every trainable variable.
        clip_gradient_norm: if > 0, each gradient is clipped to this norm.
        summarize_gradients: add gradient histograms and norms.
        gate_gradients, aggregation_method, colocate_gradients_with_ops: passed to
            `compute_gradients`.
        gradient_multipliers: a dict from a Variable (or op name) to a gradient scale.
        check_numerics: raise when the loss is inf or NaN.

    Returns:
        The train tensor (also added to the TRAIN_OP collection).

    Raises:
        ValueError: no variables to train.

    Example:
        >>> train_op = slim.learning.create_train_op(total_loss,
        ...                                          tf.train.GradientDescentOptimizer(0.1))
    """
    from flowexec.train.training_util import get_or_create_global_step
    from flowexec.variables import trainable_variables

    if global_step is _USE_GLOBAL_STEP:
        global_step = get_or_create_global_step()
    collected = list(graph_mod.get_collection(GraphKeys.UPDATE_OPS))
    if update_ops is None:
        update_ops = collected
    else:
        update_ops = list(update_ops)
        if not {id(o) for o in collected} <= {id(o) for o in update_ops}:
            _log.warning("update_ops in create_train_op does not contain all the update_ops "
                         "in GraphKeys.UPDATE_OPS")
    if update_ops:
        with graph_mod.control_dependencies(update_ops):
            barrier = no_op(name="update_barrier")
        with graph_mod.control_dependencies([barrier]):
            total_loss = identity(total_loss)
    if variables_to_train is None:
        variables_to_train = trainable_variables()
    if not variables_to_train:
        raise ValueError("No variables to train.")
    grads = optimizer.compute_gradients(
        total_loss, variables_to_train, gate_gradients=gate_gradients,
        aggregation_method=aggregation_method,
        colocate_gradients_with_ops=colocate_gradients_with_ops)
    if gradient_multipliers:
        with graph_mod.name_scope("multiply_grads"):
            grads = multiply_gradients(grads, gradient_multipliers)
    if clip_gradient_norm > 0:
        with graph_mod.name_scope("clip_grads"):
            grads = clip_gradient_norms(grads, clip_gradient_norm)
    if summarize_gradients:
        with graph_mod.name_scope("summarize_grads"):
            add_gradients_summaries(grads)
    grad_updates = optimizer.apply_gradients(grads, global_step=global_step)
    with graph_mod.name_scope("train_op"):
        if check_numerics:
            total_loss = numerics_ops.check_numerics(total_loss, "LossTensor is inf or nan")
        with graph_mod.control_dependencies([grad_updates]):
            train_op = identity(total_loss)
    train_ops = graph_mod.get_collection_ref(GraphKeys.TRAIN_OP)
    if train_op not in train_ops:
        train_ops.append(train_op)
    return train_op


def train_step(sess, train_op, global_step, train_step_kwargs):
    """One step of `train`: runs `train_op` and the global step, logs, decides to stop.

    Args:
        sess: the session.
        train_op: the train tensor of `create_train_op`.
        global_step: the global step tensor.
        train_step_kwargs: a dict; "should_stop" (a boolean tensor) and "should_log" are
            used when present.

    Returns:
        `(total_loss, should_stop)`.

    Example:
        >>> loss, stop = slim.learning.train_step(sess, train_op, step, {})
    """
    start = time.time()
    total_loss, np_global_step = sess.run([train_op, global_step])
    elapsed = time.time() - start
    if "should_log" in train_step_kwargs and sess.run(train_step_kwargs["should_log"]):
        _log.info("global step %d: loss = %.4f (%.3f sec/step)", np_global_step, total_loss,
                  elapsed)
    should_stop = False
    if "should_stop" in train_step_kwargs:
        should_stop = bool(sess.run(train_step_kwargs["should_stop"]))
    return total_loss, should_stop


def _wait_for_step(sess, global_step, step):
    while int(sess.run(global_step)) < step:
        time.sleep(1.0)


def train(train_op, logdir, train_step_fn=train_step, train_step_kwargs=_USE_DEFAULT,
          log_every_n_steps=1, graph=None, master="", is_chief=True, global_step=None,
          number_of_steps=None, init_op=_USE_DEFAULT, init_feed_dict=None,
          local_init_op=_USE_DEFAULT, init_fn=None, ready_op=_USE_DEFAULT,
          summary_op=_USE_DEFAULT, save_summaries_secs=600, summary_writer=_USE_DEFAULT,
          startup_delay_steps=0, saver=None, save_interval_secs=600, sync_optimizer=None,
          session_config=None, session_wrapper=None, trace_every_n_steps=None,
          ignore_live_threads=False):
    """Runs the training loop (see the module docstring).

    Args:
        train_op: the train tensor of `create_train_op`.
        logdir: where checkpoints and summaries go (None: nowhere).
        train_step_fn: `fn(sess, train_op, global_step, train_step_kwargs) -> (loss, stop)`.
        train_step_kwargs: the dict given to train_step_fn (default: "should_stop" from
            number_of_steps and "should_log" every log_every_n_steps).
        log_every_n_steps: log the loss every n global steps.
        graph: the graph (default: the default graph).
        master: the session target.
        is_chief: whether this task initializes, saves and writes summaries.
        global_step: default `get_or_create_global_step()`.
        number_of_steps: stop when the global step reaches it (None: until the input ends).
        init_op, init_feed_dict, local_init_op, ready_op: for the Supervisor (defaults:
            global initializer, local+tables initializer, report_uninitialized_variables).
        init_fn: `fn(sess)` after init_op (e.g. `assign_from_checkpoint_fn`).
        summary_op: default `tf.summary.merge_all()`.
        save_summaries_secs, save_interval_secs: the services' intervals.
        summary_writer: passed to the Supervisor.
        startup_delay_steps: a non-chief waits for the chief to reach this step.
        saver: default a Saver of all variables.
        sync_optimizer: not supported (must be None).
        session_config: the session's ConfigProto.
        session_wrapper: `fn(sess) -> sess` applied to the managed session.
        trace_every_n_steps: not supported (must be None).
        ignore_live_threads: passed to `Supervisor.stop`.

    Returns:
        The last loss value (None when no step ran).

    Raises:
        ValueError: train_op is None; a summary_op/saver/trace without a logdir;
            number_of_steps <= 0; sync_optimizer or trace_every_n_steps given.

    Example:
        >>> final_loss = slim.learning.train(train_op, "/tmp/run", number_of_steps=1000,
        ...                                  save_interval_secs=60)
    """
    from flowexec import summary
    from flowexec import variables as tf_variables
    from flowexec.compat_api import tables_initializer
    from flowexec.ops.constant_op import group
    from flowexec.train.saver import Saver
    from flowexec.train.supervisor import Supervisor
    from flowexec.train.training_util import get_or_create_global_step

    if train_op is None:
        raise ValueError("train_op cannot be None.")
    if logdir is None:
        if summary_op != _USE_DEFAULT:
            raise ValueError("Cannot provide summary_op because logdir=None")
        if saver is not None:
            raise ValueError("Cannot provide saver because logdir=None")
        if trace_every_n_steps is not None:
            raise ValueError("Cannot provide trace_every_n_steps because logdir=None")
    if sync_optimizer is not None:
        raise ValueError("sync_optimizer is not supported by flowexec's slim.learning.train")
    if trace_every_n_steps is not None:
        raise ValueError("trace_every_n_steps is not supported by flowexec's "
                         "slim.learning.train")
    if number_of_steps is not None and number_of_steps <= 0:
        raise ValueError("`number_of_steps` must be either None or a positive number.")

    graph = graph or graph_mod.get_default_graph()
    with graph.as_default():
        if global_step is None:
            global_step = get_or_create_global_step()
        saver = saver or Saver()
        if init_op is _USE_DEFAULT:
            init_op = tf_variables.global_variables_initializer()
        if ready_op is _USE_DEFAULT:
            ready_op = tf_variables.report_uninitialized_variables()
        if local_init_op is _USE_DEFAULT:
            local_init_op = group(tf_variables.local_variables_initializer(),
                                  tables_initializer())
        if summary_op is _USE_DEFAULT:
            summary_op = summary.merge_all()
        if summary_writer is _USE_DEFAULT:
            summary_writer = Supervisor.USE_DEFAULT
        if train_step_kwargs is _USE_DEFAULT:
            with graph_mod.name_scope("train_step"):
                train_step_kwargs = {}
                if number_of_steps:
                    should_stop_op = math_ops.greater_equal(global_step, number_of_steps)
                else:
                    should_stop_op = constant(False)
                train_step_kwargs["should_stop"] = should_stop_op
                if log_every_n_steps > 0:
                    train_step_kwargs["should_log"] = math_ops.equal(
                        math_ops.mod(global_step, log_every_n_steps), 0)

    sv = Supervisor(graph=graph, is_chief=is_chief, logdir=logdir, init_op=init_op,
                    init_feed_dict=init_feed_dict, local_init_op=local_init_op,
                    ready_op=ready_op, summary_op=summary_op, summary_writer=summary_writer,
                    global_step=global_step, saver=saver,
                    save_summaries_secs=save_summaries_secs,
                    save_model_secs=save_interval_secs, init_fn=init_fn)
    if summary_writer is not None:
        train_step_kwargs["summary_writer"] = sv.summary_writer

    total_loss = None
    should_retry = True
    while should_retry:
        should_retry = False
        try:
            with sv.managed_session(master, start_standard_services=False,
                                    config=session_config) as sess:
                _log.info("Starting Session.")
                if session_wrapper is not None:
                    sess = session_wrapper(sess)
                if is_chief:
                    if logdir:
                        sv.start_standard_services(sess)
                elif startup_delay_steps > 0:
                    _wait_for_step(sess, global_step,
                                   min(startup_delay_steps, number_of_steps or sys.maxsize))
                threads = sv.start_queue_runners(sess)
                _log.info("Starting Queues.")
                try:
                    while not sv.should_stop():
                        total_loss, should_stop = train_step_fn(sess, train_op, global_step,
                                                                train_step_kwargs)
                        if should_stop:
                            _log.info("Stopping Training.")
                            sv.request_stop()
                            break
                except errors.OutOfRangeError as e:
                    _log.info("Caught OutOfRangeError. Stopping Training. %s", e)
                if logdir and sv.is_chief:
                    # TF's order: the final save, then the services stop. A periodic save
                    # still running finishes first (one Saver saves one at a time).
                    _log.info("Finished training! Saving model to disk.")
                    sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
                    sv.stop(threads, close_summary_writer=True,
                            ignore_live_threads=ignore_live_threads)
        except errors.AbortedError:
            _log.info("Retrying training!")
            should_retry = True
    return total_loss
