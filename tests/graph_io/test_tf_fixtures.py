"""Files TensorFlow wrote (scripts/make_tf_fixtures.py, tests/data/tf1/) give TF's outputs."""

import os

import numpy as np
import pytest

import flowexec as tf
from tests.graph_io.helpers import DATA

pytest.importorskip("tensorboard")


def _graph_def(name):
    g = tf.GraphDef()
    with open(os.path.join(DATA, name), "rb") as f:
        g.ParseFromString(f.read())
    return g


@pytest.mark.parametrize("fname, init", [("mlp.pb", True), ("frozen.pb", False)])
def test_tf_graph_gives_tfs_recorded_outputs(fname, init):
    ref = np.load(os.path.join(DATA, "mlp.npz"))
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def(fname), name="")
        with tf.Session() as sess:
            if init:
                sess.run("init")
            fetch = ["probs:0", "label:0"] + (["score:0"] if init else [])
            out = sess.run(fetch, {"x:0": ref["x"]})
    np.testing.assert_allclose(out[0], ref["probs"], rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(out[1], ref["label"])
    if init:
        np.testing.assert_allclose(out[2], ref["score"], rtol=1e-5)


def test_tf_graph_reexports_as_tf_wrote_it():
    g_def = _graph_def("mlp.pb")
    with tf.Graph().as_default() as g:
        tf.import_graph_def(g_def, name="")
    mine = {n.name: n for n in g.as_graph_def().node}
    for node in g_def.node:
        other = mine[node.name]
        assert (other.op, list(other.input), other.device) == (
            node.op, list(node.input), node.device), node.name
        assert dict(other.attr) == dict(node.attr), node.name
