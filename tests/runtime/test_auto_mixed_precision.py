"""The auto_mixed_precision rewrite: float16 for GPU-placed ops, decided by placement.

The session's GPU is a logical one: a GPU-typed DeviceAttributes record served by the
`devices.testing.ThreadStreamRuntime` double (numpy arrays, threads as streams), so the
placement, partitioning, transfers and the pass run as on a CUDA machine.
"""

import contextlib

import numpy as np
import pytest

import devices
import flowexec as tf
import flowexec.runtime.session as session_module
from devices.attributes import DeviceAttributes, Locality
from devices.testing import ThreadStreamRuntime, use_runtime
from flowexec.framework import dtypes
from flowexec.runtime.optimize import auto_mixed_precision as amp

GPU = "/job:localhost/replica:0/task:0/device:GPU:0"
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
ON = tf.ConfigProto(graph_options=tf.GraphOptions(
    rewrite_options=tf.RewriterConfig(auto_mixed_precision=tf.RewriterConfig.ON)))


@pytest.fixture(autouse=True)
def _rewrite_switch_off():
    amp.set_graph_rewrite_enabled(False)
    yield
    amp.set_graph_rewrite_enabled(False)


@contextlib.contextmanager
def logical_gpu(monkeypatch):
    """Sessions see CPU:0 and a GPU:0 played by a ThreadStreamRuntime."""
    cpu = devices.local_devices({"CPU": 1})[0]
    gpu = DeviceAttributes(name="/device:GPU:0", device_type="GPU", memory_limit=1 << 30,
                           locality=Locality(), incarnation=12345,
                           physical_device_desc="device: ThreadStreamRuntime test double")
    monkeypatch.setattr(session_module, "local_devices", lambda count=None: [cpu, gpu])
    with use_runtime(ThreadStreamRuntime(device=gpu, num_lanes=2)):
        yield


@pytest.fixture
def gpu_session(monkeypatch):
    with logical_gpu(monkeypatch):
        yield


def _painted(stages):
    """{node name: type} of the nodes whose first output became float16 (Casts excluded)."""
    return {n.name: n.type for n in stages.optimized.graph.nodes
            if n.type != "Cast" and n.output_dtypes and n.output_dtypes[0] is dtypes.float16}


def _casts(stages):
    return [n for n in stages.optimized.graph.nodes if n.type == "Cast"]


def _mlp():
    rng = np.random.default_rng(0)
    x = tf.placeholder(tf.float32, [8, 16], name="x")
    w1 = tf.constant(rng.standard_normal((16, 32)).astype(np.float32) * 0.2, name="w1")
    w2 = tf.constant(rng.standard_normal((32, 4)).astype(np.float32) * 0.2, name="w2")
    h = tf.tanh(tf.matmul(x, w1, name="mm1"), name="h")
    y = tf.matmul(h, w2, name="mm2")
    out = tf.reduce_sum(tf.exp(y, name="e"), name="out")
    return x, out, rng.standard_normal((8, 16)).astype(np.float32)


def test_allow_ops_and_infer_ops_between_them_become_float16(gpu_session):
    x, out, xv = _mlp()
    with tf.Session(config=ON) as sess:
        stages = sess.explain(out, {x: xv})
        assert _painted(stages) == {"mm1": "MatMul", "h": "Tanh", "mm2": "MatMul"}
        line = [a for a in stages.applied if a.startswith("auto_mixed_precision")]
        assert line == ["auto_mixed_precision: 3 nodes converted to float16 "
                        "(MatMul x2, Tanh x1), 4 Casts added"]
        kinds = sorted((c.inputs[0].node, c.get_attr("DstT").name) for c in _casts(stages))
        assert kinds == [("mm2", "float32"), ("w1", "float16"), ("w2", "float16"),
                         ("x", "float16")]
        for c in _casts(stages):
            assert stages.placement[c.name] == GPU
        # the deny op and the reduction stay float32, and so does the fetch
        g = stages.optimized.graph
        assert g.node("e").output_dtypes[0] is dtypes.float32
        assert g.node("out").output_dtypes[0] is dtypes.float32
        got = sess.run(out, {x: xv})
    with tf.Session() as sess:
        assert not any(a.startswith("auto_mixed") for a in sess.explain(out, {x: xv}).applied)
        want = sess.run(out, {x: xv})
    assert isinstance(got, np.float32)
    np.testing.assert_allclose(got, want, rtol=1e-2)
    assert got != want  # float16 rounding really happened


