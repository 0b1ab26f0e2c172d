"""Damaged and hostile checkpoint files: every corruption gives TF's typed error naming the
file (DataLossError for damage; NotFoundError / InvalidArgumentError where the index names
other variables or shapes), never another exception, never an allocation beyond the file's
size, never code execution (nothing is unpickled)."""

import io
import json
import os
import pickle
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import flowexec as tf
from flowexec.train import checkpoint_format

W = np.array([1.0, 2.0], np.float32)


def _checkpoint(tmp_path):
    """A checkpoint of w=[1, 2] and b=[[3]] (float32); returns (prefix, data path)."""
    with tf.Graph().as_default():
        tf.Variable(W, name="w")
        tf.Variable([[3.0]], name="b")
        saver = tf.train.Saver(write_version=tf.train.SaverDef.V1)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, str(tmp_path / "model.ckpt"))
    return prefix, checkpoint_format.read_index(prefix)[0]["data_path"]


def _restore(prefix):
    """Restores w and b into a fresh graph; returns their values."""
    with tf.Graph().as_default():
        w = tf.Variable(np.zeros(2, np.float32), name="w")
        b = tf.Variable([[0.0]], name="b")
        saver = tf.train.Saver(write_version=tf.train.SaverDef.V1)
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            return sess.run([w, b])


def _index(prefix):
    return json.loads(Path(prefix + ".index").read_text())


def _write_index(prefix, index):
    Path(prefix + ".index").write_text(json.dumps(index))


def _npy(array, **kwargs):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(array), **kwargs)
    return buf.getvalue()


def _rewrite_data(prefix, data_path, members, compression=zipfile.ZIP_STORED):
    """Replaces the data file by a zip of `members` {name: bytes} and makes the index's data
    size match, so that the damage is found past the size check."""
    with zipfile.ZipFile(data_path, "w", compression=compression) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    index = _index(prefix)
    index["data_size"] = os.path.getsize(data_path)
    _write_index(prefix, index)


