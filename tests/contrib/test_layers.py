"""tf.contrib.layers layer functions: TF 1.15's variable names, shapes and collections,
defaults (relu, SAME conv, VALID pools with stride 2), reuse, numpy oracles for outputs and
finite-difference gradients."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.contrib.layers.utils import get_tensor_aliases
from tests.contrib.helpers import check_input_gradient, run
from tests.ops.test_conv import np_conv
from tests.ops.test_pooling import np_pool

L = tf.contrib.layers
MV = tf.GraphKeys.MODEL_VARIABLES


def _names(collection=tf.GraphKeys.GLOBAL_VARIABLES):
    return {v.name: v.shape.as_list() for v in tf.get_collection(collection)}


# ----- fully_connected -----------------------------------------------------------------------
def test_fully_connected_variables_collections_and_relu():
    x = tf.placeholder(tf.float32, [None, 5])
    y = L.fully_connected(x, 3)
    L.fully_connected(x, 2)
    expected = {"fully_connected/weights:0": [5, 3], "fully_connected/biases:0": [3],
                "fully_connected_1/weights:0": [5, 2], "fully_connected_1/biases:0": [2]}
    assert _names() == expected
    assert _names(MV) == expected
    assert _names(tf.GraphKeys.TRAINABLE_VARIABLES) == expected
    assert y.op.name == "fully_connected/Relu"
    w, b = tf.global_variables()[:2]
    xv = np.random.RandomState(0).standard_normal((4, 5)).astype(np.float32)
    out, wv, bv = run([y, w, b], {x: xv})
    np.testing.assert_allclose(out, np.maximum(xv @ wv + bv, 0), rtol=1e-5, atol=1e-6)
    assert np.all(bv == 0)
    # xavier_initializer's uniform limit sqrt(6 / (5 + 3)).
    assert np.abs(wv).max() <= np.sqrt(6.0 / 8)


def test_fully_connected_options():
    x = tf.placeholder(tf.float32, [None, 4])
    y = L.fully_connected(x, 3, activation_fn=None, biases_initializer=None,
                          weights_initializer=tf.constant_initializer(0.5), trainable=False,
                          variables_collections=["mine"], outputs_collections="outs",
                          scope="fc")
    assert _names() == {"fc/weights:0": [4, 3]}
    assert tf.trainable_variables() == []
    assert [v.name for v in tf.get_collection("mine")] == ["fc/weights:0"]
    assert tf.get_collection("outs") == [y] and get_tensor_aliases(y) == ["fc"]
    np.testing.assert_allclose(run(y, {x: np.ones((2, 4))}), np.full((2, 3), 2.0))


def test_fully_connected_variables_collections_dict_and_reuse():
    x = tf.placeholder(tf.float32, [None, 4])
    y1 = L.fully_connected(x, 3, scope="fc",
                           variables_collections={"weights": ["W"], "biases": ["B"]})
    y2 = L.fully_connected(x, 3, scope="fc", reuse=True)
    assert [v.name for v in tf.get_collection("W")] == ["fc/weights:0"]
    assert [v.name for v in tf.get_collection("B")] == ["fc/biases:0"]
    assert len(tf.global_variables()) == 2
    assert y2.op.name == "fc_1/Relu"
    a, b = run([y1, y2], {x: np.ones((1, 4))})
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Variable fc/weights already exists"):
        L.fully_connected(x, 3, scope="fc")


def test_fully_connected_regularizers_named_as_tf():
    x = tf.placeholder(tf.float32, [None, 4])
    L.fully_connected(x, 3, weights_regularizer=L.l2_regularizer(0.1),
                      biases_regularizer=L.l1_regularizer(0.2), scope="fc")
    L.fully_connected(x, 3, weights_regularizer=L.l2_regularizer(0.1), scope="fc",
                      reuse=True)
    losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert [t.op.name for t in losses] == ["fc/kernel/Regularizer/l2_regularizer",
                                           "fc/bias/Regularizer/l1_regularizer"]
    w = tf.global_variables()[0]
    lw, wv = run([losses[0], w])
    np.testing.assert_allclose(lw, 0.1 * (wv ** 2).sum() / 2, rtol=1e-5)


def test_fully_connected_normalizer_replaces_biases():
    x = tf.placeholder(tf.float32, [None, 4])
    seen = {}

    def normalizer(t, **params):
        seen.update(params)
        return t * 2.0

    y = L.fully_connected(x, 3, normalizer_fn=normalizer, normalizer_params={"k": 1},
                          activation_fn=None)
    assert _names() == {"fully_connected/weights:0": [4, 3]} and seen == {"k": 1}
    xv = np.ones((2, 4), np.float32)
    out, wv = run([y, tf.global_variables()[0]], {x: xv})
    np.testing.assert_allclose(out, 2 * xv @ wv, rtol=1e-5)


def test_fully_connected_rank_3_inputs_and_errors():
    x = tf.placeholder(tf.float32, [2, 3, 4])
    y = L.fully_connected(x, 5, activation_fn=None)
    assert y.shape.as_list() == [2, 3, 5]
    xv = np.random.RandomState(1).standard_normal((2, 3, 4)).astype(np.float32)
    out, wv = run([y, tf.global_variables()[0]], {x: xv})
    np.testing.assert_allclose(out, xv @ wv, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"num_outputs type should be one of \[<class 'int'>\]"
                                         r", got <class 'float'>."):
        L.fully_connected(x, 5.0)
    with pytest.raises(ValueError, match="last dimension"):
        L.fully_connected(tf.placeholder(tf.float32, [None, None]), 3)


def test_fully_connected_gradient_matches_finite_differences():
    x = tf.placeholder(tf.float64, [3, 4])
    y = L.fully_connected(x, 2, activation_fn=tf.nn.tanh,
                          biases_initializer=tf.constant_initializer(0.1))
    check_input_gradient(y, x, np.random.RandomState(2).standard_normal((3, 4)))


# ----- convolutions --------------------------------------------------------------------------
def test_conv2d_defaults_names_and_numpy():
    x = tf.placeholder(tf.float32, [None, 6, 6, 3])
    y = L.conv2d(x, 4, [3, 3])
    y2 = L.convolution2d(y, 2, 3, stride=2, padding="VALID", activation_fn=None)
    assert _names(MV) == {"Conv/weights:0": [3, 3, 3, 4], "Conv/biases:0": [4],
                          "Conv_1/weights:0": [3, 3, 4, 2], "Conv_1/biases:0": [2]}
    assert y.op.name == "Conv/Relu" and y.shape.as_list() == [None, 6, 6, 4]
    assert y2.shape.as_list() == [None, 2, 2, 2]
    assert L.conv2d is L.convolution2d
    xv = np.random.RandomState(3).standard_normal((2, 6, 6, 3)).astype(np.float32)
    w0, _, w1, _ = tf.global_variables()
    a, b, w0v, w1v = run([y, y2, w0, w1], {x: xv})
    ref = np.maximum(np_conv(xv, w0v, [1, 1], "SAME"), 0)
    np.testing.assert_allclose(a, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b, np_conv(ref, w1v, [2, 2], "VALID"), rtol=1e-4, atol=1e-5)


def test_conv2d_rate_nchw_and_regularizer_names():
    x = tf.placeholder(tf.float32, [1, 7, 7, 2])
    y = L.conv2d(x, 3, 3, rate=2, activation_fn=None, weights_regularizer=L.l2_regularizer(0.1))
    assert [t.op.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)] == \
        ["Conv/kernel/Regularizer/l2_regularizer"]
    xv = np.random.RandomState(4).standard_normal((1, 7, 7, 2)).astype(np.float32)
    out, wv = run([y, tf.global_variables()[0]], {x: xv})
    np.testing.assert_allclose(out, np_conv(xv, wv, [1, 1], "SAME", dilations=[2, 2]),
                               rtol=1e-4, atol=1e-5)
    z = L.conv2d(tf.zeros([1, 2, 5, 5]), 4, 3, data_format="NCHW", scope="nchw")
    assert z.shape.as_list() == [1, 4, 5, 5]
    assert tf.get_default_graph().get_tensor_by_name("nchw/weights:0").shape.as_list() == \
        [3, 3, 2, 4]


def test_convolution_rank_dispatch_and_errors():
    assert L.convolution(tf.zeros([1, 8, 2]), 3, 3).shape.as_list() == [1, 8, 3]
    assert L.convolution(tf.zeros([1, 4, 4, 4, 2]), 3, 3).shape.as_list() == [1, 4, 4, 4, 3]
    with pytest.raises(ValueError, match="Invalid data_format: 'NHCW'"):
        L.convolution(tf.zeros([1, 4, 4, 2]), 3, 3, data_format="NHCW")
    with pytest.raises(ValueError, match="Convolution expects input with rank 4, got 3"):
        L.conv2d(tf.zeros([1, 8, 2]), 3, 3)
    with pytest.raises(ValueError) as err:
        L.convolution(tf.zeros([2, 3]), 3, 3)
    assert err.value.args == ("Convolution not supported for input with rank", 2)


def test_conv2d_gradient_matches_finite_differences():
    x = tf.placeholder(tf.float64, [1, 4, 4, 2])
    y = L.conv2d(x, 2, 3, activation_fn=tf.nn.tanh)
    check_input_gradient(y, x, np.random.RandomState(5).standard_normal((1, 4, 4, 2)))


def test_conv2d_transpose_names_and_shapes():
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    y = L.conv2d_transpose(x, 5, 3, stride=2)
    z = L.conv2d_transpose(x, 2, [3, 3], stride=2, padding="VALID", scope="up")
    assert _names(MV) == {"Conv2d_transpose/weights:0": [3, 3, 5, 3],
                          "Conv2d_transpose/biases:0": [5], "up/weights:0": [3, 3, 2, 3],
                          "up/biases:0": [2]}
    assert y.shape.as_list() == [None, 8, 8, 5] and z.shape.as_list() == [None, 9, 9, 2]
    assert y.op.name == "Conv2d_transpose/Relu"
    with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
        L.conv2d_transpose(x, 2, 3, data_format="NWC")
    # The transpose of conv2d: <conv2d_transpose(x), g> == <x, conv2d(g)> with one kernel.
    xv = np.random.RandomState(6).standard_normal((1, 4, 4, 3)).astype(np.float32)
    out, w = run([L.conv2d_transpose(x, 2, 3, stride=2, activation_fn=None,
                                     biases_initializer=None, scope="t"),
                  tf.get_default_graph().get_tensor_by_name("t/weights:0")], {x: xv})
    g = np.random.RandomState(7).standard_normal(out.shape).astype(np.float32)
    back = np_conv(g, w, [2, 2], "SAME")
    np.testing.assert_allclose((out * g).sum(), (xv * back).sum(), rtol=1e-4)


# ----- pooling, flatten, dropout, one_hot, bias_add, softmax ----------------------------------
def test_pools_default_stride_2_valid_and_numpy():
    x = tf.placeholder(tf.float32, [None, 7, 7, 2])
    m = L.max_pool2d(x, [3, 3])
    a = L.avg_pool2d(x, 3, stride=1, padding="SAME", outputs_collections="outs")
    assert m.op.name == "MaxPool2D/MaxPool" and a.op.name == "AvgPool2D/AvgPool"
    assert m.shape.as_list() == [None, 3, 3, 2] and get_tensor_aliases(a) == ["AvgPool2D"]
    assert tf.global_variables() == []
    xv = np.random.RandomState(8).standard_normal((2, 7, 7, 2)).astype(np.float32)
    mv, av = run([m, a], {x: xv})
    np.testing.assert_allclose(mv, np_pool(xv, [3, 3], [2, 2], "VALID", "max"), rtol=1e-6)
    np.testing.assert_allclose(av, np_pool(xv, [3, 3], [1, 1], "SAME", "avg"), rtol=1e-5)
    n = L.max_pool2d(tf.zeros([1, 2, 6, 6]), 2, data_format="NCHW")
    assert n.shape.as_list() == [1, 2, 3, 3]
    with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
        L.avg_pool2d(x, 2, data_format="channels_last")


def test_flatten_dropout_one_hot_names():
    x = tf.placeholder(tf.float32, [None, 2, 3, 4])
    f = L.flatten(x)
    assert f.shape.as_list() == [None, 24] and f.op.name.startswith("Flatten/")
    xv = np.arange(48, dtype=np.float32).reshape(2, 2, 3, 4)
    np.testing.assert_array_equal(run(f, {x: xv}), xv.reshape(2, 24))
    d = L.dropout(tf.ones([1000, 100]), keep_prob=0.8, seed=1)
    off = L.dropout(tf.ones([10]), is_training=False)
    assert d.op.name.startswith("Dropout/") and off.op.name.startswith("Dropout_1/")
    dv, ov = run([d, off])
    assert set(np.unique(dv).round(5)) == {0.0, 1.25}
    assert abs((dv == 0).mean() - 0.2) < 0.01
    np.testing.assert_array_equal(ov, np.ones(10))
    oh = L.one_hot_encoding(tf.constant([0, 2, 1]), 3)
    assert oh.op.name == "OneHotEncoding/one_hot" and oh.dtype == tf.float32
    np.testing.assert_array_equal(run(oh), np.eye(3)[[0, 2, 1]])


def test_dropout_with_tensor_is_training():
    training = tf.placeholder(tf.bool, [])
    d = L.dropout(tf.ones([2000]), keep_prob=0.5, is_training=training)
    assert set(np.unique(run(d, {training: True}))) == {0.0, 2.0}
    np.testing.assert_array_equal(run(d, {training: False}), np.ones(2000))


def test_bias_add_variables_and_errors():
    x = tf.placeholder(tf.float32, [None, 3])
    y = L.bias_add(x, initializer=tf.constant_initializer(1.5), activation_fn=tf.nn.relu,
                   regularizer=L.l2_regularizer(0.1))
    assert _names(MV) == {"BiasAdd/biases:0": [3]}
    assert [t.op.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)] == \
        ["BiasAdd/biases/Regularizer/l2_regularizer"]
    np.testing.assert_allclose(run(y, {x: [[-2.0, 0.0, 1.0]]}), [[0.0, 1.5, 2.5]])
    c = L.bias_add(tf.zeros([1, 2, 3, 3]), data_format="NCHW")
    assert tf.get_default_graph().get_tensor_by_name("BiasAdd_1/biases:0").shape == [2]
    assert c.shape.as_list() == [1, 2, 3, 3]
    with pytest.raises(ValueError, match="Data format NCHW only supports 4D Tensor"):
        L.bias_add(tf.zeros([2, 3]), data_format="NCHW")
    with pytest.raises(ValueError, match="`C` dimension must be known but is None"):
        L.bias_add(tf.placeholder(tf.float32, [2, None]))


def test_softmax_over_last_axis_of_nd_logits():
    logits = np.random.RandomState(9).standard_normal((2, 3, 4)).astype(np.float32)
    p = L.softmax(tf.constant(logits))
    assert p.shape.as_list() == [2, 3, 4]
    e = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(run(p), e / e.sum(-1, keepdims=True), rtol=1e-5)
    with pytest.raises(ValueError, match="rank of shape must be at least 2 not: 1"):
        L.softmax(tf.zeros([3]))


# ----- repeat and stack ----------------------------------------------------------------------
def test_repeat_and_stack_scopes():
    x = tf.placeholder(tf.float32, [None, 4, 4, 3])
    L.repeat(x, 2, L.conv2d, 3, [3, 3], scope="conv1")
    L.repeat(x, 1, L.conv2d, 3, 3)
    y = tf.placeholder(tf.float32, [None, 3])
    L.stack(y, L.fully_connected, [5, (6,)], scope="fc")
    L.stack(y, L.fully_connected, [2])
    names = sorted(n for n in _names() if n.endswith("weights:0"))
    assert names == ["Repeat/convolution2d_1/weights:0", "Stack/fully_connected_1/weights:0",
                     "conv1/conv1_1/weights:0", "conv1/conv1_2/weights:0",
                     "fc/fc_1/weights:0", "fc/fc_2/weights:0"]
    assert tf.get_default_graph().get_tensor_by_name("fc/fc_2/weights:0").shape == [5, 6]
    with pytest.raises(ValueError, match="stack_args need to be a list or tuple"):
        L.stack(y, L.fully_connected, 3)


# ----- embed_sequence ------------------------------------------------------------------------
@pytest.mark.parametrize("unique", [False, True])
def test_embed_sequence_variable_lookup_and_reuse(unique):
    ids = tf.constant([[1, 3, 1], [0, 3, 2]])
    e = L.embed_sequence(ids, vocab_size=4, embed_dim=5, unique=unique,
                         regularizer=L.l2_regularizer(0.1))
    again = L.embed_sequence(ids, scope="EmbedSequence", reuse=True)
    assert _names(MV) == {"EmbedSequence/embeddings:0": [4, 5]}
    assert e.shape.as_list() == [2, 3, 5]
    assert [t.op.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)] == \
        ["EmbedSequence/embeddings/Regularizer/l2_regularizer"]
    ev, av, table = run([e, again, tf.model_variables()[0]])
    np.testing.assert_array_equal(ev, table[[[1, 3, 1], [0, 3, 2]]])
    np.testing.assert_array_equal(av, ev)
    with pytest.raises(ValueError, match="Must specify vocab size and embedding dimension "
                                         "when not reusing. Got vocab_size=4 and "
                                         "embed_dim=None"):
        L.embed_sequence(ids, vocab_size=4)
