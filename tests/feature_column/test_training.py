"""Gradients flow into embedding tables and linear weights; small models trained through
feature columns converge."""

import numpy as np

import flowexec as tf
import flowexec.feature_column as fc


def _sp(indices, values, shape):
    return tf.SparseTensor(indices, values, shape)


def test_embedding_gradient_is_the_combiner_weights():
    ids = fc.categorical_column_with_identity("ids", 4)
    col = fc.embedding_column(ids, 2, combiner="mean", initializer=tf.zeros_initializer())
    out = fc.input_layer({"ids": _sp([[0, 0], [0, 1], [1, 0]], [1, 3, 1], [2, 2])}, [col])
    table = tf.global_variables()[0]
    grad = tf.gradients(tf.reduce_sum(out), table)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        g = sess.run(tf.convert_to_tensor(grad))
    # row 0 averages ids 1 and 3 (0.5 each), row 1 is id 1 alone.
    np.testing.assert_allclose(g, [[0, 0], [1.5, 1.5], [0, 0], [0.5, 0.5]])


def test_linear_model_gradients_reach_every_weight():
    price = fc.numeric_column("price")
    cols = [price, fc.bucketized_column(price, [0.0]),
            fc.categorical_column_with_hash_bucket("w", 5),
            fc.crossed_column(["w", "c"], 7)]
    feats = {"price": [[1.0], [-1.0]], "w": tf.constant([["a"], ["b"]]),
             "c": tf.constant([["x"], ["y"]])}
    out = fc.linear_model(feats, cols)
    variables = tf.trainable_variables()
    assert len(variables) == 5
    grads = tf.gradients(tf.reduce_sum(out), variables)
    assert all(g is not None for g in grads)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run([tf.convert_to_tensor(g) for g in grads])
    by_name = dict(zip([v.op.name for v in variables], values))
    np.testing.assert_allclose(by_name["linear_model/price/weights"], [[0.0]])
    np.testing.assert_allclose(by_name["linear_model/price_bucketized/weights"], [[1], [1]])
    np.testing.assert_allclose(by_name["linear_model/bias_weights"], [2.0])
    assert by_name["linear_model/w/weights"].sum() == 2.0
    assert by_name["linear_model/c_X_w/weights"].sum() == 2.0


def test_linear_model_training_converges():
    rng = np.random.default_rng(0)
    colors = np.array(["red", "green", "blue"])[rng.integers(0, 3, 64)]
    x = rng.standard_normal(64).astype(np.float32)
    target = {"red": 1.0, "green": -2.0, "blue": 0.5}
    y = (np.array([target[c] for c in colors]) + 3.0 * x).astype(np.float32)[:, None]
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    features = {"color": tf.constant(colors[:, None]), "x": tf.constant(x[:, None])}
    pred = fc.linear_model(features, [color, fc.numeric_column("x")])
    loss = tf.reduce_mean(tf.square(pred - y))
    train = tf.train.GradientDescentOptimizer(0.3).minimize(loss)
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        first = sess.run(loss)
        for _ in range(200):
            sess.run(train)
        last = sess.run(loss)
        weights = sess.run(tf.get_default_graph().get_tensor_by_name(
            "linear_model/x/weights:0"))
    assert first > 1.0 and last < 1e-3
    np.testing.assert_allclose(weights, [[3.0]], atol=1e-2)


def test_embedding_training_converges():
    ids = fc.categorical_column_with_identity("ids", 3)
    emb = fc.embedding_column(ids, 2, combiner="sum",
                              initializer=tf.constant_initializer(np.zeros((3, 2))))
    features = {"ids": _sp([[0, 0], [1, 0], [1, 1], [2, 0]], [0, 1, 2, 2], [3, 2])}
    out = fc.input_layer(features, [emb])
    target = np.array([[1.0, -1.0], [0.5, 0.5], [2.0, 0.0]], np.float32)
    loss = tf.reduce_sum(tf.square(out - target))
    train = tf.train.AdamOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(300):
            sess.run(train)
        got, final = sess.run([out, loss])
    assert final < 1e-3
    np.testing.assert_allclose(got, target, atol=0.03)


def test_not_trainable_embedding_gets_no_update():
    ids = fc.categorical_column_with_identity("ids", 3)
    frozen = fc.embedding_column(ids, 2, trainable=False,
                                 initializer=tf.constant_initializer(np.ones((3, 2))))
    out = fc.input_layer({"ids": _sp([[0, 0]], [1], [1, 1]), "x": [[1.0]]},
                         [frozen, fc.numeric_column("x")])
    assert [v.op.name for v in tf.trainable_variables()] == []
    assert [v.op.name for v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)] == [
        "input_layer/ids_embedding/embedding_weights"]
    del out
