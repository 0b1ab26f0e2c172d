"""tf.train learning-rate schedules vs their numpy formulas over several global steps, with
TF1's names and argument errors."""

import math

import numpy as np
import pytest

import flowexec as tf
from flowexec.train import learning_rate_decay as lrd

STEPS = [0, 1, 5, 7, 10, 12, 25, 100]


def _poly(step, lr, ds, end, power, cycle):
    if cycle:
        ds = ds * (1.0 if step == 0 else math.ceil(step / ds))
    else:
        step = min(step, ds)
    return (lr - end) * (1 - step / ds) ** power + end


SCHEDULES = [
    ("exponential", lambda s: lrd.exponential_decay(0.1, s, 10, 0.5),
     lambda n: 0.1 * 0.5 ** (n / 10)),
    ("exponential_staircase", lambda s: lrd.exponential_decay(0.1, s, 10, 0.5, staircase=True),
     lambda n: 0.1 * 0.5 ** (n // 10)),
    ("piecewise_constant", lambda s: lrd.piecewise_constant(s, [5, 10], [1.0, 0.5, 0.1]),
     lambda n: 1.0 if n <= 5 else 0.5 if n <= 10 else 0.1),
    ("polynomial", lambda s: lrd.polynomial_decay(0.1, s, 10, 0.01, power=2.0),
     lambda n: _poly(n, 0.1, 10, 0.01, 2.0, False)),
    ("polynomial_cycle", lambda s: lrd.polynomial_decay(0.1, s, 10, cycle=True),
     lambda n: _poly(n, 0.1, 10, 0.0001, 1.0, True)),
    ("natural_exp", lambda s: lrd.natural_exp_decay(0.1, s, 5, 0.5),
     lambda n: 0.1 * math.exp(-0.5 * n / 5)),
    ("natural_exp_staircase", lambda s: lrd.natural_exp_decay(0.1, s, 5, 0.5, staircase=True),
     lambda n: 0.1 * math.exp(-0.5 * (n // 5))),
    ("inverse_time", lambda s: lrd.inverse_time_decay(0.1, s, 2, 0.5),
     lambda n: 0.1 / (1 + 0.5 * n / 2)),
    ("inverse_time_staircase",
     lambda s: lrd.inverse_time_decay(0.1, s, 2, 0.5, staircase=True),
     lambda n: 0.1 / (1 + 0.5 * (n // 2))),
]


@pytest.mark.parametrize("build, formula", [s[1:] for s in SCHEDULES],
                         ids=[s[0] for s in SCHEDULES])
@pytest.mark.parametrize("step_dtype", [tf.int64, tf.int32])
def test_schedule_matches_formula(build, formula, step_dtype):
    step = tf.placeholder(step_dtype, [])
    lr = build(step)
    assert lr.dtype == tf.float32 and lr.shape.ndims == 0
    with tf.Session() as sess:
        got = [sess.run(lr, {step: n}) for n in STEPS]
    np.testing.assert_allclose(got, [formula(n) for n in STEPS], rtol=1e-5)


def test_schedules_follow_the_global_step_variable():
    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, step, 10, 0.5, staircase=True)
    inc = tf.assign_add(step, 10)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(lr)
        sess.run(inc)
        np.testing.assert_allclose([first, sess.run(lr)], [0.1, 0.05], rtol=1e-6)


def test_float64_learning_rate_keeps_its_dtype():
    lr = lrd.exponential_decay(tf.constant(0.1, tf.float64), tf.constant(3), 10, 0.5)
    assert lr.dtype == tf.float64


def test_names_follow_tf1():
    s = tf.constant(3, tf.int64)
    assert lrd.exponential_decay(0.1, s, 10, 0.5).op.name == "ExponentialDecay"
    assert lrd.polynomial_decay(0.1, s, 10).op.name == "PolynomialDecay"
    assert lrd.natural_exp_decay(0.1, s, 10, 0.5).op.name == "NaturalExpDecay"
    assert lrd.inverse_time_decay(0.1, s, 10, 0.5).op.name == "InverseTimeDecay"
    assert lrd.piecewise_constant(s, [1], [1.0, 2.0]).op.name.startswith("PiecewiseConstant/")
    assert lrd.exponential_decay(0.1, s, 10, 0.5, name="lr").op.name == "lr"


def test_argument_errors():
    with pytest.raises(ValueError, match="global_step is required for exponential_decay"):
        lrd.exponential_decay(0.1, None, 10, 0.5)
    with pytest.raises(ValueError, match="global_step is required for polynomial_decay"):
        lrd.polynomial_decay(0.1, None, 10)
    s = tf.constant(3, tf.int64)
    with pytest.raises(ValueError, match="length of boundaries should be 1 less"):
        lrd.piecewise_constant(s, [1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"Boundaries \(float32\) must have the same dtype"):
        lrd.piecewise_constant(s, [1.5], [1.0, 2.0])
    with pytest.raises(ValueError, match="Values must have elements all with the same dtype"):
        lrd.piecewise_constant(s, [1], [1.0, 2])


def test_exported_from_tf_train():
    for name in lrd.__all__:
        assert getattr(tf.train, name) is getattr(lrd, name)
