"""Einsum (linalg_ops), TopKV2 (sort_ops), embedding_lookup (embedding_ops), PyFunc
(script_ops), Print and Assert (logging_ops) and the assert_* family (check_ops): forward vs
numpy, gradients vs finite differences, TF1's names and errors."""

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import check_ops, embedding_ops, linalg_ops, logging_ops, script_ops, sort_ops
from tests.ops.harness import OpCase, check_forward, check_gradient, ids


def _f(*shapes, dtype=np.float64):
    return lambda rng: [rng.uniform(-2.0, 2.0, size=s).astype(dtype) for s in shapes]


def _es(eq):
    return lambda *xs: linalg_ops.einsum(eq, *xs)


def _en(eq):
    return lambda *xs: np.einsum(eq, *xs)


def _distinct(*shapes):
    """Rows of distinct values (top_k's gradient is defined away from ties)."""
    def gen(rng):
        return [rng.permutation(int(np.prod(s))).reshape(s).astype(np.float64) * 0.5
                for s in shapes]
    return gen


def _top_k_ref(x, k):
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k].astype(np.int32)
    return [np.take_along_axis(x, idx, axis=-1), idx]


def _table(rng):
    return [rng.standard_normal((7, 3))]


_IDS = np.array([[6, 0, 3], [2, 2, 5]], np.int32)


