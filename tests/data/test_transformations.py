"""Dataset transformations against plain-Python expectations."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.data.helpers import drain, values

Dataset = tf.data.Dataset


def test_map_unpacks_tuples_and_passes_dicts_whole():
    ds = Dataset.from_tensor_slices(([1, 2], [10, 20])).map(lambda a, b: {"s": a + b})
    assert values(ds) == [{"s": 11}, {"s": 22}]
    ds = Dataset.from_tensor_slices({"a": [1, 2]}).map(lambda d: d["a"] * 3)
    assert values(ds) == [3, 6]


def test_map_infers_output_types_and_shapes():
    ds = Dataset.from_tensor_slices(np.zeros((4, 3), np.float32)).map(
        lambda x: (tf.reduce_sum(x), tf.cast(x, tf.int32)))
    assert ds.output_types == (tf.float32, tf.int32)
    assert ds.output_shapes == (tf.TensorShape([]), tf.TensorShape([3]))


def test_map_captures_outer_tensors_evaluated_at_initialization():
    scale = tf.placeholder(tf.int64, [])
    offset = tf.constant(100, tf.int64)
    ds = Dataset.range(3).map(lambda x: x * scale + offset)
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {scale: 2})
        assert drain(sess, nxt) == [100, 102, 104]
        sess.run(it.initializer, {scale: 5})
        assert drain(sess, nxt) == [100, 105, 110]


def test_map_reads_variables_live():
    v = tf.Variable(1, dtype=tf.int64, name="v")
    it = Dataset.range(4).map(lambda x: x * v).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run([v.initializer, it.initializer])
        first = sess.run(nxt)
        sess.run(v.assign(10))
        assert (first, sess.run(nxt), sess.run(nxt)) == (0, 10, 20)


def test_map_returning_a_list_gives_a_tuple():
    with pytest.warns(UserWarning, match="list"):
        ds = Dataset.range(2).map(lambda x: [x, x + 1])
    assert values(ds) == [(0, 1), (1, 2)]


def test_error_inside_map_is_typed_and_names_the_inner_op():
    with pytest.raises(ValueError, match="Dataset_map__lambda_/bad_reshape"):  # at tracing
        Dataset.from_tensor_slices(np.zeros((2, 4), np.float32)).map(
            lambda x: tf.reshape(x, [3], name="bad_reshape"))
    # unknown static shapes: the failure is at run time, inside the function
    ds = Dataset.from_tensor_slices(tf.placeholder_with_default(
        np.zeros((2, 4), np.float32), [None, None])).map(
        lambda x: tf.reshape(x, [3], name="bad_reshape"))
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(nxt)
    assert "[[node Dataset_map__lambda__1/bad_reshape (defined at" in str(info.value)
    assert info.value.op.name == "Dataset_map__lambda__1/bad_reshape"


def test_py_func_inside_map():
    ds = Dataset.range(3).map(lambda x: tf.py_func(lambda v: v * 7, [x], tf.int64))
    assert values(ds) == [0, 7, 14]


def test_filter_keeps_matching_elements():
    ds = Dataset.range(10).filter(lambda x: tf.equal(x % 3, 0))
    assert values(ds) == [0, 3, 6, 9]
    with pytest.raises(ValueError, match="scalar boolean"):
        Dataset.range(3).filter(lambda x: x)


def test_flat_map_concatenates_the_datasets_it_returns():
    ds = Dataset.range(1, 4).flat_map(lambda n: Dataset.range(n).map(lambda i: i * 10 + n))
    assert values(ds) == [1, 2, 12, 3, 13, 23]
    with pytest.raises(TypeError, match="must return a `Dataset`"):
        Dataset.range(2).flat_map(lambda x: x)


def _interleave(inputs, f, cycle_length, block_length):
    """TF's interleave order in plain Python."""
    source = iter(inputs)
    current = [None] * cycle_length
    out, i, block, n_open, end = [], 0, 0, 0, False
    while not end or n_open:
        if current[i] is not None:
            try:
                out.append(next(current[i]))
                block += 1
                if block == block_length:
                    i, block = (i + 1) % cycle_length, 0
            except StopIteration:
                current[i] = None
                n_open -= 1
                i, block = (i + 1) % cycle_length, 0
        elif not end:
            try:
                current[i] = iter(f(next(source)))
                n_open += 1
            except StopIteration:
                end = True
        else:
            i, block = (i + 1) % cycle_length, 0
    return out


