"""`Dataset.window` against a Python oracle of TF's WindowDataset (TensorFlow's own results
are in test_tf_data_experimental_fixtures.py)."""

import itertools

import numpy as np
import pytest

import flowexec as tf
from tests.data.helpers import drain, values

Dataset = tf.data.Dataset


def _windows(n, size, shift, stride, drop_remainder):
    """TF's rule: windows start every `shift`; those shorter than `size` end the dataset
    only under drop_remainder."""
    out = []
    for start in range(0, n, shift):
        w = list(range(start, min(n, start + (size - 1) * stride + 1), stride))
        if drop_remainder and len(w) < size:
            break
        out.append(w)
    return out


@pytest.mark.parametrize("n,size,shift,stride,drop", [
    (n, size, shift, stride, drop)
    for n, size, shift, stride, drop in itertools.product(
        [0, 1, 7, 10], [1, 3], [1, 2, 5], [1, 2], [False, True])])
def test_window_matches_the_oracle(n, size, shift, stride, drop):
    ds = Dataset.range(n).window(size, shift, stride, drop).flat_map(lambda w: w.batch(100))
    assert values(ds) == _windows(n, size, shift, stride, drop)
    with tf.Session() as sess:
        assert sess.run(tf.data.experimental.cardinality(
            Dataset.range(n).window(size, shift, stride, drop))) == len(
                _windows(n, size, shift, stride, drop))


def test_window_elements_are_datasets_of_each_component():
    ds = Dataset.from_tensor_slices({"a": [1, 2, 3], "b": ([[1.]] * 3, [b"x"] * 3)}).window(2)
    spec = ds.element_spec
    assert isinstance(spec["a"], tf.data.DatasetSpec)
    assert spec["a"].element_spec == tf.TensorSpec([], tf.int32)
    assert spec["b"][0].element_spec == tf.TensorSpec([1], tf.float32)
    assert ds.output_types == spec and ds.output_shapes == spec and ds.output_classes == spec
    zipped = ds.flat_map(lambda d: Dataset.zip((d["a"], d["b"][1])).batch(2))
    assert values(zipped) == [([1, 2], [b"x", b"x"]), ([3], [b"x"])]


def test_window_arguments_from_placeholders_and_reinitialization():
    size, shift = tf.placeholder(tf.int64, []), tf.placeholder(tf.int64, [])
    ds = Dataset.range(5).window(size, shift).flat_map(lambda w: w.batch(10))
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {size: 2, shift: 2})
        assert drain(sess, nxt) == [[0, 1], [2, 3], [4]]
        sess.run(it.initializer, {size: 4, shift: 3})
        assert drain(sess, nxt) == [[0, 1, 2, 3], [3, 4]]
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            sess.run(nxt)


@pytest.mark.parametrize("args,what", [((0,), "size"), ((2, 0), "shift"),
                                       ((2, 1, -1), "stride")])
def test_window_arguments_must_be_positive(args, what):
    ds = Dataset.range(4).window(*args).flat_map(lambda w: w.batch(2))
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=f"Window {what} must be greater than zero."):
        values(ds)


def test_window_reduce_each_window():
    ds = Dataset.range(6).window(3).map(lambda w: w.reduce(np.int64(0), lambda s, x: s + x))
    assert values(ds) == [3, 12]


def test_an_iterator_over_windows_is_refused_with_a_clear_error():
    ds = Dataset.range(4).window(2)
    for make in (ds.make_one_shot_iterator, ds.make_initializable_iterator):
        with pytest.raises(TypeError, match="elements are datasets"):
            make()
