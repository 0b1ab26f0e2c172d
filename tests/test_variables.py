"""tf.Variable: graph structure, per-session values, assignment, initialization checks,
collections, conversions and gradients."""

import sys
import threading

import numpy as np
import pytest

import flowexec as tf


def _op_names():
    return [op.name for op in tf.get_default_graph().get_operations()]


# ----- graph structure and naming -----------------------------------------------------------
def test_variable_creates_tf1_ref_variable_ops():
    v = tf.Variable([1.0, 2.0], name="v")
    assert _op_names() == ["v/initial_value", "v", "v/Assign", "v/read"]
    assert v.name == "v:0"
    assert v.op.name == "v" and v.op.type == "VariableV2"
    assert v.initializer.name == "v/Assign" and v.initializer.type == "Assign"
    assert v.value().name == "v/read:0" and v.value().op.type == "Identity"
    assert v.dtype is tf.float32
    assert v.shape.as_list() == [2] and v.get_shape().as_list() == [2]
    assert v.graph is tf.get_default_graph()
    assert v.initial_value.op.name == "v/initial_value"
    assert repr(v) == "<tf.Variable 'v:0' shape=(2,) dtype=float32_ref>"


def test_variable_names_are_made_unique_and_scoped():
    a = tf.Variable(1.0)
    b = tf.Variable(1.0)
    c = tf.Variable(1.0, name="v")
    d = tf.Variable(1.0, name="v")
    with tf.name_scope("scope"):
        e = tf.Variable(1.0, name="v")
    assert [x.name for x in (a, b, c, d, e)] == [
        "Variable:0", "Variable_1:0", "v:0", "v_1:0", "scope/v:0"]
    assert "v_1/Assign" in _op_names() and "scope/v/read" in _op_names()
    # A later name scope of the same name does not collide with the variable.
    with tf.name_scope("v") as ns:
        assert ns == "v_2/"


def test_initializer_and_read_are_colocated_with_the_variable():
    v = tf.Variable(tf.zeros([3]), name="w")
    assert v.initializer.colocation_groups == ["loc:@w"]
    assert v.value().op.colocation_groups == ["loc:@w"]
    assert v.assign([1.0, 2.0, 3.0]).op.colocation_groups == ["loc:@w"]
    assert v.assign_add([1.0, 2.0, 3.0]).op.colocation_groups == ["loc:@w"]
    assert tf.is_variable_initialized(v).op.colocation_groups == ["loc:@w"]


def test_device_scope_applies_to_variable_and_its_ops():
    with tf.device("/cpu:0"):
        v = tf.Variable(1.0, name="v")
    assert "CPU:0" in v.device
    assert "CPU:0" in v.initializer.device and "CPU:0" in v.value().device


def test_callable_initial_value_builds_under_initializer_scope():
    v = tf.Variable(lambda: tf.ones([2, 2]), name="v", dtype=tf.float32)
    assert v.initial_value.op.name.startswith("v/Initializer/")
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(v), np.ones((2, 2), np.float32))


def test_variable_creation_ignores_enclosing_control_dependencies():
    c = tf.constant(1.0)
    with tf.control_dependencies([c]):
        v = tf.Variable(2.0, name="v")
    assert v.initializer.control_inputs == []
    assert v.op.control_inputs == []


def test_constructor_errors():
    with pytest.raises(ValueError, match="initial_value must be specified"):
        tf.Variable()
    with pytest.raises(ValueError, match="collections argument to Variable constructor must "
                       "be a list, tuple, or set"):
        tf.Variable(1.0, collections="bad")
    x = tf.placeholder(tf.float32, shape=[None])
    with pytest.raises(ValueError, match="initial_value must have a shape specified"):
        tf.Variable(x)


def test_validate_shape_false_allows_unknown_shape_and_reshaping_assign():
    x = tf.placeholder(tf.float32, shape=[None])
    v = tf.Variable(x, validate_shape=False, name="v")
    assert v.shape.ndims is None
    grow = tf.assign(v, tf.zeros([5]), validate_shape=False)
    with tf.Session() as sess:
        sess.run(v.initializer, {x: [1.0, 2.0]})
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(grow), np.zeros(5))
        assert sess.run(v).shape == (5,)


