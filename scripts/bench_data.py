#!/usr/bin/env python3
"""tf.data benchmarks: what an input pipeline costs per element, and whether prefetch and
parallel map overlap. The same code runs on TensorFlow 1.x's API for a side-by-side figure.

    python scripts/bench_data.py                 # flowexec
    /path/to/tf-venv/bin/python scripts/bench_data.py --backend tf   # TensorFlow (compat.v1)

Workloads (µs are per `sess.run(get_next)` step unless said otherwise):
  D1 range          Dataset.range(n): the cost of one step that pulls one element
  D2 map            range(n).map(x * 2 + 1): one traced function call per element
  D3 slices-batch   from_tensor_slices(float32 [n, 784]).map(x / 255).batch(64): µs/batch
  D4 prefetch       a producer of ~5 ms/element (py_func sleeping) and a consumer step of
                    ~5 ms: epoch time without prefetch / with prefetch(1); 2.0 = full overlap
  D5 parallel map   a GIL-releasing numpy function (~4 ms/element), num_parallel_calls=4 vs
                    none: epoch time ratio (bounded by the cores the machine gives)

Every figure is the median of several repeats; "noise" is the interquartile range over the
median. The machine may be shared: read the noise column.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # D5's overlap must come from the pipeline, not BLAS threads

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def _backend(name):
    if name == "tf":
        import tensorflow.compat.v1 as tf

        tf.disable_eager_execution()
        tf.get_logger().setLevel("ERROR")
        return tf
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import flowexec as tf

    return tf


def _median_noise(samples):
    samples = sorted(samples)
    med = statistics.median(samples)
    if len(samples) >= 4:
        q = statistics.quantiles(samples, n=4)
        return med, (q[2] - q[0]) / med
    return med, 0.0


def _epoch(tf, ds, consumer_s=0.0):
    """Seconds to read `ds` to the end (an initializable iterator, initialized first)."""
    it = tf.data.make_initializable_iterator(ds)
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        sess.run(nxt)  # plans built, threads started
        n = 1
        t0 = time.perf_counter()
        while True:
            try:
                sess.run(nxt)
            except tf.errors.OutOfRangeError:
                break
            if consumer_s:
                time.sleep(consumer_s)
            n += 1
        return time.perf_counter() - t0, n - 1


def _per_step(tf, make, repeats):
    samples = []
    for _ in range(repeats):
        with tf.Graph().as_default():
            secs, n = _epoch(tf, make())
        samples.append(secs / n * 1e6)
    return _median_noise(samples)


def _ratio(tf, make_a, make_b, repeats, consumer_s=0.0):
    samples = []
    for _ in range(repeats):
        with tf.Graph().as_default():
            a, _ = _epoch(tf, make_a(), consumer_s)
        with tf.Graph().as_default():
            b, _ = _epoch(tf, make_b(), consumer_s)
        samples.append(a / b)
    return _median_noise(samples)


def run(tf, repeats):
    results = {}
    results["D1 range (µs/step)"] = _per_step(tf, lambda: tf.data.Dataset.range(3000),
                                              repeats)
    results["D2 map (µs/step)"] = _per_step(
        tf, lambda: tf.data.Dataset.range(3000).map(lambda x: x * 2 + 1), repeats)
    images = np.random.default_rng(0).integers(0, 255, (6400, 784)).astype(np.float32)
    results["D3 slices-batch (µs/batch)"] = _per_step(
        tf, lambda: tf.data.Dataset.from_tensor_slices(images).map(lambda x: x / 255.0)
        .batch(64), repeats)

    def slow(x):
        time.sleep(0.005)
        return x

    def producer():
        return tf.data.Dataset.range(40).map(lambda x: tf.py_func(slow, [x], tf.int64))
    results["D4 prefetch (no prefetch / prefetch)"] = _ratio(
        tf, producer, lambda: producer().prefetch(1), repeats, consumer_s=0.005)

    m = np.random.default_rng(1).standard_normal((160, 160))

    def work(x):
        for _ in range(4):
            np.linalg.qr(m)  # LAPACK releases the GIL
        return x

    def mapped(parallel):
        return tf.data.Dataset.range(48).map(lambda x: tf.py_func(work, [x], tf.int64),
                                             num_parallel_calls=parallel)
    results["D5 parallel map (sequential / 4 calls)"] = _ratio(
        tf, lambda: mapped(None), lambda: mapped(4), repeats)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["flowexec", "tf"], default="flowexec")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(_backend(args.backend), args.repeats)
    if args.json:
        print(json.dumps({k: {"median": m, "noise": n} for k, (m, n) in results.items()}))
    else:
        print(f"backend: {args.backend}, {args.repeats} repeats")
        for name, (med, noise) in results.items():
            print(f"  {name:42s} {med:10.2f}   noise {noise:5.1%}")
    return results


if __name__ == "__main__":
    main()
