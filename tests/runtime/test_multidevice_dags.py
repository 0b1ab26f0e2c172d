"""Differential tests: random DAGs of mixed ops, placed over 2-8 devices, equal numpy.

Each DAG is a random sequence of nodes over earlier nodes (3x3 float64 matrices): binary
and unary math ops, matmuls and reductions, with random control dependencies. Every node is
either pinned to a random device or left to automatic placement. The session has 2 to 8
logical CPUs and, in about half the cases, one of them is an asynchronous stream device
(devices.testing.ThreadStreamRuntime with random delays on every lane item: a missing
event or a buffer released too early reads poison). The results must equal a plain
sequential numpy evaluation of the same nodes.
"""

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import devices
import flowexec as tf
from devices.testing import ThreadStreamRuntime, use_runtime

UNARY = {
    "tanh": (tf.tanh, np.tanh),
    "transpose": (tf.transpose, np.transpose),
    "colsum": (lambda a: a + tf.reduce_sum(a, axis=0, keepdims=True),
               lambda a: a + np.sum(a, axis=0, keepdims=True)),
    "neg": (tf.negative, np.negative),
}
BINARY = {
    "add": (tf.add, np.add),
    "sub": (tf.subtract, np.subtract),
    "mul": (tf.multiply, np.multiply),
    "max": (tf.maximum, np.maximum),
    "matmul": (tf.matmul, np.matmul),
}
KINDS = sorted(UNARY) + sorted(BINARY)


@st.composite
def dags(draw):
    n_devices = draw(st.integers(2, 8))
    n_inputs = draw(st.integers(1, 3))
    n_nodes = draw(st.integers(1, 20))
    nodes = []
    for i in range(n_nodes):
        avail = n_inputs + i
        kind = draw(st.sampled_from(KINDS))
        a = draw(st.integers(0, avail - 1))
        b = draw(st.integers(0, avail - 1))
        device = draw(st.one_of(st.none(), st.integers(0, n_devices - 1)))
        control = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        nodes.append((kind, a, b, device, control))
    fetch = draw(st.lists(st.integers(0, n_nodes - 1), min_size=1, max_size=4))
    stream = draw(st.one_of(st.none(), st.integers(0, n_devices - 1)))
    seed = draw(st.integers(0, 2 ** 16))
    return n_devices, n_inputs, nodes, fetch, stream, seed


def _numpy_eval(inputs, nodes):
    vals = list(inputs)
    for kind, a, b, _, _ in nodes:
        if kind in UNARY:
            vals.append(UNARY[kind][1](vals[a]))
        else:
            vals.append(BINARY[kind][1](vals[a], vals[b]))
    return vals[len(inputs):]


def _build(n_inputs, nodes):
    phs = [tf.placeholder(tf.float64, [3, 3]) for _ in range(n_inputs)]
    ts = list(phs)
    outs = []
    for kind, a, b, device, control in nodes:
        deps = [outs[control].op] if control is not None else []
        with tf.device(None if device is None else f"/cpu:{device}"), \
                tf.control_dependencies(deps):
            if kind in UNARY:
                t = UNARY[kind][0](ts[a])
            else:
                t = BINARY[kind][0](ts[a], ts[b])
        ts.append(t)
        outs.append(t)
    return phs, outs


def _run(n_devices, n_inputs, nodes, fetch, inputs):
    g = tf.Graph()
    with g.as_default():
        phs, outs = _build(n_inputs, nodes)
        config = tf.ConfigProto(device_count={"CPU": n_devices},
                                inter_op_parallelism_threads=2)
        with tf.Session(config=config) as sess:
            feed = dict(zip(phs, inputs))
            first = sess.run([outs[i] for i in fetch], feed)
            second = sess.run([outs[i] for i in fetch], feed)
    return first, second


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(dag=dags())
def test_random_placed_dag_matches_sequential_numpy(dag):
    n_devices, n_inputs, nodes, fetch, stream, seed = dag
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal((3, 3)) for _ in range(n_inputs)]
    want = _numpy_eval(inputs, nodes)
    if stream is None:
        first, second = _run(n_devices, n_inputs, nodes, fetch, inputs)
    else:
        record = devices.local_devices({"CPU": n_devices})[stream]
        record = dataclasses.replace(record, memory_limit=1 << 30)
        double = ThreadStreamRuntime(device=record, num_lanes=3, delay=0.0003, jitter=True,
                                     seed=seed)
        with use_runtime(double):
            first, second = _run(n_devices, n_inputs, nodes, fetch, inputs)
        assert double.bytes_in_use == 0
    for i, a, b in zip(fetch, first, second):
        np.testing.assert_allclose(a, want[i], rtol=1e-13, atol=1e-13)
        np.testing.assert_array_equal(a, b)
