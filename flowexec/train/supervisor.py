"""`tf.train.Supervisor`: TF 1.x's training supervisor, and `basic_train_loop`.

A Supervisor owns a Coordinator, a SessionManager and the model's standard ops. Its
`managed_session()` (or `prepare_or_wait_for_session()`) gives a session whose model is
restored from the latest checkpoint in `logdir` or initialized with `init_op`, starts the
graph's queue runners and, on the chief with a `logdir`, the standard services: a thread
that saves a checkpoint every `save_model_secs` and one that writes `summary_op` every
`save_summaries_secs` (to `logdir`). The graph is finalized when the Supervisor is made, as
in TF. Leaving `managed_session` stops the services and threads; an OutOfRangeError (the
end of the input) ends it cleanly, any other exception is re-raised after the stop.

Thread-safety: `should_stop`, `request_stop` and the services may be used from any thread.
"""

import contextlib
import os

from flowexec.framework import graph as graph_mod
from flowexec.train.coordinator import Coordinator, LooperThread
from flowexec.train.queue_runner import start_queue_runners as _start_queue_runners

__all__ = ["Supervisor", "basic_train_loop"]


class Supervisor:
    """See the module docstring.

    Args:
        graph: the graph (default: the default graph).
        ready_op: op reporting uninitialized variables (default
            report_uninitialized_variables()); None: no check.
        ready_for_local_init_op: passed to the SessionManager.
        is_chief: whether this task initializes the model and runs the services.
        init_op: initializes the model when no checkpoint restores it (default
            global_variables_initializer()).
        init_feed_dict: feeds for init_op.
        local_init_op: run in every session (default: local variables and tables).
        logdir: checkpoints and summaries go there; None: neither.
        summary_op: written every save_summaries_secs (default: merge_all()).
        saver: saves/restores the model (default: a Saver of all variables).
        global_step: the step for checkpoints and summaries (default: the graph's).
        save_summaries_secs, save_model_secs: the services' intervals (0 or None: off).
        recovery_wait_secs: a non-chief's wait between readiness checks.
        stop_grace_secs: how long `stop` waits for threads.
        checkpoint_basename: the checkpoint file name in logdir.
        session_manager: use this SessionManager instead of a new one.
        summary_writer: a FileWriter (default: one on logdir for the chief).
        init_fn: `init_fn(sess)` after init_op.
        local_init_run_options: accepted for TF compatibility.
    """

    USE_DEFAULT = 0

    def __init__(self, graph=None, ready_op=USE_DEFAULT, ready_for_local_init_op=USE_DEFAULT,
                 is_chief=True, init_op=USE_DEFAULT, init_feed_dict=None,
                 local_init_op=USE_DEFAULT, logdir=None, summary_op=USE_DEFAULT,
                 saver=USE_DEFAULT, global_step=USE_DEFAULT, save_summaries_secs=120,
                 save_model_secs=600, recovery_wait_secs=30, stop_grace_secs=120,
                 checkpoint_basename="model.ckpt", session_manager=None,
                 summary_writer=USE_DEFAULT, init_fn=None, local_init_run_options=None):
        from flowexec import variables
        from flowexec.compat_api import tables_initializer
        from flowexec.ops.constant_op import group
        from flowexec.summary import merge_all
        from flowexec.train.saver import Saver
        from flowexec.train.session_manager import SessionManager
        from flowexec.train.training_util import get_global_step

        del local_init_run_options
        self._graph = graph or graph_mod.get_default_graph()
        with self._graph.as_default():
            if ready_op is Supervisor.USE_DEFAULT:
                ready_op = variables.report_uninitialized_variables()
            if ready_for_local_init_op is Supervisor.USE_DEFAULT:
                ready_for_local_init_op = None
            if init_op is Supervisor.USE_DEFAULT:
                init_op = variables.global_variables_initializer()
            if local_init_op is Supervisor.USE_DEFAULT:
                local_init_op = group(variables.local_variables_initializer(),
                                      tables_initializer())
            if summary_op is Supervisor.USE_DEFAULT:
                summary_op = merge_all()
            if saver is Supervisor.USE_DEFAULT:
                saver = Saver() if variables.global_variables() else None
            if global_step is Supervisor.USE_DEFAULT:
                global_step = get_global_step(self._graph)
        self._is_chief = bool(is_chief)
        self._ready_op, self._init_op = ready_op, init_op
        self._init_feed_dict, self._init_fn = init_feed_dict, init_fn
        self._local_init_op = local_init_op
        self._summary_op, self._saver, self._global_step = summary_op, saver, global_step
        self._logdir = logdir
        self._save_summaries_secs = save_summaries_secs
        self._save_model_secs = save_model_secs
        self._recovery_wait_secs = recovery_wait_secs
        self._stop_grace_secs = stop_grace_secs
        self._save_path = os.path.join(logdir, checkpoint_basename) if logdir else None
        if summary_writer is Supervisor.USE_DEFAULT:
            summary_writer = None
            if self._is_chief and logdir:
                from flowexec.summary import FileWriter

                summary_writer = FileWriter(logdir, graph=self._graph)
        self._summary_writer = summary_writer
        self._session_manager = session_manager or SessionManager(
            local_init_op=local_init_op, ready_op=ready_op,
            ready_for_local_init_op=ready_for_local_init_op, graph=self._graph,
            recovery_wait_secs=recovery_wait_secs)
        self._coord = Coordinator()
        self._started_threads = []
        self._graph.finalize()

    # ----- properties ---------------------------------------------------------------------
    coord = property(lambda self: self._coord)
    is_chief = property(lambda self: self._is_chief)
    session_manager = property(lambda self: self._session_manager)
    ready_op = property(lambda self: self._ready_op)
    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    summary_op = property(lambda self: self._summary_op)
    summary_writer = property(lambda self: self._summary_writer)
    saver = property(lambda self: self._saver)
    global_step = property(lambda self: self._global_step)
    save_path = property(lambda self: self._save_path)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)
    save_model_secs = property(lambda self: self._save_model_secs)

    # ----- sessions -----------------------------------------------------------------------
    def prepare_or_wait_for_session(self, master="", config=None, wait_for_checkpoint=False,
                                    max_wait_secs=7200, start_standard_services=True):
        """A ready session: the chief restores or initializes the model, a non-chief waits
        for it; then the queue runners (and, for the chief, the services) start."""
        self._coord.clear_stop()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master, init_op=self._init_op, saver=self._saver,
                checkpoint_dir=self._logdir, wait_for_checkpoint=wait_for_checkpoint,
                max_wait_secs=max_wait_secs, config=config,
                init_feed_dict=self._init_feed_dict, init_fn=self._init_fn)
            if start_standard_services:
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(master, config=config,
                                                          max_wait_secs=max_wait_secs)
        if start_standard_services:
            self.start_queue_runners(sess)
        return sess

    @contextlib.contextmanager
    def managed_session(self, master="", config=None, start_standard_services=True,
                        close_summary_writer=True):
        """A context manager giving a prepared session, stopping everything on exit (see
        the module docstring).

        Example:
            >>> sv = tf.train.Supervisor(logdir="/tmp/run")
            >>> with sv.managed_session() as sess:
            ...     while not sv.should_stop():
            ...         sess.run(train_op)
        """
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(
                master=master, config=config, start_standard_services=start_standard_services)
            yield sess
        except Exception as e:  # noqa: BLE001 - recorded; stop() re-raises what is not clean
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                if sess is not None:
                    sess.close()

    def start_standard_services(self, sess):
        """Starts the checkpoint and summary threads (chief with a logdir); returns them."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services. Because "
                               "only chief supervisors can write events.")
        threads = []
        if self._logdir and self._save_model_secs and self._saver is not None:
            threads.append(self.loop(self._save_model_secs, self._save_checkpoint, (sess,)))
        if self._summary_writer is not None and self._save_summaries_secs and \
                self._summary_op is not None:
            threads.append(self.loop(self._save_summaries_secs, self._write_summaries,
                                     (sess,)))
        return threads

    def _step(self, sess):
        return None if self._global_step is None else int(sess.run(self._global_step))

    def _save_checkpoint(self, sess):
        self._saver.save(sess, self._save_path, global_step=self._global_step)

    def _write_summaries(self, sess):
        summary = sess.run(self._summary_op)
        self.summary_computed(sess, summary, self._step(sess))

    def start_queue_runners(self, sess, queue_runners=None):
        """Starts the queue runners (default: the graph's) under this coordinator."""
        if queue_runners is None:
            threads = _start_queue_runners(sess, coord=self._coord, daemon=True, start=True)
        else:
            threads = []
            for qr in queue_runners:
                threads.extend(qr.create_threads(sess, coord=self._coord, daemon=True,
                                                 start=True))
        self._started_threads.extend(threads)
        return threads

    def loop(self, timer_interval_secs, target, args=None, kwargs=None):
        """Starts a LooperThread calling target(*args, **kwargs) every interval."""
        thread = LooperThread(self._coord, timer_interval_secs, target=target, args=args,
                              kwargs=kwargs)
        thread.start()
        self._started_threads.append(thread)
        return thread

    def summary_computed(self, sess, summary, global_step=None):
        """Writes a summary computed by the caller.

        Raises:
            RuntimeError: there is no summary writer.
        """
        if self._summary_writer is None:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self._global_step is not None:
            global_step = self._step(sess)
        self._summary_writer.add_summary(summary, global_step)

    # ----- stopping -----------------------------------------------------------------------
    def should_stop(self):
        return self._coord.should_stop()

    def request_stop(self, ex=None):
        self._coord.request_stop(ex)

    def stop_on_exception(self):
        return self._coord.stop_on_exception()

    def wait_for_stop(self):
        self._coord.wait_for_stop()

    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False):
        """Stops the services and queue runners and joins their threads; re-raises an
        exception a thread (or the managed block) reported, unless it is a clean stop
        (OutOfRangeError)."""
        self._coord.request_stop()
        try:
            self._coord.join(self._started_threads + list(threads or []),
                             stop_grace_period_secs=self._stop_grace_secs,
                             ignore_live_threads=ignore_live_threads)
        finally:
            self._started_threads = []
            if close_summary_writer and self._summary_writer is not None:
                self._summary_writer.close()


def basic_train_loop(supervisor, train_step_fn, args=None, kwargs=None, master=""):
    """Calls train_step_fn(sess, *args, **kwargs) in a managed session until the supervisor
    should stop (TF 1.x's basic_train_loop)."""
    if args is None:
        args = []
    if kwargs is None:
        kwargs = {}
    with supervisor.managed_session(master) as sess:
        while not supervisor.should_stop():
            train_step_fn(sess, *args, **kwargs)

