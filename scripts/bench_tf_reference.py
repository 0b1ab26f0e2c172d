"""TensorFlow references: W8's LeNet SGD step (scripts/bench_cnn.py) and W11's dynamic_rnn
LSTM, forward and forward+backward (scripts/bench_lstm.py), on TensorFlow's CPU kernels
through tf.compat.v1, on one thread (intra- and inter-op parallelism 1), next to the numpy
floor in the same process.

TensorFlow is never a flowexec dependency: run this with a scratch virtualenv's Python,

    /work/tfvenv/bin/python scripts/bench_tf_reference.py [W8] [W11] [--repeats 11] [--json]
        [--cpu-time]

and compare its ms/step with `python scripts/bench.py W8 W11` on the same machine.
"""

import argparse
import json
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np

import bench_cnn
import bench_lstm
from bench_cnn import build_lenet, make_data, numpy_step, time_steps


def _session(tf, g):
    config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    return tf.Session(graph=g, config=config)


def w11(tf, args):
    """W11 on TensorFlow: dynamic_rnn BasicLSTMCell forward and forward+backward."""
    x, kernel, bias = bench_lstm.make_data()
    g = tf.Graph()
    with g.as_default():
        outputs, grads, variables = bench_lstm.build_lstm(tf, x)
        sess = _session(tf, g)
        for v, value in zip(variables, (kernel, bias)):
            v.load(value, sess)
    got = sess.run([outputs] + grads)
    bench_lstm.check(got[0], got[1:], x, kernel, bias)
    r = time_steps({"tf": lambda: sess.run(outputs), "tf_grad": lambda: sess.run([outputs] + grads),
                    "numpy": lambda: bench_lstm.numpy_forward(x, kernel, bias),
                    "numpy_grad": lambda: bench_lstm.numpy_forward_backward(x, kernel, bias)},
                   args.repeats, number=1)
    result = {"name": "W11-tf", "tensorflow": tf.__version__ if hasattr(tf, "__version__")
              else "unknown", **{f"{k}_ms": v[0] * 1e3 for k, v in r.items()},
              **{f"{k}_noise": v[1] for k, v in r.items()}}
    if not args.json:
        print(f"W11 TensorFlow {result['tensorflow']} CPU, 1 thread: forward "
              f"{result['tf_ms']:.2f} ms (noise {result['tf_noise']:.1%}), forward+backward "
              f"{result['tf_grad_ms']:.2f} ms (noise {result['tf_grad_noise']:.1%}); numpy "
              f"{result['numpy_ms']:.2f} / {result['numpy_grad_ms']:.2f} ms")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workloads", nargs="*", default=["W8"], help="W8 and/or W11")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the process's CPU time instead of wall time")
    args = parser.parse_args(argv)
    if args.cpu_time:
        bench_cnn.CLOCK = time.process_time
    os.environ["TF_USE_LEGACY_KERAS"] = "1"  # TF 2.16+: tf.compat.v1.nn.rnn_cell needs tf_keras
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    results = []
    for w in args.workloads:
        if w.upper() not in ("W8", "W11"):
            parser.error(f"unknown workload {w!r}; choose from W8 W11")
        results.append(w8(tf, args) if w.upper() == "W8" else w11(tf, args))
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    return 0


def w8(tf, args):
    """W8 on TensorFlow: the LeNet SGD step."""
    x, y, params = make_data()
    g = tf.Graph()
    with g.as_default():
        xp, yp, loss, train = build_lenet(tf, params)
        sess = _session(tf, g)
        sess.run(tf.global_variables_initializer())
    feed = {xp: x, yp: y}
    ref = {k: v.copy() for k, v in params.items()}
    l_np = numpy_step(ref, x, y)
    l_tf, _ = sess.run([loss, train], feed)
    assert np.isclose(l_np, l_tf, rtol=1e-3), (l_np, l_tf)
    r = time_steps({"tf": lambda: sess.run(train, feed),
                    "numpy": lambda: numpy_step(ref, x, y)}, args.repeats)
    result = {"name": "W8-tf", "tensorflow": tf.__version__ if hasattr(tf, "__version__")
              else "unknown", "tf_ms": r["tf"][0] * 1e3, "tf_noise": r["tf"][1],
              "numpy_ms": r["numpy"][0] * 1e3, "numpy_noise": r["numpy"][1],
              "tf_over_numpy": r["tf"][0] / r["numpy"][0]}
    if not args.json:
        print(f"W8 TensorFlow {result['tensorflow']} CPU, 1 thread: {result['tf_ms']:.1f} ms/step "
              f"(noise {result['tf_noise']:.1%}); numpy floor {result['numpy_ms']:.1f} ms "
              f"(noise {result['numpy_noise']:.1%}); TF/numpy {result['tf_over_numpy']:.2f}x")
    return result


if __name__ == "__main__":
    sys.exit(main())
