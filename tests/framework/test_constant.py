"""Const, Placeholder(WithDefault), Identity, NoOp, StopGradient, group, tuple and
convert_to_tensor with TF1's dtype rules and messages."""

import re

import numpy as np
import pytest

import flowexec as tf
from tests.framework import fakes


def value_of(t):
    return t.op.get_attr("value")


# ----- dtype inference -----------------------------------------------------------------------
@pytest.mark.parametrize("value, dtype, shape", [
    (2, tf.int32, []),
    (2 ** 31, tf.int64, []),
    ([1, 2 ** 40], tf.int64, [2]),
    (-(2 ** 31), tf.int32, []),
    (2.5, tf.float32, []),
    ([1, 2.5], tf.float32, [2]),
    (True, tf.bool, []),
    ([[True], [False]], tf.bool, [2, 1]),
    (1 + 2j, tf.complex128, []),
    ("abc", tf.string, []),
    ([b"a", "b"], tf.string, [2]),
    ([[1, 2], [3, 4]], tf.int32, [2, 2]),
    (((1,), (2,)), tf.int32, [2, 1]),
    ([], tf.float32, [0]),
    ([[], []], tf.float32, [2, 0]),
    (np.float64(1.5), tf.float64, []),
    (np.array([1, 2], dtype=np.int64), tf.int64, [2]),
    (np.array([1.0], dtype=np.float16), tf.float16, [1]),
    (np.zeros((2, 3), dtype=np.uint8), tf.uint8, [2, 3]),
    (np.array(["x", "yz"]), tf.string, [2]),
])
def test_dtype_and_shape_inference(value, dtype, shape):
    t = tf.constant(value)
    assert t.dtype is dtype and t.shape.as_list() == shape
    assert value_of(t).dtype == (object if dtype is tf.string else dtype.as_numpy_dtype)


def test_strings_are_stored_as_bytes():
    assert value_of(tf.constant("héllo")).item() == "héllo".encode()
    assert list(value_of(tf.constant([["a", b"b"]])).ravel()) == [b"a", b"b"]


def test_explicit_dtypes_convert_compatible_values():
    assert value_of(tf.constant(1, dtype=tf.float32)).dtype == np.float32
    assert value_of(tf.constant([1, True], dtype=tf.int8)).tolist() == [1, 1]
    assert value_of(tf.constant(True, dtype=tf.float64)).item() == 1.0
    assert value_of(tf.constant(np.array([1.7]), dtype=tf.int32)).tolist() == [1]  # numpy casts
    assert tf.constant(3, dtype="int64").dtype is tf.int64
    assert tf.constant([1, 2], dtype=np.uint16).dtype is tf.uint16


@pytest.mark.parametrize("value, dtype, message", [
    (2.5, tf.int32, "Expected int32, got 2.5 of type 'float' instead."),
    (2.0, tf.int64, "Expected int64, got 2.0 of type 'float' instead."),
    ([1, 2.5], tf.int32, "Expected int32, got 2.5 of type 'float' instead."),
    (1, tf.bool, "Expected bool, got 1 of type 'int' instead."),
    (1 + 2j, tf.float32, "Expected float32, got (1+2j) of type 'complex' instead."),
    ("a", tf.int32, "Expected int32, got 'a' of type 'str' instead."),
    (1, tf.string, "Expected string, got 1 of type 'int' instead."),
    ([np.float32(1.5)], tf.int32, ("Expected int32, got np.float32(1.5) of type 'float32' "
                                  "instead.")),
])
def test_lossy_conversions_are_type_errors(value, dtype, message):
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        tf.constant(value, dtype=dtype)


def test_tensors_inside_lists_are_refused():
    t = tf.constant(1.0)
    with pytest.raises(TypeError, match="^List of Tensors when single Tensor expected$"):
        tf.constant([t, t])
    with pytest.raises(TypeError, match="^Expected float32, got <tf.Tensor 'Const:0' shape=() "
                                        "dtype=float32> of type 'Tensor' instead.$".replace(
                                            "(", r"\(").replace(")", r"\)")):
        tf.constant([t], dtype=tf.float32)
    with pytest.raises(NotImplementedError, match="Cannot convert a symbolic Tensor"):
        tf.constant(t)


