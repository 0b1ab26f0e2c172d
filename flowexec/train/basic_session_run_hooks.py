"""The standard SessionRunHooks: stopping, checkpoints, summaries, logging, NaN checks.

Hooks that act "every N steps or seconds" share `SecondOrStepTimer`. Hooks that need the
global step find it in the graph at `begin()` (RuntimeError when there is none) and fetch
it with each run: the value fetched is the one from before the run's updates, so a hook
that must act on the new step reads it once more (only when it is about to act).

Summaries and events are written through `tf.summary.FileWriterCache`, which needs the
optional `tensorboard` package: without it these hooks log a warning when they begin and
write no event files (checkpoints, traces, logs and stop requests work all the same).
"""

import logging
import os
import time

import numpy as np

from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.train import training_util
from flowexec.train.session_run_hook import SessionRunArgs, SessionRunHook

_log = logging.getLogger("flowexec")


def _summary_writer(logdir):
    """The cached FileWriter for `logdir`; None (and a warning) without tensorboard."""
    from flowexec.summary import FileWriterCache

    try:
        return FileWriterCache.get(logdir)
    except ImportError:
        _log.warning("No event files are written to %s: tensorboard is not installed "
                     "(pip install flowexec[tensorboard]).", logdir)
        return None


def _global_step_tensor(hook_name):
    step = training_util.get_global_step()
    if step is None:
        raise RuntimeError(f"Global step should be created to use {hook_name}.")
    return step


def _as_graph_element(obj):
    """A tensor or op of the default graph for `obj` (a name, Tensor or Variable)."""
    graph = graph_mod.get_default_graph()
    if not isinstance(obj, str):
        if getattr(obj, "graph", None) is not graph:
            raise ValueError(f"Passed {obj} should have graph attribute that is equal to "
                             f"current graph {graph}.")
        return obj
    if ":" in obj:
        return graph.as_graph_element(obj)
    element = graph.as_graph_element(obj + ":0")
    try:
        graph.as_graph_element(obj + ":1")
    except (KeyError, ValueError):
        return element
    raise ValueError(f"Name {obj} is ambiguous, as this `Operation` has multiple outputs "
                     "(at least 2).")


def _write_graph_pbtxt(graph, checkpoint_dir):
    """Writes `graph.pbtxt` beside the checkpoints, as TF; only warns when the graph has no
    GraphDef form (a flowexec-only op) or the protobuf classes are not installed."""
    from flowexec.graph_io.export import write_graph

    try:
        write_graph(graph, checkpoint_dir, "graph.pbtxt")
    except (ImportError, ValueError) as e:
        _log.warning("graph.pbtxt is not written to %s: %s", checkpoint_dir, e)


class SecondOrStepTimer:
    """Triggers at most once every `every_secs` seconds or every `every_steps` steps.

    Raises:
        ValueError: neither or both given.
    """

    def __init__(self, every_secs=None, every_steps=None):
        self.reset()
        self._every_secs = every_secs
        self._every_steps = every_steps
        if every_secs is None and every_steps is None:
            raise ValueError("Either every_secs or every_steps should be provided.")
        if every_secs is not None and every_steps is not None:
            raise ValueError("Can not provide both every_secs and every_steps.")

    def reset(self):
        """Forgets the last trigger."""
        self._last_triggered_step = None
        self._last_triggered_time = None

    def should_trigger_for_step(self, step):
        """Whether the timer triggers at `step` (always the first time)."""
        if self._last_triggered_step is None:
            return True
        if self._last_triggered_step == step:
            return False
        if self._every_secs is not None and \
                time.time() >= self._last_triggered_time + self._every_secs:
            return True
        return self._every_steps is not None and \
            step >= self._last_triggered_step + self._every_steps

    def update_last_triggered_step(self, step):
        """Records a trigger at `step`; returns (elapsed secs, elapsed steps) since the
        last one, both None the first time."""
        now = time.time()
        if self._last_triggered_time is None:
            elapsed = (None, None)
        else:
            elapsed = (now - self._last_triggered_time, step - self._last_triggered_step)
        self._last_triggered_time = now
        self._last_triggered_step = step
        return elapsed

    def last_triggered_step(self):
        """The step of the last trigger, or None."""
        return self._last_triggered_step


