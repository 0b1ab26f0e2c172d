"""The run pipeline through Session.explain and make_callable."""

import numpy as np
import pytest

import flowexec as tf


def test_explain_returns_every_stage_from_the_plan_cache():
    x = tf.placeholder(tf.float32, [2], name="x")
    y = tf.add(x, 1.0, name="y")
    with tf.Session() as sess:
        stages = sess.explain(y, {x: None})
        assert [op.name for op in stages.pruned.ops] == ["y/y", "y"]
        assert [n.name for n in stages.graph.nodes] == ["y/y", "y"]
        assert stages.optimized.graph.fetches == stages.graph.fetches
        assert isinstance(stages.applied, tuple)
        assert set(stages.placement.values()) == {
            "/job:localhost/replica:0/task:0/device:CPU:0"}
        assert [i.name for i in stages.partitioned.items] == ["y/y", "y"]
        assert not stages.schedule.parallel and stages.source.startswith("def run(vals):")
        text = str(stages)
        for title in ("== pruned ==", "== optimized ==", "== optimizations applied ==",
                      "== placement ==", "== partitions ==", "== schedule ==", "== plan =="):
            assert title in text
        assert sess.explain(y, [x]) is stages  # the same cache entry as run's
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0]}), [2.0, 3.0])
        assert len(sess._cache) == 1
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.explain(y, {x: None})


def test_partition_graphs_come_from_the_partition_stage():
    with tf.device("/cpu:0"):
        a = tf.constant(2.0, name="a")
    with tf.device("/cpu:1"):
        b = tf.negative(a, name="b")
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        meta = tf.RunMetadata()
        assert sess.run(b, options=tf.RunOptions(output_partition_graphs=True),
                        run_metadata=meta) == -2.0
        assert meta.partition_graphs == list(sess.explain(b).partitioned.graphs)
        assert [[n.op for n in p.node] for p in meta.partition_graphs] == [
            ["Const", "_Send"], ["Neg", "_Recv"]]


def test_make_callable_plans_once_and_replans_after_graph_changes():
    x = tf.placeholder(tf.float32, [], name="x")
    y = tf.placeholder(tf.float32, [], name="y")
    z = x * y
    v = tf.Variable(0.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        f = sess.make_callable([z, v], [x, y])
        assert len(sess._cache) == 2  # the initializer's plan and the callable's
        assert f(2.0, 3.0) == [6.0, 0.0]
        with pytest.raises(TypeError, match="expects 2 arguments, got 1"):
            f(1.0)
        with pytest.raises(TypeError, match="unexpected keyword"):
            f(1.0, 2.0, options=tf.RunOptions())
        inc = tf.assign_add(v, 1.0)
        z.op._add_control_input(inc.op)  # the graph changed: the next call replans
        assert f(2.0, 3.0)[0] == 6.0
        assert sess.run(v) == 1.0  # the new control input ran
        traced = sess.make_callable(z, [x, y], accept_options=True)
        meta = tf.RunMetadata()
        assert traced(1.0, 1.0, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                      run_metadata=meta) == 1.0
        assert meta.step_stats.dev_stats
    with pytest.raises(RuntimeError, match="closed Session"):
        f(1.0, 2.0)


def test_make_callable_reports_an_unfed_placeholder_when_made():
    x = tf.placeholder(tf.float32, [], name="x")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="must feed a value"):
            sess.make_callable(x + 1.0)
