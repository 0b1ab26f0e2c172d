"""tf.train.Saver with TF's V2 format (the default): the files are byte for byte what TF writes
for the same variables (one shard and sharded=True, strings, the state file), TF's files
(tests/data/tf1/saver/, scripts/make_tf_saver_fixtures.py) restore, and damage is
DataLossError naming the file."""

import os
import shutil

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import bundle
from scripts.make_tf_saver_fixtures import values
from tests.graph_io.helpers import DATA

TF_DIR = os.path.join(DATA, "saver")
TWO_CPUS = tf.ConfigProto(device_count={"CPU": 2})


def _variables(zeros=False):
    made = {}
    for name, (device, value) in values().items():
        with tf.device(device):
            made[name] = tf.Variable(np.zeros_like(value) if zeros else value, name=name)
    return made


def _same(got, want):
    got = np.asarray(got)
    return (got.dtype == want.dtype or want.dtype.kind == "S") and got.tolist() == want.tolist()


@pytest.mark.parametrize("prefix, sharded", [("one.ckpt", False), ("sharded.ckpt-3", True)])
def test_files_are_byte_identical_to_tfs(tmp_path, prefix, sharded):
    _variables()
    saver = tf.train.Saver(sharded=sharded, save_relative_paths=True)
    with tf.Session(config=TWO_CPUS) as sess:
        sess.run(tf.global_variables_initializer())
        step = 3 if sharded else None
        path = saver.save(sess, str(tmp_path / prefix.split("-")[0]), global_step=step,
                          write_meta_graph=False)
    assert path == str(tmp_path / prefix)
    tf_files = sorted(n for n in os.listdir(TF_DIR) if n.startswith(prefix + ".")
                      and not n.endswith(".meta"))
    assert sorted(os.listdir(tmp_path)) == sorted(tf_files + ["checkpoint"])
    for name in tf_files:
        assert (tmp_path / name).read_bytes() == open(os.path.join(TF_DIR, name), "rb").read()
    if sharded:  # TF's state file of the same save
        assert (tmp_path / "checkpoint").read_bytes() == open(
            os.path.join(TF_DIR, "checkpoint"), "rb").read()


@pytest.mark.parametrize("prefix", ["one.ckpt", "sharded.ckpt-3"])
def test_restores_tfs_checkpoints(prefix):
    made = _variables(zeros=True)
    with tf.Session(config=TWO_CPUS) as sess:
        tf.train.Saver().restore(sess, os.path.join(TF_DIR, prefix))
        for name, (_, want) in values().items():
            assert _same(sess.run(made[name]), want), name


def test_latest_checkpoint_reads_tfs_state_file():
    assert tf.train.latest_checkpoint(TF_DIR) == os.path.join(TF_DIR, "sharded.ckpt-3")
    assert tf.train.latest_checkpoint(TF_DIR, "mlp_checkpoint") == os.path.join(
        TF_DIR, "mlp.ckpt")
    reader = tf.train.load_checkpoint(TF_DIR)
    assert reader.get_tensor("title") == b"a scalar string"
    assert reader.get_tensor("words").tolist() == values()["words"][1].tolist()


def test_strings_with_nul_bytes_and_every_dtype_round_trip(tmp_path):
    s = tf.Variable(np.array([b"a\x00", b"", "\u00e9".encode()], dtype=object), name="s")
    h = tf.Variable(np.array([0.5, 2.0], np.float16), name="h")
    u = tf.Variable(np.array([1, 255], np.uint8), name="u")
    c = tf.Variable(np.array([1 + 2j], np.complex64), name="c")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        want = sess.run([s, h, u, c])
        path = saver.save(sess, str(tmp_path / "m"))
        sess.run([s.assign(np.array([b"", b"", b""], dtype=object)), h.assign([0.0, 0.0])])
        saver.restore(sess, path)
        got = sess.run([s, h, u, c])
    assert list(got[0]) == [b"a\x00", b"", "\u00e9".encode()]
    for g, w in zip(got[1:], want[1:]):
        assert g.dtype == w.dtype and np.array_equal(g, w)


def test_either_format_restores_transparently(tmp_path):
    w = tf.Variable([1.0, 2.0], name="w")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        own = tf.train.Saver(write_version=tf.train.SaverDef.V1).save(sess, str(tmp_path / "a"))
        tfs = tf.train.Saver().save(sess, str(tmp_path / "b"))
        assert bundle.is_bundle(tfs) and not bundle.is_bundle(own)
        for path in (own, tfs):
            sess.run(w.assign([0.0, 0.0]))
            tf.train.Saver().restore(sess, path)
            np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])


def test_max_to_keep_deletes_old_bundles(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model.ckpt")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in (10, 20, 30):
            saver.save(sess, prefix, global_step=step)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint"] + sorted(
        f"model.ckpt-{s}{suffix}" for s in (20, 30)
        for suffix in (".data-00000-of-00001", ".index", ".meta"))
    tf.train.remove_checkpoint(prefix + "-20")
    assert not any(n.startswith("model.ckpt-20") for n in os.listdir(tmp_path))


def test_sharded_save_writes_one_data_file_per_device(tmp_path):
    with tf.device("/cpu:0"):
        a = tf.Variable([1.0], name="a")
    with tf.device("/cpu:1"):
        b = tf.Variable([2.0], name="b")
    saver = tf.train.Saver(sharded=True)
    with tf.Session(config=TWO_CPUS) as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
        reader = bundle.BundleReader(path)
        assert reader.num_shards == 2
        assert (reader.entries["a"]["shard"], reader.entries["b"]["shard"]) == (0, 1)
        sess.run([a.assign([0.0]), b.assign([0.0])])
        saver.restore(sess, path)
        assert sess.run([a, b]) == [[1.0], [2.0]]


@pytest.mark.parametrize("damage", ["lengths", "length_crc", "body", "shard_missing"])
def test_damaged_string_tensor_or_missing_shard_is_an_error_naming_the_file(tmp_path, damage):
    for name in os.listdir(TF_DIR):
        if name.startswith("sharded.ckpt-3."):
            shutil.copy(os.path.join(TF_DIR, name), tmp_path / name)
    prefix = str(tmp_path / "sharded.ckpt-3")
    reader = bundle.BundleReader(prefix)
    entry = reader.entries["words"]
    path = bundle.data_filename(prefix, entry["shard"], 2)
    if damage == "shard_missing":
        os.remove(path)
        with pytest.raises(tf.errors.NotFoundError, match=os.path.basename(path)):
            reader.get("words")
        return
    raw = bytearray(open(path, "rb").read())
    at = entry["offset"] + {"lengths": 0, "length_crc": 4, "body": 10}[damage]
    raw[at] ^= 0x01
    open(path, "wb").write(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match=os.path.basename(path)):
        reader.get("words")


def test_bad_write_version_is_value_error():
    tf.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="write_version"):
        tf.train.Saver(write_version=7)
