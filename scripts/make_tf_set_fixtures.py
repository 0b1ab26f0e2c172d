"""TensorFlow's results for the tf.sets programs below, recorded for
tests/ops/test_set_ops.py, which runs the same programs on flowexec.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_set_fixtures.py
    # -> tests/data/tf1/sets/sets.json

Each case is a function `case(tf)` returning a list of fetches (SparseTensors or Tensors);
each is run in one session and its value (a SparseTensorValue as [indices, values,
dense_shape]) or its error type and message is recorded; an error while building the
graph is recorded as a build error.
"""

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "sets", "sets.json")

A = [[1, 2, 3, 2], [4, 5, 5, 0]]
B = [[2, 7], [0, 0]]


def _sa(tf, dtype=None):
    return tf.SparseTensor([[0, 0], [0, 1], [1, 0], [1, 2]],
                           tf.constant([3, 1, 4, 4], dtype or tf.int32), [2, 3])


def _sb(tf, dtype=None):
    return tf.SparseTensor([[0, 0], [1, 1]], tf.constant([1, 9], dtype or tf.int32), [2, 2])


def dense_dense(tf):
    a, b = tf.constant(A), tf.constant(B)
    return [tf.sets.intersection(a, b), tf.sets.union(a, b), tf.sets.difference(a, b),
            tf.sets.difference(a, b, aminusb=False), tf.sets.set_union(b, a)]


def dense_sparse(tf):
    a = tf.constant(A)
    return [tf.sets.union(a, _sb(tf)), tf.sets.intersection(a, _sb(tf)),
            tf.sets.difference(a, _sb(tf)), tf.sets.difference(a, _sb(tf), aminusb=False)]


def sparse_dense(tf):
    b = tf.constant([[3, 7, 7], [0, 1, 2]])
    return [tf.sets.difference(_sa(tf), b), tf.sets.difference(_sa(tf), b, aminusb=False),
            tf.sets.union(_sa(tf), b), tf.sets.intersection(_sa(tf), b)]


def sparse_sparse(tf):
    return [tf.sets.intersection(_sa(tf), _sb(tf)), tf.sets.union(_sa(tf), _sb(tf)),
            tf.sets.difference(_sa(tf), _sb(tf)), tf.sets.set_difference(_sb(tf), _sa(tf))]


def sizes(tf):
    st = tf.SparseTensor([[0, 0, 0], [0, 0, 1], [0, 2, 0], [1, 1, 3]],
                         tf.constant([5, 5, 1, 2], tf.int64), [2, 3, 4])
    return [tf.sets.size(_sa(tf)), tf.sets.set_size(st), tf.sets.size(_sb(tf, tf.int64))]


def strings(tf):
    a = tf.constant([["a", "b", "a"], ["c", "", "c"]])
    b = tf.constant([["z", "b"], ["a", ""]])
    sp = tf.SparseTensor([[0, 1], [1, 0]], tf.constant(["b", "q"]), [2, 4])
    return [tf.sets.union(a, b), tf.sets.intersection(a, b), tf.sets.difference(a, sp),
            tf.sets.size(sp)]


def rank3(tf):
    a = tf.constant([[[1, 2], [3, 3]], [[7, 8], [9, 9]]], tf.int64)
    b = tf.constant([[[1], [4]], [[8], [9]]], tf.int64)
    return [tf.sets.union(a, b), tf.sets.intersection(a, b), tf.sets.difference(a, b)]


def small_dtypes(tf):
    out = []
    for dtype in (tf.int8, tf.int16, tf.uint8, tf.uint16):
        a, b = tf.constant([[3, 1, 2]], dtype), tf.constant([[2, 9]], dtype)
        out += [tf.sets.union(a, b), tf.sets.difference(a, b)]
    return out


def empty_results(tf):
    a = tf.constant([[1, 1], [2, 2]])
    return [tf.sets.intersection(a, tf.constant([[5], [6]])),
            tf.sets.difference(a, a), tf.sets.size(tf.SparseTensor(
                tf.zeros([0, 2], tf.int64), tf.constant([], tf.int32), [3, 2]))]


