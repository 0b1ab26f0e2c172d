"""Per-step latency of a tiny op on a parameter server, against a local session and numpy
(measured, never asserted).

Rows (each the median of --repeats timings of --steps steps, with the interquartile range):
    numpy     the op itself, `x * 2 + 1` on a 4-element array, in numpy
    local     Session.run of the op, fed x, in an in-process session
    remote    the op placed on /job:ps/task:0 of a ps + worker cluster, run from a session
              on the worker's target: feed to the ps, op, fetch back (one step per run)

With --tf it runs the same rows on TensorFlow's own runtime (tensorflow.compat.v1 from a
scratch virtualenv; its servers listen on 127.0.0.1 ports, gRPC on loopback), for the
side-by-side number: `/work/tfvenv/bin/python scripts/bench_distributed.py --tf`.
flowexec's cluster is the in-process backend (threads, no sockets), or with --backend ray
each task a Ray actor (its own process; a Ray cluster on 127.0.0.1 that the script starts
and stops). Run Ray and TF's gRPC inside a loopback-only network namespace:

    unshare --net sh -c 'ip link set lo up; RAY_USAGE_STATS_ENABLED=0 PYTHONPATH=$PWD \
        python scripts/bench_distributed.py --backend ray --steps 300'

Usage: PYTHONPATH=$PWD python scripts/bench_distributed.py [--steps 2000] [--repeats 7]
       [--tf | --backend {local,ray}]
"""

import argparse
import socket
import time

import numpy as np


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _import(use_tf):
    if use_tf:
        import tensorflow.compat.v1 as tf
        tf.disable_eager_execution()
        tf.logging.set_verbosity(tf.logging.ERROR)
        return tf
    import flowexec as tf
    return tf


def _time(run, steps):
    run()
    t0 = time.perf_counter()
    for _ in range(steps):
        run()
    return (time.perf_counter() - t0) / steps * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--tf", action="store_true", help="run on TensorFlow instead")
    parser.add_argument("--backend", choices=("local", "ray"), default="local",
                        help="flowexec's task backend")
    args = parser.parse_args()
    tf = _import(args.tf)
    kwargs = {} if args.tf else {"backend": args.backend}
    value = np.arange(4, dtype=np.float32)

    cluster = tf.train.ClusterSpec({"ps": [f"localhost:{_free_port()}"],
                                    "worker": [f"localhost:{_free_port()}"]})
    servers = [tf.train.Server(cluster, job_name=j, task_index=0, **kwargs)
               for j in ("ps", "worker")]
    # Two graphs: TF's DirectSession places the whole graph, ps ops included.
    g_local, g_remote = tf.Graph(), tf.Graph()
    with g_local.as_default():
        x_local = tf.placeholder(tf.float32, [4])
        y_local = x_local * 2.0 + 1.0
    with g_remote.as_default():
        x = tf.placeholder(tf.float32, [4])
        with tf.device("/job:ps/task:0"):
            y_remote = x * 2.0 + 1.0
    local = tf.Session(graph=g_local)
    remote = tf.Session(servers[1].target, graph=g_remote)
    rows = {
        "numpy": lambda: value * 2.0 + 1.0,
        "local": lambda: local.run(y_local, {x_local: value}),
        "remote": lambda: remote.run(y_remote, {x: value}),
    }
    np.testing.assert_array_equal(rows["remote"](), value * 2 + 1)
    print(f"{'TensorFlow' if args.tf else 'flowexec ' + args.backend}: us per step, median and IQR of "
          f"{args.repeats} x {args.steps} steps")
    for name, run in rows.items():
        times = [_time(run, args.steps) for _ in range(args.repeats)]
        q1, med, q3 = np.percentile(times, [25, 50, 75])
        print(f"{name:<8} {med:>10.1f} {q3 - q1:>10.1f}")
    if not args.tf:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
