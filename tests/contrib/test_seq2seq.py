"""tf.contrib.seq2seq: sequence_loss against numpy, the helpers, BasicDecoder and
dynamic_decode against dynamic_rnn and a step-by-step numpy decoder, and a tiny copy task
that trains through the decoding loop."""

import numpy as np
import pytest

import flowexec as tf
from tests.contrib.helpers import run

s2s = tf.contrib.seq2seq


def _xent(logits, targets):
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -np.take_along_axis(logp, targets[..., None], -1)[..., 0]


def _loss_ref(logits, targets, w, avg_t, avg_b, sum_t, sum_b):
    x = _xent(logits, targets) * w

    def div(a, b):
        return np.where(b == 0, 0.0, a / np.where(b == 0, 1, b))
    if avg_t and avg_b:
        return div(x.sum(), w.sum())
    if sum_t and sum_b:
        return div(x.sum(), np.count_nonzero(w))
    if avg_t or avg_b:
        ax = 0 if avg_b else 1
        return div(x.sum(ax), w.sum(ax))
    if sum_t or sum_b:
        ax = 0 if sum_b else 1
        return div(x.sum(ax), np.count_nonzero(w, axis=ax))
    return x


@pytest.mark.parametrize("flags", [
    (True, True, False, False), (True, False, False, False), (False, True, False, False),
    (False, False, True, True), (False, False, True, False), (False, False, False, True),
    (False, True, True, False), (True, False, False, True), (False, False, False, False)])
def test_sequence_loss_matches_numpy(flags):
    rng = np.random.RandomState(0)
    logits = rng.randn(3, 4, 5).astype(np.float32)
    targets = rng.randint(0, 5, (3, 4)).astype(np.int32)
    w = (rng.rand(3, 4) > 0.3).astype(np.float32) * rng.rand(3, 4).astype(np.float32)
    w[1] = 0.0  # an all-zero row: div_no_nan gives 0, not NaN
    avg_t, avg_b, sum_t, sum_b = flags
    with tf.Graph().as_default():
        loss = s2s.sequence_loss(logits, targets, w, average_across_timesteps=avg_t,
                                 average_across_batch=avg_b, sum_over_timesteps=sum_t,
                                 sum_over_batch=sum_b)
        got = run(loss)
    want = _loss_ref(logits, targets, w, *flags)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sequence_loss_custom_softmax_loss_function_and_errors():
    rng = np.random.RandomState(1)
    logits = rng.randn(2, 3, 4).astype(np.float32)
    targets = rng.randint(0, 4, (2, 3)).astype(np.int32)
    w = np.ones((2, 3), np.float32)
    calls = []

    def loss_fn(labels, logits):
        calls.append((labels.shape.as_list(), logits.shape.as_list()))
        return 2.0 * tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                    logits=logits)
    with tf.Graph().as_default():
        got = run(s2s.sequence_loss(logits, targets, w, softmax_loss_function=loss_fn))
        assert len(calls) == 1
        np.testing.assert_allclose(got, 2 * _xent(logits, targets).mean(), rtol=1e-5)
        with pytest.raises(ValueError, match="Logits must be"):
            s2s.sequence_loss(logits[0], targets, w)
        with pytest.raises(ValueError, match="Targets must be"):
            s2s.sequence_loss(logits, targets[0], w)
        with pytest.raises(ValueError, match="Weights must be"):
            s2s.sequence_loss(logits, targets, w[0])
        with pytest.raises(ValueError, match="cannot be set to True at same time"):
            s2s.sequence_loss(logits, targets, w, sum_over_timesteps=True)
        with pytest.raises(ValueError, match="cannot be set to True at same time"):
            s2s.sequence_loss(logits, targets, w, average_across_timesteps=False,
                              sum_over_batch=True)


def _assign_like(pairs):
    return tf.group(*[dst.assign(src) for src, dst in pairs])


