"""Writes tests/data/tf1/sparse/optimizers.npz: what TensorFlow's TF 1.x optimizers do with
the sparse (IndexedSlices) gradient of an embedding lookup with repeated ids.

TensorFlow is never a dependency: run this by hand with a scratch virtualenv that has it,

    /work/tfvenv/bin/python scripts/make_tf_sparse_fixtures.py

For each optimizer configuration in CASES it builds, in tf.compat.v1 graph mode with ref
variables, `loss = sum(c * embedding_lookup(w, ids)^2) + sum(d * embedding_lookup(w, ids))`
over a [10, 4] float32 table, runs STEPS steps of `minimize` (ids fed per step, repeats
included), and saves the variable and every slot (`<case>/var`, `<case>/<slot name>`), and
the first step's gradient (`grad/values`, `grad/indices`, `grad/dense_shape`).
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "tests", "data", "tf1", "sparse", "optimizers.npz")

ROWS, DIM = 10, 4
IDS = [[1, 4, 4, 7], [4, 0, 4, 4], [9, 1, 1, 2]]   # one batch per step, repeats included
STEPS = len(IDS)


def inputs():
    rng = np.random.RandomState(7)
    w0 = rng.uniform(-1, 1, (ROWS, DIM)).astype(np.float32)
    c = rng.uniform(0.5, 1.5, (4, DIM)).astype(np.float32)
    d = rng.uniform(-1, 1, (4, DIM)).astype(np.float32)
    return w0, c, d


# name -> (optimizer class name, kwargs); AdagradDA also gets the global step
CASES = {
    "sgd": ("GradientDescentOptimizer", {"learning_rate": 0.1}),
    "momentum": ("MomentumOptimizer", {"learning_rate": 0.1, "momentum": 0.9}),
    "nesterov": ("MomentumOptimizer", {"learning_rate": 0.1, "momentum": 0.9,
                                       "use_nesterov": True}),
    "adam": ("AdamOptimizer", {"learning_rate": 0.05}),
    "adagrad": ("AdagradOptimizer", {"learning_rate": 0.1}),
    "adadelta": ("AdadeltaOptimizer", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}),
    "rmsprop": ("RMSPropOptimizer", {"learning_rate": 0.01, "decay": 0.9, "momentum": 0.5,
                                     "epsilon": 1e-6}),
    "rmsprop_centered": ("RMSPropOptimizer", {"learning_rate": 0.01, "decay": 0.9,
                                              "momentum": 0.5, "epsilon": 1e-6,
                                              "centered": True}),
    "ftrl": ("FtrlOptimizer", {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
                               "l2_regularization_strength": 0.02}),
    "ftrl_power": ("FtrlOptimizer", {"learning_rate": 0.1, "learning_rate_power": -0.3,
                                     "l1_regularization_strength": 0.01}),
    "ftrl_shrinkage": ("FtrlOptimizer", {"learning_rate": 0.1,
                                         "l1_regularization_strength": 0.01,
                                         "l2_regularization_strength": 0.02,
                                         "l2_shrinkage_regularization_strength": 0.05}),
    "proximal_gd": ("ProximalGradientDescentOptimizer", {
        "learning_rate": 0.1, "l1_regularization_strength": 0.01,
        "l2_regularization_strength": 0.02}),
    "proximal_adagrad": ("ProximalAdagradOptimizer", {
        "learning_rate": 0.1, "l1_regularization_strength": 0.01,
        "l2_regularization_strength": 0.02}),
    "adagrad_da": ("AdagradDAOptimizer", {"learning_rate": 0.1,
                                          "l1_regularization_strength": 0.01,
                                          "l2_regularization_strength": 0.02}),
    "adagrad_da_no_l1": ("AdagradDAOptimizer", {"learning_rate": 0.1}),
}


def build(tf, case):
    """The case's model and train op in the default graph of `tf` (TensorFlow's compat.v1 or
    flowexec, which tests/train/test_sparse_optimizers.py passes): (w, ids, grad, opt, train)."""
    cls, kwargs = CASES[case]
    w0, c, d = inputs()
    w = tf.Variable(w0, name="w")
    ids = tf.placeholder(tf.int32, [4], name="ids")
    e = tf.nn.embedding_lookup(w, ids)
    loss = tf.reduce_sum(c * tf.square(e)) + tf.reduce_sum(d * e)
    step = tf.train.get_or_create_global_step()
    kw = dict(kwargs)
    if cls == "AdagradDAOptimizer":
        kw["global_step"] = step
    opt = getattr(tf.train, cls)(**kw)
    (g, _), = opt.compute_gradients(loss, [w])
    assert isinstance(g, tf.IndexedSlices), g
    train = opt.apply_gradients([(g, w)], global_step=step)
    return w, ids, g, opt, train


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    w0, c, d = inputs()
    out = {"w0": w0, "c": c, "d": d, "ids": np.asarray(IDS, np.int32)}
    for case in CASES:
        with tf.Graph().as_default():
            w, ids, g, opt, train = build(tf, case)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                if case == "sgd":
                    gv = sess.run(g, {ids: IDS[0]})
                    out["grad/values"], out["grad/indices"] = gv.values, gv.indices
                    out["grad/dense_shape"] = gv.dense_shape
                for batch in IDS:
                    sess.run(train, {ids: batch})
                out[f"{case}/var"] = sess.run(w)
                for slot in opt.get_slot_names():
                    out[f"{case}/{slot}"] = sess.run(opt.get_slot(w, slot))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez(OUT, **out)
    print(f"{len(out)} arrays -> {OUT}")


if __name__ == "__main__":
    main()