@pytest.mark.parametrize("cycle_length,block_length", [(1, 1), (2, 1), (2, 3), (4, 2)])
def test_interleave_matches_tfs_order(cycle_length, block_length):
    ds = Dataset.range(1, 6).interleave(lambda x: Dataset.from_tensors(x).repeat(x),
                                        cycle_length, block_length)
    assert values(ds) == _interleave(range(1, 6), lambda x: [x] * x, cycle_length,
                                     block_length)


def test_interleave_orders_are_tensorflows():
    # literal outputs of TensorFlow for the same pipelines
    def make(block):
        return Dataset.range(1, 6).interleave(
            lambda x: Dataset.from_tensors(x).repeat(x), 2, block)
    assert values(make(3)) == [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5]
    assert values(make(1)) == [1, 2, 2, 3, 3, 4, 3, 4, 4, 5, 4, 5, 5, 5, 5]


def test_batch_stacks_and_keeps_or_drops_the_remainder():
    ds = Dataset.range(7).batch(3)
    assert ds.output_shapes.as_list() == [None]
    assert values(ds) == [[0, 1, 2], [3, 4, 5], [6]]
    dropped = Dataset.range(7).batch(3, drop_remainder=True)
    assert dropped.output_shapes.as_list() == [3]
    assert values(dropped) == [[0, 1, 2], [3, 4, 5]]


def test_batch_size_may_be_a_placeholder():
    size = tf.placeholder(tf.int64, [])
    it = Dataset.range(5).batch(size).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {size: 2})
        assert drain(sess, nxt) == [[0, 1], [2, 3], [4]]
        sess.run(it.initializer, {size: 4})
        assert drain(sess, nxt) == [[0, 1, 2, 3], [4]]
        with pytest.raises(tf.errors.InvalidArgumentError, match="greater than zero"):
            sess.run(it.initializer, {size: 0})


def test_batch_of_different_shapes_is_an_error():
    ds = Dataset.range(1, 3).map(lambda n: tf.fill(tf.reshape(n, [1]), n)).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="different shapes in component 0"):
        values(ds)


def test_padded_batch_pads_to_the_longest_or_to_the_given_shape():
    ds = Dataset.range(1, 4).map(lambda n: tf.fill(tf.reshape(n, [1]), n))
    assert values(ds.padded_batch(2, [None])) == [[[1, 0], [2, 2]], [[3, 3, 3]]]
    padded = ds.padded_batch(3, [4], padding_values=tf.constant(-1, tf.int64),
                             drop_remainder=True)
    assert padded.output_shapes.as_list() == [3, 4]
    assert values(padded) == [[[1, -1, -1, -1], [2, 2, -1, -1], [3, 3, 3, -1]]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="smaller size"):
        values(ds.padded_batch(3, [2]))


def test_unbatch_is_the_inverse_of_batch():
    assert values(Dataset.range(7).batch(3).unbatch()) == list(range(7))
    assert values(Dataset.range(4).batch(2).apply(tf.data.experimental.unbatch())) == \
        list(range(4))


def test_repeat_take_skip_shard_concatenate_enumerate():
    r = Dataset.range(4)
    assert values(r.repeat(2)) == [0, 1, 2, 3] * 2
    assert values(r.repeat().take(10)) == list(itertools.islice(itertools.cycle(range(4)), 10))
    assert values(r.take(2)) == [0, 1] and values(r.take(-1)) == [0, 1, 2, 3]
    assert values(r.skip(3)) == [3] and values(r.skip(-1)) == [] and values(r.skip(0)) == \
        [0, 1, 2, 3]
    assert values(Dataset.range(10).shard(3, 1)) == [1, 4, 7]
    assert values(r.concatenate(Dataset.range(10, 12))) == [0, 1, 2, 3, 10, 11]
    assert values(Dataset.range(5, 7).enumerate(start=2)) == [(2, 5), (3, 6)]
    assert values(Dataset.range(0).repeat()) == []  # an empty input never spins


def test_concatenate_requires_the_same_types():
    with pytest.raises(TypeError, match="different types"):
        Dataset.range(3).concatenate(Dataset.from_tensors(1.0))


def _shuffled(seed, n=20, buffer_size=5, epochs=1, reshuffle=None):
    tf.reset_default_graph()
    tf.set_random_seed(seed)
    ds = Dataset.range(n).shuffle(buffer_size, reshuffle_each_iteration=reshuffle)
    return values(ds.repeat(epochs))


def test_shuffle_is_a_seeded_permutation_with_buffer_semantics():
    order = _shuffled(1)
    assert sorted(order) == list(range(20)) and order != list(range(20))
    assert _shuffled(1) == order and _shuffled(2) != order
    for k, x in enumerate(order):  # the k-th output comes from the first k + buffer inputs
        assert x < k + 5
    assert _shuffled(1, buffer_size=1) == list(range(20))