def test_rewrite_is_off_by_default(gpu_session):
    x, out, xv = _mlp()
    with tf.Session() as sess:
        stages = sess.explain(out, {x: xv})
        assert _painted(stages) == {} and _casts(stages) == []
    off = tf.ConfigProto(graph_options=tf.GraphOptions(
        rewrite_options=tf.RewriterConfig(auto_mixed_precision=tf.RewriterConfig.OFF)))
    amp.set_graph_rewrite_enabled(True)
    with tf.Session(config=off) as sess:
        assert _painted(sess.explain(out, {x: xv})) == {}
    with tf.Session() as sess:   # the global switch turns DEFAULT on
        assert set(_painted(sess.explain(out, {x: xv}))) == {"mm1", "h", "mm2"}


def test_deny_op_upstream_keeps_infer_ops_float32(gpu_session):
    a = tf.placeholder(tf.float32, [4, 4], name="a")
    w = tf.constant(np.eye(4, dtype=np.float32), name="w")
    e = tf.exp(a, name="e")                   # deny
    m0 = tf.matmul(a, w, name="mm0")
    s = tf.add(e, m0, name="s")   # infer between allow ops, but downstream of deny: denied
    r = tf.nn.relu(tf.matmul(s, w, name="mm"), name="r")   # clear beside an allow: painted
    t = tf.sigmoid(tf.matmul(r, w, name="mm2"), name="t")  # infer after allow, then fetched
    out = tf.identity(t, name="out")
    av = np.random.default_rng(1).standard_normal((4, 4)).astype(np.float32) * 0.5
    with tf.Session(config=ON) as sess:
        stages = sess.explain(out, {a: av})
        assert _painted(stages) == {"mm0": "MatMul", "mm": "MatMul", "r": "Relu",
                                    "mm2": "MatMul"}
        got = sess.run(out, {a: av})
    want = 1 / (1 + np.exp(-np.maximum((np.exp(av) + av) @ np.eye(4), 0) @ np.eye(4)))
    np.testing.assert_allclose(got, want, rtol=2e-3)
    assert got.dtype == np.float32


def test_fetched_allow_op_keeps_float32(gpu_session):
    x, out, xv = _mlp()
    mm1 = tf.get_default_graph().get_tensor_by_name("mm1:0")
    with tf.Session(config=ON) as sess:
        stages = sess.explain([mm1, out], {x: xv})
        assert "mm1" not in _painted(stages) and "mm2" in _painted(stages)
        got = sess.run(mm1, {x: xv})
    assert got.dtype == np.float32


def test_cpu_ops_are_left_alone(gpu_session):
    with tf.device("/cpu:0"):
        x, out, xv = _mlp()
    with tf.Session(config=ON) as sess:
        stages = sess.explain(out, {x: xv})
        assert set(stages.placement.values()) == {CPU}
        assert _painted(stages) == {} and _casts(stages) == []
        assert not any(a.startswith("auto_mixed") for a in stages.applied)


def test_cpu_only_session_is_unchanged():
    x, out, xv = _mlp()
    with tf.Session(config=ON) as on, tf.Session() as off:
        s_on, s_off = on.explain(out, {x: xv}), off.explain(out, {x: xv})
        assert str(s_on.optimized.graph) == str(s_off.optimized.graph)
        assert s_on.applied == s_off.applied
        assert on.run(out, {x: xv}) == off.run(out, {x: xv})


def test_pass_decides_by_placement_only():
    x, out, xv = _mlp()
    with tf.Session() as sess:
        stages = sess.explain(out, {x: xv})
    graph = stages.optimized.graph
    on_gpu = {n.name: GPU for n in graph.nodes}
    g, added, what = amp.auto_mixed_precision(graph, on_gpu)
    assert what is not None and set(added.values()) == {GPU}
    assert {n.name for n in g.nodes if n.output_dtypes[0] is dtypes.float16
            and n.type != "Cast"} == {"mm1", "h", "mm2"}
    # mm2 on the CPU: only mm1 converts (tanh is no longer between two GPU allow ops)
    mixed = dict(on_gpu, mm2=CPU)
    g, added, _ = amp.auto_mixed_precision(graph, mixed)
    assert {n.name for n in g.nodes if n.output_dtypes[0] is dtypes.float16
            and n.type != "Cast"} == {"mm1"}
    cast_back = [n for n in g.nodes if n.type == "Cast" and n.inputs[0].node == "mm1"]
    assert len(cast_back) == 1 and added[cast_back[0].name] == GPU
    assert g.node("h").inputs[0] == cast_back[0].outputs[0]
    assert amp.auto_mixed_precision(graph, {n.name: CPU for n in graph.nodes}) == \
        (graph, {}, None)


