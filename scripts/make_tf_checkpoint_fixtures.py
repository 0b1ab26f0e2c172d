"""TensorFlow-written object-based checkpoints (`tf.train.Checkpoint`, TF 1.x graph mode) for
flowexec's Checkpoint tests, and the check of flowexec's checkpoints back in TensorFlow.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_checkpoint_fixtures.py write
    PYTHONPATH=$PWD python scripts/make_tf_checkpoint_fixtures.py flowexec /tmp/fc
    /work/tfvenv/bin/python scripts/make_tf_checkpoint_fixtures.py check /tmp/fc

`write` builds `build(tf)` (a Module with a variable, a list and a dict whose key needs
escaping, a nested Checkpoint sharing a variable, an Adam optimizer with its slots and
non-slot variables), runs one training step and saves it with `Checkpoint.save`:
    ckpt-1.index, ckpt-1.data-00000-of-00001, checkpoint   TF's files
    values.npz   every checkpoint key's value (key "/" written as "|"), and the object graph
                 bytes under "object_graph"
`flowexec DIR` does the same with flowexec into DIR; `check DIR` restores DIR's checkpoint into
the same structure in TensorFlow (assert_consumed, run_restore_ops) and compares every value
and the object graph bytes; it prints one line per check and exits 1 on a mismatch.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "checkpoint")
OBJECT_GRAPH = "_CHECKPOINTABLE_OBJECT_GRAPH"


def inputs():
    return np.random.RandomState(5).randn(4, 3).astype(np.float32)


def build(tf):
    """(checkpoint, train op, x placeholder, {name: variable}) of the fixture's model."""
    rng = np.random.RandomState(3)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.kernel = tf.Variable(rng.randn(3, 2).astype(np.float32), name="kernel")
            self.biases = [tf.Variable(np.zeros(2, np.float32), name="bias")]
            self.table = {"a.b/c": tf.Variable(np.array([1, 2, 3], np.int64), name="table")}

    x = tf.placeholder(tf.float32, [None, 3], name="x")
    model = Model()
    scale = tf.Variable(np.float32(1.5), name="scale")
    y = tf.matmul(x, model.kernel) + model.biases[0]
    loss = tf.reduce_sum(tf.square(y)) * scale
    opt = tf.train.AdamOptimizer(0.1)
    train = opt.minimize(loss)
    inner = tf.train.Checkpoint(scale=scale)
    ckpt = tf.train.Checkpoint(model=model, opt=opt, inner=inner, scale=scale)
    return ckpt, train, x, {"kernel": model.kernel, "bias": model.biases[0], "scale": scale}


def _record(tf, prefix):
    reader = tf.train.load_checkpoint(prefix)
    out = {}
    for key in reader.get_variable_to_shape_map():
        value = reader.get_tensor(key)
        out["object_graph" if key == OBJECT_GRAPH else key.replace("/", "|")] = \
            np.frombuffer(value, np.uint8) if key == OBJECT_GRAPH else value
    return out


def save(tf, directory):
    ckpt, train, x, _ = build(tf)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: inputs()})
        path = ckpt.save(os.path.join(directory, "ckpt"), session=sess)
    return path


def write(tf):
    import shutil

    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    path = save(tf, OUT)
    np.savez(os.path.join(OUT, "values.npz"), **_record(tf, path))
    print("wrote", sorted(os.listdir(OUT)))


def check(tf, directory):
    """Restores flowexec's checkpoint in DIR into TF's model and compares."""
    ok = True
    prefix = tf.train.latest_checkpoint(directory)
    ours, theirs = _record(tf, prefix), dict(np.load(os.path.join(OUT, "values.npz")))
    same = ours.keys() == theirs.keys() and all(
        np.array_equal(ours[k], theirs[k]) if k == "object_graph" else
        np.allclose(ours[k], theirs[k], rtol=1e-6) for k in ours)
    print("keys, values and object graph equal TF's:", same)
    ok &= same
    ckpt, train, x, variables = build(tf)
    status = ckpt.restore(prefix)
    with tf.Session() as sess:
        status.assert_consumed().run_restore_ops(sess)
        for name, v in variables.items():
            key = {"kernel": "model|kernel", "bias": "model|biases|0",
                   "scale": "scale"}[name] + "|.ATTRIBUTES|VARIABLE_VALUE"
            good = np.allclose(sess.run(v), theirs[key], rtol=1e-6)
            print(f"TF restored {name}:", good)
            ok &= good
        good = int(sess.run(ckpt.save_counter)) == 1
        print("TF restored save_counter:", good)
        ok &= good
        sess.run(train, {x: inputs()})  # the restored slots and powers are usable
    return ok


def main(argv):
    mode = argv[1] if len(argv) > 1 else "write"
    if mode == "flowexec":
        import flowexec as tf

        print(save(tf, argv[2]))
        return 0
    import tensorflow

    tf = tensorflow.compat.v1
    tf.disable_eager_execution()
    if mode == "write":
        write(tf)
        return 0
    return 0 if check(tf, argv[2]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