# ----- values, sessions ---------------------------------------------------------------------
def test_initialize_eval_and_default_session():
    v = tf.Variable([[1, 2], [3, 4]], name="v")
    init = tf.global_variables_initializer()
    assert init.name == "init" and init.type == "NoOp"
    with tf.Session() as sess:
        sess.run(init)
        got = v.eval()
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got, [[1, 2], [3, 4]])
        np.testing.assert_array_equal(v.eval(session=sess), got)
        np.testing.assert_array_equal(sess.run(v.value()), got)
        np.testing.assert_array_equal(sess.run(v.read_value()), got)


def test_assign_assign_add_assign_sub():
    v = tf.Variable([1.0, 2.0], name="v")
    a = v.assign([10.0, 20.0])
    add = v.assign_add([1.0, 1.0])
    sub = tf.assign_sub(v, [0.5, 0.5])
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(a), [10.0, 20.0])
        np.testing.assert_array_equal(sess.run(add), [11.0, 21.0])
        np.testing.assert_array_equal(sess.run(add), [12.0, 22.0])
        np.testing.assert_array_equal(sess.run(sub), [11.5, 21.5])
        np.testing.assert_array_equal(sess.run(v), [11.5, 21.5])
    assert a.op.name == "Assign" and add.op.name == "AssignAdd" and sub.op.name == "AssignSub"
    assert v.assign(1.0 * np.ones(2), read_value=False).type == "Assign"


def test_assign_converts_python_values_to_the_variable_dtype():
    v = tf.Variable(0.0, name="v")
    i = tf.Variable(0, name="i")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(v.assign(3)) == 3.0
        assert sess.run(i.assign_add(2)) == 2
        assert sess.run(tf.assign_add(i, 5)).dtype == np.int32
    with pytest.raises(TypeError, match="Expected int32, got 2.5 of type 'float' instead."):
        i.assign(2.5)
    with pytest.raises(TypeError, match="Input 'value' of 'Assign' Op has type int32 that "
                       "does not match type float32_ref of argument 'ref'."):
        v.assign(tf.constant(1))
    with pytest.raises(TypeError, match="'AssignAdd' needs a variable"):
        tf.assign_add(tf.constant(1.0), 1.0)


def test_assign_shape_mismatch_is_a_build_time_error():
    v = tf.Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but are 2 "
                       r"and 3. Shapes are \[2\] and \[3\]. for 'Assign' \(op: 'Assign'\)"):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Shapes must be equal rank, but are 1 and 2"):
        v.assign([[1.0, 2.0]])
    with pytest.raises(ValueError, match="for 'AssignAdd'"):
        v.assign_add([1.0, 2.0, 3.0])


def test_assign_shape_mismatch_at_run_time():
    v = tf.Variable([1.0, 2.0], name="v")
    x = tf.placeholder(tf.float32)
    a = v.assign(x)
    add = v.assign_add(x)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Assign requires shapes of both tensors to match. lhs shape= "
                                 r"\[2\] rhs shape= \[3\]"):
            sess.run(a, {x: [1.0, 2.0, 3.0]})
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"Assign requires shapes.*lhs shape= \[2\] rhs shape= \[1\]"):
            sess.run(a, {x: [1.0]})
        with pytest.raises(tf.errors.InvalidArgumentError, match="must be the same size"):
            sess.run(add, {x: [1.0]})


def test_load_feeds_the_initializer():
    v = tf.Variable([0.0, 0.0], name="v")
    with tf.Session() as sess:
        v.load([3.0, 4.0], sess)
        np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])
        with sess.as_default():
            v.load([5.0, 6.0])
        np.testing.assert_array_equal(v.eval(sess), [5.0, 6.0])
    with pytest.raises(ValueError, match="Either session argument should be provided"):
        v.load([1.0, 1.0])


def test_two_sessions_on_one_graph_hold_separate_values():
    v = tf.Variable(0, name="v")
    inc = v.assign_add(1)
    s1, s2 = tf.Session(), tf.Session()
    try:
        s1.run(v.initializer)
        s2.run(v.initializer)
        for _ in range(3):
            s1.run(inc)
        s2.run(inc)
        assert s1.run(v) == 3
        assert s2.run(v) == 1
        s3 = tf.Session()
        with pytest.raises(tf.errors.FailedPreconditionError):
            s3.run(v)
        s3.close()
    finally:
        s1.close()
        s2.close()


