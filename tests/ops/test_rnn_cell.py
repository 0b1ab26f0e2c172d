"""tf.nn.rnn_cell: one step of each cell against a numpy oracle, TF's variable names and
reuse, zero_state, state layouts, wrappers, and TF's errors."""

import logging

import numpy as np
import pytest

import flowexec as tf

rc = tf.nn.rnn_cell


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _run_step(cell, x, state, init=0.3):
    """Runs one cell step with every variable set from a seeded rng; returns (out, state,
    {name: value})."""
    out, new_state = cell(tf.constant(x), state)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        rng = np.random.default_rng(7)
        values = {}
        for v in tf.global_variables():
            values[v.op.name] = (init * rng.standard_normal(v.shape.as_list())).astype(
                np.float32)
            v.load(values[v.op.name], sess)
        got_out, got_state = sess.run([out, new_state])
    return got_out, got_state, values


@pytest.fixture(autouse=True)
def _graph():
    with tf.Graph().as_default():
        yield


def _inputs(batch=3, depth=4, seed=0):
    return np.random.default_rng(seed).standard_normal((batch, depth)).astype(np.float32)


def test_basic_rnn_cell_matches_numpy():
    x, h = _inputs(), _inputs(depth=5, seed=1)
    out, st, w = _run_step(rc.BasicRNNCell(5), x, tf.constant(h))
    want = np.tanh(np.concatenate([x, h], 1) @ w["basic_rnn_cell/kernel"]
                   + w["basic_rnn_cell/bias"])
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st, want, rtol=1e-5, atol=1e-6)


def test_basic_lstm_cell_gate_order_ijfo_and_forget_bias():
    x, c, h = _inputs(), _inputs(depth=5, seed=1), _inputs(depth=5, seed=2)
    cell = rc.BasicLSTMCell(5, forget_bias=0.7)
    out, st, w = _run_step(cell, x, rc.LSTMStateTuple(tf.constant(c), tf.constant(h)))
    z = np.concatenate([x, h], 1) @ w["basic_lstm_cell/kernel"] + w["basic_lstm_cell/bias"]
    i, j, f, o = np.split(z, 4, axis=1)
    new_c = c * _sigmoid(f + 0.7) + _sigmoid(i) * np.tanh(j)
    new_h = np.tanh(new_c) * _sigmoid(o)
    assert isinstance(st, rc.LSTMStateTuple)
    np.testing.assert_allclose(st.c, new_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, new_h, rtol=1e-5, atol=1e-6)
    assert cell.state_size == (5, 5) and cell.output_size == 5


def test_lstm_cell_peepholes_clip_projection_match_numpy():
    x, c, m = _inputs(), _inputs(depth=5, seed=1), _inputs(depth=2, seed=2)
    cell = rc.LSTMCell(5, use_peepholes=True, cell_clip=0.5, num_proj=2, proj_clip=0.1)
    out, st, w = _run_step(cell, x, rc.LSTMStateTuple(tf.constant(c), tf.constant(m)), 1.0)
    p = "lstm_cell/"
    z = np.concatenate([x, m], 1) @ w[p + "kernel"] + w[p + "bias"]
    i, j, f, o = np.split(z, 4, axis=1)
    new_c = _sigmoid(f + 1.0 + w[p + "w_f_diag"] * c) * c + \
        _sigmoid(i + w[p + "w_i_diag"] * c) * np.tanh(j)
    new_c = np.clip(new_c, -0.5, 0.5)
    new_m = _sigmoid(o + w[p + "w_o_diag"] * new_c) * np.tanh(new_c)
    new_m = np.clip(new_m @ w[p + "projection/kernel"], -0.1, 0.1)
    np.testing.assert_allclose(st.c, new_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, new_m, rtol=1e-5, atol=1e-6)
    assert np.abs(out).max() <= 0.1 + 1e-7 and np.abs(st.c).max() <= 0.5 + 1e-7
    assert cell.state_size == (5, 2) and cell.output_size == 2
    assert sorted(w) == [p + n for n in ("bias", "kernel", "projection/kernel", "w_f_diag",
                                         "w_i_diag", "w_o_diag")]


def test_gru_cell_matches_numpy():
    x, h = _inputs(), _inputs(depth=5, seed=1)
    out, st, w = _run_step(rc.GRUCell(5), x, tf.constant(h))
    p = "gru_cell/"
    g = _sigmoid(np.concatenate([x, h], 1) @ w[p + "gates/kernel"] + w[p + "gates/bias"])
    r, u = np.split(g, 2, axis=1)
    cand = np.tanh(np.concatenate([x, r * h], 1) @ w[p + "candidate/kernel"]
                   + w[p + "candidate/bias"])
    np.testing.assert_allclose(out, u * h + (1 - u) * cand, rtol=1e-5, atol=1e-6)