@pytest.mark.parametrize("value, exc, message", [
    (None, ValueError, "None values not supported."),
    ([[1, 2], [3]], ValueError,
     "Argument must be a dense tensor: [[1, 2], [3]] - got shape [2], but wanted [2, 2]."),
    ([1, [2]], TypeError, ("Failed to convert object of type <class 'list'> to Tensor. "
                          "Contents: [1, [2]]. Consider casting elements to a supported type.")),
    (tf.Dimension(3), TypeError, ("Failed to convert object of type <class "
                                 "'flowexec.framework.tensor_shape.Dimension'> to Tensor. "
                                 "Contents: 3. Consider casting elements to a supported type.")),
    ({"a": 1}, TypeError, ("Failed to convert object of type <class 'dict'> to Tensor. "
                          "Contents: {'a': 1}. Consider casting elements to a supported type.")),
    ([1, None], TypeError, ("Failed to convert object of type <class 'list'> to Tensor. "
                           "Contents: [1, None]. Consider casting elements to a supported "
                           "type.")),
])
def test_unconvertible_values(value, exc, message):
    with pytest.raises(exc) as info:
        tf.constant(value)
    assert str(info.value) == message


def test_ragged_list_check_reports_the_regular_prefix_and_the_wanted_shape():
    with pytest.raises(ValueError, match=re.escape("got shape [2, 2], but wanted [2, 2, 1].")):
        tf.constant([[[1], [2]], [3, 4]])


# ----- shape argument ------------------------------------------------------------------------
def test_scalar_broadcasts_and_fewer_values_repeat_the_last():
    assert value_of(tf.constant(7, shape=[2, 3])).tolist() == [[7] * 3] * 2
    assert value_of(tf.constant([1, 2], shape=[2, 2])).tolist() == [[1, 2], [2, 2]]
    assert value_of(tf.constant([], shape=[2])).tolist() == [0.0, 0.0]
    assert value_of(tf.constant(np.arange(6), shape=(3, 2))).tolist() == [[0, 1], [2, 3],
                                                                          [4, 5]]
    assert value_of(tf.constant(["a"], shape=[2])).tolist() == [b"a", b"a"]
    assert tf.constant(5, shape=[0]).dtype is tf.float32  # TF1 builds empty float arrays
    assert tf.constant([5], shape=[]).shape.as_list() == []
    assert tf.constant(1.0, shape=tf.TensorShape([2])).shape.as_list() == [2]


def test_shape_errors():
    with pytest.raises(ValueError, match=r"^Too many elements provided. Needed at most 2, but "
                                         r"received 3$"):
        tf.constant([1, 2, 3], shape=[2])
    with pytest.raises(TypeError, match=r"^Expected Tensor's shape: \(3, 1\), got \(3,\).$"):
        tf.constant([1, 2, 3], shape=[3, 1], verify_shape=True)
    with pytest.raises(TypeError, match=r"^Expected Tensor's shape: \(2,\), got \(\).$"):
        tf.constant(1, shape=[2], verify_shape=True)
    assert tf.constant([1, 2], shape=[2], verify_shape=True).shape.as_list() == [2]


def test_values_are_read_only_copies():
    src = np.array([1.0, 2.0])
    t = tf.constant(src)
    src[0] = 9.0
    assert value_of(t).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="read-only"):
        value_of(t)[0] = 5.0


def test_constant_names():
    assert tf.constant(1).op.name == "Const" and tf.constant(1).op.name == "Const_1"
    assert tf.constant(1, name="k").op.name == "k"
    assert tf.constant(1, name=None).op.name == "Const_2"
    with pytest.raises(ValueError, match="^'a b' is not a valid node name$"):
        tf.constant(1, name="a b")
    with pytest.raises(ValueError, match="^'_x' is not a valid node name$"):
        tf.constant(1, name="_x")
    with tf.name_scope("s"):
        assert tf.constant(1, name="_x").op.name == "s/_x"
        with pytest.raises(ValueError, match="^'s/a b' is not a valid node name$"):
            tf.constant(1, name="a b")


