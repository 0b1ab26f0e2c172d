"""Readers over queues of file names, and PriorityQueue."""

import gzip
import numpy as np
import pytest

import flowexec as tf


def _filename_queue(files, epochs=1):
    q = tf.FIFOQueue(10, tf.string)
    return q, q.enqueue_many([files]), q.close()


def _read_all(reader, files, up_to=None):
    with tf.Graph().as_default():
        q, enq, close = _filename_queue(files)
        key, value = reader().read_up_to(q, up_to) if up_to else reader().read(q)
        out = []
        with tf.Session() as sess:
            sess.run(enq)
            sess.run(close)
            while True:
                try:
                    out.append(sess.run([key, value]))
                except tf.errors.OutOfRangeError:
                    return out


def test_text_line_reader_keys_and_header(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("head\nx1\nx2\n")
    b.write_text("head\ny1\r\n")
    got = _read_all(lambda: tf.TextLineReader(skip_header_lines=1), [str(a), str(b)])
    assert [(k.decode(), v) for k, v in got] == [(f"{a}:2", b"x1"), (f"{a}:3", b"x2"),
                                                 (f"{b}:2", b"y1")]


def test_tfrecord_whole_file_fixed_length_and_identity(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    with tf.python_io.TFRecordWriter(path) as w:
        for rec in (b"one", b"", b"three"):
            w.write(rec)
    got = _read_all(tf.TFRecordReader, [path])
    assert [v for _, v in got] == [b"one", b"", b"three"]
    assert [k.decode() for k, _ in got] == [f"{path}:0", f"{path}:19", f"{path}:35"]
    f = tmp_path / "f.bin"
    f.write_bytes(b"HH" + bytes(range(10)) + b"F")
    got = _read_all(lambda: tf.FixedLengthRecordReader(4, header_bytes=2, footer_bytes=1),
                    [str(f)])
    assert [v for _, v in got] == [bytes([0, 1, 2, 3]), bytes([4, 5, 6, 7])]
    assert got[1][0].decode() == f"{f}:1"
    g = tmp_path / "g.gz"
    g.write_bytes(gzip.compress(bytes(range(6))))
    got = _read_all(lambda: tf.FixedLengthRecordReader(2, hop_bytes=1, encoding="GZIP"),
                    [str(g)])
    assert [v for _, v in got] == [bytes([i, i + 1]) for i in range(5)]
    got = _read_all(tf.WholeFileReader, [str(f)])
    assert got == [[str(f).encode(), f.read_bytes()]]
    got = _read_all(tf.IdentityReader, ["w1", "w2"])
    assert got == [[b"w1", b"w1"], [b"w2", b"w2"]]


def test_read_up_to_counters_reset_and_missing_file(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("1\n2\n3\n")
    got = _read_all(tf.TextLineReader, [str(a)], up_to=2)
    assert [list(v) for _, v in got] == [[b"1", b"2"], [b"3"]]
    with tf.Graph().as_default():
        q, enq, close = _filename_queue([str(a), str(tmp_path / "none.txt")])
        reader = tf.TextLineReader()
        key, value = reader.read(q)
        produced, done = reader.num_records_produced(), reader.num_work_units_completed()
        with tf.Session() as sess:
            sess.run([enq, close])
            for _ in range(3):
                sess.run(value)
            assert sess.run([produced, done]) == [3, 0]
            with pytest.raises(tf.errors.NotFoundError):
                sess.run(value)
            sess.run(reader.reset())
            assert sess.run(produced) == 0
    assert isinstance(tf.TextLineReader(), tf.ReaderBase) and not tf.ReaderBase(None) \
        .supports_serialize


def test_reader_with_string_input_producer(tmp_path):
    files = []
    for i in range(2):
        p = tmp_path / f"{i}.txt"
        p.write_text(f"{i}a\n{i}b\n")
        files.append(str(p))
    with tf.Graph().as_default():
        q = tf.train.string_input_producer(files, num_epochs=1, shuffle=False)
        _, value = tf.TextLineReader().read(q)
        out = []
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            try:
                while True:
                    out.append(sess.run(value))
            except tf.errors.OutOfRangeError:
                pass
            coord.request_stop()
            coord.join(threads)
    assert out == [b"0a", b"0b", b"1a", b"1b"]


def test_priority_queue_orders_by_priority():
    with tf.Graph().as_default():
        q = tf.PriorityQueue(10, [tf.string, tf.float32], shapes=[[], [2]])
        enq = q.enqueue_many(([3, 1, 2, 1], ["c", "a", "b", "a2"],
                              np.arange(8, dtype=np.float32).reshape(4, 2)))
        prio, s, v = q.dequeue()
        many = q.dequeue_many(2)
        size = q.size()
        with tf.Session() as sess:
            sess.run(enq)
            assert sess.run(size) == 4
            p0, s0, v0 = sess.run([prio, s, v])
            assert (p0, s0) == (1, b"a") and v0.tolist() == [2.0, 3.0]
            p1, s1, _ = sess.run(many)
            assert p1.tolist() == [1, 2] and s1.tolist() == [b"a2", b"b"]
        assert q.dtypes == [tf.int64, tf.string, tf.float32]
        with pytest.raises(ValueError):
            tf.PriorityQueue(3, [tf.int32])


def test_string_input_producer_over_match_filenames_once(tmp_path):
    """TF 1.x's classic file pipeline: the matched names are a variable of no static shape;
    string_input_producer takes its elements as scalars and checks it is not empty when it
    runs."""
    for i in range(3):
        (tmp_path / f"{i}.txt").write_bytes(f"file {i}".encode())
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(str(tmp_path / "*.txt"))
        queue = tf.train.string_input_producer(files, num_epochs=2, shuffle=False)
        key, value = tf.WholeFileReader().read(queue)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            got = []
            try:
                while True:
                    got.append(sess.run(value))
            except tf.errors.OutOfRangeError:
                pass
            coord.request_stop()
            coord.join(threads)
    assert got == [b"file 0", b"file 1", b"file 2"] * 2


def test_string_input_producer_of_an_empty_match_fails_when_it_runs(tmp_path):
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(str(tmp_path / "*.none"))
        tf.train.string_input_producer(files)
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match="string_input_producer requires a non-null input tensor"):
                sess.run(tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)[0].enqueue_ops[0])
