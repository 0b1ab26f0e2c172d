"""tf.debugging's traceback filtering flag: default on, per thread, and what it controls
(flowexec's own frames in the op creation stack that `str()` of an OpError prints)."""

import threading

import pytest

import flowexec as tf

# Built, so that the test's own source lines (printed in the stacks) do not contain them.
_REGISTRY = "/".join(("flowexec", "framework", "registry.py"))
_CONSTANT_OP = "/".join(("flowexec", "ops", "constant_op.py"))


@pytest.fixture(autouse=True)
def _restore():
    yield
    tf.debugging.enable_traceback_filtering()


def _error_text():
    c = tf.constant(1.0, name="c")
    return str(tf.errors.InvalidArgumentError(c.op.node_def, c.op, "bad"))


def test_filtering_is_on_by_default_and_hides_flowexec_frames():
    assert tf.debugging.is_traceback_filtering_enabled() is True
    text = _error_text()
    assert "test_traceback_filter.py" in text
    assert _CONSTANT_OP not in text and _REGISTRY not in text


def test_disabled_shows_every_frame():
    tf.debugging.disable_traceback_filtering()
    assert tf.debugging.is_traceback_filtering_enabled() is False
    text = _error_text()
    assert "test_traceback_filter.py" in text and _REGISTRY in text
    tf.debugging.enable_traceback_filtering()
    assert _REGISTRY not in _error_text()


def test_flag_is_per_thread():
    tf.debugging.disable_traceback_filtering()
    seen = []
    worker = threading.Thread(target=lambda: seen.append(
        tf.debugging.is_traceback_filtering_enabled()))
    worker.start()
    worker.join()
    assert seen == [True] and not tf.debugging.is_traceback_filtering_enabled()