@pytest.mark.parametrize("time_major", [False, True])
def test_basic_decoder_training_helper_equals_dynamic_rnn_and_dense(time_major):
    rng = np.random.RandomState(2)
    batch, steps, depth, units, vocab = 3, 5, 4, 6, 7
    x = rng.randn(batch, steps, depth).astype(np.float32)
    lengths = np.array([5, 2, 4], np.int32)
    with tf.Graph().as_default():
        inputs = tf.constant(np.transpose(x, [1, 0, 2]) if time_major else x)
        cell = tf.nn.rnn_cell.LSTMCell(units)
        proj = tf.layers.Dense(vocab, name="proj")
        rnn_out, rnn_state = tf.nn.dynamic_rnn(cell, tf.constant(x), sequence_length=lengths,
                                               dtype=tf.float32)
        logits_ref = proj(rnn_out)
        cell2 = tf.nn.rnn_cell.LSTMCell(units)
        helper = s2s.TrainingHelper(inputs, lengths, time_major=time_major)
        decoder = s2s.BasicDecoder(cell2, helper, cell2.zero_state(batch, tf.float32),
                                   output_layer=tf.layers.Dense(vocab, name="proj2"))
        out, state, seq_len = s2s.dynamic_decode(decoder, output_time_major=time_major,
                                                 impute_finished=True)
        names = sorted(v.op.name for v in tf.global_variables())
        assert "decoder/lstm_cell/kernel" in names and "decoder/proj2/kernel" in names
        src = {v.op.name: v for v in tf.global_variables()}
        copy = _assign_like([(src["rnn/lstm_cell/kernel"], src["decoder/lstm_cell/kernel"]),
                             (src["rnn/lstm_cell/bias"], src["decoder/lstm_cell/bias"]),
                             (src["proj/kernel"], src["decoder/proj2/kernel"]),
                             (src["proj/bias"], src["decoder/proj2/bias"])])
        assert isinstance(out, s2s.BasicDecoderOutput)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(copy)
            got, ids, st, ref_logits, ref_state, sl = sess.run(
                [out.rnn_output, out.sample_id, state, logits_ref, rnn_state, seq_len])
    if time_major:
        got, ids = np.transpose(got, [1, 0, 2]), ids.T
    np.testing.assert_array_equal(sl, lengths)
    assert got.shape == (batch, steps, vocab)
    for b in range(batch):
        n = lengths[b]
        np.testing.assert_allclose(got[b, :n], ref_logits[b, :n], rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(got[b, n:], 0.0)  # impute_finished zeros
        np.testing.assert_array_equal(ids[b, :n], ref_logits[b, :n].argmax(-1))
    np.testing.assert_allclose(st.c, ref_state.c, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(st.h, ref_state.h, rtol=1e-5, atol=1e-5)


def _np_greedy(W, b, V, c, emb, start, end, max_iter, units):
    batch = len(start)
    h = np.zeros((batch, units), np.float32)
    tok = np.array(start)
    ids = np.zeros((batch, max_iter), np.int32)
    logits_all = np.zeros((batch, max_iter, V.shape[1]), np.float32)
    finished = np.zeros(batch, bool)
    lengths = np.zeros(batch, np.int32)
    for t in range(max_iter):
        h = np.tanh(np.concatenate([emb[tok], h], 1) @ W + b)
        logits = h @ V + c
        new = logits.argmax(-1)
        ids[:, t], logits_all[:, t] = new, logits
        lengths[~finished] = t + 1
        finished |= new == end
        tok = new
        if finished.all():
            return ids[:, :t + 1], logits_all[:, :t + 1], lengths
    return ids, logits_all, lengths


def _greedy_weights():
    """A seed whose greedy decode ends one entry early (at end_token) and runs another to
    the iteration limit, so both stopping rules are exercised."""
    units, vocab, depth, end, max_iter = 5, 6, 3, 2, 8
    for seed in range(200):
        rng = np.random.RandomState(seed)
        W = rng.randn(depth + units, units).astype(np.float32)
        b = rng.randn(units).astype(np.float32) * 0.1
        V = rng.randn(units, vocab).astype(np.float32) * 2
        c = rng.randn(vocab).astype(np.float32) * 0.1
        emb = rng.randn(vocab, depth).astype(np.float32)
        start = [0, 1, 3]
        ids, logits, lengths = _np_greedy(W, b, V, c, emb, start, end, max_iter, units)
        if lengths.min() < max_iter - 2 and lengths.max() == max_iter and \
                (ids[:, 0] != end).all():
            return W, b, V, c, emb, start, end, max_iter, units, ids, logits, lengths
    raise AssertionError("no seed found")


def _greedy_graph(W, b, V, c, emb, start, end, max_iter, units, impute=False):
    cell = tf.nn.rnn_cell.BasicRNNCell(
        units, name="basic_rnn_cell")
    helper = s2s.GreedyEmbeddingHelper(tf.constant(emb), tf.constant(start, tf.int32), end)
    dense = tf.layers.Dense(V.shape[1], kernel_initializer=tf.constant_initializer(V),
                            bias_initializer=tf.constant_initializer(c))
    decoder = s2s.BasicDecoder(cell, helper, cell.zero_state(len(start), tf.float32), dense)
    out = s2s.dynamic_decode(decoder, maximum_iterations=max_iter, impute_finished=impute)
    kernel = [v for v in tf.global_variables() if v.op.name.endswith("basic_rnn_cell/kernel")]
    bias = [v for v in tf.global_variables() if v.op.name.endswith("basic_rnn_cell/bias")]
    init = tf.group(kernel[0].assign(W), bias[0].assign(b))
    return out, init


def test_greedy_decoding_stops_at_end_token_and_matches_numpy_loop():
    W, b, V, c, emb, start, end, max_iter, units, ids, logits, lengths = _greedy_weights()
    with tf.Graph().as_default():
        (out, _, seq_len), init = _greedy_graph(W, b, V, c, emb, start, end, max_iter, units)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(init)
            got_ids, got_logits, got_len = sess.run([out.sample_id, out.rnn_output, seq_len])
    np.testing.assert_array_equal(got_len, lengths)
    assert got_ids.shape == ids.shape
    for k in range(len(start)):
        n = lengths[k]
        np.testing.assert_array_equal(got_ids[k, :n], ids[k, :n])
        np.testing.assert_allclose(got_logits[k, :n], logits[k, :n], rtol=1e-4, atol=1e-4)
        if n < max_iter:
            assert got_ids[k, n - 1] == end
            assert end not in got_ids[k, :n - 1]


def test_dynamic_decode_maximum_iterations_zero_and_scalar_check():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicRNNCell(3)
        emb = tf.constant(np.eye(4, dtype=np.float32))
        helper = s2s.GreedyEmbeddingHelper(emb, [0, 1], 3)
        dec = s2s.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32),
                               tf.layers.Dense(4))
        out, _, lens = s2s.dynamic_decode(dec, maximum_iterations=0)
        ids, ln = run([out.sample_id, lens])
        assert ids.shape == (2, 0) and list(ln) == [0, 0]
        with pytest.raises(ValueError, match="maximum_iterations must be a scalar"):
            s2s.dynamic_decode(dec, maximum_iterations=[1, 2])
        with pytest.raises(TypeError, match="Expected decoder to be type Decoder"):
            s2s.dynamic_decode(cell)
        with pytest.raises(TypeError, match="helper must be a Helper"):
            s2s.BasicDecoder(cell, object(), cell.zero_state(2, tf.float32))
        with pytest.raises(TypeError, match="output_layer must be a Layer"):
            s2s.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32), lambda x: x)
        with pytest.raises(ValueError, match="start_tokens must be a vector"):
            s2s.GreedyEmbeddingHelper(emb, [[0]], 3)
        with pytest.raises(ValueError, match="end_token must be a scalar"):
            s2s.GreedyEmbeddingHelper(emb, [0], [3])


