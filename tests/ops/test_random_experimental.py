"""tf.random.experimental: stateless_split / stateless_fold_in (TF's construction over the
StatelessRandomUniformFullInt op), index_shuffle (bit for bit TF's), the Generator names."""

import json
import os

import numpy as np
import pytest

import flowexec as tf
from tests.ops.harness import OpCase, check_forward, ids

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "data", "tf1", "misc_api", "strings.json")) as f:
    REC = json.load(f)


def _full_int_ref(seed, shape, dtype):
    key = [int(s) % 2 ** 64 for s in np.asarray(seed).tolist()]
    gen = np.random.Generator(np.random.Philox(key=key))
    info = np.iinfo(dtype)
    return gen.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)


CASES = [
    OpCase("stateless_split_int32", lambda s: tf.random.experimental.stateless_split(s, 3),
           lambda s: _full_int_ref(s, (3, 2), np.int32), [np.array([1, 2], np.int32)],
           grad=False),
    OpCase("stateless_split_int64", lambda s: tf.random.experimental.stateless_split(s),
           lambda s: _full_int_ref(s, (2, 2), np.int64), [np.array([7, 3], np.int64)],
           grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


def test_split_and_fold_in_have_tfs_shapes_dtypes_and_are_deterministic():
    s32 = tf.constant([1, 2], tf.int32)
    split = tf.random.experimental.stateless_split(s32, num=3)
    fold = tf.random.experimental.stateless_fold_in(s32, tf.constant(5, tf.int64))
    assert split.dtype == tf.int32 and split.shape.as_list() == [3, 2]
    assert fold.dtype == tf.int64 and fold.shape.as_list() == [2]
    assert tf.random.split is tf.random.experimental.stateless_split
    assert tf.random.fold_in is tf.random.experimental.stateless_fold_in
    with tf.Session() as sess:
        a, f = sess.run([split, fold])
    with tf.Session() as sess:
        b, g = sess.run([split, fold])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(f, g)
    assert f[1] == 5 and f[0] == _full_int_ref([1, 2], (), np.int64)
    assert len({tuple(r) for r in a}) == 3


def test_index_shuffle_matches_tf():
    y = tf.random.experimental.index_shuffle(tf.range(10), [5, 8], 9)
    with tf.Session() as sess:
        assert sess.run(y).tolist() == REC["index_shuffle_5_8_9"]


def test_generator_names_are_the_tf_random_twins():
    ex = tf.random.experimental
    assert ex.Generator is tf.random.Generator and ex.Algorithm is tf.random.Algorithm
    assert ex.create_rng_state is tf.random.create_rng_state
    assert ex.get_global_generator is tf.random.get_global_generator
    assert ex.set_global_generator is tf.random.set_global_generator
    assert [a.value for a in ex.Algorithm] == [1, 2, 3]


def test_stateless_dropout_keeps_scaled_where_uniform_reaches_rate():
    x = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    y = tf.nn.experimental.stateless_dropout(x, 0.4, seed=[3, 4])
    u = tf.random.stateless_uniform([3, 4], [3, 4])
    rows = tf.nn.experimental.stateless_dropout(x, 0.4, seed=[3, 4], noise_shape=[3, 1])
    ur = tf.random.stateless_uniform([3, 1], [3, 4])
    with tf.Session() as sess:
        got, uv, gr, urv = sess.run([y, u, rows, ur])
    np.testing.assert_allclose(got, np.where(uv >= 0.4, x / np.float32(0.6), 0), rtol=1e-6)
    np.testing.assert_allclose(gr, np.where(urv >= 0.4, x / np.float32(0.6), 0), rtol=1e-6)
    assert tf.nn.experimental.stateless_dropout(tf.constant(x), 0, seed=[1, 2]).op.type == "Const"
    with pytest.raises(ValueError, match="range"):
        tf.nn.experimental.stateless_dropout(x, 1.0, seed=[1, 2])


def test_general_dropout_uses_the_given_sampler():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    y = tf.nn.experimental.general_dropout(
        x, 0.5, lambda shape, dtype: tf.constant([0.1, 0.5, 0.9, 0.49], dtype))
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(y), [0.0, 4.0, 6.0, 0.0])
    with pytest.raises(ValueError, match="floating"):
        tf.nn.experimental.general_dropout(tf.constant([1, 2]), 0.5, None)
