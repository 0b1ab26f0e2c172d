"""MonitoredSession: a session that initializes or restores itself, runs hooks, stops
cleanly when the input runs out, and is recreated after a preemption.

A MonitoredSession is a stack of wrappers around one `tf.Session`, each with one job:

    _RecoverableSession   recreates the stack when a run raises AbortedError or
                          UnavailableError (a lost task: the distributed runtime's errors)
    _CoordinatedSession   owns the Coordinator of the session's threads (queue runners):
                          re-raises what they reported; close() stops and joins them
    _HookedSession        merges the hooks' SessionRunArgs into each run and hands each
                          hook its results; a hook's request_stop() sets should_stop()
    tf.Session            made by a SessionCreator: ChiefSessionCreator initializes or
                          restores it (SessionManager.prepare_session); WorkerSessionCreator
                          waits until a chief has (SessionManager.wait_for_session)

Creation order (also after each recovery, except `begin`): every hook's `begin()` (once),
`scaffold.finalize()` (the graph becomes read-only), the session is created and initialized
or restored, queue runners start, every hook's `after_create_session()`. Closing calls each
hook's `end()` (unless an error is propagating), stops and joins the threads, closes the
session, and makes the graph writable again if it was before. Leaving a `with` block on
OutOfRangeError (the input is exhausted) or StopIteration is a normal end: the error is
swallowed, as in TF.

Not thread-safe: one thread drives a MonitoredSession (its hooks keep per-run state).
"""

import abc
import dataclasses
import logging

from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.train import basic_session_run_hooks as hooks_mod
from flowexec.train.coordinator import Coordinator
from flowexec.train.scaffold import Scaffold
from flowexec.train.session_manager import SessionManager
from flowexec.train.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunValues,
)

_log = logging.getLogger("flowexec")

# The errors of a lost or restarted task, after which a new session is created.
_PREEMPTION_ERRORS = (errors.AbortedError, errors.UnavailableError)

USE_DEFAULT = object()


class SessionCreator(abc.ABC):
    """A factory of `tf.Session`s (subclasses implement `create_session`)."""

    @abc.abstractmethod
    def create_session(self):
        """A new, ready `tf.Session`."""


class _ScaffoldSessionCreator(SessionCreator):
    """What the chief and worker creators share: a Scaffold, a target, a config, and the
    SessionManager built (once) from the finalized scaffold's ops."""

    def __init__(self, scaffold, master, config):
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config

    def _get_session_manager(self):
        if self._session_manager is None:
            self._session_manager = SessionManager(
                local_init_op=self._scaffold.local_init_op, ready_op=self._scaffold.ready_op,
                ready_for_local_init_op=self._scaffold.ready_for_local_init_op,
                graph=graph_mod.get_default_graph())
        return self._session_manager


class ChiefSessionCreator(_ScaffoldSessionCreator):
    """Creates a session and initializes it, or restores it from a checkpoint.

    Args:
        scaffold: the Scaffold (default: a new one); finalized on creation.
        master: the session target.
        config: the session's ConfigProto.
        checkpoint_dir: restore its latest checkpoint when there is one.
        checkpoint_filename_with_path: restore this checkpoint.
    """

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None,
                 checkpoint_filename_with_path=None):
        super().__init__(scaffold, master, config)
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().prepare_session(
            self._master, saver=self._scaffold.saver, checkpoint_dir=self._checkpoint_dir,
            checkpoint_filename_with_path=self._checkpoint_filename_with_path,
            config=self._config, init_op=self._scaffold.init_op,
            init_feed_dict=self._scaffold.init_feed_dict, init_fn=self._scaffold.init_fn)


class WorkerSessionCreator(_ScaffoldSessionCreator):
    """Creates a session once a chief has initialized the model (waits for it).

    Args:
        scaffold: the Scaffold (default: a new one); finalized on creation.
        master: the session target.
        config: the session's ConfigProto.
        max_wait_secs: how long to wait (DeadlineExceededError after).
    """

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        super().__init__(scaffold, master, config)
        self._max_wait_secs = max_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().wait_for_session(
            self._master, config=self._config, max_wait_secs=self._max_wait_secs)