def test_sample_embedding_helper_samples_valid_ids_and_low_temperature_is_greedy():
    W, b, V, c, emb, start, end, max_iter, units, ids, _, lengths = _greedy_weights()
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicRNNCell(units)
        helper = s2s.SampleEmbeddingHelper(tf.constant(emb), start, end,
                                           softmax_temperature=1e-4, seed=3)
        dense = tf.layers.Dense(V.shape[1], kernel_initializer=tf.constant_initializer(V),
                                bias_initializer=tf.constant_initializer(c))
        dec = s2s.BasicDecoder(cell, helper, cell.zero_state(len(start), tf.float32), dense)
        out, _, lens = s2s.dynamic_decode(dec, maximum_iterations=max_iter)
        kernel = [v for v in tf.global_variables() if v.op.name.endswith("kernel")][0]
        bias = [v for v in tf.global_variables() if v.op.name.endswith("rnn_cell/bias")][0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([kernel.assign(W), bias.assign(b)])
            got, ln = sess.run([out.sample_id, lens])
    np.testing.assert_array_equal(ln, lengths)
    for k in range(len(start)):
        np.testing.assert_array_equal(got[k, :lengths[k]], ids[k, :lengths[k]])


def test_scheduled_embedding_helper_probability_zero_is_teacher_forcing_one_samples():
    rng = np.random.RandomState(4)
    x = rng.randn(2, 4, 3).astype(np.float32)
    emb = rng.randn(5, 3).astype(np.float32)
    lengths = [4, 3]
    proj = rng.randn(4, 5).astype(np.float32)
    with tf.Graph().as_default():
        outs = []
        for p, scope in ((0.0, "a"), (1.0, "b"), (None, "c")):
            cell = tf.nn.rnn_cell.GRUCell(4, kernel_initializer=tf.constant_initializer(0.3))
            if p is None:
                helper = s2s.TrainingHelper(x, lengths)
            else:
                helper = s2s.ScheduledEmbeddingTrainingHelper(x, lengths, emb, p, seed=1,
                                                              scheduling_seed=2)
            dec = s2s.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32),
                                   tf.layers.Dense(5, kernel_initializer=tf.constant_initializer(
                                       proj)))
            outs.append(s2s.dynamic_decode(dec, scope=scope)[0])
        (o0, o1, oc) = run(outs)
    np.testing.assert_allclose(o0.rnn_output, oc.rnn_output, rtol=1e-5, atol=1e-6)
    assert (o0.sample_id == -1).all()
    assert (o1.sample_id[:, :3] >= 0).all() and (o1.sample_id < 5).all()
    assert not np.allclose(o1.rnn_output[:, 1:3], oc.rnn_output[:, 1:3])


