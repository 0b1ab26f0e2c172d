"""TensorFlow-written fixtures for flowexec's partitioned variables, and the check of
flowexec's partitioned checkpoints back in TensorFlow.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_partitioned_fixtures.py write  # tests/data/tf1/partitioned
    PYTHONPATH=$PWD python scripts/make_tf_partitioned_fixtures.py flowexec /tmp/fp
    /work/tfvenv/bin/python scripts/make_tf_partitioned_fixtures.py check /tmp/fp

`write` saves, with TF 1.x ref variables and `tf.train.Saver` (V2 bundle):
    part.ckpt.*   "emb" [7, 3] in 3 shards along axis 0, "dense/w" [4, 5] in 2 shards along
                  axis 1, "big" int64 [130, 2] in 2 shards, and an unpartitioned "b" [3]
    values.npz    their full values; the partitions TF's partitioners return for a table of
                  shapes/dtypes; the op names of a partitioned get_variable's graph;
                  embedding_lookup results of a 3-shard table for 'mod' and 'div'

`flowexec DIR` saves the same variables with flowexec into DIR; `check DIR` restores them in
TensorFlow (into partitioned and into unpartitioned variables) and compares; it prints one
line per check and exits 1 on a mismatch.
"""

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "partitioned")

EMB = np.arange(21, dtype=np.float32).reshape(7, 3) / 4
DENSE = (np.arange(20, dtype=np.float32).reshape(4, 5) - 7) / 3
BIAS = np.array([1.0, -2.0, 0.5], np.float32)
BIG = np.arange(260, dtype=np.int64).reshape(130, 2)  # offsets >= 64: 2-byte OrderedCode
IDS = np.array([[0, 6], [3, 2], [5, 1]], np.int64)

# (partitioner call, shape, dtype) rows; the partitioner is evaluated as `tf.<call>`.
PARTITIONER_CASES = [
    ("fixed_size_partitioner(3)", [7, 3], "float32"),
    ("fixed_size_partitioner(10)", [7, 3], "float32"),
    ("fixed_size_partitioner(2, axis=1)", [4, 5], "float32"),
    ("variable_axis_size_partitioner(40)", [20, 3], "float32"),
    ("variable_axis_size_partitioner(5)", [20, 3], "float32"),
    ("variable_axis_size_partitioner(100, axis=1, max_shards=3)", [4, 50], "float64"),
    ("variable_axis_size_partitioner(64, bytes_per_string_element=8)", [10, 2], "string"),
    ("min_max_variable_partitioner(max_partitions=4, min_slice_size=64)", [10, 8], "float32"),
    ("min_max_variable_partitioner(max_partitions=100, min_slice_size=64)", [10, 8],
     "float32"),
    ("min_max_variable_partitioner(max_partitions=3, axis=1, min_slice_size=1)", [2, 5],
     "int32"),
    ("min_max_variable_partitioner()", [10, 8], "float32"),
]


def _variables(tf):
    emb = tf.get_variable("emb", initializer=tf.constant(EMB),
                          partitioner=tf.fixed_size_partitioner(3))
    with tf.variable_scope("dense", partitioner=tf.fixed_size_partitioner(2, axis=1)):
        w = tf.get_variable("w", initializer=tf.constant(DENSE))
    b = tf.get_variable("b", initializer=tf.constant(BIAS))
    tf.get_variable("big", initializer=tf.constant(BIG),
                    partitioner=tf.fixed_size_partitioner(2))
    return emb, w, b


def write():
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    os.makedirs(OUT, exist_ok=True)
    out = {}
    with tf.Graph().as_default() as g:
        emb, w, b = _variables(tf)
        lookups = {s: tf.nn.embedding_lookup(emb, IDS, partition_strategy=s)
                   for s in ("mod", "div")}
        t = tf.convert_to_tensor(emb)
        out["op_names"] = np.array(json.dumps([op.name for op in g.get_operations()]))
        out["as_tensor_name"] = np.array(t.name)
        out["shard_names"] = np.array(json.dumps([v.name for v in emb]))
        out["shard_specs"] = np.array(json.dumps(
            [v._save_slice_info.spec for v in list(emb) + list(w)]))
        out["global_variables"] = np.array(json.dumps([v.name for v in tf.global_variables()]))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for s, t_ in lookups.items():
                out[f"lookup_{s}"] = sess.run(t_)
            out["emb_shards"] = np.array(json.dumps([sess.run(v).tolist() for v in emb]))
            tf.train.Saver().save(sess, os.path.join(OUT, "part.ckpt"),
                                  write_meta_graph=False, write_state=False)
    parts = []
    for call, shape, dtype in PARTITIONER_CASES:
        p = eval("tf." + call)  # noqa: S307 - a fixed table of partitioner calls
        parts.append(list(p(shape=tf.TensorShape(shape), dtype=tf.as_dtype(dtype))))
    out["partitions"] = np.array(json.dumps(parts))
    out["emb"], out["dense_w"], out["b"], out["big"] = EMB, DENSE, BIAS, BIG
    np.savez(os.path.join(OUT, "values.npz"), **out)
    print("wrote", OUT)


def save_with_flowexec(directory):
    import flowexec as tf

    with tf.Graph().as_default():
        _variables(tf)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, os.path.join(directory, "part.ckpt"),
                                  write_meta_graph=False, write_state=False)
    print("flowexec saved", directory)


def check(directory):
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    ok = True
    prefix = os.path.join(directory, "part.ckpt")
    for partitioned in (True, False):
        with tf.Graph().as_default():
            if partitioned:
                emb = tf.get_variable("emb", [7, 3], partitioner=tf.fixed_size_partitioner(2))
                with tf.variable_scope("dense",
                                       partitioner=tf.fixed_size_partitioner(3, axis=1)):
                    w = tf.get_variable("w", [4, 5])
            else:
                emb = tf.get_variable("emb", [7, 3])
                w = tf.get_variable("dense/w", [4, 5])
            b = tf.get_variable("b", [3])
            with tf.Session() as sess:
                tf.train.Saver().restore(sess, prefix)
                got = sess.run([tf.convert_to_tensor(emb), tf.convert_to_tensor(w), b])
        for name, want, have in zip(("emb", "dense/w", "b"), (EMB, DENSE, BIAS), got):
            same = np.array_equal(want, have)
            ok &= same
            print(f"{'ok' if same else 'MISMATCH'}  {name} restored "
                  f"{'partitioned' if partitioned else 'whole'} in TF")
    reader = tf.train.NewCheckpointReader(prefix)
    same = np.array_equal(reader.get_tensor("emb"), EMB) and \
        np.array_equal(reader.get_tensor("big"), BIG)
    ok &= same
    print(f"{'ok' if same else 'MISMATCH'}  NewCheckpointReader('emb', 'big') in TF")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "write"
    if cmd == "write":
        write()
    elif cmd == "flowexec":
        save_with_flowexec(sys.argv[2])
    elif cmd == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
