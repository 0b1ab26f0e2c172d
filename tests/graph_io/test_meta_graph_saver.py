"""`.meta` files as TF writes them: the Saver's SaverDef (naming TF's saver ops, which flowexec
builds and runs) and stripped_op_list; import_meta_graph gives back a Saver that restores
through the SaverDef's ops, for TF's files (tests/data/tf1/saver/) and flowexec's."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import meta_graph, protos
from tests.graph_io.helpers import DATA

pytest.importorskip("tensorboard")

TF_DIR = os.path.join(DATA, "saver")


def _ref():
    return np.load(os.path.join(TF_DIR, "values.npz"))


def _meta(path):
    return protos.proto_class("MetaGraphDef").FromString(open(path, "rb").read())


def test_tfs_meta_restores_through_its_saver_def_and_trains_as_tf():
    ref = _ref()
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(os.path.join(TF_DIR, "mlp.ckpt.meta"))
        sd = saver.saver_def
        assert (sd.filename_tensor_name, sd.save_tensor_name, sd.restore_op_name) == (
            "save/Const:0", "save/control_dependency:0", "save/restore_all")
        assert g.get_operation_by_name("save/RestoreV2").type == "RestoreV2"
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(TF_DIR, "mlp_checkpoint"))
            np.testing.assert_allclose(sess.run("y:0", {"x:0": ref["x"]}), ref["y"],
                                       rtol=1e-5, atol=1e-6)
            sess.run(g.get_collection("train_op")[0], {"x:0": ref["x"], "t:0": ref["t"]})
            np.testing.assert_allclose(sess.run("y:0", {"x:0": ref["x"]}), ref["y_next"],
                                       rtol=1e-5, atol=1e-6)


def test_restore_by_running_the_saver_def_ops_by_name(tmp_path):
    ref = _ref()
    with tf.Graph().as_default():
        meta = _meta(os.path.join(TF_DIR, "mlp.ckpt.meta"))
        tf.train.import_meta_graph(meta)
        sd = meta.saver_def
        with tf.Session() as sess:
            sess.run(sd.restore_op_name,
                     {sd.filename_tensor_name: os.path.join(TF_DIR, "mlp.ckpt")})
            y = sess.run("y:0", {"x:0": ref["x"]})
            # TF's save tensor: running it writes a V2 checkpoint at the fed prefix.
            path = str(tmp_path / "again")
            assert sess.run(sd.save_tensor_name, {sd.filename_tensor_name: path}) == \
                path.encode()
        reader = tf.train.NewCheckpointReader(path)
        assert sorted(reader.get_variable_to_shape_map()) == [
            "b1", "global_step", "w1", "w2"]
        assert reader.get_tensor("global_step") == 2
    np.testing.assert_allclose(y, ref["y"], rtol=1e-5, atol=1e-6)


def test_sharded_tf_saver_def_is_replaced_by_a_saver_over_the_variables():
    want = _ref()
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(os.path.join(TF_DIR, "sharded.ckpt-3.meta"))
        assert not any(op.type in ("MergeV2Checkpoints", "ShardedFilename")
                       for op in tf.get_default_graph().get_operations())
        with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
            saver.restore(sess, os.path.join(TF_DIR, "sharded.ckpt-3"))
            assert sess.run("title:0") == b"a scalar string"
            np.testing.assert_array_equal(sess.run("dense/kernel:0"), want["dense__kernel"])


def test_saved_meta_has_tfs_saver_def_and_stripped_op_list(tmp_path):
    w = tf.Variable(np.ones((2, 3), np.float32), name="w")
    tf.identity(tf.matmul(tf.placeholder(tf.float32, [None, 2], name="x"), w), name="y")
    saver = tf.train.Saver(max_to_keep=3, keep_checkpoint_every_n_hours=2.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    meta = _meta(path + ".meta")
    sd = meta.saver_def
    assert (sd.filename_tensor_name, sd.save_tensor_name, sd.restore_op_name, sd.max_to_keep,
            sd.keep_checkpoint_every_n_hours, sd.version, sd.sharded) == (
        "save/Const:0", "save/control_dependency:0", "save/restore_all", 3, 2.0, 2, False)
    nodes = {n.name: n for n in meta.graph_def.node}
    assert nodes["save/RestoreV2"].device == "/device:CPU:0"
    assert list(nodes["save/SaveV2"].input) == [
        "save/Const", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", "w"]
    assert list(nodes["save/restore_all"].input) == ["^save/Assign"]
    ops = [op.name for op in meta.meta_info_def.stripped_op_list.op]
    assert ops == sorted({n.op for n in meta.graph_def.node})
    # The OpDefs are TF's (as TF's own meta graph lists them, but for TF-internal full types).
    theirs = {op.name: op for op in
              _meta(os.path.join(TF_DIR, "mlp.ckpt.meta")).meta_info_def.stripped_op_list.op}
    for op in meta.meta_info_def.stripped_op_list.op:
        if op.name in theirs:
            other = type(op).FromString(theirs[op.name].SerializeToString())
            for arg in list(other.input_arg) + list(other.output_arg):
                arg.ClearField("experimental_full_type")
            assert op == other, op.name


def test_flowexec_meta_round_trip_restores_saves_and_restores_again(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable([1.0, 2.0], name="v")
        s = tf.Variable([b"a", b"b\x00c"], name="s")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(v.assign([5.0, 6.0]))
            first = saver.save(sess, str(tmp_path / "m"), global_step=1)
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(first + ".meta", import_scope="net")
        assert saver.saver_def.restore_op_name == "net/save/restore_all"
        with tf.Session() as sess:
            saver.restore(sess, first)
            assert sess.run("net/v:0").tolist() == [5.0, 6.0]
            second = saver.save(sess, str(tmp_path / "m"), global_step=2)  # through SaveV2
        again = meta_graph.export_meta_graph(graph=g, saver_def=saver.saver_def)
    assert tf.train.latest_checkpoint(str(tmp_path)) == second
    reader = tf.train.NewCheckpointReader(second)
    assert reader.get_tensor("v").tolist() == [5.0, 6.0]
    assert reader.get_tensor("s").tolist() == [b"a", b"b\x00c"]
    assert again.saver_def.restore_op_name == "net/save/restore_all"


def test_restore_through_saver_def_reports_a_missing_key(tmp_path):
    with tf.Graph().as_default():
        tf.Variable(1.0, name="other")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(os.path.join(TF_DIR, "mlp.ckpt.meta"))
        with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError,
                                                 match="Key b1 not found in checkpoint"):
            saver.restore(sess, path)
