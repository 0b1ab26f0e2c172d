"""Adadelta, FTRL and the proximal optimizers vs numpy implementations of TF's update rules
(several steps, slot names), the cosine schedules vs their formulas, and minimize() with any
iterable var_list and a global step."""

import math

import numpy as np
import pytest

import flowexec as tf

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 3))
Y = RNG.normal(size=(8, 1))
W0 = np.full((3, 1), 0.5)


def _grad(w):
    return 2 * X.T @ (X @ w - Y) / len(X)


def _adadelta(lr, rho, eps):
    def step(w, s):
        g = _grad(w)
        s.setdefault("a", np.zeros_like(w))
        s.setdefault("u", np.zeros_like(w))
        s["a"] = rho * s["a"] + (1 - rho) * g * g
        upd = np.sqrt(s["u"] + eps) / np.sqrt(s["a"] + eps) * g
        s["u"] = rho * s["u"] + (1 - rho) * upd * upd
        return w - lr * upd
    return step


def _prox(p, lr, l1, l2):
    if l1 > 0:
        return np.sign(p) * np.maximum(np.abs(p) - lr * l1, 0) / (1 + lr * l2)
    return p / (1 + lr * l2)


def _proximal_gd(lr, l1, l2):
    return lambda w, s: _prox(w - lr * _grad(w), lr, l1, l2)


def _proximal_adagrad(lr, init, l1, l2):
    def step(w, s):
        g = _grad(w)
        s["a"] = s.get("a", np.full_like(w, init)) + g * g
        rate = lr / np.sqrt(s["a"])
        return _prox(w - g * rate, rate, l1, l2)
    return step


def _ftrl(lr, power, init, l1, l2, shrink):
    def step(w, s):
        g = _grad(w)
        n = s.get("n", np.full_like(w, init))
        z = s.get("z", np.zeros_like(w))
        n2 = n + g * g
        z = z + g + 2 * shrink * w - (n2 ** -power - n ** -power) / lr * w
        quad = n2 ** -power / lr + 2 * l2
        s["n"], s["z"] = n2, z
        return np.where(np.abs(z) > l1, (np.sign(z) * l1 - z) / quad, 0.0)
    return step


CASES = [
    ("adadelta", lambda: tf.train.AdadeltaOptimizer(1.0), _adadelta(1.0, 0.95, 1e-8),
     ["w/Adadelta:0", "w/Adadelta_1:0"]),
    ("adadelta_args", lambda: tf.train.AdadeltaOptimizer(0.5, rho=0.9, epsilon=1e-6),
     _adadelta(0.5, 0.9, 1e-6), None),
    ("proximal_gd_l1", lambda: tf.train.ProximalGradientDescentOptimizer(
        0.1, l1_regularization_strength=0.05, l2_regularization_strength=0.1),
     _proximal_gd(0.1, 0.05, 0.1), []),
    ("proximal_gd_l2", lambda: tf.train.ProximalGradientDescentOptimizer(
        0.1, l2_regularization_strength=0.1), _proximal_gd(0.1, 0.0, 0.1), None),
    ("proximal_adagrad", lambda: tf.train.ProximalAdagradOptimizer(
        0.2, l1_regularization_strength=0.05, l2_regularization_strength=0.02),
     _proximal_adagrad(0.2, 0.1, 0.05, 0.02), ["w/ProximalAdagrad:0"]),
    ("ftrl", lambda: tf.train.FtrlOptimizer(0.3), _ftrl(0.3, -0.5, 0.1, 0, 0, 0),
     ["w/Ftrl:0", "w/Ftrl_1:0"]),
    ("ftrl_power_l1_l2", lambda: tf.train.FtrlOptimizer(
        0.3, learning_rate_power=-0.7, l1_regularization_strength=0.02,
        l2_regularization_strength=0.1), _ftrl(0.3, -0.7, 0.1, 0.02, 0.1, 0), None),
    ("ftrl_shrinkage", lambda: tf.train.FtrlOptimizer(
        0.3, l2_shrinkage_regularization_strength=0.1, l1_regularization_strength=0.01),
     _ftrl(0.3, -0.5, 0.1, 0.01, 0, 0.1), None),
]


