"""gradients(): fan-out sums, unconnected inputs, stop_gradient, integer paths, overrides,
missing gradients, grad_ys and the name scope of gradient ops."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.runtime.prune import upstream


def _run(*ts, feed=None):
    with tf.Session() as sess:
        return sess.run(list(ts), feed)


def test_fan_out_is_summed():
    x = tf.placeholder(tf.float64, [])
    y = x * x + 3.0 * x
    (g,) = tf.gradients(y, x)
    assert _run(g, feed={x: 2.0}) == [7.0]


def test_unconnected_gives_none_and_multiple_ys_add():
    x = tf.placeholder(tf.float64, [])
    z = tf.placeholder(tf.float64, [])
    gx, gz = tf.gradients([x * 2.0, x * 3.0], [x, z])
    assert gz is None
    assert _run(gx, feed={x: 1.0}) == [5.0]


def test_grad_ys_scales_the_seed():
    x = tf.placeholder(tf.float64, [2])
    (g,) = tf.gradients(x * x, x, grad_ys=tf.constant([1.0, 10.0], tf.float64))
    np.testing.assert_array_equal(_run(g, feed={x: [1.0, 2.0]})[0], [2.0, 40.0])
    with pytest.raises(ValueError, match="Passed 2 grad_ys for 1 ys"):
        tf.gradients(x, x, grad_ys=[1.0, 2.0])


def test_stop_gradient_and_stop_gradients_argument():
    x = tf.placeholder(tf.float64, [])
    a = x * 2.0
    y = a * x
    (g1,) = tf.gradients(tf.stop_gradient(a) * x, x)
    (g2,) = tf.gradients(y, x, stop_gradients=[a])
    assert _run(g1, g2, feed={x: 3.0}) == [6.0, 6.0]


def test_no_gradient_through_integer_tensors():
    x = tf.placeholder(tf.float32, [])
    y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    (g,) = tf.gradients(y, x)
    assert _run(g, feed={x: 2.5}) == [2.0]


def test_gradient_ops_live_under_gradients_scope():
    x = tf.placeholder(tf.float64, [])
    (g,) = tf.gradients(tf.square(x), x)
    assert g.op.name.startswith("gradients/")
    (g2,) = tf.gradients(tf.square(x), x)
    assert g2.op.name.startswith("gradients_1/")


def test_missing_gradient_is_a_lookup_error():
    from flowexec.framework.registry import apply_op, defop
    from flowexec.ops import shape_fns

    @defop("TestNoGradDecision", infer=shape_fns.unchanged)
    def _k(xp, x):
        return x

    x = tf.placeholder(tf.float64, [])
    y = apply_op("TestNoGradDecision", x, name="nograd")
    with pytest.raises(LookupError, match="No gradient defined for operation 'nograd'"):
        tf.gradients(y, x)


def test_gradient_override_map_uses_registered_gradient():
    @tf.RegisterGradient("TestDoubleGrad")
    def _double(op, dy):
        return [dy * 2.0]

    x = tf.placeholder(tf.float64, [])
    g = tf.get_default_graph()
    with g.gradient_override_map({"Identity": "TestDoubleGrad"}):
        y = tf.identity(x)
    z = tf.identity(x)
    (gy,) = tf.gradients(y, x)   # override recorded on the op, applied after the block
    (gz,) = tf.gradients(z, x)
    assert _run(gy, gz, feed={x: 1.0}) == [2.0, 1.0]
    with pytest.raises(KeyError, match="Registering two gradient"):
        tf.RegisterGradient("TestDoubleGrad")(_double)


def test_gradient_of_variable_trains():
    w = tf.Variable(3.0, dtype=tf.float64)
    loss = tf.square(w - 1.0)
    (g,) = tf.gradients(loss, w)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(g) == 4.0


def _ancestors(op):
    return upstream([op]) - {op}


@pytest.mark.parametrize("gate", ["GATE_OP", "GATE_NONE"])
def test_gate_gradients_orders_reads_of_a_variable_before_its_update(gate):
    # Variables are read live: without gating, w2's update could run before the backward
    # MatMul that reads w2 to get the gradient of h (a race on a multi-threaded executor).
    x = tf.placeholder(tf.float32, [4, 3])
    w1 = tf.Variable(tf.ones([3, 5]), name="w1")
    w2 = tf.Variable(tf.ones([5, 2]), name="w2")
    h = tf.nn.relu(tf.matmul(x, w1))
    loss = tf.reduce_sum(tf.matmul(h, w2))
    optimizer = tf.train.GradientDescentOptimizer(0.1)
    optimizer.minimize(loss, gate_gradients=getattr(tf.train.Optimizer, gate))
    ops = tf.get_default_graph().get_operations()
    apply_w2 = next(op for op in ops if op.type == "ApplyGradientDescent" and
                    op.inputs[0].op.name == "w2")
    (read_w2,) = [op for op in ops if op.type == "MatMul" and op.name.startswith("gradients")
                  and any(t.op.name == "w2/read" for t in op.inputs)]
    assert (read_w2 in _ancestors(apply_w2)) == (gate == "GATE_OP")
