"""Writes tests/ops/fixtures/rnn_tf.npz: TensorFlow's CPU results (through the TF1 API,
`tf.compat.v1`) of the RNN graphs in tests/ops/rnn_fixture_cases.py (cells, static/dynamic/
bidirectional RNNs, gradients), the variable names TF gave them, and the inputs.

TensorFlow (with tf_keras, which TF 2.16+ needs for `tf.compat.v1.nn.rnn_cell`) is never a
flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_rnn_fixtures.py
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.ops.rnn_fixture_cases import build_cases, make_inputs, set_variables  # noqa: E402


def main():
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # TF 2.16+: tf.compat.v1.nn.rnn_cell needs tf_keras
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tf.disable_v2_behavior()
    data = make_inputs()
    with tf.Graph().as_default():
        out, static_grads, dynamic_grads = build_cases(tf, data)
        results = {**out, **static_grads, **dynamic_grads}
        names = sorted(results)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            set_variables(tf, sess)
            values = sess.run([results[n] for n in names])
        var_names = sorted(v.op.name for v in tf.global_variables())
    path = os.path.join(ROOT, "tests", "ops", "fixtures", "rnn_tf.npz")
    np.savez_compressed(path, **data, **{f"out/{n}": v for n, v in zip(names, values)},
                        variable_names=np.array(var_names),
                        tf_version=np.array(tf.VERSION if hasattr(tf, "VERSION") else "?"))
    print(f"wrote {len(names)} results and {len(var_names)} variable names to {path}")


if __name__ == "__main__":
    main()
