#!/usr/bin/env python3
"""TensorFlow's reference for scripts/bench_dist_train.py: between-graph data-parallel
training of the digits CNN on TensorFlow's own gRPC runtime, examples/s of two worker
processes against one, on the same machine.

TensorFlow is never a flowexec dependency: run this with a scratch virtualenv's Python
(tensorflow-cpu, used through `tensorflow.compat.v1` in graph mode),

    /work/tfvenv/bin/python scripts/bench_tf_dist_train.py [--steps 300] [--repeats 3]
        [--batch-size 128] [--intra-op 1] [--inter-op 2] [--time-limit 600]

and compare with `python scripts/bench_dist_train.py` on the same machine.

What runs is what bench_dist_train.py runs, on TensorFlow: one ps process
(`tf.train.Server(...).join()`) and one process per worker (its own Server, graph and
Session on its server), `replica_device_setter` (variables and Adam's slots on the ps),
asynchronous Adam steps of batch `--batch-size`, each worker timed over `--steps` steps
after a warm-up, and the same window rule (`bench_dist_train.examples_per_s`). The
model is train_digits.py's `--model cnn` (conv 3x3x32 SAME + ReLU, 2x2 max pool, conv
3x3x64 SAME + ReLU, 2x2 max pool, dense 128 + ReLU, dense 10), written with `tf.nn`
because TensorFlow 2's `tf.compat.v1.layers` needs Keras 2. The data are digits-shaped
(1,437 x 64 in [0, 1], 10 classes) random numbers: the figure is speed only, and the
scratch virtualenv needs no scikit-learn. Each round starts a fresh cluster (TF servers
cannot leave one); rounds alternate one worker and two workers.

`--intra-op` / `--inter-op` are the servers' ConfigProto thread counts (0: TF's
defaults, every core per process); each process has one BLAS thread, as in
bench_dist_train.py.

gRPC listens on localhost only, and the script re-runs itself inside a network namespace
with nothing but loopback (`unshare --net`, as bench_dist_train.py does).
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_dist_train import (  # noqa: E402
    CLUSTER, examples_per_s, get_ready, print_rates, _read_json, rerun_in_loopback_namespace, stop,
    tell)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
NUM_EXAMPLES, NUM_FEATURES, NUM_CLASSES, HIDDEN = 1437, 64, 10, 128


def _tf():
    import tensorflow.compat.v1 as tf
    tf.disable_eager_execution()
    return tf


def _config(tf, intra, inter, device_filters=()):
    return tf.ConfigProto(intra_op_parallelism_threads=intra,
                          inter_op_parallelism_threads=inter,
                          device_filters=list(device_filters))


def _cluster(tf, workers):
    return tf.train.ClusterSpec({"ps": CLUSTER["ps"], "worker": CLUSTER["worker"][:workers]})


def build_cnn(tf, x, batch_size):
    """train_digits's cnn on `tf.nn` (the module docstring)."""
    init = tf.glorot_uniform_initializer(seed=0)

    def var(name, shape, initializer=init):
        return tf.get_variable(name, shape, initializer=initializer)

    zeros = tf.zeros_initializer()
    h = tf.reshape(x, [-1, 8, 8, 1])
    h = tf.nn.relu(tf.nn.conv2d(h, var("conv0/kernel", [3, 3, 1, 32]), 1, "SAME")
                   + var("conv0/bias", [32], zeros))
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.nn.relu(tf.nn.conv2d(h, var("conv1/kernel", [3, 3, 32, 64]), 1, "SAME")
                   + var("conv1/bias", [64], zeros))
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.nn.relu(tf.matmul(tf.reshape(h, [batch_size, 2 * 2 * 64]),
                             var("dense0/kernel", [2 * 2 * 64, HIDDEN]))
                   + var("dense0/bias", [HIDDEN], zeros))
    return tf.matmul(h, var("logits/kernel", [HIDDEN, NUM_CLASSES])) + \
        var("logits/bias", [NUM_CLASSES], zeros)


