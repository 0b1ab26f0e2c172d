"""`tf.debugging.enable_check_numerics` / `disable_check_numerics` in graph mode: the checks
TF's callback inserts (names, which ops and outputs, placeholders), its error message, and
that nothing is checked after disabling (as observed with TensorFlow 2.21's tf.compat.v1)."""

import threading

import numpy as np
import pytest

import flowexec as tf


@pytest.fixture(autouse=True)
def _disable_after():
    yield
    tf.debugging.disable_check_numerics()


def test_float_outputs_pass_through_a_check_naming_the_op():
    tf.debugging.enable_check_numerics()
    x = tf.placeholder(tf.float32, [None], name="x")
    y = tf.log(x, name="mylog")
    z = y * 2.0
    i = tf.constant([1, 2]) + 1
    types = {op.name: op.type for op in tf.get_default_graph().get_operations()}
    assert types["x/CheckNumericsV2"] == types["mylog/CheckNumericsV2"] == "CheckNumericsV2"
    assert z.op.type == "CheckNumericsV2" and z.op.inputs[0].op.type == "Mul"
    assert y.op.name == "mylog/CheckNumericsV2"
    assert i.op.type == "Add"  # integers are not checked
    # The placeholder is fed as is; its check runs before its first reader.
    assert tf.get_default_graph().get_operation_by_name("mylog").control_inputs == [
        tf.get_default_graph().get_operation_by_name("x/CheckNumericsV2")]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(z, {x: [1.0, np.e]}), 2 * np.log([1.0, np.e]))
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(z, {x: [0.0]})
    message = info.value.message
    assert message.startswith(
        '\n\n!!! Detected Infinity or NaN in output 0 of graph op "Log" (# of outputs: 1) !!!\n'
        "  dtype: <dtype: 'float32'>\n  shape: (?,)\n\n"
        '  Input tensor: Tensor("x:0", shape=(?,), dtype=float32)\n\n'
        '  Stack trace of op\'s creation ("->": inferred user code):\n')
    assert "test_numerics_callback.py" in message
    assert ' -> |   y = tf.log(x, name="mylog")' in message
    assert " : Tensor had -Inf values\n\t [[node" in message
    assert info.value.op.name == "mylog/CheckNumericsV2"


def test_a_nan_fed_to_a_placeholder_is_caught_at_its_reader():
    tf.debugging.enable_check_numerics()
    x = tf.placeholder(tf.float64, name="x")
    y = tf.abs(x)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(y, {x: np.nan})
    assert 'graph op "Placeholder"' in info.value.message
    assert "Tensor had NaN values\n\t [[node" in info.value.message


def test_several_inputs_are_listed_by_their_unchecked_names():
    tf.debugging.enable_check_numerics()
    a = tf.constant([1.0], name="a")
    b = tf.constant([0.0], name="b")
    q = tf.div(a, b, name="q")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(q)
    assert ("  Input tensors (2):\n"
            '         0: Tensor("a:0", shape=(1,), dtype=float32)\n'
            '         1: Tensor("b:0", shape=(1,), dtype=float32)\n') in info.value.message
    assert "Tensor had +Inf values\n\t [[node" in info.value.message


def test_safe_and_control_flow_ops_are_not_checked():
    tf.debugging.enable_check_numerics()
    x = tf.placeholder(tf.float32, [2, 2])
    r = tf.reshape(x, [4])
    t = tf.transpose(x)
    ident = tf.identity(x)
    assert r.op.type == "Reshape" and t.op.type == "Transpose" and ident.op.type == "Identity"


def test_disable_stops_checking_new_ops_and_is_idempotent():
    tf.debugging.enable_check_numerics()
    x = tf.placeholder(tf.float32)
    checked = tf.log(x)
    tf.debugging.disable_check_numerics()
    tf.debugging.disable_check_numerics()
    plain = tf.log(x)
    assert checked.op.type == "CheckNumericsV2" and plain.op.type == "Log"
    with tf.Session() as sess:
        assert np.isneginf(sess.run(plain, {x: 0.0}))


def test_enabling_is_per_thread():
    tf.debugging.enable_check_numerics()
    graph = tf.get_default_graph()
    seen = []

    def build():
        with graph.as_default():
            seen.append(tf.log(tf.constant(1.0)).op.type)

    worker = threading.Thread(target=build)
    worker.start()
    worker.join()
    assert seen == ["Log"]


def test_stack_height_limit_omits_outer_frames():
    tf.debugging.enable_check_numerics(stack_height_limit=1)
    y = tf.log(tf.constant(0.0))
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(y)
    assert "    + ... (Omitted " in info.value.message
    assert info.value.message.count("    + ") == 2


def test_variables_train_and_control_flow_builds_while_enabled():
    tf.debugging.enable_check_numerics()
    v = tf.Variable([1.0, 2.0], name="v")
    x = tf.placeholder(tf.float32, [2])
    train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(tf.log(v * x)))
    _, total = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2.0),
                             [0, tf.constant(1.0)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: [1.0, 1.0]})
        np.testing.assert_allclose(sess.run(v), [0.9, 1.95], rtol=1e-6)
        assert sess.run(total) == 8.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="!!! Detected Infinity or NaN"):
            sess.run(train, {x: [0.0, 1.0]})
