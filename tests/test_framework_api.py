"""Framework names: gradient tools (NotDifferentiable, custom_gradient, grad_pass_through,
recompute_grad, hessians, unconnected_gradients), behaviour switches, init_scope, static
values, switch_case, Module, make_template, tf.print / tf.strings.format, version constants
and the tensorboard protos at the top level."""

import sys

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import print_ops


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def _numeric_grad(fn, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += eps
        xm.flat[i] -= eps
        g.flat[i] = (fn(xp) - fn(xm)) / (2 * eps)
    return g


def test_hessians_match_finite_differences():
    with tf.Graph().as_default():
        x0 = np.array([0.3, -1.2, 2.0])
        x = tf.placeholder(tf.float64, [3])
        y = tf.reduce_sum(tf.sin(x) * x[0] + x ** 3)
        (h,) = tf.hessians(y, x)
        (g,) = tf.gradients(y, x)
        with tf.Session() as sess:
            got = sess.run(h, {x: x0})
            num = np.stack([_numeric_grad(lambda v: sess.run(g, {x: v})[i], x0)
                            for i in range(3)])
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got, num, atol=1e-5)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="fully defined"):
        p = tf.placeholder(tf.float32, [None])
        tf.hessians(tf.reduce_sum(p * p), p)


def test_custom_gradient_replaces_the_gradient_and_handles_variables():
    with tf.Graph().as_default():
        @tf.custom_gradient
        def clip_grad(x):
            def grad(dy):
                return tf.clip_by_value(dy, -0.5, 0.5)
            return tf.identity(x * 3.0), grad

        x = tf.constant([1.0, 2.0])
        (g,) = tf.gradients(clip_grad(x), x, grad_ys=tf.constant([2.0, -0.1]))
        w = tf.Variable(2.0)

        @tf.custom_gradient
        def scaled(x):
            def grad(dy, variables=None):
                return dy * w, [tf.reduce_sum(dy * x) * 10.0]
            return x * w, grad

        gx, gw = tf.gradients(scaled(x), [x, w])

        @tf.custom_gradient
        def bad(x):
            return x * w, lambda dy: dy

        with pytest.raises(TypeError, match="variables"):
            bad(x)
        got = _run([g, gx, gw])
    np.testing.assert_allclose(got[0], [0.5, -0.1])
    np.testing.assert_allclose(got[1], [2.0, 2.0])
    assert got[2] == pytest.approx(30.0)


def test_grad_pass_through_and_recompute_grad():
    with tf.Graph().as_default():
        x = tf.constant([1.2, -0.7])
        y = tf.grad_pass_through(tf.round)(x * 2.0)
        (g,) = tf.gradients(y, x)
        w = tf.Variable(3.0)
        f = tf.recompute_grad(lambda a: tf.sin(a) * w)
        gx, gw = tf.gradients(f(x), [x, w])
        got = _run([y, g, gx, gw])
    np.testing.assert_allclose(got[0], [2.0, -1.0])
    np.testing.assert_allclose(got[1], [2.0, 2.0])
    np.testing.assert_allclose(got[2], 3.0 * np.cos([1.2, -0.7]), rtol=1e-6)
    assert got[3] == pytest.approx(np.sin([1.2, -0.7]).sum(), rel=1e-6)


def test_not_differentiable_and_unconnected_gradients():
    with tf.Graph().as_default():
        tf.NotDifferentiable("FlowexecTestNoGrad")
        with pytest.raises(KeyError, match="Registering two gradient"):
            tf.no_gradient("MatMul")

        @tf.RegisterGradient("FlowexecTestSquareGrad")
        def _unused(op, dy):
            return dy

        x = tf.constant([1.0, 2.0])
        with tf.get_default_graph().gradient_override_map({"Identity": "FlowexecTestNoGrad"}):
            y = tf.identity(x)
        assert tf.gradients(y, x) == [None]
        z = tf.constant(3.0)
        gz = tf.gradients(x * 2.0, [x, z], unconnected_gradients=tf.UnconnectedGradients.ZERO)
        assert tf.gradients(x * 2.0, z, unconnected_gradients="none") == [None]
        with pytest.raises(ValueError, match="unconnected_gradients"):
            tf.gradients(x, x, unconnected_gradients="sometimes")
        got = _run(gz)
    np.testing.assert_array_equal(got[1], 0.0)
    assert tf.AggregationMethod.DEFAULT == tf.AggregationMethod.ADD_N == 0


