"""Writes tests/ops/fixtures/conv_tf.npz: TensorFlow's CPU results (through the TF1 API,
`tf.compat.v1`) of the graphs in
tests/ops/tf_fixture_cases.py, for flowexec's tests to compare against.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_conv_fixtures.py [--only-new]

`--only-new` computes only the cases the file does not hold yet and keeps the stored ones
(TF 2.21's CPU kernels refuse some graphs an earlier TF computed, e.g. dilated
Conv2DBackpropInput).
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.ops.tf_fixture_cases import build_cases, make_inputs


def main(argv=None):
    import tensorflow.compat.v1 as tf

    only_new = "--only-new" in (sys.argv[1:] if argv is None else argv)
    tf.disable_eager_execution()
    data = make_inputs()
    path = os.path.join(ROOT, "tests", "ops", "fixtures", "conv_tf.npz")
    kept = {}
    if only_new and os.path.exists(path):
        with np.load(path) as old:
            kept = {k: old[k] for k in old.files if k not in data and k != "tf_version"}
            for k in data:
                if k in old.files and not np.array_equal(old[k], data[k]):
                    raise SystemExit(f"input {k} changed: rerun without --only-new")
    with tf.Graph().as_default():
        names, tensors = build_cases(tf, data)
        todo = [(n, t) for n, t in zip(names, tensors) if n not in kept]
        with tf.Session() as sess:
            values = sess.run([t for _, t in todo])
    results = {**kept, **{n: v for (n, _), v in zip(todo, values)}}
    names = list(results)
    np.savez_compressed(path, **data, **results,
                        tf_version=np.array(tf.__version__ if hasattr(tf, "__version__")
                                            else "unknown"))
    print(f"wrote {len(names)} results to {path}")


if __name__ == "__main__":
    main()
