"""export_meta_graph / import_meta_graph / Saver(write_meta_graph=True)."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import protos
from tests.graph_io.helpers import DATA, mlp, numpy_mlp

pytest.importorskip("tensorboard")


def test_tf_meta_graph_imports_with_collections_and_variables():
    ref = np.load(os.path.join(DATA, "mlp.npz"))
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(os.path.join(DATA, "mlp.meta"))
        assert saver is not None
        assert [v.op.name for v in tf.trainable_variables()] == [
            "layer1/w", "layer1/b", "layer2/w", "layer2/b"]
        assert [t.name for t in tf.get_collection("outputs")] == ["probs:0"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_allclose(sess.run("probs:0", {"x:0": ref["x"]}), ref["probs"],
                                       rtol=1e-5)


def test_saver_writes_meta_and_restores_into_the_imported_graph(tmp_path):
    xs = np.random.RandomState(4).randn(3, 4).astype(np.float32)
    prefix = str(tmp_path / "model.ckpt")
    with tf.Graph().as_default():
        x, y, init = mlp()
        tf.add_to_collection("y", y)
        tf.add_to_collection("numbers", 3)
        with tf.Session() as sess:
            sess.run(init)
            sess.run(tf.assign(tf.global_variables()[0], tf.zeros([4, 5])))
            want = sess.run(y, {x: xs})
            path = tf.train.Saver().save(sess, prefix, global_step=1)
    assert os.path.exists(path + ".meta")
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(path + ".meta", clear_devices=True)
        y2, = tf.get_collection("y")
        assert tf.get_collection("numbers") == [3]
        with tf.Session() as sess:
            saver.restore(sess, path)
            np.testing.assert_array_equal(sess.run(y2, {"x:0": xs}), want)
    assert not np.allclose(want, numpy_mlp(xs))  # the restore brought the assigned zeros


def test_import_scope_and_text_format(tmp_path):
    with tf.Graph().as_default():
        mlp()
        tf.train.export_meta_graph(str(tmp_path / "m.pbtxt"), as_text=True)
    with tf.Graph().as_default():
        tf.train.import_meta_graph(str(tmp_path / "m.pbtxt"), import_scope="net")
        assert tf.global_variables()[0].name == "net/layer1/w:0"


def test_corrupt_meta_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.meta"
    bad.write_bytes(b"\xff\x00garbage\x12")
    with tf.Graph().as_default(), pytest.raises(OSError, match="Cannot parse file .*bad.meta"):
        tf.train.import_meta_graph(str(bad))


def test_variable_def_round_trip():
    with tf.Graph().as_default():
        v = tf.Variable([1.0], name="v")
        vd = v.to_proto()
        assert isinstance(vd, protos.proto_class("VariableDef"))
        assert (vd.variable_name, vd.initializer_name, vd.snapshot_name) == (
            "v:0", "v/Assign", "v/read:0")
        w = tf.Variable.from_proto(vd)
        assert w.op is v.op and w.initializer is v.initializer
