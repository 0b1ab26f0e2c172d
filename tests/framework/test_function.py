"""Function graphs: tracing with structured arguments, captures, mirrored variables, naming,
and running a FuncGraph planned once in a session."""

import collections

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework.function import FuncGraph, TensorSpec, trace
from flowexec.runtime import pipeline
from flowexec.runtime.functions import instantiate

Point = collections.namedtuple("Point", ["x", "y"])


def test_trace_packs_structured_arguments_and_outputs():
    specs = [{"b": TensorSpec([2], tf.float32), "a": TensorSpec([], tf.int32)},
             Point(TensorSpec([], tf.float32), TensorSpec([None], tf.float32))]
    seen = {}

    def f(d, p):
        seen["d"], seen["p"] = d, p
        return {"sum": d["b"] + p.x, "pair": (p.y, d["a"])}

    fg = trace(f, specs, "f")
    assert isinstance(seen["p"], Point)
    assert seen["d"]["b"].shape.as_list() == [2]
    assert seen["p"].y.shape.as_list() == [None]
    assert len(fg.inputs) == 4  # a, b (sorted keys), x, y
    assert [t.dtype for t in fg.inputs] == [tf.int32, tf.float32, tf.float32, tf.float32]
    assert set(fg.structured_outputs) == {"sum", "pair"}
    assert fg.outputs == tf.nest.flatten(fg.structured_outputs)
    assert fg.captures == []


def test_outer_tensor_is_captured_once_and_ops_go_into_the_function_graph():
    c = tf.constant(10.0, name="c")
    fg = trace(lambda x: x * c + c, [TensorSpec([], tf.float32)], "scale")
    assert [outer for outer, _ in fg.captures] == [c]
    inner = fg.captures[0][1]
    assert inner.graph is fg and inner.op.type == "Placeholder"
    assert all(op.graph is fg for op in fg.get_operations())
    assert fg.inputs[-1] is inner
    assert not any(op.name.startswith("scale") for op in tf.get_default_graph().get_operations())


def test_function_op_names_are_prefixed_and_unique_in_the_outer_graph():
    with tf.name_scope("input"):
        fg1 = trace(lambda x: x + 1.0, [TensorSpec([], tf.float32)], "f")
        fg2 = trace(lambda x: x + 1.0, [TensorSpec([], tf.float32)], "f")
    assert (fg1.name, fg2.name) == ("input/f", "input/f_1")
    assert all(op.name.startswith("input/f_1/") for op in fg2.get_operations())


def test_nested_function_captures_through_each_enclosing_graph():
    c = tf.constant(3.0, name="c")
    inner_graphs = []

    def outer(x):
        g = trace(lambda y: y * c, [TensorSpec([], tf.float32)], "inner")
        inner_graphs.append(g)
        return x + 1.0

    fg = trace(outer, [TensorSpec([], tf.float32)], "outer")
    inner = inner_graphs[0]
    assert inner.outer_graph is fg
    assert inner.captures[0][0].graph is fg  # captured from the enclosing function graph
    assert fg.captures[0][0] is c           # which captured it from the outer graph


def test_capture_from_an_unrelated_graph_is_a_value_error():
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0)
    with pytest.raises(ValueError, match="not an element of this graph"):
        trace(lambda x: x + foreign, [TensorSpec([], tf.float32)], "f")


def test_control_dependency_on_an_outer_op_is_a_control_capture():
    a = tf.constant(1.0)
    noop = tf.no_op(name="outer_noop")

    def f(x):
        with tf.control_dependencies([noop, a]):
            return x + 1.0
    fg = trace(f, [TensorSpec([], tf.float32)], "f")
    assert fg.control_captures == [noop, a.op]


def test_function_graph_is_finalized_after_tracing():
    fg = trace(lambda x: x + 1.0, [TensorSpec([], tf.float32)], "f")
    assert fg.finalized
    with fg.as_default(), pytest.raises(RuntimeError, match="finalized"):
        tf.constant(1.0)


def test_call_runs_with_captured_values_and_is_planned_once(monkeypatch):
    c = tf.constant(10.0)
    fg = trace(lambda x, y: (x * c, {"y": y + 1}), [TensorSpec([], tf.float32),
                                                     TensorSpec([None], tf.int32)], "f")
    builds = []
    real = pipeline.build
    monkeypatch.setattr(pipeline, "build", lambda *a, **k: builds.append(1) or real(*a, **k))
    with tf.Session() as sess:
        fc = instantiate(sess, fg)
        assert instantiate(sess, fg) is fc
        for i in range(5):
            out = fc.call([np.float32(i), np.arange(i, dtype=np.int32)], [np.float32(10)])
            assert out[0] == 10 * i
            np.testing.assert_array_equal(out[1], np.arange(i) + 1)
    assert len(builds) == 1


def test_captured_variable_is_read_live_per_session():
    v = tf.Variable(2.0, name="v")
    fg = trace(lambda x: x * v, [TensorSpec([], tf.float32)], "f")
    assert fg.captures == [] and fg.variables == [v.op]
    with tf.Session() as s1, tf.Session() as s2:
        s1.run(v.initializer)
        s2.run(v.initializer)
        assert instantiate(s1, fg).call([np.float32(3)])[0] == 6.0
        s1.run(v.assign(5.0))
        assert instantiate(s1, fg).call([np.float32(3)])[0] == 15.0
        assert instantiate(s2, fg).call([np.float32(3)])[0] == 6.0


def test_uninitialized_variable_in_a_function_is_failed_precondition():
    v = tf.Variable(2.0, name="w")
    fg = trace(lambda x: x * v, [TensorSpec([], tf.float32)], "f")
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError, match="w"):
        instantiate(sess, fg).call([np.float32(1)])


def test_error_inside_a_function_names_the_inner_op():
    def f(x):
        return tf.reshape(x, [3], name="bad_reshape")
    fg = trace(f, [TensorSpec([None], tf.float32)], "f")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        instantiate(sess, fg).call([np.zeros(2, np.float32)])
    assert "f/bad_reshape" in str(info.value)
    assert info.value.op.graph is fg


def test_seeded_random_op_inside_a_function_differs_from_the_outer_one():
    tf.set_random_seed(3)
    outer = tf.random_uniform([4])
    fg = trace(lambda x: x + tf.random_uniform([4]), [TensorSpec([4], tf.float32)], "f")
    assert fg.seed == 3
    with tf.Session() as s1, tf.Session() as s2:
        a = instantiate(s1, fg).call([np.zeros(4, np.float32)])[0]
        b = instantiate(s2, fg).call([np.zeros(4, np.float32)])[0]
        np.testing.assert_array_equal(a, b)           # deterministic per session
        assert not np.array_equal(a, s1.run(outer))   # but not the outer op's sequence


def test_funcgraph_is_a_graph_that_builds_functions():
    fg = FuncGraph("g")
    assert isinstance(fg, tf.Graph) and fg.building_function
    assert not tf.get_default_graph().building_function
