"""Saver save/restore time of TF's V2 format (the default) against flowexec's own format
(write_version=V1), for 20 float32 variables of 500x1000 (40 MB), in one process.

    PYTHONPATH=$PWD python scripts/bench_saver.py [--repeats 7]

Prints the median, min and max of each, in ms (files in a temporary directory; the times
include fsyncs, so they depend on the disk and on the machine's load).
"""

import argparse
import statistics
import tempfile
import time

import numpy as np

import flowexec as tf


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    for i in range(20):
        tf.Variable(np.random.RandomState(i).randn(500, 1000).astype(np.float32), name=f"v{i}")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for label, version in (("V2 (TF bundle)", tf.train.SaverDef.V2),
                               ("V1 (flowexec npz)", tf.train.SaverDef.V1)):
            saver = tf.train.Saver(write_version=version)
            directory = tempfile.mkdtemp()
            saves, restores = [], []
            for _ in range(args.repeats):
                t = time.perf_counter()
                path = saver.save(sess, directory + "/m", write_meta_graph=False)
                saves.append(time.perf_counter() - t)
                t = time.perf_counter()
                saver.restore(sess, path)
                restores.append(time.perf_counter() - t)
            print(f"{label:18s} save {_ms(saves)}   restore {_ms(restores)}")


def _ms(times):
    return (f"median {statistics.median(times) * 1e3:.0f} ms (min {min(times) * 1e3:.0f}, "
            f"max {max(times) * 1e3:.0f})")


if __name__ == "__main__":
    main()
