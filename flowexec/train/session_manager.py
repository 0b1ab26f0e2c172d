"""`tf.train.SessionManager`: a session that is initialized, restored, or waited for.

`prepare_session` (the chief) restores the latest checkpoint when there is one, else runs
the init op / init function; then runs the local init op once the global state is ready
(`ready_for_local_init_op` reports nothing), and checks with `ready_op` that the model is
ready. `wait_for_session` (the other workers) creates sessions until one finds the model
ready (a chief initialized the shared state), for at most `max_wait_secs`.

A `ready_op` returns a 1-D string tensor naming what is not initialized; empty means ready.
"""

import logging
import time

import numpy as np

from flowexec.framework import errors
from flowexec.framework import graph as graph_mod
from flowexec.train import checkpoint_management

_log = logging.getLogger("flowexec")


def _maybe_name(obj):
    if obj is None:
        return "None"
    if hasattr(obj, "name"):
        return obj.name
    return f"<no name for {type(obj)}>"


class SessionManager:
    """Creates sessions and initializes or restores their model.

    Args:
        local_init_op: an op run in every new session once the model's global state is
            ready (local variables, tables).
        ready_op: a 1-D string tensor naming what is not initialized (empty: ready).
        ready_for_local_init_op: as `ready_op`, checked before `local_init_op` runs.
        graph: the graph (default: the default graph).
        recovery_wait_secs: seconds between checks while waiting.
        local_init_run_options: RunOptions for `local_init_op`.
        local_init_feed_dict: feeds for `local_init_op`.

    Raises:
        ValueError: `ready_for_local_init_op` without `local_init_op`.
    """

    def __init__(self, local_init_op=None, ready_op=None, ready_for_local_init_op=None,
                 graph=None, recovery_wait_secs=30, local_init_run_options=None,
                 local_init_feed_dict=None):
        if ready_for_local_init_op is not None and local_init_op is None:
            raise ValueError("If you pass a ready_for_local_init_op you must also pass a "
                             f"local_init_op , ready_for_local_init_op "
                             f"[{ready_for_local_init_op}]")
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph if graph is not None else graph_mod.get_default_graph()
        self._recovery_wait_secs = recovery_wait_secs
        self._local_init_run_options = local_init_run_options
        self._local_init_feed_dict = local_init_feed_dict

    def _new_session(self, master, config):
        from flowexec.runtime.session import Session

        return Session(master, graph=self._graph, config=config)

    def _restore_checkpoint(self, master, saver=None, checkpoint_dir=None,
                            checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                            max_wait_secs=7200, config=None):
        """A new session and whether a checkpoint was restored into it."""
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError("Can not provide both checkpoint_dir and "
                             "checkpoint_filename_with_path.")
        sess = self._new_session(master, config)
        if not saver or not (checkpoint_dir or checkpoint_filename_with_path):
            return sess, False
        if checkpoint_filename_with_path:
            saver.restore(sess, checkpoint_filename_with_path)
            return sess, True
        waited = 0
        ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
        while not ckpt or not ckpt.model_checkpoint_path:
            if not wait_for_checkpoint or waited >= max_wait_secs:
                return sess, False
            _log.info("Waiting for checkpoint to be available.")
            time.sleep(self._recovery_wait_secs)
            waited += self._recovery_wait_secs
            ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
        saver.restore(sess, ckpt.model_checkpoint_path)
        saver.recover_last_checkpoints(ckpt.all_model_checkpoint_paths)
        return sess, True

    def prepare_session(self, master, init_op=None, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                        max_wait_secs=7200, config=None, init_feed_dict=None, init_fn=None):
        """A session whose model is restored from a checkpoint or initialized.

        Args:
            master: the session target.
            init_op: run when no checkpoint was restored.
            saver: the Saver that restores.
            checkpoint_dir: restore its latest checkpoint, if any.
            checkpoint_filename_with_path: restore this checkpoint.
            wait_for_checkpoint: wait (up to `max_wait_secs`) for a checkpoint to appear.
            max_wait_secs: see `wait_for_checkpoint`.
            config: the session's ConfigProto.
            init_feed_dict: feeds for `init_op`.
            init_fn: `init_fn(sess)`, called after `init_op`.

        Returns:
            A `tf.Session`.

        Raises:
            RuntimeError: nothing to initialize with, or the model is not ready after
                initialization.
        """
        sess, restored = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs,
            config=config)
        if not restored:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError("Model is not initialized and no init_op or init_fn or "
                                   "local_init_op was given")
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        ok, msg = self._try_run_local_init_op(sess)
        if not ok:
            raise RuntimeError(
                f"Init operations did not make model ready for local_init.  Init op: "
                f"{_maybe_name(init_op)}, init fn: {init_fn}, error: {msg}")
        ok, msg = self._model_ready(sess)
        if not ok:
            raise RuntimeError(
                f"Init operations did not make model ready.  Init op: {_maybe_name(init_op)}, "
                f"init fn: {init_fn}, local_init_op: {_maybe_name(self._local_init_op)}, "
                f"error: {msg}")
        return sess

    def recover_session(self, master, saver=None, checkpoint_dir=None,
                        checkpoint_filename_with_path=None, wait_for_checkpoint=False,
                        max_wait_secs=7200, config=None):
        """A session restored from a checkpoint if possible.

        Returns:
            `(sess, initialized)`: `initialized` is whether the model is ready.
        """
        sess, restored = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir,
            checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs,
            config=config)
        ok, _ = self._try_run_local_init_op(sess)
        if not restored:
            return sess, False
        if not ok:
            _log.info("Restoring model from checkpoint, but the model is not ready for "
                      "local init.")
            return sess, False
        ready, msg = self._model_ready(sess)
        if not ready:
            _log.info("Restoring model from %s: %s", checkpoint_dir, msg)
            return sess, False
        return sess, True

    def wait_for_session(self, master, config=None, max_wait_secs=float("Inf")):
        """Creates sessions until one finds the model ready (initialized by a chief).

        Raises:
            tf.errors.DeadlineExceededError: not ready after `max_wait_secs`.
        """
        start = time.time()
        while True:
            sess = self._new_session(master, config)
            ok, not_ready_local = self._try_run_local_init_op(sess)
            if ok:
                ready, not_ready = self._model_ready(sess)
                if ready:
                    return sess
            else:
                not_ready = None
            sess.close()
            remaining = max_wait_secs - (time.time() - start)
            if remaining < self._recovery_wait_secs:
                raise errors.DeadlineExceededError(
                    None, None, f"Session was not ready after waiting {max_wait_secs} secs.")
            _log.info("Waiting for model to be ready.  Ready_for_local_init_op:  %s, ready: %s",
                      not_ready_local, not_ready)
            time.sleep(self._recovery_wait_secs)

    def _try_run_local_init_op(self, sess):
        if self._local_init_op is None:
            return True, None
        ready, msg = self._ready(self._ready_for_local_init_op, sess,
                                 "Model not ready for local init")
        if not ready:
            return False, msg
        sess.run(self._local_init_op, feed_dict=self._local_init_feed_dict,
                 options=self._local_init_run_options)
        return True, None

    def _model_ready(self, sess):
        return self._ready(self._ready_op, sess, "Model not ready")

    @staticmethod
    def _ready(op, sess, msg):
        if op is None:
            return True, None
        try:
            value = sess.run(op)
        except errors.FailedPreconditionError as e:
            if "uninitialized" not in str(e):
                _log.warning("%s : error [%s]", msg, e)
                raise
            return False, str(e)
        value = np.asarray(value)
        if value.dtype == np.int32 or value.size == 0:
            return True, None
        names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v)
                          for v in value.reshape(-1))
        return False, "Variables not initialized: " + names


__all__ = ["SessionManager"]
