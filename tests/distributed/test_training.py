"""Training on an in-process cluster: between-graph replication (each worker its own graph
and session on the ps variables), in-graph replication, SyncReplicasOptimizer, chief and
non-chief MonitoredTrainingSessions, and recovery from a lost ps through a checkpoint."""

import threading
import time

import numpy as np

import flowexec as tf
from tests.distributed.conftest import make_cluster

RNG = np.random.RandomState(7)
X = RNG.randn(64, 3).astype(np.float32)
W_TRUE = np.array([[1.5], [-2.0], [0.5]], np.float32)
Y = X @ W_TRUE + 0.25


def _model(x, y):
    """A linear regression; returns (loss, global_step) in the current graph."""
    w = tf.Variable(tf.zeros([3, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    global_step = tf.train.get_or_create_global_step()
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    return loss, global_step


def _numpy_loss(w, b):
    return float(np.mean((X @ w + b - Y) ** 2))


def _worker(cluster, servers, index, steps, results, optimizer_fn=None, hooks_fn=None,
            grace_secs=120, chief_ready=None):
    """One replica: its own graph, a MonitoredTrainingSession on its worker task. The
    non-chief starts once the chief's session exists (else it would sleep 30 s, the
    SessionManager's recovery wait, before it looks again)."""
    g = tf.Graph()
    with g.as_default():
        setter = tf.train.replica_device_setter(
            cluster=cluster, worker_device=f"/job:worker/task:{index}")
        with tf.device(setter):
            half = slice(index * 32, index * 32 + 32)  # each worker its own shard
            loss, global_step = _model(tf.constant(X[half]), tf.constant(Y[half]))
            opt = tf.train.GradientDescentOptimizer(0.1)
            if optimizer_fn is not None:
                opt = optimizer_fn(opt)
            train_op = opt.minimize(loss, global_step=global_step)
        hooks = [tf.train.StopAtStepHook(last_step=steps)]
        if hooks_fn is not None:
            hooks.append(hooks_fn(opt, index == 0))
        runs = 0
        if index != 0 and chief_ready is not None:
            chief_ready.wait(60)
        with tf.train.MonitoredTrainingSession(
                master=servers[("worker", index)].target, is_chief=index == 0,
                hooks=hooks, log_step_count_steps=None,
                stop_grace_period_secs=grace_secs) as sess:
            if index == 0 and chief_ready is not None:
                chief_ready.set()
            while not sess.should_stop():
                sess.run(train_op)
                runs += 1
        results[index] = runs


def _final(servers, steps_name="global_step"):
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            w = tf.Variable(tf.zeros([3, 1]), name="w")
            b = tf.Variable(0.0, name="b")
            step = tf.Variable(0, dtype=tf.int64, name=steps_name)
        with tf.Session(servers[("ps", 0)].target) as sess:
            return sess.run([w, b, step])


def test_between_graph_replication_converges_on_shared_ps_variables(cluster_servers):
    cluster = make_cluster(ps=1, worker=2)
    servers = cluster_servers(cluster)
    results = {}
    ready = threading.Event()
    chief = threading.Thread(target=_worker, args=(cluster, servers, 0, 150, results),
                             kwargs={"chief_ready": ready})
    chief.start()
    other = threading.Thread(target=_worker, args=(cluster, servers, 1, 150, results),
                             kwargs={"chief_ready": ready})
    other.start()
    chief.join(120)
    other.join(120)
    assert set(results) == {0, 1}
    w, b, step = _final(servers)
    assert step >= 150
    assert sum(results.values()) >= 150        # both workers' updates count
    assert _numpy_loss(w, b) < 1e-3
    np.testing.assert_allclose(w, W_TRUE, atol=0.05)


def test_non_chief_waits_until_the_chief_initialized(cluster_servers):
    cluster = make_cluster(ps=1, worker=2)
    servers = cluster_servers(cluster)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(3.0, name="v")
        ready = tf.report_uninitialized_variables()
    manager = tf.train.SessionManager(ready_op=ready, graph=g, recovery_wait_secs=0.05)
    got = []
    t = threading.Thread(target=lambda: got.append(
        manager.wait_for_session(servers[("worker", 1)].target, max_wait_secs=30)))
    t.start()
    t.join(0.3)
    assert t.is_alive() and not got           # not ready: still waiting
    chief = tf.train.SessionManager(ready_op=ready, graph=g).prepare_session(
        servers[("worker", 0)].target, init_op=v.initializer)
    t.join(10)
    assert got and got[0].run(v) == 3.0
    assert chief.run(v) == 3.0


def test_in_graph_replication_towers_on_two_workers(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            w = tf.Variable(tf.zeros([3, 1]), name="w")
            b = tf.Variable(0.0, name="b")
        grads = []
        for i in range(2):
            with tf.device(f"/job:worker/task:{i}"):
                half = slice(i * 32, i * 32 + 32)
                loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X[half]), w) + b
                                                - tf.constant(Y[half])))
                grads.append(tf.gradients(loss, [w, b]))
        with tf.device("/job:ps/task:0"):
            mean = [tf.add_n([g_[k] for g_ in grads]) / 2.0 for k in range(2)]
            train = tf.train.GradientDescentOptimizer(0.1).apply_gradients(
                list(zip(mean, [w, b])))
        with tf.Session(servers[("worker", 0)].target) as sess:
            sess.run(tf.global_variables_initializer())
            stages = sess.explain(train)
            towers = {e.src_task for e in stages.split.edges}
            assert {"/job:worker/replica:0/task:0", "/job:worker/replica:0/task:1"} <= towers
            w_np, b_np = np.zeros((3, 1), np.float32), np.float32(0.0)
            for _ in range(100):
                sess.run(train)
                # numpy oracle: full-batch GD (the two equal shards' mean gradient)
                r = X @ w_np + b_np - Y
                w_np = w_np - 0.1 * (2 * X.T @ r / len(X))
                b_np = b_np - 0.1 * (2 * r.mean())
            np.testing.assert_allclose(sess.run(w), w_np, rtol=1e-4, atol=1e-5)
            assert _numpy_loss(*sess.run([w, b])) < 1e-3


