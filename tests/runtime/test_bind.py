"""bind: slots, kernels, last uses and the straight-line code of a plan (literal)."""

import numpy as np

import flowexec as tf


def test_slots_successors_readers_and_generated_code():
    x = tf.placeholder(tf.float32, [], name="x")
    a = tf.add(x, 1.0, name="a")
    b = tf.multiply(a, a, name="b")
    with tf.Session() as sess:
        stages = sess.explain([b, a.op], {x: None})
        plan = stages.plan
        assert [(s.op.name, s.ins, s.outs, s.succ, s.npreds) for s in plan.steps] == [
            ("a/y", (), (1,), (1,), 0),
            ("a", (0, 1), (2,), (2,), 1),
            ("b", (2, 2), (3,), (), 1),
        ]
        assert [r.name for r in plan.slot_refs] == ["x:0", "a/y:0", "a:0", "b:0"]
        assert plan.feed_slots == (0,)
        assert plan.fetch_slots == [3, None]
        assert plan.consumers == [1, 1, 2, 0]
        assert plan.initial == [0] and plan.keep == frozenset({3})
        assert stages.source == ("def run(vals):\n"
                                 "    v0 = vals[0]\n"
                                 "    v2 = k1(p0, v0, c0)\n"
                                 "    v3 = k2(p0, v2, v2)\n"
                                 "    return (v3, None,)\n")
        assert sess.run([b, a.op], {x: 2.0}) == [9.0, None]


def test_large_buffers_are_deleted_after_their_last_reader():
    x = tf.placeholder(tf.float32, [4096, 2], name="x")
    y = tf.negative(tf.abs(x, name="a"), name="y")
    with tf.Session() as sess:
        source = sess.explain(y, {x: None}).source
        assert source.splitlines()[2:5] == ["    v1 = k1(p0, v0)", "    del v0",
                                            "    v2 = k2(p0, v1)"]
        np.testing.assert_array_equal(sess.run(y, {x: np.ones((4096, 2))}), -1.0)


def test_kernels_with_context_get_the_users_operation():
    v = tf.Variable(3.0, name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        plan = sess.explain(v.initializer).plan
        assign = next(s for s in plan.steps if s.op.name == "v/Assign")
        assert assign.binding.prefix[0].op is v.initializer
        assert sess.run(v) == 3.0
