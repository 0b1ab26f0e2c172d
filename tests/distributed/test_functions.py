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


def _ps_variable(value):
    """A graph with variable v (of `value`) on the ps."""
    g = tf.Graph()
    with g.as_default(), tf.device("/job:ps/task:0"):
        v = tf.Variable(value, name="v")
    return g, v


def _loop_graph():
    g, v = _ps_variable([1.0, 2.0])
    with g.as_default(), tf.device("/job:worker/task:1"):
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


def _parts_with(split, op_type):
    return {task for task, part in split.parts.items()
            if op_type in {n.type for n in part.graph.nodes}}


def test_a_cond_on_a_worker_assigning_a_ps_variable_runs_on_the_ps(cluster_servers):
    servers = _servers(cluster_servers)
    g, v = _ps_variable(1.0)
    with g.as_default(), tf.device("/job:worker/task:1"):
        p = tf.placeholder(tf.bool, [], name="p")
        x = tf.placeholder(tf.float32, [], name="x")
        r = tf.cond(p, lambda: tf.assign_add(v, 2.0 * x), lambda: tf.identity(v)) + 1.0
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(v.initializer)
        assert sess.run(r, {p: True, x: 1.5}) == 5.0
        assert sess.run(r, {p: False, x: 100.0}) == 5.0
        assert sess.run(v) == 4.0
        split = sess.explain(r, {p: True, x: 1.5}).split
    assert _parts_with(split, "If") == {PS}   # with the variable, as TF's placer puts an
    assert _parts_with(split, "Add") == {W1}  # assign in a cond; the rest stays
    assert {(e.src_task, e.dst_task) for e in split.edges} == {(PS, W1)}  # feeds go to PS
    got = _run_through_wire(servers, split, 4243, [True, 0.5])
    assert got == [6.0]
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        assert sess.run(v) == 5.0


def test_a_loop_on_a_worker_updating_a_ps_variable_runs_on_the_ps(cluster_servers):
    servers = _servers(cluster_servers)
    g, v = _ps_variable(0.0)
    with g.as_default(), tf.device("/job:worker/task:1"):
        def body(i):
            bump = tf.cond(tf.equal(i % 2, 0), lambda: tf.assign_add(v, 10.0),
                           lambda: tf.assign_add(v, 1.0))
            with tf.control_dependencies([bump]):
                return i + 1
        r = tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(v.initializer)
        assert sess.run(r) == 3
        assert sess.run(v) == 21.0
        split = sess.explain(r).split
    assert _parts_with(split, "While") == {PS}


def test_a_cond_applying_gradients_to_ps_variables_trains_them(cluster_servers):
    """Gradient accumulation's shape: the optimizer's update under a tf.cond, the
    variables on the ps (replica_device_setter), the gradients on the worker."""
    servers = _servers(cluster_servers)
    cluster = make_cluster(ps=1, worker=2)
    rng = np.random.RandomState(5)
    w0, xv, yv = rng.randn(3, 2), rng.randn(4, 3), rng.randn(4, 2)
    g = tf.Graph()
    with g.as_default(), tf.device(tf.train.replica_device_setter(
            cluster=cluster, worker_device="/job:worker/task:1")):
        w = tf.Variable(w0, name="w")
        step = tf.train.get_or_create_global_step()
        apply = tf.placeholder(tf.bool, [], name="apply")
        loss = tf.reduce_sum(tf.square(tf.constant(xv) @ w - yv))
        opt = tf.train.GradientDescentOptimizer(0.05)
        grads = opt.compute_gradients(loss, [w])

        def update():
            with tf.control_dependencies([opt.apply_gradients(grads, global_step=step)]):
                return tf.constant(True)
        applied = tf.cond(apply, update, lambda: tf.constant(False))
        init = tf.global_variables_initializer()
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(init)
        expected = w0.copy()
        for k in range(4):
            assert sess.run(applied, {apply: k % 2 == 0}) == (k % 2 == 0)
            if k % 2 == 0:
                # the float32 learning rate cast to the float64 variable, as TF's
                expected -= float(np.float32(0.05)) * 2 * xv.T @ (xv @ expected - yv)
        np.testing.assert_allclose(sess.run(w), expected, rtol=1e-12)
        assert sess.run(step) == 2
        split = sess.explain(applied, {apply: True}).split
    assert _parts_with(split, "If") == {PS}


