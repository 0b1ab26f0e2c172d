"""RandomDataset, choose_from_datasets, sample_from_datasets, filter_for_shard,
get_next_as_optional / Optional, TFRecordWriter, copy_to_device / prefetch_to_device."""

import os

import numpy as np
import pytest

import flowexec as tf
from tests.data.helpers import drain, values

Dataset = tf.data.Dataset
E = tf.data.experimental


# ----- RandomDataset -------------------------------------------------------------------------
def test_random_dataset_is_tensorflows_philox_stream():
    # TensorFlow 2.21 (tf.compat.v1 graph mode): RandomDataset(seed=1).take(6)
    assert values(E.RandomDataset(seed=1).take(6)) == [
        2870909127, 3455438759, 4052121393, 1279227022, 15397477, 3296944994]


def test_random_dataset_repeats_its_sequence_in_each_pass_and_is_endless():
    ds = E.RandomDataset()
    assert ds.output_types is tf.int64 and ds.output_shapes == tf.TensorShape([])
    with tf.Session() as sess:
        assert sess.run(E.cardinality(ds)) == E.INFINITE_CARDINALITY
    both = values(ds.take(3).repeat(2))
    assert both[:3] == both[3:]


# ----- choose_from_datasets ------------------------------------------------------------------
def test_choose_from_datasets_follows_the_choices_and_skips_ended_inputs():
    a = Dataset.from_tensors(b"a").repeat(2)
    b = Dataset.from_tensors(b"b").repeat()
    ds = E.choose_from_datasets([a, b], Dataset.range(2).repeat(4))
    assert values(ds) == [b"a", b"b", b"a", b"b", b"b", b"b"]


def test_choose_from_datasets_ends_when_every_input_has_ended():
    ds = E.choose_from_datasets([Dataset.range(2), Dataset.range(10, 11)],
                                Dataset.range(2).repeat())
    assert values(ds) == [0, 10, 1]


def test_choose_from_datasets_checks_its_arguments():
    with pytest.raises(TypeError, match="`choice_dataset` must be a dataset of scalar "
                                        "`tf.int64` tensors."):
        E.choose_from_datasets([Dataset.range(2)], Dataset.range(2).map(
            lambda x: tf.cast(x, tf.int32)))
    with pytest.raises(TypeError, match="All datasets must have the same type and class."):
        E.choose_from_datasets([Dataset.range(2), Dataset.from_tensors(1.)], Dataset.range(2))
    ds = E.choose_from_datasets([Dataset.range(2)], Dataset.from_tensor_slices(
        np.array([0, 3, 0], np.int64)))
    it = ds.make_one_shot_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 0
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Selector index out of range: 3 >= 1"):
            sess.run(nxt)
        assert sess.run(nxt) == 1


def test_choose_from_datasets_relaxes_shapes():
    ds = E.choose_from_datasets([Dataset.from_tensors([1]), Dataset.from_tensors([1, 2])],
                                Dataset.range(2))
    assert ds.output_shapes == tf.TensorShape([None])


# ----- sample_from_datasets ------------------------------------------------------------------
def test_sample_from_datasets_frequencies_follow_the_weights():
    ds = E.sample_from_datasets([Dataset.from_tensors(i).repeat() for i in range(3)],
                                [0.2, 0.3, 0.5], seed=7).take(6000)
    counts = np.bincount(values(ds), minlength=3) / 6000
    np.testing.assert_allclose(counts, [0.2, 0.3, 0.5], atol=0.03)


def test_sample_from_datasets_is_seeded_and_reads_every_input_to_its_end():
    make = lambda: E.sample_from_datasets(  # noqa: E731
        [Dataset.range(5), Dataset.range(100, 105)], seed=3)
    first = values(make())
    assert sorted(first) == [0, 1, 2, 3, 4, 100, 101, 102, 103, 104]
    assert [x for x in first if x < 100] == [0, 1, 2, 3, 4]
    assert values(make()) == first


def test_sample_from_datasets_weights_from_a_dataset():
    ds = E.sample_from_datasets([Dataset.from_tensors(0).repeat(),
                                 Dataset.from_tensors(1).repeat()],
                                Dataset.from_tensors([0., 1.]).repeat(), seed=1).take(50)
    assert values(ds) == [1] * 50


def test_sample_from_datasets_checks_weights():
    ds = [Dataset.range(2), Dataset.range(2)]
    with pytest.raises(TypeError, match="`weights` must be convertible to a tensor of "
                                        "`tf.float32` or `tf.float64` elements."):
        E.sample_from_datasets(ds, [1, 2])
    with pytest.raises(ValueError, match=r"`weights` must be a vector of length "
                                         r"`len\(datasets\)`."):
        E.sample_from_datasets(ds, [0.5, 0.25, 0.25])
    one = Dataset.range(3)
    assert E.sample_from_datasets([one]) is one


