"""tf.math, tf.random, tf.debugging, tf.dtypes (and tf.linalg): every exported name is one
TF 1.x has in that namespace (no invented names) and is the same object as its top-level or
tf.nn twin where TF's is."""

import json
import os

import numpy as np
import pytest

import flowexec as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "scripts", "data", "tf1_public_names.json")) as f:
    TF_NAMES = json.load(f)["namespaces"]

MODULES = {"tf.math": tf.math, "tf.random": tf.random, "tf.debugging": tf.debugging,
           "tf.dtypes": tf.dtypes, "tf.losses": tf.losses, "tf.linalg": tf.linalg,
           "tf.metrics": tf.metrics}


@pytest.mark.parametrize("ns", sorted(MODULES))
def test_every_exported_name_is_a_tf_name_of_that_namespace(ns):
    exported = set(MODULES[ns].__all__)
    assert exported, ns
    assert not exported - set(TF_NAMES[ns]), f"names TF's {ns} does not have"


def test_twins_are_the_same_functions():
    assert tf.math.reduce_sum is tf.reduce_sum and tf.math.softmax is tf.nn.softmax
    assert tf.math.divide_no_nan is tf.div_no_nan
    assert tf.math.segment_sum is tf.segment_sum
    assert tf.random.normal is tf.random_normal and tf.random.uniform is tf.random_uniform
    assert tf.random.shuffle is tf.random_shuffle
    assert tf.debugging.assert_equal is tf.assert_equal
    assert tf.dtypes.float32 is tf.float32 and tf.dtypes.cast is tf.cast
    assert tf.linalg.transpose is tf.matrix_transpose and tf.linalg.inv is tf.matrix_inverse
    assert tf.linalg.diag is tf.matrix_diag and tf.linalg.tensor_diag is tf.diag


def test_categorical_is_multinomial_with_dtype():
    tf.set_random_seed(3)
    s = tf.random.categorical(tf.log([[0.0, 1.0]]), 5, dtype=tf.int32)
    assert s.dtype == tf.int32 and s.op.name.startswith("categorical")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(s), [[1] * 5])


def test_tf_io_names_are_the_tf_twins_and_read_what_they_write(tmp_path):
    assert tf.io.read_file is tf.read_file and tf.io.write_file is tf.write_file
    assert tf.io.matching_files is tf.matching_files
    assert tf.io.match_filenames_once is tf.train.match_filenames_once
    assert tf.io.serialize_tensor is tf.serialize_tensor and tf.io.parse_tensor is tf.parse_tensor
    assert tf.io.TFRecordWriter is tf.python_io.TFRecordWriter
    assert tf.io.tf_record_iterator is tf.python_io.tf_record_iterator
    assert tf.io.PaddingFIFOQueue is tf.PaddingFIFOQueue and tf.io.QueueBase is tf.QueueBase
    assert tf.io.PriorityQueue is tf.PriorityQueue
    assert tf.io.decode_jpeg is tf.image.decode_jpeg and tf.io.encode_png is tf.image.encode_png
    assert tf.io.decode_image is tf.image.decode_image and tf.io.is_jpeg is tf.image.is_jpeg
    path = str(tmp_path / "a.bin")
    with tf.io.TFRecordWriter(str(tmp_path / "r.tfrecord")) as writer:
        writer.write(b"one")
        writer.write(b"two")
    assert list(tf.io.tf_record_iterator(str(tmp_path / "r.tfrecord"))) == [b"one", b"two"]
    with tf.Graph().as_default():
        wrote = tf.io.write_file(path, tf.io.serialize_tensor(tf.constant([[1.5, 2.0]])))
        back = tf.io.parse_tensor(tf.io.read_file(path), tf.float32)
        found = tf.io.matching_files(str(tmp_path / "*.bin"))
        with tf.Session() as sess:
            sess.run(wrote)
            np.testing.assert_array_equal(sess.run(back), [[1.5, 2.0]])
            assert sess.run(found).tolist() == [path.encode()]


def test_tf_image_aliases_of_tf1():
    assert tf.image.resize is tf.image.resize_images
    x = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    with tf.Graph().as_default():
        a = tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
        b = tf.extract_image_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
        c = tf.image.resize(x, [8, 8], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
        with tf.Session() as sess:
            a, b, c = sess.run([a, b, c])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[0, 0, 0], x[0, :2, :2].reshape(-1))
    np.testing.assert_array_equal(c[:, ::2, ::2], x)
