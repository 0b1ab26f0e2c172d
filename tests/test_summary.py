"""tf.summary: summary ops and FileWriter, checked by reading the event files back with
TensorBoard's own reader (EventAccumulator), the way TensorBoard itself loads a logdir."""

import bisect
import glob
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard", reason="tf.summary needs the optional 'tensorboard' extra")

from tensorboard.backend.event_processing.event_accumulator import (
    EventAccumulator,
)
from tensorboard.compat.proto import graph_pb2, summary_pb2, types_pb2

import flowexec as tf
from flowexec import summary


def _load(logdir):
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    return acc


def _event_files(logdir):
    return sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))


def _parse(serialized):
    s = summary_pb2.Summary()
    s.ParseFromString(serialized)
    return s


def _tf_histogram(values):
    """TF's histogram.cc, value by value: the oracle for summary.histogram_proto."""
    limits, v = [], 1.0e-12
    while v < 1.0e20:
        limits.append(v)
        v *= 1.1
    limits = [-x for x in reversed(limits + [sys.float_info.max])] + [0.0] + limits + \
        [sys.float_info.max]
    counts = [0.0] * len(limits)
    for x in values:
        counts[min(bisect.bisect_right(limits, x), len(limits) - 1)] += 1
    out_limits, out_counts, i = [], [], 0
    while i < len(counts):
        end, count = limits[i], counts[i]
        i += 1
        if count <= 0:
            while i < len(counts) and counts[i] <= 0:
                end, count = limits[i], counts[i]
                i += 1
        out_limits.append(end)
        out_counts.append(count)
    return out_limits, out_counts


# ----- the whole path: graph + scalars over steps + histogram -> TensorBoard's reader --------
def test_file_writer_round_trip_through_tensorboard_reader(tmp_path):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    with tf.name_scope("layer1"):
        with tf.device("/device:CPU:0"):
            w = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
        y = tf.matmul(x, w)
    marker = tf.no_op(name="marker")
    with tf.control_dependencies([marker]):
        total = tf.reduce_sum(y, name="total")
    loss_summary = tf.summary.scalar("loss", total)
    hist_summary = tf.summary.histogram("activations", y)
    merged = tf.summary.merge_all()
    graph = tf.get_default_graph()

    feeds = [np.full((2, 3), step, np.float32) for step in range(4)]
    with tf.Session() as sess:
        writer = tf.summary.FileWriter(str(tmp_path / "logs"), sess.graph)
        for step, feed in enumerate(feeds):
            writer.add_summary(sess.run(merged, {x: feed}), global_step=step * 10)
        writer.close()

    assert len(_event_files(tmp_path / "logs")) == 1
    acc = _load(tmp_path / "logs")
    assert acc.Tags()["scalars"] == ["loss"]
    assert acc.Tags()["histograms"] == ["activations"]
    assert acc.Tags()["graph"] is True

    expected = [float((f @ np.arange(6).reshape(3, 2)).sum()) for f in feeds]
    scalars = acc.Scalars("loss")
    assert [e.step for e in scalars] == [0, 10, 20, 30]
    np.testing.assert_allclose([e.value for e in scalars], expected, rtol=1e-6)

    hists = acc.Histograms("activations")
    assert [h.step for h in hists] == [0, 10, 20, 30]
    for h, feed in zip(hists, feeds):
        act = (feed @ np.arange(6, dtype=np.float32).reshape(3, 2)).astype(np.float64)
        hv = h.histogram_value
        assert hv.num == act.size
        assert hv.sum == pytest.approx(act.sum())
        assert hv.sum_squares == pytest.approx((act ** 2).sum())
        assert (hv.min, hv.max) == (act.min(), act.max())
        assert sum(hv.bucket) == act.size

    gd = acc.Graph()
    nodes = {n.name: n for n in gd.node}
    assert [n.name for n in gd.node] == [op.name for op in graph.get_operations()]
    assert nodes["x"].op == "Placeholder"
    assert nodes["x"].attr["dtype"].type == types_pb2.DT_FLOAT
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 3]
    assert nodes["layer1/w"].op == "Const"
    assert nodes["layer1/w"].device == "/device:CPU:0"
    content = nodes["layer1/w"].attr["value"].tensor.tensor_content
    np.testing.assert_array_equal(np.frombuffer(content, np.float32), np.arange(6))
    matmul = nodes[y.op.name]
    assert matmul.op == "MatMul" and matmul.name.startswith("layer1/")
    assert list(matmul.input) == ["x", "layer1/w"]
    assert matmul.device == ""
    assert matmul.attr["T"].type == types_pb2.DT_FLOAT
    assert [[d.size for d in s.dim] for s in matmul.attr["_output_shapes"].list.shape] == \
        [[-1, 2]]
    # TF's rule: reduce_sum's axis Const is made inside control_dependencies([marker]) and
    # gets ^marker; `total` depends on that Const, so it needs no control input of its own.
    assert list(nodes["total"].input) == [y.op.name, "Const"]
    assert list(nodes["Const"].input) == ["^marker"]
    assert nodes["marker"].op == "NoOp" and "_output_shapes" not in nodes["marker"].attr
    assert nodes["loss"].op == "ScalarSummary"
    assert list(nodes["loss"].input) == ["loss/tags", total.op.name]
    assert nodes["loss"].device == "/device:CPU:0"
    assert nodes["activations"].op == "HistogramSummary"
    assert nodes[merged.op.name].op == "MergeSummary"
    assert list(nodes[merged.op.name].input) == ["loss", "activations"]
    assert loss_summary.op.name == "loss" and hist_summary.op.name == "activations"


