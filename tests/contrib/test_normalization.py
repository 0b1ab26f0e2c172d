"""tf.contrib.layers.batch_norm / layer_norm: TF 1.15's variables, paths (core layer, fused,
moments), moving averages over several steps against a numpy simulation, in-place updates
(`updates_collections=None`), bool-Tensor `is_training`, errors; layer_norm against numpy
and finite differences."""

import numpy as np
import pytest

import flowexec as tf
from tests.contrib.helpers import check_input_gradient, run

L = tf.contrib.layers
EPS = 0.001


def _names(collection=tf.GraphKeys.GLOBAL_VARIABLES):
    return {v.name: v.shape.as_list() for v in tf.get_collection(collection)}


def _var(name):
    return tf.get_default_graph().get_tensor_by_name(name)


def _simulate(batches, axes, decay, bessel):
    """(normalized outputs, moving means, moving variances) after each step, in numpy."""
    mm, mv, outs, means, variances = 0.0, 1.0, [], [], []
    for x in batches:
        mean, var = x.mean(axes), x.var(axes)
        shape = [1] * x.ndim
        c_axis = [a for a in range(x.ndim) if a not in axes][0]
        shape[c_axis] = -1
        outs.append((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + EPS))
        n = x.size / mean.size
        upd_var = var * n / (n - 1) if bessel else var
        mm = mm - (mm - mean) * (1 - decay)
        mv = mv - (mv - upd_var) * (1 - decay)
        means.append(mm)
        variances.append(mv)
    return outs, means, variances


def _batches(shape, k=3, seed=0):
    rng = np.random.RandomState(seed)
    return [(rng.standard_normal(shape) * (i + 1) + i).astype(np.float32) for i in range(k)]


def _train_steps(x, y, batches, extra=()):
    outs, means, variances = [], [], []
    mm, mv = _var("BatchNorm/moving_mean:0"), _var("BatchNorm/moving_variance:0")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for b in batches:
            out = sess.run([y] + list(extra), {x: b})[0]
            outs.append(out)
            m, v = sess.run([mm, mv])
            means.append(m)
            variances.append(v)
    return outs, means, variances


def _assert_matches(got, want):
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4)


def test_default_variables_and_collections_4d():
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    L.batch_norm(x)
    L.batch_norm(x, scale=True, scope="bn2")
    assert _names(tf.GraphKeys.MODEL_VARIABLES) == {
        "BatchNorm/beta:0": [3], "BatchNorm/moving_mean:0": [3],
        "BatchNorm/moving_variance:0": [3], "bn2/beta:0": [3], "bn2/gamma:0": [3],
        "bn2/moving_mean:0": [3], "bn2/moving_variance:0": [3]}
    assert sorted(_names(tf.GraphKeys.TRAINABLE_VARIABLES)) == [
        "BatchNorm/beta:0", "bn2/beta:0", "bn2/gamma:0"]
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 4


def test_4d_core_path_moving_averages_over_steps():
    x = tf.placeholder(tf.float32, [8, 3, 3, 2])
    y = L.batch_norm(x, decay=0.9)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    batches = _batches([8, 3, 3, 2])
    got = _train_steps(x, y, batches, updates)
    # The fused kernel's batch variance (for the averages) carries Bessel's correction.
    _assert_matches(got, _simulate(batches, (0, 1, 2), 0.9, bessel=True))


def test_2d_input_takes_the_fused_path_with_update_ops():
    x = tf.placeholder(tf.float32, [16, 3])
    y = L.batch_norm(x, decay=0.8)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert [u.op.name for u in updates] == ["BatchNorm/AssignMovingAvg",
                                            "BatchNorm/AssignMovingAvg_1"]
    assert y.shape.as_list() == [16, 3]
    batches = _batches([16, 3], seed=1)
    got = _train_steps(x, y, batches, updates)
    _assert_matches(got, _simulate(batches, (0,), 0.8, bessel=True))


def test_updates_not_run_leave_moving_averages():
    x = tf.placeholder(tf.float32, [16, 3])
    y = L.batch_norm(x)
    _, means, variances = _train_steps(x, y, _batches([16, 3]))
    np.testing.assert_array_equal(means[-1], np.zeros(3))
    np.testing.assert_array_equal(variances[-1], np.ones(3))


def test_in_place_updates_with_updates_collections_none_rank_3():
    x = tf.placeholder(tf.float32, [4, 5, 3])
    y = L.batch_norm(x, decay=0.7, updates_collections=None)
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    batches = _batches([4, 5, 3], seed=2)
    got = _train_steps(x, y, batches)
    # The moments path: the biased batch variance feeds the averages.
    _assert_matches(got, _simulate(batches, (0, 1), 0.7, bessel=False))


