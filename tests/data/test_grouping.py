"""scan, take_while, unique, group_by_window, group_by_reducer, bucket_by_sequence_length:
argument checks (TF 1.15's messages), placeholders, re-initialization, end of sequence
(TensorFlow's own results are in test_tf_data_experimental_fixtures.py)."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.data.helpers import drain, values

Dataset = tf.data.Dataset
E = tf.data.experimental


# ----- scan ----------------------------------------------------------------------------------
def test_scan_matches_itertools_accumulate():
    data = [3, 1, 4, 1, 5, 9, 2, 6]
    ds = Dataset.from_tensor_slices(np.array(data, np.int64)).apply(
        E.scan(np.int64(0), lambda s, x: (s + x, s + x)))
    assert values(ds) == list(itertools.accumulate(data))


def test_scan_requires_a_pair():
    with pytest.raises(TypeError, match="The scan function must return a pair comprising the "
                                        "new state and the output value."):
        Dataset.range(3).apply(E.scan(np.int64(0), lambda s, x: s))


def test_scan_rejects_a_new_state_dtype():
    with pytest.raises(TypeError, match=r"The element types for the new state must match the "
                                        r"initial state. Expected <dtype: 'int32'>; got "
                                        r"<dtype: 'int64'>."):
        Dataset.range(3).apply(E.scan(tf.constant(0), lambda s, x: (x, x)))


def test_scan_relaxes_the_state_shape():
    ds = Dataset.range(3).apply(E.scan(tf.zeros([0], tf.int64),
                                       lambda s, x: (tf.concat([s, [x]], 0), s)))
    assert ds.output_shapes == tf.TensorShape([None])
    assert values(ds) == [[], [0], [0, 1]]


def test_scan_state_from_placeholder_restarts_on_reinitialization():
    start = tf.placeholder(tf.int64, [])
    it = Dataset.range(3).apply(E.scan(start, lambda s, x: (s + 1, s))) \
        .make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {start: 10})
        assert drain(sess, nxt) == [10, 11, 12]
        sess.run(it.initializer, {start: 0})
        assert drain(sess, nxt) == [0, 1, 2]
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            sess.run(nxt)


def test_scan_keeps_the_cardinality():
    ds = Dataset.range(5).apply(E.scan(np.int64(0), lambda s, x: (s, x)))
    with tf.Session() as sess:
        assert sess.run(E.cardinality(ds)) == 5


def test_scan_error_in_the_function_is_the_elements_error():
    ds = Dataset.from_tensor_slices([1., 0., 2.]).apply(
        E.scan(0., lambda s, x: (s, tf.check_numerics(1. / x, "inf"))))
    it = ds.make_one_shot_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 1.
        with pytest.raises(tf.errors.InvalidArgumentError, match="inf"):
            sess.run(nxt)
        assert sess.run(nxt) == .5


# ----- take_while ----------------------------------------------------------------------------
def test_take_while_predicate_must_be_a_scalar_bool():
    with pytest.raises(ValueError, match="`predicate` must return a scalar boolean tensor."):
        Dataset.range(3).apply(E.take_while(lambda x: x))
    with pytest.raises(ValueError, match="`predicate` must return a scalar boolean tensor."):
        Dataset.range(3).apply(E.take_while(lambda x: tf.fill([2], True)))


def test_take_while_captures_a_placeholder():
    limit = tf.placeholder(tf.int64, [])
    ds = Dataset.range(100).apply(E.take_while(lambda x: x < limit))
    assert values(ds, {limit: 3}) == [0, 1, 2]
    assert values(ds, {limit: 0}) == []


# ----- unique --------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: Dataset.from_tensor_slices([1., 2.]),
    lambda: Dataset.from_tensor_slices(([1], [2])),
    lambda: Dataset.from_tensor_slices({"a": [1]}),
])
def test_unique_supports_one_int_or_string_component(make):
    with pytest.raises(TypeError, match="UniqueDataset only supports inputs with a single "
                                        "`tf.int32`, `tf.int64`, or `tf.string` component."):
        make().apply(E.unique())


def test_unique_keeps_first_occurrences_in_order():
    rng = np.random.RandomState(0)
    data = rng.randint(0, 20, size=200).astype(np.int64)
    want = list(dict.fromkeys(data.tolist()))
    assert values(Dataset.from_tensor_slices(data).apply(E.unique())) == want


def test_unique_forgets_between_passes():
    ds = Dataset.from_tensor_slices([1, 1, 2]).apply(E.unique()).repeat(2)
    assert values(ds) == [1, 2, 1, 2]


# ----- group_by_window -----------------------------------------------------------------------
def _group_by_window_oracle(data, key, size):
    groups, out = {}, []
    for x in data:
        g = groups.setdefault(key(x), [])
        g.append(x)
        if len(g) == size(key(x)):
            out.append(g)
            del groups[key(x)]
    return out + [groups[k] for k in sorted(groups)]


def test_group_by_window_matches_the_oracle():
    rng = np.random.RandomState(1)
    data = rng.randint(0, 50, size=100).astype(np.int64)
    ds = Dataset.from_tensor_slices(data).apply(E.group_by_window(
        lambda x: x % 4, lambda k, w: w.batch(100), window_size_func=lambda k: k + 2))
    assert values(ds) == _group_by_window_oracle(data.tolist(), lambda x: x % 4,
                                                 lambda k: k + 2)


@pytest.mark.parametrize("kwargs", [{}, {"window_size": 2, "window_size_func": lambda k: k}])
def test_group_by_window_needs_exactly_one_window_size(kwargs):
    with pytest.raises(ValueError, match="Must pass either window_size or window_size_func."):
        E.group_by_window(lambda x: x, lambda k, w: w, **kwargs)


def test_group_by_window_function_checks():
    ds = Dataset.range(4)
    with pytest.raises(ValueError, match="`key_func` must return a single tf.int64 scalar "
                                         "tensor."):
        ds.apply(E.group_by_window(lambda x: tf.stack([x, x]), lambda k, w: w, 2))
    with pytest.raises(ValueError, match="Tensor conversion requested dtype int64"):
        ds.apply(E.group_by_window(lambda x: tf.cast(x, tf.int32), lambda k, w: w, 2))
    with pytest.raises(TypeError, match="`reduce_func` must return a `Dataset` object."):
        ds.apply(E.group_by_window(lambda x: x, lambda k, w: k, 2))
    with pytest.raises(ValueError, match="`window_size_func` must return a single tf.int64 "
                                         "scalar tensor."):
        ds.apply(E.group_by_window(lambda x: x, lambda k, w: w,
                                   window_size_func=lambda k: tf.stack([k, k])))


def test_group_by_window_size_from_a_placeholder():
    size = tf.placeholder(tf.int64, [])
    ds = Dataset.range(6).apply(E.group_by_window(lambda x: x % 2,
                                                  lambda k, w: w.batch(10), size))
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {size: 3})
        assert drain(sess, nxt) == [[0, 2, 4], [1, 3, 5]]
        sess.run(it.initializer, {size: 2})
        assert drain(sess, nxt) == [[0, 2], [1, 3], [4], [5]]
        sess.run(it.initializer, {size: 0})
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Window size must be greater than zero, but got 0."):
            sess.run(nxt)


def test_group_by_window_reduce_func_sees_the_key_and_a_dataset_spec():
    seen = []

    def reduce_func(key, window):
        seen.append((key.dtype, key.shape, window.output_types, window.output_shapes))
        return window.map(lambda a, b: a * 0 + key).take(1)
    ds = Dataset.from_tensor_slices((np.arange(4, dtype=np.int64), np.zeros((4, 2)))).apply(
        E.group_by_window(lambda a, b: a % 2, reduce_func, 5))
    assert seen == [(tf.int64, tf.TensorShape([]), (tf.int64, tf.float64),
                     (tf.TensorShape([]), tf.TensorShape([2])))]
    assert values(ds) == [0, 1]


# ----- group_by_reducer ----------------------------------------------------------------------
def test_group_by_reducer_key_must_be_int64_scalar():
    r = E.Reducer(lambda k: np.int64(0), lambda s, x: s + x, lambda s: s)
    with pytest.raises(ValueError, match=r"`key_func` must return a single tf.int64 tensor. "
                                         r"Got type=<dtype: 'int32'> and shape=\(\)"):
        Dataset.range(3).apply(E.group_by_reducer(lambda x: tf.cast(x, tf.int32), r))


def test_group_by_reducer_state_types_must_stay():
    r = E.Reducer(lambda k: 0, lambda s, x: x, lambda s: s)
    with pytest.raises(TypeError, match=r"The element types for the new state must match the "
                                        r"initial state. Expected <dtype: 'int32'>; got "
                                        r"<dtype: 'int64'>."):
        Dataset.range(3).apply(E.group_by_reducer(lambda x: x, r))


def test_group_by_reducer_matches_the_oracle_and_uses_a_captured_placeholder():
    scale = tf.placeholder(tf.int64, [])
    r = E.Reducer(lambda k: (k * 0, k * 0), lambda s, x: (s[0] + x * scale, s[1] + 1),
                  lambda total, n: (total, n))
    data = np.array([5, 3, 8, 1, 3, 5, 5, 0], np.int64)
    ds = Dataset.from_tensor_slices(data).apply(E.group_by_reducer(lambda x: x % 3, r))
    want = [(sum(int(x) * 2 for x in data if x % 3 == k),
             sum(1 for x in data if x % 3 == k)) for k in sorted({int(x) % 3 for x in data})]
    assert values(ds, {scale: 2}) == want


def test_reducer_exposes_its_functions():
    fns = (lambda k: 0, lambda s, x: s, lambda s: s)
    r = E.Reducer(*fns)
    assert (r.init_func, r.reduce_func, r.finalize_func) == fns


# ----- bucket_by_sequence_length -------------------------------------------------------------
def test_bucket_by_sequence_length_checks_the_batch_sizes():
    with pytest.raises(ValueError, match=r"len\(bucket_batch_sizes\) must equal "
                                         r"len\(bucket_boundaries\) \+ 1"):
        E.bucket_by_sequence_length(lambda x: tf.shape(x)[0], [3, 5], [2, 2])


def test_bucket_by_sequence_length_oracle():
    rng = np.random.RandomState(2)
    lengths = rng.randint(1, 12, size=60).tolist()
    boundaries, sizes = [4, 8], [3, 2, 4]
    ds = Dataset.from_tensor_slices(np.array(lengths, np.int32)).map(
        lambda n: tf.fill([n], n)).apply(E.bucket_by_sequence_length(
            lambda x: tf.shape(x)[0], boundaries, sizes))
    bucket = lambda n: sum(n >= b for b in boundaries)  # noqa: E731
    want = []
    for group in _group_by_window_oracle(lengths, bucket, lambda k: sizes[k]):
        width = max(group)
        want.append([[n] * n + [0] * (width - n) for n in group])
    assert values(ds) == want
