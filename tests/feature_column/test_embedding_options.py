"""Embedding column options: the default initializer, loading the table from a checkpoint,
shared tables across calls, and cols_to_output_tensors."""

import math

import numpy as np

import flowexec as tf
import flowexec.feature_column as fc


def test_default_initializer_is_truncated_normal_of_stddev_one_over_sqrt_dimension():
    col = fc.embedding_column(fc.categorical_column_with_identity("a", 3), 16)
    assert type(col.initializer).__name__ == "TruncatedNormal"
    assert col.initializer.mean == 0.0
    assert math.isclose(col.initializer.stddev, 0.25)


def test_table_loads_from_checkpoint(tmp_path):
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    with tf.Graph().as_default():
        v = tf.Variable(table, name="saved/table")
        with tf.Session() as sess:
            sess.run(v.initializer)
            prefix = tf.train.Saver([v]).save(sess, str(tmp_path / "ckpt"))
    col = fc.embedding_column(fc.categorical_column_with_identity("a", 4), 2,
                              ckpt_to_load_from=prefix, tensor_name_in_ckpt="saved/table",
                              initializer=tf.zeros_initializer())
    out = fc.input_layer({"a": tf.SparseTensor([[0, 0], [1, 0]], [3, 1], [2, 1])}, [col])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(out), table[[3, 1]])


def test_shared_table_is_reused_by_a_second_input_layer():
    a, b = fc.shared_embedding_columns(
        [fc.categorical_column_with_identity("a", 3), fc.categorical_column_with_identity("b", 3)],
        2, initializer=tf.constant_initializer(np.eye(3, 2)))
    feats = {"a": tf.SparseTensor([[0, 0]], [1], [1, 1]),
             "b": tf.SparseTensor([[0, 0]], [0], [1, 1])}
    first = fc.input_layer(feats, [a, b])
    second = fc.input_layer(feats, [b])
    assert [v.op.name for v in tf.global_variables()] == [
        "input_layer/a_b_shared_embedding/embedding_weights"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_allclose(sess.run(first), [[0, 1, 1, 0]])
        np.testing.assert_allclose(sess.run(second), [[1, 0]])


def test_cols_to_output_tensors_and_vars():
    price = fc.numeric_column("price", shape=(2,))
    emb = fc.embedding_column(fc.categorical_column_with_identity("a", 3), 4)
    outputs, variables = {}, {}
    fc.input_layer({"price": [[1.0, 2.0]], "a": tf.SparseTensor([[0, 0]], [2], [1, 1])},
                   [price, emb], cols_to_vars=variables, cols_to_output_tensors=outputs)
    assert outputs[price].shape.as_list() == [1, 2]
    assert outputs[emb].shape.as_list()[1] == 4
    assert variables[price] == []
    assert [v.op.name for v in variables[emb]] == ["input_layer/a_embedding/embedding_weights"]
