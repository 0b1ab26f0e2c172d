"""AdagradDAOptimizer against TF's recorded trajectory."""

import numpy as np
import pytest

import flowexec as tf

# TF 2.x compat.v1 AdagradDAOptimizer(0.5, global_step, 0.1, l1, l2) on
# loss = sum(v * v * x), v0 = [1, -2, 0.5], x = [0.3, -1, 2]: v after each of 3 steps
TF_TRAJECTORIES = {
    (0.0, 0.0): [[-0.4423258602619171, -0.4984447658061981, -0.4938648045063019],
                 [-0.22971312701702118, -0.6042972207069397, -0.004337577149271965],
                 [-0.13273540139198303, -0.7203128337860107, -0.0012708904687315226]],
    (0.1, 0.2): [[-0.32124054431915283, -0.4741663634777069, -0.44709131121635437],
                 [-0.11449466645717621, -0.5491910576820374, -0.002004935871809721],
                 [-0.019118327647447586, -0.6291807293891907, -0.0]],
}


@pytest.mark.parametrize("l1, l2", sorted(TF_TRAJECTORIES))
def test_matches_tensorflow(l1, l2):
    with tf.Graph().as_default():
        gs = tf.train.get_or_create_global_step()
        v = tf.Variable([1.0, -2.0, 0.5])
        loss = tf.reduce_sum(v * v * tf.constant([0.3, -1.0, 2.0]))
        opt = tf.train.AdagradDAOptimizer(0.5, gs, initial_gradient_squared_accumulator_value=0.1,
                                          l1_regularization_strength=l1,
                                          l2_regularization_strength=l2)
        train = opt.minimize(loss, global_step=gs)
        assert sorted(opt.get_slot_names()) == ["gradient_accumulator",
                                                "gradient_squared_accumulator"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = []
            for _ in range(3):
                sess.run(train)
                got.append(sess.run(v).tolist())
            assert sess.run(gs) == 3
    np.testing.assert_allclose(got, TF_TRAJECTORIES[(l1, l2)], rtol=1e-5, atol=1e-7)


def test_rejects_bad_accumulator():
    with pytest.raises(ValueError, match="positive"):
        tf.train.AdagradDAOptimizer(0.1, None, initial_gradient_squared_accumulator_value=0.0)
