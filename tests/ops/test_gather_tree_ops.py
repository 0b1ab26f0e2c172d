"""GatherTree (tf.contrib.seq2seq.gather_tree): TF 1.15's recorded kernel-test results, a
numpy oracle on random trees, shape inference and TF's run-time errors."""

import json
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops.gather_tree_ops import gather_tree
from tests.ops.harness import OpCase, check_forward, ids

_FIXTURE = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "seq2seq",
                        "gather_tree.json")


def _oracle(step_ids, parent_ids, lengths, end_token):
    """Backtrack each final beam through its parents, then blank past the first end."""
    t_max, batch, width = step_ids.shape
    out = np.full(step_ids.shape, end_token, np.int32)
    for b in range(batch):
        n = min(t_max, int(lengths[b]))
        for k in range(width):
            beam = k
            path = []
            for t in reversed(range(n)):
                path.append(step_ids[t, b, beam])
                beam = parent_ids[t, b, beam]
            path = path[::-1]
            if end_token in path:
                first = path.index(end_token)
                path = path[:first + 1] + [end_token] * (len(path) - first - 1)
            out[:n, b, k] = path
    return out


def _random_tree(t_max, batch, width, end):
    def make(rng):
        return [rng.integers(0, end + 3, size=(t_max, batch, width)).astype(np.int32),
                rng.integers(0, width, size=(t_max, batch, width)).astype(np.int32),
                rng.integers(0, t_max + 2, size=(batch,)).astype(np.int32),
                np.int32(end)]
    return make


CASES = [
    OpCase("gather_tree_random", gather_tree, _oracle, _random_tree(6, 3, 4, 2), grad=False),
    OpCase("gather_tree_wide", gather_tree, _oracle, _random_tree(3, 2, 7, 0), grad=False),
    OpCase("gather_tree_fed", gather_tree, _oracle, _random_tree(5, 4, 2, 1), grad=False,
           feed=True),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_gather_tree_matches_numpy_oracle(case):
    check_forward(case)
    check_forward(case, seed=3)


def _fixture_cases():
    with open(_FIXTURE) as f:
        return json.load(f)["cases"]


@pytest.mark.parametrize("case", _fixture_cases(), ids=lambda c: c["name"])
def test_gather_tree_matches_tf_recorded(case):
    with tf.Graph().as_default():
        beams = gather_tree(case["step_ids"], case["parent_ids"],
                            case["max_sequence_lengths"], case["end_token"])
        with tf.Session() as sess:
            if "error" in case:
                with pytest.raises(tf.errors.InvalidArgumentError, match=case["error"]):
                    sess.run(beams)
            else:
                np.testing.assert_array_equal(sess.run(beams), np.asarray(case["beams"]))


def test_gather_tree_shape_inference_and_type_errors():
    with tf.Graph().as_default():
        step = tf.placeholder(tf.int32, [None, 3, 4])
        parent = tf.placeholder(tf.int32, [5, None, 4])
        out = gather_tree(step, parent, tf.placeholder(tf.int32, [None]), 1)
        assert out.shape.as_list() == [5, 3, 4]
        assert out.op.type == "GatherTree"
        out2 = gather_tree(tf.placeholder(tf.int32, [2, None, 4]),
                           tf.placeholder(tf.int32, [2, None, 4]),
                           tf.placeholder(tf.int32, [6]), 1)
        assert out2.shape.as_list() == [2, 6, 4]
        with pytest.raises(ValueError):
            gather_tree(tf.placeholder(tf.int32, [2, 3]), tf.placeholder(tf.int32, [2, 3]),
                        [1, 1], 1)
        with pytest.raises(ValueError):
            gather_tree(step, parent, tf.placeholder(tf.int32, [7]), 1)
        with pytest.raises(ValueError):
            gather_tree(step, parent, tf.placeholder(tf.int32, [3]), [1, 2])


def test_gather_tree_is_not_differentiable():
    with tf.Graph().as_default():
        step = tf.constant(np.zeros((2, 1, 2), np.int32))
        out = gather_tree(step, step, [2], 1)
        assert tf.gradients(tf.cast(out, tf.float32), [step]) == [None]


def test_gather_tree_runtime_batch_mismatch_is_invalid_argument():
    with tf.Graph().as_default():
        step = tf.placeholder(tf.int32, None)
        lengths = tf.placeholder(tf.int32, None)
        out = gather_tree(step, step, lengths, 1)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="batch size dimensions"):
                sess.run(out, {step: np.zeros((2, 3, 2), np.int32), lengths: [1, 1]})
