"""Functions on a cluster: If/While branches and bodies and tf.data functions placed on a
task other than the variables they read, in-process and through the wire form (as the Ray
backend ships them to a task in another process)."""

import numpy as np
import pytest

import flowexec as tf
from tests.distributed.conftest import make_cluster
from tests.distributed.test_wire import _through_wire

W1 = "/job:worker/replica:0/task:1"
PS = "/job:ps/replica:0/task:0"


def _servers(cluster_servers):
    return cluster_servers(make_cluster(ps=1, worker=2))


def _config():
    return tf.ConfigProto(operation_timeout_in_ms=20000)


def _run_through_wire(servers, split, step_id, feeds=()):
    """One step of a split, every part rebuilt from its (pickled) wire form on its task."""
    futures = {}
    for task, part in split.parts.items():
        job, index = task.split("/job:")[1].split("/replica:0/task:")
        server = servers[(job, int(index))].task
        handle = server.register(_through_wire(part))
        futures[task] = server.start_run(handle, step_id, [feeds[i] for i in
                                                            split.feed_routes[task]], 10.0)
    results = {task: f.result(20) for task, f in futures.items()}
    return [results[task][j] for task, j in split.fetch_sources]


def _loop_graph():
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable([1.0, 2.0], name="v")
        with tf.device("/job:worker/task:1"):
            i, x = tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * v),
                                 [tf.constant(0), tf.constant([1.0, 1.0])])
            c = tf.cond(i > 2, lambda: x + v, lambda: x - v)
    return g, v, x, c


def test_a_loop_and_a_cond_on_a_worker_read_the_ps_variables(cluster_servers):
    servers = _servers(cluster_servers)
    g, v, x, c = _loop_graph()
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(v.initializer)
        xv, cv = sess.run([x, c])
        vv = np.array([1.0, 2.0], np.float32)
        np.testing.assert_allclose(xv, vv ** 3)
        np.testing.assert_allclose(cv, vv ** 3 + vv)
        sess.run(v.assign([3.0, -1.0]))   # the next step reads the new value
        np.testing.assert_allclose(sess.run(x), [27.0, -1.0])
        split = sess.explain([x, c]).split
    loops = [n for n in split.parts[W1].graph.nodes if n.type.endswith(("While", "If"))]
    assert [n.type for n in loops] == ["StatelessWhile", "StatelessIf"]
    assert PS not in {n.name for n in split.parts[W1].graph.nodes if n.type == "VariableV2"}
    assert any(e.src_task == PS and e.dst_task == W1 and e.tensor == "v:0"
               for e in split.edges)
    # the worker's functions read v as a captured value: no mirror of v is left in them
    for node in loops:
        for fg in (a for a in node.attrs.values() if isinstance(a, tf.Graph)):
            assert "VariableV2" not in {op.type for op in fg.get_operations()}


def test_functions_travel_with_their_part_and_run_on_the_remote_task(cluster_servers):
    servers = _servers(cluster_servers)
    g, v, x, c = _loop_graph()
    with g.as_default(), tf.device("/job:worker/task:1"):
        grad, = tf.gradients(tf.reduce_sum(x), v)
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(v.initializer)
        expected = sess.run([x, c, grad])
        split = sess.explain([x, c, grad]).split
    got = _run_through_wire(servers, split, 4242)
    vv = np.array([1.0, 2.0], np.float32)
    np.testing.assert_allclose(expected[2], 3 * vv ** 2)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b)


def test_nested_cond_in_a_loop_on_the_ps_through_the_wire(cluster_servers):
    servers = _servers(cluster_servers)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:worker/task:0"):
            w = tf.Variable([2.0, -1.0], name="w")
        with tf.device("/job:ps/task:0"):
            _, y = tf.while_loop(
                lambda i, y: i < 4,
                lambda i, y: (i + 1, tf.cond(tf.equal(i % 2, 0), lambda: y * w,
                                             lambda: y + w)),
                [tf.constant(0), tf.constant([1.0, 1.0])])
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(w.initializer)
        split = sess.explain(y).split
        direct = sess.run(y)
    wv, yv = np.array([2.0, -1.0]), np.ones(2)
    for i in range(4):
        yv = yv * wv if i % 2 == 0 else yv + wv
    np.testing.assert_allclose(direct, yv)
    np.testing.assert_allclose(_run_through_wire(servers, split, 99)[0], yv)


