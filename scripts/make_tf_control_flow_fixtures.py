"""TensorFlow 1.x graphs with v1 control flow (Switch/Merge/Enter/Exit/NextIteration/LoopCond),
for flowexec's functionalization tests: the GraphDefs, and TF's outputs for several feeds.

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_control_flow_fixtures.py
    # -> tests/data/tf1/control_flow/

Each case `<name>` writes `<name>.pb` (the GraphDef, control flow v2 disabled, so tf.cond and
tf.while_loop build v1 ops) and `<name>.npz`: for feed set k, `feed<k>__<placeholder>` and
`out<k>__<i>` (TF's value of fetch i); `fetches` lists the fetched tensor names.
"""

import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "control_flow")


def _cases(tf):
    def cond_simple():
        x = tf.placeholder(tf.float32, [3], name="x")
        y, s = tf.cond(tf.reduce_sum(x) > 0, lambda: (x * 2.0, tf.reduce_sum(x) + 10.0),
                       lambda: (x - 1.0, tf.constant(-1.0)))
        tf.identity(y, name="y")
        tf.identity(s, name="s")
        feeds = [{"x": np.array([1, 2, 3], np.float32)},
                 {"x": np.array([-1, -2, 0.5], np.float32)}]
        return ["y:0", "s:0"], feeds

    def cond_nested():
        a = tf.placeholder(tf.float32, [], name="a")
        b = tf.placeholder(tf.float32, [], name="b")
        out = tf.cond(a > 0, lambda: tf.cond(b > 0, lambda: a * b, lambda: a + b),
                      lambda: a - b)
        tf.identity(out, name="out")
        feeds = [{"a": np.float32(a_), "b": np.float32(b_)}
                 for a_, b_ in [(2, 3), (2, -3), (-2, 3), (-2, -3)]]
        return ["out:0"], feeds

    def while_simple():
        n = tf.placeholder(tf.int32, [], name="n")
        x = tf.placeholder(tf.float32, [2], name="x")
        i, acc = tf.while_loop(lambda i, acc: i < n, lambda i, acc: (i + 1, acc * x),
                               [tf.constant(0), tf.ones([2])])
        tf.identity(i, name="i")
        tf.identity(acc, name="acc")
        feeds = [{"n": np.int32(k), "x": np.array([2, -0.5], np.float32)} for k in (0, 1, 5)]
        return ["i:0", "acc:0"], feeds

    def while_nested():
        n = tf.placeholder(tf.int32, [], name="n")
        x = tf.placeholder(tf.float32, [], name="x")

        def outer_body(i, s):
            def inner_body(j, t):
                return j + 1, t + tf.cast(j, tf.float32) * x
            _, t = tf.while_loop(lambda j, t: j < i, inner_body, [tf.constant(0), s])
            return i + 1, t

        i, s = tf.while_loop(lambda i, s: i < n, outer_body, [tf.constant(0), tf.constant(0.0)])
        tf.identity(s, name="s")
        tf.identity(i, name="i")
        feeds = [{"n": np.int32(k), "x": np.float32(1.5)} for k in (0, 1, 4)]
        return ["s:0", "i:0"], feeds

    def cond_in_while():
        n = tf.placeholder(tf.int32, [], name="n")
        x = tf.placeholder(tf.float32, [], name="x")

        def body(i, acc):
            acc = tf.cond(tf.equal(i % 2, 0), lambda: acc + x, lambda: acc * 2.0)
            return i + 1, acc

        _, acc = tf.while_loop(lambda i, acc: i < n, body, [tf.constant(0), tf.constant(1.0)])
        tf.identity(acc, name="acc")
        feeds = [{"n": np.int32(k), "x": np.float32(0.5)} for k in (0, 3, 6)]
        return ["acc:0"], feeds

    def while_in_cond():
        n = tf.placeholder(tf.int32, [], name="n")

        def count():
            return tf.while_loop(lambda i: i < n, lambda i: i + 3, [tf.constant(0)])

        out = tf.cond(n > 5, count, lambda: n * 10)
        tf.identity(out, name="out")
        feeds = [{"n": np.int32(k)} for k in (2, 7, 11)]
        return ["out:0"], feeds

    return {f.__name__: f for f in (cond_simple, cond_nested, while_simple, while_nested,
                                    cond_in_while, while_in_cond)}


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    tf.disable_control_flow_v2()
    tf.disable_resource_variables()
    os.makedirs(OUT, exist_ok=True)
    for name, make in _cases(tf).items():
        with tf.Graph().as_default() as g:
            fetches, feeds = make()
            gd = g.as_graph_def()
            assert any(n.op == "Switch" for n in gd.node), name  # v1 control flow
            data = {"fetches": np.array(fetches)}
            with tf.Session() as sess:
                for k, feed in enumerate(feeds):
                    outs = sess.run(fetches, {f"{p}:0": v for p, v in feed.items()})
                    data.update({f"feed{k}__{p}": v for p, v in feed.items()})
                    data.update({f"out{k}__{i}": v for i, v in enumerate(outs)})
        with open(os.path.join(OUT, name + ".pb"), "wb") as f:
            f.write(gd.SerializeToString())
        np.savez(os.path.join(OUT, name + ".npz"), tf_version=np.array(tf.__version__), **data)
        print(name, len(gd.node), "nodes,", len(feeds), "feeds")


if __name__ == "__main__":
    main()
