"""`slim.evaluation` (TF 1.15's contrib/slim/python/slim/evaluation.py): `evaluate_once`
and `evaluation_loop`.

One evaluation restores a checkpoint into a `tf.train.MonitoredSession` (local variables,
i.e. the metrics' accumulators, initialized fresh), runs `initial_op` once, runs `eval_op`
(plus an increment of the local `eval_step` counter) `num_evals` times or until the input
ends, then runs `final_op` and, with a `logdir` and a summary op, writes the summaries at
the checkpoint's global step. `evaluation_loop` does this for each new checkpoint in
`checkpoint_dir` (polled every `eval_interval_secs`) until `max_number_of_evaluations` or
the `timeout`.
"""

import logging

from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.train.session_run_hook import SessionRunArgs, SessionRunHook

_log = logging.getLogger(__name__)

__all__ = ["evaluate_once", "evaluation_loop", "get_or_create_eval_step",
           "StopAfterNEvalsHook", "SummaryAtEndHook"]

_USE_DEFAULT = 0


def get_or_create_eval_step():
    """The graph's `eval_step` counter: a local int64 variable in the EVAL_STEP collection.

    Returns:
        The Variable.

    Raises:
        ValueError: the EVAL_STEP collection holds several variables.

    Example:
        >>> step = slim.evaluation.get_or_create_eval_step()
    """
    from flowexec.framework import dtypes
    from flowexec.ops import array_ops
    from flowexec.variables import Variable

    found = graph_mod.get_collection(GraphKeys.EVAL_STEP)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ValueError("Multiple tensors added to tf.GraphKeys.EVAL_STEP")
    return Variable(lambda: array_ops.zeros([], dtypes.int64), trainable=False,
                    name="eval_step",
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.EVAL_STEP])


class StopAfterNEvalsHook(SessionRunHook):
    """Requests a stop once the eval-step counter reaches `num_evals`.

    Args:
        num_evals: the number of eval_op runs.
        log_progress: log each evaluation step.

    Example:
        >>> hook = slim.evaluation.StopAfterNEvalsHook(10)
    """

    def __init__(self, num_evals, log_progress=True):
        self._num_evals = num_evals
        self._log_progress = log_progress
        self._evals_completed = None

    def _set_evals_completed_tensor(self, updated_eval_step):
        self._evals_completed = updated_eval_step

    def before_run(self, run_context):
        if self._evals_completed is None:
            return None
        return SessionRunArgs({"evals_completed": self._evals_completed})

    def after_run(self, run_context, run_values):
        if self._evals_completed is None:
            return
        done = int(run_values.results["evals_completed"])
        if self._log_progress:
            _log.info("Evaluation [%d/%d]", done, self._num_evals)
        if done >= self._num_evals:
            run_context.request_stop()


class SummaryAtEndHook(SessionRunHook):
    """Runs `summary_op` at the end of the session and writes it to `log_dir` at the global
    step.

    Args:
        log_dir: the event directory.
        summary_op: the summary tensor (None: `tf.summary.merge_all()` at `begin`).
        feed_dict: feeds for the summary op.

    Example:
        >>> hook = slim.evaluation.SummaryAtEndHook("/tmp/eval", summary_op)
    """

    def __init__(self, log_dir, summary_op=None, feed_dict=None):
        self._log_dir = log_dir
        self._summary_op = summary_op
        self._feed_dict = feed_dict
        self._global_step = None

    def begin(self):
        from flowexec import summary
        from flowexec.train.training_util import get_global_step

        if self._summary_op is None:
            self._summary_op = summary.merge_all()
        self._global_step = get_global_step()

    def end(self, session):
        from flowexec.summary import FileWriterCache

        if self._summary_op is None or not self._log_dir:
            return
        step = None if self._global_step is None else int(session.run(self._global_step))
        value = session.run(self._summary_op, self._feed_dict)
        try:
            writer = FileWriterCache.get(self._log_dir)
        except ImportError:
            _log.warning("No summaries written to %s: tensorboard is not installed.",
                         self._log_dir)
            return
        writer.add_summary(value, step)
        writer.flush()