def test_shuffle_reshuffles_each_iteration_unless_told_not_to():
    two = _shuffled(3, epochs=2)
    assert sorted(two[:20]) == sorted(two[20:]) == list(range(20))
    assert two[:20] != two[20:]
    fixed = _shuffled(3, epochs=2, reshuffle=False)
    assert fixed[:20] == fixed[20:]


def test_shuffle_op_seed_without_graph_seed_is_reproducible_across_sessions():
    it = Dataset.range(10).shuffle(10, seed=7).make_initializable_iterator()
    nxt = it.get_next()
    runs = []
    for _ in range(2):
        with tf.Session() as sess:
            sess.run(it.initializer)
            runs.append(drain(sess, nxt))
    assert runs[0] == runs[1] and sorted(runs[0]) == list(range(10))


def test_experimental_shuffle_and_repeat_and_map_and_batch():
    ds = Dataset.range(6).apply(tf.data.experimental.shuffle_and_repeat(6, count=2, seed=1))
    out = values(ds)
    assert sorted(out) == sorted(list(range(6)) * 2)
    ds = Dataset.range(5).apply(tf.data.experimental.map_and_batch(
        lambda x: x * 2, 2, num_parallel_calls=2))
    assert values(ds) == [[0, 2], [4, 6], [8]]
    assert tf.data.experimental.AUTOTUNE == -1


def test_cache_in_memory_replays_the_first_pass():
    calls = []

    def record(x):
        calls.append(int(x))
        return x
    ds = Dataset.range(3).map(lambda x: tf.py_func(record, [x], tf.int64)).cache().repeat(3)
    assert values(ds) == [0, 1, 2] * 3
    assert calls == [0, 1, 2]


def test_cache_to_a_file_is_read_by_a_later_session(tmp_path):
    path = str(tmp_path / "cache")
    calls = []

    def record(x):
        calls.append(int(x))
        return x
    ds = Dataset.range(3).map(lambda x: tf.py_func(record, [x], tf.int64)).cache(path)
    assert values(ds) == [0, 1, 2]
    assert values(ds) == [0, 1, 2]  # a new session, a new dataset value: read from the file
    assert calls == [0, 1, 2]


def _failing_at(bad):
    def f(v):
        if v in bad:
            raise ValueError(f"bad element {v}")
        return v
    return lambda x: tf.py_func(f, [x], tf.int64)


def test_an_error_in_map_fails_that_element_only():
    it = Dataset.range(5).map(_failing_at({2})).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        assert [sess.run(nxt), sess.run(nxt)] == [0, 1]
        with pytest.raises(tf.errors.InvalidArgumentError, match="bad element 2"):
            sess.run(nxt)
        assert drain(sess, nxt) == [3, 4]


@pytest.mark.parametrize("parallel", [None, 3])
def test_errors_pass_through_transformations_uncounted(parallel):
    ds = Dataset.range(8).map(_failing_at({1, 4}), num_parallel_calls=parallel)
    it = ds.skip(1).take(4).prefetch(2).make_initializable_iterator()
    nxt = it.get_next()
    seen = []
    with tf.Session() as sess:
        sess.run(it.initializer)
        while True:
            try:
                seen.append(sess.run(nxt))
            except tf.errors.InvalidArgumentError:
                seen.append("error")
            except tf.errors.OutOfRangeError:
                break
    assert seen == ["error", 2, 3, "error", 5, 6]


