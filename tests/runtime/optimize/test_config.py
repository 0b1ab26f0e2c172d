"""TF's switches: which passes run for a RewriterConfig / OptimizerOptions, and in what order."""

import flowexec as tf
from flowexec.runtime.optimize import (
    GraphOptions,
    OptimizerOptions,
    RewriterConfig,
    enabled_passes,
    optimize,
)
from tests.runtime.optimize.helpers import graph_ir

ALL = ["common_subgraph_elimination", "constfold", "arithmetic", "remap", "dependency"]
OFF = RewriterConfig.OFF
L0 = OptimizerOptions(opt_level=OptimizerOptions.L0)


def test_defaults_run_every_pass_in_grapplers_order():
    assert enabled_passes() == (ALL, ["common_subgraph_elimination", "constfold"])


def test_switches_turn_single_passes_off():
    grappler, classic = enabled_passes(RewriterConfig(constant_folding=OFF), L0)
    assert grappler == [p for p in ALL if p != "constfold"] and classic == []
    grappler, _ = enabled_passes(RewriterConfig(remapping=OFF, dependency_optimization=OFF))
    assert grappler == ALL[:3]


def test_cse_needs_arithmetic_optimization_too_as_in_tf():
    grappler, _ = enabled_passes(RewriterConfig(arithmetic_optimization=OFF), L0)
    assert grappler == ["constfold", "remap", "dependency"]


def test_classic_optimizer_still_folds_at_l1_when_grappler_does_not():
    # TF: the classic GraphOptimizer at opt_level L1 does CSE and constant folding
    assert enabled_passes(RewriterConfig(disable_meta_optimizer=True)) == (
        [], ["common_subgraph_elimination", "constfold"])
    assert enabled_passes(RewriterConfig(disable_meta_optimizer=True), L0) == ([], [])
    only_fold = OptimizerOptions(opt_level=OptimizerOptions.L0, do_constant_folding=True)
    assert enabled_passes(RewriterConfig(disable_meta_optimizer=True), only_fold) == (
        [], ["constfold"])


def test_named_optimizers_run_exactly_those_in_that_order():
    rw = RewriterConfig(optimizers=["dependency", "constfold", "layout"])
    assert enabled_passes(rw, L0) == (["dependency", "constfold"], [])


def test_small_graphs_skip_grappler_but_not_the_classic_optimizer():
    g = tf.Graph()
    with g.as_default():
        y = tf.add(tf.constant(1.0), 2.0, name="y")
        z = tf.negative(y, name="z")
    graph = graph_ir(g, [z])
    assert len(graph) == 4
    off = GraphOptions(rewrite_options=RewriterConfig(min_graph_nodes=5),
                       optimizer_options=L0)
    assert optimize(graph, off).applied == ()
    classic = GraphOptions(rewrite_options=RewriterConfig(min_graph_nodes=5))
    assert optimize(graph, classic).applied == ("constfold: 1 nodes folded (y)",)
    everything = GraphOptions(rewrite_options=RewriterConfig(min_graph_nodes=-1))
    assert "constfold: 1 nodes folded (y)" in optimize(graph, everything).applied


def test_meta_optimizer_iterations_one_runs_each_pass_once():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None], name="x")
        y = tf.identity(tf.tanh(x + (tf.constant(1.0) * 2.0)), name="y")
    graph = graph_ir(g, [y], [x])
    once = optimize(graph, GraphOptions(rewrite_options=RewriterConfig(
        meta_optimizer_iterations=RewriterConfig.ONE)))
    assert [line.split(":")[0] for line in once.applied] == ["constfold", "remap"]
