"""Functional control flow: tf.cond, tf.case, tf.while_loop (If/While over function graphs)."""

import collections

import numpy as np
import pytest

import flowexec as tf

Pair = collections.namedtuple("Pair", ["a", "b"])


def _recorder(log, tag):
    def f(x):
        log.append(tag)
        return x
    return f


# ----- cond ----------------------------------------------------------------------------------
def test_cond_runs_only_the_taken_branch_side_effects_included():
    x = tf.placeholder(tf.float32, [])
    log = []
    y = tf.cond(x > 0,
                lambda: tf.py_func(_recorder(log, "true"), [x * 2.0], tf.float32),
                lambda: tf.py_func(_recorder(log, "false"), [-x], tf.float32))
    with tf.Session() as sess:
        assert sess.run(y, {x: 3.0}) == 6.0
        assert log == ["true"]
        assert sess.run(y, {x: -4.0}) == 4.0
        assert log == ["true", "false"]
    assert y.op.type == "If"


def test_cond_assign_in_a_branch_changes_the_variable_only_when_taken():
    v = tf.Variable(1.0, name="v")
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.assign_add(v, 10.0), lambda: v + 0.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {p: False}) == 1.0
        assert sess.run(v) == 1.0
        assert sess.run(y, {p: True}) == 11.0
        assert sess.run(v) == 11.0


def test_cond_captures_outer_tensors_and_reads_variables_live():
    c = tf.constant(np.arange(3, dtype=np.float32))
    v = tf.Variable(2.0)
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: c * v, lambda: c - v)
    assert y.op.type == "StatelessIf"
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(y, {p: True}), [0, 2, 4])
        sess.run(v.assign(5.0))
        np.testing.assert_array_equal(sess.run(y, {p: False}), [-5, -4, -3])


def test_cond_nested_structures_and_singleton_unpacking():
    p = tf.placeholder(tf.bool, [])
    out = tf.cond(p, lambda: {"s": Pair(tf.constant(1), tf.constant([1.0, 2.0])), "t": 3.0},
                  lambda: {"s": Pair(tf.constant(2), tf.constant([5.0, 6.0])), "t": 4.0})
    assert isinstance(out["s"], Pair)
    single = tf.cond(p, lambda: [tf.constant(1.0)], lambda: [tf.constant(2.0)])
    strict = tf.cond(p, lambda: [tf.constant(1.0)], lambda: [tf.constant(2.0)], strict=True)
    assert isinstance(single, tf.Tensor) and isinstance(strict, list)
    with tf.Session() as sess:
        r = sess.run(out, {p: False})
        assert r["s"].a == 2 and r["t"] == 4.0
        np.testing.assert_array_equal(r["s"].b, [5.0, 6.0])
        assert sess.run(single, {p: True}) == 1.0


def test_cond_output_shape_is_the_most_specific_compatible_shape():
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.zeros([2, 3]), lambda: tf.zeros([2, 4]))
    assert y.shape.as_list() == [2, None]


def test_nested_cond():
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(x > 0, lambda: tf.cond(x > 10, lambda: x * 100.0, lambda: x * 10.0),
                lambda: -x)
    with tf.Session() as sess:
        assert [sess.run(y, {x: v}) for v in (20.0, 2.0, -1.0)] == [2000.0, 20.0, 1.0]


def test_cond_deprecated_fn1_fn2():
    p = tf.constant(False)
    y = tf.cond(p, fn1=lambda: tf.constant(1), fn2=lambda: tf.constant(2))
    with tf.Session() as sess:
        assert sess.run(y) == 2


def test_cond_errors_are_tfs():
    p = tf.placeholder(tf.bool, [])
    one = lambda: tf.constant(1.0)  # noqa: E731
    with pytest.raises(TypeError, match="pred must not be a Python bool"):
        tf.cond(True, one, one)
    with pytest.raises(TypeError, match="true_fn must be callable"):
        tf.cond(p, 1.0, one)
    with pytest.raises(TypeError, match="true_fn and fn1 may not be set simultaneously"):
        tf.cond(p, one, one, fn1=one)
    with pytest.raises(ValueError, match="same nested structure|same number of elements"):
        tf.cond(p, lambda: (tf.constant(1.0), tf.constant(2.0)), one)
    with pytest.raises(ValueError, match="must have the same type: float32, int32"):
        tf.cond(p, one, lambda: tf.constant(1))
    with pytest.raises(ValueError, match="must return at least one result"):
        tf.cond(p, lambda: (), lambda: ())


# ----- case ----------------------------------------------------------------------------------
def _case_graph(exclusive=False, as_dict=False, default=True):
    x = tf.placeholder(tf.int32, [])
    pairs = [(tf.equal(x, 1), lambda: tf.constant(10)), (tf.greater(x, 0), lambda: tf.constant(20))]
    if as_dict:
        pairs = dict(pairs)
    d = (lambda: tf.constant(-1)) if default else None
    return x, tf.case(pairs, default=d, exclusive=exclusive)


