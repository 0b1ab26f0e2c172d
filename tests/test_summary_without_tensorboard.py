"""tf.summary without the tensorboard package: summary ops build, and only what truly needs
tensorboard (serializing a Summary, a FileWriter, a GraphDef export) fails, saying what to
install. Runs whether or not tensorboard is installed: it is hidden for each test."""

import sys

import pytest

import flowexec as tf
from flowexec.summary import protos


@pytest.fixture
def no_tensorboard(monkeypatch):
    monkeypatch.setattr(protos._Protos, "_loaded", None)  # forget a tensorboard loaded before
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboard"] + ["tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)  # and make it unimportable


def test_summary_ops_build_without_tensorboard(no_tensorboard):
    x = tf.placeholder(tf.float32, [None], name="x")
    s = tf.summary.scalar("mean", tf.reduce_mean(x))
    h = tf.summary.histogram("x", x)
    merged = tf.summary.merge_all()
    assert (s.op.type, h.op.type, merged.op.type) == (
        "ScalarSummary", "HistogramSummary", "MergeSummary")
    assert s.dtype == tf.string and s.shape.as_list() == []
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [s, h]
    with tf.Session() as sess:  # the rest of the graph runs as usual
        assert sess.run(tf.reduce_mean(x), {x: [1.0, 3.0]}) == 2.0


@pytest.mark.parametrize("which", ["scalar", "histogram", "merge"])
def test_running_a_summary_op_fails_naming_the_package(no_tensorboard, which):
    x = tf.constant([1.0, 2.0])
    op = {"scalar": lambda: tf.summary.scalar("s", tf.reduce_sum(x)),
          "histogram": lambda: tf.summary.histogram("h", x),
          "merge": lambda: tf.summary.merge([tf.constant(b"")])}[which]()
    with tf.Session() as sess, pytest.raises(
            tf.errors.FailedPreconditionError,
            match=r"pip install tensorboard .*flowexec\[tensorboard\]") as exc:
        sess.run(op)
    assert f"{op.op.type} cannot serialize its Summary" in str(exc.value)
    assert exc.value.op is op.op


def test_file_writer_and_graph_def_raise_import_error(no_tensorboard, tmp_path):
    with pytest.raises(ImportError, match=r"pip install tensorboard .*flowexec\[tensorboard\]"):
        tf.summary.FileWriter(str(tmp_path))
    with pytest.raises(ImportError, match="pip install tensorboard"):
        tf.summary.graph_def_proto(tf.get_default_graph())
    with pytest.raises(ImportError, match="pip install tensorboard"):
        tf.summary.Summary  # noqa: B018 - the lazily loaded proto class
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        tf.summary.NoSuchThing  # noqa: B018
    assert not list(tmp_path.iterdir())
