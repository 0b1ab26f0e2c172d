"""W8's TensorFlow reference: the same LeNet SGD step (scripts/bench_cnn.py) on TensorFlow's
CPU kernels through tf.compat.v1, on one thread (intra- and inter-op parallelism 1), next to
the numpy floor in the same process.

TensorFlow is never a flowexec dependency: run this with a scratch virtualenv's Python,

    /work/tfvenv/bin/python scripts/bench_tf_reference.py [--repeats 11] [--json] [--cpu-time]

and compare its ms/step with `python scripts/bench.py W8` on the same machine.
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
from bench_cnn import build_lenet, make_data, numpy_step, time_steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time the process's CPU time instead of wall time")
    args = parser.parse_args(argv)
    if args.cpu_time:
        bench_cnn.CLOCK = time.process_time
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    x, y, params = make_data()
    g = tf.Graph()
    with g.as_default():
        xp, yp, loss, train = build_lenet(tf, params)
        config = tf.ConfigProto(intra_op_parallelism_threads=1,
                                inter_op_parallelism_threads=1)
        sess = tf.Session(graph=g, config=config)
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
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"W8 TensorFlow {result['tensorflow']} CPU, 1 thread: {result['tf_ms']:.1f} ms/step "
              f"(noise {result['tf_noise']:.1%}); numpy floor {result['numpy_ms']:.1f} ms "
              f"(noise {result['numpy_noise']:.1%}); TF/numpy {result['tf_over_numpy']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
