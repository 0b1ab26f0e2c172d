"""`tf.logging`: TF 1.x's logging functions on Python's `logging`, logger "flowexec".

As in TF 1.x the logger writes `LEVEL:flowexec:message` lines to stderr at WARN and above
until `set_verbosity` says otherwise, and `log_every_n` / `log_first_n` count per call site
(file and line of the caller). Thread-safe as Python's logging is; the per-call-site
counters are guarded by a lock.

Example:
    >>> tf.logging.set_verbosity(tf.logging.INFO)
    >>> tf.logging.info("step %d, loss %.3f", 10, 0.25)
"""

import logging as _logging
import sys as _sys
import threading as _threading

DEBUG = _logging.DEBUG
INFO = _logging.INFO
WARN = _logging.WARN
ERROR = _logging.ERROR
FATAL = _logging.FATAL

_logger = None
_logger_lock = _threading.Lock()
_counts = {}
_counts_lock = _threading.Lock()


def get_logger():
    """The "flowexec" logger, with TF's stderr handler and WARN level on first use."""
    global _logger
    if _logger is not None:
        return _logger
    with _logger_lock:
        if _logger is None:
            logger = _logging.getLogger("flowexec")
            if not logger.handlers and not _logging.getLogger().handlers:
                handler = _logging.StreamHandler(_sys.stderr)
                handler.setFormatter(_logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
                logger.addHandler(handler)
            if logger.level == _logging.NOTSET:
                logger.setLevel(WARN)
            _logger = logger
    return _logger


def log(level, msg, *args, **kwargs):
    """Logs `msg % args` at `level`."""
    get_logger().log(level, msg, *args, **kwargs)


def debug(msg, *args, **kwargs):
    get_logger().debug(msg, *args, **kwargs)


def info(msg, *args, **kwargs):
    get_logger().info(msg, *args, **kwargs)


def warning(msg, *args, **kwargs):
    get_logger().warning(msg, *args, **kwargs)


warn = warning


def error(msg, *args, **kwargs):
    get_logger().error(msg, *args, **kwargs)


def fatal(msg, *args, **kwargs):
    """Logs at FATAL (as TF 1.x's `tf.logging.fatal`, it does not exit)."""
    get_logger().fatal(msg, *args, **kwargs)


def vlog(level, msg, *args, **kwargs):
    """Logs at the numeric `level` (TF's verbose logging)."""
    get_logger().log(level, msg, *args, **kwargs)


def log_if(level, msg, condition, *args):
    """Logs `msg % args` at `level` only if `condition` is true."""
    if condition:
        vlog(level, msg, *args)


def _next_count(depth=2):
    frame = _sys._getframe(depth)
    token = (frame.f_code.co_filename, frame.f_lineno)
    with _counts_lock:
        n = _counts.get(token, -1) + 1
        _counts[token] = n
    return n


def log_every_n(level, msg, n, *args):
    """Logs the 1st, (n+1)st, (2n+1)st, ... call from the same call site."""
    count = _next_count()
    log_if(level, msg, not count % n, *args)


def log_first_n(level, msg, n, *args):
    """Logs the first `n` calls from the same call site."""
    count = _next_count()
    log_if(level, msg, count < n, *args)


def flush():
    """Flushes the logger's handlers."""
    for handler in get_logger().handlers:
        handler.flush()


def get_verbosity():
    """The logger's threshold level."""
    return get_logger().getEffectiveLevel()


def set_verbosity(v):
    """Sets the threshold: messages below `v` are dropped."""
    get_logger().setLevel(v)


def TaskLevelStatusMessage(msg):  # noqa: N802 - TF's name
    """Logs a task-level status message (at ERROR, as TF 1.x)."""
    error(msg)
