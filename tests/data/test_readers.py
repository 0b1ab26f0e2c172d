"""File datasets and TFRecord files: TextLineDataset, TFRecordDataset,
FixedLengthRecordDataset, Dataset.list_files, tf.python_io."""

import gzip
import struct
import zlib

import pytest

import flowexec as tf
from flowexec.ops import record_format
from tests.data.helpers import values

data = tf.data


def test_crc32c_is_castagnoli():
    assert record_format.crc32c(b"123456789") == 0xE3069283
    assert record_format.crc32c(b"") == 0


def test_text_lines_strip_terminators_across_files(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"one\ntwo\r\nthree")
    b.write_bytes(b"four\n\nsix\n")
    ds = data.TextLineDataset([str(a), str(b)])
    assert ds.output_types == tf.string and ds.output_shapes == tf.TensorShape([])
    assert values(ds) == [b"one", b"two", b"three", b"four", b"", b"six"]


def test_text_lines_gzip_and_zlib(tmp_path):
    g, z = tmp_path / "g.gz", tmp_path / "z.zlib"
    g.write_bytes(gzip.compress(b"x\ny\n"))
    z.write_bytes(zlib.compress(b"p\nq"))
    assert values(data.TextLineDataset(str(g), compression_type="GZIP")) == [b"x", b"y"]
    assert values(data.TextLineDataset(str(z), compression_type="ZLIB")) == [b"p", b"q"]


def test_missing_file_is_not_found_and_the_next_file_is_read(tmp_path):
    ok = tmp_path / "ok.txt"
    ok.write_bytes(b"fine\n")
    it = data.TextLineDataset([str(tmp_path / "missing.txt"), str(ok)]) \
        .make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        with pytest.raises(tf.errors.NotFoundError, match="missing.txt"):
            sess.run(nxt)
        assert sess.run(nxt) == b"fine"


@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_tfrecord_round_trip(tmp_path, compression):
    path = str(tmp_path / "r.tfrecord")
    records = [b"", b"a", b"\x00\xffbinary", b"x" * 1000]
    options = tf.python_io.TFRecordOptions(compression)
    with tf.python_io.TFRecordWriter(path, options) as w:
        for r in records:
            w.write(r)
    assert list(tf.python_io.tf_record_iterator(path, options)) == records
    assert values(data.TFRecordDataset(path, compression_type=compression or "")) == records


def test_tfrecord_framing_is_tfs(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        w.write(b"abc")
    with open(path, "rb") as f:
        raw = f.read()
    assert struct.unpack("<Q", raw[:8])[0] == 3 and raw[12:15] == b"abc" and len(raw) == 19
    crc = record_format.crc32c(b"abc")
    assert struct.unpack("<I", raw[15:])[0] == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) \
        % 2 ** 32


def test_corrupt_tfrecord_is_data_loss(tmp_path):
    path = tmp_path / "r.tfrecord"
    with tf.python_io.TFRecordWriter(str(path)) as w:
        w.write(b"abcdef")
    raw = bytearray(path.read_bytes())
    raw[13] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(tf.errors.DataLossError, match="checksum"):
        values(data.TFRecordDataset(str(path)))


def test_tfrecord_files_interleaved_with_num_parallel_reads(tmp_path):
    paths = []
    for name, n in (("a", 3), ("b", 1), ("c", 2)):
        p = str(tmp_path / f"{name}.tfrecord")
        with tf.python_io.TFRecordWriter(p) as w:
            for i in range(n):
                w.write(f"{name}{i}")
        paths.append(p)
    out = values(data.TFRecordDataset(paths, num_parallel_reads=2))
    assert out == [b"a0", b"b0", b"a1", b"a2", b"c0", b"c1"]  # TensorFlow's order
    assert values(data.TFRecordDataset(paths)) == [b"a0", b"a1", b"a2", b"b0", b"c0", b"c1"]


def test_fixed_length_records_skip_header_and_footer(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"HH" + b"abcdef" + b"F")
    ds = data.FixedLengthRecordDataset(str(path), 3, header_bytes=2, footer_bytes=1)
    assert values(ds) == [b"abc", b"def"]
    with pytest.raises(tf.errors.DataLossError, match="not an exact multiple"):
        values(data.FixedLengthRecordDataset(str(path), 4, header_bytes=2, footer_bytes=1))


def test_list_files_matches_sorted_and_shuffles_by_default(tmp_path):
    for name in ("b.txt", "a.txt", "c.txt", "skip.csv"):
        (tmp_path / name).write_text(name)
    pattern = str(tmp_path / "*.txt")
    names = [str(tmp_path / n).encode() for n in ("a.txt", "b.txt", "c.txt")]
    assert values(data.Dataset.list_files(pattern, shuffle=False)) == names
    assert sorted(values(data.Dataset.list_files(pattern, seed=1))) == names
    with tf.Session() as sess:
        assert list(sess.run(tf.matching_files(pattern))) == names
    with pytest.raises(tf.errors.InvalidArgumentError, match="No files matched pattern"):
        values(data.Dataset.list_files(str(tmp_path / "*.none")))