def test_summary_ops_return_serialized_summary_strings():
    v = tf.constant([1.0, -2.0, 0.0, 4.0])
    s = tf.summary.scalar("first", v[0])
    h = tf.summary.histogram("values", v)
    assert s.dtype == tf.string and s.shape.as_list() == []
    assert h.dtype == tf.string and h.shape.as_list() == []
    with tf.Session() as sess:
        s_out, h_out = sess.run([s, h])
    assert isinstance(s_out, bytes)
    parsed = _parse(s_out)
    assert [(val.tag, val.simple_value) for val in parsed.value] == [("first", 1.0)]
    histo = _parse(h_out).value[0].histo
    assert (histo.num, histo.sum, histo.min, histo.max) == (4, 3.0, -2.0, 4.0)


def test_zero_scalar_survives_as_bytes():
    # A serialized 0.0 ends in NUL bytes, which numpy's fixed-width bytes would strip.
    s = tf.summary.scalar("zero", tf.constant(0.0))
    with tf.Session() as sess:
        out = sess.run(s)
    assert out.endswith(b"\x00\x00\x00\x00")
    assert _parse(out).value[0].simple_value == 0.0


# ----- names, tags, collections --------------------------------------------------------------
def test_summary_names_and_tags_follow_tf1():
    c = tf.constant(1.0)
    with tf.name_scope("train"):
        a = tf.summary.scalar("loss", c)
        b = tf.summary.scalar("loss", c)
    d = tf.summary.scalar("acc", c, family="eval")
    with pytest.warns(UserWarning, match="Summary name bad name! is illegal; using bad_name_"):
        e = tf.summary.scalar("bad name!", c)
    assert [a.op.name, b.op.name, d.op.name, e.op.name] == \
        ["train/loss", "train/loss_1", "eval/acc", "bad_name_"]
    assert a.op.inputs[0].op.name == "train/loss/tags"
    with tf.Session() as sess:
        tags = [_parse(v).value[0].tag for v in sess.run([a, b, d, e])]
    assert tags == ["train/loss", "train/loss_1", "eval/eval/acc", "bad_name_"]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [a, b, d, e]


def test_python_value_is_converted_inside_the_summary_scope():
    s = tf.summary.scalar("lr", 0.5)
    assert s.op.inputs[1].op.name == "lr/values"
    with tf.Session() as sess:
        assert _parse(sess.run(s)).value[0].simple_value == 0.5


def test_collections_argument_controls_membership():
    c = tf.constant(1.0)
    s = tf.summary.scalar("a", c, collections=["mine"])
    t = tf.summary.histogram("b", c, collections=[])
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == []
    assert tf.get_collection("mine") == [s]
    m = tf.summary.merge([s, t], collections=["merged"])
    assert m.op.name == "Merge/MergeSummary"
    assert tf.get_collection("merged") == [m]


def test_merge_all_scope_name_and_empty_collection():
    assert tf.summary.merge_all() is None
    c = tf.constant(1.0)
    with tf.name_scope("a"):
        tf.summary.scalar("x", c)
    with tf.name_scope("b"):
        tf.summary.scalar("x", c)
    only_a = tf.summary.merge_all(scope="a/")
    named = tf.summary.merge_all(name="all")
    assert named.op.name == "all/all"
    with tf.Session() as sess:
        a_out, all_out = sess.run([only_a, named])
    assert [v.tag for v in _parse(a_out).value] == ["a/x"]
    assert [v.tag for v in _parse(all_out).value] == ["a/x", "b/x"]


