"""A TensorFlow-written SavedModel for flowexec's loader tests, and the check of a
flowexec-written SavedModel back in TensorFlow.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_saved_model_fixtures.py write
    PYTHONPATH=$PWD python scripts/make_tf_saved_model_fixtures.py flowexec /tmp/fsm
    /work/tfvenv/bin/python scripts/make_tf_saved_model_fixtures.py check /tmp/fsm

One program (`build_and_save`, the same code for TF and flowexec) trains a linear softmax
model for three steps, adds a vocabulary table (a TextFileInitializer over `vocab.txt`, an
asset), and writes a SavedModel with `tf.saved_model.Builder`: the SERVING meta graph with the
variables, a predict signature (default key) and a regression signature, the tables
initializer as main op and the vocabulary in ASSET_FILEPATHS; then a TRAINING meta graph with
a signature holding the loss. The vocabulary file is deleted after saving, so a loader that
does not feed the copy under `assets/` fails.

`write` writes it with TF into tests/data/tf1/saved_model/tf_model/ and records, in
tests/data/tf1/saved_model/expected.npz, the inputs and what TF's own `loader.load` then gives
(`scores`, `ids`, `loss`) in a fresh graph.

`flowexec DIR` writes the same program's SavedModel with flowexec into DIR/model and its
outputs into DIR/values.npz. `check DIR` loads DIR/model in TensorFlow (tags SERVING, then
TRAINING), runs the signatures' tensors, compares with DIR/values.npz and prints one line per
check (exit 1 on a mismatch); with `--record` it also writes what TF saw (op types of each
meta graph, signatures and their tensor names, outputs) to
tests/data/tf1/saved_model/tf_loaded_flowexec.json, which tests/graph_io/test_saved_model.py
compares with what flowexec writes now.
"""

import json
import os
import shutil
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "saved_model")
VOCAB = ["emerson", "lake", "palmer", "yes"]


def inputs():
    rng = np.random.RandomState(7)
    return {"x": rng.randn(5, 3).astype(np.float32),
            "words": np.array([b"lake", b"yes", b"genesis", b"emerson", b"palmer"]),
            "target": rng.rand(5, 2).astype(np.float32)}


def build_and_save(tf, export_dir):
    """Trains, saves a SavedModel into `export_dir`; returns {output name: value} computed in
    the training session (the values the loaded model must give)."""
    data = inputs()
    tmp = tempfile.mkdtemp()
    vocab = os.path.join(tmp, "vocab.txt")
    with open(vocab, "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    rng = np.random.RandomState(3)
    w0, b0 = rng.randn(3, 2).astype(np.float32), np.zeros(2, np.float32)
    with tf.Graph().as_default():  # training (its gradient ops stay out of the SavedModel)
        x = tf.placeholder(tf.float32, [None, 3])
        target = tf.placeholder(tf.float32, [None, 2])
        w, b = tf.Variable(w0), tf.Variable(b0)
        loss = tf.reduce_mean(tf.square(tf.nn.softmax(tf.matmul(x, w) + b) - target))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train, {x: data["x"], target: data["target"]})
            trained = sess.run([w, b])
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        words = tf.placeholder(tf.string, [None], name="words")
        target = tf.placeholder(tf.float32, [None, 2], name="target")
        w = tf.Variable(tf.zeros([3, 2]), name="w")  # the trained values come by restoring
        b = tf.Variable(tf.zeros([2]), name="b")
        scores = tf.nn.softmax(tf.matmul(x, w) + b, name="scores")
        loss = tf.reduce_mean(tf.square(scores - target), name="loss")
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(vocab, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                                          tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), -1)
        ids = tf.identity(table.lookup(words), name="ids")
        total = tf.reduce_sum(scores, name="total")
        sm = tf.saved_model
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            w.load(trained[0], sess)
            b.load(trained[1], sess)
            out = dict(zip(("scores", "ids", "loss"), sess.run(
                [scores, ids, loss], {x: data["x"], words: data["words"],
                                      target: data["target"]})))
            builder = sm.Builder(export_dir)
            builder.add_meta_graph_and_variables(
                sess, [sm.SERVING],
                signature_def_map={
                    sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY: sm.predict_signature_def(
                        {"x": x, "words": words}, {"scores": scores, "ids": ids}),
                    "total": sm.regression_signature_def(words, total)},
                assets_collection=tf.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
                main_op=tf.tables_initializer(), strip_default_attrs=True)
            builder.add_meta_graph(
                [sm.TRAINING], signature_def_map={"train": sm.build_signature_def(
                    {"x": sm.build_tensor_info(x), "target": sm.build_tensor_info(target)},
                    {"loss": sm.build_tensor_info(loss)})},
                strip_default_attrs=True)
            builder.save()
    shutil.rmtree(tmp)
    return out


