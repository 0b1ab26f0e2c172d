"""tf.sets against TensorFlow: each program of scripts/make_tf_set_fixtures.py runs on
flowexec and must give TF's recorded SparseTensors, sizes and errors
(tests/data/tf1/sets/sets.json); then a numpy/Python-set oracle on random inputs."""

import importlib.util
import json
import os

import numpy as np
import pytest

import flowexec as tf
from flowexec import errors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    "make_tf_set_fixtures", os.path.join(ROOT, "scripts", "make_tf_set_fixtures.py"))
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)

with open(os.path.join(ROOT, "tests", "data", "tf1", "sets", "sets.json"),
          encoding="utf-8") as _f:
    RECORDED = json.load(_f)["cases"]


def _same_message(got, want):
    if "supported dtypes" in want:  # the frozenset's order is Python's hash order
        head = want.split("supported dtypes")[0]
        assert got.startswith(head), got
        names = want.split("{")[1].split("}")[0].split(", ")
        assert sorted(got.split("{")[1].split("}")[0].split(", ")) == sorted(names)
    elif " for '{{node " in want:  # TF's NodeDef text; flowexec names the op and its type
        assert got.startswith(want.split(" for '{{node ")[0]), got
        assert "with input shapes: " + want.split("with input shapes: ")[1] in got
    else:
        assert got == want


@pytest.mark.parametrize("case", fixtures.CASES, ids=lambda c: c.__name__)
def test_matches_tensorflow(case):
    got = fixtures.run_case(tf, case)
    want = RECORDED[case.__name__]
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        if "value" in w:
            assert "value" in g, g
            assert g["value"] == w["value"]
        else:
            kind = "build_error" if "build_error" in w else "error"
            assert g.get(kind) == w[kind], g
            _same_message(g["message"], w["message"])


def _oracle(a, b, operation):
    """The result SparseTensor's parts, from Python sets row by row."""
    group = a.shape[:-1]
    results = []
    for i in np.ndindex(*group):
        x, y = set(a[i].tolist()), set(b[i].tolist())
        out = {"union": x | y, "intersection": x & y, "a-b": x - y, "b-a": y - x}[operation]
        results.append((i, sorted(out)))
    width = max([len(r) for _, r in results] + [0])
    indices = [[*i, j] for i, r in results for j in range(len(r))]
    values = [v for _, r in results for v in r]
    return indices, values, [*group, width]


@pytest.mark.parametrize("seed", range(4))
def test_random_dense_and_sparse_inputs_equal_python_sets(seed):
    rng = np.random.RandomState(seed)
    a = rng.randint(-3, 4, size=(3, 2, 6)).astype(np.int64)
    b = rng.randint(-3, 4, size=(3, 2, 4)).astype(np.int64)
    keep = rng.rand(*b.shape) < 0.6
    b_sparse = tf.SparseTensor(np.argwhere(keep), b[keep], b.shape)
    b_masked = np.where(keep, b, 10**9)  # values of a sparse group: only those present
    with tf.Session() as sess:
        for op, fn in (("union", tf.sets.union), ("intersection", tf.sets.intersection),
                       ("a-b", tf.sets.difference)):
            got = sess.run(fn(a, b))
            want = _oracle(a, b, op)
            assert [got.indices.tolist(), got.values.tolist(), got.dense_shape.tolist()] == \
                [want[0], want[1], want[2]]
            got = sess.run(fn(a, b_sparse))
            want = _oracle(a, b_masked, op)
            drop = [k for k, v in enumerate(want[1]) if v == 10**9]
            values = [v for k, v in enumerate(want[1]) if k not in drop]
            assert got.values.tolist() == values
        sizes = sess.run(tf.sets.size(b_sparse))
    want_sizes = [[len(set(b[i, j][keep[i, j]].tolist())) for j in range(2)] for i in range(3)]
    assert sizes.tolist() == want_sizes and sizes.dtype == np.int32


def test_fed_sparse_placeholder_and_static_shapes():
    sp = tf.sparse_placeholder(tf.int32, [None, 4])
    dense = tf.placeholder(tf.int32, [None, 3])
    st = tf.sets.union(dense, sp)
    assert st.indices.shape.as_list() == [None, 2] and st.dense_shape.shape.as_list() == [2]
    with tf.Session() as sess:
        got = sess.run(st, {dense: [[1, 1, 2]],
                            sp: tf.SparseTensorValue([[0, 1], [0, 3]], [7, 1], [1, 4])})
    assert got.values.tolist() == [1, 2, 7] and got.dense_shape.tolist() == [1, 3]


def test_run_time_error_names_the_op_and_leaves_session_usable():
    a = tf.placeholder(tf.int32, [None, None])
    st = tf.sets.intersection(a, tf.constant([[1], [2]]))
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="Mismatched shapes") as info:
            sess.run(st, {a: [[1, 2]]})
        assert "DenseToDenseSetOperation" in str(info.value)
        assert sess.run(st, {a: [[1, 2], [2, 3]]}).values.tolist() == [1, 2]


def test_sparse_dense_order_is_flipped_and_namespace_aliases():
    assert tf.sets.union is tf.sets.set_union and tf.sets.size is tf.sets.set_size
    st = tf.sets.difference(tf.SparseTensor([[0, 0]], [3], [1, 2]), tf.constant([[3, 4]]))
    assert st.indices.op.type == "DenseToSparseSetOperation"
    assert st.indices.op.get_attr("set_operation") == "b-a"
