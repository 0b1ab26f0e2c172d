"""TF V2 checkpoints (tensor bundles): TF's files read, written byte-identically, damage is
DataLossError naming the file, the Saver restores them, init_from_checkpoint."""

import os
import shutil

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import bundle, crc32c, sstable
from tests.graph_io.helpers import DATA

TF_CKPT = os.path.join(DATA, "ckpt", "model.ckpt")


def _expected():
    vals = np.load(os.path.join(DATA, "ckpt.npz"))
    return {k.replace("__", "/"): vals[k] for k in vals.files}


def test_reader_reads_tfs_checkpoint():
    want = _expected()
    reader = tf.train.NewCheckpointReader(TF_CKPT)
    assert reader.get_variable_to_shape_map() == {k: list(v.shape) for k, v in want.items()}
    assert reader.get_variable_to_dtype_map()["dense/bias"] is tf.float64
    for k, v in want.items():
        got = reader.get_tensor(k)
        assert np.asarray(got).dtype == v.dtype and np.array_equal(got, v)
    assert reader.has_tensor("global_step") and not reader.has_tensor("nope")
    assert tf.train.list_variables(TF_CKPT)[0] == ("counts", [2, 2])


def test_writer_output_is_byte_identical_to_tfs(tmp_path):
    written = {}
    bundle.write_bundle(str(tmp_path / "m"), _expected(),
                        lambda p, b: written.__setitem__(os.path.basename(p), b))
    for suffix in (".index", ".data-00000-of-00001"):
        with open(TF_CKPT + suffix, "rb") as f:
            assert written["m" + suffix] == f.read(), suffix


def test_crc32c_fallback_matches():
    data = bytes(range(256)) * 3
    assert crc32c.crc32c_python(b"123456789") == 0xE3069283
    assert crc32c.crc32c_python(data) == crc32c.crc32c(data)
    assert crc32c.unmask(crc32c.mask(12345)) == 12345


def test_table_with_many_blocks_round_trips():
    entries = [(f"key{i:05d}".encode(), os.urandom(i % 50)) for i in range(2000)]
    assert sstable.read_table(sstable.write_table(entries, block_size=512)) == entries


@pytest.mark.parametrize("damage", ["truncate_index", "flip_index", "flip_data", "short_data"])
def test_damage_is_data_loss_naming_the_file(tmp_path, damage):
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(TF_CKPT + suffix, tmp_path / ("m" + suffix))
    prefix = str(tmp_path / "m")
    target = prefix + (".index" if "index" in damage else ".data-00000-of-00001")
    with open(target, "rb") as f:
        raw = bytearray(f.read())
    if damage == "truncate_index":
        raw = raw[:-60] + raw[-48:]
    elif damage.startswith("flip"):
        raw[len(raw) // 3] ^= 0x40
    else:
        raw = raw[:-5]
    with open(target, "wb") as f:
        f.write(raw)
    with pytest.raises(tf.errors.DataLossError, match=os.path.basename(target)):
        reader = tf.train.NewCheckpointReader(prefix)
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)


def test_saver_restores_tfs_checkpoint():
    want = _expected()
    with tf.Graph().as_default():
        vs = [tf.Variable(np.zeros_like(v), name=k) for k, v in want.items()]
        saver = tf.train.Saver(vs)
        with tf.Session() as sess:
            saver.restore(sess, TF_CKPT)
            for v, (_, w) in zip(vs, want.items()):
                np.testing.assert_array_equal(sess.run(v), w)


def test_saver_names_a_missing_key():
    with tf.Graph().as_default():
        v = tf.Variable(1.0, name="absent")
        with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError,
                                                 match="Key absent not found"):
            tf.train.Saver([v]).restore(sess, TF_CKPT)


def test_init_from_checkpoint():
    with tf.Graph().as_default():
        k = tf.Variable(np.zeros((2, 3), np.float32), name="kernel")
        tf.train.init_from_checkpoint(TF_CKPT, {"dense/kernel": "kernel"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(k), _expected()["dense/kernel"])
