"""slim.learning (create_train_op, train: loss drops, checkpoints in logdir, resume,
init_fn) and slim.evaluation (evaluate_once, evaluation_loop) on a small regression."""

import os

import numpy as np
import pytest

import flowexec as tf
import flowexec.contrib.slim as slim

RNG = np.random.RandomState(0)
X = RNG.standard_normal((32, 3)).astype(np.float32)
W_TRUE = np.array([[1.0], [-2.0], [0.5]], np.float32)
Y = X @ W_TRUE


def _build(lr=0.1, **kwargs):
    pred = slim.fully_connected(tf.constant(X), 1, activation_fn=None, scope="fc")
    slim.losses.mean_squared_error(pred, tf.constant(Y))
    total = slim.losses.get_total_loss()
    opt = tf.train.GradientDescentOptimizer(lr)
    return slim.learning.create_train_op(total, opt, **kwargs), total, pred


def test_create_train_op_returns_loss_and_steps():
    train_op, total, _ = _build()
    step = tf.train.get_global_step()
    assert train_op in tf.get_collection(tf.GraphKeys.TRAIN_OP)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(total)
        l0 = sess.run(train_op)
        np.testing.assert_allclose(l0, first, rtol=1e-6)  # loss of the applied step
        for _ in range(20):
            loss = sess.run(train_op)
        assert loss < 0.2 * first
        assert sess.run(step) == 21


def test_create_train_op_update_ops_multipliers_and_clipping():
    counter = tf.Variable(0.0, trainable=False)
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_add(counter, 1.0))
    w = tf.Variable([1.0, 1.0], name="w")
    v = tf.Variable([1.0, 1.0], name="v")
    loss = tf.reduce_sum(w * tf.constant([3.0, 4.0])) + tf.reduce_sum(v * 2.0)
    opt = tf.train.GradientDescentOptimizer(1.0)
    train_op = slim.learning.create_train_op(loss, opt, global_step=None,
                                             gradient_multipliers={"v": 0.5},
                                             clip_gradient_norm=1.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train_op)
        # w's gradient (3, 4) clipped to norm 1; v's (2, 2) halved then clipped to norm 1.
        np.testing.assert_allclose(sess.run(w), [1 - 0.6, 1 - 0.8], rtol=1e-5)
        np.testing.assert_allclose(sess.run(v), 1 - np.sqrt(0.5), rtol=1e-5)
        assert sess.run(counter) == 1.0
    with pytest.raises(ValueError):
        slim.learning.multiply_gradients([], {})


def test_create_train_op_check_numerics():
    w = tf.Variable(1.0)
    train_op = slim.learning.create_train_op(tf.log(w - 1.0) * 0.0 + tf.log(w * 0.0),
                                             tf.train.GradientDescentOptimizer(0.1))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError):
            sess.run(train_op)


def _ckpt_steps(logdir):
    state = tf.train.get_checkpoint_state(logdir)
    return state.model_checkpoint_path if state else None


def test_train_loss_drops_checkpoints_and_resumes(tmp_path):
    logdir = str(tmp_path / "train")
    with tf.Graph().as_default():
        train_op, total, _ = _build()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            initial = sess.run(total)
        final = slim.learning.train(train_op, logdir, number_of_steps=30,
                                    save_summaries_secs=None, log_every_n_steps=10)
    assert final < 0.05 * initial
    assert _ckpt_steps(logdir).endswith("model.ckpt-30")
    with tf.Graph().as_default():
        train_op, _, _ = _build()
        final2 = slim.learning.train(train_op, logdir, number_of_steps=40,
                                     save_summaries_secs=None)
    assert _ckpt_steps(logdir).endswith("model.ckpt-40")  # resumed at 30, ran 10 more
    assert final2 < final
    reader = tf.train.NewCheckpointReader(_ckpt_steps(logdir))
    assert reader.get_tensor("global_step") == 40
    with pytest.raises(ValueError):
        slim.learning.train(train_op, logdir, number_of_steps=0)


def test_train_init_fn_warm_start_and_no_logdir(tmp_path):
    # A checkpoint with fc/weights = W_TRUE; init_fn restores only the weights.
    with tf.Graph().as_default():
        w = tf.Variable(W_TRUE, name="fc/weights")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = tf.train.Saver([w]).save(sess, str(tmp_path / "warm.ckpt"))
    with tf.Graph().as_default():
        train_op, total, _ = _build(lr=0.0)
        init_fn = slim.assign_from_checkpoint_fn(
            path, slim.get_variables_to_restore(include=["fc"]), ignore_missing_vars=True)
        loss = slim.learning.train(train_op, None, number_of_steps=1, init_fn=init_fn)
    assert loss < 1e-10


def test_evaluate_once_and_evaluation_loop(tmp_path):
    logdir = str(tmp_path / "train")
    with tf.Graph().as_default():
        train_op, _, _ = _build()
        slim.learning.train(train_op, logdir, number_of_steps=50, save_summaries_secs=None)
    ckpt = tf.train.latest_checkpoint(logdir)

    def eval_graph():
        pred = slim.fully_connected(tf.constant(X), 1, activation_fn=None, scope="fc")
        tf.train.get_or_create_global_step()
        return slim.metrics.aggregate_metric_map({
            "mse": slim.metrics.streaming_mean_squared_error(pred, tf.constant(Y)),
            "count": slim.metrics.streaming_mean(tf.ones([4]), name="count")})

    with tf.Graph().as_default():
        values, updates = eval_graph()
        out = slim.evaluation.evaluate_once("", ckpt, None, num_evals=3,
                                            eval_op=list(updates.values()), final_op=values)
    reader = tf.train.NewCheckpointReader(ckpt)
    w = reader.get_tensor("fc/weights")
    b = reader.get_tensor("fc/biases")
    np.testing.assert_allclose(out["mse"], np.mean((X @ w + b - Y) ** 2), rtol=1e-4)
    assert out["mse"] < 0.05
    assert out["count"] == 1.0
    with tf.Graph().as_default():
        values, updates = eval_graph()
        counter = tf.Variable(0, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES])
        step = tf.assign_add(counter, 1)
        out = slim.evaluation.evaluation_loop(
            "", logdir, None, num_evals=4, eval_op=[step], final_op=counter,
            eval_interval_secs=0, max_number_of_evaluations=1)
    assert out == 4  # eval_op ran num_evals times on fresh local variables