def test_constant_values_run():
    with tf.Session() as sess:
        assert sess.run(tf.constant([[1, 2], [3, 4]])).tolist() == [[1, 2], [3, 4]]
        assert sess.run(tf.constant("s")) == b"s"
        assert sess.run(tf.constant(2.5, shape=[2])).dtype == np.float32


# ----- convert_to_tensor ---------------------------------------------------------------------
def test_convert_to_tensor_values_and_tensors():
    c = tf.constant(1.0)
    assert tf.convert_to_tensor(c) is c and tf.convert_to_tensor(c, dtype=tf.float32) is c
    assert tf.convert_to_tensor([1, 2]).dtype is tf.int32
    assert tf.convert_to_tensor(1, dtype=tf.float64).dtype is tf.float64
    assert tf.convert_to_tensor(np.float16(1)).dtype is tf.float16
    assert tf.convert_to_tensor(1, name="one").op.name == "one"


def test_convert_to_tensor_wrong_dtype_for_a_tensor():
    c = tf.constant(1.0, name="c")
    message = ("Tensor conversion requested dtype int32 for Tensor with dtype float32: "
               "'Tensor(\"c:0\", shape=(), dtype=float32)'")
    with pytest.raises(ValueError) as info:
        tf.convert_to_tensor(c, dtype=tf.int32)
    assert str(info.value) == message
    with pytest.raises(TypeError, match="Expected int32, got 2.5 of type 'float' instead."):
        tf.convert_to_tensor(2.5, dtype=tf.int32)


def test_convert_to_tensor_preferred_dtype():
    assert tf.convert_to_tensor(1, preferred_dtype=tf.int64).dtype is tf.int64
    assert tf.convert_to_tensor(1, dtype_hint=tf.float32).dtype is tf.float32
    # A value that does not fit the preferred type converts without it.
    assert tf.convert_to_tensor(2.5, preferred_dtype=tf.int32).dtype is tf.float32
    assert tf.convert_to_tensor(tf.constant(1), preferred_dtype=tf.float32).dtype is tf.int32


def test_registered_conversions_priority_and_not_implemented():
    class Box:
        def __init__(self, v):
            self.v = v

    class Special(Box):
        pass

    def general(value, dtype=None, name=None, as_ref=False):
        return tf.constant(value.v, dtype=dtype, name=name)

    def special(value, dtype=None, name=None, as_ref=False):
        return NotImplemented if value.v == 0 else tf.constant(-value.v, dtype=dtype)

    tf.register_tensor_conversion_function(Box, general)
    tf.register_tensor_conversion_function(Special, special, priority=1)
    assert value_of(tf.convert_to_tensor(Box(3))).item() == 3
    assert value_of(tf.convert_to_tensor(Special(3))).item() == -3
    assert value_of(tf.convert_to_tensor(Special(0))).item() == 0  # passed to the next
    with pytest.raises(TypeError, match="base_type must be a type or a tuple of types."):
        tf.register_tensor_conversion_function("Box", general)
    with pytest.raises(TypeError, match="conversion_func must be callable."):
        tf.register_tensor_conversion_function(Box, 3)


def test_conversion_function_returning_the_wrong_dtype_is_a_runtime_error():
    class Odd:
        pass

    tf.register_tensor_conversion_function(Odd, lambda v, dtype=None, name=None,
                                           as_ref=False: tf.constant(1.0))
    with pytest.raises(RuntimeError, match="returned incompatible dtype: requested = int32, "
                                           "actual = float32"):
        tf.convert_to_tensor(Odd(), dtype=tf.int32)


