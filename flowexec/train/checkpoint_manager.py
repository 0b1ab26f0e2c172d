"""`tf.train.CheckpointManager`: numbered `Checkpoint` saves in one directory, the recent ones
kept, older ones deleted, recorded in the directory's "checkpoint" state file (TF's
checkpoint_management.CheckpointManager, graph mode).

The state file lists the kept checkpoints with their save times and the time of the last one
kept by `keep_checkpoint_every_n_hours` (TF's CheckpointState fields), so a new manager on the
same directory goes on where the last one stopped: it manages the checkpoints saved after the
last preserved time and leaves older ones alone. A save writes the checkpoint (crash-safe),
then the state file, then deletes what falls out of `max_to_keep`, then writes the state file
again, as TF does.

Thread-safety: only one manager should be active in a directory at a time (as in TF).
"""

import collections
import logging
import numbers
import os
import time

import numpy as np

from flowexec.train import checkpoint_format, training_util
from flowexec.train.checkpoint import CheckpointOptions, _session
from flowexec.train.checkpoint_management import (
    get_checkpoint_state,
    update_checkpoint_state_internal,
)

__all__ = ["CheckpointManager"]

_log = logging.getLogger(__name__)


class CheckpointManager:
    """Keeps the last `max_to_keep` checkpoints of a `tf.train.Checkpoint` in `directory`.

    Args:
        checkpoint: the `tf.train.Checkpoint` to save and restore.
        directory: where checkpoints and the state file are written.
        max_to_keep: how many recent checkpoints to keep; None keeps all (and the state file
            then lists every one).
        keep_checkpoint_every_n_hours: additionally keep one checkpoint per this many hours.
        checkpoint_name: the prefix's base name ("ckpt": `<directory>/ckpt-<n>`).
        step_counter: a variable or tensor giving the step, needed with
            `checkpoint_interval`.
        checkpoint_interval: save only when the step has advanced this much since the last
            save (`save(check_interval=False)` saves anyway).
        init_fn: called by `restore_or_initialize` when there is no checkpoint.
        last_checkpoint_step: the step of the last save, for `checkpoint_interval`.

    Raises:
        ValueError: `max_to_keep` is not positive, or `checkpoint_interval` without
            `step_counter`.

    Example:
        >>> ckpt = tf.train.Checkpoint(model=model, opt=opt)
        >>> manager = tf.train.CheckpointManager(ckpt, "train", max_to_keep=3)
        >>> status = ckpt.restore(manager.latest_checkpoint)
        >>> with tf.Session() as sess:
        ...     status.initialize_or_restore(sess)
        ...     manager.save()      # 'train/ckpt-1', in the default session
    """

    def __init__(self, checkpoint, directory, max_to_keep, keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None, last_checkpoint_step=None):
        self._checkpoint = checkpoint
        self._save_counter_assign = None
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"Expected a positive integer or `None` for `max_to_keep`, got "
                             f"{max_to_keep}.")
        self._max_to_keep = max_to_keep
        self._keep_checkpoint_every_n_hours = keep_checkpoint_every_n_hours
        directory = os.fsdecode(os.fspath(directory))
        self._directory = directory
        self._checkpoint_prefix = os.path.join(directory, checkpoint_name)
        self._init_fn = init_fn
        if checkpoint_interval is not None:
            if step_counter is None:
                raise ValueError("`step_counter` should be passed if `checkpoint_interval` is "
                                 "not None.")
            self._last_checkpoint_step = last_checkpoint_step
            self._step_counter = step_counter
        self._checkpoint_interval = checkpoint_interval
        state = get_checkpoint_state(directory)
        now = time.time()
        self._maybe_delete = collections.OrderedDict()
        if state is None:
            self._latest_checkpoint = None
            self._last_preserved_timestamp = now - 1.0
            return
        self._latest_checkpoint = state.model_checkpoint_path
        self._last_preserved_timestamp = state.last_preserved_timestamp
        if now < self._last_preserved_timestamp:
            _log.warning("time.time() returned a value %f seconds behind the last preserved "
                         "checkpoint timestamp.", self._last_preserved_timestamp - now)
            self._last_preserved_timestamp = now
        paths = state.all_model_checkpoint_paths
        stamps = state.all_model_checkpoint_timestamps or \
            [self._last_preserved_timestamp] * len(paths)
        for path, stamp in zip(paths, stamps):
            stamp = min(stamp, now)
            if stamp > self._last_preserved_timestamp:
                self._maybe_delete[path] = stamp

    @property
    def directory(self):
        return self._directory

    @property
    def checkpoint_interval(self):
        return self._checkpoint_interval

    @property
    def checkpoint(self):
        """The managed `tf.train.Checkpoint`."""
        return self._checkpoint

    @property
    def latest_checkpoint(self):
        """The prefix of the newest checkpoint, or None (what `Checkpoint.restore` takes)."""
        return self._latest_checkpoint

    @property
    def checkpoints(self):
        """The managed checkpoints' prefixes, oldest first."""
        return list(self._maybe_delete)

    def _sweep(self):
        if not self._max_to_keep:
            return
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = self._maybe_delete.popitem(last=False)
            if self._keep_checkpoint_every_n_hours and (
                    stamp - self._keep_checkpoint_every_n_hours * 3600.0
                    >= self._last_preserved_timestamp):
                self._last_preserved_timestamp = stamp
                continue
            checkpoint_format.remove_checkpoint_files(path)

    def _record_state(self):
        paths, stamps = zip(*self._maybe_delete.items())
        update_checkpoint_state_internal(
            self._directory, model_checkpoint_path=self._latest_checkpoint,
            all_model_checkpoint_paths=list(paths), save_relative_paths=True,
            all_model_checkpoint_timestamps=list(stamps),
            last_preserved_timestamp=self._last_preserved_timestamp)

    def save(self, checkpoint_number=None, check_interval=True, options=None):
        """Saves a checkpoint numbered by the checkpoint's `save_counter` (incremented) or by
        `checkpoint_number`, in the default session, and deletes what `max_to_keep` drops.

        Args:
            checkpoint_number: an int, or an integer variable/tensor (e.g. the global step)
                evaluated in the session, to number the checkpoint instead.
            check_interval: honour `checkpoint_interval` (skip when the step has not advanced
                enough).
            options: a `CheckpointOptions`.

        Returns:
            The checkpoint's path, or None when `checkpoint_interval` skipped the save.

        Raises:
            RuntimeError: no default session.
        """
        session = _session(None, f'save checkpoint to "{self._checkpoint_prefix}"')
        if self._checkpoint_interval is not None:
            step = training_util.global_step(session, self._step_counter)
            if self._last_checkpoint_step is not None:
                if step == self._last_checkpoint_step:
                    return None
                if check_interval and \
                        step < self._last_checkpoint_step + self._checkpoint_interval:
                    return None
            self._last_checkpoint_step = step
        created = self._checkpoint._save_counter is None
        counter = self._checkpoint.save_counter
        if created:
            session.run(counter.initializer)
        if self._save_counter_assign is None:
            graph = counter.op.graph
            with graph.as_default(), graph.control_dependencies(None):
                self._save_counter_assign = counter.assign_add(1, read_value=False)
        session.run(self._save_counter_assign)
        if checkpoint_number is None:
            checkpoint_number = counter
        if not isinstance(checkpoint_number, (numbers.Integral, np.integer)):
            checkpoint_number = training_util.global_step(session, checkpoint_number)
        prefix = f"{self._checkpoint_prefix}-{int(checkpoint_number)}"

        def record_and_sweep(save_path):
            if save_path in self._maybe_delete:
                del self._maybe_delete[save_path]
            self._maybe_delete[save_path] = time.time()
            self._latest_checkpoint = save_path
            self._record_state()
            self._sweep()
            self._record_state()

        callbacks = list(options.experimental_write_callbacks or []) if options else []
        options = CheckpointOptions(
            experimental_io_device=options.experimental_io_device if options else None,
            experimental_write_callbacks=callbacks + [record_and_sweep],
            experimental_skip_slot_variables=bool(
                options and options.experimental_skip_slot_variables))
        return self._checkpoint.write(prefix, session=session, options=options)

    def restore_or_initialize(self):
        """Restores the latest checkpoint (returns its path; the restore ops are built and run
        by the status, see `Checkpoint.restore`), or calls `init_fn` and returns None.

        Restoring runs the restore ops in the default session when there is one.
        """
        if self._latest_checkpoint is not None:
            status = self._checkpoint.restore(self._latest_checkpoint)
            from flowexec.framework.default_session import get_default_session

            if get_default_session() is not None:
                status.run_restore_ops()
            if self._checkpoint_interval is not None:
                self._last_checkpoint_step = training_util.global_step(
                    _session(None, "read the step counter"), self._step_counter)
            return self._latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
            _log.info("Customized initialization is done through the passed `init_fn`.")
        return None

    def sync(self):
        """Waits for outstanding saves (flowexec's saves are synchronous: nothing to wait for)."""