def _members(data_path):
    with zipfile.ZipFile(data_path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


class _Exploit:
    """Unpickling this would create a file: proof that nothing is unpickled."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _huge_header(shape, descr="<f4", version=(1, 0)):
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * ((-len(header) - 11) % 64) + b"\n"
    if version == (1, 0):
        return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
    return b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little") + header


def _data_loss_within_memory(prefix):
    """The DataLossError of restoring `prefix`, checked to allocate no more than 20 MiB."""
    tracemalloc.start()
    try:
        with pytest.raises(tf.errors.DataLossError) as info:
            _restore(prefix)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20, f"restore allocated {peak} bytes"
    return info


def _data_damage(name):
    """Functions (prefix, data path, tmp_path) -> None that damage the data file."""
    def truncate(prefix, data, tmp):
        raw = Path(data).read_bytes()
        Path(data).write_bytes(raw[:len(raw) // 2])

    def not_a_zip(prefix, data, tmp):
        _rewrite_data(prefix, data, {})
        Path(data).write_bytes(b"x" * os.path.getsize(data))

    def text_member(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = b"this is not an array"
        _rewrite_data(prefix, data, m)

    def zip_member(prefix, data, tmp):
        m = _members(data)
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as zf:
            zf.writestr("w.npy", m["w.npy"])
        m["w.npy"] = inner.getvalue()
        _rewrite_data(prefix, data, m)

    def pickled_member(prefix, data, tmp):
        m = _members(data)
        exploit = np.array([_Exploit(str(tmp / "pwned")), 1], dtype=object)
        m["w.npy"] = _npy(exploit, allow_pickle=True)
        _rewrite_data(prefix, data, m)

    def raw_pickle_member(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = pickle.dumps(_Exploit(str(tmp / "pwned")))
        _rewrite_data(prefix, data, m)

    def missing_member(prefix, data, tmp):
        m = _members(data)
        del m["w.npy"]
        _rewrite_data(prefix, data, m)

    def wrong_dtype(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = _npy(W.astype(np.float64))
        _rewrite_data(prefix, data, m)

    def wrong_shape(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = _npy(np.zeros((1, 2), np.float32))
        _rewrite_data(prefix, data, m)

    def fortran_order(prefix, data, tmp):
        m = _members(data)
        m["b.npy"] = _npy(np.asfortranarray(np.ones((1, 1), np.float32)))
        raw = m["b.npy"].replace(b"'fortran_order': False", b"'fortran_order': True ")
        m["b.npy"] = raw
        _rewrite_data(prefix, data, m)

    def header_claims_huge_shape(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = _huge_header((10 ** 7, 10 ** 6)) + W.tobytes()
        _rewrite_data(prefix, data, m)

    def header_v2_claims_huge_length(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = b"\x93NUMPY\x02\x00" + (2 ** 32 - 1).to_bytes(4, "little") + b"{"
        _rewrite_data(prefix, data, m)

    def header_nested(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = _huge_header((2,), descr="[" * 3000 + "]" * 3000)
        _rewrite_data(prefix, data, m)

    def object_header_and_index(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] = _huge_header((2,), descr="|O") + pickle.dumps(_Exploit(str(tmp / "pwned")))
        _rewrite_data(prefix, data, m)
        index = _index(prefix)
        index["variables"][1]["numpy_dtype"] = "|O"
        _write_index(prefix, index)

    def extra_data_in_member(prefix, data, tmp):
        m = _members(data)
        m["w.npy"] += b"\x00" * 8
        _rewrite_data(prefix, data, m)

    def unsupported_compression(prefix, data, tmp):
        m = _members(data)
        _rewrite_data(prefix, data, m, compression=zipfile.ZIP_BZIP2)
        raw = bytearray(Path(data).read_bytes())
        for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # compression method 12 -> 99 (AES)
            at = raw.find(sig)
            while at >= 0:
                off = at + (8 if sig == b"PK\x03\x04" else 10)
                raw[off:off + 2] = (99).to_bytes(2, "little")
                at = raw.find(sig, at + 4)
        Path(data).write_bytes(bytes(raw))

    def encrypted_flag(prefix, data, tmp):
        raw = bytearray(Path(data).read_bytes())
        at = raw.find(b"PK\x01\x02")
        while at >= 0:
            raw[at + 8] |= 0x1
            at = raw.find(b"PK\x01\x02", at + 4)
        Path(data).write_bytes(bytes(raw))

    return locals()[name]


DATA_CASES = ["truncate", "not_a_zip", "text_member", "zip_member", "pickled_member",
              "raw_pickle_member", "missing_member", "wrong_dtype", "wrong_shape",
              "fortran_order", "header_claims_huge_shape", "header_v2_claims_huge_length",
              "header_nested", "object_header_and_index", "extra_data_in_member",
              "unsupported_compression", "encrypted_flag"]


@pytest.mark.parametrize("case", DATA_CASES)
def test_damaged_data_file_is_data_loss_naming_it(tmp_path, case):
    prefix, data = _checkpoint(tmp_path)
    _data_damage(case)(prefix, data, tmp_path)
    info = _data_loss_within_memory(prefix)
    assert (data if case != "object_header_and_index" else prefix + ".index") in \
        info.value.message
    assert not (tmp_path / "pwned").exists()


def _index_damage(name):
    def truncate(prefix):
        raw = Path(prefix + ".index").read_bytes()
        Path(prefix + ".index").write_bytes(raw[:len(raw) // 2])

    def not_utf8(prefix):
        Path(prefix + ".index").write_bytes(b"\xff\xfe{}")

    def nested_json(prefix):
        Path(prefix + ".index").write_text("[" * 200_000 + "]" * 200_000)

    def nested_in_entry(prefix):
        index = _index(prefix)
        text = json.dumps(index).replace('"shape": [2]', '"shape": ' + "[" * 50000 +
                                         "]" * 50000)
        Path(prefix + ".index").write_text(text)

    def not_an_object(prefix):
        _write_index(prefix, ["flowexec-checkpoint"])

    def wrong_format(prefix):
        _write_index(prefix, dict(_index(prefix), format="something-else"))

    def bool_version(prefix):
        _write_index(prefix, dict(_index(prefix), version=True))

    def variables_not_a_list(prefix):
        _write_index(prefix, dict(_index(prefix), variables={"w": 1}))

    def entry_not_an_object(prefix):
        index = _index(prefix)
        index["variables"][0] = "b"
        _write_index(prefix, index)

    def huge_int(prefix):
        text = json.dumps(_index(prefix)).replace('"shape": [2]', '"shape": [' + "9" * 5000 +
                                                  "]")
        Path(prefix + ".index").write_text(text)

    def checksum_mismatch(prefix):
        _edit_entry(prefix, "crc32", _index(prefix)["variables"][1]["crc32"] ^ 1)

    def duplicate_entry(prefix):
        index = _index(prefix)
        index["variables"].append(index["variables"][1])
        _write_index(prefix, index)

    def data_file_outside(prefix):
        _write_index(prefix, dict(_index(prefix), data_file="../../etc/passwd"))

    def data_file_of_other_checkpoint(prefix):
        _write_index(prefix, dict(_index(prefix), data_file="other.data-0123456789abcdef.npz"))

    def data_size_mismatch(prefix):
        index = _index(prefix)
        index["data_size"] += 1
        _write_index(prefix, index)

    edits = {"huge_claimed_shape": ("shape", [10 ** 12, 10 ** 12]),
             "negative_dim": ("shape", [-2]),
             "object_numpy_dtype": ("numpy_dtype", "|O"),
             "subarray_numpy_dtype": ("numpy_dtype", "(1000000000,)f4"),
             "mismatched_numpy_dtype": ("numpy_dtype", "<f8"),
             "unknown_dtype": ("dtype", "float31"),
             "crc_out_of_range": ("crc32", -1)}
    if name in edits:
        return lambda prefix: _edit_entry(prefix, *edits[name])
    return locals()[name]


def _edit_entry(prefix, field, value):
    """Sets one field of w's index entry."""
    index = _index(prefix)
    index["variables"][1][field] = value
    _write_index(prefix, index)


INDEX_CASES = ["truncate", "not_utf8", "nested_json", "nested_in_entry", "not_an_object",
               "wrong_format", "bool_version", "variables_not_a_list", "entry_not_an_object",
               "huge_claimed_shape", "huge_int", "negative_dim", "object_numpy_dtype",
               "subarray_numpy_dtype", "mismatched_numpy_dtype", "unknown_dtype",
               "crc_out_of_range", "checksum_mismatch", "duplicate_entry",
               "data_file_outside", "data_file_of_other_checkpoint", "data_size_mismatch"]


@pytest.mark.parametrize("case", INDEX_CASES)
def test_damaged_index_is_data_loss_naming_a_file(tmp_path, case):
    prefix, data = _checkpoint(tmp_path)
    _index_damage(case)(prefix)
    info = _data_loss_within_memory(prefix)
    assert prefix + ".index" in info.value.message or data in info.value.message


def test_oversized_index_is_data_loss(tmp_path, monkeypatch):
    prefix, _ = _checkpoint(tmp_path)
    monkeypatch.setattr(checkpoint_format, "MAX_INDEX_BYTES", 100)
    with pytest.raises(tf.errors.DataLossError, match=r"model\.ckpt\.index.*larger than 100"):
        _restore(prefix)


def _flip_each_byte(path, check):
    raw = Path(path).read_bytes()
    try:
        for at in range(len(raw)):
            damaged = bytearray(raw)
            damaged[at] ^= 0xFF
            Path(path).write_bytes(bytes(damaged))
            check(at)
    finally:
        Path(path).write_bytes(raw)


def test_every_flipped_data_byte_restores_exactly_or_is_data_loss(tmp_path):
    prefix, data = _checkpoint(tmp_path)
    outcomes = set()

    def check(at):
        try:
            w, b = _restore(prefix)
        except tf.errors.DataLossError as e:
            assert data in e.message, (at, e.message)
            outcomes.add("data loss")
        else:  # e.g. a zip timestamp: harmless
            np.testing.assert_array_equal(w, W)
            np.testing.assert_array_equal(b, [[3.0]])
            outcomes.add("same values")

    _flip_each_byte(data, check)
    assert "data loss" in outcomes


def test_every_flipped_index_byte_restores_exactly_or_is_a_typed_error(tmp_path):
    prefix, data = _checkpoint(tmp_path)
    outcomes = set()

    def check(at):
        try:
            w, b = _restore(prefix)
        except (tf.errors.DataLossError, tf.errors.NotFoundError,
                tf.errors.InvalidArgumentError) as e:
            assert prefix + ".index" in e.message or data in e.message, (at, e.message)
            outcomes.add(type(e).__name__)
        else:
            np.testing.assert_array_equal(w, W)
            np.testing.assert_array_equal(b, [[3.0]])

    _flip_each_byte(prefix + ".index", check)
    assert "DataLossError" in outcomes
