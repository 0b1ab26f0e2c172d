"""GenerateVocabRemapping and LoadAndRemapMatrix against TF's recorded outputs, error classes
and messages (tests/data/tf1/warm_start/remap.npz, scripts/make_tf_warm_start_fixtures.py)."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import checkpoint_remap_ops
from scripts.make_tf_warm_start_fixtures import remap_cases
from tests.graph_io.helpers import DATA

WS = os.path.join(DATA, "warm_start")
with np.load(os.path.join(WS, "remap.npz")) as _f:
    RECORDED = {k: _f[k] for k in _f.files}
REMAP_CASES = remap_cases(WS)  # not named CASES: those are oracle rows


@pytest.mark.parametrize("name, op, kwargs", REMAP_CASES, ids=[c[0] for c in REMAP_CASES])
def test_matches_tf(name, op, kwargs):
    out = getattr(checkpoint_remap_ops, op)(**kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    if f"{name}|error" in RECORDED:
        cls, message = RECORDED[f"{name}|error"].tolist()
        with tf.Session() as sess, pytest.raises(getattr(tf.errors, cls)) as info:
            sess.run(outs)
        assert info.value.message.replace(WS, "<DATA>").split("\n")[0] == message
        return
    with tf.Session() as sess:
        got = sess.run(outs)
    for i, value in enumerate(got):
        want = RECORDED[f"{name}|{i}"]
        assert value.dtype == want.dtype
        np.testing.assert_array_equal(value, want)


def test_static_shapes_and_no_gradient():
    remap, present = checkpoint_remap_ops.generate_vocab_remapping(
        os.path.join(WS, "new_vocab.txt"), os.path.join(WS, "old_vocab.txt"), 1, 4)
    assert remap.shape.as_list() == [4] and remap.dtype == tf.int64
    assert present.shape.as_list() == [] and present.dtype == tf.int32
    values = tf.placeholder(tf.float32, [None])
    m = checkpoint_remap_ops.load_and_remap_matrix(
        os.path.join(WS, "old.ckpt"), "emb", remap, [], values, 4, 3)
    assert m.shape.as_list() == [4, 3] and m.dtype == tf.float32
    assert tf.gradients(tf.reduce_sum(m), values) == [None]
