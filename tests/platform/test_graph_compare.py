"""tf.test.assert_equal_graph_def: equal up to node order, and TF's message for the first
difference (recorded from TF 2.21 by scripts/make_tf_graph_compare_fixtures.py; TF 2.21's
tf.add is AddV2 where flowexec's is TF 1.x's Add)."""

import pytest

import flowexec as tf


def _gd(build):
    g = tf.Graph()
    with g.as_default():
        build()
    return g.as_graph_def()


def _graph(op=None, swap=False, c_value=2.0, a_value=1.0, control=False, extra=False,
           device=None, c_first=False):
    """a, c constants and b = add(a, c), changed in one way (the cases TF was recorded on)."""
    def build():
        if c_first:
            c = tf.constant(c_value, name="c")
            a = tf.constant(a_value, name="a")
        else:
            a = tf.constant(a_value, name="a")
            c = tf.constant(c_value, name="c")
        with tf.device(device), tf.control_dependencies([c] if control else []):
            x, y = (a, a) if control else ((c, a) if swap else (a, c))
            (op or tf.add)(x, y, name="b")
        if extra:
            tf.identity(a, name="extra")
    return build


_base = _graph()
_reordered = _graph(c_first=True)
_other_op = _graph(op=tf.multiply)
_swapped = _graph(swap=True)
_other_value = _graph(c_value=3.0)
_control = _graph(control=True)
_extra = _graph(extra=True)
_device = _graph(device="/cpu:0")
_vector = _graph(a_value=[1.0, 2.0, 3.0, 4.0])


def test_node_order_does_not_matter():
    tf.test.assert_equal_graph_def(_gd(_base), _gd(_reordered))
    tf.test.assert_equal_graph_def(_gd(_reordered), _gd(_base))


@pytest.mark.parametrize("first, second, message", [
    (_base, _other_op, "Node named 'b' has op 'Add' that is not expected 'Mul'"),
    (_base, _swapped, "Node named 'b' has input 0 'a' that doesn't match expected 'c'"),
    (_base, _other_value, "Node named 'c' has attr 'value' with value: Tensor<type: float "
                          "shape: [] values: 2> that does not match expected: Tensor<type: "
                          "float shape: [] values: 3>"),
    (_base, _control, "Node named 'b' has inputs 'a, c' that don't match expected 'a, a, ^c'"),
    (_control, _base, "Node named 'b' has inputs 'a, a, ^c' that don't match expected 'a, c'"),
    (_base, _extra, "Did not find expected node '{{node extra}} = Identity[T=DT_FLOAT](a)'"),
    (_extra, _base, "Found unexpected node '{{node extra}} = Identity[T=DT_FLOAT](a)'"),
    (_base, _device, "Node named 'b' has device '' that is not expected '/device:CPU:0'"),
    (_base, _vector, "Node named 'a' has attr 'value' with value: Tensor<type: float shape: "
                     "[] values: 1> that does not match expected: Tensor<type: float shape: "
                     "[4] values: 1 2 3...>"),
])
def test_the_first_difference_in_tfs_words(first, second, message):
    with pytest.raises(AssertionError) as info:
        tf.test.assert_equal_graph_def(_gd(first), _gd(second))
    assert str(info.value) == message


def test_arguments_must_be_graph_defs():
    with pytest.raises(TypeError, match="^Expected tf.GraphDef for actual, got int$"):
        tf.test.assert_equal_graph_def(1, _gd(_base))
    with pytest.raises(TypeError, match="^Expected tf.GraphDef for expected, got str$"):
        tf.test.assert_equal_graph_def(_gd(_base), "x")


def test_hash_table_shared_names_can_be_ignored():
    first, second = _gd(_base), _gd(_base)
    for gd, name in ((first, b"hash_table_1a2b"), (second, b"hash_table_9f9f")):
        node = gd.node.add(name="t", op="HashTableV2")
        node.attr["shared_name"].s = name
    with pytest.raises(AssertionError, match="has attr 'shared_name'"):
        tf.test.assert_equal_graph_def(first, second)
    tf.test.assert_equal_graph_def(first, second, hash_table_shared_name=True)