@pytest.mark.parametrize("name, make, ref, slots", CASES, ids=[c[0] for c in CASES])
def test_optimizer_matches_numpy_update_rule(name, make, ref, slots):
    w = tf.Variable(W0, name="w")
    loss = tf.reduce_mean(tf.square(tf.matmul(tf.constant(X), w) - Y))
    train = make().minimize(loss)
    if slots is not None:
        assert sorted(v.name for v in tf.global_variables()) == sorted(["w:0"] + slots)
    want, state = W0.copy(), {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train)
            want = ref(want, state)
        np.testing.assert_allclose(sess.run(w), want, rtol=1e-6, atol=1e-9)  # hyperparameters are float32, as in TF


def test_proximal_l1_makes_weights_exactly_zero():
    w = tf.Variable([0.01, -0.02, 3.0], dtype=tf.float64)
    train = tf.train.ProximalGradientDescentOptimizer(
        0.5, l1_regularization_strength=0.1).minimize(tf.reduce_sum(0.0 * w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [0.0, 0.0, 2.95])


def test_ftrl_argument_checks():
    with pytest.raises(ValueError, match="learning_rate_power 0.5 needs to be negative"):
        tf.train.FtrlOptimizer(0.1, learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength -1 needs to be positive"):
        tf.train.FtrlOptimizer(0.1, l1_regularization_strength=-1)
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        tf.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0)


def test_minimize_accepts_dict_values_and_get_or_create_global_step():
    params = {"a": tf.Variable(1.0), "b": tf.Variable(2.0)}
    step = tf.train.get_or_create_global_step()
    train = tf.train.FtrlOptimizer(0.1).minimize(params["a"] * params["b"],
                                                 var_list=params.values(), global_step=step)
    assert tf.train.get_or_create_global_step() is step
    gen = tf.train.GradientDescentOptimizer(0.1).compute_gradients(
        params["a"] * params["b"], var_list=(v for v in params.values()))
    assert [v for _, v in gen] == list(params.values())
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        sess.run(train)
        assert sess.run(step) == 2


def _decays(step):
    cd = lambda s, n, a: (1 - a) * 0.5 * (1 + math.cos(math.pi * min(s, n) / n)) + a
    def sgdr(s, first, t, m, a):
        frac = s / first
        if t == 1.0:
            i = math.floor(frac)
            frac -= i
        else:
            i = math.floor(math.log(1 - frac * (1 - t)) / math.log(t))
            frac = (frac - (1 - t ** i) / (1 - t)) / t ** i
        return (1 - a) * 0.5 * m ** i * (1 + math.cos(math.pi * frac)) + a

    def lin(s, n, periods, a, b):
        s = min(s, n)
        return (a + (n - s) / n) * 0.5 * (1 + math.cos(math.pi * 2 * periods * s / n)) + b
    return [0.1 * cd(step, 50, 0.1), 0.1 * sgdr(step, 10, 2.0, 1.0, 0.0),
            0.1 * sgdr(step, 10, 1.0, 0.5, 0.05), 0.1 * sgdr(step, 7, 3.0, 0.8, 0.0),
            0.1 * lin(step, 50, 2.0, 0.1, 0.001)]


def test_cosine_schedules_follow_tfs_formulas():
    step = tf.placeholder(tf.int64, [])
    T = tf.train
    lrs = [T.cosine_decay(0.1, step, 50, alpha=0.1), T.cosine_decay_restarts(0.1, step, 10),
           T.cosine_decay_restarts(0.1, step, 10, t_mul=1.0, m_mul=0.5, alpha=0.05),
           T.cosine_decay_restarts(0.1, step, 7, t_mul=3.0, m_mul=0.8),
           T.linear_cosine_decay(0.1, step, 50, num_periods=2.0, alpha=0.1)]
    noisy = T.noisy_linear_cosine_decay(0.1, step, 50)
    with tf.Session() as sess:
        for s in (0, 3, 10, 17, 31, 49, 60, 100):
            np.testing.assert_allclose(sess.run(lrs, {step: s}), _decays(s), rtol=1e-5,
                                       err_msg=str(s))
        samples = [sess.run(noisy, {step: 10}) for _ in range(200)]
    # linear 0.8, cosine(0.2 pi) factor; noise std sqrt(1 / 11**0.55) on the linear term.
    c = 0.5 * (1 + math.cos(math.pi * 10 / 50))
    assert abs(np.mean(samples) - 0.1 * (0.8 * c + 0.001)) < 0.1 * c * 3 * 0.52 / np.sqrt(200)
    assert 0.5 < np.std(samples) / (0.1 * c * math.sqrt(11 ** -0.55)) < 1.5
    with pytest.raises(ValueError, match="cosine decay requires global_step"):
        T.cosine_decay(0.1, None, 10)
