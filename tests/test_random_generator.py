"""tf.random.Generator in a graph: seeded sequences repeat per Session, draws never share a
state, split/make_seeds/reset, and the global generator."""

import threading

import numpy as np
import pytest

import flowexec as tf


def _values(build, runs=2):
    with tf.Graph().as_default():
        out = build()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return [sess.run(out) for _ in range(runs)]


def test_seeded_generator_repeats_across_sessions_and_advances():
    def build():
        g = tf.random.Generator.from_seed(42)
        return [g.normal([1000]), g.uniform([3], maxval=10, dtype=tf.int64)]
    a = _values(build)
    b = _values(build)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0][0], a[1][0])  # each run draws anew
    n = a[0][0]
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1
    c = _values(lambda: tf.random.Generator.from_seed(43).normal([1000]), runs=1)
    assert not np.array_equal(c[0], n)


def test_concurrent_draws_get_distinct_states():
    with tf.Graph().as_default():
        g = tf.random.Generator.from_seed(1)
        x = g.uniform([4])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = []
            threads = [threading.Thread(target=lambda: got.append(tuple(sess.run(x))))
                       for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(set(got)) == 8
            assert sess.run(g.state)[0] == 8


def test_split_make_seeds_reset_and_global():
    with tf.Graph().as_default():
        g = tf.random.Generator.from_seed(5, alg="philox")
        g1, g2 = g.split(2)
        seeds = g.make_seeds(3)
        xs = [g1.normal([3]), g2.normal([3])]
        full = g.uniform_full_int([4], dtype=tf.uint64)
        reset = g.reset_from_seed(5)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            s, a, b, f = sess.run([seeds, xs[0], xs[1], full])
            assert s.shape == (2, 3) and s.dtype == np.int64 and f.dtype == np.uint64
            assert not np.array_equal(a, b)
            before = sess.run(g.state)
            sess.run(reset)
            np.testing.assert_array_equal(sess.run(g.state),
                                          tf.random.create_rng_state(5, "philox"))
            assert before[0] > 0
        assert g.algorithm is tf.random.Algorithm.PHILOX
        gg = tf.random.get_global_generator()
        assert tf.random.get_global_generator() is gg
        tf.random.set_global_generator(g)
        assert tf.random.get_global_generator() is g
        with pytest.raises(TypeError):
            tf.random.set_global_generator(3)