def load_and_run(tf, export_dir):
    """Loads the SavedModel (SERVING, then TRAINING) in fresh graphs and runs the signatures;
    returns ({output: value}, {tag: description of the meta graph loaded})."""
    data = inputs()
    sm = tf.saved_model
    out, seen = {}, {}
    for tag, key in ((sm.SERVING, sm.DEFAULT_SERVING_SIGNATURE_DEF_KEY), (sm.TRAINING, "train")):
        with tf.Graph().as_default() as g, tf.Session() as sess:
            meta = sm.loader.load(sess, [tag], export_dir)
            sig = meta.signature_def[key]
            feeds = {sm.utils.get_tensor_from_tensor_info(info): data[k]
                     for k, info in sig.inputs.items()}
            names = sorted(sig.outputs)
            got = sess.run([sm.utils.get_tensor_from_tensor_info(sig.outputs[n])
                            for n in names], feeds)
            out.update(zip(names, got))
            seen[tag] = {
                "op_types": sorted({n.op for n in meta.graph_def.node}),
                "signatures": {k: {"method_name": s.method_name,
                                   "inputs": {i: t.name for i, t in s.inputs.items()},
                                   "outputs": {o: t.name for o, t in s.outputs.items()}}
                               for k, s in meta.signature_def.items()},
                "variables": sorted(v.op.name for v in tf.global_variables()),
                "collections": sorted(g.get_all_collection_keys()),
            }
    return out, seen


def _tf():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tf.disable_resource_variables()
    return tf


def write():
    tf = _tf()
    model = os.path.join(OUT, "tf_model")
    shutil.rmtree(model, ignore_errors=True)
    os.makedirs(OUT, exist_ok=True)
    trained = build_and_save(tf, model)
    loaded, _ = load_and_run(tf, model)
    for k, v in trained.items():
        assert np.allclose(v, loaded[k]), k
    np.savez(os.path.join(OUT, "expected.npz"), tf_version=np.array(tf.__version__),
             **inputs(), **{"out_" + k: v for k, v in loaded.items()})
    sizes = {os.path.relpath(os.path.join(d, f), model): os.path.getsize(os.path.join(d, f))
             for d, _, fs in os.walk(model) for f in fs}
    print(f"wrote TensorFlow {tf.__version__}'s SavedModel to {model}: {sizes}")


def write_flowexec(out):
    sys.path.insert(0, ROOT)
    import flowexec as tf

    model = os.path.join(out, "model")
    shutil.rmtree(model, ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    trained = build_and_save(tf, model)
    np.savez(os.path.join(out, "values.npz"), **trained)
    print(f"wrote flowexec's SavedModel to {model}")


def check(d, record=False):
    tf = _tf()
    ref = np.load(os.path.join(d, "values.npz"))
    loaded, seen = load_and_run(tf, os.path.join(d, "model"))
    ok = True
    for k in ("scores", "ids", "loss"):
        good = np.allclose(loaded[k], ref[k], rtol=1e-5, atol=1e-6)
        print(f"{'PASS' if good else 'FAIL'} {k}: TF's loader.load of flowexec's SavedModel "
              f"gives flowexec's values ({np.asarray(loaded[k]).ravel()[:4]} ...)")
        ok &= bool(good)
    if record and ok:
        path = os.path.join(OUT, "tf_loaded_flowexec.json")
        with open(path, "w") as f:
            json.dump({"tensorflow_version": tf.__version__, "meta_graphs": seen,
                       "outputs": {k: np.asarray(v).tolist() for k, v in loaded.items()}},
                      f, indent=1, sort_keys=True)
        print(f"recorded {path}")
    return ok


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "write"
    if mode == "write":
        write()
    elif mode == "flowexec":
        write_flowexec(sys.argv[2])
    elif mode == "check":
        sys.exit(0 if check(sys.argv[2], "--record" in sys.argv[3:]) else 1)
    else:
        sys.exit(f"usage: {sys.argv[0]} write | flowexec DIR | check DIR [--record]")


if __name__ == "__main__":
    main()
