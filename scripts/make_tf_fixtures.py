"""TensorFlow-written fixtures for flowexec's graph_io tests, and the check of flowexec's files
back in TensorFlow.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_fixtures.py write        # -> tests/data/tf1/
    PYTHONPATH=$PWD python scripts/export_for_tf.py /tmp/fx          # flowexec writes files
    /work/tfvenv/bin/python scripts/make_tf_fixtures.py check /tmp/fx

`write` builds a small MLP with TF 1.x ref variables (VariableV2/Assign) and constant
initial values, and writes: mlp.pb (its GraphDef), mlp.npz (inputs and TF's outputs),
frozen.pb (convert_variables_to_constants), mlp.meta (export_meta_graph with collections),
ckpt/model.ckpt.{index,data-00000-of-00001} (a V2 checkpoint of a few variables) and
ckpt.npz (their values).

`check DIR` reads what flowexec wrote into DIR (graph.pb, graph.pbtxt, graph.npz,
ckpt/model.ckpt.*, ckpt.npz), loads each in TensorFlow and compares the results; it prints
one line per file and exits 1 on a mismatch.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1")


def _tf():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tf.disable_resource_variables()
    return tf


def _weights():
    rng = np.random.RandomState(7)
    return {"w1": rng.randn(4, 5).astype(np.float32), "b1": rng.randn(5).astype(np.float32),
            "w2": rng.randn(5, 3).astype(np.float32), "b2": rng.randn(3).astype(np.float32)}


def _mlp(tf):
    w = _weights()
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    with tf.variable_scope("layer1"):
        w1 = tf.Variable(w["w1"], name="w")
        b1 = tf.Variable(w["b1"], name="b")
        h = tf.nn.relu(tf.nn.bias_add(tf.matmul(x, w1), b1))
    with tf.variable_scope("layer2"):
        w2 = tf.Variable(w["w2"], name="w")
        b2 = tf.Variable(w["b2"], name="b")
        logits = tf.add(tf.matmul(h, w2), b2, name="logits")
    probs = tf.nn.softmax(logits, name="probs")
    tf.reduce_mean(tf.reduce_sum(tf.square(probs), axis=1), name="score")
    tf.argmax(logits, 1, name="label")
    tf.add_to_collection("outputs", probs)
    return x


def write():
    tf = _tf()
    os.makedirs(os.path.join(OUT, "ckpt"), exist_ok=True)
    xs = np.random.RandomState(3).randn(6, 4).astype(np.float32)
    with tf.Graph().as_default() as g:
        x = _mlp(tf)
        init = tf.global_variables_initializer()
        tf.io.write_graph(g, OUT, "mlp.pb", as_text=False)
        tf.train.export_meta_graph(os.path.join(OUT, "mlp.meta"))
        with tf.Session() as sess:
            sess.run(init)
            fetch = ["probs:0", "score:0", "label:0", "layer2/logits:0"]
            vals = sess.run(fetch, {x: xs})
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), ["probs", "label"])
        tf.io.write_graph(frozen, OUT, "frozen.pb", as_text=False)
        np.savez(os.path.join(OUT, "mlp.npz"), x=xs, probs=vals[0], score=vals[1],
                 label=vals[2], logits=vals[3], tf_version=np.array(tf.__version__))
    with tf.Graph().as_default():
        values = {"dense/kernel": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
                  "dense/bias": np.array([0.5, -1.5, 2.0]),  # float64
                  "global_step": np.array(1234, np.int64),
                  "counts": np.array([[1, 2], [3, 4]], np.int32),
                  "flag": np.array([True, False, True])}
        vs = [tf.Variable(v, name=k) for k, v in values.items()]
        saver = tf.train.Saver(vs, write_version=tf.train.SaverDef.V2)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, os.path.join(OUT, "ckpt", "model.ckpt"), write_meta_graph=False)
        np.savez(os.path.join(OUT, "ckpt.npz"), **{k.replace("/", "__"): v
                                                    for k, v in values.items()})
    print(f"wrote TensorFlow {tf.__version__} fixtures to {OUT}")


def _report(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name} {detail}")
    return ok


def check(d):
    tf = _tf()
    ok = True
    ref = np.load(os.path.join(d, "graph.npz"))
    for fname in ("graph.pb", "graph.pbtxt"):
        path = os.path.join(d, fname)
        gd = tf.GraphDef()
        with open(path, "rb") as f:
            data = f.read()
        if fname.endswith(".pbtxt"):
            from google.protobuf import text_format

            text_format.Parse(data.decode(), gd)
        else:
            gd.ParseFromString(data)
        with tf.Graph().as_default() as g:
            tf.import_graph_def(gd, name="")
            with tf.Session() as sess:
                sess.run(g.get_operation_by_name("init"))
                got = sess.run("y:0", {"x:0": ref["x"]})
        ok &= _report(fname, np.allclose(got, ref["y"], rtol=1e-5, atol=1e-6),
                      f"max diff {np.abs(got - ref['y']).max():.2e}")
    vals = np.load(os.path.join(d, "ckpt.npz"))
    reader = tf.train.NewCheckpointReader(os.path.join(d, "ckpt", "model.ckpt"))
    shapes = reader.get_variable_to_shape_map()
    good = sorted(shapes) == sorted(k.replace("__", "/") for k in vals.files)
    for k in vals.files:
        t = reader.get_tensor(k.replace("__", "/"))
        good &= t.dtype == vals[k].dtype and np.array_equal(t, vals[k])
    ok &= _report("ckpt/model.ckpt", good, f"{len(shapes)} tensors")
    return ok


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "write"
    if mode == "write":
        write()
    elif mode == "check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    else:
        sys.exit(f"usage: {sys.argv[0]} write | check DIR")


if __name__ == "__main__":
    main()
