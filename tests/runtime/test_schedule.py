"""schedule: kinds, lanes, events, memory accounting and the executor choice (literal)."""

import types

import pytest

import flowexec as tf
from flowexec.runtime import cost as cost_mod
from flowexec.runtime import ir
from flowexec.runtime.partition import HOST, partition
from flowexec.runtime.prune import prune
from flowexec.runtime.schedule import HOST_STEP, STREAM_STEP, StepSchedule, schedule

CPU0, GPU0 = "/device:CPU:0", "/device:GPU:0"


def _runtimes(lanes=2, limit=False):
    """What the stage reads of a runtime: static attributes only."""
    host = types.SimpleNamespace(asynchronous=False, num_lanes=1, enforces_memory_limit=False)
    gpu = types.SimpleNamespace(asynchronous=True, num_lanes=lanes,
                                enforces_memory_limit=limit)
    return {CPU0: host, GPU0: gpu}


def _parts(fetches, feeds, placement):
    g = ir.from_pruned(prune(tf.get_default_graph(), fetches, feeds, []))
    return partition(g, placement, {CPU0: HOST, GPU0: GPU0})


def test_independent_chains_get_their_own_lanes_and_joins_wait_for_events():
    x = tf.placeholder(tf.float32, [8], name="x")
    l1 = tf.negative(x, name="l1")
    l2 = tf.negative(l1, name="l2")
    r1 = tf.abs(x, name="r1")
    j = tf.add(l2, r1, name="j")
    parts = _parts([j], [x], {"l1": GPU0, "l2": GPU0, "r1": GPU0, "j": GPU0})
    assert [i.name for i in parts.items] == [
        "x/_0_to_GPU_0", "l1", "l2", "r1", "j", "j/_0_to_client"]
    s = schedule(parts, _runtimes(), num_threads=2)
    assert [(st.kind, st.lane, st.waits, st.records) for st in s.steps] == [
        (STREAM_STEP, 0, (), True),       # the copy in; l1 continues its lane
        (STREAM_STEP, 0, (), False),
        (STREAM_STEP, 0, (), False),
        (STREAM_STEP, 1, (0,), True),     # a new chain: the other lane, waiting for the copy
        (STREAM_STEP, 0, (3,), False),    # the join continues l2's lane, waits for r1
        (STREAM_STEP, 0, (), True),       # the copy out, right behind j; fetched
    ]
    assert s.lanes == ((GPU0, 0), (GPU0, 1))
    assert s.fetch_waits == (5,)
    assert s.steps[3].keep_alive == (0,)  # made on another lane
    assert s.parallel  # stream lanes live in the interpreted executor


def test_one_lane_caps_everything_onto_one_stream():
    x = tf.placeholder(tf.float32, [8], name="x")
    j = tf.add(tf.negative(x, name="a"), tf.abs(x, name="b"), name="j")
    parts = _parts([j], [x], {"a": GPU0, "b": GPU0, "j": GPU0})
    s = schedule(parts, _runtimes(), num_threads=2, max_lanes=1)
    assert {st.lane for st in s.steps} == {0} and all(not st.waits for st in s.steps)


def test_host_steps_wait_for_stream_events_and_accounting_skips_copies_to_host():
    x = tf.placeholder(tf.float32, [8], name="x")
    a = tf.negative(x, name="a")
    b = tf.abs(a, name="b")
    parts = _parts([b], [x], {"a": GPU0, "b": CPU0})
    s = schedule(parts, _runtimes(limit=True), num_threads=1)
    assert [i.name for i in parts.items] == ["x/_0_to_GPU_0", "a", "a/_0_to_CPU_0", "b"]
    assert [(st.kind, st.host_waits, st.account) for st in s.steps] == [
        (STREAM_STEP, (), True), (STREAM_STEP, (), True), (STREAM_STEP, (), False),
        (HOST_STEP, (2,), False)]


def test_host_plans_go_parallel_only_when_overlap_pays(monkeypatch):
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    outs = [tf.matmul(x, x, name=f"m{i}") for i in range(2)]
    placement = {"m0": CPU0, "m1": CPU0}
    parts = _parts(outs, [x], placement)
    s = schedule(parts, _runtimes(), num_threads=2)
    cost = 512 ** 3 / 20.0
    assert s.steps == (StepSchedule(HOST_STEP, cost, True), StepSchedule(HOST_STEP, cost, True))
    assert (s.total_cost, s.critical_path, s.parallel) == (2 * cost, cost, True)
    assert not schedule(parts, _runtimes(), num_threads=1).parallel
    monkeypatch.setattr(cost_mod, "PARALLEL_MIN_SAVING", 2 * cost)
    assert not schedule(parts, _runtimes(), num_threads=2).parallel


@pytest.mark.parametrize("shape, expected", [([4, 5], 20.0), ([None, 5], 1.0)])
def test_cheap_costs_follow_known_sizes(shape, expected):
    x = tf.placeholder(tf.float32, shape, name="x")
    y = tf.negative(x, name="y")
    node = ir.node_of(y.op)
    assert cost_mod.estimate_cost(node) == expected
