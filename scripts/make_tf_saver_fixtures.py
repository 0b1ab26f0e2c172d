"""TensorFlow-written checkpoints and meta graphs for flowexec's Saver tests, and the check of
flowexec's Saver files back in TensorFlow.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_saver_fixtures.py write     # -> tests/data/tf1/saver/
    PYTHONPATH=$PWD python scripts/make_tf_saver_fixtures.py flowexec /tmp/fs
    /work/tfvenv/bin/python scripts/make_tf_saver_fixtures.py check /tmp/fs

`write` saves, with TF 1.x ref variables and `tf.train.Saver(write_version=V2)`:
    one.ckpt.*        every dtype the tests use, strings (with NUL bytes, empty) and a scalar
                      string, one shard
    sharded.ckpt-3.*  the same variables on /cpu:0 and /cpu:1 with sharded=True: two shards
                      (and TF's sharded saver subgraph in its .meta)
    checkpoint        the state file TF writes (save_relative_paths=True)
    mlp.ckpt.*, mlp.ckpt.meta  an MLP with a training op, saved after two steps (the .meta
                      has TF's SaverDef and stripped_op_list)
    values.npz        the variables' values and the MLP's inputs and outputs

`flowexec DIR` (run with flowexec importable) saves the same things with flowexec into DIR;
`check DIR` restores them in TensorFlow (tf.train.Saver.restore, import_meta_graph) and
compares; it prints one line per check and exits 1 on a mismatch.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "saver")


def values():
    """The variables of one.ckpt / sharded.ckpt: {name: (device, value)}."""
    return {
        "dense/kernel": ("/cpu:0", np.arange(6, dtype=np.float32).reshape(2, 3) / 7),
        "dense/bias": ("/cpu:1", np.array([0.5, -1.5, 2.0])),
        "step": ("/cpu:1", np.array(41, np.int64)),
        "ids": ("/cpu:0", np.array([[1, -2], [3, 4]], np.int32)),
        "flag": ("/cpu:1", np.array([True, False])),
        "half": ("/cpu:0", np.array([1.5, -0.25], np.float16)),
        "words": ("/cpu:0", np.array([[b"hello", b""], [b"w\x00rld", b"\xff" * 300]])),
        "title": ("/cpu:1", np.array(b"a scalar string")),
    }


def mlp_inputs():
    return np.random.RandomState(11).randn(5, 4).astype(np.float32)


def _build_mlp(tf):
    rng = np.random.RandomState(2)
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    t = tf.placeholder(tf.float32, [None, 3], name="t")
    w1 = tf.Variable(rng.randn(4, 5).astype(np.float32), name="w1")
    b1 = tf.Variable(np.zeros(5, np.float32), name="b1")
    w2 = tf.Variable(rng.randn(5, 3).astype(np.float32), name="w2")
    h = tf.nn.relu(tf.matmul(x, w1) + b1)
    y = tf.identity(tf.matmul(h, w2), name="y")
    loss = tf.reduce_mean(tf.square(y - t), name="loss")
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss, global_step=step,
                                                             name="train")
    tf.add_to_collection("train_op", train)
    return x, t, y, train


def _save_all(tf, out, sess_config):
    """Saves one.ckpt, sharded.ckpt-3 and mlp.ckpt(+.meta) into `out` with `tf` (TF or
    flowexec: the same code); returns the MLP's outputs after training."""
    with tf.Graph().as_default():
        made = {}
        for name, (device, value) in values().items():
            with tf.device(device):
                made[name] = tf.Variable(value, name=name)
        with tf.Session(config=sess_config) as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver(save_relative_paths=True).save(
                sess, os.path.join(out, "one.ckpt"), write_meta_graph=False)
            tf.train.Saver(sharded=True, save_relative_paths=True).save(
                sess, os.path.join(out, "sharded.ckpt"), global_step=3)
    xs = mlp_inputs()
    ts = np.tanh(xs[:, :3])
    with tf.Graph().as_default():
        x, t, y, train = _build_mlp(tf)
        saver = tf.train.Saver(save_relative_paths=True)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(2):
                sess.run(train, {x: xs, t: ts})
            saver.save(sess, os.path.join(out, "mlp.ckpt"), latest_filename="mlp_checkpoint")
            ys = sess.run(y, {x: xs})
            sess.run(train, {x: xs, t: ts})
            ys_next = sess.run(y, {x: xs})
    return xs, ts, ys, ys_next