def test_gradients_flow_through_converted_ops(gpu_session):
    rng = np.random.default_rng(2)
    x = tf.constant(rng.standard_normal((8, 5)).astype(np.float32))
    w = tf.Variable(rng.standard_normal((5, 3)).astype(np.float32), name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
    grad = tf.identity(tf.gradients(loss, [w])[0])   # a fetched MatMul would stay float32
    with tf.Session(config=ON) as sess:
        sess.run(tf.global_variables_initializer())
        stages = sess.explain(grad)
        painted = _painted(stages)
        assert sorted(painted.values()).count("MatMul") >= 2   # forward and backward
        got = sess.run(grad)
        wv = sess.run(w)
    assert got.dtype == np.float32
    with tf.Session() as sess:
        sess.run(w.initializer)
        want = sess.run(grad)
    np.testing.assert_allclose(got, want, rtol=2e-2, atol=2e-3)
    assert wv.dtype == np.float32


def test_small_model_trains_with_enable_mixed_precision_graph_rewrite(gpu_session):
    rng = np.random.default_rng(3)
    xv = rng.standard_normal((32, 4)).astype(np.float32)
    yv = (xv @ np.array([[1.], [-2.], [0.5], [3.]], np.float32) + 0.25).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable(np.zeros((4, 1), np.float32), name="w")
    b = tf.Variable(np.zeros((1,), np.float32), name="b")
    pred = tf.matmul(x, w) + b
    loss = tf.reduce_mean(tf.square(pred - y))
    opt = tf.train.experimental.enable_mixed_precision_graph_rewrite(
        tf.train.GradientDescentOptimizer(0.1), loss_scale="dynamic")
    train = opt.minimize(loss)
    # (elementwise fusion on a GPU generates a CuPy kernel, which the numpy double lacks)
    no_fusion = tf.ConfigProto(graph_options=tf.GraphOptions(
        rewrite_options=tf.RewriterConfig(remapping=tf.RewriterConfig.OFF)))
    with tf.Session(config=no_fusion) as sess:
        sess.run(tf.global_variables_initializer())
        stages = sess.explain(train, {x: xv, y: yv})
        assert any(a.startswith("auto_mixed_precision") for a in stages.applied)
        assert "MatMul" in _painted(stages).values()
        first = sess.run(loss, {x: xv, y: yv})
        for _ in range(60):
            sess.run(train, {x: xv, y: yv})
        last = sess.run(loss, {x: xv, y: yv})
        assert sess.run(w).dtype == np.float32
        # 2**15 times these gradients overflows float16 in the converted backward MatMul:
        # those steps were skipped and the dynamic scale halved until they fit
        scale = sess.run(opt.loss_scale())
        assert scale < 2. ** 15 and np.log2(scale) == int(np.log2(scale))
    assert last < first * 0.05


def test_set_experimental_options_turns_the_rewrite_on(gpu_session):
    from flowexec.runtime.optimize import config as rewrite_config

    x, out, xv = _mlp()
    saved = dict(rewrite_config._PROCESS_REWRITE_DEFAULTS)
    try:
        tf.config.optimizer.set_experimental_options({"auto_mixed_precision": True})
        with tf.Session() as sess:
            assert set(_painted(sess.explain(out, {x: xv}))) == {"mm1", "h", "mm2"}
        tf.config.optimizer.set_experimental_options({"auto_mixed_precision": False})
        amp.set_graph_rewrite_enabled(True)
        with tf.Session() as sess:  # an explicit process OFF wins over the graph rewrite
            assert _painted(sess.explain(out, {x: xv})) == {}
    finally:
        rewrite_config._PROCESS_REWRITE_DEFAULTS.clear()
        rewrite_config._PROCESS_REWRITE_DEFAULTS.update(saved)