class _InitialOpHook(SessionRunHook):
    def __init__(self, op, feed_dict):
        self._op, self._feed_dict = op, feed_dict

    def after_create_session(self, session, coord):
        if self._op is not None:
            session.run(self._op, self._feed_dict)


def _prepare(initial_op, initial_op_feed_dict, eval_op, final_op, final_op_feed_dict, hooks,
             saver):
    """Adds the eval-step update to eval_op and builds the hooks and scaffold (once, before
    the graph is finalized)."""
    from flowexec.ops.state_ops import assign_add
    from flowexec.train.basic_session_run_hooks import FinalOpsHook
    from flowexec.train.scaffold import Scaffold

    eval_step = get_or_create_eval_step()
    hooks = list(hooks)
    if eval_op is not None:
        update_eval_step = assign_add(eval_step, 1)
        for hook in hooks:
            if isinstance(hook, StopAfterNEvalsHook):
                hook._set_evals_completed_tensor(update_eval_step)
        if isinstance(eval_op, dict):
            eval_op = dict(eval_op)
            eval_op["update_eval_step"] = update_eval_step
        elif isinstance(eval_op, (list, tuple)):
            eval_op = list(eval_op) + [update_eval_step]
        else:
            eval_op = [eval_op, update_eval_step]
    final_hook = FinalOpsHook(final_op, final_op_feed_dict)
    hooks.append(final_hook)
    hooks.insert(0, _InitialOpHook(initial_op, initial_op_feed_dict))
    scaffold = Scaffold(saver=saver)
    scaffold.finalize()
    return eval_op, hooks, final_hook, scaffold


def _run(checkpoint_path, master, eval_op, eval_op_feed_dict, hooks, final_hook, scaffold,
         config):
    from flowexec.train.monitored_session import ChiefSessionCreator, MonitoredSession

    creator = ChiefSessionCreator(scaffold=scaffold,
                                  checkpoint_filename_with_path=checkpoint_path,
                                  master=master, config=config)
    _log.info("Starting evaluation of %s", checkpoint_path)
    with MonitoredSession(session_creator=creator, hooks=hooks) as session:
        if eval_op is not None:
            while not session.should_stop():
                session.run(eval_op, eval_op_feed_dict)
    _log.info("Finished evaluation of %s", checkpoint_path)
    return final_hook.final_ops_values


def _hooks(num_evals, logdir, summary_op, summary_op_feed_dict, hooks):
    from flowexec import summary

    if summary_op is _USE_DEFAULT:
        summary_op = summary.merge_all()
    out = [StopAfterNEvalsHook(num_evals)]
    if summary_op is not None and logdir:
        out.append(SummaryAtEndHook(log_dir=logdir, summary_op=summary_op,
                                    feed_dict=summary_op_feed_dict))
    return out + list(hooks or [])


def _saver(variables_to_restore):
    from flowexec.train.saver import Saver

    return None if variables_to_restore is None else Saver(variables_to_restore)


