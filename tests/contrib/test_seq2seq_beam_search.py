"""tf.contrib.seq2seq beam search: tile_batch, beam width 1 equals greedy decoding, the
brute-force best sequences of a tiny hand-made model (with and without a length penalty),
and an attentional beam search with alignment history and a coverage penalty."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.contrib.helpers import run
from tests.contrib.test_seq2seq import _greedy_weights

s2s = tf.contrib.seq2seq


def test_tile_batch_repeats_each_entry_consecutively():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with tf.Graph().as_default():
        t = s2s.tile_batch(x, 3)
        nested = s2s.tile_batch((tf.constant([1, 2]), {"a": tf.constant(x)}), 2)
        assert t.shape.as_list() == [6, 3]
        got, (n0, n1) = run([t, nested])
        with pytest.raises(ValueError, match="statically known rank"):
            s2s.tile_batch(tf.constant(1.0), 2)
    np.testing.assert_array_equal(got, np.repeat(x, 3, axis=0))
    np.testing.assert_array_equal(n0, [1, 1, 2, 2])
    np.testing.assert_array_equal(n1["a"], np.repeat(x, 2, axis=0))


def test_beam_width_one_equals_greedy():
    W, b, V, c, emb, start, end, max_iter, units, ids, _, lengths = _greedy_weights()
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicRNNCell(units)
        dense = tf.layers.Dense(V.shape[1], kernel_initializer=tf.constant_initializer(V),
                                bias_initializer=tf.constant_initializer(c))
        dec = s2s.BeamSearchDecoder(cell, tf.constant(emb), start, end,
                                    cell.zero_state(len(start), tf.float32), beam_width=1,
                                    output_layer=dense)
        out, state, _ = s2s.dynamic_decode(dec, maximum_iterations=max_iter)
        assert isinstance(out, s2s.FinalBeamSearchDecoderOutput)
        assert isinstance(state, s2s.BeamSearchDecoderState)
        kernel = [v for v in tf.global_variables() if v.op.name.endswith("rnn_cell/kernel")][0]
        bias = [v for v in tf.global_variables() if v.op.name.endswith("rnn_cell/bias")][0]
        assert kernel.op.name == "decoder/basic_rnn_cell/kernel"
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([kernel.assign(W), bias.assign(b)])
            pred, lens = sess.run([out.predicted_ids, state.lengths])
    np.testing.assert_array_equal(lens[:, 0], lengths)
    for k in range(len(start)):
        n = lengths[k]
        np.testing.assert_array_equal(pred[k, :n, 0], ids[k, :n])
        assert (pred[k, n:, 0] == end).all()


class TableCell(tf.nn.rnn_cell.RNNCell):
    """No weights: h' = x + 0.5 h, logits = h' M (x is the previous token's one-hot)."""

    def __init__(self, table):
        super().__init__()
        self._m = table

    @property
    def state_size(self):
        return self._m.shape[0]

    @property
    def output_size(self):
        return self._m.shape[1]

    def call(self, inputs, state):
        h = inputs + 0.5 * state
        return tf.matmul(h, tf.constant(self._m)), h


def _log_softmax(z):
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def _brute_force(table, start, end, steps, penalty):
    """Every distinct final hypothesis of `steps` tokens and its TF beam score: the log
    probability up to its first end token, divided by ((5 + L) / 6) ** penalty, where L
    counts the end token only when it was emitted before the last step (TF's bookkeeping)."""
    vocab = table.shape[0]
    scored = {}
    for seq in itertools.product(range(vocab), repeat=steps):
        if end in seq:
            e = seq.index(end)
            seq = seq[:e + 1] + (end,) * (steps - e - 1)
        else:
            e = None
        if seq in scored:
            continue
        h = np.zeros(vocab)
        prev, logp = start, 0.0
        for t, tok in enumerate(seq):
            h = np.eye(vocab)[prev] + 0.5 * h
            logp += _log_softmax(h @ table)[tok]
            prev = tok
            if tok == end:
                break
        length = steps if e is None else (e + 1 if e < steps - 1 else e)
        scored[seq] = logp / (((5.0 + length) / 6.0) ** penalty)
    return sorted(scored.items(), key=lambda kv: -kv[1])


@pytest.mark.parametrize("penalty", [0.0, 0.8])
def test_exhaustive_beam_finds_the_brute_force_ranking(penalty):
    rng = np.random.RandomState(11)
    vocab, steps, end = 3, 3, 2
    beam = vocab ** (steps - 1)  # wide enough to keep every live prefix: exact search
    tables = [rng.randn(vocab, vocab).astype(np.float32) * 1.5 for _ in range(2)]
    starts = [0, 1]
    with tf.Graph().as_default():
        outs = []
        for k, table in enumerate(tables):
            cell = TableCell(table)
            dec = s2s.BeamSearchDecoder(cell, tf.constant(np.eye(vocab, dtype=np.float32)),
                                        [starts[k]], end, cell.zero_state(beam, tf.float32),
                                        beam_width=beam, length_penalty_weight=penalty)
            out, _, _ = s2s.dynamic_decode(dec, maximum_iterations=steps, scope=f"d{k}")
            outs.append((out.predicted_ids, out.beam_search_decoder_output.scores))
        got = run(outs)
    for (pred, scores), table, start in zip(got, tables, starts):
        want = _brute_force(table, start, end, steps, penalty)[:beam]
        assert pred.shape == (1, steps, beam)
        np.testing.assert_allclose(scores[0, -1], [s for _, s in want], rtol=1e-4, atol=1e-4)
        for k, (seq, _) in enumerate(want):
            np.testing.assert_array_equal(pred[0, :, k], seq)


def test_narrow_beam_escapes_the_greedy_trap():
    # From the start token, token 0 looks best (0.55) but every continuation after it is
    # flat; token 1 (0.45) is followed by a near-certain token. Greedy picks 0; a beam of
    # 2 keeps 1 and ends with the better sequence.
    vocab, end = 3, 2
    logp_first = np.log([0.55, 0.45, 1e-6])
    table = np.zeros((vocab, vocab), np.float32)
    table[0] = logp_first  # row of the start token (0) at step 0
    with tf.Graph().as_default():
        class Cell(TableCell):
            def call(self, inputs, state):
                # state counts steps; step 0 uses `table`, later steps depend on the input:
                # after 0 uniform, after 1 almost surely `end`.
                later = tf.constant(np.array([[0.0, 0.0, 0.0], [-9.0, -9.0, 9.0],
                                              [0.0, 0.0, 0.0]], np.float32))
                first = tf.constant(np.log(np.array([[0.55, 0.45, 1e-6]] * 1, np.float32)))
                logits = tf.where(state[:, 0] > 0, tf.matmul(inputs, later),
                                  tf.tile(first, [tf.shape(inputs)[0], 1]))
                return logits, state + 1.0
        results = []
        for width in (1, 2):
            cell = Cell(table)
            dec = s2s.BeamSearchDecoder(cell, tf.constant(np.eye(vocab, dtype=np.float32)),
                                        [0], end, cell.zero_state(width, tf.float32), width)
            out, _, _ = s2s.dynamic_decode(dec, maximum_iterations=2, scope=f"w{width}")
            results.append(out.predicted_ids)
        greedy, wide = run(results)
    assert list(greedy[0, :, 0]) == [0, 0]
    assert list(wide[0, :, 0]) == [1, end]


def test_attention_beam_search_reorders_alignment_history_and_coverage_penalty():
    rng = np.random.RandomState(5)
    batch, width, vocab = 2, 3, 7
    memory = rng.randn(batch, 4, 5).astype(np.float32)
    with tf.Graph().as_default():
        tiled = s2s.tile_batch(memory, width)
        att = s2s.BahdanauAttention(6, tiled, s2s.tile_batch(tf.constant([4, 2]), width))
        cell = s2s.AttentionWrapper(tf.nn.rnn_cell.LSTMCell(6), att, attention_layer_size=6,
                                    alignment_history=True)
        emb = tf.constant(rng.randn(vocab, 3).astype(np.float32))
        results = []
        for cov, scope in ((0.0, "decoder"), (0.5, "decoder")):
            dec = s2s.BeamSearchDecoder(cell, emb, [0, 0], 1,
                                        cell.zero_state(batch * width, tf.float32), width,
                                        output_layer=tf.layers.Dense(vocab, name="proj",
                                                                     _reuse=tf.AUTO_REUSE),
                                        length_penalty_weight=0.3,
                                        coverage_penalty_weight=cov)
            out, state, _ = s2s.dynamic_decode(dec, maximum_iterations=5, scope=scope)
            results.append((out.predicted_ids, state.cell_state.alignment_history,
                            state.accumulated_attention_probs))
        names = sorted(v.op.name for v in tf.global_variables())
        (p0, h0, acc0), (p1, h1, acc1) = run(results)
    assert "decoder/attention_wrapper/bahdanau_attention/attention_v" in names
    assert "decoder/attention_wrapper/lstm_cell/kernel" in names
    assert len([n for n in names if "attention_v" in n]) == 1  # the second decode reuses
    assert p0.shape[0] == batch and p0.shape[2] == width
    assert h0.shape == (p0.shape[1], batch * width, 4)
    np.testing.assert_allclose(h0.sum(-1), 1.0, rtol=1e-5)
    assert (h0[:, width:, 2:] == 0).all()  # batch entry 1's memory has length 2
    assert acc0 == () and acc1.shape == (batch, width, 4)
