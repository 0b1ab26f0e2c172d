"""Reading a dataset to the end in a Session, as plain Python values."""

import numpy as np

import flowexec as tf


def plain(value):
    """numpy values (in tuples/dicts) as Python scalars and lists."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def drain(sess, next_element, limit=10_000):
    out = []
    for _ in range(limit):
        try:
            out.append(plain(sess.run(next_element)))
        except tf.errors.OutOfRangeError:
            return out
    raise AssertionError("the dataset did not end")


def values(dataset, feed_dict=None):
    """Every element of `dataset`, read through an initializable iterator."""
    it = dataset.make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, feed_dict)
        return drain(sess, nxt)
