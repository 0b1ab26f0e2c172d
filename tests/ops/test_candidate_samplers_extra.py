"""all / fixed unigram / learned unigram candidate samplers: statistics and expected counts."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import candidate_sampling_extra as cs


def _run(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_all_candidate_sampler():
    with tf.Graph().as_default():
        s, te, se = _run(cs.all_candidate_sampler(tf.constant([[1, 2]], tf.int64), 2, 5, True))
    assert s.tolist() == [0, 1, 2, 3, 4] and te.tolist() == [[1, 1]] and se.tolist() == [1] * 5


def test_fixed_unigram_follows_the_counts(tmp_path):
    with tf.Graph().as_default():
        tf.set_random_seed(2)
        true = tf.constant([[0], [3]], tf.int64)
        s, te, se = cs.fixed_unigram_candidate_sampler(true, 1, 4000, False, 4,
                                                       unigrams=[1, 2, 3, 4], distortion=1.0)
        vocab = tmp_path / "vocab.csv"
        vocab.write_text("a,5\nb,0\nc,5\n")
        s2, te2, _ = cs.fixed_unigram_candidate_sampler(true, 1, 2, True, 5,
                                                        vocab_file=str(vocab),
                                                        num_reserved_ids=2)
        s, te, se, s2, te2 = _run([s, te, se, s2, te2])
    freq = np.bincount(s, minlength=4) / 4000
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.03)
    np.testing.assert_allclose(te[:, 0], [400, 1600], rtol=1e-6)
    assert sorted(s2.tolist()) == [2, 4]  # reserved ids and zero counts are never drawn
    np.testing.assert_allclose(te2[:, 0], [0.0, 0.0])
    with pytest.raises(ValueError):
        cs.fixed_unigram_candidate_sampler(true, 1, 2, False, 4)


def test_learned_unigram_learns_from_true_classes():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        true = tf.constant([[2]] * 50, tf.int64)
        s, te, se = cs.learned_unigram_candidate_sampler(true, 1, 1000, False, 3)
        with tf.Session() as sess:
            first = sess.run([s, te])
            second = sess.run([s, te])
    np.testing.assert_allclose(first[1][0], [1000 / 3], rtol=1e-5)  # starts uniform
    np.testing.assert_allclose(second[1][0], [1000 * 51 / 53], rtol=1e-5)
    assert np.mean(second[0] == 2) > 0.9
    assert tf.nn.learned_unigram_candidate_sampler is tf.random.learned_unigram_candidate_sampler
