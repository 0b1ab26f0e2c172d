"""Resource containers on a cluster and `tf.Session.reset` (TF's behaviour, checked against
TF 2.21's compat.v1 gRPC runtime by hand: reset() clears the default container on every
task and closes the target's sessions; reset(["c"]) clears exactly container "c")."""

import numpy as np
import pytest

import flowexec as tf
from tests.distributed.conftest import make_cluster
from tests.distributed.test_functions import _run_through_wire


def _servers(cluster_servers):
    return cluster_servers(make_cluster(ps=2, worker=1))


def _graph():
    """a (default container) on ps 0, b and a shared queue in container "c1" on ps 1, and
    an Adam update of both (its slots in the default container, as in TF)."""
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            a = tf.Variable(1.0, name="a")
        with tf.device("/job:ps/task:1"), tf.container("c1"):
            b = tf.Variable(2.0, name="b")
            q = tf.FIFOQueue(3, tf.float32, shared_name="q", name="q")
            enq, size = q.enqueue(5.0), q.size()
        with tf.device("/job:worker/task:0"):
            loss = a * a + b * b
        train = tf.train.AdamOptimizer(0.1).minimize(loss)
        init = tf.global_variables_initializer()
        uninit = tf.report_uninitialized_variables()
    return g, dict(a=a, b=b, enq=enq, size=size, train=train, init=init, uninit=uninit)


def _uninitialized(target, g, t):
    with tf.Session(target, graph=g) as sess:
        return sorted(n.decode() for n in sess.run(t["uninit"]))


def test_reset_clears_the_default_container_and_closes_the_targets_sessions(
        cluster_servers):
    servers = _servers(cluster_servers)
    target = servers[("worker", 0)].target
    g, t = _graph()
    sess = tf.Session(target, graph=g)
    sess.run(t["init"])
    sess.run(t["enq"])
    tf.Session.reset(target)
    with pytest.raises(tf.errors.AbortedError, match=r"Session [0-9a-f]+ is not found\."):
        sess.run(t["a"])
    # a, Adam's slots and beta powers were in the default container; b and q stay
    assert _uninitialized(target, g, t) == sorted(
        ["a", "a/Adam", "a/Adam_1", "b/Adam", "b/Adam_1", "beta1_power", "beta2_power"])
    with tf.Session(target, graph=g) as sess:
        assert sess.run(t["size"]) == 1
        np.testing.assert_allclose(sess.run(t["b"]), 2.0)


def test_reset_of_a_named_container_drops_exactly_its_resources(cluster_servers):
    servers = _servers(cluster_servers)
    target = servers[("worker", 0)].target
    g, t = _graph()
    with tf.Session(target, graph=g) as sess:
        sess.run(t["init"])
        sess.run(t["enq"])
        sess.run(t["train"])
    tf.Session.reset(target, ["c1"])
    assert _uninitialized(target, g, t) == ["b"]
    with tf.Session(target, graph=g) as sess:
        assert sess.run(t["size"]) == 0     # the queue is made anew, empty
        np.testing.assert_allclose(sess.run(t["a"]), 0.9, rtol=1e-6)   # one Adam step
    tf.Session.reset(target, ["no_such_container"])
    assert _uninitialized(target, g, t) == ["b"]


def test_a_session_of_another_target_stays_open_and_sees_the_variables_go(
        cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=2))
    g = tf.Graph()
    with g.as_default(), tf.device("/job:ps/task:0"):
        v = tf.Variable(3.0, name="v")
    other = tf.Session(servers[("worker", 1)].target, graph=g)
    other.run(v.initializer)
    tf.Session.reset(servers[("worker", 0)].target)
    with pytest.raises(tf.errors.FailedPreconditionError,
                       match="Attempting to use uninitialized value v"):
        other.run(v)
    other.run(v.initializer)    # still open
    assert other.run(v) == 3.0
    other.close()


def test_two_variables_of_one_name_in_two_containers_are_two_variables(cluster_servers):
    servers = _servers(cluster_servers)
    target = servers[("worker", 0)].target
    sessions, variables = [], []
    for container, value in (("x", 1.0), ("y", 2.0), ("", 3.0)):
        g = tf.Graph()
        with g.as_default(), tf.device("/job:ps/task:0"), tf.container(container):
            v = tf.Variable(value, name="v")
            add = v.assign_add(10.0)
        sess = tf.Session(target, graph=g)
        sess.run(v.initializer)
        sessions.append((sess, add))
        variables.append(v)
    sessions[0][0].run(sessions[0][1])
    assert [s.run(v) for (s, _), v in zip(sessions, variables)] == [11.0, 2.0, 3.0]
    tf.Session.reset(target, ["x"])     # closes the sessions of this target, as TF's
    with tf.Session(target, graph=variables[0].graph) as sess:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match=r"uninitialized value v\n"):   # TF's name, no container
            sess.run(variables[0])
    for v, value in zip(variables[1:], (2.0, 3.0)):
        with tf.Session(target, graph=v.graph) as sess:
            assert sess.run(v) == value


def test_containers_hold_on_the_wire_form(cluster_servers):
    """A task in another process (Ray) registers the part rebuilt from its wire form: the
    containers go with the nodes' attributes."""
    servers = _servers(cluster_servers)
    target = servers[("worker", 0)].target
    g, t = _graph()
    with tf.Session(target, graph=g) as sess:
        sess.run(t["init"])
        split = sess.explain([t["a"], t["b"]]).split
    assert _run_through_wire(servers, split, 7) == [1.0, 2.0]
    tf.Session.reset(target, ["c1"])
    with pytest.raises(tf.errors.FailedPreconditionError, match="value b"):
        _run_through_wire(servers, split, 8)


def test_reset_skips_a_task_that_is_not_running(cluster_servers):
    cluster = make_cluster(ps=1, worker=1)
    servers = cluster_servers(cluster, only=[("worker", 0)])
    tf.Session.reset(servers[("worker", 0)].target)     # the ps never started: no error


def test_reset_of_a_target_with_no_server(cluster_servers):
    cluster = make_cluster(worker=1)
    with pytest.raises(tf.errors.UnavailableError, match="No server is running"):
        tf.Session.reset("grpc://" + cluster.task_address("worker", 0))


def test_reset_argument_errors():
    with pytest.raises(TypeError, match="containers must be a list of strings"):
        tf.Session.reset("", "c1")
    with pytest.raises(tf.errors.NotFoundError, match="No session factory registered"):
        tf.Session.reset("bogus://x")