# ----- the wrappers --------------------------------------------------------------------------
class _WrappedSession:
    """Base of the wrappers: delegates, answers `should_stop()`, never raises a
    preemption error from `close()`."""

    def __init__(self, sess):
        self._sess = sess
        self._wrapped_is_stoppable = isinstance(sess, _WrappedSession)

    @property
    def graph(self):
        return self._sess.graph

    @property
    def sess_str(self):
        return self._sess.sess_str

    def should_stop(self):
        if self._check_stop():
            return True
        if self._sess:
            return self._wrapped_is_stoppable and self._sess.should_stop()
        return True

    def _check_stop(self):
        return False

    def close(self):
        if self._sess:
            try:
                self._sess.close()
            except _PREEMPTION_ERRORS as e:
                _log.warning("An error occurred when attempting to close the session. This "
                             "may be due to a preemption in a connected worker or parameter "
                             "server. Error: %s", e)
            finally:
                self._sess = None

    def run(self, *args, **kwargs):
        return self._sess.run(*args, **kwargs)

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        return step_fn(StepContext(raw_session, run_with_hooks or self.run))


_RECOVERY_MESSAGE = ("An error was raised. This may be due to a preemption in a connected "
                     "worker or parameter server. The current session will be closed and a "
                     "new session will be created. Error: %s")


class _RecoverableSession(_WrappedSession):
    """Recreates the wrapped session (through its creator) after a preemption error."""

    def __init__(self, sess_creator):
        self._sess_creator = sess_creator
        super().__init__(self._create_session())

    def _create_session(self):
        while True:
            try:
                return self._sess_creator.create_session()
            except _PREEMPTION_ERRORS as e:
                _log.info("An error was raised while a session was being created. This may "
                          "be due to a preemption of a connected worker or parameter server. "
                          "A new session will be created. Error: %s", e)

    def _check_stop(self):
        try:
            if self._sess:
                return self._sess._check_stop()
            return True
        except _PREEMPTION_ERRORS as e:
            _log.info(_RECOVERY_MESSAGE, e)
            self.close()
            self._sess = self._create_session()
            return False  # a new session: the computation goes on
        except Exception:  # noqa: BLE001 - should_stop() answers, it does not raise
            return True

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        while True:
            try:
                if not self._sess:
                    self._sess = self._create_session()
                return self._sess.run(fetches, feed_dict=feed_dict, options=options,
                                      run_metadata=run_metadata)
            except _PREEMPTION_ERRORS as e:
                _log.info(_RECOVERY_MESSAGE, e)
                self.close()
                self._sess = None

    def run_step_fn(self, step_fn, raw_session, run_with_hooks):
        while True:
            try:
                if not self._sess:
                    self._sess = self._create_session()
                return self._sess.run_step_fn(step_fn, raw_session, self._sess.run)
            except _PREEMPTION_ERRORS as e:
                _log.info(_RECOVERY_MESSAGE, e)
                self.close()
                self._sess = None


class _CoordinatedSession(_WrappedSession):
    """Reports run errors' root cause from the coordinator; stops and joins its threads
    on close."""

    def __init__(self, sess, coord, stop_grace_period_secs=120):
        super().__init__(sess)
        self._coord = coord
        self._stop_grace_period_secs = stop_grace_period_secs

    def _check_stop(self):
        self._coord.raise_requested_exception()  # a thread's error surfaces here
        return self._coord.should_stop()

    def close(self):
        self._coord.request_stop()
        try:
            self._coord.join(stop_grace_period_secs=self._stop_grace_period_secs,
                             ignore_live_threads=True)
        finally:
            try:
                _WrappedSession.close(self)
            except Exception:  # noqa: BLE001, S110 - join() already reported what matters
                pass

    def run(self, *args, **kwargs):
        try:
            return self._sess.run(*args, **kwargs)
        except _PREEMPTION_ERRORS:
            raise
        except Exception:
            # A thread's preemption error may be the root cause: raise that one instead.
            try:
                self._coord.raise_requested_exception()
            except _PREEMPTION_ERRORS:
                raise
            except Exception:  # noqa: BLE001, S110 - the run's own error is reported
                pass
            raise