class NeverTriggerTimer(SecondOrStepTimer):
    """A timer that never triggers."""

    def __init__(self):
        self.reset()

    def should_trigger_for_step(self, step):
        return False

    def update_last_triggered_step(self, step):
        return (None, None)

    def last_triggered_step(self):
        return None


class LoggingTensorHook(SessionRunHook):
    """Logs tensors (INFO) every N local steps, every N seconds, and/or at the end.

    Args:
        tensors: a dict {tag: tensor or name}, or an iterable of tensors or names.
        every_n_iter: log once every this many runs of this session.
        every_n_secs: log at most once every this many seconds.
        at_end: also log once when the session ends.
        formatter: `formatter({tag: value}) -> str`; default "tag = value, ..." followed by
            the time since the previous log.

    Raises:
        ValueError: neither or both of every_n_iter/every_n_secs (without at_end only), or
            every_n_iter <= 0.

    Example:
        >>> hook = tf.train.LoggingTensorHook({"loss": loss, "step": step}, every_n_iter=10)
    """

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False,
                 formatter=None):
        only_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError("either at_end and/or exactly one of every_n_iter and "
                             "every_n_secs must be provided.")
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if not isinstance(tensors, dict):
            tensors = list(tensors)
            self._tag_order = tensors
            tensors = {item: item for item in tensors}
        else:
            self._tag_order = sorted(tensors.keys())
        self._tensors = tensors
        self._formatter = formatter
        self._timer = NeverTriggerTimer() if only_at_end else SecondOrStepTimer(
            every_secs=every_n_secs, every_steps=every_n_iter)
        self._log_at_end = at_end

    def begin(self):
        self._timer.reset()
        self._iter_count = 0
        self._current_tensors = {tag: _as_graph_element(t) for tag, t in self._tensors.items()}

    def before_run(self, run_context):
        self._should_trigger = self._timer.should_trigger_for_step(self._iter_count)
        if self._should_trigger:
            return SessionRunArgs(self._current_tensors)
        return None

    def _log_tensors(self, values):
        elapsed, _ = self._timer.update_last_triggered_step(self._iter_count)
        with np.printoptions(suppress=True):
            if self._formatter:
                _log.info(self._formatter(values))
                return
            stats = ", ".join(f"{tag} = {values[tag]!s}" for tag in self._tag_order)
            if elapsed is not None:
                _log.info("%s (%.3f sec)", stats, elapsed)
            else:
                _log.info("%s", stats)

    def after_run(self, run_context, run_values):
        if self._should_trigger:
            self._log_tensors(run_values.results)
        self._iter_count += 1

    def end(self, session):
        if self._log_at_end:
            self._log_tensors(session.run(self._current_tensors))


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches `last_step`, or after `num_steps`
    steps counted from the global step when the session was created.

    Raises:
        ValueError: neither or both given.
    """

    def __init__(self, num_steps=None, last_step=None):
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self):
        self._global_step_tensor = _global_step_tensor("StopAtStepHook")

    def after_create_session(self, session, coord):
        if self._last_step is None:
            self._last_step = session.run(self._global_step_tensor) + self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        # The fetched value predates this run's increment (if any): read it again.
        if run_values.results + 1 >= self._last_step and \
                run_context.session.run(self._global_step_tensor) >= self._last_step:
            run_context.request_stop()


class CheckpointSaverListener:
    """Callbacks around the saves of a CheckpointSaverHook; `after_save` returning True
    requests a stop."""

    def begin(self):
        """Called at the hook's `begin()`; ops may be added here."""

    def before_save(self, session, global_step_value):
        """Called before each save."""

    def after_save(self, session, global_step_value):
        """Called after each save; return True to stop training."""

    def end(self, session, global_step_value):
        """Called at the end of the session, after the last save."""