def test_inference_and_custom_helpers():
    start = np.array([[0.5, -0.5], [1.0, 2.0]], np.float32)
    with tf.Graph().as_default():
        eye = tf.constant_initializer(np.vstack([np.eye(2), np.zeros((2, 2))]))
        cell = tf.nn.rnn_cell.BasicRNNCell(2, activation=tf.identity)
        helper = s2s.InferenceHelper(
            sample_fn=lambda out: out * 2.0, sample_shape=[2], sample_dtype=tf.float32,
            start_inputs=start, end_fn=lambda s: tf.reduce_max(tf.abs(s), 1) > 10.0)
        dec = s2s.BasicDecoder(cell, helper, cell.zero_state(2, tf.float32))
        with tf.variable_scope("d1", initializer=eye):
            out, _, lens = s2s.dynamic_decode(dec, maximum_iterations=6)

        calls = {"n": 0}

        def init_fn():
            return tf.constant([False, False]), tf.constant(start)

        def sample_fn(time, outputs, state):
            calls["n"] += 1
            return tf.argmax(outputs, 1, output_type=tf.int32)

        def next_fn(time, outputs, state, sample_ids):
            return tf.fill([2], time >= 2), outputs, state
        custom = s2s.CustomHelper(init_fn, sample_fn, next_fn)
        cell2 = tf.nn.rnn_cell.BasicRNNCell(2, activation=tf.identity, name="c2")
        with tf.variable_scope("d2", initializer=eye):
            out2, _, lens2 = s2s.dynamic_decode(
                s2s.BasicDecoder(cell2, custom, cell2.zero_state(2, tf.float32)))
        got, ln, got2, ln2 = run([out.sample_id, lens, out2.rnn_output, lens2])
    # Each step doubles the input (identity cell, sample = 2 * output): entry 0 is
    # 0.5 * 2^t, entry 1 2 * 2^t; entry 1 passes 10 at t = 2, entry 0 at t = 4.
    np.testing.assert_allclose(got[0, :4], [start[0] * 2 ** (t + 1) for t in range(4)])
    np.testing.assert_array_equal(ln, [5, 3])
    assert calls["n"] == 1 and got2.shape == (2, 3, 2) and list(ln2) == [3, 3]


