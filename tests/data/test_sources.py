"""Dataset sources: from_tensors, from_tensor_slices, range, zip, from_generator."""

import collections

import numpy as np
import pytest

import flowexec as tf
from tests.data.helpers import values

Dataset = tf.data.Dataset


def test_from_tensors_is_one_element_with_static_shapes():
    ds = Dataset.from_tensors(([1, 2, 3], {"s": "a"}))
    assert ds.output_types == (tf.int32, {"s": tf.string})
    assert ds.output_shapes[0].as_list() == [3]
    assert values(ds) == [([1, 2, 3], {"s": b"a"})]


def test_from_tensor_slices_slices_every_component():
    x = np.arange(6).reshape(3, 2)
    ds = Dataset.from_tensor_slices({"x": x, "y": [1.0, 2.0, 3.0]})
    assert ds.output_shapes == {"x": tf.TensorShape([2]), "y": tf.TensorShape([])}
    assert ds.output_classes == {"x": tf.Tensor, "y": tf.Tensor}
    assert values(ds) == [{"x": list(r), "y": y} for r, y in zip(x.tolist(), [1.0, 2.0, 3.0])]


def test_from_tensor_slices_rejects_mismatched_first_dimensions():
    with pytest.raises(ValueError, match="Dimensions 3 and 2 are not compatible"):
        Dataset.from_tensor_slices(([1, 2, 3], [1, 2]))


def test_from_tensor_slices_checks_fed_sizes_at_run_time():
    a = tf.placeholder(tf.int32, [None])
    b = tf.placeholder(tf.int32, [None])
    ds = Dataset.from_tensor_slices((a, b))
    with pytest.raises(tf.errors.InvalidArgumentError, match="same size in the 0th"):
        values(ds, {a: [1, 2], b: [1, 2, 3]})


def test_namedtuple_elements_keep_their_class():
    Pair = collections.namedtuple("Pair", ["a", "b"])
    ds = Dataset.from_tensor_slices(Pair([1, 2], [3, 4])).map(lambda p: Pair(p.b, p.a))
    it = ds.make_one_shot_iterator()
    nxt = it.get_next()
    assert isinstance(nxt, Pair)
    with tf.Session() as sess:
        assert sess.run(nxt) == Pair(3, 1)


@pytest.mark.parametrize("args", [(5,), (2, 7), (10, 0, -3), (3, 3)])
def test_range_is_pythons_range_in_int64(args):
    ds = Dataset.range(*args)
    assert ds.output_types == tf.int64
    assert values(ds) == list(range(*args))


def test_zip_ends_with_the_shortest_and_keeps_the_structure():
    ds = Dataset.zip({"a": Dataset.range(3), "b": (Dataset.range(10, 20), Dataset.range(5))})
    assert values(ds) == [{"a": i, "b": (10 + i, i)} for i in range(3)]
    with pytest.raises(TypeError, match="structure of `Dataset` objects"):
        Dataset.zip((Dataset.range(3), 4))


def test_from_generator_runs_the_generator_each_pass_with_args():
    def gen(n):
        for i in range(int(n)):
            yield i, [i] * i
    ds = Dataset.from_generator(gen, (tf.int64, tf.float32), (tf.TensorShape([]),
                                                                   tf.TensorShape([None])),
                                args=(3,))
    assert ds.output_shapes[1].as_list() == [None]
    assert values(ds.repeat(2)) == [(0, []), (1, [1.0]), (2, [2.0, 2.0])] * 2


def test_from_generator_checks_structure_and_shape_at_run_time():
    ds = Dataset.from_generator(lambda: iter([[1, 2, 3]]), tf.int32, tf.TensorShape([2]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \(3,\) where an element"):
        values(ds)
    ds = Dataset.from_generator(lambda: iter([1]), (tf.int32, tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="did not match the expected"):
        values(ds)