def _merge_run_options(options, incoming):
    """Merges `incoming` into a copy of `options`: larger numbers, or'ed flags."""
    return dataclasses.replace(
        options,
        trace_level=max(options.trace_level, incoming.trace_level),
        timeout_in_ms=max(options.timeout_in_ms, incoming.timeout_in_ms),
        inter_op_thread_pool=max(options.inter_op_thread_pool, incoming.inter_op_thread_pool),
        output_partition_graphs=options.output_partition_graphs
        or incoming.output_partition_graphs)


class _HookedSession(_WrappedSession):
    """Runs the hooks around each run and merges their fetches, feeds and options."""

    def __init__(self, sess, hooks):
        super().__init__(sess)
        self._hooks = hooks
        self._should_stop = False

    def _check_stop(self):
        return self._should_stop

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        from flowexec.runtime.config import RunMetadata, RunOptions

        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        run_context = SessionRunContext(original_args=SessionRunArgs(fetches, feed_dict),
                                        session=self._sess)
        options = dataclasses.replace(options) if options is not None else RunOptions()
        hook_fetches = {}
        hook_feeds = {}
        for i, hook in enumerate(self._hooks):
            request = hook.before_run(run_context)
            if request is None:
                continue
            if request.fetches is not None:
                hook_fetches[i] = request.fetches
            if request.feed_dict:
                _raise_if_feeds_intersect(hook_feeds, request.feed_dict,
                                          "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
            if request.options:
                options = _merge_run_options(options, request.options)
        if hook_feeds:
            if feed_dict:
                _raise_if_feeds_intersect(feed_dict, hook_feeds,
                                          "Same tensor is fed by a SessionRunHook and user.")
                hook_feeds.update(feed_dict)
            feed_dict = hook_feeds
        run_metadata = run_metadata if run_metadata is not None else RunMetadata()
        order = list(hook_fetches)
        outputs = _WrappedSession.run(self, [fetches, [hook_fetches[i] for i in order]],
                                      feed_dict=feed_dict, options=options,
                                      run_metadata=run_metadata)
        results = dict(zip(order, outputs[1]))
        for i, hook in enumerate(self._hooks):
            hook.after_run(run_context, SessionRunValues(results=results.get(i),
                                                         options=options,
                                                         run_metadata=run_metadata))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs[0]


def _raise_if_feeds_intersect(feeds1, feeds2, message):
    both = set(feeds1) & set(feeds2)
    if both:
        raise RuntimeError(f"{message} Conflict(s): {list(both)}")


class StepContext:
    """What `run_step_fn`'s `step_fn(step_context)` gets: the raw `session` (runs without
    hooks), `run_with_hooks(...)` (a monitored run) and `request_stop()`."""

    def __init__(self, session, run_with_hooks_fn):
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        """Same as `MonitoredSession.run`."""
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self):
        """Ends the step function; the next `should_stop()` is True.

        Raises:
            StopIteration: always (caught by `run_step_fn`).
        """
        raise StopIteration("step_fn has requested the iterations to stop.")


class _CoordinatedSessionCreator(SessionCreator):
    """Creates the raw session, its Coordinator and queue runners, tells the hooks, and
    wraps the result in _CoordinatedSession(_HookedSession(...))."""

    def __init__(self, session_creator, hooks, stop_grace_period_secs):
        self._session_creator = session_creator
        self._hooks = hooks
        self.coord = None
        self.tf_sess = None
        self._stop_grace_period_secs = stop_grace_period_secs

    def create_session(self):
        self.tf_sess = self._session_creator.create_session()
        self.coord = Coordinator(clean_stop_exception_types=[])  # suppress nothing
        if graph_mod.get_collection(GraphKeys.QUEUE_RUNNERS):
            from flowexec.train import queue_runner

            queue_runner.start_queue_runners(sess=self.tf_sess, coord=self.coord)
        for hook in self._hooks:
            hook.after_create_session(self.tf_sess, self.coord)
        return _CoordinatedSession(_HookedSession(self.tf_sess, self._hooks), self.coord,
                                   self._stop_grace_period_secs)