def test_gru_gate_bias_starts_at_one():
    cell = rc.GRUCell(3)
    cell(tf.zeros([1, 2]), tf.zeros([1, 3]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        b = sess.run([v for v in tf.global_variables() if v.op.name == "gru_cell/gates/bias"])
    np.testing.assert_array_equal(b[0], np.ones(6, np.float32))


def test_concatenated_lstm_state_warns_and_is_c_then_h(caplog):
    x, c, h = _inputs(), _inputs(depth=5, seed=1), _inputs(depth=5, seed=2)
    with caplog.at_level(logging.WARNING, logger="flowexec"):
        from flowexec.ops import rnn_cell_impl
        rnn_cell_impl._WARNED.discard("lstm_state_tuple")
        cell = rc.BasicLSTMCell(5, state_is_tuple=False)
    assert "Using a concatenated state is slower" in caplog.text
    assert cell.state_size == 10
    out, st, _ = _run_step(cell, x, tf.constant(np.concatenate([c, h], 1)))
    assert st.shape == (3, 10)
    np.testing.assert_array_equal(st[:, 5:], out)


def test_multi_rnn_cell_names_and_state_tuple():
    cell = rc.MultiRNNCell([rc.BasicLSTMCell(4), rc.GRUCell(3)])
    state = cell.zero_state(2, tf.float32)
    out, new_state = cell(tf.zeros([2, 5]), state)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == ["multi_rnn_cell/cell_0/basic_lstm_cell/bias",
                     "multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
                     "multi_rnn_cell/cell_1/gru_cell/candidate/bias",
                     "multi_rnn_cell/cell_1/gru_cell/candidate/kernel",
                     "multi_rnn_cell/cell_1/gru_cell/gates/bias",
                     "multi_rnn_cell/cell_1/gru_cell/gates/kernel"]
    assert cell.state_size == ((4, 4), 3) and cell.output_size == 3
    assert isinstance(new_state[0], rc.LSTMStateTuple)
    assert out.shape.as_list() == [2, 3]
    assert len(cell.trainable_variables) == 6


def test_multi_rnn_cell_concatenated_state():
    cells = [rc.BasicRNNCell(2), rc.BasicRNNCell(3)]
    cell = rc.MultiRNNCell(cells, state_is_tuple=False)
    assert cell.state_size == 5
    _, st = cell(tf.zeros([1, 4]), tf.ones([1, 5]))
    assert st.shape.as_list() == [1, 5]


def test_calling_a_cell_again_reuses_its_variables():
    cell = rc.BasicLSTMCell(3)
    s = cell.zero_state(2, tf.float32)
    _, s = cell(tf.zeros([2, 4]), s)
    cell(tf.zeros([2, 4]), s)
    assert len(tf.global_variables()) == 2
    rc.BasicLSTMCell(3)(tf.zeros([2, 4]), s)  # a second cell object: its own variables
    assert sorted(v.op.name for v in tf.global_variables())[:2] == [
        "basic_lstm_cell/bias", "basic_lstm_cell/kernel"]
    assert len(tf.global_variables()) == 4


def test_scope_argument_holds_the_weights_directly():
    rc.BasicRNNCell(2)(tf.zeros([1, 3]), tf.zeros([1, 2]), scope="enc")
    assert sorted(v.op.name for v in tf.global_variables()) == ["enc/bias", "enc/kernel"]


def test_reuse_true_shares_an_existing_scope():
    with tf.variable_scope("s"):
        rc.GRUCell(2, name="g")(tf.zeros([1, 3]), tf.zeros([1, 2]))
    with tf.variable_scope("s"):
        with pytest.raises(ValueError, match="already exists"):
            rc.GRUCell(2, name="g")(tf.zeros([1, 3]), tf.zeros([1, 2]))
    with tf.variable_scope("s"):
        rc.GRUCell(2, name="g", reuse=True)(tf.zeros([1, 3]), tf.zeros([1, 2]))
    assert len(tf.global_variables()) == 4


def test_zero_state_shapes_names_and_dynamic_batch():
    cell = rc.LSTMCell(4, num_proj=2)
    z = cell.zero_state(3, tf.float32)
    assert z.c.shape.as_list() == [3, 4] and z.h.shape.as_list() == [3, 2]
    assert z.c.name.startswith("LSTMCellZeroState/")
    x = tf.placeholder(tf.float32, [None, 5])
    z = cell.zero_state(tf.shape(x)[0], tf.float64)
    assert z.h.shape.as_list() == [None, 2] and z.h.dtype == tf.float64
    with tf.Session() as sess:
        c, h = sess.run(z, {x: np.zeros((7, 5))})
    assert c.shape == (7, 4) and not c.any() and h.shape == (7, 2)
    init = cell.get_initial_state(inputs=tf.zeros([6, 5]))
    assert init.c.shape.as_list() == [6, 4]


def test_lstm_state_tuple_dtype():
    s = rc.LSTMStateTuple(tf.zeros([1]), tf.zeros([1]))
    assert s.dtype == tf.float32 and s.c is s[0] and s.h is s[1]
    with pytest.raises(TypeError, match="Inconsistent internal state: <dtype: 'float32'> vs <dtype: 'int32'>"):
        rc.LSTMStateTuple(tf.zeros([1]), tf.zeros([1], tf.int32)).dtype


def test_cell_errors_are_tf_s():
    with pytest.raises(ValueError, match="Must specify at least one cell for MultiRNNCell"):
        rc.MultiRNNCell([])
    with pytest.raises(TypeError, match="cells must be a list or tuple"):
        rc.MultiRNNCell(rc.GRUCell(2))
    with pytest.raises(ValueError, match="state_is_tuple is not set"):
        rc.MultiRNNCell([rc.BasicLSTMCell(2)], state_is_tuple=False)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        rc.GRUCell(2)(tf.zeros([1, 2, 3]), tf.zeros([1, 2]))
    with pytest.raises(ValueError, match=r"Expected inputs.shape\[-1\] to be known"):
        rc.BasicRNNCell(2)(tf.placeholder(tf.float32, [1, None]), tf.zeros([1, 2]))
    with pytest.raises(ValueError, match="RNN cell only supports floating point inputs"):
        rc.BasicRNNCell(2)(tf.zeros([1, 2], tf.int32), tf.zeros([1, 2], tf.int32))
    with pytest.raises(ValueError, match="Parameter input_keep_prob must be between 0 and 1"):
        rc.DropoutWrapper(rc.GRUCell(2), input_keep_prob=1.5)
    with pytest.raises(ValueError, match="When variational_recurrent=True, dtype must be"):
        rc.DropoutWrapper(rc.GRUCell(2), variational_recurrent=True)
    with pytest.raises(ValueError, match="input_size must be provided"):
        rc.DropoutWrapper(rc.GRUCell(2), input_keep_prob=0.5, variational_recurrent=True,
                          dtype=tf.float32)
    with pytest.raises(TypeError, match="dropout_state_filter_visitor must be callable"):
        rc.DropoutWrapper(rc.GRUCell(2), dropout_state_filter_visitor=3)
    with pytest.raises(TypeError, match="is not an RNNCell"):
        rc.ResidualWrapper(object())
    with pytest.raises(NotImplementedError, match="Abstract method"):
        rc.RNNCell().state_size


def test_dropout_wrapper_keeps_names_scales_and_spares_lstm_memory():
    cell = rc.DropoutWrapper(rc.BasicLSTMCell(200), output_keep_prob=0.5,
                             state_keep_prob=0.5, seed=3)
    out, st = cell(tf.ones([50, 3]), cell.zero_state(50, tf.float32))
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "basic_lstm_cell/bias", "basic_lstm_cell/kernel"]
    inner_out, inner_st = cell.cell(tf.ones([50, 3]), cell.zero_state(50, tf.float32))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s, io, ist = sess.run([out, st, inner_out, inner_st])
    kept = o != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(o[kept], 2 * io[kept], rtol=1e-5)
    np.testing.assert_allclose(s.c, ist.c, rtol=1e-6)  # c is never dropped
    assert 0.4 < (s.h != 0).mean() < 0.6


def test_dropout_wrapper_input_dropout_and_tensor_keep_prob():
    keep = tf.placeholder_with_default(1.0, [])
    cell = rc.DropoutWrapper(rc.BasicRNNCell(4), input_keep_prob=keep)
    out, _ = cell(tf.ones([64, 300]), tf.zeros([64, 4]))
    ref, _ = cell.cell(tf.ones([64, 300]), tf.zeros([64, 4]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([out, ref])
        np.testing.assert_allclose(a, b, rtol=1e-6)
        c = sess.run(out, {keep: 0.5})
    assert not np.allclose(c, b)


def test_variational_dropout_reuses_one_mask_across_steps():
    cell = rc.DropoutWrapper(rc.BasicRNNCell(100), output_keep_prob=0.5,
                             variational_recurrent=True, dtype=tf.float32, seed=1)
    x = tf.ones([1, 2])
    s = cell.zero_state(1, tf.float32)
    o1, s = cell(x, s)
    o2, _ = cell(x, s)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        a, b = sess.run([o1, o2])
    np.testing.assert_array_equal(a == 0, b == 0)
    assert 0.3 < (a == 0).mean() < 0.7


def test_residual_and_device_wrappers():
    inner = rc.BasicRNNCell(3)
    res = rc.ResidualWrapper(inner)
    x = tf.constant(_inputs(2, 3))
    out, st = res(x, tf.zeros([2, 3]))
    dev = rc.DeviceWrapper(rc.GRUCell(3), "/cpu:0")
    d_out, _ = dev(x, dev.zero_state(2, tf.float32))
    assert d_out.op.device.endswith("CPU:0") or "cpu" in d_out.op.device.lower()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        o, s = sess.run([out, st])
    np.testing.assert_allclose(o, s + _inputs(2, 3), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError):
        rc.ResidualWrapper(rc.BasicRNNCell(4))(x, tf.zeros([2, 4]))
