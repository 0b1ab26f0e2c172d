"""Writes tests/data/tf1/seq2seq/gather_tree.json: GatherTree cases and TF's results.

GatherTree (tf.contrib.seq2seq.gather_tree) was a contrib op: TF 2.x builds have neither
the op (no `tf.raw_ops.GatherTree`) nor contrib, and tensorflow_addons (whose
`tfa.seq2seq.gather_tree` wraps its own copy of the kernel) is not installed here. So:

- when `tensorflow_addons` imports, every case's `beams` is recorded from it;
- otherwise the cases carry the results that TF 1.15's own kernel test asserts
  (tensorflow/contrib/seq2seq/python/kernel_tests/beam_search_ops_test.py:
  testGatherTreeOne, testBadParentValuesOnCPU) and the script records nothing else.

Run: /work/tfvenv/bin/python scripts/make_tf_seq2seq_fixtures.py
"""

import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "tf1", "seq2seq",
                   "gather_tree.json")


def _time_major(batch_major):
    return np.transpose(np.asarray(batch_major, np.int32), [1, 0, 2]).tolist()


# Batch-major [batch, time, beam] inputs, as TF's kernel test writes them.
TF115_CASES = [
    {"name": "tf115_gather_tree_one",
     "step_ids": _time_major([[[1, 2, 3], [4, 5, 6], [7, 8, 9], [-1, -1, -1]]]),
     "parent_ids": _time_major([[[0, 0, 0], [0, 1, 1], [2, 1, 2], [-1, -1, -1]]]),
     "max_sequence_lengths": [3], "end_token": 10,
     "beams": _time_major([[[2, 2, 2], [6, 5, 6], [7, 8, 9], [10, 10, 10]]])},
    {"name": "tf115_bad_parent_cpu",
     "step_ids": _time_major([[[1, 2, 3], [4, 5, 6], [7, 8, 9], [-1, -1, -1]]]),
     "parent_ids": _time_major([[[0, 0, 0], [0, -1, 1], [2, 1, 2], [-1, -1, -1]]]),
     "max_sequence_lengths": [3], "end_token": 10,
     "error": r"parent id -1 at \(batch, time, beam\) == \(0, 0, 1\)"},
]


def _extra_cases():
    rng = np.random.RandomState(7)
    cases = []
    for k, (t, b, w, end) in enumerate([(5, 3, 4, 3), (6, 2, 3, 0), (4, 4, 2, 1)]):
        cases.append({"name": f"random_{k}",
                      "step_ids": rng.randint(0, end + 3, size=(t, b, w)).tolist(),
                      "parent_ids": rng.randint(0, w, size=(t, b, w)).tolist(),
                      "max_sequence_lengths": rng.randint(0, t + 2, size=(b,)).tolist(),
                      "end_token": end})
    return cases


def main():
    cases = list(TF115_CASES)
    source = "TF 1.15 kernel test (beam_search_ops_test.py) expected values"
    try:
        import tensorflow_addons as tfa
    except ImportError:
        tfa = None
    if tfa is not None:
        source = f"tensorflow_addons {tfa.__version__} tfa.seq2seq.gather_tree"
        for case in _extra_cases():
            case["beams"] = np.asarray(tfa.seq2seq.gather_tree(
                np.asarray(case["step_ids"], np.int32), np.asarray(case["parent_ids"], np.int32),
                np.asarray(case["max_sequence_lengths"], np.int32),
                np.int32(case["end_token"]))).tolist()
            cases.append(case)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"source": source, "layout": "time-major [max_time, batch, beam]",
                   "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)} ({source})")


if __name__ == "__main__":
    main()
