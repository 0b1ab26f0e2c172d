"""flowexec.timeline.Timeline (TF1's chrome-trace export) and scripts/gantt.py."""

import importlib.util
import json
import os
import random
import subprocess
import sys

import pytest

import flowexec as tf
from flowexec.runtime.config import DeviceStepStats, NodeExecStats, StepStats
from flowexec.timeline import Timeline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GANTT = os.path.join(ROOT, "scripts", "gantt.py")
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU = "/job:localhost/replica:0/task:0/device:GPU:0"


def _ns(label, start, dur, lane):
    name = label.partition(" = ")[0]
    return NodeExecStats(node_name=name, all_start_micros=start, op_start_rel_micros=0,
                         op_end_rel_micros=dur, all_end_rel_micros=dur, thread_id=7,
                         timeline_label=label, lane=lane)


def _two_device_stats(shuffle_seed=None):
    cpu = [
        _ns("a = Const()", 100, 10, 0),
        _ns("b = Const()", 100, 4, 1),
        _ns("c = Add(a, b)", 120, 10, 0),
        _ns("d = Mul(c, c, x)", 130, 5, 0),  # x was fed: not in the stats
    ]
    gpu = [
        _ns("d/_recv = _Recv(d)", 140, 6, 1),
        _ns("e = MatMul(d/_recv, d/_recv)", 150, 20, 0),
        _ns("f = Identity(e)", 170, 0, 0),
        _ns("g = Neg(b:0)", 200, 1, 1),
    ]
    dev_stats = [DeviceStepStats(GPU, gpu), DeviceStepStats(CPU, cpu)]
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        for ds in dev_stats:
            rng.shuffle(ds.node_stats)
        rng.shuffle(dev_stats)
    return StepStats(dev_stats)


def _trace(step_stats, **kwargs):
    return json.loads(Timeline(step_stats).generate_chrome_trace_format(**kwargs))["traceEvents"]


def test_metadata_names_one_process_per_device_and_one_thread_per_lane():
    meta = [e for e in _trace(_two_device_stats()) if e["ph"] == "M"]
    names = [(e["name"], e["pid"], e.get("tid"), e["args"]) for e in meta]
    assert names == [
        ("process_name", 0, None, {"name": CPU + " Compute"}),
        ("process_sort_index", 0, None, {"sort_index": 0}),
        ("process_name", 1, None, {"name": GPU + " Compute"}),
        ("process_sort_index", 1, None, {"sort_index": 1}),
        ("thread_name", 0, 0, {"name": "lane 0"}),
        ("thread_sort_index", 0, 0, {"sort_index": 0}),
        ("thread_name", 0, 1, {"name": "lane 1"}),
        ("thread_sort_index", 0, 1, {"sort_index": 1}),
        ("thread_name", 1, 0, {"name": "stream 0"}),
        ("thread_sort_index", 1, 0, {"sort_index": 0}),
        ("thread_name", 1, 1, {"name": "stream 1"}),
        ("thread_sort_index", 1, 1, {"sort_index": 1}),
    ]


def test_one_complete_event_per_op_with_type_times_and_inputs():
    ops = [e for e in _trace(_two_device_stats()) if e["ph"] == "X"]
    assert {e["cat"] for e in ops} == {"Op"}
    got = [(e["name"], e["pid"], e["tid"], e["ts"], e["dur"], e["args"]) for e in ops]
    assert got == [
        ("Const", 0, 0, 100, 10, {"name": "a", "op": "Const"}),
        ("Const", 0, 1, 100, 4, {"name": "b", "op": "Const"}),
        ("Add", 0, 0, 120, 10, {"name": "c", "op": "Add", "input0": "a", "input1": "b"}),
        ("Mul", 0, 0, 130, 5,
         {"name": "d", "op": "Mul", "input0": "c", "input1": "c", "input2": "x"}),
        ("_Recv", 1, 1, 140, 6, {"name": "d/_recv", "op": "_Recv", "input0": "d"}),
        ("MatMul", 1, 0, 150, 20,
         {"name": "e", "op": "MatMul", "input0": "d/_recv", "input1": "d/_recv"}),
        ("Identity", 1, 0, 170, 0, {"name": "f", "op": "Identity", "input0": "e"}),
        ("Neg", 1, 1, 200, 1, {"name": "g", "op": "Neg", "input0": "b:0"}),
    ]


