#!/usr/bin/env python3
"""Train a small MLP classifier with flowexec on the devices this machine has.

    python scripts/train_mlp.py [--steps 300] [--batch-size 128] [--lr 0.01] [--seed 0]

A TF1-style program, unchanged from what one would write for TensorFlow: placeholders,
Variables, `tf.train.AdamOptimizer(...).minimize(loss)` and `Session.run`. The data is a
synthetic 3-class spiral (no download). It lists the devices found, trains, and prints the
loss, the final accuracy and the step rate.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import devices  # noqa: E402
import flowexec as tf  # noqa: E402


def spiral(n_per_class, classes, rng):
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, 0.15, n_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(y))
    return x[order], y[order]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print("devices found:")
    for d in devices.list_local_devices():
        print(f"  {d.name:<16} {d.device_type:<4} {d.physical_device_desc}")

    rng = np.random.default_rng(args.seed)
    x_all, y_all = spiral(600, 3, rng)
    split = int(0.8 * len(y_all))
    x_train, y_train, x_test, y_test = (x_all[:split], y_all[:split], x_all[split:],
                                        y_all[split:])

    tf.reset_default_graph()
    tf.set_random_seed(args.seed)
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.placeholder(tf.int64, [None], name="y")
    h = x
    for i, width in enumerate([args.hidden, args.hidden]):
        with tf.variable_scope(f"dense{i}"):
            w = tf.get_variable("w", [h.shape[1], width])
            b = tf.get_variable("b", [width], initializer=tf.zeros_initializer())
            h = tf.nn.relu(tf.matmul(h, w) + b)
    with tf.variable_scope("logits"):
        w = tf.get_variable("w", [args.hidden, 3])
        b = tf.get_variable("b", [3], initializer=tf.zeros_initializer())
        logits = tf.matmul(h, w) + b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y,
                                                                         logits=logits))
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(args.lr).minimize(loss, global_step=global_step)

    # One BLAS thread per op: the executor overlaps independent ops itself, and BLAS threads
    # waking for small matmuls cost more than they save.
    config = tf.ConfigProto(intra_op_parallelism_threads=1)
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())
        t0 = time.perf_counter()
        for step in range(1, args.steps + 1):
            idx = rng.integers(0, len(y_train), args.batch_size)
            loss_v, _ = sess.run([loss, train_op], {x: x_train[idx], y: y_train[idx]})
            if step % max(args.steps // 10, 1) == 0 or step == 1:
                print(f"step {step:5d}  loss {loss_v:.4f}")
        elapsed = time.perf_counter() - t0
        acc = sess.run(accuracy, {x: x_test, y: y_test})
        print(f"test accuracy {acc:.3f}  ({args.steps / elapsed:.0f} steps/s, "
              f"{args.steps * args.batch_size / elapsed:.0f} examples/s, "
              f"global_step {sess.run(global_step)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