def test_a_loop_training_ps_variables_with_adam_takes_several_steps_in_one_run(
        cluster_servers):
    servers = _servers(cluster_servers)
    cluster = make_cluster(ps=1, worker=2)
    rng = np.random.RandomState(7)
    w0, xv, yv = rng.randn(3, 2), rng.randn(4, 3), rng.randn(4, 2)

    def build(device_fn):
        g = tf.Graph()
        with g.as_default(), tf.device(device_fn):
            w = tf.Variable(w0, name="w")
            opt = tf.train.AdamOptimizer(0.1)

            def body(i):
                loss = tf.reduce_sum(tf.square(tf.constant(xv) @ w - yv))
                with tf.control_dependencies([opt.minimize(loss)]):
                    return i + 1
            loop = tf.while_loop(lambda i: i < 4, body, [tf.constant(0)])
            init = tf.global_variables_initializer()
        return g, w, loop, init

    g, w, loop, init = build(None)
    with tf.Session(graph=g) as sess:   # the same program in one process
        sess.run(init)
        sess.run(loop)
        expected = sess.run(w)
    g, w, loop, init = build(tf.train.replica_device_setter(
        cluster=cluster, worker_device="/job:worker/task:1"))
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(init)
        assert sess.run(loop) == 4
        np.testing.assert_allclose(sess.run(w), expected, rtol=1e-12)
        split = sess.explain(loop).split
    assert _parts_with(split, "While") == {PS}


def test_a_cond_enqueueing_into_a_ps_queue_runs_on_the_ps(cluster_servers):
    servers = _servers(cluster_servers)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            q = tf.FIFOQueue(10, tf.float32, shapes=[[]], shared_name="q")
            size = q.size()
        with tf.device("/job:worker/task:1"):
            x = tf.placeholder(tf.float32, [], name="x")

            def put():
                with tf.control_dependencies([q.enqueue(x * 2.0)]):
                    return tf.constant(1)
            put_if_positive = tf.cond(x > 0, put, lambda: tf.constant(0))
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        assert [sess.run(put_if_positive, {x: v}) for v in (1.0, -1.0, 3.0)] == [1, 0, 1]
        assert sess.run(size) == 2
        assert sess.run(q.dequeue_many(2)).tolist() == [2.0, 6.0]
        split = sess.explain(put_if_positive, {x: 1.0}).split
    assert _parts_with(split, "If") == {PS}


def test_a_function_updating_a_ps_variable_reads_a_worker_variable_by_value(
        cluster_servers):
    servers = _servers(cluster_servers)
    g, v = _ps_variable(1.0)
    with g.as_default(), tf.device("/job:worker/task:1"):
        u = tf.Variable(3.0, name="u")
        r = tf.cond(tf.constant(True), lambda: tf.assign(v, v * u), lambda: v + 0.0)
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run([v.initializer, u.initializer])
        assert sess.run(r) == 3.0
        assert sess.run(r) == 9.0
        assert sess.run([v, u]) == [9.0, 3.0]
        split = sess.explain(r).split
    assert _parts_with(split, "If") == {PS}
    assert any(e.src_task == W1 and e.dst_task == PS and e.tensor == "u:0"
               for e in split.edges)


def test_a_function_on_a_worker_prints_a_ps_variable_by_value(cluster_servers):
    servers = _servers(cluster_servers)
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            v = tf.Variable(1.5, name="v")
        with tf.device("/job:worker/task:1"):   # Print is stateful, but only reads v
            r = tf.cond(tf.constant(True), lambda: tf.Print(v * 2.0, [v], "v="),
                        lambda: v + 0.0)
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(v.initializer)
        assert sess.run(r) == 3.0
        assert _parts_with(sess.explain(r).split, "If") == {W1}