def test_a_dataset_iterator_on_a_worker_runs_there(cluster_servers):
    servers = _servers(cluster_servers)
    g = tf.Graph()
    with g.as_default(), tf.device("/job:worker/task:1"):
        scale = tf.constant(3, tf.int64)
        ds = tf.data.Dataset.range(8).map(lambda z: z * scale).filter(lambda z: tf.equal(z % 2, 0))
        it = ds.batch(2).make_initializable_iterator()
        nxt = it.get_next()
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(it.initializer)
        assert sess.run(nxt).tolist() == [0, 6]
        init_split, next_split = sess.explain(it.initializer).split, sess.explain(nxt).split
        assert set(next_split.parts) == {W1}
        assert sess.run(nxt).tolist() == [12, 18]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
    # the same steps from the wire form: the iterator state lives on worker 1
    _run_through_wire(servers, init_split, 1)
    assert _run_through_wire(servers, next_split, 2)[0].tolist() == [0, 6]
    assert _run_through_wire(servers, next_split, 3)[0].tolist() == [12, 18]


def _rnn_loss_np(w, x, steps):
    h = x
    for _ in range(steps):
        h = np.tanh(h @ w)
    return np.sum(h ** 2)


def test_gradients_through_a_while_loop_in_a_distributed_train_step(cluster_servers):
    servers = _servers(cluster_servers)
    rng = np.random.RandomState(3)
    w0 = (rng.randn(3, 3) * 0.5).astype(np.float64)
    xv = rng.randn(4, 3)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            w = tf.Variable(w0, name="w")
        with tf.device("/job:worker/task:1"):
            _, h = tf.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.tanh(h @ w)),
                                 [tf.constant(0), tf.constant(xv)])
            loss = tf.reduce_sum(tf.square(h))
            opt = tf.train.GradientDescentOptimizer(0.1)
            (grad, _), = opt.compute_gradients(loss, [w])
            train = opt.apply_gradients([(grad, w)])
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(w.initializer)
        lv, gv = sess.run([loss, grad])
        np.testing.assert_allclose(lv, _rnn_loss_np(w0, xv, 3), rtol=1e-10)
        numeric = np.zeros_like(w0)
        for idx in np.ndindex(*w0.shape):
            d = np.zeros_like(w0)
            d[idx] = 1e-6
            numeric[idx] = (_rnn_loss_np(w0 + d, xv, 3) - _rnn_loss_np(w0 - d, xv, 3)) / 2e-6
        np.testing.assert_allclose(gv, numeric, rtol=1e-6, atol=1e-8)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), w0 - 0.1 * numeric, rtol=1e-6, atol=1e-8)
        split = sess.explain(train).split
    assert {n.type for n in split.parts[W1].graph.nodes} >= {"StatelessWhile", "_Send", "_Recv"}
    assert "ApplyGradientDescent" in {n.type for n in split.parts[PS].graph.nodes}


def test_a_function_updating_a_variable_of_another_task_is_refused(cluster_servers):
    servers = _servers(cluster_servers)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(0.0, name="v")
        with tf.device("/job:worker/task:1"):
            def body(i):
                with tf.control_dependencies([tf.assign_add(v, 1.0)]):
                    return i + 1
            r = tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.UnimplementedError,
                           match=r"updates variable v, which lives on another task"):
            sess.run(r)


def test_python_callables_in_functions_have_no_wire_form(cluster_servers):
    from flowexec.distributed.wire import part_to_wire

    servers = _servers(cluster_servers)
    g = tf.Graph()
    with g.as_default(), tf.device("/job:ps/task:0"):
        r = tf.while_loop(lambda i: i < 3,
                          lambda i: tf.reshape(tf.py_func(lambda a: a + 1, [i], tf.int32,
                                                          stateful=False), []),
                          [tf.constant(0)])
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        split = sess.explain(r).split
    with pytest.raises(tf.errors.UnimplementedError,
                       match=r"Attribute 'func' of op .*PyFunc.* of function 'while/body.*"
                             r"no wire form"):
        part_to_wire(split.parts[PS])
