"""tf.contrib.crf against brute-force numpy oracles (every tag sequence enumerated): sequence,
unary, binary and multitag scores, the log normalizer and log likelihood, Viterbi in numpy
and in the graph, with sequence lengths 0 and 1, int32/int64 indices, float32/float64,
static and runtime time dimensions; finite-difference gradients; the "transitions"
variable; and a small training loop that has to learn the transitions."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.contrib.helpers import check_input_gradient, run

crf = tf.contrib.crf

# TF 1.15 crf_test.py's fixture: 3 tags, 4 steps.
TF_TRANSITIONS = np.array([[-3, 5, -2], [3, 4, 1], [1, 2, 1]], np.float32)
TF_INPUTS = np.array([[4, 5, -3], [3, -1, 3], [-1, 2, 1], [0, 0, 0]], np.float32)


# ----- numpy oracles -------------------------------------------------------------------------
def np_score(x, tags, length, trans):
    unary = sum(x[t, tags[t]] for t in range(length))
    binary = sum(trans[tags[t], tags[t + 1]] for t in range(length - 1))
    return unary + binary


def np_sequences(num_tags, length, max_len):
    """Every tag sequence of `length`, padded with tag 0 to `max_len`."""
    for seq in itertools.product(range(num_tags), repeat=length):
        yield list(seq) + [0] * (max_len - length)


def np_logsumexp(values):
    values = np.asarray(values, np.float64)
    m = values.max()
    return m + np.log(np.exp(values - m).sum())


def np_log_norm(x, length, trans):
    if length == 0:
        return 0.0
    scores = [np_score(x, s, length, trans) for s in np_sequences(x.shape[1], length, 0)]
    return np_logsumexp(scores)


def np_best(x, length, trans):
    """(argmax sequence, max score) over all sequences of `length` (length >= 1)."""
    seqs = list(np_sequences(x.shape[1], length, 0))
    scores = [np_score(x, s, length, trans) for s in seqs]
    i = int(np.argmax(scores))
    return seqs[i], scores[i]


def random_problem(batch=5, max_len=4, num_tags=3, lengths=(4, 3, 1, 0, 2), seed=0,
                   dtype=np.float32):
    rng = np.random.RandomState(seed)
    x = rng.standard_normal((batch, max_len, num_tags)).astype(dtype)
    trans = rng.standard_normal((num_tags, num_tags)).astype(dtype)
    tags = rng.randint(0, num_tags, (batch, max_len))
    return x, tags, np.array(lengths[:batch]), trans


# ----- scores --------------------------------------------------------------------------------
def test_sequence_score_tf_fixture_value():
    # unary 5 + 3 + 2, binary T[1, 2] + T[2, 1] = 1 + 2: the 4th step is padding.
    score = crf.crf_sequence_score(TF_INPUTS[None], np.array([[1, 2, 1, 0]], np.int32),
                                   np.array([3], np.int32), tf.constant(TF_TRANSITIONS))
    np.testing.assert_allclose(run(score), [13.0])
    unary = crf.crf_unary_score(np.array([[1, 2, 1, 0]], np.int64), np.array([3], np.int32),
                                TF_INPUTS[None])
    binary = crf.crf_binary_score(np.array([[1, 2, 1, 0]], np.int32), np.array([3], np.int32),
                                  tf.constant(TF_TRANSITIONS))
    np.testing.assert_allclose(run([unary, binary]), [[10.0], [3.0]])


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_sequence_unary_binary_scores_match_numpy(index_dtype):
    x, tags, lengths, trans = random_problem()
    tags, lengths = tags.astype(index_dtype), lengths.astype(index_dtype)
    score = crf.crf_sequence_score(tf.constant(x), tf.constant(tags), tf.constant(lengths),
                                   tf.constant(trans))
    unary = crf.crf_unary_score(tf.constant(tags), tf.constant(lengths), tf.constant(x))
    binary = crf.crf_binary_score(tf.constant(tags), tf.constant(lengths), tf.constant(trans))
    assert score.shape.as_list() == [5] and score.dtype == tf.float32
    assert unary.shape.as_list() == [5] and binary.shape.as_list() == [5]
    got_score, got_unary, got_binary = run([score, unary, binary])
    want_unary = [sum(x[b, t, tags[b, t]] for t in range(n)) for b, n in enumerate(lengths)]
    want_binary = [sum(trans[tags[b, t], tags[b, t + 1]] for t in range(n - 1))
                   for b, n in enumerate(lengths)]
    np.testing.assert_allclose(got_unary, want_unary, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_binary, want_binary, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_score, np.add(want_unary, want_binary), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_single_step_sequence_score_and_log_norm(index_dtype):
    x = np.array([[[4, 5, -3]], [[3, -1, 3]], [[1, 2, 0]]], np.float32)
    tags = np.array([[1], [2], [0]], index_dtype)
    lengths = np.array([1, 1, 0], index_dtype)
    trans = tf.constant(TF_TRANSITIONS)
    score = crf.crf_sequence_score(tf.constant(x), tf.constant(tags), tf.constant(lengths),
                                   trans)
    log_norm = crf.crf_log_norm(tf.constant(x), tf.constant(lengths), trans)
    # The single-step path is chosen at build time: no loop in the graph.
    assert not any(op.type == "While" for op in tf.get_default_graph().get_operations())
    got_score, got_norm = run([score, log_norm])
    np.testing.assert_allclose(got_score, [5.0, 3.0, 0.0])
    np.testing.assert_allclose(got_norm, [np_logsumexp([4, 5, -3]), np_logsumexp([3, -1, 3]),
                                          0.0], rtol=1e-6)


def test_multitag_sequence_score_matches_brute_force():
    x, _, lengths, trans = random_problem()
    rng = np.random.RandomState(1)
    bitmap = rng.rand(*x.shape) < 0.6
    bitmap[:, :, 0] |= ~bitmap.any(axis=2)    # at least one allowed tag per step
    got = run(crf.crf_multitag_sequence_score(tf.constant(x), tf.constant(bitmap),
                                              tf.constant(lengths), tf.constant(trans)))
    for b, n in enumerate(lengths):
        allowed = [np.nonzero(bitmap[b, t])[0] for t in range(n)]
        scores = [np_score(x[b], seq, n, trans) for seq in itertools.product(*allowed)]
        want = np_logsumexp(scores) if n else 0.0
        np.testing.assert_allclose(got[b], want, rtol=1e-5, atol=1e-5)


def test_multitag_with_one_hot_bitmap_is_sequence_score():
    x, tags, lengths, trans = random_problem()
    bitmap = np.eye(3, dtype=bool)[tags]
    multi = crf.crf_multitag_sequence_score(x, bitmap, lengths, trans)
    single = crf.crf_sequence_score(x, tags, lengths, trans)
    got_multi, got_single = run([multi, single])
    np.testing.assert_allclose(got_multi, got_single, rtol=1e-5, atol=1e-5)
    single_step = crf.crf_multitag_sequence_score(
        TF_INPUTS[None, :1], np.array([[[True, True, False]]]), np.array([1]), TF_TRANSITIONS)
    np.testing.assert_allclose(run(single_step), [np_logsumexp([4, 5])], rtol=1e-6)


# ----- log norm and log likelihood -----------------------------------------------------------
@pytest.mark.parametrize("num_tags,max_len", [(3, 4), (2, 5), (4, 3)])
def test_log_norm_matches_brute_force(num_tags, max_len):
    lengths = [max_len, max_len - 1, 1, 0, 2]
    x, _, lengths, trans = random_problem(max_len=max_len, num_tags=num_tags,
                                          lengths=lengths, seed=num_tags)
    log_norm = crf.crf_log_norm(tf.constant(x), tf.constant(lengths, tf.int64),
                                tf.constant(trans))
    assert log_norm.shape.as_list() == [5]
    want = [np_log_norm(x[b], n, trans) for b, n in enumerate(lengths)]
    np.testing.assert_allclose(run(log_norm), want, rtol=1e-5, atol=1e-5)


def test_log_norm_zero_lengths_tf_case():
    log_norm = crf.crf_log_norm(tf.constant(np.ones([2, 10, 5], np.float32)),
                                tf.constant(np.zeros([2], np.int32)),
                                tf.constant(np.ones([5, 5], np.float32)))
    np.testing.assert_allclose(run(log_norm), [0.0, 0.0])


def test_crf_forward_gives_the_alphas_of_the_last_step():
    x, _, lengths, trans = random_problem(lengths=(4, 3, 1, 2, 4))
    alphas = crf.crf_forward(tf.constant(x[:, 1:]), tf.constant(x[:, 0]), tf.constant(trans),
                             tf.constant(lengths))
    assert alphas.shape.as_list() == [5, 3]
    got = run(alphas)
    for b, n in enumerate(lengths):
        # alphas[j] = logsumexp of the scores of the length-n sequences ending in tag j.
        for j in range(3):
            scores = [np_score(x[b], list(s) + [j], n, trans)
                      for s in itertools.product(range(3), repeat=n - 1)]
            np.testing.assert_allclose(got[b, j], np_logsumexp(scores), rtol=1e-5, atol=1e-5)


def test_log_likelihood_matches_numpy_and_normalizes():
    x, tags, lengths, trans = random_problem()
    ll, returned = crf.crf_log_likelihood(tf.constant(x), tf.constant(tags),
                                          tf.constant(lengths), tf.constant(trans))
    assert ll.shape.as_list() == [5] and ll.dtype == tf.float32
    want = [np_score(x[b], tags[b], n, trans) - np_log_norm(x[b], n, trans)
            for b, n in enumerate(lengths)]
    got, got_trans = run([ll, returned])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got_trans, trans)
    assert got[3] == 0.0   # length 0


def test_log_likelihoods_of_all_sequences_sum_to_one_tf_case():
    seqs = np.array(list(np_sequences(3, 3, 4)), np.int32)            # 27 sequences
    n = len(seqs)
    ll, _ = crf.crf_log_likelihood(tf.constant(np.repeat(TF_INPUTS[None], n, 0)),
                                   tf.constant(seqs), tf.constant(np.full([n], 3, np.int32)),
                                   tf.constant(TF_TRANSITIONS))
    np.testing.assert_allclose(run(tf.reduce_logsumexp(ll)), 0.0, atol=1e-5)


def test_float64_inputs_and_created_variable():
    x, tags, lengths, trans = random_problem(dtype=np.float64)
    ll, _ = crf.crf_log_likelihood(tf.constant(x), tf.constant(tags), tf.constant(lengths),
                                   tf.constant(trans))
    assert ll.dtype == tf.float64
    want = [np_score(x[b], tags[b], n, trans) - np_log_norm(x[b], n, trans)
            for b, n in enumerate(lengths)]
    np.testing.assert_allclose(run(ll), want, rtol=1e-10, atol=1e-10)
    _, created = crf.crf_log_likelihood(tf.constant(x), tf.constant(tags),
                                        tf.constant(lengths))
    assert created.dtype.base_dtype == tf.float64


def test_runtime_time_dimension_uses_cond_for_both_paths():
    inputs = tf.placeholder(tf.float32, [None, None, 3])
    tags = tf.placeholder(tf.int32, [None, None])
    lengths = tf.placeholder(tf.int32, [None])
    trans = tf.constant(TF_TRANSITIONS)
    ll, _ = crf.crf_log_likelihood(inputs, tags, lengths, trans)
    decode_tags, best = crf.crf_decode(inputs, trans, lengths)
    x, t, n, _ = random_problem()
    with tf.Session() as sess:
        for x_, t_, n_ in [(x, t, n), (x[:, :1], t[:, :1], np.minimum(n, 1))]:
            got_ll, got_tags, got_best = sess.run([ll, decode_tags, best],
                                                  {inputs: x_, tags: t_, lengths: n_})
            for b, length in enumerate(n_):
                want = (np_score(x_[b], t_[b], length, TF_TRANSITIONS)
                        - np_log_norm(x_[b], length, TF_TRANSITIONS))
                np.testing.assert_allclose(got_ll[b], want, rtol=1e-5, atol=1e-5)
                if length:
                    seq, score = np_best(x_[b], length, TF_TRANSITIONS)
                    assert list(got_tags[b, :length]) == seq
                    np.testing.assert_allclose(got_best[b], score, rtol=1e-5)
            assert got_tags.shape == x_.shape[:2]


def test_transitions_variable_is_created_with_get_variable():
    x, tags, lengths, _ = random_problem()
    with tf.variable_scope("crf"):
        ll, trans = crf.crf_log_likelihood(tf.constant(x), tf.constant(tags),
                                           tf.constant(lengths))
    assert trans.name == "crf/transitions:0"
    assert trans.shape.as_list() == [3, 3] and trans.dtype.base_dtype == tf.float32
    assert trans in tf.trainable_variables()
    with tf.variable_scope("crf", reuse=True):
        _, again = crf.crf_log_likelihood(tf.constant(x), tf.constant(tags),
                                          tf.constant(lengths))
    assert again is trans or again.name == trans.name
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got, value = sess.run([ll, trans])
    want = [np_score(x[b], tags[b], n, value) - np_log_norm(x[b], n, value)
            for b, n in enumerate(lengths)]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_created_transitions_need_a_known_num_tags():
    with pytest.raises(ValueError, match="num_tags"):
        crf.crf_log_likelihood(tf.placeholder(tf.float32, [2, 3, None]),
                               tf.zeros([2, 3], tf.int32), tf.constant([3, 2]))


def test_tag_indices_must_be_integers():
    with pytest.raises(TypeError, match="tag_indices"):
        crf.crf_sequence_score(TF_INPUTS[None], np.array([[1.0, 2.0, 1.0, 0.0]], np.float32),
                               [3], TF_TRANSITIONS)


# ----- decoding ------------------------------------------------------------------------------
@pytest.mark.parametrize("length", [1, 2, 3, 4])
def test_viterbi_decode_matches_brute_force(length):
    x, _, _, trans = random_problem(num_tags=4, seed=length)
    for b in range(x.shape[0]):
        seq, score = crf.viterbi_decode(x[b, :length], trans)
        want_seq, want_score = np_best(x[b], length, trans)
        assert seq == want_seq
        np.testing.assert_allclose(score, want_score, rtol=1e-5)


def test_viterbi_decode_tf_case():
    seq, score = crf.viterbi_decode(TF_INPUTS[:3], TF_TRANSITIONS)
    want_seq, want_score = np_best(TF_INPUTS, 3, TF_TRANSITIONS)
    assert seq == want_seq and np.isclose(score, want_score)


@pytest.mark.parametrize("length_dtype", [tf.int32, tf.int64])
def test_crf_decode_matches_viterbi_decode_per_example(length_dtype):
    lengths = (5, 3, 1, 0, 2, 4)
    x, _, lengths, trans = random_problem(batch=6, max_len=5, num_tags=4, lengths=lengths,
                                          seed=7)
    decode_tags, best = crf.crf_decode(tf.constant(x), tf.constant(trans),
                                       tf.constant(lengths, length_dtype))
    assert decode_tags.dtype == tf.int32 and decode_tags.shape.as_list() == [6, 5]
    assert best.dtype == tf.float32 and best.shape.as_list() == [6]
    got_tags, got_best = run([decode_tags, best])
    for b, n in enumerate(lengths):
        if n == 0:
            # TF 1.15's multi-step path: tag 0 is the first step's argmax, then zeros.
            assert list(got_tags[b]) == [int(np.argmax(x[b, 0]))] + [0] * 4
            np.testing.assert_allclose(got_best[b], x[b, 0].max())
            continue
        seq, score = crf.viterbi_decode(x[b, :n], trans)
        assert list(got_tags[b, :n]) == seq
        assert not got_tags[b, n:].any()          # padding decodes to tag 0
        np.testing.assert_allclose(got_best[b], score, rtol=1e-5)
        assert seq == np_best(x[b], n, trans)[0]


def test_crf_decode_tf_cases():
    for inputs, length in [(TF_INPUTS, 3), (np.array([[-1, 2, 1]], np.float32), 1)]:
        tags, best = crf.crf_decode(inputs[None], tf.constant(TF_TRANSITIONS),
                                    tf.constant([length], tf.int64))
        got_tags, got_best = run([tags, best])
        want_seq, want_score = np_best(inputs, length, TF_TRANSITIONS)
        assert list(got_tags[0, :length]) == want_seq
        np.testing.assert_allclose(got_best[0], want_score)
    tags, best = crf.crf_decode(tf.constant(np.ones([2, 10, 5], np.float32)),
                                tf.constant(np.ones([5, 5], np.float32)),
                                tf.constant(np.zeros([2], np.int32)))
    got_tags, got_best = run([tags, best])
    assert got_tags.shape == (2, 10) and got_best.shape == (2,)


def test_crf_decode_single_step_is_argmax():
    x = np.array([[[0.1, 2.0, -1.0]], [[3.0, 0.0, 1.0]]], np.float32)
    tags, best = crf.crf_decode(tf.constant(x), tf.constant(TF_TRANSITIONS),
                                tf.constant([1, 0]))
    assert tags.shape.as_list() == [2, 1] and tags.dtype == tf.int32
    got_tags, got_best = run([tags, best])
    np.testing.assert_array_equal(got_tags, [[1], [0]])
    np.testing.assert_allclose(got_best, [2.0, 3.0])


# ----- gradients -----------------------------------------------------------------------------
def test_log_likelihood_gradient_wrt_inputs_and_transitions():
    x, tags, lengths, trans = random_problem(batch=4, lengths=(4, 3, 1, 0), dtype=np.float64)
    xin = tf.placeholder(tf.float64, x.shape)
    tin = tf.placeholder(tf.float64, trans.shape)
    ll, _ = crf.crf_log_likelihood(xin, tf.constant(tags), tf.constant(lengths), tin)
    check_input_gradient(ll, xin, x, eps=1e-6, atol=1e-6, rtol=1e-5, feed={tin: trans})
    check_input_gradient(ll, tin, trans, eps=1e-6, atol=1e-6, rtol=1e-5, feed={xin: x})


def test_log_norm_gradient_is_the_tag_marginals():
    x, _, lengths, trans = random_problem(dtype=np.float64)
    xin = tf.constant(x)
    (grad,) = tf.gradients(tf.reduce_sum(crf.crf_log_norm(xin, lengths, trans)), [xin])
    marginals = run(grad)
    for b, n in enumerate(lengths):
        want = np.zeros(x.shape[1:])
        log_z = np_log_norm(x[b], n, trans)
        for seq in np_sequences(3, n, x.shape[1]):
            p = np.exp(np_score(x[b], seq, n, trans) - log_z)
            for t in range(n):
                want[t, seq[t]] += p
        np.testing.assert_allclose(marginals[b], want, atol=1e-10)


@pytest.mark.parametrize("steps", [4, 1])   # the multi-step and the single-step branch
def test_gradient_error_through_the_runtime_cond(steps):
    x, tags, lengths, trans = random_problem(batch=3, lengths=(4, 2, 0), dtype=np.float64)
    xin = tf.placeholder(tf.float64, [3, None, 3])
    tin = tf.placeholder(tf.int32, [3, None])
    lin = tf.placeholder(tf.int32, [3])
    ll, _ = crf.crf_log_likelihood(xin, tin, lin, tf.constant(trans))
    assert any(op.type in ("If", "StatelessIf") for op in tf.get_default_graph().get_operations())
    feed = {tin: tags[:, :steps], lin: np.minimum(lengths, steps)}
    with tf.Session():
        err = tf.test.compute_gradient_error(xin, [3, steps, 3], ll, [3],
                                             x_init_value=x[:, :steps], delta=1e-6,
                                             extra_feed_dict=feed)
    assert err < 1e-6


def test_multitag_gradient():
    x, _, lengths, trans = random_problem(batch=3, lengths=(4, 2, 1), dtype=np.float64)
    bitmap = np.random.RandomState(3).rand(*x.shape) < 0.7
    bitmap[:, :, 1] = True
    xin = tf.placeholder(tf.float64, x.shape)
    score = crf.crf_multitag_sequence_score(xin, bitmap, lengths, trans)
    check_input_gradient(score, xin, x, eps=1e-6, atol=1e-6, rtol=1e-5)


# ----- training ------------------------------------------------------------------------------
def test_training_learns_transitions():
    """The tags cycle 0 -> 1 -> 2 -> 0; only the first step's potentials say anything, so
    decoding the rest needs the learned transitions."""
    rng = np.random.RandomState(0)
    batch, max_len, num_tags = 32, 6, 3
    first = rng.randint(0, num_tags, batch)
    gold = (first[:, None] + np.arange(max_len)[None]) % num_tags
    lengths = rng.randint(2, max_len + 1, batch)
    gold = np.where(np.arange(max_len)[None] < lengths[:, None], gold, 0)
    x = np.zeros((batch, max_len, num_tags), np.float32)
    x[np.arange(batch), 0, first] = 3.0
    inputs, tags, lens = tf.constant(x), tf.constant(gold), tf.constant(lengths)
    ll, trans = crf.crf_log_likelihood(inputs, tags, lens)
    loss = tf.reduce_mean(-ll)
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
    decoded, _ = crf.crf_decode(inputs, trans, lens)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        start = sess.run(loss)
        for _ in range(60):
            sess.run(train)
        end, got, learned = sess.run([loss, decoded, trans])
    assert end < 0.2 * start
    np.testing.assert_array_equal(got, gold)
    np.testing.assert_array_equal(np.argmax(learned, axis=1), [1, 2, 0])