# ----- filter_for_shard ----------------------------------------------------------------------
def test_filter_for_shard_matches_shard():
    for n, i in [(3, 0), (3, 2), (4, 1)]:
        assert values(Dataset.range(11).apply(E.filter_for_shard(n, i))) == \
            values(Dataset.range(11).shard(n, i))
    pairs = Dataset.from_tensor_slices(([1, 2, 3, 4], [5, 6, 7, 8]))
    assert values(pairs.apply(E.filter_for_shard(2, 1))) == [(2, 6), (4, 8)]


@pytest.mark.parametrize("n,i,message", [
    (0, 0, "num_shards must be a positive integer."),
    (2, -1, "shard_index must be a non-negative integer."),
    (2, 2, "shard_index must be less than num_shards."),
])
def test_filter_for_shard_checks_constant_arguments(n, i, message):
    with pytest.raises(ValueError, match=message):
        E.filter_for_shard(n, i)


# ----- Optional ------------------------------------------------------------------------------
def test_get_next_as_optional_is_empty_at_the_end_instead_of_raising():
    it = Dataset.from_tensor_slices(([1, 2], [b"a", b"b"])).make_initializable_iterator()
    opt = E.get_next_as_optional(it)
    assert opt.value_structure == it.element_spec
    both = (opt.has_value(), opt.get_value())
    with tf.Session() as sess:
        for _ in range(2):  # re-initialized, it starts again
            sess.run(it.initializer)
            assert [sess.run(opt.has_value()) for _ in range(3)] == [True, True, False]
        sess.run(it.initializer)
        assert sess.run(opt.get_value()) == (1, b"a")
        sess.run(both[0])
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="The optional does not have a value."):
            sess.run(both[1])


def test_optional_from_value_and_none_from_structure():
    opt = E.Optional.from_value({"a": tf.constant([1., 2.]), "b": (tf.constant(3),)})
    none = E.Optional.none_from_structure(tf.TensorSpec([2], tf.float32))
    assert opt.value_structure == {"a": tf.TensorSpec([2], tf.float32),
                                   "b": (tf.TensorSpec([], tf.int32),)}
    value = opt.get_value()
    assert value["a"].shape == tf.TensorShape([2])
    with tf.Session() as sess:
        has, got, empty = sess.run([opt.has_value(), value, none.has_value()])
    assert has and not empty
    assert got["a"].tolist() == [1., 2.] and got["b"] == (3,)


# ----- TFRecordWriter ------------------------------------------------------------------------
@pytest.mark.parametrize("compression", [None, "ZLIB", "GZIP"])
def test_tf_record_writer_round_trips(tmp_path, compression):
    path = str(tmp_path / "out.tfrecord")
    records = [b"one", b"", b"three" * 100]
    op = E.TFRecordWriter(path, compression).write(Dataset.from_tensor_slices(records))
    with tf.Session() as sess:
        assert sess.run(op) is None
    assert values(tf.data.TFRecordDataset(path, compression)) == records
    assert list(tf.python_io.tf_record_iterator(
        path, tf.python_io.TFRecordOptions(compression))) == records


def test_tf_record_writer_file_name_from_a_placeholder(tmp_path):
    name = tf.placeholder(tf.string, [])
    op = E.TFRecordWriter(name).write(Dataset.range(3).map(tf.as_string))
    with tf.Session() as sess:
        for f in ("a", "b"):
            sess.run(op, {name: str(tmp_path / f)})
    assert os.path.exists(tmp_path / "a") and os.path.exists(tmp_path / "b")
    assert values(tf.data.TFRecordDataset(str(tmp_path / "b"))) == [b"0", b"1", b"2"]


def test_tf_record_writer_needs_scalar_strings(tmp_path):
    writer = E.TFRecordWriter(str(tmp_path / "x"))
    with pytest.raises(TypeError, match="`dataset` must be a `tf.data.Dataset` object."):
        writer.write([b"a"])
    with pytest.raises(TypeError, match="`dataset` must produce scalar `DT_STRING` tensors "
                                        "whereas it produces shape"):
        writer.write(Dataset.range(3))


# ----- devices -------------------------------------------------------------------------------
def test_copy_and_prefetch_to_device_keep_the_elements():
    ds = Dataset.range(5)
    assert ds.apply(E.copy_to_device("/gpu:0")) is ds
    it = ds.apply(E.prefetch_to_device("/gpu:0", 2)).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        assert drain(sess, nxt) == [0, 1, 2, 3, 4]
