"""A small slim-style model trained through tf.Session: conv2d + batch_norm (UPDATE_OPS run
with the train op) + max_pool2d + fully_connected with an l2 penalty, under arg_scope. The
loss falls, the moving averages move, and a Saver round-trips TF's variable names."""

import numpy as np

import flowexec as tf

L = tf.contrib.layers


def test_slim_style_model_trains_and_checkpoints(tmp_path):
    rng = np.random.RandomState(0)
    images = rng.standard_normal((32, 6, 6, 1)).astype(np.float32)
    labels = (images.mean(axis=(1, 2, 3)) > 0).astype(np.int64)
    x = tf.placeholder(tf.float32, [None, 6, 6, 1])
    y = tf.placeholder(tf.int64, [None])
    training = tf.placeholder_with_default(True, [])
    with tf.contrib.framework.arg_scope(
            [L.conv2d, L.fully_connected], weights_regularizer=L.l2_regularizer(1e-3),
            weights_initializer=L.variance_scaling_initializer(seed=1)):
        net = L.conv2d(x, 4, 3, normalizer_fn=L.batch_norm,
                       normalizer_params={"is_training": training, "decay": 0.9},
                       scope="conv1")
        net = L.max_pool2d(net, 2, scope="pool1")
        logits = L.fully_connected(L.flatten(net), 2, activation_fn=None, scope="logits")
    xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    loss = xent + tf.add_n(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    assert sorted(v.op.name for v in tf.model_variables()) == [
        "conv1/BatchNorm/beta", "conv1/BatchNorm/moving_mean",
        "conv1/BatchNorm/moving_variance", "conv1/weights", "logits/biases", "logits/weights"]
    feed = {x: images, y: labels}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(xent, feed)
        for _ in range(60):
            sess.run(train_op, feed)
        last = sess.run(xent, feed)
        moving = sess.run("conv1/BatchNorm/moving_mean:0")
        eval_logits = sess.run(logits, {**feed, training: False})
        path = saver.save(sess, str(tmp_path / "model"))
    assert last < 0.5 * first
    assert np.any(moving != 0)
    with tf.Session() as sess:
        saver.restore(sess, path)
        np.testing.assert_allclose(sess.run(logits, {**feed, training: False}), eval_logits,
                                   rtol=1e-6)
