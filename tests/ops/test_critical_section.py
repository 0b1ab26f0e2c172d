"""tf.CriticalSection: execute(fn)'s ops never interleave across concurrent Session.run calls
(a read-sleep-write increment loses no update), a failing body releases the lock, results
keep fn's structure, and TF's build-time checks (re-entry, exclusive resources)."""

import threading
import time

import numpy as np
import pytest

import flowexec as tf


def _slow_increment(v):
    def fn():
        slow = tf.py_func(lambda x: (time.sleep(0.02), x)[1], [v.read_value()], tf.float32)
        return tf.assign(v, slow + 1.0)
    return fn


def test_concurrent_runs_never_interleave():
    v = tf.Variable(0.0, name="v")
    cs = tf.CriticalSection(name="cs")
    step = cs.execute(_slow_increment(v))
    assert step.dtype == tf.float32 and cs.name == "cs"
    with tf.Session() as sess:
        sess.run(v.initializer)

        def work():
            for _ in range(3):
                sess.run(step)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sess.run(v) == 12.0


def test_a_failing_body_releases_the_lock_and_structure_is_kept():
    v = tf.Variable(1.0, name="v")
    x = tf.placeholder(tf.float32, [])
    cs = tf.CriticalSection()
    checked = cs.execute(lambda: {"a": tf.debugging.check_numerics(x, "bad"), "b": (v * 2.0,)},
                         exclusive_resource_access=False)
    assert set(checked) == {"a", "b"} and isinstance(checked["b"], tuple)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad"):
            sess.run(checked, {x: np.inf})
        got = sess.run(checked, {x: 3.0})  # not deadlocked
    assert got["a"] == 3.0 and got["b"] == (2.0,)


def test_operations_and_reentry_and_exclusive_resources():
    v = tf.Variable(0.0, name="v")
    cs = tf.CriticalSection(name="one")
    op = cs.execute(lambda: v.assign_add(1.0).op)
    assert isinstance(op, tf.Operation)
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(op)
        sess.run(op)
        assert sess.run(v) == 2.0
    with pytest.raises(ValueError, match="Attempting to lock a CriticalSection in which we are "
                                         "already running"):
        cs.execute(lambda: cs.execute(lambda: tf.constant(1.0)))
    other = tf.CriticalSection(name="two")
    with pytest.raises(ValueError, match="This execution would access resources"):
        other.execute(lambda: v.read_value())
    other.execute(lambda: tf.constant(1.0))  # no shared variable: fine


def test_shared_name_shares_the_lock():
    a = tf.CriticalSection(shared_name="lock")
    b = tf.CriticalSection(shared_name="lock")
    v = tf.Variable(0.0, name="v")
    inc = _slow_increment(v)
    steps = [a.execute(inc, exclusive_resource_access=False),
             b.execute(inc, exclusive_resource_access=False)]
    with tf.Session() as sess:
        sess.run(v.initializer)
        threads = [threading.Thread(target=lambda s=s: [sess.run(s) for _ in range(3)])
                   for s in steps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sess.run(v) == 6.0
