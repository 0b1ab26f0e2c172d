"""tf.contrib.feature_column: the sequence columns where TF 1.x kept them."""

import numpy as np

import flowexec as tf


def test_contrib_sequence_columns_are_the_feature_column_ones_and_run():
    cfc = tf.contrib.feature_column
    assert cfc.sequence_input_layer is tf.feature_column.sequence_input_layer
    ids = cfc.sequence_categorical_column_with_identity("w", 5)
    emb = tf.feature_column.embedding_column(
        ids, 2, initializer=tf.constant_initializer(np.arange(10.0).reshape(5, 2)))
    with tf.Graph().as_default():
        feats = {"w": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([1, 3, 4], tf.int64),
                                      [2, 2])}
        seq, length = cfc.sequence_input_layer(feats, [emb])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            seq, length = sess.run([seq, length])
    np.testing.assert_array_equal(length, [2, 1])
    np.testing.assert_allclose(seq, [[[2, 3], [6, 7]], [[8, 9], [0, 0]]])
