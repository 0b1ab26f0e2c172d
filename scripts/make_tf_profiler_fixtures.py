"""TensorFlow's tfprof (`tf.compat.v1.profiler`), recorded for flowexec's tests
(tests/data/tf1/profiler/*.json, read by tests/profiler/).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_profiler_fixtures.py

The graphs are tests/profiler/models.py's, built with tf.compat.v1 after
`disable_v2_behavior()` (reference variables, as flowexec's).

- options.json: the dicts of ProfileOptionBuilder's static builders and of chains of its
  methods, by case name.
- reports.json: per case `<model>/<name>`: `cmd`, `options` (the dict passed), `text` (what
  tfprof writes for `with_file_output`: the "Doc:" and "Profile:" sections and the report;
  the stdout form adds the "Options" header and "End of Report" footer around it) and
  `proto` (the returned GraphNodeProto / MultiGraphNodeProto as protobuf's JSON form,
  field names as in the proto, input_shapes left out). Cases with `run_meta` profile a
  hand-made RunMetadata whose times are fixed (`run_meta` lists [device, node, start,
  duration, output bytes]); its allocator requested exactly the node's output bytes.
- zoo_flops.json: for every op of models.build_zoo, [op type, TF's registered flops
  (`ops.get_stats_for_node_def(graph, node_def, "flops").value`, null when none) or
  "ValueError"].
- incomplete.json: what `profile` writes to stderr for a graph with an op of unknown shape.
"""

import contextlib
import io
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "profiler")
sys.path.insert(0, ROOT)

import tensorflow as tf2  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from tensorflow.python.framework import ops as tf_ops  # noqa: E402

from tests.profiler import models  # noqa: E402

tf = tf2.compat.v1
tf.disable_v2_behavior()
Builder = tf.profiler.ProfileOptionBuilder


def options_cases():
    return {
        "default": Builder().build(),
        "trainable_variables_parameter": Builder.trainable_variables_parameter(),
        "float_operation": Builder.float_operation(),
        "time_and_memory": Builder.time_and_memory(),
        "time_and_memory_args": Builder.time_and_memory(
            min_micros=5, min_bytes=7, min_accelerator_micros=2, min_cpu_micros=3,
            min_peak_bytes=4, min_residual_bytes=6, min_output_bytes=8),
        "chain": (Builder()
                  .with_max_depth(4).with_min_memory(1, 2, 3, 4)
                  .with_min_execution_time(5, 6, 7).with_min_parameters(8)
                  .with_min_occurrence(9).with_min_float_operations(10)
                  .with_accounted_types([".*gpu:0.*"])
                  .with_node_names(start_name_regexes=["a"], show_name_regexes=["b"],
                                   hide_name_regexes=["c"], trim_name_regexes=["d"])
                  .account_displayed_op_only(False).with_step(3).order_by("micros")
                  .select(["bytes", "micros"]).with_file_output("/tmp/x.txt").build()),
        "chain_partial_names": Builder(Builder.float_operation())
        .with_node_names(hide_name_regexes=[".*Initializer.*"]).with_empty_output().build(),
        "timeline": Builder().with_timeline_output("/tmp/t.json").build(),
        "pprof": Builder().with_pprof_output("/tmp/p.pb.gz").with_stdout_output()
        .with_pprof_output("/tmp/q.pb.gz").build(),
        "stdout": Builder().with_file_output("f").with_stdout_output().build(),
    }


PARAMS = Builder.trainable_variables_parameter()
FLOPS = Builder.float_operation()


