"""Data-parallel towers: one step on N logical CPUs equals one step on one device."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.runtime.prune import upstream
from flowexec.train.replicate import (
    average_gradients,
    data_parallel_minimize,
    replicate_model,
)

RNG = np.random.default_rng(7)
X = RNG.normal(size=(10, 5)).astype(np.float32)
Y = RNG.integers(0, 3, size=10)
W0 = RNG.normal(size=(5, 4)).astype(np.float32)
V0 = RNG.normal(size=(4, 3)).astype(np.float32)
B0 = RNG.normal(size=(3,)).astype(np.float32)


def _model(x, y):
    w = tf.get_variable("w", initializer=tf.constant(W0))
    v = tf.get_variable("v", initializer=tf.constant(V0))
    b = tf.get_variable("b", initializer=tf.constant(B0))
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w)), v) + b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    return loss, logits


def _one_step(devices, optimizer, batch=None, x=X, y=Y, num_cpus=3, steps=1):
    """Loss of the first step and the variables after `steps` steps, on `devices`."""
    with tf.Graph().as_default() as g:
        xs = tf.placeholder(tf.float32, [batch, 5])
        ys = tf.placeholder(tf.int64, [batch])
        step = tf.train.get_or_create_global_step()
        train_op, loss, outputs = data_parallel_minimize(optimizer(), _model, [xs, ys],
                                                         devices, global_step=step)
        variables = tf.trainable_variables()
        config = tf.ConfigProto(device_count={"CPU": num_cpus})
        with tf.Session(graph=g, config=config) as sess:
            sess.run(tf.global_variables_initializer())
            first = None
            for _ in range(steps):
                loss_v, _ = sess.run([loss, train_op], {xs: x, ys: y})
                first = loss_v if first is None else first
            return first, sess.run(variables), int(sess.run(step)), outputs


OPTIMIZERS = {
    "sgd": lambda: tf.train.GradientDescentOptimizer(0.5),
    "momentum": lambda: tf.train.MomentumOptimizer(0.5, 0.9),
    "adam": lambda: tf.train.AdamOptimizer(0.1),
}


@pytest.mark.parametrize("num_devices", [2, 3])
@pytest.mark.parametrize("batch", [None, 10], ids=["dynamic_batch", "static_batch"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_data_parallel_step_equals_single_device_step(num_devices, batch, opt):
    # 10 examples on 3 devices is an uneven split (4, 3, 3): tower losses are weighted.
    devices = [f"/cpu:{i}" for i in range(num_devices)]
    loss1, vars1, step1, _ = _one_step(["/cpu:0"], OPTIMIZERS[opt], batch, steps=2)
    loss_n, vars_n, step_n, _ = _one_step(devices, OPTIMIZERS[opt], batch, steps=2)
    assert step1 == step_n == 2
    np.testing.assert_allclose(loss_n, loss1, rtol=1e-6)
    for a, b in zip(vars_n, vars1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # and the update did something
    assert not np.allclose(vars1[0], W0)


def test_step_matches_numpy_gradient_descent():
    # the oracle: a numpy forward/backward of the same network on the whole batch
    loss_n, (w, v, b), _, _ = _one_step(["/cpu:0", "/cpu:1", "/cpu:2"],
                                        OPTIMIZERS["sgd"], None)
    h_pre = X @ W0
    h = np.maximum(h_pre, 0)
    logits = h @ V0 + B0
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected_loss = -np.mean(np.log(p[np.arange(10), Y]))
    d = p.copy()
    d[np.arange(10), Y] -= 1
    d /= 10
    g_v, g_b = h.T @ d, d.sum(0)
    g_w = X.T @ ((d @ V0.T) * (h_pre > 0))
    np.testing.assert_allclose(loss_n, expected_loss, rtol=1e-5)
    np.testing.assert_allclose(w, W0 - 0.5 * g_w, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(v, V0 - 0.5 * g_v, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(b, B0 - 0.5 * g_b, rtol=1e-4, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_dynamic_batch_smaller_than_tower_count_gives_empty_towers_no_weight():
    # 2 examples on 3 devices: the third tower's slice is empty and must add zero, not NaN.
    x, y = X[:2], Y[:2]
    loss1, vars1, _, _ = _one_step(["/cpu:0"], OPTIMIZERS["sgd"], None, x, y)
    loss3, vars3, _, _ = _one_step(["/cpu:0", "/cpu:1", "/cpu:2"], OPTIMIZERS["sgd"], None,
                                   x, y)
    assert np.isfinite(loss3)
    np.testing.assert_allclose(loss3, loss1, rtol=1e-6)
    for a, b in zip(vars3, vars1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_static_batch_smaller_than_tower_count_is_rejected():
    x = tf.placeholder(tf.float32, [2, 5])
    with pytest.raises(ValueError, match="cannot be split across 3 devices"):
        replicate_model(lambda s: s, x, ["/cpu:0", "/cpu:1", "/cpu:2"])


def test_inputs_with_different_static_batch_sizes_are_rejected():
    a = tf.placeholder(tf.float32, [4, 5])
    b = tf.placeholder(tf.float32, [6])
    with pytest.raises(ValueError, match="share their batch size"):
        replicate_model(lambda s, t: s, [a, b], ["/cpu:0", "/cpu:1"])


def test_average_gradients_is_the_numpy_mean_per_variable():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(3, 2, 4)).astype(np.float32)   # 3 towers, 2 variables
    a = tf.Variable(np.zeros(4, np.float32), name="a")
    b = tf.Variable(np.zeros(4, np.float32), name="b")
    c = tf.Variable(np.zeros(4, np.float32), name="c")
    towers = [[(tf.constant(grads[t, 0]), a), (tf.constant(grads[t, 1]), b), (None, c)]
              for t in range(3)]
    towers[1][1] = (None, b)  # a tower where b gets no gradient counts as zero
    averaged = average_gradients(towers)
    assert [v for _, v in averaged] == [a, b, c]
    assert averaged[2][0] is None
    with tf.Session() as sess:
        ga, gb = sess.run([averaged[0][0], averaged[1][0]])
    np.testing.assert_allclose(ga, grads[:, 0].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(gb, (grads[0, 1] + grads[2, 1]) / 3, rtol=1e-6)


def test_average_gradients_runs_on_the_variables_device():
    with tf.device("/cpu:2"):
        w = tf.Variable(np.zeros(3, np.float32), name="w")
    towers = []
    for i in range(2):
        with tf.device(f"/cpu:{i}"):
            towers.append([(tf.constant(np.full(3, i + 1.0, np.float32)), w)])
    (g, _), = average_gradients(towers)
    assert g.device == w.device == "/device:CPU:2"
    assert "loc:@w" in g.op.colocation_groups
    meta = tf.RunMetadata()
    config = tf.ConfigProto(device_count={"CPU": 3})
    with tf.Session(config=config) as sess:
        value = sess.run(g, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                         run_metadata=meta)
    np.testing.assert_allclose(value, [1.5, 1.5, 1.5])
    placed = {s.node_name: d.device for d in meta.step_stats.dev_stats for s in d.node_stats}
    assert placed[g.op.name].endswith("CPU:2")


def test_average_gradients_rejects_mismatched_towers_and_non_tensors():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(1.0, name="b")
    with pytest.raises(ValueError, match="same variables"):
        average_gradients([[(tf.constant(1.0), a)], [(tf.constant(1.0), b)]])
    with pytest.raises(ValueError, match="at least one tower"):
        average_gradients([])
    with pytest.raises(TypeError, match="Tensors and IndexedSlices; got float32"):
        average_gradients([[(np.float32(1.0), a)], [(tf.constant(1.0), a)]])


def test_variables_are_created_once_on_the_variable_device():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int64, [None])
    _, _, outputs = data_parallel_minimize(
        tf.train.MomentumOptimizer(0.1, 0.9), _model, [x, y],
        ["/cpu:0", "/cpu:1", "/cpu:2"], variable_device="/cpu:2")
    assert [v.op.name for v in tf.trainable_variables()] == ["w", "v", "b"]
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "b", "b/Momentum", "v", "v/Momentum", "w", "w/Momentum"]
    by_name = {op.name: op for op in tf.get_default_graph().get_operations()}
    for name in ("w", "w/Assign", "w/read", "w/Momentum", "b/read"):
        assert by_name[name].device == "/device:CPU:2", name
    assert len(outputs) == 3


def test_each_towers_ops_run_on_its_device():
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int64, [None])
    devices = ["/cpu:1", "/cpu:0", "/cpu:2"]
    data_parallel_minimize(tf.train.GradientDescentOptimizer(0.1), _model, [x, y], devices)
    ops = tf.get_default_graph().get_operations()
    for i, dev in enumerate(devices):
        tower = [op for op in ops if op.name.startswith(f"tower_{i}/")]
        assert any(op.type == "MatMul" for op in tower)
        assert any(op.name.startswith(f"tower_{i}/gradients/") for op in tower)
        assert {op.device for op in tower} == {"/device:CPU:" + dev[-1]}, i


def test_replicate_model_concatenates_to_the_single_device_output():
    x = tf.placeholder(tf.float32, [None, 5])

    def model(xs):
        w = tf.get_variable("w", initializer=tf.constant(W0))
        return tf.matmul(xs, w)

    outs = replicate_model(model, x, ["/cpu:0", "/cpu:1", "/cpu:2"])
    with tf.variable_scope(tf.get_variable_scope(), reuse=True):
        single = replicate_model(model, [x], ["/cpu:0"])[0]
    assert len(tf.global_variables()) == 1
    whole = tf.concat(outs, axis=0)
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 3})) as sess:
        sess.run(tf.global_variables_initializer())
        got, want = sess.run([whole, single], {x: X})
    np.testing.assert_allclose(got, X @ W0, rtol=1e-6)
    np.testing.assert_allclose(want, X @ W0, rtol=1e-6)


def test_tf_variable_inside_model_fn_is_rejected():
    x = tf.placeholder(tf.float32, [None, 5])

    def model(xs):
        return tf.matmul(xs, tf.Variable(W0, name="private"))

    with pytest.raises(ValueError, match="tf.get_variable"):
        replicate_model(model, x, ["/cpu:0", "/cpu:1"])


def test_bad_arguments():
    x = tf.placeholder(tf.float32, [None, 5])
    with pytest.raises(ValueError, match="at least one device"):
        replicate_model(lambda s: s, x, [])
    with pytest.raises(TypeError, match="device name"):
        replicate_model(lambda s: s, x, ["/cpu:0", 1])
    with pytest.raises(ValueError, match="float scalar"):
        data_parallel_minimize(tf.train.GradientDescentOptimizer(0.1),
                               lambda s: tf.get_variable("u", [5]) * s, x, ["/cpu:0"])


def _ancestors(op):
    return upstream([op]) - {op}


@pytest.mark.parametrize("gate, ordered", [(None, True),
                                           (tf.train.Optimizer.GATE_NONE, False)])
def test_updates_wait_for_every_towers_backward_reads(gate, ordered):
    # Consumers read a variable when they run (TF1 ref semantics): a backward op such as
    # `dy @ v^T` in tower 1 must not run after v's update, or it sees the new value.
    x = tf.placeholder(tf.float32, [None, 5])
    y = tf.placeholder(tf.int64, [None])
    kwargs = {} if gate is None else {"gate_gradients": gate}
    train_op, _, _ = data_parallel_minimize(tf.train.GradientDescentOptimizer(0.1), _model,
                                            [x, y], ["/cpu:0", "/cpu:1"], **kwargs)
    ops = tf.get_default_graph().get_operations()
    runs = _ancestors(train_op)  # a step runs only these (d loss / d x is pruned)
    backward_reads = [op for op in ops if "/gradients/" in op.name and op in runs
                      and any(t.op.name.endswith("/read") for t in op.inputs)]
    assert {op.name.split("/")[0] for op in backward_reads} == {"tower_0", "tower_1"}
    updates = [op for op in ops if op.type == "ApplyGradientDescent"]
    assert len(updates) == 3
    before_all = all(set(backward_reads) <= _ancestors(u) for u in updates)
    assert before_all is ordered
