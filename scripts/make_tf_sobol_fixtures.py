"""TensorFlow's SobolSample points, which flowexec's tests compare bit for bit
(tests/data/tf1/sobol/sobol.npz).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_sobol_fixtures.py

Saves, for each (dim, num_results, skip) in CASES, `d<dim>_n<num_results>_s<skip>`:
tf.math.sobol_sample(dim, num_results, skip, dtype=float64) (dims 1 to 10, a few larger, up
to TF's limit 21200), and `f32_d3_n8_s1` in float32.
"""

import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "sobol", "sobol.npz")
CASES = [(1, 40, 0), (2, 33, 5), (3, 16, 0), (4, 9, 2), (5, 64, 0), (6, 5, 31), (7, 8, 7),
         (8, 12, 100), (9, 20, 0), (10, 100, 17), (10, 7, 1000), (40, 10, 3), (1111, 3, 0),
         (21200, 2, 9)]


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    out = {}
    with tf.Session() as sess:
        for dim, n, skip in CASES:
            out[f"d{dim}_n{n}_s{skip}"] = sess.run(
                tf.math.sobol_sample(dim, n, skip=skip, dtype=tf.float64))
        out["f32_d3_n8_s1"] = sess.run(tf.math.sobol_sample(3, 8, skip=1))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
