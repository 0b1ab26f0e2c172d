"""The local task's part in the client's process (master.py, channel.py's talks).

On Ray a Server's task is an actor in another process, and a session in the Server's own
process runs its part of a step there when the part holds no state. The in-process
backend's tasks are this process's already; `LocalTask.in_process = False` makes its
sessions host their part in the Server's copy of the task exactly as they do on Ray, so
the talks, their turns and their failures are tested here without Ray.
"""

import threading
import time

import numpy as np
import pytest

import flowexec as tf
from flowexec.distributed import local, task
from tests.distributed.conftest import make_cluster


@pytest.fixture
def hosting(monkeypatch):
    monkeypatch.setattr(local.LocalTask, "in_process", False)


def _count_calls(monkeypatch, names):
    """{method name: [task of each call]} of LocalTask methods, counted from now."""
    calls = {name: [] for name in names}
    for name in names:
        original = getattr(local.LocalTask, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls[_name].append(self.task)
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(local.LocalTask, name, counted)
    return calls


def _training_graph():
    """Variables on the ps, their gradients on the worker, the update on the ps."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [4, 3], name="x")
        with tf.device("/job:ps/task:0"):
            w = tf.Variable(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), name="w")
            b = tf.Variable(np.array([0.5, -0.5], np.float32), name="b")
        with tf.device("/job:worker/task:0"):
            loss = tf.reduce_sum(tf.tanh(tf.matmul(x, w) + b) ** 2)
        with tf.device("/job:ps/task:0"):
            train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return g, x, w, b, loss, train


def _train(servers, steps):
    g, x, w, b, loss, train = _training_graph()
    feeds = [np.cos(np.arange(12, dtype=np.float32) * (i + 1)).reshape(4, 3)
             for i in range(steps)]
    losses = []
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run([w.initializer, b.initializer])
        for f in feeds:
            losses.append(sess.run([loss, train], {x: f})[0])
        worker = servers[("worker", 0)]
        registered = (len(worker.task.runtime._parts),
                      len(worker.hosted_runtime(worker.task.incarnation)._parts))
        return losses, sess.run([w, b]), registered


def _numpy_training(steps):
    w = np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2)
    b = np.array([0.5, -0.5], np.float32)
    losses = []
    for i in range(steps):
        x = np.cos(np.arange(12, dtype=np.float32) * (i + 1)).reshape(4, 3)
        t = np.tanh(x @ w + b)
        losses.append(np.sum(t ** 2))
        d = 2 * t * (1 - t ** 2)
        w, b = w - 0.1 * (x.T @ d), b - 0.1 * d.sum(0)
    return losses, [w, b]


def test_a_stateless_part_runs_in_the_client_and_trains_as_numpy(cluster_servers,
                                                                  hosting, monkeypatch):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    calls = _count_calls(monkeypatch, ["start_run", "start_talk", "talk", "deliver"])
    losses, (w, b), registered = _train(servers, 5)
    want_losses, (want_w, want_b) = _numpy_training(5)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    np.testing.assert_allclose(w, want_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, want_b, rtol=1e-5, atol=1e-6)
    # the worker task itself ran nothing: its part ran in the Server's copy of the task
    assert registered == (0, 1)
    ps = "/job:ps/replica:0/task:0"
    # every training step: the ps part starts as a talk (the variables come back), one
    # talk takes the gradients in and brings the step's end back; nothing else
    assert calls["deliver"] == [] and calls["start_run"].count(
        "/job:worker/replica:0/task:0") == 0
    assert calls["start_talk"].count(ps) == 5    # (the final read has no worker part)
    assert calls["talk"].count(ps) == 5


def test_hosted_and_task_run_parts_compute_the_same(cluster_servers, monkeypatch):
    plain, (pw, pb), _ = _train(cluster_servers(make_cluster(ps=1, worker=1)), 4)
    monkeypatch.setattr(local.LocalTask, "in_process", False)
    hosted, (hw, hb), _ = _train(cluster_servers(make_cluster(ps=1, worker=1)), 4)
    np.testing.assert_array_equal(plain, hosted)
    np.testing.assert_array_equal(pw, hw)
    np.testing.assert_array_equal(pb, hb)


def test_a_part_with_state_runs_on_its_task(cluster_servers, hosting):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(2.0, name="v")
        with tf.device("/job:worker/task:0"):
            count = tf.Variable(0, name="count")      # state of the worker task
            with tf.control_dependencies([count.assign_add(1)]):
                out = v * 3.0
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run([v.initializer, count.initializer])
        assert sess.run(out) == 6.0
        assert sess.run(count) == 1
        worker = servers[("worker", 0)]
        assert worker.task.runtime._parts          # registered on the task
        assert worker.hosted_runtime(worker.task.incarnation)._parts == {}


def test_a_step_that_goes_back_and_forth_takes_turns(cluster_servers, hosting,
                                                     monkeypatch):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable([1.0, 2.0], name="v")
        a = v * 2.0                      # worker
        with tf.device("/job:ps/task:0"):
            b = a + v                    # ps, after the worker's value
        c = b * 3.0                      # worker, after the ps's second value
        with tf.device("/job:ps/task:0"):
            d = c - v                    # ps again
        e = d * 10.0
    calls = _count_calls(monkeypatch, ["start_talk", "talk", "deliver"])
    threaded = []      # the ps sends b after the worker's a: not two stages (stages.py)
    run_talking = task.TaskRuntime.run_talking
    monkeypatch.setattr(task.TaskRuntime, "run_talking",
                        lambda self, *args: threaded.append(1) or run_talking(self, *args))
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        for _ in range(3):
            np.testing.assert_array_equal(sess.run(e), ((np.array([1, 2]) * 3 * 3)
                                                        - [1, 2]) * 10.0)
    assert calls["deliver"] == [] and len(threaded) == 3
    # each step: start (v back), a (b back), c (d and the end back)
    assert len(calls["talk"]) == 3 * 2
    counts = servers[("ps", 0)].task.runtime.rendezvous.delivery_counts()
    assert sorted(counts.values()) == [3, 3]     # a and c, once a step each
    assert servers[("ps", 0)].task.runtime.rendezvous.pending() == {}


def test_a_third_task_between_the_ps_and_the_hosted_part(cluster_servers, hosting):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2])
        with tf.device("/job:ps/task:0"):
            v = tf.Variable([1.0, -1.0], name="v")
        with tf.device("/job:worker/task:1"):
            y = v * x                    # ps -> worker:1 (push)
        z = y + v                        # worker:1 and ps -> hosted worker:0
        with tf.device("/job:ps/task:0"):
            update = v.assign_add(z)     # hosted -> ps
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        want = np.array([1.0, -1.0], np.float32)
        for i in range(4):
            xv = np.array([i, 2 * i], np.float32)
            got = sess.run(update, {x: xv})
            want = want + (want * xv + want)
            np.testing.assert_array_equal(got, want)
        stages = sess.explain(update, [x])
    assert stages.split.parts["/job:ps/replica:0/task:0"].pulled_by == frozenset(
        {"/job:worker/replica:0/task:0"})
    assert stages.split.parts["/job:worker/replica:0/task:1"].pulled_by == frozenset(
        {"/job:worker/replica:0/task:0"})


def test_an_error_on_the_ps_is_raised_with_its_op_and_the_session_stays_usable(
        cluster_servers, hosting):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        doubled = x * 2.0                               # hosted worker part
        with tf.device("/job:ps/task:0"):
            checked = tf.debugging.check_numerics(doubled, "bad value")
        out = checked + 1.0                             # back on the worker
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad value") as info:
            sess.run(out, {x: [np.inf]})
        assert info.value.op is checked.op
        np.testing.assert_array_equal(sess.run(out, {x: [1.0]}), [3.0])
    assert servers[("ps", 0)].task.runtime.rendezvous.pending() == {}


def test_an_error_in_the_hosted_part_aborts_the_ps_part(cluster_servers, hosting):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        with tf.device("/job:ps/task:0"):
            v = tf.Variable([1.0], name="v")
        checked = tf.debugging.check_numerics(v * x, "hosted bad")   # worker
        with tf.device("/job:ps/task:0"):
            update = v.assign_add(checked)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        t0 = time.monotonic()
        with pytest.raises(tf.errors.InvalidArgumentError, match="hosted bad") as info:
            sess.run(update, {x: [np.nan]})
        assert time.monotonic() - t0 < 2.0
        assert info.value.op is checked.op
        np.testing.assert_array_equal(sess.run(update, {x: [2.0]}), [3.0])
    ps = servers[("ps", 0)].task.runtime
    deadline = time.monotonic() + 2.0       # the abort is one-way: the ps may lag behind
    while (len(ps._held) or ps._running) and time.monotonic() < deadline:
        time.sleep(0.01)
    # the ps part, held between its two stages (stages.py) when the step failed, is gone
    assert len(ps._held) == 0 and ps._running == {} and ps.rendezvous.pending() == {}


def test_a_traced_hosted_step_has_every_tasks_stats(cluster_servers, hosting):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g, x, w, b, loss, train = _training_graph()
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run([w.initializer, b.initializer])
        meta = tf.RunMetadata()
        sess.run(train, {x: np.ones((4, 3), np.float32)},
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=meta)
    devices = {d.device for d in meta.step_stats.dev_stats}
    assert {"/job:ps/replica:0/task:0/device:CPU:0",
            "/job:worker/replica:0/task:0/device:CPU:0"} <= devices


def test_many_threads_run_hosted_steps_at_once(cluster_servers, hosting):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [])
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(0.0)
        y = (v * 0.0 + x) * 2.0                 # hosted
        with tf.device("/job:ps/task:0"):
            add = v.assign_add(y)
    errors = []
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)

        def steps(k):
            try:
                for _ in range(20):
                    sess.run(add, {x: float(k)})
            except Exception as e:   # noqa: BLE001 - collected for the assertion
                errors.append(e)
        threads = [threading.Thread(target=steps, args=(k,)) for k in range(1, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == []
        assert sess.run(v) == 2.0 * 20 * (1 + 2 + 3 + 4)
