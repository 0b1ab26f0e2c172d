"""tf.logging: levels, verbosity, TF's line format, per-call-site counting."""

import logging

import pytest

import flowexec as tf


@pytest.fixture
def captured():
    logger = tf.logging.get_logger()
    records = []

    class Handler(logging.Handler):
        def emit(self, record):
            records.append((record.levelno, record.getMessage()))

    handler = Handler()
    old = logger.level
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(old)


def test_default_verbosity_is_warn_and_set_verbosity_changes_it(captured):
    tf.logging.set_verbosity(tf.logging.WARN)
    tf.logging.info("hidden %d", 1)
    tf.logging.warning("shown %d", 2)
    tf.logging.set_verbosity(tf.logging.INFO)
    assert tf.logging.get_verbosity() == tf.logging.INFO
    tf.logging.info("now shown %s", "too")
    assert captured == [(logging.WARN, "shown 2"), (logging.INFO, "now shown too")]


def test_levels_are_tfs():
    assert (tf.logging.DEBUG, tf.logging.INFO, tf.logging.WARN, tf.logging.ERROR,
            tf.logging.FATAL) == (10, 20, 30, 40, 50)


def test_log_every_n_and_first_n_count_per_call_site(captured):
    tf.logging.set_verbosity(tf.logging.INFO)
    for i in range(7):
        tf.logging.log_every_n(tf.logging.INFO, "every %d", 3, i)
    for i in range(5):
        tf.logging.log_first_n(tf.logging.INFO, "first %d", 2, i)
    assert [m for _, m in captured] == ["every 0", "every 3", "every 6", "first 0", "first 1"]


def test_log_if_vlog_fatal_and_task_status(captured):
    tf.logging.set_verbosity(tf.logging.DEBUG)
    tf.logging.log_if(tf.logging.INFO, "no", False)
    tf.logging.log_if(tf.logging.INFO, "yes", True)
    tf.logging.vlog(15, "verbose")
    tf.logging.fatal("bad")  # logs, does not exit (TF 1.x)
    tf.logging.TaskLevelStatusMessage("status")
    tf.logging.flush()
    assert captured == [(20, "yes"), (15, "verbose"), (50, "bad"), (40, "status")]


def test_default_handler_writes_tfs_line_format():
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(tf.__file__)))
    r = subprocess.run([sys.executable, "-c", "import flowexec as tf; "
                        "tf.logging.set_verbosity(tf.logging.INFO); tf.logging.info('hi %d', 1)"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.stderr.strip().endswith("INFO:flowexec:hi 1")
