"""Iterators: one-shot, initializable, reinitializable, feedable; end of sequence and
re-initialization; per-session state; the TF 1.x structure functions."""

import threading

import pytest

import flowexec as tf
from tests.data.helpers import drain

Dataset = tf.data.Dataset


def test_one_shot_iterator_initializes_itself_once_per_session():
    nxt = Dataset.range(3).make_one_shot_iterator().get_next()
    with tf.Session() as s1, tf.Session() as s2:
        assert s1.run(nxt) == 0
        assert drain(s2, nxt) == [0, 1, 2]
        assert drain(s1, nxt) == [1, 2]
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            s1.run(nxt)


def test_one_shot_iterator_has_no_initializer_and_refuses_placeholders_and_variables():
    it = Dataset.range(3).make_one_shot_iterator()
    with pytest.raises(ValueError, match="does not have an initializer"):
        it.initializer  # noqa: B018
    p = tf.placeholder(tf.int64, [])
    with pytest.raises(ValueError, match="Cannot capture a placeholder"):
        Dataset.range(p).make_one_shot_iterator()
    v = tf.Variable(1, dtype=tf.int64)
    with pytest.raises(ValueError, match=r"stateful node \(name:Variable, type:VariableV2\)"):
        Dataset.range(3).map(lambda x: x + v).make_one_shot_iterator()


def test_out_of_range_then_reinitialization_restarts():
    it = Dataset.range(2).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="not been initialized"):
            sess.run(nxt)
        sess.run(it.initializer)
        assert drain(sess, nxt) == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError) as info:
            sess.run(nxt)
        assert info.value.op.type == "IteratorGetNext"
        sess.run(it.initializer)
        assert sess.run(nxt) == 0


def test_reinitializable_iterator_switches_between_datasets_of_one_structure():
    it = tf.data.Iterator.from_structure(tf.int64, tf.TensorShape([]))
    nxt = it.get_next()
    init_a = it.make_initializer(Dataset.range(3))
    init_b = it.make_initializer(Dataset.range(10, 12))
    with tf.Session() as sess:
        sess.run(init_b)
        assert drain(sess, nxt) == [10, 11]
        sess.run(init_a)
        assert drain(sess, nxt) == [0, 1, 2]
    with pytest.raises(TypeError, match="Expected output types"):
        it.make_initializer(Dataset.from_tensors(1.0))
    with pytest.raises(TypeError, match="Expected output shapes compatible"):
        it.make_initializer(Dataset.range(4).batch(2))


def test_feedable_iterator_chooses_the_iterator_per_step():
    train = Dataset.range(100).make_one_shot_iterator()
    val = Dataset.range(100, 103).make_initializable_iterator()
    handle = tf.placeholder(tf.string, [])
    it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    nxt = it.get_next()
    with tf.Session() as sess:
        th, vh = sess.run([train.string_handle(), val.string_handle()])
        sess.run(val.initializer)
        assert [sess.run(nxt, {handle: th}) for _ in range(2)] == [0, 1]
        assert sess.run(nxt, {handle: vh}) == 100
        assert sess.run(nxt, {handle: th}) == 2


def test_structure_properties_and_compat_functions():
    ds = Dataset.from_tensor_slices(({"a": [[1.0]]}, [b"x"]))
    it = ds.make_initializable_iterator()
    for obj in (ds, it):
        assert tf.data.get_output_types(obj) == ({"a": tf.float32}, tf.string)
        assert tf.data.get_output_shapes(obj) == ({"a": tf.TensorShape([1])},
                                                  tf.TensorShape([]))
        assert tf.data.get_output_classes(obj) == ({"a": tf.Tensor}, tf.Tensor)
    element = it.get_next()
    assert element[0]["a"].shape.as_list() == [1] and element[1].dtype == tf.string
    assert tf.data.make_one_shot_iterator(ds).output_types == ds.output_types


def test_concurrent_get_next_hands_out_each_element_once():
    it = Dataset.range(400).make_initializable_iterator()
    nxt = it.get_next()
    got = []
    lock = threading.Lock()
    with tf.Session() as sess:
        sess.run(it.initializer)

        def worker():
            mine = drain(sess, nxt)
            with lock:
                got.extend(mine)
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(got) == list(range(400))


def test_iterating_a_dataset_in_graph_mode_is_an_error():
    with pytest.raises(RuntimeError, match="eager execution"):
        iter(Dataset.range(3))