class _MonitoredSession:
    """See MonitoredSession and SingularMonitoredSession."""

    StepContext = StepContext

    def __init__(self, session_creator, hooks, should_recover, stop_grace_period_secs=120):
        self._graph_was_finalized = graph_mod.get_default_graph().finalized
        self._hooks = list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._coordinated_creator = _CoordinatedSessionCreator(
            session_creator=session_creator or ChiefSessionCreator(), hooks=self._hooks,
            stop_grace_period_secs=stop_grace_period_secs)
        if should_recover:
            self._sess = _RecoverableSession(self._coordinated_creator)
        else:
            self._sess = self._coordinated_creator.create_session()

    @property
    def graph(self):
        """The graph the session runs (None once closed)."""
        sess = self._tf_sess()
        return None if sess is None else sess.graph

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs `fetches` with the hooks (same arguments and result as `Session.run`).

        Raises:
            RuntimeError: a hook requested a stop before this call.
            Whatever the run raises (OutOfRangeError when the input is exhausted).
        """
        return self._sess.run(fetches, feed_dict=feed_dict, options=options,
                              run_metadata=run_metadata)

    def run_step_fn(self, step_fn):
        """Calls `step_fn(step_context)` (see `StepContext`) and returns its result.

        Raises:
            ValueError: `step_fn` does not take one `step_context` argument (plus `self`).
        """
        import inspect

        params = tuple(inspect.signature(step_fn).parameters)
        if getattr(step_fn, "__self__", None) is not None:
            params = ("self", *params)
        if params not in (("step_context",), ("self", "step_context")):
            raise ValueError("`step_fn` may either have one `step_context` argument, or "
                             "`self` and `step_context` arguments if it's an instance method. "
                             f"Got {params} instead.")
        return self._sess.run_step_fn(step_fn, self._tf_sess(), run_with_hooks=None)

    def should_stop(self):
        """Whether training should stop: a hook or thread asked, or the session is closed."""
        return self._sess is None or self._sess.should_stop()

    def close(self):
        """Calls the hooks' `end()`, stops the threads and closes the session."""
        self._close_internal()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type in (errors.OutOfRangeError, StopIteration):
            exception_type = None
        self._close_internal(exception_type)
        return exception_type is None

    def _close_internal(self, exception_type=None):
        try:
            if not exception_type:
                for hook in self._hooks:
                    hook.end(self._coordinated_creator.tf_sess)
        finally:
            try:
                if self._sess is None:
                    raise RuntimeError("Session is already closed.")
                self._sess.close()
            finally:
                self._sess = None
                self._coordinated_creator.tf_sess = None
                self._coordinated_creator.coord = None
                if not self._graph_was_finalized:
                    graph_mod.get_default_graph()._unsafe_unfinalize()

    def _is_closed(self):
        return self._coordinated_creator.tf_sess is None

    def _tf_sess(self):
        return self._coordinated_creator.tf_sess


