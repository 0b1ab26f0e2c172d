"""TensorFlow's RandomIndexShuffle outputs, which flowexec's tests compare bit for bit
(tests/data/tf1/random_index_shuffle/random_index_shuffle.npz).

TensorFlow is never a flowexec dependency; run this with a scratch virtualenv's Python:

    /work/tfvenv/bin/python scripts/make_tf_random_index_shuffle_fixtures.py

Saves, per case k: `k_index`, `k_seed`, `k_max_index`, `k_rounds` (inputs) and `k_out`
(tf.random_index_shuffle of them): whole permutations of small ranges (block of 16 bits,
cycle walking), max_index 2**16 (where TF's block is one bit short), large max_index (block sizes 18 ... 64 bits), per-row seeds and max
indices, every index dtype, 4/6/8 rounds.
"""

import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "tf1", "random_index_shuffle",
                   "random_index_shuffle.npz")


def cases():
    rng = np.random.RandomState(7)
    yield "perm10", np.arange(10, dtype=np.int64), np.array([1, 2, 3]), np.int64(9), 4
    yield "perm1000_r8", np.arange(1000, dtype=np.int32), np.array([5, 0, 2 ** 31]), \
        np.int32(999), 8
    yield "max2pow16", np.r_[0:2 ** 16:97, 2 ** 16 - 3:2 ** 16 + 1].astype(np.int64), \
        np.array([9, 8, 7]), np.int64(2 ** 16), 4
    tops = np.array([2 ** b + rng.randint(1, 1000) for b in range(17, 63, 3)], np.uint64)
    yield "big_uint64", (tops // 3).astype(np.uint64), np.array([[3, 1, 4]] * len(tops),
                                                                np.uint64), tops, 6
    seeds = rng.randint(0, 2 ** 31, size=(20, 3)).astype(np.int64)
    yield "row_seeds_uint32", rng.randint(0, 500, 20).astype(np.uint32), seeds, \
        np.uint32(499), 4
    yield "scalar", np.int32(5), np.array([7, 8, 9], np.int32), np.int32(100), 4
    yield "zero_max", np.int64(0), np.array([1, 1, 1]), np.int64(0), 4
    yield "negative_seed_words", np.arange(5, dtype=np.int64), np.array([-1, -2, -3]), \
        np.int64(2 ** 33), 4


def main():
    import tensorflow.compat.v1 as tf

    tf.disable_eager_execution()
    out = {}
    with tf.Session() as sess:
        for key, index, seed, max_index, rounds in cases():
            out[f"{key}_index"], out[f"{key}_seed"] = index, seed
            out[f"{key}_max_index"], out[f"{key}_rounds"] = max_index, np.int64(rounds)
            out[f"{key}_out"] = sess.run(tf.random_index_shuffle(
                tf.constant(index), tf.constant(seed), tf.constant(max_index), rounds=rounds))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