def test_the_reads_rewrite_refuses_a_function_left_updating_a_remote_variable(
        cluster_servers):
    """The placer colocates a function with the variables it updates; were one left on
    another task (here a placement edited by hand), the rewrite refuses it."""
    from flowexec.distributed import remote_reads
    from flowexec.runtime.place import Placement

    servers = _servers(cluster_servers)
    g, v = _ps_variable(1.0)
    with g.as_default(), tf.device("/job:worker/task:1"):
        r = tf.cond(tf.constant(True), lambda: tf.assign_add(v, 1.0), lambda: v + 0.0)
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        stages = sess.explain(r)
    placed = dict(stages.placement, **{r.op.name: W1 + "/device:CPU:0"})
    with pytest.raises(tf.errors.UnimplementedError,
                       match=r"updates variable v, which lives on another task"):
        remote_reads.rewrite(stages.optimized.graph, Placement(placed, None))


def _two_ps(cluster_servers):
    cluster = make_cluster(ps=2, worker=1)
    return cluster, cluster_servers(cluster)


PS1 = "/job:ps/replica:0/task:1"


def _a_b_and_x(a0, b0):
    """A graph with variable a on ps 0, b on ps 1 and a float placeholder x on the worker."""
    g = tf.Graph()
    with g.as_default():
        with tf.device("/job:ps/task:0"):
            a = tf.Variable(a0, name="a")
        with tf.device("/job:ps/task:1"):
            b = tf.Variable(b0, name="b")
        with tf.device("/job:worker/task:0"):
            x = tf.placeholder(tf.float32, [], name="x")
    return g, a, b, x


def test_an_adam_update_under_a_cond_with_two_ps_tasks_equals_one_process(cluster_servers):
    """Gradient accumulation's shape with `replica_device_setter(ps_tasks=2)`: the If is
    split by task (split_conds.py), each variable updated on its ps, the global step and
    Adam's powers where they live, as TF's Switch/Merge cond would."""
    cluster, servers = _two_ps(cluster_servers)
    rng = np.random.RandomState(5)
    w0, b0, xv, yv = rng.randn(3, 2), rng.randn(2), rng.randn(4, 3), rng.randn(4, 2)

    def build(device_fn):
        g = tf.Graph()
        with g.as_default(), tf.device(device_fn):
            w = tf.Variable(w0, name="w")
            b = tf.Variable(b0, name="b")
            step = tf.train.get_or_create_global_step()
            apply = tf.placeholder(tf.bool, [], name="apply")
            loss = tf.reduce_sum(tf.square(tf.constant(xv) @ w + b - yv))
            opt = tf.train.AdamOptimizer(0.05)
            grads = opt.compute_gradients(loss)

            def update():
                with tf.control_dependencies([opt.apply_gradients(grads, global_step=step)]):
                    return tf.constant(True)
            applied = tf.cond(apply, update, lambda: tf.constant(False))
            init = tf.global_variables_initializer()
        return g, [w, b, step], apply, applied, init

    flags = [True, False, True, True, False, True]
    g, state, apply, applied, init = build(None)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        assert [sess.run(applied, {apply: f}) for f in flags] == flags
        expected = sess.run(state)
    g, state, apply, applied, init = build(tf.train.replica_device_setter(
        cluster=cluster, worker_device="/job:worker/task:0"))
    assert state[0].device != state[1].device
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run(init)
        assert [sess.run(applied, {apply: f}) for f in flags] == flags
        got = sess.run(state)
        split = sess.explain(applied, {apply: True}).split
    for a, e in zip(got, expected):
        np.testing.assert_array_equal(a, e)
    assert _parts_with(split, "If") == {PS, PS1}
    applies = {(task, op.attrs["var_names"][0]) for task, part in split.parts.items()
               for n in part.graph.nodes for fg in n.attrs.values()
               if isinstance(fg, tf.Graph) for op in fg.get_operations()
               if op.type == "ApplyAdam"}
    assert applies == {(PS, "w"), (PS1, "b")}
    # the parts run as the Ray backend runs them: rebuilt from their wire form
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        before = sess.run(state)
    assert _run_through_wire(servers, split, 4244, [True]) == [True]
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        after = sess.run(state)
    assert after[2] == before[2] + 1 and not np.array_equal(after[0], before[0])