def test_flow_pairs_only_cross_lanes_and_devices_and_skip_unknown_inputs():
    flows = [e for e in _trace(_two_device_stats()) if e["ph"] in "st"]
    assert {(e["cat"]) for e in flows} == {"DataFlow"}
    got = [(e["ph"], e["id"], e["name"], e["pid"], e["tid"], e["ts"]) for e in flows]
    # "s" sits on the producer's last µs, "t" one µs into the consumer (both inside the slices)
    assert got == [
        ("s", 0, "b", 0, 1, 103), ("t", 0, "b", 0, 0, 121),  # lane 1 -> lane 0 on the CPU
        ("s", 1, "d", 0, 0, 134), ("t", 1, "d", 1, 1, 141),  # CPU -> GPU: into the _Recv
        ("s", 2, "d/_recv", 1, 1, 145), ("t", 2, "d/_recv", 1, 0, 151),  # _Recv -> consumer
        ("s", 3, "b", 0, 1, 103), ("t", 3, "b", 1, 1, 200),  # "b:0" names b's output 0
    ]
    # a -> c, c -> d, e -> f stay inside one lane: no arrows; x (fed) has no producer


def test_an_arrow_into_a_recv_that_waited_for_it_ends_when_the_value_arrived():
    ps = "/job:ps/replica:0/task:0/device:CPU:0"
    worker = "/job:worker/replica:0/task:0/device:CPU:0"
    stats = StepStats([
        DeviceStepStats(ps, [_ns("v/_send = _Send(v)", 130, 4, 0)]),
        # waited from 100 for the value sent at 130-134
        DeviceStepStats(worker, [_ns("v/_recv = _Recv(v/_send)", 100, 40, 0),
                                 _ns("y = Neg(v/_recv)", 150, 5, 0)])])
    flows = [(e["ph"], e["pid"], e["ts"]) for e in _trace(stats) if e["ph"] in "st"]
    assert flows == [("s", 0, 133), ("t", 1, 139)]   # not back in time to 101


def test_show_dataflow_false_has_no_flows_and_show_memory_adds_nothing():
    plain = _trace(_two_device_stats(), show_dataflow=False)
    assert [e for e in plain if e["ph"] not in "MX"] == []
    assert _trace(_two_device_stats(), show_memory=True) == _trace(_two_device_stats())


def test_output_does_not_depend_on_stats_order():
    expected = Timeline(_two_device_stats()).generate_chrome_trace_format()
    for seed in range(3):
        shuffled = Timeline(_two_device_stats(seed)).generate_chrome_trace_format()
        assert shuffled == expected


def test_unparseable_label_is_an_unknown_op_as_in_tensorflow():
    stats = StepStats([DeviceStepStats(CPU, [_ns("", 5, 2, 0)])])
    stats.dev_stats[0].node_stats[0].node_name = "odd"
    (op,) = [e for e in _trace(stats) if e["ph"] == "X"]
    assert (op["name"], op["args"]) == ("unknown", {"name": "odd", "op": "unknown"})


def test_timeline_rejects_run_metadata_with_a_hint():
    with pytest.raises(TypeError, match=r"pass run_metadata\.step_stats"):
        Timeline(tf.RunMetadata())