def worker(index, workers, batch_size, warmup, steps, intra, inter):
    """Trains `steps` timed steps when told "go"; prints one JSON line."""
    import numpy as np
    tf = _tf()
    cluster = _cluster(tf, workers)
    server = tf.train.Server(cluster, "worker", index, config=_config(tf, intra, inter))
    with tf.device(tf.train.replica_device_setter(
            cluster=cluster, worker_device=f"/job:worker/task:{index}")):
        x = tf.placeholder(tf.float32, [batch_size, NUM_FEATURES])
        y = tf.placeholder(tf.int64, [batch_size])
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=build_cnn(tf, x, batch_size)))
        train_op = tf.train.AdamOptimizer(1e-3).minimize(
            loss, global_step=tf.train.get_or_create_global_step())
        init = tf.global_variables_initializer()
        uninitialized = tf.report_uninitialized_variables()
    rng = np.random.default_rng(0)
    x_all = rng.random((NUM_EXAMPLES, NUM_FEATURES), dtype=np.float32)
    y_all = rng.integers(0, NUM_CLASSES, NUM_EXAMPLES)
    half = NUM_EXAMPLES // 2
    mine = np.arange(index * half, (index + 1) * half)
    batches = [np.random.default_rng([index, k]).choice(mine, batch_size, replace=False)
               for k in range(64)]
    feeds = [{x: x_all[b], y: y_all[b]} for b in batches]
    config = _config(tf, intra, inter, ["/job:ps", f"/job:worker/task:{index}"])
    with tf.Session(server.target, config=config) as sess:
        get_ready(sess, index, init, uninitialized, train_op, feeds, warmup)
        sys.stdin.readline()
        start, ends = time.monotonic(), []
        for i in range(steps):
            sess.run(train_op, feeds[i % len(feeds)])
            ends.append(time.monotonic())
        print(json.dumps({"worker": index, "start": start, "ends": ends}), flush=True)
        sys.stdin.readline()    # stay up until every worker has finished


def ps(intra, inter):
    tf = _tf()
    server = tf.train.Server(_cluster(tf, 2), "ps", 0, config=_config(tf, intra, inter))
    print(json.dumps({"ready": "ps"}), flush=True)
    server.join()


def _start(*args):
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), *map(str, args)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def one_round(workers, args, deadline):
    """Examples/s of one fresh cluster with `workers` workers."""
    threads = (args.intra_op, args.inter_op)
    procs = [_start("ps", *threads)]
    try:
        _read_json(procs[0], deadline)
        for i in range(workers):
            procs.append(_start("worker", i, workers, args.batch_size, args.warmup,
                                args.steps, *threads))
        for p in procs[1:]:
            _read_json(p, deadline)
        tell(procs[1:], "go")
        results = [_read_json(p, deadline) for p in procs[1:]]
        tell(procs[1:], "done")
        for p in procs[1:]:
            p.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        stop(procs)
    return examples_per_s(results, args.batch_size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128, help="per worker")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--intra-op", type=int, default=1, help="0: TF's default")
    parser.add_argument("--inter-op", type=int, default=2, help="0: TF's default")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds, in all")
    args = parser.parse_args()
    rerun_in_loopback_namespace("bench_tf_dist_train", __file__, args.time_limit, os.environ)
    deadline = time.monotonic() + args.time_limit
    load_before = os.getloadavg()
    rates = {1: [], 2: []}
    for _ in range(args.repeats):
        for n in (1, 2):
            rates[n].append(one_round(n, args, deadline))
    print_rates(f"TensorFlow {_tf().VERSION} gRPC, between-graph (1 ps + n worker processes), "
                f"the digits CNN, Adam, batch {args.batch_size} per worker, servers' threads "
                f"intra {args.intra_op} / inter {args.inter_op}; examples/s over {args.steps} "
                f"steps, median [min, max] of {args.repeats} rounds", rates)
    print(f"  load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} "
          f"({os.cpu_count()} cores)")


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else None
    if role == "ps":
        ps(int(sys.argv[2]), int(sys.argv[3]))
    elif role == "worker":
        worker(*map(int, sys.argv[2:9]))
    else:
        main()