def test_shapes_and_dimensions_convert_to_int_tensors():
    s = tf.convert_to_tensor(tf.TensorShape([2, 3]))
    assert (s.op.name, s.dtype, value_of(s).tolist()) == ("shape_as_tensor", tf.int32, [2, 3])
    assert tf.convert_to_tensor(tf.TensorShape([2 ** 31])).dtype is tf.int64
    assert tf.convert_to_tensor(tf.TensorShape([2]), dtype=tf.int64).dtype is tf.int64
    d = tf.convert_to_tensor(tf.Dimension(4), name="d")
    assert (d.op.name, d.dtype, value_of(d).item()) == ("d", tf.int32, 4)
    with pytest.raises(ValueError, match=re.escape(
            "Cannot convert a partially known TensorShape to a Tensor: (?, 2)")):
        tf.convert_to_tensor(tf.TensorShape([None, 2]))
    with pytest.raises(TypeError, match="Cannot convert a TensorShape to dtype: <dtype: "
                                        "'float32'>"):
        tf.convert_to_tensor(tf.TensorShape([2]), dtype=tf.float32)
    with pytest.raises(ValueError, match=re.escape("Cannot convert a TensorShape to dtype "
                                                   "int32; a dimension is too large (4294967296)")):
        tf.convert_to_tensor(tf.TensorShape([2 ** 32]), dtype=tf.int32)
    with pytest.raises(ValueError, match="Cannot convert an unknown Dimension to a Tensor: ?"):
        tf.convert_to_tensor(tf.Dimension(None))


# ----- placeholders --------------------------------------------------------------------------
def test_placeholder_structure():
    x = tf.placeholder(tf.float32, shape=[None, 3])
    y = tf.placeholder("int32", name="y")
    z = tf.placeholder(np.float64, shape=())
    assert (x.op.type, x.op.name, x.shape.as_list()) == ("Placeholder", "Placeholder",
                                                         [None, 3])
    assert y.op.name == "y" and y.shape.ndims is None and y.dtype is tf.int32
    assert z.dtype is tf.float64 and z.shape.as_list() == []
    assert x.op.inputs == () and x.op.get_attr("shape") == tf.TensorShape([None, 3])


def test_placeholder_bad_shape_messages():
    with pytest.raises(ValueError, match=r"^Error converting shape to a TensorShape: "
                                         r"Dimension -1 must be >= 0.$"):
        tf.placeholder(tf.float32, shape=[-1, 3])
    with pytest.raises(TypeError, match="Cannot convert value <class 'int'> to a TensorFlow "
                                        "DType."):
        tf.placeholder(int)


def test_placeholder_feeds():
    x = tf.placeholder(tf.float32, [None])
    with tf.Session() as sess:
        assert sess.run(tf.identity(x), {x: [1, 2]}).tolist() == [1.0, 2.0]


def test_placeholder_with_default():
    p = tf.placeholder_with_default([1.0, 2.0], shape=[None])
    assert p.op.type == "PlaceholderWithDefault" and p.shape.as_list() == [None]
    assert str(p) == 'Tensor("PlaceholderWithDefault:0", shape=(?,), dtype=float32)'
    assert p.op.inputs[0].op.type == "Const"
    with tf.Session() as sess:
        assert sess.run(p).tolist() == [1.0, 2.0]
        assert sess.run(p, {p: [5.0]}).tolist() == [5.0]


@pytest.mark.parametrize("shape, message", [
    ([3], ("Dimension 0 in both shapes must be equal, but are 2 and 3. Shapes are [2] and [3]. "
          "for 'PlaceholderWithDefault' (op: 'PlaceholderWithDefault') with input shapes: [2].")),
    ([2, 1], ("Shapes must be equal rank, but are 1 and 2 for 'PlaceholderWithDefault' (op: "
             "'PlaceholderWithDefault') with input shapes: [2].")),
])
def test_placeholder_with_default_incompatible_shape(shape, message):
    with pytest.raises(ValueError) as info:
        tf.placeholder_with_default([1.0, 2.0], shape=shape)
    assert str(info.value) == message


# ----- identity, no_op, stop_gradient --------------------------------------------------------
def test_identity_no_op_stop_gradient_structure():
    c = tf.constant([1, 2], name="c")
    i = tf.identity(c)
    s = tf.stop_gradient(c, name="sg")
    n = tf.no_op()
    assert (i.op.type, i.op.name, i.op.inputs) == ("Identity", "Identity", (c,))
    assert i.shape == c.shape and i.dtype is c.dtype
    assert (s.op.type, s.op.name) == ("StopGradient", "sg")
    assert (n.type, n.name, n.outputs) == ("NoOp", "NoOp", [])
    assert tf.identity(3.0).op.inputs[0].op.type == "Const"
    with tf.Session() as sess:
        assert [v.tolist() for v in sess.run([i, s])] == [[1, 2], [1, 2]]
        assert sess.run(n) is None


