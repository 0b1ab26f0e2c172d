"""tf.train.Supervisor and basic_train_loop: init vs restore, services, clean and failing
stops."""

import os
import time

import numpy as np
import pytest

import flowexec as tf


def _model():
    step = tf.train.get_or_create_global_step()
    v = tf.Variable(1.0, name="v")
    train = tf.group(tf.assign_add(v, 1.0), tf.assign_add(step, 1))
    tf.summary.scalar("v", v)
    return v, train


def test_managed_session_initializes_checkpoints_and_restores(tmp_path):
    logdir = str(tmp_path)
    with tf.Graph().as_default():
        v, train = _model()
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=1, save_summaries_secs=1)
        assert tf.get_default_graph().finalized
        with sv.managed_session() as sess:
            for _ in range(3):
                sess.run(train)
            assert sess.run(v) == 4.0
            deadline = time.time() + 10
            while tf.train.latest_checkpoint(logdir) is None and time.time() < deadline:
                time.sleep(0.05)
            sv.saver.save(sess, sv.save_path, global_step=sv.global_step)
        assert sv.should_stop()
    assert tf.train.latest_checkpoint(logdir).endswith("model.ckpt-3")
    assert any("tfevents" in f for f in os.listdir(logdir))
    with tf.Graph().as_default():
        v, train = _model()
        sv = tf.train.Supervisor(logdir=logdir, save_model_secs=0, save_summaries_secs=0)
        with sv.managed_session() as sess:
            assert sess.run(v) == 4.0  # restored, not re-initialized


def test_basic_train_loop_and_clean_out_of_range_stop():
    with tf.Graph().as_default():
        v, train = _model()
        q = tf.FIFOQueue(5, tf.float32)
        enq = q.enqueue_many([[1.0, 2.0]])
        close = q.close()
        x = q.dequeue()
        sv = tf.train.Supervisor(logdir=None)
        steps = []

        def step_fn(sess, limit):
            sess.run(train)
            steps.append(1)
            if len(steps) >= limit:
                sv.request_stop()
        tf.train.basic_train_loop(sv, step_fn, args=(4,))
        assert len(steps) == 4
        got = []
        with sv.managed_session() as sess:
            sess.run([enq, close])
            while not sv.should_stop():
                got.append(sess.run(x))  # the third dequeue: OutOfRangeError, a clean stop
        assert got == [1.0, 2.0]


def test_errors_are_reraised_and_non_chief_waits():
    with tf.Graph().as_default():
        v, train = _model()
        sv = tf.train.Supervisor(logdir=None)
        with pytest.raises(ValueError, match="boom"):
            with sv.managed_session():
                raise ValueError("boom")
        with pytest.raises(RuntimeError, match="summary writer"):
            with sv.managed_session() as sess:
                sv.summary_computed(sess, b"")
    with tf.Graph().as_default():
        v, _ = _model()
        sv = tf.train.Supervisor(logdir=None, is_chief=False, recovery_wait_secs=0.05)
        with pytest.raises(RuntimeError, match="chief"):
            sv.start_standard_services(None)
        with pytest.raises(tf.errors.DeadlineExceededError):
            sv.prepare_or_wait_for_session(max_wait_secs=0.2)


def test_clip_by_average_norm_and_tables_initializer():
    with tf.Graph().as_default():
        x = tf.constant([3.0, 4.0])
        small = tf.clip_by_average_norm(x, 10.0)
        (g,) = tf.gradients(tf.reduce_sum(tf.clip_by_average_norm(x, 1.0)), x)
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(tf.clip_by_average_norm(x, 1.0)), [1.2, 1.6],
                                       rtol=1e-6)
            np.testing.assert_allclose(sess.run(small), [3.0, 4.0])
            assert np.all(np.isfinite(sess.run(g)))
        assert tf.initializers.tables_initializer().type == "NoOp"