def report_cases():
    """{case: (model builder, cmd, options, run_meta spec or None)}."""
    mlp, cnn = models.build_mlp, models.build_cnn
    b = Builder
    cases = {
        "mlp/scope_params": (mlp, "scope", PARAMS),
        "mlp/scope_flops": (mlp, "scope", FLOPS),
        "mlp/op_params": (mlp, "op", PARAMS),
        "mlp/op_flops": (mlp, "op", FLOPS),
        "mlp/graph_flops": (mlp, "graph", FLOPS),
        "mlp/graph_params": (mlp, "graph", PARAMS),
        "mlp/scope_default": (mlp, "scope", b().build()),
        "mlp/scope_show": (mlp, "scope", b(PARAMS).with_node_names(
            show_name_regexes=["hidden.*"]).build()),
        "mlp/scope_hide": (mlp, "scope", b(PARAMS).with_node_names(
            hide_name_regexes=[".*bias"]).build()),
        "mlp/scope_hide_account_all": (mlp, "scope", b(PARAMS).with_node_names(
            hide_name_regexes=[".*bias"]).account_displayed_op_only(False).build()),
        "mlp/scope_start": (mlp, "scope", b(FLOPS).with_node_names(
            start_name_regexes=["logits.*"]).build()),
        "mlp/scope_trim": (mlp, "scope", b(FLOPS).with_node_names(
            trim_name_regexes=[".*Initializer"]).build()),
        "mlp/scope_depth1": (mlp, "scope", b(FLOPS).with_max_depth(1).build()),
        "mlp/scope_min_params": (mlp, "scope", b(PARAMS).with_min_parameters(100)
                                 .order_by("params").build()),
        "mlp/scope_min_flops": (mlp, "scope", b(FLOPS).with_min_float_operations(500)
                                .order_by("name").build()),
        "mlp/scope_types": (mlp, "scope", b(FLOPS).with_accounted_types(
            ["MatMul", "BiasAdd"]).build()),
        "mlp/scope_select_many": (mlp, "scope", b(PARAMS).with_accounted_types([".*"])
                                  .select(["params", "float_ops", "occurrence",
                                           "op_types"]).build()),
        "mlp/op_select_many": (mlp, "op", b(FLOPS).select(
            ["params", "float_ops", "occurrence"]).build()),
        "mlp/op_show": (mlp, "op", b(FLOPS).with_node_names(
            show_name_regexes=["Mat.*", "Bias.*"]).build()),
        "mlp/op_depth": (mlp, "op", b(FLOPS).with_max_depth(2).build()),
        "mlp/graph_show": (mlp, "graph", b(FLOPS).with_node_names(
            show_name_regexes=["logits/.*"]).build()),
        "cnn/scope_params": (cnn, "scope", PARAMS),
        "cnn/scope_flops": (cnn, "scope", FLOPS),
        "cnn/op_flops": (cnn, "op", FLOPS),
        "cnn/op_params": (cnn, "op", PARAMS),
        "cnn/graph_params": (cnn, "graph", PARAMS),
    }
    traced = ["images", "conv1/weights", "conv1/weights/read", "conv1/Conv2D",
              "conv1/BiasAdd", "conv1/Relu", "pool1", "fc/MatMul", "fc/BiasAdd", "probs"]
    run = [[node, 1000 + 40 * i, 3 + 17 * i] for i, node in enumerate(traced)]
    run.append(["conv1/Conv2D", 2000, 50])   # a second record of one node: counted twice
    cases["cnn/scope_time"] = (cnn, "scope", b.time_and_memory(), run)
    cases["cnn/scope_time_all"] = (cnn, "scope", b(b.time_and_memory(min_micros=0,
                                                                     min_bytes=0))
                                   .select(["micros", "bytes", "float_ops",
                                            "occurrence"]).build(), run)
    cases["cnn/op_time"] = (cnn, "op", b.time_and_memory(), run)
    cases["cnn/graph_time"] = (cnn, "graph", b(b.time_and_memory()).select(
        ["micros", "bytes", "peak_bytes", "residual_bytes", "output_bytes",
         "cpu_micros", "accelerator_micros"]).build(), run)
    cases["cnn/op_time_bytes"] = (cnn, "op", b(b.time_and_memory()).order_by("bytes")
                                  .select(["bytes", "output_bytes", "micros"]).build(), run)
    return {k: (v + (None,))[:4] for k, v in cases.items()}


CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


def output_bytes(op):
    total = 0
    for t in op.outputs:
        n = t.shape.num_elements()
        total += 0 if n is None else n * t.dtype.size
    return total


def make_run_meta(graph, spec):
    rm = tf.RunMetadata()
    dev = rm.step_stats.dev_stats.add()
    dev.device = CPU
    rows = []
    for node, start, dur in spec:
        op = graph.get_operation_by_name(node)
        nbytes = output_bytes(op)
        ns = dev.node_stats.add()
        ns.node_name = node
        ns.all_start_micros = start
        ns.op_end_rel_micros = dur
        ns.all_end_rel_micros = dur
        mem = ns.memory.add()
        mem.allocator_name = "cpu"
        mem.total_bytes = nbytes
        mem.peak_bytes = nbytes
        for i, t in enumerate(op.outputs):
            out = ns.output.add()
            out.slot = i
            n = t.shape.num_elements() or 0
            out.tensor_description.allocation_description.requested_bytes = n * t.dtype.size
        rows.append([CPU, node, start, dur, nbytes])
    return rm, rows


def _proto_dict(proto):
    """The proto as JSON, without input_shapes (kept small; the text shows them)."""
    def strip(d):
        d.pop("input_shapes", None)
        for key in ("children", "graph_nodes"):
            for c in d.get(key, []):
                strip(c)
        return d
    return strip(json_format.MessageToDict(proto, preserving_proto_field_name=True))


def run_report(build, cmd, options, spec):
    graph = build(tf)
    run_meta, rows = (None, None) if spec is None else make_run_meta(graph, spec)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "report.txt")
        opts = dict(options, output="file:outfile=" + path)
        proto = tf.profiler.profile(graph, run_meta=run_meta, cmd=cmd, options=opts)
        with open(path) as f:
            text = f.read()
    return {"cmd": cmd, "options": options, "run_meta": rows, "text": text,
            "proto": _proto_dict(proto)}


def zoo_flops():
    graph = models.build_zoo(tf)
    out = {}
    for op in graph.get_operations():
        try:
            value = tf_ops.get_stats_for_node_def(graph, op.node_def, "flops").value
            value = None if value is None else int(value)
        except ValueError:
            value = "ValueError"
        out[op.name] = [op.type, value]
    return out


def incomplete():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        w = tf.get_variable("w", [4, 3], initializer=tf.zeros_initializer())
        y = tf.matmul(x, w)
        tf.nn.relu(y + 1.0)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.txt")
            proto = tf.profiler.profile(
                g, options=dict(FLOPS, output="file:outfile=" + path))
            with open(path) as f:
                text = f.read()
    return {"stderr": err.getvalue(), "text": text,
            "proto": json_format.MessageToDict(proto, preserving_proto_field_name=True)}


def main():
    os.makedirs(OUT, exist_ok=True)

    def dump(name, obj):
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write("\n")

    dump("options.json", options_cases())
    dump("reports.json", {k: run_report(*v) for k, v in report_cases().items()})
    dump("zoo_flops.json", zoo_flops())
    dump("incomplete.json", incomplete())


if __name__ == "__main__":
    main()