def _partitions(table, n, strategy):
    if strategy == "mod":
        return [table[p::n] for p in range(n)]
    rows = len(table)
    sizes = [rows // n + (1 if p < rows % n else 0) for p in range(n)]
    return np.split(table, np.cumsum(sizes)[:-1])


def _lookup(n, strategy):
    def build(table):
        parts = [table[p::n] for p in range(n)] if strategy == "mod" else None
        if parts is None:
            sizes = [7 // n + (1 if p < 7 % n else 0) for p in range(n)]
            parts, start = [], 0
            for s in sizes:
                parts.append(table[start:start + s])
                start += s
        return embedding_ops.embedding_lookup(parts, _IDS, partition_strategy=strategy)
    return build


def _assert_passes(check):
    def build(x, y):
        with tf.control_dependencies([check(x, y)]):
            return tf.identity(x)
    return build


def _print_build(x, y):
    return logging_ops.Print(x, [x, y], "x, y: ")


def _assert_build(x):
    with tf.control_dependencies([logging_ops.Assert(tf.reduce_all(x > -10.0), ["x:", x])]):
        return x * 2.0


CASES = [
    # Einsum
    OpCase("einsum_matmul", _es("ij,jk->ik"), _en("ij,jk->ik"), _f((2, 3), (3, 4))),
    OpCase("einsum_batch_matmul", _es("bij,bjk->bik"), _en("bij,bjk->bik"),
           _f((2, 2, 3), (2, 3, 2))),
    OpCase("einsum_outer", _es("i,j->ij"), _en("i,j->ij"), _f((3,), (4,))),
    OpCase("einsum_dot_implicit", _es("i,i"), _en("i,i"), _f((5,), (5,))),
    OpCase("einsum_transpose", _es("ij->ji"), _en("ij->ji"), _f((2, 3))),
    OpCase("einsum_sum_rows", _es("ij->j"), _en("ij->j"), _f((2, 3))),
    OpCase("einsum_only_lhs_label", _es("ij,kl->ik"), _en("ij,kl->ik"), _f((2, 3), (3, 2))),
    OpCase("einsum_fed", _es("ij,jk->ik"), _en("ij,jk->ik"), _f((2, 3), (3, 4)), feed=True),
    OpCase("einsum_f32", _es("ij,jk"), _en("ij,jk"), _f((2, 3), (3, 4), dtype=np.float32),
           atol=1e-5, rtol=1e-5),
    OpCase("einsum_int", _es("ij,jk->ik"), _en("ij,jk->ik"),
           lambda rng: [rng.integers(-3, 4, (2, 3), np.int32),
                        rng.integers(-3, 4, (3, 2), np.int32)]),
    OpCase("einsum_trace", _es("ii"), _en("ii"), _f((3, 3)), grad=False),
    OpCase("einsum_ellipsis", _es("...ij,...jk->...ik"), _en("...ij,...jk->...ik"),
           _f((2, 2, 3), (3, 4)), grad=False),
    OpCase("einsum_three", _es("ij,jk,kl->il"), _en("ij,jk,kl->il"),
           _f((2, 3), (3, 2), (2, 2)), grad=False),
    # TopKV2
    OpCase("top_k", lambda x: list(sort_ops.top_k(x, 2)), lambda x: _top_k_ref(x, 2),
           _distinct((3, 5))),
    OpCase("top_k_1d_default", lambda x: list(sort_ops.top_k(x)), lambda x: _top_k_ref(x, 1),
           _distinct((6,))),
    OpCase("top_k_3d_fed", lambda x: list(sort_ops.top_k(x, 3)), lambda x: _top_k_ref(x, 3),
           _distinct((2, 2, 4)), feed=True),
    OpCase("top_k_ties_lower_index_first", lambda x: list(sort_ops.top_k(x, 4)),
           lambda x: _top_k_ref(x, 4), [np.array([[1, 3, 3, 2, 3], [0, 0, 0, 0, 0]], np.int32)]),
    OpCase("top_k_uint8", lambda x: list(sort_ops.top_k(x, 3)),
           lambda x: [np.sort(x)[::-1][:3], np.argsort(-x.astype(int), kind="stable")[:3]
                      .astype(np.int32)], [np.array([3, 250, 0, 7], np.uint8)]),
    # embedding_lookup
    OpCase("embedding_single", lambda t: embedding_ops.embedding_lookup(t, _IDS),
           lambda t: t[_IDS], _table),
    OpCase("embedding_mod_3", _lookup(3, "mod"), lambda t: t[_IDS], _table),
    OpCase("embedding_div_3", _lookup(3, "div"), lambda t: t[_IDS], _table),
    OpCase("embedding_div_2", _lookup(2, "div"), lambda t: t[_IDS], _table),
    OpCase("embedding_max_norm",
           lambda t: embedding_ops.embedding_lookup(t, _IDS, max_norm=0.5),
           lambda t: t[_IDS] * 0.5 / np.maximum(
               np.linalg.norm(t[_IDS], axis=-1, keepdims=True), 0.5), _table),
    # PyFunc
    OpCase("py_func", lambda x: script_ops.py_func(np.sort, [x], tf.float64), np.sort,
           _f((5,)), grad=False),
    OpCase("py_func_stateless_two_outputs",
           lambda x, y: script_ops.py_func(lambda a, b: (a * b, np.int64(a.size)), [x, y],
                                           [tf.float32, tf.int64], stateful=False),
           lambda x, y: [x * y, np.int64(x.size)], _f((3,), (3,), dtype=np.float32),
           grad=False),
    # Print, Assert
    OpCase("print", _print_build, lambda x, y: x, _f((2, 3), (4,)), grad=(0,)),
    OpCase("assert_passes", _assert_build, lambda x: x * 2.0, _f((3,))),
    OpCase("assert_equal_passes", _assert_passes(check_ops.assert_equal), lambda x, y: x,
           lambda rng: [np.arange(3.0), np.arange(3.0)], grad=False),
    OpCase("assert_less_passes", _assert_passes(check_ops.assert_less), lambda x, y: x,
           lambda rng: [np.arange(3.0), np.arange(3.0) + 1], grad=False),
    OpCase("assert_greater_passes", _assert_passes(check_ops.assert_greater), lambda x, y: x,
           lambda rng: [np.arange(3, dtype=np.int32), np.int32(-1)], grad=False),
    OpCase("assert_positive_passes", _assert_passes(lambda x, y: check_ops.assert_positive(x)),
           lambda x, y: x, lambda rng: [np.array([0.5, 2.0]), np.array(0.0)], grad=False),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_forward(case):
    check_forward(case)


GRAD_CASES = [c for c in CASES if c.grad and not c.name.startswith("einsum_int")]


@pytest.mark.parametrize("case", GRAD_CASES, ids=ids(GRAD_CASES))
def test_gradient(case):
    check_gradient(case)


# ----- Einsum ---------------------------------------------------------------------------------
def test_einsum_names_and_static_shapes():
    a = tf.placeholder(tf.float32, [None, 3])
    b = tf.placeholder(tf.float32, [3, 4])
    y = linalg_ops.einsum("ij, jk -> ik", a, b)
    assert y.op.name == "einsum" and y.op.type == "Einsum"
    assert y.shape.as_list() == [None, 4]
    e = linalg_ops.einsum("...j,jk", tf.placeholder(tf.float32, [5, 2, 3]), b, name="mix")
    assert e.op.name == "mix" and e.shape.as_list() == [5, 2, 4]


def test_einsum_build_errors():
    a, b = tf.constant(np.ones((2, 3))), tf.constant(np.ones((4, 5)))
    with pytest.raises(ValueError, match="Expected dimension 3 for label 'j'"):
        linalg_ops.einsum("ij,jk->ik", a, b)
    with pytest.raises(ValueError, match="Expecting 2 inputs but got 1"):
        linalg_ops.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="has rank 2 but the subscript 'ijk'"):
        linalg_ops.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="label 'z' not present"):
        linalg_ops.einsum("ij->z", a)
    with pytest.raises(TypeError, match="Input 'inputs' of 'Einsum' Op has type float32"):
        linalg_ops.einsum("ij,jk->ik", a, tf.constant(np.ones((3, 2), np.float32)))


def test_einsum_gradient_of_unsupported_equation_is_a_clear_error():
    x = tf.constant(np.eye(3))
    with pytest.raises(ValueError, match="'ii->i' of op 'einsum' is not differentiable"):
        tf.gradients(linalg_ops.einsum("ii->i", x), x)


# ----- TopKV2 ---------------------------------------------------------------------------------
def test_top_k_returns_named_tuple_and_tf_names():
    out = sort_ops.top_k(tf.constant([[1.0, 2.0, 3.0]]), k=2)
    assert out.values.op.name == "TopKV2" and out.indices.dtype == tf.int32
    assert out.values.shape.as_list() == [1, 2]


def test_top_k_errors():
    with pytest.raises(ValueError, match="last dimension >= k = 4"):
        sort_ops.top_k(tf.constant([1.0, 2.0]), 4)
    with pytest.raises(ValueError, match="at least rank 1"):
        sort_ops.top_k(tf.constant(1.0), 1)
    k = tf.placeholder(tf.int32, [])
    v, _ = sort_ops.top_k(tf.constant([1.0, 2.0]), k)
    assert v.shape.as_list() == [None]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="input must have at least k columns. Had 2, needed 3"):
            sess.run(v, {k: 3})


