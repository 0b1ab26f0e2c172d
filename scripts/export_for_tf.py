"""Writes flowexec's files for TensorFlow to check (scripts/make_tf_fixtures.py check DIR):
graph.pb / graph.pbtxt (an MLP with ref variables, y = f(x)), graph.npz (inputs and
flowexec's outputs), ckpt/model.ckpt.* (a TF V2 checkpoint written by flowexec) and ckpt.npz.

    PYTHONPATH=$PWD python scripts/export_for_tf.py /tmp/fx
    /work/tfvenv/bin/python scripts/make_tf_fixtures.py check /tmp/fx
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import flowexec as tf
from flowexec.graph_io import bundle
from tests.graph_io.helpers import mlp


def main(out):
    os.makedirs(os.path.join(out, "ckpt"), exist_ok=True)
    xs = np.random.RandomState(5).randn(7, 4).astype(np.float32)
    with tf.Graph().as_default() as g:
        x, y, init = mlp()
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(y), name="train")
        with tf.Session() as sess:
            sess.run(init)
            ys = sess.run(y, {x: xs})
        tf.io.write_graph(g, out, "graph.pb", as_text=False)
        tf.io.write_graph(g, out, "graph.pbtxt", as_text=True)
        n_vars = len(tf.global_variables())
    np.savez(os.path.join(out, "graph.npz"), x=xs, y=ys, n_vars=n_vars)
    values = {"a/kernel": np.arange(12, dtype=np.float32).reshape(3, 4),
              "b": np.array([1.5, -2.5]), "step": np.array(77, np.int64),
              "mask": np.array([[True], [False]]), "ids": np.array([4, 5, 6], np.int32)}

    def write(path, data):
        with open(path, "wb") as f:
            f.write(data)

    bundle.write_bundle(os.path.join(out, "ckpt", "model.ckpt"), values, write)
    np.savez(os.path.join(out, "ckpt.npz"), **{k.replace("/", "__"): v
                                                for k, v in values.items()})
    print(f"wrote flowexec files to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/flowexec_for_tf")
