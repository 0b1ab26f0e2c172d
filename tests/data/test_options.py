"""tf.data.Options: typed properties, merging, carried by datasets; the thread-pool size
caps parallel maps."""

import threading
import time

import pytest

import flowexec as tf
from tests.data.helpers import values

Dataset = tf.data.Dataset


def test_options_are_typed_and_unset_properties_are_none():
    o = tf.data.Options()
    assert o.deterministic is None and o.threading.private_threadpool_size is None
    with pytest.raises(AttributeError, match="Cannot set the property foo on Options"):
        o.foo = 1
    with pytest.raises(TypeError, match='Property "deterministic" must be of type'):
        o.deterministic = 3
    o.experimental_deterministic = False  # TF's older name of the same property
    assert o.deterministic is False
    o.experimental_threading.private_threadpool_size = 4
    assert o.threading.private_threadpool_size == 4
    assert isinstance(o.threading, tf.data.ThreadingOptions)


def test_merge_lets_the_other_options_win_and_keeps_the_rest():
    a, b = tf.data.Options(), tf.data.Options()
    a.deterministic = True
    a.threading.private_threadpool_size = 2
    b.threading.private_threadpool_size = 3
    m = a.merge(b)
    assert (m.deterministic, m.threading.private_threadpool_size) == (True, 3)
    assert a.threading.private_threadpool_size == 2 and m != a and m == a.merge(b)


def test_datasets_carry_options_through_transformations_and_zip():
    o = tf.data.Options()
    o.experimental_slack = True
    ds = Dataset.range(3).with_options(o).map(lambda x: x + 1).batch(2)
    assert ds.options().experimental_slack is True
    assert Dataset.zip((ds, Dataset.range(2))).options().experimental_slack is True
    assert Dataset.range(2).options() == tf.data.Options()
    assert values(ds) == [[1, 2], [3]]
    with pytest.raises(TypeError, match="tf.data.Options"):
        Dataset.range(2).with_options({"deterministic": True})


def test_private_threadpool_size_caps_parallel_map():
    running, peak, lock = [0], [0], threading.Lock()

    def slow(x):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return x
    o = tf.data.Options()
    o.threading.private_threadpool_size = 1
    ds = Dataset.range(8).map(lambda x: tf.py_func(slow, [x], tf.int64), num_parallel_calls=4)
    assert values(ds.with_options(o)) == list(range(8))
    assert peak[0] == 1
    peak[0] = 0
    assert values(ds) == list(range(8))
    assert peak[0] >= 2
