"""prune: what a run needs, in a deterministic order (compared literally)."""

import pytest

import flowexec as tf
from flowexec.runtime.prune import prune, topological_order
from tests.runtime import fakes


def _names(ops):
    return [op.name for op in ops]


def test_prune_drops_unfetched_branch():
    a = tf.constant(1.0, name="a")
    b = fakes.add(a, a, name="b")
    fakes.add(a, a, name="unused")
    p = prune(tf.get_default_graph(), [b], [], [])
    assert _names(p.ops) == ["a", "b"]


def test_feed_cuts_the_edge_to_its_producer():
    a = tf.constant(1.0, name="a")
    b = fakes.add(a, a, name="b")
    c = fakes.add(b, a, name="c")
    p = prune(tf.get_default_graph(), [c], [b], [])
    assert _names(p.ops) == ["a", "c"]
    p = prune(tf.get_default_graph(), [c], [b, a], [])
    assert _names(p.ops) == ["c"]


def test_control_inputs_and_targets_are_kept():
    a = tf.constant(1.0, name="a")
    side = fakes.add(a, a, name="side")
    with tf.control_dependencies([side]):
        b = tf.identity(a, name="b")
    t = tf.no_op(name="t")
    p = prune(tf.get_default_graph(), [b], [], [t])
    assert _names(p.ops) == ["a", "side", "b", "t"]


def test_unfed_placeholder_is_reported_only_when_needed():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    a = tf.constant(1.0, name="a")
    fakes.add(x, x, name="needs_x")
    prune(tf.get_default_graph(), [a], [], [])  # x not needed: fine
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="You must feed a value for placeholder tensor 'x' with dtype "
                             r"float and shape \[\?,2\]"):
        prune(tf.get_default_graph(), [tf.get_default_graph().get_tensor_by_name("needs_x:0")],
              [], [])


def test_a_control_edge_from_a_fed_placeholder_is_satisfied_by_the_feed():
    """TF's feed rewrite moves a fed Placeholder's control edges to the fed value:
    `with tf.control_dependencies([x])` on a fed `x` (tf.metrics.mean of a float32
    placeholder makes one) runs without the placeholder's kernel."""
    x = tf.placeholder(tf.float32, [None], name="x")
    a = tf.constant(1.0, name="a")
    with tf.control_dependencies([x]):
        b = tf.identity(a, name="b")
    p = prune(tf.get_default_graph(), [b], [x], [])
    assert _names(p.ops) == ["a", "b"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="You must feed a value for "
                                                              "placeholder tensor 'x'"):
        prune(tf.get_default_graph(), [b], [], [])   # unfed, the edge still needs it
    with tf.Session() as sess:
        assert sess.run(b, {x: [2.0]}) == 1.0
    m, update = tf.metrics.mean(x)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(update, {x: [1.0, 2.0, 3.0]}) == 2.0
        assert sess.run(update, {x: [6.0]}) == 3.0
        assert sess.run(m) == 3.0


@pytest.mark.parametrize("reverse", [False, True])
def test_order_depends_on_structure_not_names(reverse):
    names = [f"n{i}" for i in range(6)]
    if reverse:
        names = names[::-1]
    x = tf.constant(1.0, name="x")
    l1 = fakes.add(x, x, name=names[0])
    r1 = fakes.add(x, x, name=names[1])
    l2 = fakes.add(l1, x, name=names[2])
    r2 = fakes.add(r1, x, name=names[3])
    j = fakes.add(l2, r2, name=names[4])
    p = prune(tf.get_default_graph(), [j], [], [])
    # creation order breaks ties, whatever the names
    assert [op.name for op in p.ops] == ["x"] + names[:5]


def test_cycle_through_control_inputs_is_an_error():
    a = tf.constant(1.0, name="a")
    b = tf.identity(a, name="b")
    c = tf.identity(b, name="c")
    b.op._add_control_input(c.op)
    with pytest.raises(tf.errors.InvalidArgumentError, match="contains a cycle"):
        topological_order({a.op, b.op, c.op})
