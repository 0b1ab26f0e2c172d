"""Differential tests: random DAGs run by the executor equal a plain sequential evaluation.

Each DAG is built from random binary nodes over earlier nodes; it runs (a) as planned,
(b) with every op forced onto the parallel executor, and (c) spread by explicit device
scopes over several logical CPU devices with 2 threads each. All must equal the numpy
evaluation exactly (same float64 operations in the same order per node).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flowexec as tf
from flowexec.runtime import cost as cost_mod
from tests.runtime import fakes


@st.composite
def dags(draw):
    n_inputs = draw(st.integers(1, 4))
    n_nodes = draw(st.integers(1, 25))
    nodes = []
    for i in range(n_nodes):
        avail = n_inputs + i
        a = draw(st.integers(0, avail - 1))
        b = draw(st.integers(0, avail - 1))
        kind = draw(st.sampled_from(["add", "sleep", "counter"]))
        device = draw(st.integers(0, 3))
        nodes.append((kind, a, b, device))
    n_fetch = draw(st.integers(1, min(4, n_nodes)))
    fetch = draw(st.lists(st.integers(0, n_nodes - 1), min_size=n_fetch, max_size=n_fetch))
    seed = draw(st.integers(0, 2 ** 16))
    return n_inputs, nodes, fetch, seed


def _numpy_eval(inputs, nodes):
    vals = list(inputs)
    for kind, a, b, _ in nodes:
        if kind == "add":
            vals.append(vals[a] + vals[b])
        elif kind == "sleep":
            vals.append(vals[a] + 1)
        else:
            vals.append(vals[a])
    return vals[len(inputs):]


def _build(n_inputs, nodes, n_devices):
    phs = [tf.placeholder(tf.float64, [3]) for _ in range(n_inputs)]
    ts = list(phs)
    for kind, a, b, device in nodes:
        with tf.device(f"/cpu:{device % n_devices}" if n_devices > 1 else None):
            if kind == "add":
                t = fakes.add(ts[a], ts[b])
            elif kind == "sleep":
                t = fakes.sleep(ts[a], 0.0)
            else:
                t = fakes.counter(ts[a])
        ts.append(t)
    return phs, ts[n_inputs:]


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(dag=dags(), n_devices=st.sampled_from([1, 2, 4]), force_parallel=st.booleans())
def test_random_dag_matches_sequential_numpy(dag, n_devices, force_parallel, monkeypatch):
    n_inputs, nodes, fetch, seed = dag
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal(3) for _ in range(n_inputs)]
    want = _numpy_eval(inputs, nodes)
    if force_parallel:
        monkeypatch.setattr(cost_mod, "EXPENSIVE_COST", 0.0)
        monkeypatch.setattr(cost_mod, "PARALLEL_MIN_SAVING", 0.0)
        monkeypatch.setattr(cost_mod, "PARALLEL_MIN_RATIO", 0.0)
    g = tf.Graph()
    with g.as_default():
        phs, outs = _build(n_inputs, nodes, n_devices)
        config = tf.ConfigProto(device_count={"CPU": n_devices},
                                inter_op_parallelism_threads=2)
        with tf.Session(config=config) as sess:
            got = sess.run([outs[i] for i in fetch], dict(zip(phs, inputs)))
            again = sess.run([outs[i] for i in fetch], dict(zip(phs, inputs)))
    for i, g_val, a_val in zip(fetch, got, again):
        np.testing.assert_array_equal(g_val, want[i])
        np.testing.assert_array_equal(a_val, want[i])


@pytest.mark.parametrize("n_devices", [2, 4])
def test_explicit_placement_over_logical_cpus(n_devices):
    x = tf.placeholder(tf.float64, [3])
    outs = []
    for d in range(n_devices):
        with tf.device(f"/cpu:{d}"):
            outs.append(fakes.sleep(x, 0.0, name=f"on{d}"))
    config = tf.ConfigProto(device_count={"CPU": n_devices})
    meta = tf.RunMetadata()
    with tf.Session(config=config) as sess:
        sess.run(outs, {x: np.zeros(3)},
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=meta)
    devices = {d.device for d in meta.step_stats.dev_stats
               if any(n.node_name.startswith("on") for n in d.node_stats)}
    assert len(devices) == n_devices
