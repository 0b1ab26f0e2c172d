"""TensorFlow graphs with functional control flow (control flow v2: If/StatelessIf,
While/StatelessWhile over a FunctionDefLibrary, as TF 2.x writes them), for flowexec's import
tests, and the check of flowexec's exported If/While graphs back in TensorFlow.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_function_fixtures.py write
    # -> tests/data/tf1/functions/
    PYTHONPATH=$PWD python scripts/make_tf_function_fixtures.py flowexec /tmp/ff
    /work/tfvenv/bin/python scripts/make_tf_function_fixtures.py check /tmp/ff

Each case `<name>` is `<name>.pb` (a GraphDef with a `library`) and `<name>.npz`: for feed
set k, `feed<k>__<placeholder>` and `out<k>__<i>` (the value of fetch i); `fetches` lists
the fetched tensor names. `flowexec DIR` builds the same cases with flowexec and writes them
the same way; `check DIR` imports them in TensorFlow and compares its outputs with the
recorded ones, one line per case, exit 1 on a mismatch.
"""

import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "functions")


def cases(tf):
    """{name: make()} building each graph with `tf` (TF or flowexec); make() returns
    (fetches, feeds)."""
    def cond_captures():
        x = tf.placeholder(tf.float32, [3], name="x")
        w = tf.constant([1.0, -1.0, 2.0], name="w")
        y, s = tf.cond(tf.reduce_sum(x) > 0, lambda: (x * w, tf.reduce_sum(x) + 10.0),
                       lambda: (x - 1.0, tf.constant(-1.0)))
        tf.identity(y, name="y")
        tf.identity(s, name="s")
        feeds = [{"x": np.array([1, 2, 3], np.float32)},
                 {"x": np.array([-1, -2, 0.5], np.float32)}]
        return ["y:0", "s:0"], feeds

    def while_captures():
        n = tf.placeholder(tf.int32, [], name="n")
        x = tf.placeholder(tf.float32, [2], name="x")
        i, acc = tf.while_loop(lambda i, acc: i < n, lambda i, acc: (i + 1, acc * x),
                               [tf.constant(0), tf.ones([2])])
        tf.identity(i, name="i")
        tf.identity(acc, name="acc")
        feeds = [{"n": np.int32(k), "x": np.array([2, -0.5], np.float32)} for k in (0, 1, 5)]
        return ["i:0", "acc:0"], feeds

    def nested():
        n = tf.placeholder(tf.int32, [], name="n")
        x = tf.placeholder(tf.float32, [], name="x")

        def body(i, acc):
            acc = tf.cond(tf.equal(i % 2, 0), lambda: acc + x, lambda: acc * 2.0)
            return i + 1, acc

        _, acc = tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), tf.constant(1.0)])
        out = tf.cond(acc > 3.0, lambda: acc * 10.0, lambda: -acc)
        tf.identity(out, name="out")
        feeds = [{"n": np.int32(k), "x": np.float32(0.5)} for k in (0, 3, 6)]
        return ["out:0"], feeds

    return {f.__name__: f for f in (cond_captures, while_captures, nested)}


def _record(tf, out_dir, make_session):
    os.makedirs(out_dir, exist_ok=True)
    for name, make in cases(tf).items():
        with tf.Graph().as_default() as g:
            fetches, feeds = make()
            gd = g.as_graph_def()
            data = {"fetches": np.array(fetches)}
            with make_session() as sess:
                for k, feed in enumerate(feeds):
                    outs = sess.run(fetches, {f"{p}:0": v for p, v in feed.items()})
                    data.update({f"feed{k}__{p}": v for p, v in feed.items()})
                    data.update({f"out{k}__{i}": v for i, v in enumerate(outs)})
        with open(os.path.join(out_dir, name + ".pb"), "wb") as f:
            f.write(gd.SerializeToString())
        np.savez(os.path.join(out_dir, name + ".npz"), **data)
        print(name, len(gd.node), "nodes,", len(gd.library.function), "functions")


def _tf():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tf.enable_control_flow_v2()
    return tf


def check(d):
    tf = _tf()
    ok = True
    for name in cases(tf):
        gd = tf.GraphDef()
        with open(os.path.join(d, name + ".pb"), "rb") as f:
            gd.ParseFromString(f.read())
        ref = np.load(os.path.join(d, name + ".npz"))
        good, k = True, 0
        with tf.Graph().as_default():
            tf.import_graph_def(gd, name="")
            with tf.Session() as sess:
                while f"out{k}__0" in ref:
                    feed = {f"{key.split('__', 1)[1]}:0": ref[key] for key in ref.files
                            if key.startswith(f"feed{k}__")}
                    outs = sess.run(list(ref["fetches"]), feed)
                    good &= all(np.allclose(o, ref[f"out{k}__{i}"]) for i, o in enumerate(outs))
                    k += 1
        print(f"{'PASS' if good else 'FAIL'} {name} {k} feeds, "
              f"{len(gd.library.function)} functions")
        ok &= good
    return ok


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "write"
    if mode == "write":
        tf = _tf()
        assert tf.__version__
        _record(tf, OUT, tf.Session)
    elif mode == "flowexec":
        sys.path.insert(0, ROOT)
        import flowexec as tf

        _record(tf, sys.argv[2], tf.Session)
    elif mode == "check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    else:
        sys.exit(f"usage: {sys.argv[0]} write | flowexec DIR | check DIR")


if __name__ == "__main__":
    main()