def evaluate_once(master, checkpoint_path, logdir, num_evals=1, initial_op=None,
                  initial_op_feed_dict=None, eval_op=None, eval_op_feed_dict=None,
                  final_op=None, final_op_feed_dict=None, summary_op=_USE_DEFAULT,
                  summary_op_feed_dict=None, variables_to_restore=None, session_config=None,
                  hooks=None):
    """Evaluates one checkpoint (see the module docstring).

    Args:
        master: the session target.
        checkpoint_path: the checkpoint prefix to restore.
        logdir: where the summaries are written (None: not written).
        num_evals: how many times eval_op runs.
        initial_op, initial_op_feed_dict: run once after the restore.
        eval_op, eval_op_feed_dict: run num_evals times (e.g. the metrics' update ops; a
            Tensor, list or dict).
        final_op, final_op_feed_dict: run at the end; its value is returned.
        summary_op, summary_op_feed_dict: default `tf.summary.merge_all()`.
        variables_to_restore: restored with a Saver of these (default: all).
        session_config: the session's ConfigProto.
        hooks: more SessionRunHooks.

    Returns:
        The value of final_op (None without one).

    Example:
        >>> names_to_values, names_to_updates = slim.metrics.aggregate_metric_map({
        ...     "accuracy": slim.metrics.streaming_accuracy(predictions, labels)})
        >>> values = slim.evaluation.evaluate_once(
        ...     "", ckpt, "/tmp/eval", num_evals=10,
        ...     eval_op=list(names_to_updates.values()), final_op=names_to_values)
    """
    eval_op, all_hooks, final_hook, scaffold = _prepare(
        initial_op, initial_op_feed_dict, eval_op, final_op, final_op_feed_dict,
        _hooks(num_evals, logdir, summary_op, summary_op_feed_dict, hooks),
        _saver(variables_to_restore))
    return _run(checkpoint_path, master, eval_op, eval_op_feed_dict, all_hooks, final_hook,
                scaffold, session_config)


def evaluation_loop(master, checkpoint_dir, logdir, num_evals=1, initial_op=None,
                    initial_op_feed_dict=None, init_fn=None, eval_op=None,
                    eval_op_feed_dict=None, final_op=None, final_op_feed_dict=None,
                    summary_op=_USE_DEFAULT, summary_op_feed_dict=None,
                    variables_to_restore=None, eval_interval_secs=60,
                    max_number_of_evaluations=None, session_config=None, timeout=None,
                    timeout_fn=None, hooks=None):
    """Evaluates each new checkpoint of `checkpoint_dir` as `evaluate_once` does.

    Args:
        master, logdir, num_evals, initial_op, initial_op_feed_dict, eval_op,
        eval_op_feed_dict, final_op, final_op_feed_dict, summary_op, summary_op_feed_dict,
        variables_to_restore, session_config, hooks: as `evaluate_once`.
        checkpoint_dir: the directory watched for checkpoints.
        init_fn: `fn(sess)` run after the restore (after initial_op).
        eval_interval_secs: the least time between two evaluations.
        max_number_of_evaluations: stop after this many (None: no bound).
        timeout: stop when no new checkpoint comes within this many seconds.
        timeout_fn: called on a timeout; True ends the loop.

    Returns:
        The final_op value of the last evaluation (None when none ran).

    Example:
        >>> slim.evaluation.evaluation_loop("", train_dir, eval_dir, num_evals=10,
        ...                                 eval_op=updates, final_op=values,
        ...                                 max_number_of_evaluations=1)
    """
    from flowexec.train.training_extras import checkpoints_iterator

    all_hooks = _hooks(num_evals, logdir, summary_op, summary_op_feed_dict, hooks)
    if init_fn is not None:
        all_hooks.insert(0, _InitFnHook(init_fn))
    eval_op, all_hooks, final_hook, scaffold = _prepare(
        initial_op, initial_op_feed_dict, eval_op, final_op, final_op_feed_dict, all_hooks,
        _saver(variables_to_restore))
    result = None
    count = 0
    for checkpoint_path in checkpoints_iterator(checkpoint_dir, eval_interval_secs, timeout,
                                                timeout_fn):
        result = _run(checkpoint_path, master, eval_op, eval_op_feed_dict, all_hooks,
                      final_hook, scaffold, session_config)
        count += 1
        if max_number_of_evaluations is not None and count >= max_number_of_evaluations:
            _log.info("Reached max_number_of_evaluations=%s. Exit", max_number_of_evaluations)
            break
    return result


class _InitFnHook(SessionRunHook):
    def __init__(self, init_fn):
        self._init_fn = init_fn

    def after_create_session(self, session, coord):
        self._init_fn(session)