def test_summaries_placed_on_cpu_under_other_device_scopes():
    with tf.device("/device:CPU:1"):
        v = tf.constant([1.0, 2.0]) * 2.0
        h = tf.summary.histogram("v", v)
    assert h.op.device.endswith("device:CPU:0")
    assert v.op.device.endswith("device:CPU:1")
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        assert _parse(sess.run(h)).value[0].histo.sum == 6.0


# ----- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [True, "text", 1 + 2j])
def test_non_real_values_fail_at_build_time(value):
    with pytest.raises(TypeError, match="Value passed to parameter 'values' has DataType"):
        tf.summary.scalar("s", tf.constant(value))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.summary.histogram("h", tf.constant(value))


def test_scalar_of_a_vector_fails_at_run_time():
    s = tf.summary.scalar("v", tf.constant([1.0, 2.0]))
    with tf.Session() as sess, pytest.raises(
            tf.errors.InvalidArgumentError,
            match=r"tags and values not the same shape: \[\] != \[2\] \(tag 'v'\)"):
        sess.run(s)


def test_histogram_of_nan_fails_at_run_time():
    x = tf.placeholder(tf.float32, [None])
    h = tf.summary.histogram("weights", x)
    with tf.Session() as sess:
        sess.run(h, {x: [1.0, 2.0]})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Nan in summary histogram for: weights"):
            sess.run(h, {x: [1.0, np.nan]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="Nan in summary histogram"):
            sess.run(h, {x: [np.inf]})


def test_merge_rejects_duplicate_tags_at_run_time():
    s = tf.summary.scalar("dup", tf.constant(1.0))
    m = tf.summary.merge([s, s])
    with tf.Session() as sess, pytest.raises(
            tf.errors.InvalidArgumentError, match="Duplicate tag dup found in summary inputs"):
        sess.run(m)


def test_merge_rejects_non_string_inputs_at_build_time():
    with pytest.raises(TypeError, match="expected type of string"):
        tf.summary.merge([tf.constant(1.0)])


# ----- histogram buckets ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_histogram_buckets_match_tensorflow(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.normal(0, 3, 200), rng.exponential(1e-6, 20),
                             [0.0, 0.0, -1e-13, 1e-12, 5e25, -sys.float_info.max]])
    proto = summary.histogram_proto(values)
    limits, counts = _tf_histogram(values)
    assert list(proto.bucket_limit) == limits
    assert list(proto.bucket) == counts
    assert proto.num == values.size and proto.sum == pytest.approx(values.sum())
    assert (proto.min, proto.max) == (values.min(), values.max())


def test_histogram_of_nothing_has_one_empty_bucket():
    proto = summary.histogram_proto([])
    assert list(proto.bucket) == [0.0]
    assert list(proto.bucket_limit) == [sys.float_info.max]
    assert proto.num == 0


# ----- FileWriter behaviour ------------------------------------------------------------------
def test_add_summary_accepts_proto_bytes_and_run_results(tmp_path):
    proto = summary.Summary(value=[summary.Summary.Value(tag="p", simple_value=1.0)])
    s = tf.summary.scalar("q", tf.constant(2.0))
    with tf.Session() as sess:
        fetched = sess.run(s)
    with tf.summary.FileWriter(tmp_path) as writer:
        writer.add_summary(proto, 1)
        writer.add_summary(proto.SerializeToString(), 2)
        writer.add_summary(fetched, 3)
        writer.add_summary(np.array(fetched, dtype=object), 4)
        with pytest.raises(TypeError, match="add_summary expects a Summary proto"):
            writer.add_summary(3.0)
    acc = _load(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("p")] == [(1, 1.0), (2, 1.0)]
    assert [(e.step, e.value) for e in acc.Scalars("q")] == [(3, 2.0), (4, 2.0)]