class CheckpointSaverHook(SessionRunHook):
    """Saves a checkpoint every N steps or seconds, when the session is created, and at
    the end.

    Args:
        checkpoint_dir: the directory of the checkpoints.
        save_secs, save_steps: how often (exactly one).
        saver: the Saver (default: the scaffold's, or the one in the SAVERS collection).
        checkpoint_basename: the checkpoints' file prefix ("model.ckpt").
        scaffold: a Scaffold whose saver is used.
        listeners: CheckpointSaverListener objects.
        save_graph_def: write each checkpoint's `.meta` MetaGraphDef (`Saver.save`'s
            `write_meta_graph`); `graph.pbtxt` is written when the session is created.

    Raises:
        ValueError: both saver and scaffold, or not exactly one of save_secs/save_steps.

    Example:
        >>> hook = tf.train.CheckpointSaverHook("train", save_steps=100)
    """

    def __init__(self, checkpoint_dir, save_secs=None, save_steps=None, saver=None,
                 checkpoint_basename="model.ckpt", scaffold=None, listeners=None,
                 save_graph_def=True):
        _log.info("Create CheckpointSaverHook.")
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._checkpoint_dir = checkpoint_dir
        self._save_path = os.path.join(checkpoint_dir, checkpoint_basename)
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = listeners or []
        self._steps_per_run = 1
        self._save_graph_def = save_graph_def

    def begin(self):
        # TF's FileWriter creates the directory; without tensorboard nobody else would.
        os.makedirs(self._checkpoint_dir, exist_ok=True)
        self._summary_writer = _summary_writer(self._checkpoint_dir)
        self._global_step_tensor = _global_step_tensor("CheckpointSaverHook")
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord):
        step = session.run(self._global_step_tensor)
        _write_graph_pbtxt(graph_mod.get_default_graph(), self._checkpoint_dir)
        if self._summary_writer is not None:
            self._summary_writer.add_graph(graph_mod.get_default_graph())
        self._save(session, step)
        self._timer.update_last_triggered_step(step)

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values):
        if self._timer.should_trigger_for_step(run_values.results + self._steps_per_run):
            step = run_context.session.run(self._global_step_tensor)
            if self._timer.should_trigger_for_step(step):
                self._timer.update_last_triggered_step(step)
                if self._save(run_context.session, step):
                    run_context.request_stop()

    def end(self, session):
        last_step = session.run(self._global_step_tensor)
        if last_step != self._timer.last_triggered_step():
            self._save(session, last_step)
        for listener in self._listeners:
            listener.end(session, last_step)

    def _save(self, session, step):
        """Saves a checkpoint; returns whether a listener asked to stop."""
        _log.info("Calling checkpoint listeners before saving checkpoint %d...", step)
        for listener in self._listeners:
            listener.before_save(session, step)
        _log.info("Saving checkpoints for %d into %s.", step, self._save_path)
        self._get_saver().save(session, self._save_path, global_step=step,
                               write_meta_graph=self._save_graph_def)
        if self._summary_writer is not None:
            from flowexec import summary

            self._summary_writer.add_session_log(
                summary.SessionLog(status=summary.SessionLog.CHECKPOINT,
                                   checkpoint_path=self._save_path), step)
        should_stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                _log.info("A CheckpointSaverListener requested that training be stopped. "
                          "listener: %s", listener)
                should_stop = True
        return should_stop

    def _get_saver(self):
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        savers = graph_mod.get_collection(graph_mod.GraphKeys.SAVERS)
        if not savers:
            raise RuntimeError(f"No items in collection {graph_mod.GraphKeys.SAVERS}. Please "
                               "add a saver to the collection or provide a saver or scaffold.")
        if len(savers) > 1:
            raise RuntimeError(f"More than one item in collection {graph_mod.GraphKeys.SAVERS}."
                               " Please indicate which one to use by passing it to the "
                               "constructor.")
        self._saver = savers[0]
        return self._saver


