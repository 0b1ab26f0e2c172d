"""Dataset functions take and return SparseTensors, as TF's: `map(parse_example)` with a
VarLenFeature (TF 1.x's usual input pipeline) and maps/filters over sparse elements."""

import numpy as np

import flowexec as tf
from tests.data.helpers import values


def _examples(rows):
    out = []
    for ids in rows:
        feature = {"ids": tf.train.Feature(int64_list=tf.train.Int64List(value=ids)),
                   "y": tf.train.Feature(float_list=tf.train.FloatList(value=[len(ids)]))}
        out.append(tf.train.Example(features=tf.train.Features(feature=feature))
                   .SerializeToString())
    return out


def test_map_parse_example_with_a_varlen_feature_gives_sparse_batches():
    spec = {"ids": tf.VarLenFeature(tf.int64), "y": tf.FixedLenFeature([], tf.float32)}
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices(_examples([[1, 2], [3], [], [4, 5, 6]]))
        ds = ds.batch(2).map(lambda s: tf.parse_example(s, spec))
        assert isinstance(ds.element_spec["ids"], tf.SparseTensorSpec)
        assert ds.output_classes["ids"] is tf.SparseTensor
        it = ds.make_one_shot_iterator()
        feats = it.get_next()
        assert isinstance(feats["ids"], tf.SparseTensor)
        dense = tf.sparse.to_dense(feats["ids"])
        with tf.Session() as sess:
            first = sess.run([dense, feats["y"]])
            second = sess.run([dense, feats["y"]])
    np.testing.assert_array_equal(first[0], [[1, 2], [3, 0]])
    np.testing.assert_array_equal(first[1], [2.0, 1.0])
    np.testing.assert_array_equal(second[0], [[0, 0, 0], [4, 5, 6]])


def test_a_map_over_sparse_elements_and_a_filter_see_sparse_tensors():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(5).map(lambda i: tf.fill([i], i)).apply(
            tf.data.experimental.dense_to_sparse_batch(2, [4]))
        kept = ds.filter(lambda sp: tf.greater(tf.size(sp.values), 1))
        summed = kept.map(lambda sp: (tf.sparse.reduce_sum(sp), sp.dense_shape))
        out = values(summed)
    # batches: [0, 1] -> values [1]; [2, 3] -> [2, 2, 3, 3, 3]; [4] -> [4, 4, 4, 4]
    assert [(int(a), list(b)) for a, b in out] == [(13, [2, 4]), (16, [1, 4])]


def test_a_map_returning_a_sparse_tensor_and_a_dense_one():
    with tf.Graph().as_default():
        ds = tf.data.Dataset.range(3).map(
            lambda i: (tf.SparseTensor([[0, 0]], [i], [1, 2]), i * 2))
        ds = ds.map(lambda sp, d: tf.sparse.to_dense(sp) + d)
        out = values(ds)
    np.testing.assert_array_equal(np.stack(out), [[[0, 0]], [[3, 2]], [[6, 4]]])


def test_batched_strings_keep_their_trailing_nul_bytes():
    """Serialized protos end in NUL bytes (a float 0.0); a batch of them must stay exact."""
    raw = [b"ab\x00\x00", b"c", b"\x00"]
    with tf.Graph().as_default():
        out = values(tf.data.Dataset.from_tensor_slices(raw).batch(3))
    assert out[0] == raw