def test_close_reopen_flush_and_logdir(tmp_path):
    writer = tf.summary.FileWriter(tmp_path / "run", filename_suffix=".v1")
    assert writer.get_logdir() == str(tmp_path / "run")
    one = summary.Summary(value=[summary.Summary.Value(tag="t", simple_value=1.0)])
    writer.add_summary(one, 0)
    writer.flush()
    assert _load(tmp_path / "run").Scalars("t")[0].value == 1.0
    writer.close()
    writer.close()
    with pytest.warns(UserWarning, match="Attempting to use a closed FileWriter"):
        writer.add_summary(one, 1)
    writer.reopen()
    writer.add_summary(one, 2)
    writer.close()
    files = _event_files(tmp_path / "run")
    assert len(files) == 2 and all(f.endswith(".v1") for f in files)
    # two files of one second: the loader reads them in name order, and tensorboard's
    # names end in a process-wide counter (".9" sorts after ".10"), so compare as a set
    assert sorted(e.step for e in _load(tmp_path / "run").Scalars("t")) == [0, 2]


def test_graph_arguments(tmp_path):
    g = tf.Graph()
    with g.as_default():
        tf.constant(1, name="one")
    gd = summary.graph_def_proto(g)
    with pytest.raises(ValueError, match="only graph, or graph_def"):
        tf.summary.FileWriter(tmp_path, graph=g, graph_def=gd)
    with pytest.raises(TypeError, match="must be an instance of `Graph`"):
        tf.summary.FileWriter(tmp_path, graph="not a graph")
    with tf.summary.FileWriter(tmp_path / "a", graph_def=gd) as writer, \
            pytest.raises(TypeError, match="pass either graph or graph_def"):
        writer.add_graph(None)
    with tf.summary.FileWriter(tmp_path / "b") as writer:
        writer.add_graph(g, global_step=7)
    for sub in ("a", "b"):
        assert [n.name for n in _load(tmp_path / sub).Graph().node] == ["one"]


def test_graph_def_attributes():
    big = tf.constant(np.zeros(300_000, np.float32), name="big")
    s = tf.constant(["a", "bc"], name="strings")
    p = tf.placeholder(tf.int64, None, name="anything")
    gd = summary.graph_def_proto(tf.get_default_graph())
    assert isinstance(gd, graph_pb2.GraphDef)
    nodes = {n.name: n for n in gd.node}
    big_value = nodes[big.op.name].attr["value"].tensor
    assert big_value.tensor_content == b"" and big_value.tensor_shape.dim[0].size == 300_000
    assert list(nodes[s.op.name].attr["value"].tensor.string_val) == [b"a", b"bc"]
    assert nodes[p.op.name].attr["shape"].shape.unknown_rank
    assert nodes[p.op.name].attr["_output_shapes"].list.shape[0].unknown_rank
    assert nodes[p.op.name].attr["dtype"].type == types_pb2.DT_INT64
    no_shapes = summary.graph_def_proto(tf.get_default_graph(), add_shapes=False)
    assert all("_output_shapes" not in n.attr for n in no_shapes.node)


def test_run_metadata_and_session_log(tmp_path):
    a = tf.constant(2.0, name="a")
    b = tf.multiply(a, 3.0, name="b")
    md = tf.RunMetadata()
    with tf.Session() as sess:
        sess.run(b, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=md)
    with tf.summary.FileWriter(tmp_path, tf.get_default_graph()) as writer:
        writer.add_run_metadata(md, "step0", global_step=0)
        writer.add_session_log(summary.SessionLog(status=summary.SessionLog.START), 0)
    acc = _load(tmp_path)
    assert acc.Tags()["run_metadata"] == ["step0"]
    stats = acc.RunMetadata("step0").step_stats
    names = {n.node_name for d in stats.dev_stats for n in d.node_stats}
    assert {"a", "b"} <= names
    assert all(d.device.endswith("device:CPU:0") for d in stats.dev_stats)


def test_file_writer_cache_shares_one_writer(tmp_path):
    try:
        w1 = summary.FileWriterCache.get(tmp_path)
        assert summary.FileWriterCache.get(str(tmp_path)) is w1
    finally:
        summary.FileWriterCache.clear()
    assert w1._closed


def test_unclosed_writer_is_flushed_at_exit(tmp_path):
    script = (
        "import sys\n"
        "import flowexec.summary as s\n"
        "w = s.FileWriter(sys.argv[1], flush_secs=1000, max_queue=1000)\n"
        "for i in range(5):\n"
        "    w.add_summary(s.Summary(value=[s.Summary.Value(tag='t', simple_value=i)]), i)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, env=env,
                   timeout=120)
    assert [e.step for e in _load(tmp_path).Scalars("t")] == [0, 1, 2, 3, 4]