def test_impute_finished_copies_state_through():
    rng = np.random.RandomState(5)
    x = rng.randn(3, 6, 2).astype(np.float32)
    lengths = np.array([6, 1, 3], np.int32)
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicRNNCell(3)
        dec = s2s.BasicDecoder(cell, s2s.TrainingHelper(x, lengths),
                               cell.zero_state(3, tf.float32))
        with tf.variable_scope("s", initializer=tf.constant_initializer(
                rng.randn(5, 3).astype(np.float32))):
            out, state, _ = s2s.dynamic_decode(dec, impute_finished=True)
        dec2 = s2s.BasicDecoder(cell, s2s.TrainingHelper(x, lengths),
                                cell.zero_state(3, tf.float32))
        out_t, state_t, _ = s2s.dynamic_decode(dec2, impute_finished=False,
                                               output_time_major=True)
        o, s, ot, st = run([out.rnn_output, state, out_t.rnn_output, state_t])
    for k in range(3):
        np.testing.assert_allclose(s[k], o[k, lengths[k] - 1], rtol=1e-6)
    assert ot.shape == (6, 3, 3)
    # Without imputation the outputs past the end are the cell's own (nonzero).
    assert np.abs(ot[1:, 1]).sum() > 0
    np.testing.assert_allclose(st[0], s[0], rtol=1e-6)


def test_copy_task_trains_through_dynamic_decode():
    rng = np.random.RandomState(0)
    vocab, steps, batch, go = 6, 4, 16, 0
    data = rng.randint(1, vocab, (64, steps)).astype(np.int32)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        src = tf.placeholder(tf.int32, [batch, steps])
        emb = tf.get_variable("emb", [vocab, 8])
        enc_out, enc_state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(16),
                                               tf.nn.embedding_lookup(emb, src),
                                               dtype=tf.float32, scope="encoder")
        dec_in = tf.concat([tf.fill([batch, 1], go), src[:, :-1]], 1)
        att = s2s.LuongAttention(16, enc_out)
        cell = s2s.AttentionWrapper(tf.nn.rnn_cell.GRUCell(16), att, attention_layer_size=16)
        init = cell.zero_state(batch, tf.float32).clone(cell_state=enc_state)
        helper = s2s.TrainingHelper(tf.nn.embedding_lookup(emb, dec_in),
                                    tf.fill([batch], steps))
        dec = s2s.BasicDecoder(cell, helper, init, tf.layers.Dense(vocab))
        out, _, _ = s2s.dynamic_decode(dec)
        loss = s2s.sequence_loss(out.rnn_output, src, tf.ones([batch, steps]))
        train = tf.train.AdamOptimizer(0.03).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            losses = []
            for i in range(60):
                feed = {src: data[(i * batch) % 64:(i * batch) % 64 + batch]}
                losses.append(sess.run([loss, train], feed)[0])
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3]), losses