def test_stored_values_never_alias_fed_or_fetched_arrays():
    v = tf.Variable(np.zeros(3, np.float32), name="v")
    x = tf.placeholder(tf.float32, [3])
    a = v.assign(x)
    add = v.assign_add(tf.ones([3]))
    with tf.Session() as sess:
        fed = np.array([1.0, 2.0, 3.0], np.float32)
        sess.run(a, {x: fed})
        fed[:] = 100.0
        got = sess.run(v)
        np.testing.assert_array_equal(got, [1.0, 2.0, 3.0])
        got[:] = -1.0
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0, 3.0])
        before = sess.run(v)
        sess.run(add)
        np.testing.assert_array_equal(before, [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(sess.run(v), [2.0, 3.0, 4.0])


def test_reads_in_a_step_see_the_value_before_an_update_in_that_step():
    v = tf.Variable(1.0, name="v")
    doubled = v * 2.0
    upd = v.assign_add(10.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        for _ in range(20):
            before = sess.run(v)
            d, _ = sess.run([doubled, upd])
            assert d == 2.0 * before


def _run_threads(n, body):
    threads = [threading.Thread(target=body) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _force_parallel_executor(monkeypatch):
    from flowexec.runtime import cost as cost_mod

    monkeypatch.setattr(cost_mod, "EXPENSIVE_COST", 0.0)
    monkeypatch.setattr(cost_mod, "PARALLEL_MIN_SAVING", 0.0)
    monkeypatch.setattr(cost_mod, "PARALLEL_MIN_RATIO", 0.0)
    return tf.ConfigProto(inter_op_parallelism_threads=2)


@pytest.fixture
def fast_thread_switching():
    """Switch threads every microsecond so that racing updates really interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("use_locking", [None, False, True])
def test_concurrent_updates_are_never_lost(monkeypatch, fast_thread_switching, parallel,
                                           use_locking):
    config = _force_parallel_executor(monkeypatch) if parallel else None
    v = tf.Variable(0.0, name="v")
    w = tf.Variable(0, name="w")
    inc = tf.group(tf.assign_add(v, 1.0, use_locking=use_locking),
                   tf.assign_sub(w, 1, use_locking=use_locking))
    with tf.Session(config=config) as sess:
        sess.run(tf.global_variables_initializer())

        def work():
            for _ in range(300):
                sess.run(inc)

        _run_threads(8, work)
        assert sess.run([v, w]) == [2400.0, -2400]


def test_initialized_value_initializes_a_dependent_variable_in_one_run():
    for _ in range(5):  # whichever initializer the scheduler runs first
        tf.reset_default_graph()
        w = tf.Variable(tf.random_normal([4]), name="w")
        v = tf.Variable(w.initialized_value() * 2.0, name="v")
        u = tf.Variable(v.initialized_value() + w.initialized_value(), name="u")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w_, v_, u_ = sess.run([w, v, u])
            np.testing.assert_allclose(v_, 2 * w_)
            np.testing.assert_allclose(u_, 3 * w_)


def test_initialized_value_is_the_value_once_initialized():
    w = tf.Variable([1.0, 2.0], name="w")
    with tf.control_dependencies([w.initializer]):
        init_val = w.initialized_value()  # ignores the enclosing control dependencies
    assert init_val.op.type == "VariableValueOrInitial"
    assert init_val.op.control_inputs == [] and init_val.op.inputs[0] is w.initial_value
    assert init_val.shape.as_list() == [2] and init_val.dtype is tf.float32
    upd = w.assign_add([10.0, 10.0])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(init_val), [1.0, 2.0])
        sess.run(w.initializer)
        sess.run(upd)
        np.testing.assert_array_equal(sess.run(init_val), [11.0, 12.0])
        sess.run(upd)
        np.testing.assert_array_equal(sess.run(w.initialized_value()), [21.0, 22.0])


def test_count_up_to_returns_old_values_until_the_limit():
    v = tf.Variable(0, name="counter")
    nxt = v.count_up_to(3)
    assert nxt.op.type == "CountUpTo" and nxt.op.name == "CountUpTo"
    assert nxt.dtype is tf.int32 and nxt.shape.as_list() == []
    assert tf.count_up_to(v, 3, name="c2").op.name == "c2"
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value counter"):
            sess.run(nxt)
        sess.run(v.initializer)
        assert [sess.run(nxt) for _ in range(3)] == [0, 1, 2]
        for _ in range(2):
            with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 3"):
                sess.run(nxt)
        assert sess.run(v) == 3


def test_count_up_to_from_many_threads_hands_out_each_value_once(fast_thread_switching):
    v = tf.Variable(tf.constant(0, tf.int64), name="counter")
    nxt = v.count_up_to(800)
    seen = []
    with tf.Session() as sess:
        sess.run(v.initializer)

        def work():
            while True:
                try:
                    seen.append(int(sess.run(nxt)))
                except tf.errors.OutOfRangeError:
                    return

        _run_threads(8, work)
    assert sorted(seen) == list(range(800))


def test_count_up_to_build_errors():
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: "
                                        "int32, int64"):
        tf.Variable(0.0).count_up_to(3)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1 for 'CountUpTo"):
        tf.Variable([0]).count_up_to(3)
    with pytest.raises(TypeError, match="'CountUpTo' needs a variable"):
        tf.count_up_to(tf.constant(0), 3)


# ----- initialization checks ----------------------------------------------------------------
def test_uninitialized_read_names_the_variable():
    v = tf.Variable([1.0], name="weights")
    y = v * 2.0
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="Attempting to use uninitialized value weights") as e:
            sess.run(y)
        assert e.value.op is not None and e.value.op.name == "weights"
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="uninitialized value weights"):
            sess.run(v.assign_add([1.0]))


def test_is_variable_initialized_and_report_uninitialized():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    is_a = tf.is_variable_initialized(a)
    report = tf.report_uninitialized_variables()
    report_b = tf.report_uninitialized_variables([b])
    assert is_a.dtype is tf.bool and is_a.shape.ndims == 0
    with tf.Session() as sess:
        assert not sess.run(is_a)
        assert list(sess.run(report)) == [b"a", b"b"]
        sess.run(a.initializer)
        assert sess.run(is_a)
        assert list(sess.run(report)) == [b"b"]
        assert list(sess.run(report_b)) == [b"b"]
        sess.run(tf.global_variables_initializer())
        assert list(sess.run(report)) == []


def test_report_uninitialized_with_no_variables_is_empty():
    report = tf.report_uninitialized_variables()
    with tf.Session() as sess:
        assert sess.run(report).shape == (0,)


def test_assert_variables_initialized():
    v = tf.Variable([1.0, 2.0], name="v")
    tf.Variable(1.0, name="w")
    check = tf.assert_variables_initialized()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value"):
            sess.run(check)
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(check), [1, 0])
    assert tf.assert_variables_initialized([v]) is not None


def test_variables_initializer_subsets_and_empty():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    only_a = tf.variables_initializer([a])
    empty = tf.variables_initializer([], name="nothing")
    assert empty.type == "NoOp" and empty.name == "nothing"
    with tf.Session() as sess:
        sess.run(empty)
        sess.run(only_a)
        assert sess.run(a) == 1.0
        with pytest.raises(tf.errors.FailedPreconditionError, match="value b"):
            sess.run(b)
        sess.run(tf.initialize_all_variables())
        assert sess.run(b) == 2.0


# ----- collections --------------------------------------------------------------------------
def test_collections():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(1.0, name="b", trainable=False)
    c = tf.Variable(1.0, name="c", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    with tf.name_scope("s"):
        d = tf.Variable(1.0, name="d", collections=[tf.GraphKeys.GLOBAL_VARIABLES,
                                                    tf.GraphKeys.MODEL_VARIABLES])
    assert tf.global_variables() == [a, b, d]
    assert tf.trainable_variables() == [a, c, d]
    assert tf.local_variables() == [c]
    assert tf.model_variables() == [d]
    assert tf.global_variables(scope="s/") == [d]
    assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES) == [a, c, d]
    assert a.trainable and not b.trainable
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert sess.run(c) == 1.0
        assert not sess.run(tf.is_variable_initialized(a))


# ----- tensor-likeness ----------------------------------------------------------------------
def test_conversion_and_operators_delegate_to_the_read_tensor():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]], name="v")
    w = tf.Variable([[1.0], [1.0]], name="w")
    assert tf.convert_to_tensor(v) is v.value()
    with pytest.raises(ValueError, match="Incompatible type conversion requested to type "
                       "'int32' for variable of type 'float32'"):
        tf.convert_to_tensor(v, dtype=tf.int32)
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    exprs = {
        "add": (v + 1.0, x + 1), "radd": (1.0 + v, 1 + x), "sub": (v - 1.0, x - 1),
        "rsub": (1.0 - v, 1 - x), "mul": (v * 2.0, x * 2), "rmul": (2.0 * v, 2 * x),
        "div": (v / 2.0, x / 2), "rdiv": (2.0 / v, 2 / x), "pow": (v ** 2.0, x ** 2),
        "neg": (-v, -x), "abs": (abs(-v), x), "matmul": (v @ w, x @ np.ones((2, 1))),
        "getitem": (v[0], x[0]), "slice": (v[:, 1], x[:, 1]), "lt": (v < 2.5, x < 2.5),
        "ge": (v >= 2.0, x >= 2.0), "tensor_op": (tf.reduce_sum(v), x.sum()),
        "mixed": (tf.constant(1.0) + v, 1 + x),
    }
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run({k: t for k, (t, _) in exprs.items()})
    for k, (_, want) in exprs.items():
        np.testing.assert_allclose(got[k], want, rtol=1e-6, err_msg=k)


def test_variables_hash_by_identity_and_refuse_iteration():
    v = tf.Variable([1.0, 2.0], name="v")
    w = tf.Variable([1.0, 2.0], name="w")
    assert v != w and v == v  # noqa: PLR0124 - identity equality is the point
    assert len({v, w, v}) == 2
    with pytest.raises(TypeError):
        iter(v)
    with pytest.raises(TypeError):
        np.asarray(v)


def test_fetching_and_feeding_by_variable():
    v = tf.Variable(1.0, name="v")
    y = v * 3.0
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(v) == 1.0
        assert sess.run(y, {v: 5.0}) == 15.0
        assert sess.run("v:0") == 1.0


def test_gradients_with_respect_to_a_variable_cover_every_read():
    v = tf.Variable([1.0, 2.0], name="v")
    loss = tf.reduce_sum(v * v) + tf.reduce_sum(3.0 * v.read_value())
    (g,) = tf.gradients(loss, [v])
    with tf.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(g), [2.0 + 3.0, 4.0 + 3.0])


def test_variables_in_another_graph():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(7, name="v")
        init = tf.global_variables_initializer()
    assert tf.global_variables() == []
    assert v.graph is g
    with tf.Session(graph=g) as sess:
        sess.run(init)
        assert sess.run(v) == 7


def test_variable_on_a_second_logical_device():
    with tf.device("/cpu:1"):
        v = tf.Variable([1.0, 2.0], name="v")
    with tf.device("/cpu:0"):
        y = v * 2.0
    inc = v.assign_add([1.0, 1.0])
    config = tf.ConfigProto(device_count={"CPU": 2})
    with tf.Session(config=config) as sess:
        sess.run(v.initializer)
        sess.run(inc)
        np.testing.assert_array_equal(sess.run(y), [4.0, 6.0])


def test_ops_on_a_variable_follow_it_whatever_the_device_scope():
    with tf.device("/cpu:1"):
        v = tf.Variable([1.0, 2.0], name="v")
    with tf.device("/cpu:0"):
        add = v.assign_add([1.0, 1.0])
        ready = tf.is_variable_initialized(v)
        report = tf.report_uninitialized_variables()
    for op in (add.op, ready.op, v.initializer, v.value().op):
        assert "CPU:1" in op.device and op.colocation_groups == ["loc:@v"], op.name
    assert "CPU:0" in report.op.device
    config = tf.ConfigProto(device_count={"CPU": 2})
    with tf.Session(config=config) as sess:
        assert list(sess.run(report)) == [b"v"]
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(add), [2.0, 3.0])
        assert sess.run(ready)


def test_caching_device_places_the_read_snapshot_apart():
    with tf.device("/cpu:0"):
        v = tf.Variable([1.0], name="v", caching_device="/cpu:1")
    assert "CPU:1" in v.value().device and v.value().op.colocation_groups == ["loc:@v/read"]
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(v.value() * 2.0), [2.0])


def test_two_updates_of_one_variable_in_one_step_both_apply():
    v = tf.Variable(0, name="v")
    a = tf.assign_add(v, 1, use_locking=True)
    b = tf.assign_add(v, 10, use_locking=True)
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run([a.op, b.op])
        assert sess.run(v) == 11
