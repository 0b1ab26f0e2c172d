"""Talking parts in two stages on their puller's calls (stages.py), through the
in-process backend hosting its sessions' parts as on Ray (test_hosted.py)."""

import time

import numpy as np
import pytest

import flowexec as tf
from flowexec.distributed import local, stages, task
from flowexec.framework import errors
from tests.distributed.conftest import make_cluster
from tests.distributed.test_hosted import _numpy_training, _train

PS = "/job:ps/replica:0/task:0"


@pytest.fixture
def threaded(monkeypatch):
    """[step id] of the talking parts run on a thread (not in stages)."""
    monkeypatch.setattr(local.LocalTask, "in_process", False)
    ran = []
    original = task.TaskRuntime.run_talking

    def counted(self, handle, step_id, *args):
        ran.append(step_id)
        return original(self, handle, step_id, *args)
    monkeypatch.setattr(task.TaskRuntime, "run_talking", counted)
    return ran


def _ps(servers):
    return servers[("ps", 0)].task.runtime


def test_a_ps_training_part_runs_in_two_stages_without_a_thread(cluster_servers, threaded,
                                                                monkeypatch):
    held_steps = []
    original = task.TaskRuntime._run_stage

    def counted(self, held, step_id, second):
        if not second:
            held_steps.append(self.task)
        return original(self, held, step_id, second)
    monkeypatch.setattr(task.TaskRuntime, "_run_stage", counted)
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    losses, (w, b), _ = _train(servers, 5)
    want_losses, (want_w, want_b) = _numpy_training(5)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    np.testing.assert_allclose(w, want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, want_b, rtol=1e-5, atol=1e-6)
    assert threaded == []
    assert held_steps == [PS] * 5      # every training step held its values once
    ps = _ps(servers)
    assert len(ps._held) == 0 and ps._running == {} and ps.rendezvous.pending() == {}


def test_a_traced_step_runs_on_a_thread_with_the_same_result(cluster_servers, threaded):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2])
        with tf.device("/job:ps/task:0"):
            v = tf.Variable([1.0, -1.0], name="v")
        y = v * x
        with tf.device("/job:ps/task:0"):
            update = v.assign_add(y)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(update, {x: [1.0, 2.0]}), [2.0, -3.0])
        assert threaded == []
        meta = tf.RunMetadata()
        got = sess.run(update, {x: [1.0, 2.0]},
                       options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                       run_metadata=meta)
        np.testing.assert_array_equal(got, [4.0, -9.0])
        assert len(threaded) == 1
        assert PS + "/device:CPU:0" in {d.device for d in meta.step_stats.dev_stats}


@pytest.mark.parametrize("stage", ["first", "second"])
def test_an_error_in_either_stage_names_its_op_and_leaves_the_session_usable(
        cluster_servers, threaded, stage):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [])
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(2.0, name="v")
            sent = tf.debugging.check_numerics(v / x, "first stage bad")    # ps: to worker
        y = sent * 3.0                                                      # worker
        with tf.device("/job:ps/task:0"):
            got = tf.debugging.check_numerics(tf.sqrt(y), "second stage bad")  # ps
            update = v.assign(got)
    bad, message, op = {"first": (0.0, "first stage bad", sent.op),
                        "second": (-1.0, "second stage bad", got.op)}[stage]
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError, match=message) as info:
            sess.run(update, {x: bad})
        assert info.value.op is op
        assert sess.run(v) == 2.0
        np.testing.assert_allclose(sess.run(update, {x: 3.0}), np.sqrt(2.0))
    assert threaded == []
    ps = _ps(servers)
    assert len(ps._held) == 0 and ps._running == {} and ps.rendezvous.pending() == {}


class _Step:
    def __init__(self, deadline):
        self.deadline = deadline


def test_held_steps_past_their_deadline_or_beyond_the_bound_are_dropped(monkeypatch):
    held = stages.HeldSteps()
    now = time.monotonic()
    assert held.hold(1, stages.Held(None, [], _Step(now - 1.0), "w")) != []   # already past
    assert held.hold(2, stages.Held(None, [], _Step(now + 60.0), "w")) == []
    assert held.hold(3, stages.Held(None, [], _Step(None), "w")) == []
    monkeypatch.setattr(stages, "HELD_MEMORY", 2)
    dropped = held.hold(4, stages.Held(None, [], _Step(None), "w"))
    assert [(k, type(e)) for k, _, e in dropped] == [(2, errors.AbortedError)]
    assert held.take(2) is None and held.take(3).puller == "w" and len(held) == 1
    gone = held.hold(5, stages.Held(None, [], _Step(time.monotonic() - 0.1), "w"))
    assert [(k, type(e)) for k, _, e in gone] == [(5, errors.DeadlineExceededError)]
    assert "passed its deadline" in str(gone[0][2])


def test_a_late_talk_for_a_dropped_step_raises_its_error(cluster_servers, threaded,
                                                          monkeypatch):
    """A puller that comes back after its step was dropped gets the reason, not a wait."""
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [])
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(1.0, name="v")
        y = v * x
        with tf.device("/job:ps/task:0"):
            update = v.assign_add(y)
    ps = _ps(servers)
    original = task.TaskRuntime.talk

    def late(self, step_id, puller, items, timeout_s):
        if self is ps and len(self._held):
            self.abort_step(step_id, errors.AbortedError(None, None, "dropped for the test"))
        return original(self, step_id, puller, items, timeout_s)
    monkeypatch.setattr(task.TaskRuntime, "talk", late)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.AbortedError, match="dropped for the test"):
            sess.run(update, {x: 2.0})
        assert sess.run(v) == 1.0
    assert len(ps._held) == 0 and ps._running == {}
