"""Every optimizer applies an embedding's IndexedSlices gradient as TF 1.x does: checked
against TensorFlow's own results (tests/data/tf1/sparse/optimizers.npz, written by
scripts/make_tf_sparse_fixtures.py), with TF's SparseApply* ops, rows not looked up left
alone (except by Adam, whose TF 1.x sparse update decays m and v whole), repeated indices
applied in order, TF's errors, and GraphDef export/import."""

import importlib.util
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import sparse_training_ops as sto

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "tests", "data", "tf1", "sparse", "optimizers.npz")
_spec = importlib.util.spec_from_file_location(
    "make_tf_sparse_fixtures", os.path.join(ROOT, "scripts", "make_tf_sparse_fixtures.py"))
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)
TF = np.load(FIXTURE)

SPARSE_OP = {"GradientDescentOptimizer": "ScatterSub", "MomentumOptimizer": "SparseApplyMomentum",
             "AdamOptimizer": "ScatterAdd", "AdagradOptimizer": "SparseApplyAdagrad",
             "AdadeltaOptimizer": "SparseApplyAdadelta", "FtrlOptimizer": "SparseApplyFtrl",
             "ProximalGradientDescentOptimizer": "SparseApplyProximalGradientDescent",
             "ProximalAdagradOptimizer": "SparseApplyProximalAdagrad",
             "AdagradDAOptimizer": "SparseApplyAdagradDA"}


def _build(case):
    return fixtures.build(tf, case)  # the graph the fixtures were made from, in flowexec


@pytest.mark.parametrize("case", sorted(fixtures.CASES))
def test_matches_tensorflow(case):
    w, ids, _, opt, train = _build(case)
    slots = [k.split("/", 1)[1] for k in TF.files if k.startswith(case + "/")]
    assert "var" in slots
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for batch in fixtures.IDS:
            sess.run(train, {ids: batch})
        for slot in slots:
            got = sess.run(w if slot == "var" else opt.get_slot(w, slot))
            np.testing.assert_allclose(got, TF[f"{case}/{slot}"], rtol=1e-6, atol=1e-7,
                                       err_msg=f"{case}: {slot}")


def test_gradient_matches_tensorflow_slices():
    _, ids, g, _, _ = _build("sgd")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(g, {ids: fixtures.IDS[0]})
    np.testing.assert_array_equal(got.indices, TF["grad/indices"])
    np.testing.assert_array_equal(got.dense_shape, TF["grad/dense_shape"])
    np.testing.assert_allclose(got.values, TF["grad/values"], rtol=1e-6)


@pytest.mark.parametrize("case", sorted(fixtures.CASES))
def test_update_ops_are_tfs_sparse_ones(case):
    cls = fixtures.CASES[case][0]
    kw = fixtures.CASES[case][1]
    want = SPARSE_OP.get(cls)
    if cls == "RMSPropOptimizer":
        want = "SparseApplyCenteredRMSProp" if kw.get("centered") else "SparseApplyRMSProp"
    if kw.get("l2_shrinkage_regularization_strength"):
        want = "SparseApplyFtrlV2"
    _build(case)
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert want in types
    assert not {t for t in types if t.startswith("Apply")}, types


@pytest.mark.parametrize("case", sorted(set(fixtures.CASES) - {"adam"}))
def test_rows_not_looked_up_are_untouched(case):
    w, ids, _, opt, train = _build(case)
    slot_names = opt.get_slot_names()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run([w] + [opt.get_slot(w, s) for s in slot_names])
        sess.run(train, {ids: [1, 4, 4, 7]})
        after = sess.run([w] + [opt.get_slot(w, s) for s in slot_names])
    others = [0, 2, 3, 5, 6, 8, 9]
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a[others], b[others])
    assert not np.array_equal(after[0][[1, 4, 7]], before[0][[1, 4, 7]])


def test_adam_moves_rows_with_momentum_as_tf1():
    """TF 1.x's sparse Adam decays m and v everywhere and steps the whole variable: a row
    looked up once keeps moving in later steps; a row never looked up stays (m = 0)."""
    w, ids, _, opt, train = _build("adam")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {ids: [1, 4, 4, 7]})
        w1, m1 = sess.run([w, opt.get_slot(w, "m")])
        sess.run(train, {ids: [4, 0, 4, 4]})
        w2, m2 = sess.run([w, opt.get_slot(w, "m")])
    assert not np.array_equal(w2[7], w1[7])          # not looked up in step 2, still moves
    np.testing.assert_allclose(m2[7], 0.9 * m1[7], rtol=1e-6)
    np.testing.assert_array_equal(w2[[2, 3, 5, 6, 8, 9]], w1[[2, 3, 5, 6, 8, 9]])


def _adagrad_loop(var, acc, lr, grad, indices):
    var, acc = var.copy(), acc.copy()
    for g, i in zip(grad, indices):
        acc[i] += g * g
        var[i] -= lr * g / np.sqrt(acc[i])
    return var, acc


def test_repeated_indices_apply_each_occurrence_in_order():
    rng = np.random.RandomState(3)
    v0 = rng.randn(5, 2).astype(np.float32)
    a0 = np.full((5, 2), 0.1, np.float32)
    grad = rng.randn(6, 2).astype(np.float32)
    indices = np.array([3, 1, 3, 3, 0, 1], np.int32)
    var = tf.Variable(v0, name="var")
    acc = tf.Variable(a0, name="acc")
    upd = sto.sparse_apply_adagrad(var, acc, 0.5, grad, indices)
    assert upd.op.type == "SparseApplyAdagrad"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(upd)
        got_acc = sess.run(acc)
    want, want_acc = _adagrad_loop(v0, a0, np.float32(0.5), grad, indices)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(got_acc, want_acc, rtol=1e-6)


def test_errors_name_the_problem_as_tf():
    var = tf.Variable(np.zeros((4, 3), np.float32), name="var")
    acc = tf.Variable(np.ones((4, 3), np.float32), name="acc")
    bad = sto.sparse_apply_adagrad(var, acc, 0.1, np.ones((2, 3), np.float32), [1, 4])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Index 4 at offset 1 in indices is out of range"):
            sess.run(bad)
    with pytest.raises(ValueError, match="grad"):
        sto.sparse_apply_adagrad(var, acc, 0.1, np.ones((2, 2), np.float32), [0, 1])
    with pytest.raises(ValueError, match="rank 1"):
        sto.sparse_apply_adagrad(var, acc, 0.1, np.ones((1, 2, 3), np.float32), [[0, 1]])
    with pytest.raises(TypeError, match="indices"):
        sto.sparse_apply_adagrad(var, acc, 0.1, np.ones((2, 3), np.float32), [0.0, 1.0])


@pytest.mark.parametrize("case", ["momentum", "adagrad", "rmsprop_centered", "ftrl_shrinkage",
                                  "adagrad_da", "adam"])
def test_sparse_train_graph_exports_and_imports(case):
    with tf.Graph().as_default() as g:
        w, ids, _, _, train = _build(case)
        init = tf.global_variables_initializer()
    gd = g.as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            sess.run(init.name)
            for batch in fixtures.IDS:
                sess.run(train.name, {ids.name: batch})
            got = sess.run(w.name)
    np.testing.assert_allclose(got, TF[f"{case}/var"], rtol=1e-6, atol=1e-7)
