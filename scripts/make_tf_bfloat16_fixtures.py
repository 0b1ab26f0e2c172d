"""TensorFlow's bfloat16 conversions, which flowexec's tests compare bit for bit
(tests/data/tf1/bfloat16/bfloat16.npz).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_bfloat16_fixtures.py

Saves `x` (float32 inputs: rounding ties, NaN, infinities, denormals, the largest finite
values), `to_bits` (tf.cast(x, bfloat16) as uint16 bits), `back` (tf.cast of those bfloat16
values to float32), `ints` / `ints_bits` (int32 -> bfloat16), `deq_bits` (tf.dequantize of
`deq_q` (quint8) in [-1, 2] with dtype=bfloat16).
"""

import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "bfloat16", "bfloat16.npz")


def inputs():
    ties = [1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 1 + 2 ** -8 + 2 ** -20, 2 ** -130,
            1e-40, -0.0, 0.0, 3.3895314e38, 3.4028235e38, np.inf, -np.inf, np.nan, 65504.0,
            0.1, -2.5, 1 / 3]
    rng = np.random.RandomState(3)
    return np.concatenate([np.array(ties, np.float32),
                           (rng.randn(40) * 10 ** rng.uniform(-5, 5, 40)).astype(np.float32)])


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    x = inputs()
    ints = np.array([0, 1, -1, 257, 256 + 128, 2 ** 24 + 1, -(2 ** 31), 2 ** 31 - 1], np.int32)
    deq_q = np.arange(0, 256, 7, dtype=np.uint8)
    with tf.Graph().as_default(), tf.Session() as sess:
        b = tf.cast(tf.constant(x), tf.bfloat16)
        bi = tf.to_bfloat16(tf.constant(ints))
        d = tf.dequantize(tf.bitcast(tf.constant(deq_q), tf.quint8), -1.0, 2.0,
                          dtype=tf.bfloat16)
        to_bits, back, ints_bits, deq_bits = sess.run(
            [tf.bitcast(b, tf.uint16), tf.cast(b, tf.float32), tf.bitcast(bi, tf.uint16),
             tf.bitcast(d, tf.uint16)])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez(OUT, x=x, to_bits=to_bits, back=back, ints=ints, ints_bits=ints_bits,
             deq_q=deq_q, deq_bits=deq_bits)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
