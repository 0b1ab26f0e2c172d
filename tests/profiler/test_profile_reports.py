"""tf.profiler.profile against TensorFlow's recorded tfprof reports and result protos
(tests/data/tf1/profiler/reports.json, scripts/make_tf_profiler_fixtures.py): parameter
counts and FLOPs of an MLP and a CNN, every view, name filters, ordering, depth, accounting,
and time/memory of a traced step with fixed times."""

import json
import os
import re

import pytest

import flowexec as tf
from flowexec import profiler
from flowexec.runtime import config as config_mod
from tests.profiler import models

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "profiler")
with open(os.path.join(DATA, "reports.json")) as f:
    REPORTS = json.load(f)


def _norm(text):
    """TF builds random_uniform's sum as AddV2 where flowexec has Add (same flops)."""
    text = re.sub(r"(?m)^AddV2  ", "Add    ", text)
    return text.replace("AddV2", "Add")


def _run_meta(rows):
    rm = tf.RunMetadata()
    dev = config_mod.DeviceStepStats(rows[0][0])
    for _, node, start, dur, _ in rows:
        dev.node_stats.append(config_mod.NodeExecStats(node, start, 0, dur, dur, 0))
    rm.step_stats.dev_stats.append(dev)
    return rm


def _profile(case_name, tmp_path, **extra):
    case = REPORTS[case_name]
    graph = getattr(models, "build_" + case_name.split("/")[0])(tf)
    run_meta = _run_meta(case["run_meta"]) if case["run_meta"] else None
    out = tmp_path / "report.txt"
    options = dict(case["options"], output=f"file:outfile={out}", **extra)
    result = profiler.profile(graph, run_meta=run_meta, cmd=case["cmd"], options=options)
    return case, result, out.read_text()


_INT_FIELDS = ("parameters", "total_parameters", "float_ops", "total_float_ops",
               "exec_micros", "total_exec_micros", "cpu_exec_micros", "total_cpu_exec_micros",
               "requested_bytes", "total_requested_bytes", "output_bytes",
               "total_output_bytes", "run_count", "total_run_count",
               "total_definition_count")


def _assert_proto(got, want, path="root"):
    assert got.name == _norm(want.get("name", "")), path
    for field in _INT_FIELDS:
        if hasattr(got, field):
            assert getattr(got, field) == int(want.get(field, 0)), f"{path}.{field}"
    if hasattr(got, "graph_nodes"):
        assert [g.name for g in got.graph_nodes] == [g["name"] for g in
                                                      want.get("graph_nodes", [])], path
    kids = want.get("children", [])
    assert len(got.children) == len(kids), f"{path}.children"
    for g, w in zip(got.children, kids):
        _assert_proto(g, w, f"{path}/{w['name']}")


@pytest.mark.parametrize("case_name", sorted(REPORTS))
def test_report_text_and_proto_equal_tensorflow(case_name, tmp_path):
    case, result, text = _profile(case_name, tmp_path)
    assert text == _norm(case["text"])
    _assert_proto(result, case["proto"])


def test_mlp_parameter_count_is_tf_number():
    stats = profiler.profile(models.build_mlp(tf), options=dict(
        profiler.ProfileOptionBuilder.trainable_variables_parameter(), output="none"))
    want = REPORTS["mlp/scope_params"]["proto"]
    assert stats.total_parameters == int(want["total_parameters"]) == 32 * 64 + 64 + 640 + 10 + 1
    assert [c.name for c in stats.children] == ["global_scale", "hidden", "logits"]


def test_cnn_float_ops_are_tf_numbers():
    stats = profiler.profile(models.build_cnn(tf), options=dict(
        profiler.ProfileOptionBuilder.float_operation(), output="none"))
    assert stats.total_float_ops == int(REPORTS["cnn/scope_flops"]["proto"]["total_float_ops"])
    flat = {}

    def walk(n):
        flat[n.name] = n.float_ops
        for c in n.children:
            walk(c)
    walk(stats)
    assert flat["conv1/Conv2D"] == 2 * 8 * 8 * 4 * 2 * 3 * 3 * 3   # 2 * out * kh * kw * cin
    assert flat["fc/MatMul"] == 2 * 2 * 5 * 64
    assert flat["pool1"] == 2 * 4 * 4 * 4 * 4                      # ksize area * out


def test_stdout_report_has_options_header_and_footer(capsys):
    profiler.profile(models.build_mlp(tf))   # default: trainable_variables_parameter
    out = capsys.readouterr().out
    header, _, rest = out.partition("\n==================Model Analysis Report"
                                    "======================\n")
    assert header.startswith("\n=========================Options=============================\n"
                             "-max_depth                  10000\n")
    assert "-account_type_regexes       _trainable_variables\n" in header
    assert "-select                     params\n-output                     stdout:\n" in header
    assert rest == _norm(REPORTS["mlp/scope_params"]["text"]) + (
        "\n======================End of Report==========================\n")


def test_empty_output_prints_nothing(capsys):
    stats = profiler.profile(models.build_mlp(tf), options=profiler.ProfileOptionBuilder(
        profiler.ProfileOptionBuilder.float_operation()).with_empty_output().build())
    assert capsys.readouterr().out == ""
    assert stats.total_float_ops == int(REPORTS["mlp/scope_flops"]["proto"]["total_float_ops"])


def test_unknown_cmd_raises():
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown cmd: nope"):
        profiler.profile(models.build_mlp(tf), cmd="nope")


def test_missing_step_reports_available_steps(capsys):
    case = REPORTS["cnn/scope_time"]
    opts = dict(case["options"], step=5, output="none")
    stats = profiler.profile(models.build_cnn(tf), run_meta=_run_meta(case["run_meta"]),
                             options=opts)
    assert stats.name == "" and not stats.children
    assert "Options -step=5 not found.\nAvailable steps: 0 \n" in capsys.readouterr().err


def test_default_graph_is_profiled():
    g = models.build_cnn(tf)
    with g.as_default():
        stats = profiler.profile(options=dict(
            profiler.ProfileOptionBuilder.trainable_variables_parameter(), output="none"))
    assert stats.total_parameters == int(REPORTS["cnn/scope_params"]["proto"]
                                         ["total_parameters"])


def test_proto_text_format():
    stats = profiler.profile(models.build_cnn(tf), options=dict(
        profiler.ProfileOptionBuilder.trainable_variables_parameter(), output="none"))
    text = str(stats)
    assert text.startswith('name: "_TFProfRoot"\ntotal_parameters: 437\nchildren {\n'
                           '  name: "conv1"\n  total_parameters: 112\n')
