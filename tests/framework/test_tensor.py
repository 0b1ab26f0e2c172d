"""Tensor: names, printing, static shapes, consumers and the Python protocols TF1 forbids."""

import numpy as np
import pytest

import flowexec as tf
from tests.framework import fakes


def test_names_and_properties():
    c = tf.constant(2.0, name="c")
    a, b = fakes.split2(c, name="two")
    assert c.name == "c:0" and b.name == "two:1" and b.value_index == 1
    assert c.op.name == "c" and c.dtype is tf.float32 and c.graph is tf.get_default_graph()
    assert b.op is a.op and c.device == "" and c.shape is c.get_shape()
    assert c._as_node_def_input() == "c" and b._as_node_def_input() == "two:1"


@pytest.mark.parametrize("make, text, rep", [
    (lambda: tf.constant(2), 'Tensor("Const:0", shape=(), dtype=int32)',
     "<tf.Tensor 'Const:0' shape=() dtype=int32>"),
    (lambda: tf.constant([1.0, 2.0]), 'Tensor("Const:0", shape=(2,), dtype=float32)',
     "<tf.Tensor 'Const:0' shape=(2,) dtype=float32>"),
    (lambda: tf.placeholder(tf.float32, [None, 3]),
     'Tensor("Placeholder:0", shape=(?, 3), dtype=float32)',
     "<tf.Tensor 'Placeholder:0' shape=(?, 3) dtype=float32>"),
    (lambda: tf.placeholder(tf.int64), 'Tensor("Placeholder:0", dtype=int64)',
     "<tf.Tensor 'Placeholder:0' shape=<unknown> dtype=int64>"),
])
def test_str_and_repr_are_tf1s(make, text, rep):
    t = make()
    assert str(t) == text and repr(t) == rep


def test_str_shows_the_device_when_one_is_set():
    with tf.device("/cpu:0"):
        c = tf.constant(1.0, name="c")
    assert str(c) == 'Tensor("c:0", shape=(), dtype=float32, device=/device:CPU:0)'
    assert repr(c) == "<tf.Tensor 'c:0' shape=() dtype=float32>"


def test_seed_notebook_prints():
    a = tf.constant(2)
    b = tf.constant(2)
    c = fakes.binary(a, b, name="add")
    assert [str(t) for t in (a, b, c)] == [
        'Tensor("Const:0", shape=(), dtype=int32)',
        'Tensor("Const_1:0", shape=(), dtype=int32)',
        'Tensor("add:0", shape=(), dtype=int32)']


def test_set_shape_merges():
    x = tf.placeholder(tf.float32)
    x.set_shape([None, 3])
    assert x.shape.as_list() == [None, 3]
    x.set_shape([2, None])
    assert x.shape.as_list() == [2, 3]
    x.set_shape(tf.TensorShape(None))
    assert x.shape.as_list() == [2, 3]


@pytest.mark.parametrize("new, message", [
    ([2, 4], ("Dimension 1 in both shapes must be equal, but are 3 and 4. Shapes are [2,3] "
              "and [2,4].")),
    ([2], "Shapes must be equal rank, but are 2 and 1"),
])
def test_set_shape_incompatible_errors(new, message):
    x = tf.placeholder(tf.float32, [2, 3])
    with pytest.raises(ValueError) as info:
        x.set_shape(new)
    assert str(info.value) == message
    assert x.shape.as_list() == [2, 3]


def test_consumers_in_creation_order_once_per_edge():
    c = tf.constant(1.0, name="c")
    assert c.consumers() == []
    s1 = fakes.binary(c, c, name="s1")
    s2 = fakes.binary(c, 2.0, name="s2")
    assert c.consumers() == [s1.op, s1.op, s2.op]
    assert s1.consumers() == []
    lst = c.consumers()
    lst.clear()
    assert len(c.consumers()) == 3


def test_not_iterable():
    c = tf.constant([1, 2])
    with pytest.raises(TypeError, match=r"^Tensor objects are only iterable when eager "
                                        r"execution is enabled. To iterate over this tensor use "
                                        r"tf.map_fn.$"):
        iter(c)
    with pytest.raises(TypeError, match="only iterable when eager"):
        _a, _b = c


def test_no_truth_value():
    c = tf.constant(True)
    with pytest.raises(TypeError, match=r"^Using a `tf.Tensor` as a Python `bool` is not "
                                        r"allowed. Use `if t is not None:` instead of `if t:` "
                                        r"to test if a tensor is defined, and use TensorFlow ops "
                                        r"such as tf.cond to execute subgraphs conditioned on "
                                        r"the value of a tensor.$"):
        bool(c)
    with pytest.raises(TypeError, match="as a Python `bool` is not allowed"):
        if c:
            pass


def test_len_and_numpy_conversion_are_refused():
    c = tf.constant([1, 2], name="c")
    with pytest.raises(TypeError, match=r"^len is not well defined for symbolic Tensors. \(c:0\) "
                                        r"Please call `x.shape` rather than `len\(x\)` for shape "
                                        r"information.$"):
        len(c)
    with pytest.raises(NotImplementedError,
                       match=r"^Cannot convert a symbolic Tensor \(c:0\) to a numpy array.$"):
        np.asarray(c)


def test_hash_and_equality_are_by_identity():
    a = tf.constant(1.0)
    b = tf.constant(1.0)
    assert a == a and a != b and (a == b) is False  # noqa: PLR0124
    assert len({a, b, a}) == 2 and {a: 1}[a] == 1
    assert hash(a) == id(a)


def test_operators_defer_to_numpy_priority():
    assert tf.Tensor.__array_priority__ == 100
    assert tf.is_tensor(tf.constant(1)) and not tf.is_tensor(1)


def test_seed_notebook_with_operators_and_session():
    a = tf.constant(2)  # the lecture's first cell, operators from math_ops
    b = tf.constant(2)
    c = a + b
    assert [str(t) for t in (a, b, c)] == [
        'Tensor("Const:0", shape=(), dtype=int32)',
        'Tensor("Const_1:0", shape=(), dtype=int32)',
        'Tensor("add:0", shape=(), dtype=int32)']
    with tf.Session() as sess:
        assert sess.run(c) == 4
        assert sess.run([a, b, c]) == [2, 2, 4]


def test_operator_errors_come_from_the_framework_rules():
    x = tf.constant(1, name="x")
    with tf.Graph().as_default():
        y = tf.constant(2, name="y")
    with pytest.raises(ValueError, match=r'^Tensor\("y:0", shape=\(\), dtype=int32\) must be '
                                         r'from the same graph as Tensor\("x:0", shape=\(\), '
                                         r'dtype=int32\).$'):
        x + y
    with pytest.raises(TypeError, match=r"^Expected int32, got 2.5 of type 'float' instead.$"):
        x + 2.5
