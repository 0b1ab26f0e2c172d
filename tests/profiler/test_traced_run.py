"""time_and_memory on a real traced flowexec step; Profiler (steps, views, advise);
advise; write_op_log."""

import numpy as np

import flowexec as tf
from flowexec import profiler
from flowexec.profiler import ProfileOptionBuilder as Builder
from tests.profiler import models


def _traced_cnn():
    g = models.build_cnn(tf)
    with g.as_default():
        sess = tf.Session()
        sess.run(tf.global_variables_initializer())
        run_meta = tf.RunMetadata()
        feed = {g.get_tensor_by_name("images:0"): np.ones([2, 8, 8, 3], np.float32)}
        sess.run(g.get_tensor_by_name("probs:0"), feed_dict=feed,
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=run_meta)
    return g, sess, run_meta, feed


def _flatten(node, out=None):
    out = {} if out is None else out
    out[node.name] = node
    for c in node.children:
        _flatten(c, out)
    return out


def _traced_nodes(run_meta):
    return {s.node_name for d in run_meta.step_stats.dev_stats for s in d.node_stats}


def test_time_and_memory_of_a_traced_run():
    g, sess, run_meta, _ = _traced_cnn()
    opts = dict(Builder.time_and_memory(min_micros=0, min_bytes=0), output="none")
    stats = profiler.profile(g, run_meta=run_meta, options=opts)
    nodes = _flatten(stats)
    traced = _traced_nodes(run_meta) & {op.name for op in g.get_operations()}
    assert traced, "the traced step ran graph ops"
    for name in traced:
        n = nodes[name]
        assert n.run_count >= 1 and n.exec_micros >= 1 and n.cpu_exec_micros == n.exec_micros
        assert n.devices and n.devices[0].endswith("cpu:0")
    # memory: a run requests its outputs' static bytes (probs: 2x5 float32)
    assert nodes["probs"].requested_bytes == 2 * 5 * 4 == nodes["probs"].output_bytes
    assert stats.total_exec_micros == sum(nodes[n].exec_micros for n in traced
                                          if n in nodes) + sum(
        n.exec_micros for k, n in nodes.items() if k not in traced and k != "_TFProfRoot")
    sess.close()


def test_time_report_lines_have_tf_layout(tmp_path):
    g, sess, run_meta, _ = _traced_cnn()
    out = tmp_path / "t.txt"
    profiler.profile(g, run_meta=run_meta, cmd="op", options=Builder(
        Builder.time_and_memory()).with_file_output(str(out)).build())
    text = out.read_text()
    assert "node name | requested bytes | total execution time | accelerator execution time" \
           " | cpu execution time\n" in text
    line = next(s for s in text.splitlines() if s.startswith("Softmax "))
    assert line.startswith("Softmax" + " " * 18)
    assert "B (" in line and "us (" in line or "ms (" in line
    sess.close()


def test_profiler_steps_views_and_advise(capsys):
    g, sess, run_meta, feed = _traced_cnn()
    p = profiler.Profiler(g)
    p.add_step(0, run_meta)
    run_meta2 = tf.RunMetadata()
    with g.as_default():
        sess.run(g.get_tensor_by_name("probs:0"), feed_dict=feed,
                 options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=run_meta2)
    p.add_step(1, run_meta2)
    params = p.profile_name_scope(dict(Builder.trainable_variables_parameter(),
                                       output="none"))
    assert params.total_parameters == 3 * 3 * 3 * 4 + 4 + 64 * 5 + 5
    ops = p.profile_operations(dict(Builder.float_operation(), output="none"))
    assert ops.children[0].name == "Conv2D"
    assert ops.children[0].float_ops == 2 * 8 * 8 * 4 * 2 * 3 * 3 * 3   # one run per step
    step1 = p.profile_graph(Builder(Builder.time_and_memory(min_micros=0, min_bytes=0))
                            .with_step(1).with_empty_output().build())
    assert _flatten(step1)["probs"].run_count == 1
    capsys.readouterr()
    advice = p.advise()
    out = capsys.readouterr().out
    assert set(advice.checkers) == {"AcceleratorUtilizationChecker", "OperationChecker",
                                    "ExpensiveOperationChecker"}
    reports = advice.checkers["ExpensiveOperationChecker"].reports
    assert reports and reports[0].startswith("top 1 operation type: ")
    assert "\nExpensiveOperationChecker:\ntop 1 operation type: " in out
    sess.close()


def test_advise_without_run_meta_has_no_timing_reports(capsys):
    advice = profiler.advise(models.build_mlp(tf))
    assert advice.checkers["ExpensiveOperationChecker"].reports == []
    assert advice.checkers["OperationChecker"].reports == []
    assert "Missing RunMetadata info. Skip ExpensiveOperationChecker" in capsys.readouterr().err


def test_op_log_types_are_accounted_and_written(tmp_path):
    g = models.build_mlp(tf)
    log = profiler.OpLogProto()
    log.log_entries.append(profiler.OpLogEntry(name="hidden/MatMul", types=["mine"]))
    stats = profiler.profile(g, op_log=log, options=Builder(Builder.float_operation())
                             .with_accounted_types(["mine"]).with_empty_output().build())
    assert [c.name for c in stats.children] == ["hidden/MatMul"]
    assert stats.total_float_ops == 2 * 16 * 64 * 32
    profiler.write_op_log(g, str(tmp_path), op_log=log)
    text = (tmp_path / "tfprof_log").read_text()
    assert 'name: "hidden/MatMul"\n  float_ops: 65536\n  types: "mine"\n' in text
    assert 'name: "hidden/kernel"\n  types: "_trainable_variables"\n' in text