class StepCounterHook(SessionRunHook):
    """Logs (and writes as the summary "global_step/sec") the training speed.

    Raises:
        ValueError: not exactly one of every_n_steps/every_n_secs.
    """

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None,
                 summary_writer=None):
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be "
                             "provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._last_global_step = None
        self._global_step_check_count = 0
        self._steps_per_run = 1

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = _summary_writer(self._output_dir)
        self._global_step_tensor = _global_step_tensor("StepCounterHook")
        self._summary_tag = self._global_step_tensor.op.name + "/sec"

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def _log_and_record(self, elapsed_steps, elapsed_time, global_step):
        steps_per_sec = elapsed_steps / elapsed_time
        if self._summary_writer is not None:
            from flowexec import summary

            self._summary_writer.add_summary(summary.Summary(value=[summary.Summary.Value(
                tag=self._summary_tag, simple_value=steps_per_sec)]), global_step)
        _log.info("%s: %g", self._summary_tag, steps_per_sec)

    def after_run(self, run_context, run_values):
        stale = run_values.results
        if self._timer.should_trigger_for_step(stale + self._steps_per_run):
            step = run_context.session.run(self._global_step_tensor)
            if self._timer.should_trigger_for_step(step):
                elapsed_time, elapsed_steps = self._timer.update_last_triggered_step(step)
                if elapsed_time is not None:
                    self._log_and_record(elapsed_steps, elapsed_time, step)
        if stale == self._last_global_step:
            self._global_step_check_count += 1
            if self._global_step_check_count % 20 == 0:
                self._global_step_check_count = 0
                _log.warning(
                    "It seems that global step (tf.train.get_global_step) has not been "
                    "increased. Current value (could be stable): %s vs previous value: %s. "
                    "You could increase the global step by passing tf.train.get_global_step()"
                    " to Optimizer.apply_gradients or Optimizer.minimize.", stale,
                    self._last_global_step)
        else:
            self._global_step_check_count = 0
        self._last_global_step = stale