@pytest.mark.parametrize("as_dict", [False, True])
def test_case_picks_the_first_true_predicate_else_default(as_dict):
    x, y = _case_graph(as_dict=as_dict)
    with tf.Session() as sess:
        assert [sess.run(y, {x: v}) for v in (1, 5, -3)] == [10, 20, -1]


def test_case_without_default_uses_the_last_function():
    x, y = _case_graph(default=False)
    with tf.Session() as sess:
        assert [sess.run(y, {x: v}) for v in (1, 5, -3)] == [10, 20, 20]


def test_case_exclusive_checks_at_run_time():
    x, y = _case_graph(exclusive=True)
    with tf.Session() as sess:
        assert sess.run(y, {x: 5}) == 20
        with pytest.raises(tf.errors.InvalidArgumentError, match="exclusive=True"):
            sess.run(y, {x: 1})


def test_case_errors():
    p = tf.constant(True)
    with pytest.raises(TypeError, match="fns must be a list, tuple, or dict"):
        tf.case(lambda: 1)
    with pytest.raises(TypeError, match="2-tuple"):
        tf.case([(p,)])
    with pytest.raises(TypeError, match="must be callable"):
        tf.case([(p, 3)])
    with pytest.raises(TypeError, match="pred must be Tensor of type bool"):
        tf.case([(tf.constant(1), lambda: 1)])


# ----- while_loop ----------------------------------------------------------------------------
def test_while_loop_matches_a_python_loop():
    n = tf.placeholder(tf.int32, [])
    i, acc = tf.while_loop(lambda i, a: i < n,
                           lambda i, a: (i + 1, a * 0.5 + tf.cast(i, tf.float32)),
                           (tf.constant(0), tf.constant(0.0)))
    with tf.Session() as sess:
        for steps in (0, 1, 37):
            expect = np.float32(0)
            for k in range(steps):
                expect = expect * np.float32(0.5) + np.float32(k)
            got_i, got = sess.run([i, acc], {n: steps})
            assert got_i == steps
            np.testing.assert_allclose(got, expect, rtol=1e-6)


def test_while_loop_nested_namedtuple_loop_vars_and_captures():
    c = tf.constant(2.0)
    v = tf.Variable(1.0)
    out = tf.while_loop(lambda i, p: i < 4, lambda i, p: (i + 1, Pair(p.a * c, p.b + v)),
                        (tf.constant(0), Pair(tf.constant(1.0), tf.constant([0.0, 1.0]))))
    assert isinstance(out, tuple) and isinstance(out[1], Pair)
    with tf.Session() as sess:
        sess.run(v.initializer)
        i, p = sess.run(out)
        assert i == 4 and p.a == 16.0
        np.testing.assert_array_equal(p.b, [4.0, 5.0])


def test_while_loop_single_var_and_return_same_structure():
    x = tf.constant(1.0)
    y = tf.while_loop(lambda x: x < 100.0, lambda x: x * 3.0, [x])
    ys = tf.while_loop(lambda x: x < 100.0, lambda x: [x * 3.0], [x], return_same_structure=True)
    assert isinstance(y, tf.Tensor) and isinstance(ys, list)
    with tf.Session() as sess:
        assert sess.run(y) == 243.0 and sess.run(ys) == [243.0]


def test_while_loop_maximum_iterations():
    y = tf.while_loop(lambda x: x < 1e9, lambda x: x * 2.0, [tf.constant(1.0)],
                      maximum_iterations=5)
    with tf.Session() as sess:
        assert sess.run(y) == 32.0


def test_while_loop_side_effects_run_once_per_iteration():
    log = []
    y = tf.while_loop(lambda i: i < 3,
                      lambda i: tf.py_func(_recorder(log, "it"), [i + 1], tf.int32, stateful=True),
                      [tf.constant(0)], shape_invariants=[tf.TensorShape(None)])
    assert y.op.type == "While"
    with tf.Session() as sess:
        assert sess.run(y) == 3
    assert log == ["it"] * 3


def test_while_loop_shape_invariant_message():
    x = tf.constant([1.0])
    with pytest.raises(ValueError) as info:
        tf.while_loop(lambda x: tf.size(x) < 8, lambda x: tf.concat([x, x], 0), [x])
    msg = str(info.value)
    assert "enters the loop with shape (1,), but has shape (2,) after one iteration" in msg
    assert "use the `shape_invariants` argument of tf.while_loop" in msg
    y = tf.while_loop(lambda x: tf.size(x) < 8, lambda x: tf.concat([x, x], 0), [x],
                      shape_invariants=[tf.TensorShape([None])])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), np.ones(8))


def test_while_loop_invariant_incompatible_with_entry():
    with pytest.raises(ValueError, match="not compatible with the initial shape"):
        tf.while_loop(lambda x: True, lambda x: x, [tf.constant([1.0])],
                      shape_invariants=[tf.TensorShape([2])])