def fed_shapes(tf):
    a = tf.placeholder_with_default(tf.constant(A), [None, None])
    b = tf.placeholder_with_default(tf.constant(B), [None, None])
    return [tf.sets.union(a, b)]


def random_many(tf):
    rng = np.random.RandomState(7)
    a = rng.randint(0, 6, size=(4, 3, 5)).astype(np.int64)
    b = rng.randint(0, 6, size=(4, 3, 2)).astype(np.int64)
    ta, tb = tf.constant(a), tf.constant(b)
    return [tf.sets.union(ta, tb), tf.sets.intersection(ta, tb), tf.sets.difference(ta, tb),
            tf.sets.difference(ta, tb, aminusb=False)]


def err_unsorted(tf):
    st = tf.SparseTensor([[0, 1], [0, 0]], [1, 2], [1, 2])
    return [tf.sets.size(st), tf.sets.size(st, validate_indices=False),
            tf.sets.union(tf.constant([[1]]), st)]


def err_out_of_bounds(tf):
    st = tf.SparseTensor([[0, 0], [0, 5]], [1, 2], [1, 2])
    return [tf.sets.size(st), tf.sets.union(st, st)]


def err_group_shapes(tf):
    a = tf.placeholder_with_default(tf.constant([[1, 2]]), [None, None])
    b = tf.placeholder_with_default(tf.constant([[1], [2]]), [None, None])
    sp = tf.SparseTensor([[0, 0], [2, 0]], [1, 2], [3, 1])
    return [tf.sets.intersection(a, b), tf.sets.union(a, sp), tf.sets.union(_sa(tf), sp)]


def err_static_shapes(tf):
    return [tf.sets.intersection(tf.constant([[1, 2]]), tf.constant([[1], [2]]))]


def err_rank1(tf):
    return [tf.sets.union(tf.constant([1, 2]), tf.constant([2]))]


def err_float(tf):
    return [tf.sets.union(tf.constant([[1.0]]), tf.constant([[1.0]]))]


def err_types(tf):
    return [tf.sets.union(tf.constant([[1]]), tf.constant([[1]], tf.int64))]


def err_size_dense(tf):
    return [tf.sets.size(tf.constant([[1, 2]]))]


def err_size_dtype(tf):
    return [tf.sets.size(tf.SparseTensor([[0, 0]], [1.5], [1, 1]))]


CASES = [dense_dense, dense_sparse, sparse_dense, sparse_sparse, sizes, strings, rank3,
         small_dtypes, empty_results, fed_shapes, random_many, err_unsorted, err_out_of_bounds,
         err_group_shapes, err_static_shapes, err_rank1, err_float, err_types, err_size_dense,
         err_size_dtype]


def message(e):
    """An error's first line of message after TF's "Node: '...'" line."""
    lines = getattr(e, "message", str(e)).split("\n")
    for i, line in enumerate(lines):
        if line.startswith("Node: "):
            return lines[i + 1].strip()
    return lines[0].strip()


def plain(value):
    """A fetched value as JSON data (a SparseTensorValue as its three parts)."""
    if hasattr(value, "indices") and hasattr(value, "dense_shape"):
        return [plain(value.indices), plain(value.values), plain(value.dense_shape)]
    value = np.asarray(value)
    if value.dtype == object:
        return [v.decode("utf-8") for v in value.reshape(-1)] if value.ndim else \
            value.item().decode("utf-8")
    return value.tolist()


def run_case(tf, case):
    with tf.Graph().as_default():
        try:
            fetches = case(tf)
        except (TypeError, ValueError) as e:
            return [{"build_error": type(e).__name__, "message": str(e)}]
        results = []
        with tf.Session() as sess:
            for fetch in fetches:
                try:
                    results.append({"value": plain(sess.run(fetch))})
                except Exception as e:  # noqa: BLE001 -- recorded
                    results.append({"error": type(e).__name__, "message": message(e)})
    return results


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    out = {case.__name__: run_case(tf, case) for case in CASES}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"tensorflow_version": tf.__version__, "cases": out}, f)
        f.write("\n")
    print(f"wrote {len(out)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