class NanLossDuringTrainingError(RuntimeError):
    """Raised by NanTensorHook when the loss is NaN."""

    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Checks the loss after each run: NaN raises NanLossDuringTrainingError (or, with
    `fail_on_nan_loss=False`, logs a warning and requests a stop)."""

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        if np.isnan(run_values.results):
            message = "Model diverged with loss = NaN."
            if self._fail_on_nan_loss:
                _log.error(message)
                raise NanLossDuringTrainingError
            _log.warning(message)
            run_context.request_stop()


class SummarySaverHook(SessionRunHook):
    """Writes summaries every N steps or seconds.

    Args:
        save_steps, save_secs: how often (exactly one).
        output_dir: where the events go (when no `summary_writer` is given).
        summary_writer: a FileWriter.
        scaffold: a Scaffold whose summary_op is used.
        summary_op: a summary tensor or a list of them.

    Raises:
        ValueError: not exactly one of scaffold/summary_op, or of save_steps/save_secs.
    """

    def __init__(self, save_steps=None, save_secs=None, output_dir=None, summary_writer=None,
                 scaffold=None, summary_op=None):
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = _summary_writer(self._output_dir)
        self._next_step = None
        self._global_step_tensor = _global_step_tensor("SummarySaverHook")

    def before_run(self, run_context):
        self._request_summary = (self._next_step is None
                                 or self._timer.should_trigger_for_step(self._next_step))
        requests = {"global_step": self._global_step_tensor}
        if self._request_summary and self._summary_writer:  # nothing to write them to
            op = self._get_summary_op()
            if op is not None:
                requests["summary"] = op
        return SessionRunArgs(requests)

    def after_run(self, run_context, run_values):
        if not self._summary_writer:
            return
        step = run_values.results["global_step"] + 1
        if self._next_step is None or self._request_summary:
            step = run_context.session.run(self._global_step_tensor)
        if self._next_step is None:
            from flowexec import summary

            self._summary_writer.add_session_log(
                summary.SessionLog(status=summary.SessionLog.START), step)
        if self._request_summary:
            self._timer.update_last_triggered_step(step)
            for value in run_values.results.get("summary", ()):
                self._summary_writer.add_summary(value, step)
        self._next_step = step + 1

    def end(self, session=None):
        if self._summary_writer:
            self._summary_writer.flush()

    def _get_summary_op(self):
        op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        if op is None:
            return None
        return op if isinstance(op, list) else [op]


class GlobalStepWaiterHook(SessionRunHook):
    """Delays the first run until the global step reaches `wait_until_step` (another
    worker trains meanwhile); polls every half second."""

    def __init__(self, wait_until_step):
        self._wait_until_step = wait_until_step

    def begin(self):
        self._worker_is_started = False
        self._global_step_tensor = _global_step_tensor("_GlobalStepWaiterHook")

    def before_run(self, run_context):
        if self._worker_is_started:
            return
        if self._wait_until_step <= 0:
            self._worker_is_started = True
            return
        _log.info("Waiting for global step %d before starting training.",
                  self._wait_until_step)
        last_logged = 0
        while True:
            current = run_context.session.run(self._global_step_tensor)
            if current >= self._wait_until_step:
                self._worker_is_started = True
                return
            if current - last_logged > 1000:
                _log.info("Waiting for global step %d before starting training. Current step "
                          "is %d.", self._wait_until_step, current)
                last_logged = current
            time.sleep(0.5)


class FinalOpsHook(SessionRunHook):
    """Evaluates `final_ops` when the session ends; the values are `final_ops_values`."""

    def __init__(self, final_ops, final_ops_feed_dict=None):
        self._final_ops = final_ops
        self._final_ops_feed_dict = final_ops_feed_dict
        self._final_ops_values = None

    @property
    def final_ops_values(self):
        """The values of the final ops (None before the end)."""
        return self._final_ops_values

    def end(self, session):
        if self._final_ops is None:
            return
        try:
            self._final_ops_values = session.run(self._final_ops,
                                                 feed_dict=self._final_ops_feed_dict)
        except (errors.OutOfRangeError, StopIteration):
            _log.warning(
                "An OutOfRangeError or StopIteration exception is raised by the code in "
                "FinalOpsHook. This typically means the Ops running by the FinalOpsHook have "
                "a dependency back to some input source, which should not happen.")
            raise


class FeedFnHook(SessionRunHook):
    """Feeds `feed_fn()` (a dict {tensor: value}) into every run."""

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class ProfilerHook(SessionRunHook):
    """Traces one run every N steps or seconds and writes its Chrome trace
    (`timeline-<step>.json` in `output_dir`, for chrome://tracing or Perfetto).

    Args:
        save_steps, save_secs: how often (exactly one).
        output_dir: the directory of the trace files.
        show_dataflow: draw arrows between dependent ops.
        show_memory: accepted for TF compatibility (no memory track is recorded).
    """

    def __init__(self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True,
                 show_memory=False):
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._output_dir = output_dir
        self._show_dataflow = show_dataflow
        self._show_memory = show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self):
        self._next_step = None
        self._global_step_tensor = _global_step_tensor("ProfilerHook")
        self._file_writer = _summary_writer(self._output_dir or ".")

    def before_run(self, run_context):
        from flowexec.runtime.config import RunOptions

        self._request_summary = (self._next_step is not None
                                 and self._timer.should_trigger_for_step(self._next_step))
        options = RunOptions(trace_level=RunOptions.FULL_TRACE) if self._request_summary \
            else None
        return SessionRunArgs({"global_step": self._global_step_tensor}, options=options)

    def after_run(self, run_context, run_values):
        from flowexec.timeline import Timeline

        stale = run_values.results["global_step"]
        if self._next_step is None:  # the timer starts counting at the first run
            self._timer.update_last_triggered_step(stale)
        step = stale + 1
        if self._request_summary:
            step = run_context.session.run(self._global_step_tensor)
            self._timer.update_last_triggered_step(step)
            trace = Timeline(run_values.run_metadata.step_stats).generate_chrome_trace_format(
                show_dataflow=self._show_dataflow, show_memory=self._show_memory)
            os.makedirs(self._output_dir or ".", exist_ok=True)
            with open(self._output_file.format(step), "w") as f:
                f.write(trace)
            if self._file_writer is not None:
                self._file_writer.add_run_metadata(run_values.run_metadata, f"step_{step}")
        self._next_step = step + 1


__all__ = [
    "CheckpointSaverHook",
    "CheckpointSaverListener",
    "FeedFnHook",
    "FinalOpsHook",
    "GlobalStepWaiterHook",
    "LoggingTensorHook",
    "NanLossDuringTrainingError",
    "NanTensorHook",
    "ProfilerHook",
    "SecondOrStepTimer",
    "StepCounterHook",
    "StopAtStepHook",
    "SummarySaverHook",
]