# ----- embedding_lookup -----------------------------------------------------------------------
def test_embedding_lookup_names_and_errors():
    table = tf.constant(np.ones((4, 2)))
    y = embedding_ops.embedding_lookup(table, [1, 2])
    assert y.op.type == "Identity" and y.op.name == "embedding_lookup/Identity"
    assert y.op.inputs[0].op.name == "embedding_lookup"
    with pytest.raises(ValueError, match="Need at least one param"):
        embedding_ops.embedding_lookup([], [0])
    with pytest.raises(ValueError, match="Unrecognized partition strategy: x"):
        embedding_ops.embedding_lookup([table, table], [0], partition_strategy="x")
    bad = embedding_ops.embedding_lookup([table, table], [8])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in"):
            sess.run(bad)


def test_embedding_lookup_gradient_reaches_each_partition():
    a, b = tf.constant(np.zeros((2, 2))), tf.constant(np.zeros((2, 2)))
    y = embedding_ops.embedding_lookup([a, b], [0, 1, 1, 2])
    ga, gb = tf.gradients(tf.reduce_sum(y), [a, b])
    assert isinstance(ga, tf.IndexedSlices) and isinstance(gb, tf.IndexedSlices)
    with tf.Session() as sess:
        ga, gb = sess.run([tf.convert_to_tensor(ga), tf.convert_to_tensor(gb)])
    np.testing.assert_array_equal(ga, [[1, 1], [1, 1]])  # ids 0 and 2
    np.testing.assert_array_equal(gb, [[2, 2], [0, 0]])  # id 1 twice


def test_embedding_lookup_with_unknown_partition_sizes():
    a = tf.placeholder(tf.float64, [None, 2])
    b = tf.placeholder(tf.float64, [None, 2])
    y = embedding_ops.embedding_lookup([a, b], [4, 1, 3], partition_strategy="div")
    t = np.arange(10.0).reshape(5, 2)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {a: t[:3], b: t[3:]}), t[[4, 1, 3]])


