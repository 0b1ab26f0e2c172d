"""tf.contrib.seq2seq attention: Bahdanau/Luong scores and alignments against numpy
(normalized, scaled, masked by memory_sequence_length), AttentionWrapper one step against
numpy, TF's variable names, the monotonic helpers."""

import numpy as np
import pytest

import flowexec as tf
from tests.contrib.helpers import run

s2s = tf.contrib.seq2seq


def _softmax(x):
    z = np.exp(x - x.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


def _vars(sess):
    return {v.op.name: sess.run(v) for v in tf.global_variables()}


def _masked_softmax(score, lengths):
    mask = np.arange(score.shape[1])[None] < np.asarray(lengths)[:, None]
    return _softmax(np.where(mask, score, -np.inf))


MEM = np.random.RandomState(0).randn(2, 5, 3).astype(np.float32)
QUERY = np.random.RandomState(1).randn(2, 4).astype(np.float32)
LENGTHS = [5, 2]


@pytest.mark.parametrize("normalize", [False, True])
def test_bahdanau_alignments_match_numpy(normalize):
    with tf.Graph().as_default():
        att = s2s.BahdanauAttention(4, MEM, memory_sequence_length=LENGTHS,
                                    normalize=normalize)
        state = att.initial_state(2, tf.float32)
        with tf.variable_scope("s", initializer=tf.random_normal_initializer(seed=3)):
            align, next_state = att(tf.constant(QUERY), state)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, values, keys = sess.run([align, att.values, att.keys])
            v = _vars(sess)
    mem = MEM * (np.arange(5)[None, :, None] < np.array(LENGTHS)[:, None, None])
    np.testing.assert_allclose(values, mem, rtol=1e-6)
    np.testing.assert_allclose(keys, mem @ v["memory_layer/kernel"], rtol=1e-5, atol=1e-6)
    pre = "s/bahdanau_attention/"
    q = QUERY @ v[pre + "query_layer/kernel"]
    vv = v[pre + "attention_v"]
    if normalize:
        assert np.isclose(v[pre + "attention_g"], np.sqrt(1 / 4))
        vv = v[pre + "attention_g"] * vv / np.linalg.norm(vv)
        score = (vv * np.tanh(keys + q[:, None] + v[pre + "attention_b"])).sum(-1)
    else:
        assert pre + "attention_g" not in v
        score = (vv * np.tanh(keys + q[:, None])).sum(-1)
    want = _masked_softmax(score, LENGTHS)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert (got[1, 2:] == 0).all()


@pytest.mark.parametrize("scale", [False, True])
def test_luong_alignments_match_numpy(scale):
    with tf.Graph().as_default():
        att = s2s.LuongAttention(4, MEM, memory_sequence_length=LENGTHS, scale=scale)
        with tf.variable_scope("s"):
            align, _ = att(tf.constant(QUERY), att.initial_state(2, tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            if scale:
                g = [x for x in tf.global_variables() if x.op.name.endswith("attention_g")][0]
                sess.run(g.assign(1.7))
            got = sess.run(align)
            v = _vars(sess)
    mem = MEM * (np.arange(5)[None, :, None] < np.array(LENGTHS)[:, None, None])
    keys = mem @ v["memory_layer/kernel"]
    score = np.einsum("btd,bd->bt", keys, QUERY)
    if scale:
        assert "s/luong_attention/attention_g" in v
        score = 1.7 * score
    np.testing.assert_allclose(got, _masked_softmax(score, LENGTHS), rtol=1e-5, atol=1e-6)


def test_luong_query_depth_must_match_keys_and_type_checks():
    with tf.Graph().as_default():
        att = s2s.LuongAttention(6, MEM)
        with pytest.raises(ValueError, match="Incompatible or unknown inner dimensions"):
            att(tf.constant(QUERY), att.initial_state(2, tf.float32))
        with pytest.raises(TypeError, match="attention_mechanism must be an "
                                            "AttentionMechanism"):
            s2s.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(3), object())
        with pytest.raises(ValueError, match="Only one of attention_layer_size"):
            s2s.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(3), att, attention_layer_size=2,
                                 attention_layer=tf.layers.Dense(2))
        with pytest.raises(ValueError, match="exactly one integer per attention_mechanism"):
            s2s.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(3), att,
                                 attention_layer_size=[2, 3])


