"""The SessionRunHook protocol: how hooks take part in a MonitoredSession's runs.

A MonitoredSession calls, on each of its hooks:

    begin()                               once, before the graph is finalized (add ops here)
    after_create_session(session, coord)  after each (re)creation of the session
    before_run(run_context)               before each run: returns SessionRunArgs or None
        (the hook's fetches, feeds and options are merged into the run)
    after_run(run_context, run_values)    after each run, with the hook's own results
    end(session)                          once, when the MonitoredSession closes normally

`run_context.request_stop()` makes the MonitoredSession's `should_stop()` true after
the current run.
"""

import collections


class SessionRunHook:
    """A hook that extends calls to `MonitoredSession.run()`; every method does nothing
    by default."""

    def begin(self):
        """Called once before the session is used; the graph may still be changed."""

    def after_create_session(self, session, coord):
        """Called when a new session was created (and initialized or restored).

        Args:
            session: the raw `tf.Session`.
            coord: the session's `tf.train.Coordinator`.
        """

    def before_run(self, run_context):
        """Called before each `run()`.

        Args:
            run_context: a `SessionRunContext`.

        Returns:
            None or a `SessionRunArgs`: fetches, feeds and options added to the run.
        """
        return

    def after_run(self, run_context, run_values):
        """Called after each `run()`, with the results of this hook's fetches.

        Args:
            run_context: the `SessionRunContext` given to `before_run`.
            run_values: a `SessionRunValues`.
        """

    def end(self, session):
        """Called when the MonitoredSession ends (not when it ends with an exception).

        Args:
            session: the raw `tf.Session`.
        """


class SessionRunArgs(collections.namedtuple("SessionRunArgs",
                                            ["fetches", "feed_dict", "options"])):
    """What a hook adds to a run: `fetches` (anything `Session.run` accepts), a
    `feed_dict`, and a `RunOptions` merged with the others (larger trace level and
    timeout win)."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunValues(collections.namedtuple("SessionRunValues",
                                              ["results", "options", "run_metadata"])):
    """What a hook gets after a run: the `results` of its own fetches (None when it asked
    for none), the run's merged `options`, and its `run_metadata`."""


class SessionRunContext:
    """Information about the run in progress, given to `before_run` and `after_run`.

    Args:
        original_args: the `SessionRunArgs` of the caller's `run()`.
        session: the session the run uses (a hook may call `session.run` itself).
    """

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        """The caller's fetches and feed_dict, as a `SessionRunArgs`."""
        return self._original_args

    @property
    def session(self):
        """The session the run uses."""
        return self._session

    @property
    def stop_requested(self):
        """Whether a hook asked to stop."""
        return self._stop_requested

    def request_stop(self):
        """Makes the MonitoredSession's `should_stop()` true once this run is over."""
        self._stop_requested = True


__all__ = ["SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues"]
