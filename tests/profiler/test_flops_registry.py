"""FLOP rules equal TensorFlow's registered statistics, op by op
(tests/data/tf1/profiler/zoo_flops.json); the statistics registry; incomplete shapes."""

import json
import os

import pytest

import flowexec as tf
from flowexec import profiler
from flowexec.framework import ops_stats
from flowexec.profiler import flops_registry, tfprof_logger
from tests.profiler import models

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "profiler")
with open(os.path.join(DATA, "zoo_flops.json")) as f:
    TF_FLOPS = json.load(f)
with open(os.path.join(DATA, "incomplete.json")) as f:
    INCOMPLETE = json.load(f)
_SAME_TYPE = {"AddV2": "Add"}


def _flowexec_flops(graph):
    log = tfprof_logger.merge_default_with_oplog(graph, add_trainable_var=False)
    return {e.name: e.float_ops for e in log.log_entries}


def test_zoo_flops_equal_tensorflow_op_by_op():
    graph = models.build_zoo(tf)
    ours = _flowexec_flops(graph)
    compared = set()
    for op in graph.get_operations():
        if op.name not in TF_FLOPS:
            continue
        tf_type, tf_value = TF_FLOPS[op.name]
        if _SAME_TYPE.get(tf_type, tf_type) != op.type:
            continue
        want = int(tf_value) if isinstance(tf_value, (int, float)) else 0
        assert ours.get(op.name, 0) == want, (op.name, op.type)
        if want:
            compared.add(op.type)
    # every rule family was exercised against a TF number
    assert compared >= {"MatMul", "BatchMatMulV2", "Add", "Sub", "Mul", "RealDiv", "Maximum",
                        "Minimum", "Pow", "SquaredDifference", "Greater", "GreaterEqual",
                        "Less", "LessEqual", "Equal", "NotEqual", "Square", "Rsqrt", "Log",
                        "Neg", "Reciprocal", "L2Loss", "Softmax", "Mean", "Sum", "ArgMax",
                        "ArgMin", "AddN", "Conv2D", "DepthwiseConv2dNative", "BiasAdd",
                        "MaxPool", "AvgPool", "AvgPoolGrad", "MaxPoolGrad",
                        "Conv2DBackpropInput", "Conv2DBackpropFilter", "BiasAddGrad",
                        "AssignAdd", "AssignSub"}


def test_ops_without_rule_count_nothing():
    graph = models.build_zoo(tf)
    node = graph.get_operation_by_name("relu").node_def
    stats = ops_stats.get_stats_for_node_def(graph, node, "flops")
    assert stats.statistic_type == "flops" and stats.value is None
    assert "Relu" not in flops_registry.IMPLEMENTED_OPS


def test_matmul_rule_is_2mnk():
    graph = models.build_zoo(tf)
    node = graph.get_operation_by_name("mm").node_def
    assert profiler.get_stats_for_node_def(graph, node, "flops").value == 2 * 4 * 5 * 6


def test_incomplete_shapes_are_skipped_with_tf_warning(capsys, tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.get_variable("w", [4, 3], initializer=tf.zeros_initializer())
        y = tf.matmul(x, w)
        tf.nn.relu(y + 1.0)
    out = tmp_path / "r.txt"
    stats = profiler.profile(g, options=dict(profiler.ProfileOptionBuilder.float_operation(),
                                             output=f"file:outfile={out}"))
    assert capsys.readouterr().err == INCOMPLETE["stderr"]
    assert out.read_text() == INCOMPLETE["text"]
    assert stats.total_float_ops == 0


def test_nchw_is_refused_like_tf():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [1, 3, 8, 8])
        tf.nn.max_pool(x, [1, 1, 2, 2], [1, 1, 2, 2], "VALID", data_format="NCHW", name="p")
    with pytest.raises(ValueError, match="Only NHWC"):
        profiler.get_stats_for_node_def(g, g.get_operation_by_name("p").node_def, "flops")


def test_register_statistics_custom_rule_and_duplicates():
    @profiler.RegisterStatistics("_ProfilerTestOnlyType", "doohickey")
    def _stats(graph, node):
        return profiler.OpStats("doohickey", 20)

    class Node:
        op = "_ProfilerTestOnlyType"
    assert profiler.get_stats_for_node_def(None, Node(), "doohickey").value == 20
    assert profiler.get_stats_for_node_def(None, Node(), "flops").value is None
    with pytest.raises(KeyError, match="Registering two statistical functions"):
        profiler.RegisterStatistics("_ProfilerTestOnlyType", "doohickey")(_stats)
    with pytest.raises(TypeError):
        profiler.RegisterStatistics("A,B", "flops")


def test_op_stats_addition():
    s = profiler.OpStats("flops")
    s += profiler.OpStats("flops", 3)
    s += profiler.OpStats("flops", None)
    s += profiler.OpStats("flops", 4)
    assert s.value == 7
    with pytest.raises(ValueError, match="Can't add an OpStat of type"):
        s += profiler.OpStats("weight_parameters", 1)