def test_a_cond_assigning_on_two_ps_tasks_passes_values_between_them(cluster_servers):
    cluster, servers = _two_ps(cluster_servers)
    g, a, b, x = _a_b_and_x(1.0, 10.0)
    with g.as_default(), tf.device("/job:worker/task:0"):
        def then():
            a2 = tf.assign(a, x * 2.0)          # on ps 0
            b2 = tf.assign_add(b, a2 + 1.0)     # on ps 1, from ps 0's value
            return b2 * 10.0, a2
        r, s = tf.cond(x > 0, then, lambda: (a + b, tf.identity(a)))
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run([a.initializer, b.initializer])
        assert sess.run([r, s], {x: 3.0}) == [170.0, 6.0]     # a = 6, b = 17
        assert sess.run([r, s], {x: -1.0}) == [23.0, 6.0]     # not taken: nothing changes
        assert sess.run([r, s], {x: 0.5}) == [190.0, 1.0]     # a = 1, b = 19
        assert sess.run([a, b]) == [1.0, 19.0]
        split = sess.explain([r, s], {x: 1.0}).split
    assert {task for task in split.parts} >= {PS, PS1}
    assert len([n for part in split.parts.values() for n in part.graph.nodes
                if n.type.endswith("If")]) >= 3


def test_a_cond_over_two_ps_tasks_that_is_differentiated_is_refused(cluster_servers):
    cluster, servers = _two_ps(cluster_servers)
    g, a, b, x = _a_b_and_x(1.0, 1.0)
    with g.as_default(), tf.device("/job:worker/task:0"):
        r = tf.cond(x > 0, lambda: tf.assign_add(a, 1.0) * x + tf.assign_add(b, 1.0),
                    lambda: x * x)
        dx, = tf.gradients(r, x)
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run([a.initializer, b.initializer])
        with pytest.raises(tf.errors.UnimplementedError,
                           match=r"gradient was taken through it"):
            sess.run(dx, {x: 2.0})
        assert sess.run([a, b]) == [1.0, 1.0]


@pytest.mark.parametrize("in_cond, message", [
    (False, r"Op while/body/AssignAdd_1 \(AssignAdd\) of function 'while/body' of node "
            r"while/While updates variable b, which lives on another task than the function"),
    (True, r"\(While\) in a branch of node outer/If changes the state of "
           r"/job:ps/replica:0/task:0, /job:ps/replica:0/task:1"),
], ids=["loop", "loop_in_a_cond"])
def test_a_loop_updating_variables_of_two_tasks_is_refused(cluster_servers, in_cond, message):
    cluster, servers = _two_ps(cluster_servers)
    g, a, b, _ = _a_b_and_x(0.0, 0.0)
    with g.as_default(), tf.device("/job:worker/task:0"):
        def body(i):
            with tf.control_dependencies([tf.assign_add(a, 1.0), tf.assign_add(b, 1.0)]):
                return i + 1

        def loop():
            return tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
        r = tf.cond(tf.constant(True), loop, lambda: tf.constant(0), name="outer") \
            if in_cond else loop()
    with tf.Session(servers[("worker", 0)].target, graph=g, config=_config()) as sess:
        sess.run([a.initializer, b.initializer])
        with pytest.raises(tf.errors.UnimplementedError, match=message):
            sess.run(r)
        assert sess.run([a, b]) == [0.0, 0.0]   # the session stays usable


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
