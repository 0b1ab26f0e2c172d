"""A small MLP with ref variables, built the same way in every graph_io test."""

import numpy as np

import flowexec as tf

DATA = __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "data", "tf1")


def weights():
    rng = np.random.RandomState(7)
    return {"w1": rng.randn(4, 5).astype(np.float32), "b1": rng.randn(5).astype(np.float32),
            "w2": rng.randn(5, 3).astype(np.float32), "b2": rng.randn(3).astype(np.float32)}


def mlp():
    """x -> y (softmax of a 2-layer MLP); returns (x, y, init)."""
    w = weights()
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    with tf.variable_scope("layer1"):
        w1 = tf.Variable(w["w1"], name="w")
        b1 = tf.Variable(w["b1"], name="b")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
    with tf.variable_scope("layer2"):
        w2 = tf.Variable(w["w2"], name="w")
        b2 = tf.Variable(w["b2"], name="b")
        logits = tf.matmul(h, w2) + b2
    y = tf.nn.softmax(logits, name="y")
    init = tf.global_variables_initializer()
    return x, y, init


def numpy_mlp(x):
    w = weights()
    h = np.maximum(x @ w["w1"] + w["b1"], 0)
    z = h @ w["w2"] + w["b2"]
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)