class MonitoredSession(_MonitoredSession):
    """A session-like object that initializes or restores, runs hooks, and recovers from
    preemptions (AbortedError, UnavailableError) by creating a new session.

    See the module docstring for the order of events. It is not a `tf.Session`: it cannot
    be a default session, be given to `Saver.save`, or start queue runners itself.

    Args:
        session_creator: a SessionCreator (default: ChiefSessionCreator()).
        hooks: SessionRunHook objects.
        stop_grace_period_secs: how long threads may run after `close()` asked them to stop.

    Example:
        >>> with tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(last_step=100)]) \\
        ...         as sess:
        ...     while not sess.should_stop():
        ...         sess.run(train_op)
    """

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(session_creator, hooks, should_recover=True,
                         stop_grace_period_secs=stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A MonitoredSession for one process: always a chief, no recovery, and the raw
    session is available (`raw_session()`) to run without hooks or to save.

    Args:
        hooks: SessionRunHook objects.
        scaffold, master, config, checkpoint_dir, checkpoint_filename_with_path: as for
            ChiefSessionCreator.
        stop_grace_period_secs: as for MonitoredSession.
    """

    def __init__(self, hooks=None, scaffold=None, master="", config=None, checkpoint_dir=None,
                 stop_grace_period_secs=120, checkpoint_filename_with_path=None):
        creator = ChiefSessionCreator(
            scaffold=scaffold, master=master, config=config, checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path)
        super().__init__(creator, hooks, should_recover=False,
                         stop_grace_period_secs=stop_grace_period_secs)

    def raw_session(self):
        """The underlying `tf.Session`."""
        return self._tf_sess()


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None,
                             scaffold=None, hooks=None, chief_only_hooks=None,
                             save_checkpoint_secs=USE_DEFAULT, save_summaries_steps=USE_DEFAULT,
                             save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100,
                             max_wait_secs=7200, save_checkpoint_steps=USE_DEFAULT,
                             summary_dir=None):
    """A MonitoredSession for training, with TF's default hooks.

    The chief initializes the model or restores the latest checkpoint of
    `checkpoint_dir`, and runs, before the user's `hooks`: `chief_only_hooks`, a
    StepCounterHook (every `log_step_count_steps`) and a SummarySaverHook (into
    `summary_dir` or `checkpoint_dir`), and a CheckpointSaverHook (into `checkpoint_dir`).
    Other workers wait for a chief to initialize the model and run only `hooks`.

    Args:
        master: the session target.
        is_chief: whether this process initializes, restores and saves.
        checkpoint_dir: where checkpoints are restored from and saved to.
        scaffold: the Scaffold (default: a new one).
        hooks: SessionRunHook objects for every worker.
        chief_only_hooks: hooks for the chief only.
        save_checkpoint_secs: checkpoint every this many seconds (default 600 when
            neither this nor save_checkpoint_steps is given; giving both is a ValueError).
        save_summaries_steps: write summaries every this many steps (default 100).
        save_summaries_secs: write summaries every this many seconds.
        config: the session's ConfigProto.
        stop_grace_period_secs: see MonitoredSession.
        log_step_count_steps: log global_step/sec every this many steps (None/0: never).
        max_wait_secs: how long a non-chief waits for the chief.
        save_checkpoint_steps: checkpoint every this many steps.
        summary_dir: where summaries go (default checkpoint_dir).

    Returns:
        A MonitoredSession.

    Example:
        >>> with tf.train.MonitoredTrainingSession(
        ...         checkpoint_dir="train", save_checkpoint_steps=100,
        ...         hooks=[tf.train.StopAtStepHook(last_step=1000)]) as sess:
        ...     while not sess.should_stop():
        ...         sess.run(train_op)
    """
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    scaffold = scaffold or Scaffold()
    if not is_chief:
        creator = WorkerSessionCreator(scaffold=scaffold, master=master, config=config,
                                       max_wait_secs=max_wait_secs)
        return MonitoredSession(session_creator=creator, hooks=hooks or [],
                                stop_grace_period_secs=stop_grace_period_secs)
    all_hooks = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir,
                                  master=master, config=config)
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(hooks_mod.StepCounterHook(output_dir=summary_dir,
                                                       every_n_steps=log_step_count_steps))
        if (save_summaries_steps and save_summaries_steps > 0) or (
                save_summaries_secs and save_summaries_secs > 0):
            all_hooks.append(hooks_mod.SummarySaverHook(
                scaffold=scaffold, save_steps=save_summaries_steps,
                save_secs=save_summaries_secs, output_dir=summary_dir))
    if checkpoint_dir and ((save_checkpoint_secs and save_checkpoint_secs > 0) or (
            save_checkpoint_steps and save_checkpoint_steps > 0)):
        all_hooks.append(hooks_mod.CheckpointSaverHook(
            checkpoint_dir, save_steps=save_checkpoint_steps,
            save_secs=save_checkpoint_secs, scaffold=scaffold))
    all_hooks.extend(hooks or [])
    return MonitoredSession(session_creator=creator, hooks=all_hooks,
                            stop_grace_period_secs=stop_grace_period_secs)


__all__ = [
    "ChiefSessionCreator",
    "MonitoredSession",
    "MonitoredTrainingSession",
    "Scaffold",
    "SessionCreator",
    "SingularMonitoredSession",
    "WorkerSessionCreator",
]