def _close_sync_tokens(servers):
    """Closes SyncReplicasOptimizer's token queue on the ps (what the chief's stop runs)."""
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            tokens = tf.FIFOQueue(-1, tf.int64, shapes=(), shared_name="sync_token_q")
        with tf.Session(servers[("ps", 0)].target) as sess:
            sess.run(tokens.close(cancel_pending_enqueues=True))


def test_sync_replicas_optimizer_aggregates_both_workers_gradients(cluster_servers):
    cluster = make_cluster(ps=1, worker=2)
    servers = cluster_servers(cluster)
    results = {}

    def sync(opt):
        return tf.train.SyncReplicasOptimizer(opt, replicas_to_aggregate=2,
                                              total_num_replicas=2)

    def hook(opt, is_chief):
        return opt.make_session_run_hook(is_chief)

    # The chief's queue runner ends blocked in take_grad (no more gradients come), as in
    # TF: closing waits the grace period, then closing the session cancels that step.
    ready = threading.Event()
    threads = [threading.Thread(target=_worker, args=(cluster, servers, i, 60, results, sync,
                                                      hook, 0.5, ready)) for i in range(2)]
    threads[0].start()
    threads[1].start()
    deadline = time.monotonic() + 120
    while all(t.is_alive() for t in threads) and time.monotonic() < deadline:
        time.sleep(0.05)
    # A replica whose last step started before the final update waits for a token that
    # only another update would bring, as in TF; when the chief stops, its queue runner
    # closes the token queue. Where the other replica ended first, close it as the chief's
    # stop would: the waiting step ends with OutOfRangeError, a normal end of the session.
    for t in threads:
        t.join(5)
    if any(t.is_alive() for t in threads):
        _close_sync_tokens(servers)
    for t in threads:
        t.join(max(deadline - time.monotonic(), 5))
    assert set(results) == {0, 1}
    w, b, step = _final(servers)
    assert step >= 60
    # every update averaged two gradients: the replicas together ran about twice as
    # many steps as there were updates
    assert sum(results.values()) >= 2 * 60 - 2
    assert _numpy_loss(w, b) < 1e-2


def test_monitored_training_session_recovers_from_a_lost_ps(cluster_servers, tmp_path):
    cluster = make_cluster(ps=1, worker=1)
    servers = cluster_servers(cluster)
    g = tf.Graph()
    with g.as_default():
        with tf.device(tf.train.replica_device_setter(cluster=cluster)):
            loss, global_step = _model(tf.constant(X), tf.constant(Y))
            train_op = tf.train.GradientDescentOptimizer(0.1).minimize(
                loss, global_step=global_step)
        steps_seen = []
        restarted = None
        with tf.train.MonitoredTrainingSession(
                master=servers[("worker", 0)].target, is_chief=True,
                checkpoint_dir=str(tmp_path), save_checkpoint_steps=10,
                save_summaries_steps=None, log_step_count_steps=None,
                hooks=[tf.train.StopAtStepHook(last_step=40)]) as sess:
            while not sess.should_stop():
                _, step = sess.run([train_op, global_step])
                steps_seen.append(step)
                if step == 25 and restarted is None:
                    servers[("ps", 0)].stop()          # the ps and its variables are gone
                    restarted = tf.train.Server(cluster, job_name="ps", task_index=0)
        try:
            # after the loss the session restored the step-20 checkpoint and went on
            i = steps_seen.index(25)
            assert 19 <= steps_seen[i + 1] <= 22   # not 26: the ps state was restored
            assert steps_seen[-1] in (39, 40)   # read in the step that made it 40
            with tf.Session(servers[("worker", 0)].target) as check:
                assert check.run(global_step) == 40
                assert check.run(loss) < 0.05
        finally:
            restarted.stop()
