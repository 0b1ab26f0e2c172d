"""Records TensorFlow's feature-column results for tests/feature_column.

Run with a TensorFlow that still has the v1 feature-column API (graph mode):

    /work/tfvenv/bin/python scripts/make_tf_feature_column_fixtures.py

It builds every case of tests/feature_column/cases.py with `tf.compat.v1` and
`tf.compat.v1.feature_column` and writes tests/data/tf1/feature_column/fixtures.npz (the
outputs, variable values and categorical ids) and fixtures.json (variable names and shapes,
collections, cols_to_vars, column names), plus the Bucketize and parse-spec checks. TF 2.x
has no contrib `sequence_input_layer`; the sequence case runs TF 1.15's algorithm over TF's
own `_get_sequence_dense_tensor`.
"""

import json
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf2
from tensorflow.python.feature_column import feature_column as fc_old

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.feature_column import cases

tf = tf2.compat.v1
tf.disable_eager_execution()
fc = tf.feature_column


def sequence_input_layer(features, feature_columns):
    """TF 1.15's tf.contrib.feature_column.sequence_input_layer, over TF's columns."""
    with tf.variable_scope(None, default_name="sequence_input_layer",
                           values=list(features.values())):
        builder = fc_old._LazyBuilder(features)
        outs, lengths = [], []
        for column in sorted(feature_columns, key=lambda c: c.name):
            with tf.variable_scope(None, default_name=column._var_scope_name):
                dense, length = column._get_sequence_dense_tensor(builder)
                n = column._variable_shape.num_elements()
                shape = tf.shape(dense)
                outs.append(tf.reshape(dense, [shape[0], shape[1], n]))
                lengths.append(length)
        return tf.concat(outs, -1), lengths[0]


def bucketize_cases():
    from tensorflow.python.ops import math_ops

    out = {}
    rows = {
        "float32": (np.array([[-1.0, 0.0, 0.5], [1.0, 2.5, np.nan]], np.float32),
                    [0.0, 1.0, 2.5]),
        "float64": (np.array([0.1, 0.10000000149011612, 0.2, -3.0], np.float64), [0.1, 0.2]),
        "int32": (np.array([-5, 10000, 150, 10, 5, 100], np.int32), [0.0, 10.0, 100.0]),
        "int64": (np.array([[1, 2], [3, 16777217]], np.int64), [2.0, 16777216.0]),
    }
    for name, (x, bounds) in rows.items():
        with tf.Graph().as_default(), tf.Session() as sess:
            out[f"bucketize/{name}/x"] = x
            out[f"bucketize/{name}/y"] = sess.run(math_ops._bucketize(x, boundaries=bounds))
    return out


def main():
    arrays, meta = {}, {"input_layer": {}, "linear_model": {}, "ids": {}}
    for kind, table in (("input_layer", cases.INPUT_LAYER), ("linear_model", cases.LINEAR_MODEL),
                        ("ids", cases.IDS)):
        for name in table:
            a, m = cases.run_case(tf, fc, kind, name, builder_cls=fc_old._LazyBuilder)
            meta[kind][name] = m
            for k, v in a.items():
                arrays[f"{kind}/{name}/{k}"] = v
    a, m = cases.run_sequence_case(tf, fc, sequence_input_layer)
    meta["sequence"] = m
    for k, v in a.items():
        arrays[f"sequence/{k}"] = v
    arrays.update(bucketize_cases())
    spec = fc.make_parse_example_spec([
        fc.numeric_column("a", shape=(2,), default_value=1.5),
        fc.embedding_column(fc.weighted_categorical_column(
            fc.categorical_column_with_identity("b", 5), "bw"), 2),
        fc.crossed_column(["c", fc.bucketized_column(fc.numeric_column("d"), [0.0])], 10),
        fc.indicator_column(fc.categorical_column_with_vocabulary_list("e", [1, 2])),
    ])
    meta["parse_spec"] = {k: [type(v).__name__, v.dtype.name,
                              list(getattr(v, "shape", [])) if hasattr(v, "shape") else None,
                              np.asarray(getattr(v, "default_value", None)).tolist()]
                          for k, v in sorted(spec.items())}
    out_dir = cases.DATA_DIR
    np.savez_compressed(os.path.join(out_dir, "fixtures.npz"), **arrays)
    with open(os.path.join(out_dir, "fixtures.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print(f"wrote {len(arrays)} arrays, tensorflow {tf2.__version__}")


if __name__ == "__main__":
    main()
