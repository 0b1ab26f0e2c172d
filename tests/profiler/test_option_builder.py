"""ProfileOptionBuilder's dicts equal TensorFlow's (tests/data/tf1/profiler/options.json)."""

import json
import os

import pytest

from flowexec.profiler import ProfileOptionBuilder as Builder

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "profiler")
with open(os.path.join(DATA, "options.json")) as f:
    TF_OPTIONS = json.load(f)

CASES = {
    "default": lambda: Builder().build(),
    "trainable_variables_parameter": Builder.trainable_variables_parameter,
    "float_operation": Builder.float_operation,
    "time_and_memory": Builder.time_and_memory,
    "time_and_memory_args": lambda: Builder.time_and_memory(
        min_micros=5, min_bytes=7, min_accelerator_micros=2, min_cpu_micros=3,
        min_peak_bytes=4, min_residual_bytes=6, min_output_bytes=8),
    "chain": lambda: (Builder()
                      .with_max_depth(4).with_min_memory(1, 2, 3, 4)
                      .with_min_execution_time(5, 6, 7).with_min_parameters(8)
                      .with_min_occurrence(9).with_min_float_operations(10)
                      .with_accounted_types([".*gpu:0.*"])
                      .with_node_names(start_name_regexes=["a"], show_name_regexes=["b"],
                                       hide_name_regexes=["c"], trim_name_regexes=["d"])
                      .account_displayed_op_only(False).with_step(3).order_by("micros")
                      .select(["bytes", "micros"]).with_file_output("/tmp/x.txt").build()),
    "chain_partial_names": lambda: Builder(Builder.float_operation()).with_node_names(
        hide_name_regexes=[".*Initializer.*"]).with_empty_output().build(),
    "timeline": lambda: Builder().with_timeline_output("/tmp/t.json").build(),
    "pprof": lambda: Builder().with_pprof_output("/tmp/p.pb.gz").with_stdout_output()
    .with_pprof_output("/tmp/q.pb.gz").build(),
    "stdout": lambda: Builder().with_file_output("f").with_stdout_output().build(),
}


def test_every_recorded_case_is_checked():
    assert sorted(CASES) == sorted(TF_OPTIONS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_options_equal_tensorflow(name):
    assert CASES[name]() == TF_OPTIONS[name]


def test_build_returns_copies_and_builder_copies_its_start():
    start = Builder.float_operation()
    b = Builder(start)
    b.with_node_names(show_name_regexes=["x"])
    assert start["show_name_regexes"] == [".*"]
    built = b.build()
    built["select"].append("params")
    assert b.build()["select"] == ["float_ops"]
    regexes = ["a"]
    b.with_accounted_types(regexes)
    regexes.append("b")
    assert b.build()["account_type_regexes"] == ["a"]
