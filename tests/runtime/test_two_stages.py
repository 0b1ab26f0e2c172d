"""codegen.TwoStages: a plan's straight-line code in two calls (distributed/stages.py)."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.runtime.codegen import TwoStages


def _after(plan, first):
    """The steps at and after step `first` (its successors, transitively)."""
    later, todo = {first}, [first]
    while todo:
        for j in plan.steps[todo.pop()].succ:
            if j not in later:
                later.add(j)
                todo.append(j)
    return later


def _plan(fetches, feeds):
    with tf.Session() as sess:
        return sess.explain(fetches, {f: None for f in feeds}).plan


def test_the_two_calls_carry_what_the_second_reads_and_free_the_rest():
    x = tf.placeholder(tf.float32, [], name="x")
    big = tf.placeholder(tf.float32, [4096, 2], name="big")
    a = tf.add(x, 1.0, name="a")
    s = tf.reduce_sum(tf.abs(big, name="abs"), name="s")
    b = tf.multiply(a, s, name="b")
    plan = _plan([b, a], [x, big])
    second = {i for i, step in enumerate(plan.steps) if step.op.name == "b"}
    stages = TwoStages(plan, second)
    assert stages.source == ("def first(vals):\n"
                             "    v0 = vals[0]\n"
                             "    v1 = vals[1]\n"
                             "    v3 = k1(p0, v0, c0)\n"
                             "    v4 = k2(p0, v1)\n"
                             "    del v1\n"
                             "    v6 = k4(p0, v4, c3, keep_dims=a3)\n"
                             "    del v4\n"
                             "    vals[3] = v3\n"
                             "    vals[6] = v6\n"
                             "    return None\n"
                             "def second(vals):\n"
                             "    v3 = vals[3]\n"
                             "    v6 = vals[6]\n"
                             "    v7 = k5(p0, v3, v6)\n"
                             "    return (v7, v3,)\n")
    vals = [None] * plan.nslots
    vals[plan.feed_slots[0]], vals[plan.feed_slots[1]] = np.float32(2.0), -np.ones((4096, 2),
                                                                                  np.float32)
    assert stages.first(vals) is None
    assert stages.second(vals) == (3.0 * 8192, 3.0)


@pytest.mark.parametrize("seed", range(8))
def test_any_split_at_a_step_and_its_successors_computes_the_straight_line(seed):
    rng = np.random.default_rng(seed)
    g = tf.Graph()
    with g.as_default():
        feeds = [tf.placeholder(tf.float64, [3], name=f"x{i}") for i in range(3)]
        values = list(feeds)
        for i in range(12):
            a, b = (values[j] for j in rng.integers(0, len(values), 2))
            op = (tf.add, tf.multiply, tf.subtract, lambda p, q, name: tf.tanh(p - q, name))[
                rng.integers(0, 4)]
            values.append(op(a, b, name=f"n{i}"))
        fetches = [values[j] for j in rng.choice(len(values), 3, replace=False)]
        with tf.Session(graph=g) as sess:
            plan = sess.explain(fetches, {f: None for f in feeds}).plan
        fed = [rng.standard_normal(3) for _ in feeds]

        def vals():
            out = [None] * plan.nslots
            for slot, value in zip(plan.feed_slots, fed):
                out[slot] = value
            return out
        want = plan.straight.fn(vals())
        for start in range(len(plan.steps)):
            stages = TwoStages(plan, _after(plan, start))
            v = vals()
            stages.first(v)
            got = stages.second(v)
            for w, o in zip(want, got):
                np.testing.assert_array_equal(o, w)


def test_a_failing_step_is_found_in_either_stage():
    x = tf.placeholder(tf.float32, [], name="x")
    checked = tf.debugging.check_numerics(x * 2.0, "first bad", name="c1")
    later = tf.debugging.check_numerics(tf.sqrt(checked - 10.0), "second bad", name="c2")
    plan = _plan(later, [x])
    second = {i for i, s in enumerate(plan.steps) if s.op.name == "c2"}
    stages = TwoStages(plan, _after(plan, min(second)))
    for value, name in ((np.float32(np.inf), "c1"), (np.float32(1.0), "c2")):
        vals = [None] * plan.nslots
        vals[plan.feed_slots[0]] = value
        with pytest.raises(tf.errors.InvalidArgumentError) as info, \
                np.errstate(all="ignore"):
            stages.first(vals)
            stages.second(vals)
        assert plan.steps[stages.step_at(info.value.__traceback__)].op.name == name