# ----- PyFunc ---------------------------------------------------------------------------------
def test_py_func_errors_name_the_op():
    def fails(x):
        raise RuntimeError("boom")

    def bad_value(x):
        raise ValueError("bad value")

    x = tf.constant([1.0])
    y = script_ops.py_func(fails, [x], tf.float32, name="my_func")
    z = script_ops.py_func(bad_value, [x], tf.float32)
    w = script_ops.py_func(lambda v: (v, v), [x], tf.float32)
    assert y.op.type == "PyFunc" and y.op.name == "my_func"
    assert tf.gradients(y, x) == [None]
    with tf.Session() as sess:
        with pytest.raises(tf.errors.UnknownError, match="(?s)RuntimeError: boom.*my_func"):
            sess.run(y)
        with pytest.raises(tf.errors.InvalidArgumentError, match="ValueError: bad value"):
            sess.run(z)
        with pytest.raises(tf.errors.InvalidArgumentError, match="returns 2 values, but"):
            sess.run(w)


def test_py_func_list_tout_and_no_outputs():
    calls = []
    x = tf.constant([1, 2], tf.int32)
    (y,) = script_ops.py_func(lambda v: v + 1, [x], [tf.int32])
    op = script_ops.py_func(lambda v: calls.append(v.tolist()), [x], [])
    assert isinstance(op, tf.Operation)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [2, 3])
        sess.run(op)
    assert calls == [[1, 2]]


# ----- Print and Assert -----------------------------------------------------------------------
def test_print_writes_tf_summaries_to_stderr(capsys):
    x = tf.constant([[1.0, 2.5], [3.0, 4.0]])
    y = logging_ops.Print(x, [x, tf.constant(7), "s", tf.constant([1, 2, 3, 4])], "msg: ",
                          first_n=2)
    assert y.op.name == "Print" and y.shape.as_list() == [2, 2]
    with tf.Session() as sess:
        for _ in range(3):
            sess.run(y)
    err = capsys.readouterr().err
    assert err == "msg: [[1 2.5][3...]...][7][s][1 2 3...]\n" * 2


def test_print_summarize_all_and_gradient():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    y = logging_ops.Print(x, [x], summarize=-1)
    (g,) = tf.gradients(y * 2.0, x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(g), [2.0] * 4)
    assert logging_ops.summarize_value(np.arange(4.0), -1) == "0 1 2 3"


def test_assert_messages_in_tf_words():
    x, y = tf.constant([1, 2]), tf.constant([1, 3])
    cases = [
        (check_ops.assert_equal(x, y), ("assertion failed: [Condition x == y did not hold "
                                        "element-wise:] [x (Const:0) = ] [1 2] [y (Const_1:0) "
                                        "= ] [1 3]")),
        (check_ops.assert_less(y, x), "[Condition x < y did not hold element-wise:]"),
        (check_ops.assert_greater(x, y, message="msg"), "assertion failed: [msg] [Condition x > y"),
        (check_ops.assert_positive(tf.constant([0.5, -1.5])),
         "[Condition x > 0 did not hold element-wise:] [x (Const_2:0) = ] [0.5 -1.5]"),
        (check_ops.assert_non_negative(tf.constant([-1])), "[Condition x >= 0"),
    ]
    with tf.Session() as sess:
        for op, msg in cases:
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                sess.run(op)
            assert msg in info.value.message


def test_assert_names_and_control_dependency_use():
    x = tf.placeholder(tf.float32, [None])
    check = check_ops.assert_positive(x)
    assert check.name == "assert_positive/assert_less/Assert/Assert"
    assert check_ops.assert_equal(x, x).name == "assert_equal/Assert/Assert"
    with tf.control_dependencies([check]):
        y = tf.identity(x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0]}), [1.0])
        with pytest.raises(tf.errors.InvalidArgumentError, match="assertion failed"):
            sess.run(y, {x: [-1.0]})


def test_assert_condition_must_be_bool_scalar():
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values"):
        logging_ops.Assert(tf.constant(1.0), ["x"])
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        logging_ops.Assert(tf.constant([True]), ["x"])
