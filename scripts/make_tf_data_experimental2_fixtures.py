"""Writes tests/data/tf1/data_experimental2/cases.json: TensorFlow's results for the later
tf.data.experimental functions (dense_to_sparse_batch, assert_cardinality,
rejection_resample), read by tests/data/test_experimental2.py.

Each deterministic case is a Python expression building a dataset from `tf` (TensorFlow's
`tf.compat.v1` in graph mode here, flowexec in the test) and `E` (tf.data.experimental);
the fixture records the outcome of `STEPS` get_next calls through one initializable
iterator: each element (a SparseTensorValue as indices/values/dense_shape), or the error
(type and message, TF's "Graph execution error" preamble cut off), then "end" for each
OutOfRangeError. The rejection_resample cases record TF's class proportions over a long
run (they are statistical: flowexec's random streams are not TF's).

Run with a TensorFlow install:
    /work/tfvenv/bin/python scripts/make_tf_data_experimental2_fixtures.py
"""

import json
import os

import numpy as np
import tensorflow as tf_mod

tf = tf_mod.compat.v1
tf.disable_eager_execution()
E = tf_mod.data.experimental

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tf1",
                   "data_experimental2", "cases.json")
STEPS = 6

D = "E.dense_to_sparse_batch"
R = "tf.data.Dataset.range"
CASES = {
    "dtsb_fixed_row": f"tf.data.Dataset.from_tensor_slices([[1, 2, 0], [3, 4, 5]])"
                      f".apply({D}(2, [3]))",
    "dtsb_scalars": f"{R}(5).apply({D}(2, []))",
    "dtsb_unknown_dim": f"{R}(5).map(lambda x: tf.fill([x], x)).apply({D}(2, [None]))",
    "dtsb_unknown_dim_minus1": f"{R}(4).map(lambda x: tf.fill([x], x)).apply({D}(3, [-1]))",
    "dtsb_too_large": f"{R}(5).map(lambda x: tf.fill([x], x)).apply({D}(2, [2]))",
    "dtsb_too_large_row1": f"{R}(1, 4).map(lambda x: tf.fill([x], x)).apply({D}(1, [1]))",
    "dtsb_wrong_rank": f"{R}(3).map(lambda x: tf.fill([x, x], x)).apply({D}(2, [2]))",
    "dtsb_matrix": f"{R}(1, 4).map(lambda x: tf.reshape(tf.range(x * 2), [x, 2]))"
                   f".apply({D}(2, [None, 3]))",
    "dtsb_floats_padded": "tf.data.Dataset.from_tensor_slices([[1.5, -2.0], [0.0, 3.25]])"
                          f".apply({D}(4, [5]))",
    "dtsb_strings": "tf.data.Dataset.from_tensor_slices([['a', 'b'], ['c', 'd']])"
                    f".apply({D}(1, [2]))",
    "dtsb_zero_batch": f"{R}(2).apply({D}(0, []))",
    "card_exact": f"{R}(3).apply(E.assert_cardinality(3))",
    "card_too_many": f"{R}(5).apply(E.assert_cardinality(3))",
    "card_too_few": f"{R}(2).apply(E.assert_cardinality(3))",
    "card_empty": f"{R}(0).apply(E.assert_cardinality(1))",
    "card_one_of_two": f"{R}(2).apply(E.assert_cardinality(1))",
    "card_infinite": f"{R}(2).apply(E.assert_cardinality(E.INFINITE_CARDINALITY))",
    "card_filter": f"{R}(10).filter(lambda x: x < 4).apply(E.assert_cardinality(4))",
}

# (target, initial or None, seed, elements read): few enough that the filtered stream does
# not run out of input (TF 2's sample_from_datasets then stops; TF 1.15's, and flowexec's,
# go on with the original elements only, whose distribution is the input's)
_LABELS = [0] * 700 + [1] * 200 + [2] * 100
RESAMPLE = {
    "resample_given_initial": ([0.2, 0.3, 0.5], [0.7, 0.2, 0.1], 11, 6000),
    "resample_estimated": ([1 / 3, 1 / 3, 1 / 3], None, 12, 6000),
    "resample_to_skewed": ([0.1, 0.1, 0.8], None, 13, 3500),
}


def _plain(value):
    if isinstance(value, tf.SparseTensorValue):
        return {"indices": value.indices.tolist(), "values": _plain(value.values),
                "dense_shape": value.dense_shape.tolist()}
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value] if value.dtype == object else value.tolist()
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _message(e):
    text = e.message
    marker = "\n\t [[{{node"
    text = text.split(marker)[0]
    lines = text.split("\n")
    # "Graph execution error:" ... "Node: 'X'" then the kernel's message
    for i, line in enumerate(lines):
        if line.startswith("Node: "):
            return "\n".join(lines[i + 1:]).strip()
    return text.strip()


def run_case(expr):
    with tf.Graph().as_default():
        try:
            ds = eval(expr)  # noqa: S307 - the fixture's own expressions
            it = tf.data.make_initializable_iterator(ds)
            nxt = it.get_next()
        except (TypeError, ValueError) as e:
            return {"build_error": [type(e).__name__, str(e)]}
        out = []
        with tf.Session() as sess:
            try:
                sess.run(it.initializer)
            except tf.errors.OpError as e:
                return {"init_error": [type(e).__name__, _message(e)]}
            for _ in range(STEPS):
                try:
                    out.append(["value", _plain(sess.run(nxt))])
                except tf.errors.OutOfRangeError:
                    out.append(["end"])
                except tf.errors.OpError as e:
                    out.append(["error", type(e).__name__, _message(e)])
        return {"steps": out}


def run_resample(target, initial, seed, read):
    with tf.Graph().as_default():
        # shuffled by numpy (the same data in flowexec's test), so that class_func's pass
        # and the element pass see one order
        labels = np.random.RandomState(seed).permutation(np.asarray(_LABELS * 40, np.int32))
        ds = tf.data.Dataset.from_tensor_slices(labels)
        ds = ds.apply(E.rejection_resample(lambda x: x, target, initial, seed=seed))
        nxt = tf.data.make_one_shot_iterator(ds.batch(read)).get_next()
        with tf.Session() as sess:
            classes, data = sess.run(nxt)
    assert (classes == data).all()
    counts = np.bincount(classes, minlength=len(target))
    return {"target": target, "initial": initial, "seed": seed, "read": read,
            "labels": [700, 200, 100], "repeat": 40,
            "proportions": (counts / counts.sum()).tolist()}


def main():
    cases = {name: dict(expr=expr, **run_case(expr)) for name, expr in CASES.items()}
    resample = {name: run_resample(*args) for name, args in RESAMPLE.items()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"tensorflow": tf_mod.__version__, "steps": STEPS, "cases": cases,
                   "resample": resample}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