# ----- group ---------------------------------------------------------------------------------
def test_group_of_ops_and_tensors():
    a, b = tf.constant(1, name="a"), tf.constant(2, name="b")
    n = tf.no_op(name="n")
    g = tf.group(a, [b, n], {"k": a})
    assert (g.type, g.name) == ("NoOp", "group_deps")
    assert g.control_inputs == [a.op, b.op, n] and g.inputs == ()
    assert tf.group(a, name="train").name == "train"
    assert tf.group().name == "group_deps_1" and tf.group().control_inputs == []
    with tf.Session() as sess:
        assert sess.run(g) is None


def test_group_errors():
    with pytest.raises(TypeError, match="Expected tf.group\\(\\) expected Tensor arguments not "
                                        "'None' with type '<class 'NoneType'>'"):
        tf.group(None)
    with pytest.raises(ValueError, match="^Unknown keyword arguments: bogus$"):
        tf.group(tf.no_op(), bogus=1)


def test_group_across_devices_builds_one_noop_per_device():
    with tf.device("/cpu:0"):
        a = tf.constant(1, name="a")
    with tf.device("/cpu:1"):
        b = tf.constant(1, name="b")
    c = tf.constant(1, name="c")
    g = tf.group(a, b, c, name="all")
    per_device = g.control_inputs
    assert g.name == "all" and g.device == ""
    assert [(op.name, op.device, op.control_inputs) for op in per_device] == [
        ("all/NoOp", "", [c.op]),
        ("all/NoOp_1", "/device:CPU:0", [a.op]),
        ("all/NoOp_2", "/device:CPU:1", [b.op])]


def test_group_of_one_device_runs_there():
    with tf.device("/cpu:0"):
        a = tf.constant(1)
    assert tf.group(a).device == "/device:CPU:0"


def test_group_uses_the_graph_of_its_inputs():
    graph = tf.Graph()
    with graph.as_default():
        a = tf.constant(1)
    g = tf.group(a)
    assert g.graph is graph and tf.get_default_graph().get_operations() == []


# ----- tuple ---------------------------------------------------------------------------------
def test_tuple_structure():
    a, b = tf.constant(1, name="a"), tf.constant(2.0, name="b")
    n = tf.no_op(name="n")
    extra = tf.no_op(name="extra")
    out = tf.tuple([a, None, b, n], control_inputs=[extra])
    ta, none, tb, tn = out
    assert none is None
    gate = ta.op.control_inputs[0]
    assert (gate.name, gate.type) == ("tuple/group_deps", "NoOp")
    assert gate.control_inputs == [a.op, b.op, n, extra]
    assert (ta.op.name, ta.op.type, ta.op.inputs) == ("tuple/control_dependency", "Identity",
                                                      (a,))
    assert tb.op.name == "tuple/control_dependency_1" and tb.dtype is tf.float32
    assert ta.op.colocation_groups == ["loc:@a"] and tb.op.colocation_groups == ["loc:@b"]
    assert (tn.type, tn.name, tn.control_inputs) == ("NoOp", "tuple/group_deps_1", [gate, n])
    with tf.Session() as sess:
        assert sess.run([ta, tb]) == [1, 2.0]


def test_tuple_errors():
    with pytest.raises(ValueError, match="Must have at least one Tensor"):
        tf.tuple([None])
    with pytest.raises(TypeError, match="Control input must be Operation or Tensor: 3"):
        tf.tuple([tf.constant(1)], control_inputs=[3])


def test_tuple_converts_values_and_takes_a_name():
    (t,) = tf.tuple([[1, 2]], name="tup")
    assert t.op.name == "tup/control_dependency" and t.shape.as_list() == [2]


def test_operations_from_other_modules_use_the_same_rules():
    s = fakes.binary(1, 2)
    assert s.op.inputs[0].dtype is tf.int32