def test_behaviour_switches_say_what_flowexec_is():
    assert tf.executing_eagerly() is False and tf.executing_eagerly_outside_functions() is False
    tf.disable_eager_execution()
    tf.disable_v2_behavior()
    tf.enable_control_flow_v2()
    tf.disable_resource_variables()
    tf.disable_tensor_equality()
    tf.enable_v2_tensorshape()
    tf.disable_v2_tensorshape()
    assert tf.control_flow_v2_enabled() and not tf.resource_variables_enabled()
    for fn in (tf.enable_eager_execution, tf.enable_v2_behavior, tf.enable_resource_variables,
               tf.enable_tensor_equality, tf.disable_control_flow_v2):
        with pytest.raises(ValueError):
            fn()


def test_init_scope_lifts_out_of_control_dependencies_and_cond_branches():
    with tf.Graph().as_default() as g:
        a = tf.constant(1.0)
        with tf.control_dependencies([a.op]):
            with tf.init_scope():
                b = tf.constant(2.0)
            c = tf.constant(3.0)
        assert b.op.control_inputs == [] and c.op.control_inputs == [a.op]
        lifted = []

        def branch():
            with tf.init_scope():
                lifted.append(tf.constant(5.0, name="lifted"))
            return tf.constant(1.0)

        tf.cond(tf.constant(True), branch, lambda: tf.constant(0.0))
        assert lifted[0].graph is g


def test_static_values_dimensions_and_misc():
    with tf.Graph().as_default():
        np.testing.assert_array_equal(tf.get_static_value(tf.shape(tf.zeros([2, 3]))), [2, 3])
        assert tf.get_static_value(tf.placeholder(tf.float32)) is None
        assert tf.get_static_value(tf.constant(4) * 2) in (None, 8)
        shape = tf.TensorShape([None, 3])
        assert tf.dimension_value(shape[1]) == 3 and tf.dimension_value(shape[0]) is None
        assert tf.dimension_value(7) == 7
        assert tf.dimension_at_index(shape, 1).value == 3
        assert tf.dimension_at_index(tf.TensorShape(None), 4).value is None
        assert tf.is_symbolic_tensor(tf.constant(1)) and not tf.is_symbolic_tensor(1)
        with tf.op_scope([], "outer", "default"):
            assert tf.constant(1).name.startswith("outer/")
        init = tf.tables_initializer()
        assert init.type == "NoOp" and tf.initialize_all_tables().type == "NoOp"
        assert tf.get_logger() is tf.logging.get_logger() if hasattr(tf.logging,
                                                                      "get_logger") else True


def test_switch_case():
    with tf.Graph().as_default():
        i = tf.placeholder(tf.int32, [])
        out = tf.switch_case(i, [lambda: tf.constant(17), lambda: tf.constant(31)])
        out_d = tf.switch_case(i, {0: lambda: tf.constant(1), 1: lambda: tf.constant(2)},
                               default=lambda: tf.constant(-1))
        with tf.Session() as sess:
            assert [sess.run(out, {i: k}) for k in (0, 1, 7)] == [17, 31, 31]
            assert [sess.run(out_d, {i: k}) for k in (0, 1, 5)] == [1, 2, -1]
        with pytest.raises(ValueError, match="contiguous"):
            tf.switch_case(i, {0: lambda: 1, 2: lambda: 2})
        with pytest.raises(TypeError, match="callable"):
            tf.switch_case(i, [1])


