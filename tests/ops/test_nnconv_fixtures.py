"""flowexec against TensorFlow's recorded results (scripts/make_tf_nnconv_fixtures.py,
tests/data/tf1/nnconv/nnconv.npz): each graph of tests/ops/nnconv_fixture_cases.py built
with flowexec, its outputs and (where recorded) its input gradients compared with TF's."""

import os

import numpy as np
import pytest

import flowexec as tf
from tests.ops import nnconv_fixture_cases as fc

_PATH = os.path.join(os.path.dirname(__file__), "..", "data", "tf1", "nnconv", "nnconv.npz")
DATA = np.load(_PATH)


def _case_ids():
    return [c[0] for c in fc.CASES]


def test_every_case_is_recorded():
    assert all(f"{name}/out0" in DATA for name in _case_ids())


@pytest.mark.parametrize("case", fc.CASES, ids=_case_ids())
def test_matches_tensorflow(case):
    name, build, shapes, grad = case
    xs = [DATA[f"{name}/in{i}"] for i in range(len(shapes))]
    g = tf.Graph()
    with g.as_default(), tf.Session() as sess:
        phs, outs, feed = fc.build_graph(tf, build, xs)
        vals = sess.run(outs, feed)
        for j, (t, v) in enumerate(zip(outs, vals)):
            want = DATA[f"{name}/out{j}"]
            assert t.shape.is_compatible_with(want.shape), (t.shape, want.shape)
            assert v.dtype == want.dtype and v.shape == want.shape
            np.testing.assert_allclose(v, want, rtol=2e-5, atol=2e-5, err_msg=f"{name} out{j}")
        if not grad:
            return
        float_outs = [o for o in outs if o.dtype.is_floating]
        ws = [DATA[f"{name}/w{j}"] for j in range(len(float_outs))]
        loss = tf.add_n([tf.reduce_sum(o * w) for o, w in zip(float_outs, ws)])
        grads = tf.gradients(loss, phs)
        for i, gt in enumerate(grads):
            key = f"{name}/grad{i}"
            if key not in DATA:
                assert gt is None, f"{name}: TF has no gradient for input {i}"
                continue
            np.testing.assert_allclose(sess.run(gt, feed), DATA[key], rtol=2e-5, atol=2e-5,
                                       err_msg=f"{name} grad{i}")


@pytest.mark.parametrize("case", fc.CASES, ids=_case_ids())
def test_graphdef_round_trip(case):
    """Every op these graphs use exports under TF's name and schema and imports back."""
    pytest.importorskip("tensorboard")
    name, build, shapes, _ = case
    xs = [DATA[f"{name}/in{i}"] for i in range(len(shapes))]
    with tf.Graph().as_default() as g:
        _, outs, _ = fc.build_graph(tf, build, xs)
        names = [t.name for t in outs]
    gd = g.as_graph_def()
    with tf.Graph().as_default() as g2, tf.Session() as sess:
        tf.import_graph_def(gd, name="")
        vals = sess.run(names, {f"in{i}:0": x for i, x in enumerate(xs)})
    for j, v in enumerate(vals):
        np.testing.assert_allclose(v, DATA[f"{name}/out{j}"], rtol=2e-5, atol=2e-5)