def test_in_place_fused_updates_nchw():
    x = tf.placeholder(tf.float32, [4, 2, 3, 3])
    y = L.batch_norm(x, decay=0.5, updates_collections=None, data_format="NCHW")
    assert _names(tf.GraphKeys.MODEL_VARIABLES)["BatchNorm/beta:0"] == [2]
    batches = _batches([4, 2, 3, 3], seed=3)
    got = _train_steps(x, y, batches)
    _assert_matches(got, _simulate(batches, (0, 2, 3), 0.5, bessel=True))


def test_moments_path_nchw_and_custom_collection():
    x = tf.placeholder(tf.float32, [4, 2, 3, 3])
    y = L.batch_norm(x, decay=0.5, updates_collections=["my_updates"], data_format="NCHW",
                     fused=False)
    updates = tf.get_collection("my_updates")
    assert len(updates) == 2 and tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    batches = _batches([4, 2, 3, 3], seed=4)
    got = _train_steps(x, y, batches, updates)
    _assert_matches(got, _simulate(batches, (0, 2, 3), 0.5, bessel=False))


@pytest.mark.parametrize("shape", [[6, 4], [6, 2, 2, 4], [6, 3, 4]])
def test_tensor_is_training_switches_statistics_and_updates(shape):
    x = tf.placeholder(tf.float32, shape)
    training = tf.placeholder(tf.bool, [])
    y = L.batch_norm(x, decay=0.5, is_training=training, updates_collections=None,
                     scale=True, param_initializers={"gamma": tf.constant_initializer(2.0),
                                                     "beta": tf.constant_initializer(0.5)})
    mm = _var("BatchNorm/moving_mean:0")
    b = _batches(shape, 1, seed=5)[0]
    axes = tuple(range(len(shape) - 1))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        infer = sess.run(y, {x: b, training: False})
        np.testing.assert_allclose(infer, 2.0 * b / np.sqrt(1 + EPS) + 0.5, rtol=1e-5)
        np.testing.assert_array_equal(sess.run(mm), np.zeros(shape[-1]))
        train = sess.run(y, {x: b, training: True})
        norm = (b - b.mean(axes)) / np.sqrt(b.var(axes) + EPS)
        np.testing.assert_allclose(train, 2.0 * norm + 0.5, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(sess.run(mm), 0.5 * b.mean(axes), rtol=1e-5, atol=1e-6)


def test_is_training_false_uses_moving_averages_without_updates():
    x = tf.placeholder(tf.float32, [None, 3])
    y = L.batch_norm(x, is_training=False, param_initializers={
        "moving_mean": tf.constant_initializer(1.0),
        "moving_variance": tf.constant_initializer(4.0)})
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    b = np.array([[1.0, 3.0, 5.0]], np.float32)
    np.testing.assert_allclose(run(y, {x: b}), (b - 1.0) / np.sqrt(4.0 + EPS), rtol=1e-5)


def test_batch_weights_use_weighted_moments():
    x = tf.placeholder(tf.float32, [4, 2])
    w = np.array([1.0, 2.0, 0.0, 1.0], np.float32)
    y = L.batch_norm(x, batch_weights=w, decay=0.5)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    b = _batches([4, 2], 1, seed=6)[0]
    mean = (w[:, None] * b).sum(0) / w.sum()
    var = (w[:, None] * (b - mean) ** 2).sum(0) / w.sum()
    out, _, _ = run([y] + updates, {x: b})
    np.testing.assert_allclose(out, (b - mean) / np.sqrt(var + EPS), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(run(_var("BatchNorm/moving_mean:0")), np.zeros(2))


def test_param_regularizers_activation_and_reuse():
    x = tf.placeholder(tf.float32, [None, 2, 2, 3])
    L.batch_norm(x, scale=True, param_regularizers={"gamma": L.l2_regularizer(0.1),
                                                    "beta": L.l1_regularizer(0.1)},
                 activation_fn=tf.nn.relu, scope="bn")
    y = L.batch_norm(x, scale=True, scope="bn", reuse=True, is_training=False)
    assert sorted(t.op.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) \
        == ["bn/beta/Regularizer/l1_regularizer", "bn/gamma/Regularizer/l2_regularizer"]
    assert len(tf.global_variables()) == 4
    assert y.shape.as_list() == [None, 2, 2, 3]


def test_zero_debias_moving_mean_creates_tfs_variables():
    x = tf.placeholder(tf.float32, [8, 3])
    y = L.batch_norm(x, zero_debias_moving_mean=True, decay=0.5)
    # As TF: assign_moving_average opens the variable's full name inside the BatchNorm scope.
    assert set(_names()) == {
        "BatchNorm/beta:0", "BatchNorm/moving_mean:0", "BatchNorm/moving_variance:0",
        "BatchNorm/BatchNorm/moving_mean/biased:0",
        "BatchNorm/BatchNorm/moving_mean/local_step:0"}
    b = _batches([8, 3], 2, seed=9)
    _, means, _ = _train_steps(x, y, b, tf.get_collection(tf.GraphKeys.UPDATE_OPS))
    # Debiased: after step 1 the average is the first batch mean itself.
    np.testing.assert_allclose(means[0], b[0].mean(0), rtol=1e-5, atol=1e-6)
    biased = 0.5 * b[0].mean(0) * 0.5 + 0.5 * b[1].mean(0)
    np.testing.assert_allclose(means[1], biased / (1 - 0.25), rtol=1e-5, atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
        L.batch_norm(tf.zeros([2, 3, 3]), data_format="NCW")
    with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
        L.batch_norm(tf.zeros([2, 3]), data_format="NWC")
    with pytest.raises(ValueError, match="renorm is not supported with batch_weights, "
                                         "updates_collections or zero_debias_moving_mean"):
        L.batch_norm(tf.zeros([2, 3, 3]), renorm=True, updates_collections=None)
    with pytest.raises(ValueError, match="has undefined rank"):
        L.batch_norm(tf.placeholder(tf.float32), updates_collections=None)
    with pytest.raises(ValueError, match="has undefined channels dimension"):
        L.batch_norm(tf.placeholder(tf.float32, [2, 3, None]), updates_collections=None)


# ----- layer_norm ----------------------------------------------------------------------------
def _np_layer_norm(x, begin_norm_axis, gamma=1.0, beta=0.0, eps=1e-12):
    axes = tuple(range(begin_norm_axis, x.ndim))
    mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_layer_norm_variables_and_numpy():
    x = tf.placeholder(tf.float32, [None, 3, 4])
    y = L.layer_norm(x)
    L.layer_norm(x, begin_norm_axis=-1, begin_params_axis=1, center=False, scope="ln")
    assert _names(tf.GraphKeys.MODEL_VARIABLES) == {
        "LayerNorm/beta:0": [4], "LayerNorm/gamma:0": [4], "ln/gamma:0": [3, 4]}
    b = _batches([2, 3, 4], 1, seed=7)[0]
    np.testing.assert_allclose(run(y, {x: b}), _np_layer_norm(b, 1), rtol=1e-4, atol=1e-5)
    z = L.layer_norm(tf.constant(b), begin_norm_axis=2, scope="last")
    np.testing.assert_allclose(run(z), _np_layer_norm(b, 2), rtol=1e-4, atol=1e-5)


def test_layer_norm_gradient_and_errors():
    x = tf.placeholder(tf.float64, [2, 5])
    y = L.layer_norm(x, activation_fn=tf.nn.tanh)
    check_input_gradient(y, x, np.random.RandomState(8).standard_normal((2, 5)))
    with pytest.raises(ValueError, match=r"begin_params_axis \(2\) and begin_norm_axis \(1\) "
                                         r"must be < rank\(inputs\) \(2\)"):
        L.layer_norm(x, begin_params_axis=2)
    with pytest.raises(ValueError, match="has undefined rank"):
        L.layer_norm(tf.placeholder(tf.float32))
    with pytest.raises(ValueError, match=r"shape\(inputs\)\[-1:\] is not fully defined"):
        L.layer_norm(tf.placeholder(tf.float32, [2, None]))


@pytest.mark.parametrize("shape,fused", [([6, 4], None), ([6, 3, 4], False),
                                         ([6, 2, 2, 4], None)])
def test_tensor_is_training_with_update_ops(shape, fused):
    x = tf.placeholder(tf.float32, shape)
    training = tf.placeholder(tf.bool, [])
    L.batch_norm(x, decay=0.5, is_training=training, fused=fused)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    mm = _var("BatchNorm/moving_mean:0")
    b = _batches(shape, 1, seed=10)[0]
    axes = tuple(range(len(shape) - 1))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(updates, {x: b, training: False})
        np.testing.assert_array_equal(sess.run(mm), np.zeros(shape[-1]))
        sess.run(updates, {x: b, training: True})
        np.testing.assert_allclose(sess.run(mm), 0.5 * b.mean(axes), rtol=1e-5, atol=1e-6)
