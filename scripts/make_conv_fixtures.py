"""Writes tests/ops/fixtures/conv_tf.npz: TensorFlow's CPU results (through the TF1 API,
`tf.compat.v1`) of the graphs in
tests/ops/tf_fixture_cases.py, for flowexec's tests to compare against.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_conv_fixtures.py
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.ops.tf_fixture_cases import build_cases, make_inputs


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    data = make_inputs()
    with tf.Graph().as_default():
        names, tensors = build_cases(tf, data)
        with tf.Session() as sess:
            values = sess.run(tensors)
    path = os.path.join(ROOT, "tests", "ops", "fixtures", "conv_tf.npz")
    np.savez_compressed(path, **data, **dict(zip(names, values)),
                        tf_version=np.array(tf.__version__ if hasattr(tf, "__version__")
                                            else "unknown"))
    print(f"wrote {len(names)} results to {path}")


if __name__ == "__main__":
    main()
