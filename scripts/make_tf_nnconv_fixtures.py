"""TensorFlow's results for tf.nn's transposed/generic convolutions, N-D pooling,
morphology and fractional pooling (tests/data/tf1/nnconv/nnconv.npz), which
tests/ops/test_nnconv_fixtures.py compares with flowexec's.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_nnconv_fixtures.py

The graphs are tests/ops/nnconv_fixture_cases.py's, built with tensorflow.compat.v1. For a
case `name` the file holds `name/in<i>` (inputs), `name/out<j>` (outputs), and where the case
records gradients `name/w<j>` (weights) and `name/grad<i>` (d sum(out_j * w_j) / d in_i).
"""

import os
import sys

import numpy as np

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # oneDNN rejects some valid backprops

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
OUT = os.path.join(ROOT, "tests", "data", "tf1", "nnconv", "nnconv.npz")


def main():
    import tensorflow as tf2

    from tests.ops import nnconv_fixture_cases as fc

    tf = tf2.compat.v1
    tf.disable_eager_execution()
    data = {}
    for name, build, shapes, grad in fc.CASES:
        xs = fc.inputs(name, shapes)
        g = tf.Graph()
        with g.as_default(), tf.Session() as sess:
            phs, outs, feed = fc.build_graph(tf, build, xs)
            vals = sess.run(outs, feed)
            for i, x in enumerate(xs):
                data[f"{name}/in{i}"] = x
            for j, v in enumerate(vals):
                data[f"{name}/out{j}"] = v
            if grad:
                float_outs = [(o, v) for o, v in zip(outs, vals) if o.dtype.is_floating]
                ws = fc.weights(name, [v.shape for _, v in float_outs])
                loss = tf.add_n([tf.reduce_sum(o * w) for (o, _), w in zip(float_outs, ws)])
                grads = tf.gradients(loss, phs)
                for j, w in enumerate(ws):
                    data[f"{name}/w{j}"] = w
                for i, gv in enumerate(grads):
                    if gv is not None:
                        data[f"{name}/grad{i}"] = sess.run(gv, feed)
        print(name, [v.shape for v in vals])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **data)
    print("wrote", OUT, len(data), "arrays")


if __name__ == "__main__":
    main()