def test_traced_session_on_two_logical_cpus_gives_one_process_per_device():
    outs = []
    for i in range(2):
        with tf.device(f"/cpu:{i}"):
            x = tf.constant([[1.0, 2.0], [3.0, 4.0]]) * float(i + 1)
            outs.append(tf.tanh(tf.matmul(x, x)))
    total = tf.add_n(outs)
    run_metadata = tf.RunMetadata()
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        sess.run(total, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=run_metadata)
    from flowexec import timeline

    events = json.loads(
        timeline.Timeline(run_metadata.step_stats).generate_chrome_trace_format())["traceEvents"]
    used = {ds.device for ds in run_metadata.step_stats.dev_stats}
    assert {d.rsplit("/", 1)[-1] for d in used} == {"device:CPU:0", "device:CPU:1"}
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert sorted(processes.values()) == sorted(d + " Compute" for d in used)
    ops = [e for e in events if e["ph"] == "X"]
    assert len(ops) == sum(len(ds.node_stats) for ds in run_metadata.step_stats.dev_stats)
    assert {e["pid"] for e in ops} == set(processes)
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    ends = {e["id"]: e for e in events if e["ph"] == "t"}
    assert set(starts) == set(ends)
    assert any(starts[i]["pid"] != ends[i]["pid"] for i in starts)  # the sum crosses devices


def _load_gantt():
    spec = importlib.util.spec_from_file_location("gantt_script", GANTT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gantt_script_draws_the_demo_step(tmp_path):
    pytest.importorskip("matplotlib", reason="scripts/gantt.py draws with matplotlib")
    png, trace = tmp_path / "step.png", tmp_path / "step.json"
    result = subprocess.run(
        [sys.executable, GANTT, "--chains", "2", "--depth", "1", "--logical-cpus", "2",
         "--out", str(png), "--trace-out", str(trace)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    events = json.loads(trace.read_text())["traceEvents"]
    assert sum(e["name"] == "MatMul" for e in events if e["ph"] == "X") == 2
    assert f"chart: {png}" in result.stdout
    assert "2 device(s)" in result.stdout and "overlap" in result.stdout


def test_gantt_script_reads_a_trace_and_summarizes_it(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="scripts/gantt.py draws with matplotlib")
    trace = tmp_path / "t.json"
    trace.write_text(Timeline(_two_device_stats()).generate_chrome_trace_format())
    png = tmp_path / "t.png"
    assert _load_gantt().main(["--trace", str(trace), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # 8 ops, 56 µs of op time over the 101 µs from a's start to g's end
    assert ("8 ops on 2 device(s), 4 lane(s); step 0.10 ms; sum of op times 0.06 ms; "
            "overlap 0.55x") in capsys.readouterr().out


def test_gantt_script_without_matplotlib_says_how_to_install_it(tmp_path):
    code = ("import runpy, sys; sys.modules['matplotlib'] = None; "
            f"sys.argv = ['gantt.py', '--trace', 'missing.json']; "
            f"runpy.run_path({GANTT!r}, run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "pip install matplotlib" in result.stderr


def test_a_fused_label_names_the_slice_after_its_user_ops_and_keeps_its_inputs():
    stats = StepStats([DeviceStepStats(CPU, [
        _ns("a = Const()", 100, 10, 0),
        _ns("y = _FusedElementwise[t:Tanh, y:Add](a, x)", 120, 10, 1),
        _ns("z = _FusedElementwise[broken(a)", 140, 10, 1),
    ])])
    ops = {e["args"]["name"]: e for e in _trace(stats) if e["ph"] == "X"}
    assert ops["y"]["name"] == "_FusedElementwise(Tanh, Add)"
    assert ops["y"]["args"] == {"name": "y", "op": "_FusedElementwise", "input0": "a",
                                "input1": "x", "fused_ops": ["t:Tanh", "y:Add"]}
    assert ops["z"]["name"] == "unknown" and "fused_ops" not in ops["z"]["args"]
    flows = [e for e in _trace(stats) if e["ph"] in "st"]
    assert [(e["ph"], e["name"]) for e in flows] == [("s", "a"), ("t", "a")]
