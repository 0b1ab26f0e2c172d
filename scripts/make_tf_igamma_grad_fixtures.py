"""TensorFlow's d/da of the regularized incomplete gamma functions, which flowexec's tests
compare with (tests/data/tf1/igamma_grad/igamma_grad.npz).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_igamma_grad_fixtures.py

Saves, for dtype in (float32, float64), on the grid `a` x `x` (A, X flattened, elementwise):
  `<dtype>_a`, `<dtype>_x`: the grid;
  `<dtype>_igamma_grad_a`: tf.raw_ops.IgammaGradA(a, x);
  `<dtype>_digamma_da`, `<dtype>_digammac_da`: tf.gradients(igamma(a, x)) and
      tf.gradients(igammac(a, x)) with respect to a (same shapes: no reduction);
  `<dtype>_random_gamma_grad`: tf.raw_ops.RandomGammaGrad(alpha=a, sample=x);
and the broadcasting case `bcast_*` (float64): a of shape [3, 1], x of shape [4], weights w of
shape [3, 4]: the gradients of sum(w * igamma(a, x)) and sum(w * igammac(a, x)) with respect
to a and x; and `special_*`: IgammaGradA at TF's special values (x = 0, a <= 0, NaN, inf).
"""

import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "igamma_grad", "igamma_grad.npz")
A = [1e-3, 0.01, 0.1, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0, 20.0, 50.0, 100.0, 300.0, 1000.0]
X = [1e-4, 0.01, 0.1, 0.5, 0.9, 1.0, 1.1, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0,
     1000.0, 1200.0]
SPECIAL_A = [1.0, -1.0, 0.0, np.nan, 1.0, 1.0, 1.0, 2.0, np.inf]
SPECIAL_X = [0.0, 1.0, 1.0, 1.0, -1.0, np.inf, np.nan, 0.0, 3.0]


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    out = {}
    ga, gx = np.meshgrid(A, X, indexing="ij")
    with tf.Session() as sess:
        for dt in (np.float32, np.float64):
            key = np.dtype(dt).name
            a = tf.constant(ga.reshape(-1).astype(dt))
            x = tf.constant(gx.reshape(-1).astype(dt))
            fetch = {
                "igamma_grad_a": tf.raw_ops.IgammaGradA(a=a, x=x),
                "digamma_da": tf.gradients(tf.math.igamma(a, x), [a])[0],
                "digammac_da": tf.gradients(tf.math.igammac(a, x), [a])[0],
                "random_gamma_grad": tf.raw_ops.RandomGammaGrad(alpha=a, sample=x),
            }
            for name, v in sess.run(fetch).items():
                out[f"{key}_{name}"] = v
            out[f"{key}_a"] = ga.reshape(-1).astype(dt)
            out[f"{key}_x"] = gx.reshape(-1).astype(dt)
        rng = np.random.default_rng(0)
        ba = np.array([[0.7], [2.0], [6.5]])
        bx = np.array([0.4, 1.3, 3.0, 9.0])
        w = rng.standard_normal((3, 4))
        a, x = tf.constant(ba), tf.constant(bx)
        out.update(bcast_a=ba, bcast_x=bx, bcast_w=w)
        for fn in ("igamma", "igammac"):
            y = tf.reduce_sum(w * getattr(tf.math, fn)(a, x))
            da, dx = sess.run(tf.gradients(y, [a, x]))
            out[f"bcast_{fn}_da"], out[f"bcast_{fn}_dx"] = da, dx
        out["special_a"] = np.array(SPECIAL_A)
        out["special_x"] = np.array(SPECIAL_X)
        out["special_igamma_grad_a"] = sess.run(tf.raw_ops.IgammaGradA(
            a=tf.constant(SPECIAL_A, tf.float64), x=tf.constant(SPECIAL_X, tf.float64)))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
