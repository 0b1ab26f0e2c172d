"""CTC losses (and their gradients wrt the logits), decoders, label helpers and edit distance
against TensorFlow's recorded outputs and errors (scripts/make_tf_ctc_fixtures.py, the cases in
tests/ops/ctc_fixture_cases.py)."""

import json
import os

import numpy as np
import pytest

import flowexec as tf
from tests.ops import ctc_fixture_cases as cases
from tests.ops.harness import COVERED_OP_TYPES

DATA = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "data", "tf1", "ctc",
                            "cases.npz"))
META = json.loads(bytes(DATA["meta"]).decode())


def _run(case):
    graph = tf.Graph()
    with graph.as_default():
        fetch = cases.build(tf, case, cases.inputs(case))
        COVERED_OP_TYPES.update(op.type for op in graph.get_operations())
        keys = sorted(fetch)
        with tf.Session() as sess:
            return keys, fetch, sess.run([fetch[k] for k in keys])


def test_every_case_was_recorded():
    assert sorted(META) == sorted(cases.CASES)


@pytest.mark.parametrize("name", sorted(n for n in cases.CASES if "error" not in META[n]))
def test_matches_tf(name):
    keys, fetch, got = _run(cases.CASES[name])
    assert keys == META[name]["fetches"]
    for k, g in zip(keys, got):
        want = DATA[f"{name}__{k}"]
        g = np.asarray(g)
        assert g.dtype == want.dtype, f"{k}: {g.dtype} != TF's {want.dtype}"
        assert g.shape == want.shape, f"{k}: {g.shape} != TF's {want.shape}"
        assert fetch[k].shape.is_compatible_with(g.shape), (
            f"{k}: inferred {fetch[k].shape} but got {g.shape}")
        if want.dtype.kind == "f":
            # TF's CTC gradient takes expf (float32) of double log probabilities too
            tol = 1e-7 if want.dtype == np.float64 else 2e-5
            if cases.CASES[name]["kind"].startswith("beam"):
                tol = 2e-6  # TF's beam search adds in float32 whatever the input dtype
            np.testing.assert_allclose(g, want, rtol=tol, atol=tol, err_msg=k)
        else:
            np.testing.assert_array_equal(g, want, err_msg=k)


@pytest.mark.parametrize("name", sorted(n for n in cases.CASES if "error" in META[n]))
def test_errors_match_tf(name):
    want = META[name]
    with pytest.raises(getattr(tf.errors, want["error"])) as info:
        _run(cases.CASES[name])
    assert info.value.message.split("\n\t [[node ")[0].strip("\n") == want["message"]