def test_a_failed_element_drops_the_batch_being_collected():
    ds = Dataset.range(7).map(_failing_at({3})).batch(2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        values(ds)
    assert values(ds.apply(tf.data.experimental.ignore_errors())) == [[0, 1], [4, 5], [6]]
    assert values(Dataset.range(5).map(_failing_at({0, 3})).apply(
        tf.data.experimental.ignore_errors())) == [1, 2, 4]


def test_cardinality_is_computed_as_tf_does():
    r = Dataset.range(10)
    cases = {
        r: 10, r.batch(3): 4, r.batch(3, drop_remainder=True): 3, r.repeat(): -1,
        r.repeat().take(3): 3, r.filter(lambda x: True): -2, r.repeat(2).skip(15): 5,
        r.shard(3, 0): 4, r.shard(3, 2): 3, Dataset.zip((r, r.take(4))): 4,
        Dataset.zip((r, r.filter(lambda x: True))): -2, r.concatenate(r.repeat()): -1,
        r.map(lambda x: x).shuffle(3).prefetch(1).cache(): 10, Dataset.range(0).repeat(): 0,
        Dataset.from_tensors(1): 1, Dataset.from_tensor_slices([1, 2, 3]): 3,
        r.filter(lambda x: True).repeat(): -1,
    }
    counts = [tf.data.experimental.cardinality(ds) for ds in cases]
    with tf.Session() as sess:
        assert sess.run(counts) == list(cases.values())
    assert (tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY) == (-1, -2)
    assert tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == -1


def test_reduce_folds_with_structured_state_and_relaxes_shapes():
    total = Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)
    pair = Dataset.from_tensor_slices([1.0, 2.0, 4.0]).reduce(
        {"sum": 0.0, "n": 0}, lambda s, x: {"sum": s["sum"] + x, "n": s["n"] + 1})
    grown = Dataset.range(3).reduce(tf.zeros([0], tf.int64),
                                    lambda s, x: tf.concat([s, tf.reshape(x, [1])], 0))
    assert grown.shape.as_list() == [None]
    scale = tf.placeholder(tf.int64, [])
    scaled = Dataset.range(3).reduce(np.int64(0), lambda s, x: s + x * scale)
    with tf.Session() as sess:
        assert sess.run(total) == 10
        assert sess.run(pair) == {"sum": 7.0, "n": 3}
        assert sess.run(grown).tolist() == [0, 1, 2]
        assert sess.run(scaled, {scale: 10}) == 30
    with pytest.raises(TypeError, match="types for the new state"):
        Dataset.range(3).reduce(0.0, lambda s, x: x)


def test_get_single_element():
    one = tf.data.experimental.get_single_element(Dataset.from_tensors(([1, 2], "a")))
    with tf.Session() as sess:
        a, b = sess.run(one)
        assert a.tolist() == [1, 2] and b == b"a"
        for ds, msg in ((Dataset.range(0), "was empty"), (Dataset.range(2), "more than one")):
            with pytest.raises(tf.errors.InvalidArgumentError, match=msg):
                sess.run(tf.data.experimental.get_single_element(ds))


def test_experimental_counter_and_parallel_interleave():
    assert values(tf.data.experimental.Counter(5, 2).take(3)) == [5, 7, 9]
    down = tf.data.experimental.Counter(0, -1, tf.int32)
    assert down.output_types == tf.int32 and values(down.take(3)) == [0, -1, -2]
    ds = Dataset.range(1, 6).apply(tf.data.experimental.parallel_interleave(
        lambda x: Dataset.from_tensors(x).repeat(x), cycle_length=2, block_length=3))
    assert values(ds) == [1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5]


def test_cache_file_holds_strings_and_never_unpickles(tmp_path):
    path = str(tmp_path / "cache")
    ds = Dataset.from_tensor_slices(([b"a", b"", b"x\x00yz"], [[1.5, 2.0], [3.0, 4.0],
                                                               [5.0, 6.0]])).cache(path)
    first = values(ds)
    assert values(ds) == first  # replayed from the file
    assert [e[0] for e in first] == [b"a", b"", b"x\x00yz"]
    import pickle

    with open(path, "wb") as f:  # a hostile "cache": reading it must not run code
        pickle.dump([(os_system_marker,)], f)
    with pytest.raises(tf.errors.DataLossError, match="damaged or not a cache file"):
        values(Dataset.range(2).cache(path))


def os_system_marker():
    raise AssertionError("unpickled")


def test_each_use_of_a_seeded_shuffle_has_its_own_epochs_as_tf():
    """TF 2.21 (compat.v1): zip((ds, ds)) and ds.concatenate(ds) of a seeded shuffle see one
    order in both uses; repeat and a flat_map's captured dataset reshuffle per pass."""
    ds = tf.data.Dataset.range(16).shuffle(16, seed=3)
    pairs = values(tf.data.Dataset.zip((ds, ds)).repeat(2))
    assert all(a == b for a, b in pairs)
    first, second = [a for a, _ in pairs[:16]], [a for a, _ in pairs[16:]]
    assert sorted(first) == sorted(second) == list(range(16)) and first != second
    twice = values(ds.concatenate(ds))
    assert twice[:16] == twice[16:] == first
    nested = values(tf.data.Dataset.range(2).flat_map(lambda i: ds))
    assert nested[:16] == first and nested[16:] != first
    labelled = values(tf.data.Dataset.zip((ds.map(lambda x: x * 10), ds)))
    assert all(a == 10 * b for a, b in labelled)