def test_while_loop_errors():
    with pytest.raises(TypeError, match="cond must be callable"):
        tf.while_loop(1, lambda x: x, [tf.constant(1)])
    with pytest.raises(ValueError, match="No loop variables provided"):
        tf.while_loop(lambda: True, lambda: (), [])
    with pytest.raises(TypeError, match="enters the loop with type int32"):
        tf.while_loop(lambda x: True, lambda x: tf.cast(x, tf.float32), [tf.constant(1)])


# ----- gradients of cond ---------------------------------------------------------------------
def _finite_difference(sess, y, x, feed, x_value, eps=1e-3):
    x_value = np.asarray(x_value, np.float64)
    grad = np.zeros_like(x_value)
    for idx in np.ndindex(*x_value.shape):
        hi, lo = x_value.copy(), x_value.copy()
        hi[idx] += eps
        lo[idx] -= eps
        fh = sess.run(y, {**feed, x: hi.astype(np.float32)}).sum()
        fl = sess.run(y, {**feed, x: lo.astype(np.float32)}).sum()
        grad[idx] = (fh - fl) / (2 * eps)
    return grad


@pytest.mark.parametrize("taken", [True, False])
def test_cond_gradient_matches_finite_differences(taken):
    rng = np.random.RandomState(0)
    x = tf.placeholder(tf.float32, [3])
    w = tf.constant(rng.randn(3).astype(np.float32))
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.sin(x) * w, lambda: x * x + w)
    gx, gw = tf.gradients(y, [x, w])
    xv = rng.randn(3).astype(np.float32)
    with tf.Session() as sess:
        got_x, got_w = sess.run([gx, gw], {x: xv, p: taken})
        np.testing.assert_allclose(got_x, _finite_difference(sess, y, x, {p: taken}, xv),
                                   rtol=1e-2, atol=1e-3)
    wv = w.op.attrs["value"] if "value" in w.op.attrs else None
    expect_w = np.sin(xv) if taken else np.ones(3)
    np.testing.assert_allclose(got_w, expect_w, rtol=1e-5)
    del wv


def test_nested_cond_gradient():
    x = tf.placeholder(tf.float32, [])
    y = tf.cond(x > 0, lambda: tf.cond(x > 1, lambda: x * x * x, lambda: x * x),
                lambda: -x)
    g = tf.gradients(y, x)[0]
    with tf.Session() as sess:
        assert [sess.run(g, {x: v}) for v in (2.0, 0.5, -1.0)] == [12.0, 1.0, -1.0]


def test_error_in_a_later_iteration_names_the_body_op():
    x = tf.constant([1.0, 2.0])

    def body(i, v):
        bad = tf.reshape(v, tf.stack([2 - tf.maximum(i - 2, 0)]), name="bad_reshape")
        return i + 1, bad
    out = tf.while_loop(lambda i, v: i < 5, body, (tf.constant(0), x),
                        shape_invariants=(tf.TensorShape([]), tf.TensorShape([None])))
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(out)
    assert "body/bad_reshape" in str(info.value)


@pytest.mark.parametrize("taken", [True, False])
def test_cond_gradient_reaches_variables_read_inside_branches(taken):
    rng = np.random.RandomState(1)
    x = tf.placeholder(tf.float32, [3])
    w = tf.Variable(rng.randn(3).astype(np.float32))
    b = tf.Variable(0.5)
    p = tf.placeholder(tf.bool, [])
    y = tf.cond(p, lambda: tf.reduce_sum(tf.sin(x) * w),
                lambda: tf.reduce_sum(x * b * w * w))
    gw, gb = tf.gradients(y, [w, b])
    xv = rng.randn(3).astype(np.float32)
    with tf.Session() as sess:
        sess.run([w.initializer, b.initializer])
        got_w, got_b = sess.run([gw, gb], {x: xv, p: taken})
        wv = sess.run(w)
    if taken:
        np.testing.assert_allclose(got_w, np.sin(xv), rtol=1e-5)
        assert got_b == 0.0
    else:
        np.testing.assert_allclose(got_w, 2 * 0.5 * xv * wv, rtol=1e-5)
        np.testing.assert_allclose(got_b, (xv * wv * wv).sum(), rtol=1e-5)


def test_gradient_descent_trains_a_variable_used_in_a_cond():
    w = tf.Variable(3.0)
    p = tf.placeholder(tf.bool, [])
    loss = tf.cond(p, lambda: w * w, lambda: tf.constant(0.0))
    step = tf.train.GradientDescentOptimizer(0.25).minimize(loss)
    with tf.Session() as sess:
        sess.run(w.initializer)
        sess.run(step, {p: False})
        assert sess.run(w) == 3.0
        sess.run(step, {p: True})
        assert sess.run(w) == 1.5


def test_while_body_returning_one_tensor_for_two_loop_variables():
    def body(a, b):
        c = a * 2.0
        return c, c
    y = tf.while_loop(lambda a, b: a < 10.0, body, (tf.constant(1.0), tf.constant(0.0)))
    with tf.Session() as sess:
        assert sess.run(y) == (16.0, 16.0)