def _tf():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tf.disable_resource_variables()
    return tf


def write():
    tf = _tf()
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    xs, ts, ys, ys_next = _save_all(tf, OUT, tf.ConfigProto(device_count={"CPU": 2}))
    np.savez(os.path.join(OUT, "values.npz"), x=xs, t=ts, y=ys, y_next=ys_next,
             tf_version=np.array(tf.__version__),
             **{k.replace("/", "__"): v for k, (_, v) in values().items()})
    print(f"wrote TensorFlow {tf.__version__} checkpoints to {OUT}: {sorted(os.listdir(OUT))}")


def write_flowexec(out):
    sys.path.insert(0, ROOT)
    import flowexec as tf

    os.makedirs(out, exist_ok=True)
    xs, ts, ys, ys_next = _save_all(tf, out, tf.ConfigProto(device_count={"CPU": 2}))
    np.savez(os.path.join(out, "values.npz"), x=xs, t=ts, y=ys, y_next=ys_next)
    print(f"wrote flowexec checkpoints to {out}: {sorted(os.listdir(out))}")


def _report(name, ok, detail=""):
    print(f"{'PASS' if ok else 'FAIL'} {name} {detail}")
    return ok


def check(d):
    tf = _tf()
    ok = True
    ref = np.load(os.path.join(d, "values.npz"))
    for prefix in ("one.ckpt", "sharded.ckpt-3"):
        with tf.Graph().as_default():
            made = {}
            for name, (device, value) in values().items():
                with tf.device(device):
                    made[name] = tf.Variable(np.zeros_like(value), name=name)
            saver = tf.train.Saver()
            good = True
            with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
                saver.restore(sess, os.path.join(d, prefix))
                for name, (_, value) in values().items():
                    got = np.asarray(sess.run(made[name]))
                    same_type = got.dtype == value.dtype or value.dtype.kind == "S"
                    good &= same_type and got.tolist() == value.tolist()
        ok &= _report(prefix, good, f"{len(values())} variables restored by tf.train.Saver")
    latest = tf.train.latest_checkpoint(d)
    ok &= _report("checkpoint", latest == os.path.join(d, "sharded.ckpt-3"), str(latest))
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(os.path.join(d, "mlp.ckpt.meta"))
        ok &= _report("mlp.ckpt.meta saver_def", saver.saver_def.restore_op_name ==
                      "save/restore_all", "TF's Saver runs the meta graph's saver ops")
        with tf.Session() as sess:
            saver.restore(sess, tf.train.latest_checkpoint(d, "mlp_checkpoint"))
            ys = sess.run("y:0", {"x:0": ref["x"]})
            sess.run(g.get_collection("train_op")[0], {"x:0": ref["x"], "t:0": ref["t"]})
            ys_next = sess.run("y:0", {"x:0": ref["x"]})
            saver.save(sess, os.path.join(d, "by_tf"), write_meta_graph=False)
        assert tf.train.load_checkpoint(os.path.join(d, "by_tf")).get_tensor("global_step") == 3
    ok &= _report("mlp.ckpt.meta", np.allclose(ys, ref["y"], rtol=1e-5, atol=1e-6)
                  and np.allclose(ys_next, ref["y_next"], rtol=1e-5, atol=1e-6),
                  "import_meta_graph + restore + one more training step")
    return ok


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "write"
    if mode == "write":
        write()
    elif mode == "flowexec":
        write_flowexec(sys.argv[2])
    elif mode == "check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    else:
        sys.exit(f"usage: {sys.argv[0]} write | flowexec DIR | check DIR")


if __name__ == "__main__":
    main()