def test_module_finds_variables_and_make_template_shares_them():
    with tf.Graph().as_default():
        class Dense(tf.Module):
            def __init__(self, n, name=None):
                super().__init__(name=name)
                with self.name_scope:
                    self.w = tf.Variable(tf.ones([n, n]), name="w")
                    self.b = tf.Variable(tf.zeros([n]), name="b", trainable=False)

        class Net(tf.Module):
            def __init__(self):
                super().__init__()
                self.layers = [Dense(2), Dense(2, name="second")]

        net = Net()
        assert net.name == "net" and len(net.submodules) == 2
        assert len(net.variables) == 4 and len(net.trainable_variables) == 2
        assert net.layers[0].w.name == "dense/w:0"
        with pytest.raises(ValueError, match="valid module name"):
            tf.Module(name="not valid")

        def scale(x, factor=1.0):
            w = tf.get_variable("w", [], initializer=tf.constant_initializer(2.0))
            return x * w * factor

        t = tf.make_template("scale", scale, factor=3.0)
        a, b = t(tf.constant(1.0)), t(tf.constant(2.0))
        assert len(tf.global_variables()) == 5
        assert [v.name for v in t.trainable_variables] == ["scale/w:0"]
        got = _run([a, b])
    assert got == [6.0, 12.0]


def test_print_and_string_format(capsys):
    with tf.Graph().as_default():
        x = tf.constant([[1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13, 14]])
        op = tf.print("x:", x, tf.constant([1.0, 2.5]), tf.constant(True), tf.constant("s"),
                      output_stream=sys.stdout, summarize=2)
        op2 = tf.print(tf.range(3), sep=",", end="!\n")
        logged = []
        op3 = tf.print("to a logger", output_stream=logged.append)
        s = tf.strings.format("a={} b={}", [tf.constant(1), tf.constant([0.5, 1.25])])
        with tf.Session() as sess:
            sess.run([op, op3])
            sess.run(op2)
            assert sess.run(s) == b"a=1 b=[0.5 1.25]"
    out, err = capsys.readouterr()
    assert out == 'x: [[1 2 ... 6 7]\n [8 9 ... 13 14]] [1 2.5] 1 "s"\n'
    assert err == "[0 1 2]!\n" and logged == ["to a logger\n"]
    assert op.type == "PrintV2"
    with pytest.raises(ValueError, match="expects 1 tensors"):
        print_ops.string_format("{}", [])
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print("a", output_stream="nowhere")
    arr = np.arange(24).reshape(2, 3, 4)
    assert print_ops.format_tensor(arr, -1).count("\n\n") == 1


def test_versions_protos_and_enums():
    assert tf.VERSION == tf.version.VERSION and isinstance(tf.GIT_VERSION, str)
    assert tf.GRAPH_DEF_VERSION == tf.version.GRAPH_DEF_VERSION == 27
    assert tf.GRAPH_DEF_VERSION_MIN_CONSUMER == 0 and tf.MONOLITHIC_BUILD == 0
    ev = tf.Event(step=3, summary=tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1)]))
    assert tf.Event.FromString(ev.SerializeToString()).step == 3
    assert tf.SessionLog.START == 1 and tf.HistogramProto(min=1.0).min == 1.0
    assert tf.SummaryMetadata().plugin_data.plugin_name == "" and tf.LogMessage.INFO
    assert tf.TensorInfo(name="x:0").name == "x:0"
    assert tf.VariableAggregation.SUM.value == 1 and tf.VariableSynchronization.ON_READ
    assert issubclass(tf.errors.InvalidArgumentError, tf.OpError)


def test_numpy_function_and_resource_loader(tmp_path):
    with tf.Graph().as_default():
        y = tf.numpy_function(lambda a: a * 2, [tf.constant([1.5])], tf.float32)
        assert _run(y).tolist() == [3.0]
    assert tf.resource_loader.get_data_files_path() == str(
        __import__("pathlib").Path(__file__).parent)
    assert tf.resource_loader.readahead_file_path("a/b") == "a/b"
