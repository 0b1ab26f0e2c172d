"""`FileWriter`: summaries, graphs and run metadata appended to TensorBoard event files.

Events are queued and written by tensorboard's EventFileWriter (a background thread), so
the writer needs the tensorboard package: constructing one without it raises ImportError
saying what to install. Read the result with `tensorboard --logdir LOGDIR`.

Thread-safety: one FileWriter may be written from several threads (the underlying writer
queues under a lock).
"""

import atexit
import os
import threading
import time
import warnings
import weakref
from typing import ClassVar

import numpy as np

from flowexec.framework import graph as graph_mod
from flowexec.summary import protos
from flowexec.summary.graph_def import graph_def_proto, run_metadata_proto

__all__ = ["FileWriter", "FileWriterCache"]


_OPEN_WRITERS = weakref.WeakSet()


@atexit.register
def _close_open_writers():
    # The event queue is drained by a daemon thread: without this, events added just before
    # the interpreter exits would be lost when a script forgets `close()`.
    for writer in list(_OPEN_WRITERS):
        writer.close()


class FileWriter:
    """Writes summaries, graphs and run metadata to event files in `logdir`.

    Each writer (and each `reopen()`) creates a new file `events.out.tfevents.<time>.<host>
    .<pid>.<n><suffix>`; events are queued and written by a background thread, every
    `flush_secs` seconds, when `max_queue` events are pending, on `flush()`/`close()`, and
    at interpreter exit for writers still open.

    Args:
        logdir: the directory (created if missing).
        graph: a `flowexec.Graph` (or a GraphDef proto) to write as the run's graph.
        max_queue: how many events may wait before a write is forced.
        flush_secs: how often pending events are written, in seconds.
        graph_def: deprecated TF1 spelling of `graph` for a GraphDef.
        filename_suffix: appended to the event file's name.

    Raises:
        ImportError: the tensorboard package is missing.

    Example:
        >>> with tf.Session() as sess:
        ...     writer = tf.summary.FileWriter("logs", sess.graph)
        ...     writer.add_summary(sess.run(merged), global_step=0)
        ...     writer.close()

        then `tensorboard --logdir logs`.
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None,
                 filename_suffix=None):
        self._p = protos.get()
        self._logdir = os.fspath(logdir)
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._filename_suffix = filename_suffix or ""
        self._lock = threading.Lock()
        self._seen_summary_tags = set()
        self._closed = False
        self._writer = self._p.EventFileWriter(self._logdir, max_queue, flush_secs,
                                               self._filename_suffix)
        _OPEN_WRITERS.add(self)
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)

    # ----- events ------------------------------------------------------------------------
    def _warn_if_closed(self):
        if self._closed:
            warnings.warn("Attempting to use a closed FileWriter. The operation will be a "
                          "noop unless the FileWriter is explicitly reopened.", stacklevel=3)
            return True
        return False

    def _add_event(self, event, step):
        event.wall_time = time.time()
        if step is not None:
            event.step = int(step)
        self.add_event(event)

    def add_event(self, event):
        """Writes an `Event` protocol buffer as is (a no-op with a warning once closed)."""
        with self._lock:
            if self._warn_if_closed():
                return
            self._writer.add_event(event)

    def add_summary(self, summary, global_step=None):
        """Writes a summary: the value `Session.run` gave for a summary op, or a proto.

        Args:
            summary: a `Summary` proto, its serialized bytes, or the numpy scalar/0-d array
                that `Session.run` returns for a summary op.
            global_step: the step to record (the x axis in TensorBoard).

        Example:
            >>> writer.add_summary(sess.run(merged, feed), global_step=step)
        """
        summary = self._as_summary(summary)
        for value in summary.value:
            if not value.HasField("metadata"):
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")  # TF keeps a tag's metadata on its first value
                continue
            self._seen_summary_tags.add(value.tag)
        self._add_event(self._p.event_pb2.Event(summary=summary), global_step)

    def _as_summary(self, summary):
        cls = self._p.summary_pb2.Summary
        if isinstance(summary, cls):
            return summary
        if isinstance(summary, np.ndarray) and summary.size == 1:
            summary = summary.reshape(())[()]
        if isinstance(summary, np.generic):
            summary = summary.item()
        if isinstance(summary, (bytes, bytearray)):
            proto = cls()
            proto.ParseFromString(bytes(summary))
            return proto
        if hasattr(summary, "SerializeToString"):
            proto = cls()
            proto.ParseFromString(summary.SerializeToString())
            return proto
        raise TypeError(f"add_summary expects a Summary proto or its serialized bytes, got "
                        f"{type(summary).__name__}")

    def add_graph(self, graph, global_step=None, graph_def=None):
        """Writes a graph, which TensorBoard shows in its Graphs tab.

        Args:
            graph: a `flowexec.Graph` or a GraphDef proto.
            global_step: the step to record.
            graph_def: deprecated TF1 spelling of `graph`.

        Raises:
            ValueError: both `graph` and `graph_def` are given.
            TypeError: neither is given, or the value is no graph.
        """
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        g = graph if graph is not None else graph_def
        if isinstance(g, graph_mod.Graph):
            gd = graph_def_proto(g)
        elif isinstance(g, self._p.graph_pb2.GraphDef):
            gd = g
        elif g is None:
            raise TypeError("Please pass either graph or graph_def (deprecated), not None.")
        else:
            raise TypeError("The passed graph must be an instance of `Graph` or the "
                            f"deprecated `GraphDef`, got {type(g).__name__}")
        self._add_event(self._p.event_pb2.Event(graph_def=gd.SerializeToString()),
                        global_step)

    def add_run_metadata(self, run_metadata, tag, global_step=None):
        """Writes a step's RunMetadata (per-op devices and times) under `tag`.

        TensorBoard's Graphs tab then offers the run in its "Session runs" menu and colours
        ops by compute time.

        Args:
            run_metadata: the `tf.RunMetadata` filled by `Session.run(..., options=
                RunOptions(trace_level=FULL_TRACE), run_metadata=...)`, or a proto.
            tag: the name of the run.
            global_step: the step to record.
        """
        tagged = self._p.event_pb2.TaggedRunMetadata(
            tag=tag,
            run_metadata=run_metadata_proto(run_metadata).SerializeToString())
        self._add_event(self._p.event_pb2.Event(tagged_run_metadata=tagged), global_step)

    def add_session_log(self, session_log, global_step=None):
        """Writes a `SessionLog` proto (e.g. `SessionLog(status=SessionLog.START)`)."""
        self._add_event(self._p.event_pb2.Event(session_log=session_log), global_step)

    # ----- lifecycle ---------------------------------------------------------------------
    def get_logdir(self):
        """The directory the event files are written to."""
        return self._logdir

    def flush(self):
        """Writes every pending event to disk."""
        with self._lock:
            if not self._closed:
                self._writer.flush()

    def close(self):
        """Flushes and closes the event file; later writes warn and do nothing."""
        with self._lock:
            if not self._closed:
                self._writer.close()
                self._closed = True
                _OPEN_WRITERS.discard(self)

    def reopen(self):
        """After `close()`, starts a new event file in the same directory (else no-op)."""
        with self._lock:
            if self._closed:
                self._writer = self._p.EventFileWriter(
                    self._logdir, self._max_queue, self._flush_secs, self._filename_suffix)
                self._closed = False
                _OPEN_WRITERS.add(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.close()
        return False

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return f"<flowexec.summary.FileWriter logdir={self._logdir!r} {state}>"


class FileWriterCache:
    """One FileWriter per logdir, shared by whoever asks for it (TF1's FileWriterCache)."""

    _cache: ClassVar[dict] = {}
    _lock = threading.Lock()

    @staticmethod
    def get(logdir):
        """The cached FileWriter for `logdir`, created on first use."""
        key = os.path.abspath(os.fspath(logdir))
        with FileWriterCache._lock:
            writer = FileWriterCache._cache.get(key)
            if writer is None:
                writer = FileWriterCache._cache[key] = FileWriter(logdir)
            return writer

    @staticmethod
    def clear():
        """Closes and forgets every cached writer."""
        with FileWriterCache._lock:
            writers = list(FileWriterCache._cache.values())
            FileWriterCache._cache.clear()
        for w in writers:
            w.close()