@pytest.mark.parametrize("output_attention", [True, False])
def test_attention_wrapper_one_step_matches_numpy(output_attention):
    rng = np.random.RandomState(2)
    x = rng.randn(2, 3).astype(np.float32)
    with tf.Graph().as_default():
        att = s2s.BahdanauAttention(4, MEM, memory_sequence_length=LENGTHS)
        cell = s2s.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(4), att,
                                    attention_layer_size=5, alignment_history=True,
                                    output_attention=output_attention)
        assert cell.output_size == (5 if output_attention else 4)
        state0 = cell.zero_state(2, tf.float32)
        with tf.variable_scope("decoder", initializer=tf.random_normal_initializer(seed=1)):
            out, state1 = cell(tf.constant(x), state0)
            out2, state2 = cell(tf.constant(x), state1)
        assert isinstance(state1, s2s.AttentionWrapperState)
        hist = state2.alignment_history.stack()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, s1, got2, h, t2 = sess.run([out, state1._replace(alignment_history=()), out2,
                                             hist, state2.time])
            v = _vars(sess)
    names = set(v)
    pre = "decoder/attention_wrapper/"
    assert {"memory_layer/kernel", pre + "basic_rnn_cell/kernel", pre + "basic_rnn_cell/bias",
            pre + "bahdanau_attention/query_layer/kernel", pre + "bahdanau_attention/attention_v",
            pre + "attention_layer/kernel"} == names

    mem = MEM * (np.arange(5)[None, :, None] < np.array(LENGTHS)[:, None, None])
    keys = mem @ v["memory_layer/kernel"]

    def step(x, h, attention):
        h = np.tanh(np.concatenate([x, attention, h], 1) @ v[pre + "basic_rnn_cell/kernel"]
                    + v[pre + "basic_rnn_cell/bias"])
        q = h @ v[pre + "bahdanau_attention/query_layer/kernel"]
        score = (v[pre + "bahdanau_attention/attention_v"] * np.tanh(keys + q[:, None])).sum(-1)
        align = _masked_softmax(score, LENGTHS)
        context = np.einsum("bt,btd->bd", align, mem)
        attention = np.concatenate([h, context], 1) @ v[pre + "attention_layer/kernel"]
        return h, attention, align
    h1, a1, al1 = step(x, np.zeros((2, 4), np.float32), np.zeros((2, 5), np.float32))
    h2, a2, al2 = step(x, h1, a1)
    np.testing.assert_allclose(got, a1 if output_attention else h1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got2, a2 if output_attention else h2, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(s1.cell_state, h1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(s1.attention, a1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(s1.alignments, al1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h, np.stack([al1, al2]), rtol=1e-4, atol=1e-5)
    assert s1.time == 1 and t2 == 2


def test_attention_wrapper_without_layer_outputs_context_and_multi_mechanism():
    with tf.Graph().as_default():
        a1 = s2s.LuongAttention(4, MEM, name="a1")
        with tf.variable_scope("m2"):
            a2 = s2s.BahdanauAttention(3, MEM, LENGTHS)
        cell = s2s.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(4), [a1, a2],
                                    attention_layer_size=None)
        assert cell.output_size == 6
        state = cell.zero_state(2, tf.float32)
        assert isinstance(state.alignments, tuple) and len(state.alignments) == 2
        out, st = cell(tf.constant(QUERY[:, :3]), state)
        o, al = run([out, st.alignments])
    ctx = np.concatenate([np.einsum("bt,btd->bd", al[0], MEM),
                          np.einsum("bt,btd->bd", al[1], MEM * (
                              np.arange(5)[None, :, None] < np.array(LENGTHS)[:, None, None]))],
                         1)
    np.testing.assert_allclose(o, ctx, rtol=1e-5, atol=1e-6)


def test_clone_keeps_shapes_and_initial_cell_state():
    with tf.Graph().as_default():
        att = s2s.LuongAttention(4, MEM)
        enc = tf.constant(QUERY)
        cell = s2s.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(4), att,
                                    initial_cell_state=enc)
        st = cell.zero_state(2, tf.float32)
        np.testing.assert_allclose(run(st.cell_state), QUERY)
        cloned = st.clone(cell_state=tf.placeholder_with_default(QUERY * 2, [None, 4]))
        assert cloned.cell_state.shape.as_list() == [2, 4]
        np.testing.assert_allclose(run(cloned.cell_state), QUERY * 2)
        bad = cell.zero_state(3, tf.float32)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Non-matching batch sizes"):
            run(bad.cell_state)


def test_hardmax_and_safe_cumprod():
    logits = np.array([[0.1, 2.0, 0.3], [5.0, -1.0, 5.0]], np.float32)
    x = np.array([[0.5, 0.0, 0.2, 1.0]], np.float32)
    with tf.Graph().as_default():
        h, c, ce = run([s2s.hardmax(logits), s2s.safe_cumprod(x, axis=1),
                        s2s.safe_cumprod(x, axis=1, exclusive=True)])
    np.testing.assert_array_equal(h, [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(c, np.cumprod(x, 1), atol=1e-30)
    np.testing.assert_allclose(ce, [[1.0, 0.5, 0.0, 0.0]], atol=1e-30)


def _np_monotonic_recursive(p, prev):
    out = np.zeros_like(p)
    for b in range(p.shape[0]):
        q = 0.0
        for j in range(p.shape[1]):
            q = (1 - p[b, j - 1]) * q + prev[b, j] if j > 0 else prev[b, j]
            out[b, j] = p[b, j] * q
    return out


def test_monotonic_attention_modes_match_numpy():
    rng = np.random.RandomState(3)
    p = rng.uniform(0.1, 0.9, (2, 6)).astype(np.float32)
    prev = _softmax(rng.randn(2, 6)).astype(np.float32)
    hard_p = np.array([[0, 1, 0, 1, 1, 0], [1, 0, 0, 0, 0, 1]], np.float32)
    hard_prev = np.array([[0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]], np.float32)
    with tf.Graph().as_default():
        rec, par, hard = run([s2s.monotonic_attention(p, prev, "recursive"),
                              s2s.monotonic_attention(p, prev, "parallel"),
                              s2s.monotonic_attention(hard_p, hard_prev, "hard")])
        with pytest.raises(ValueError, match="mode must be"):
            s2s.monotonic_attention(p, prev, "soft")
    want = _np_monotonic_recursive(p, prev)
    np.testing.assert_allclose(rec, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(par, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(hard, [[0, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 0]])


@pytest.mark.parametrize("cls,scope", [(s2s.BahdanauMonotonicAttention,
                                        "bahdanau_monotonic_attention"),
                                       (s2s.LuongMonotonicAttention,
                                        "luong_monotonic_attention")])
def test_monotonic_mechanisms_start_at_entry_zero_and_are_sub_stochastic(cls, scope):
    with tf.Graph().as_default():
        att = cls(4, MEM, memory_sequence_length=LENGTHS, score_bias_init=-1.0)
        init = att.initial_alignments(2, tf.float32)
        align, _ = att(tf.constant(QUERY), init)
        names = [v.op.name for v in tf.global_variables()]
        i, a = run([init, align])
    assert f"{scope}/attention_score_bias" in names
    np.testing.assert_array_equal(i, np.eye(5)[[0, 0]])
    assert (a >= 0).all() and (a.sum(1) <= 1 + 1e-6).all() and (a[1, 2:] == 0).all()


def test_attention_gradients_reach_the_memory_and_weights():
    with tf.Graph().as_default():
        mem = tf.constant(MEM)
        att = s2s.BahdanauAttention(4, mem, LENGTHS, normalize=True)
        align, _ = att(tf.constant(QUERY), att.initial_state(2, tf.float32))
        loss = tf.reduce_sum(align * tf.constant(np.arange(5, dtype=np.float32)))
        grads = tf.gradients(loss, [mem] + tf.trainable_variables())
        assert all(g is not None for g in grads)
        values = run(grads)
    assert all(np.abs(g).sum() > 0 for g in values[1:])
    assert np.abs(values[0][1, 2:]).sum() == 0  # masked memory gets no gradient


def test_zero_state_with_a_memory_of_unknown_length():
    """TF 1.x NMT code feeds [None, None] sources: the alignments' size is a run-time value."""
    seq2seq = tf.contrib.seq2seq
    with tf.Graph().as_default():
        memory = tf.placeholder(tf.float32, [None, None, 6])
        lengths = tf.placeholder(tf.int32, [None])
        mech = seq2seq.LuongAttention(6, memory, memory_sequence_length=lengths)
        cell = seq2seq.AttentionWrapper(tf.nn.rnn_cell.GRUCell(6), mech, alignment_history=True)
        state = cell.zero_state(tf.shape(memory)[0], tf.float32)
        assert state.alignments.shape.as_list() == [None, None]
        out, new = cell(tf.zeros([tf.shape(memory)[0], 3]), state)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            feed = {memory: np.ones((2, 5, 6), np.float32), lengths: [5, 2]}
            a0, a1 = sess.run([state.alignments, new.alignments], feed)
    assert a0.shape == (2, 5) and not a0.any()
    np.testing.assert_allclose(a1.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(a1[1, 2:], 0.0)
