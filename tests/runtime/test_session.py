"""Session API: fetch structures, feeds, lifecycle, defaults, callables, metadata."""

import collections
import contextlib
import io

import numpy as np
import pytest

import flowexec as tf
from tests.runtime import fakes


@pytest.fixture
def abc():
    a = tf.constant(2)
    b = tf.constant(3)
    c = fakes.add(a, b, name="c")
    return a, b, c


def test_fetch_single_list_tuple_dict(abc):
    a, b, c = abc
    with tf.Session() as sess:
        assert sess.run(c) == 5
        assert isinstance(sess.run(c), np.int32)
        assert sess.run([a, b, c]) == [2, 3, 5]
        assert sess.run((a, [b, (c,)])) == (2, [3, (5,)])
        assert sess.run({"x": a, "y": [c]}) == {"x": 2, "y": [5]}
        od = sess.run(collections.OrderedDict([("z", c), ("a", a)]))
        assert isinstance(od, collections.OrderedDict) and list(od) == ["z", "a"]


def test_fetch_namedtuple_defaultdict_and_names(abc):
    a, b, c = abc
    Pair = collections.namedtuple("Pair", "first second")
    with tf.Session() as sess:
        p = sess.run(Pair(a, c))
        assert isinstance(p, Pair) and p == (2, 5)
        dd = sess.run(collections.defaultdict(list, {"k": c}))
        assert isinstance(dd, collections.defaultdict) and dd["k"] == 5
        assert sess.run("c:0") == 5
        assert sess.run(["Const:0", "c"]) == [2, None]


def test_fetch_op_returns_none_and_duplicates_fetched_once(abc):
    a, b, c = abc
    with tf.Session() as sess:
        assert sess.run(c.op) is None
        assert sess.run([c, c, c.op]) == [5, 5, None]
        (entry,) = [e for e in sess._cache.values() if len(e.plan.fetch_slots) == 2]
        assert entry.plan.fetch_slots[1] is None


def test_fetch_errors(abc):
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
            sess.run(None)
        with pytest.raises(TypeError, match="Fetch argument 3 has invalid type"):
            sess.run(3)
        with pytest.raises(ValueError, match="does not exist"):
            sess.run("nope:0")


def test_fetch_from_other_graph_is_an_error():
    g = tf.Graph()
    with g.as_default():
        other = tf.constant(1)
    tf.constant(0)  # the session's graph is not empty (that is a RuntimeError, as in TF)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="not an element of this graph"):
            sess.run(other)


def test_fetched_arrays_are_copies():
    c = tf.constant([1.0, 2.0])
    with tf.Session() as sess:
        v = sess.run(c)
        v[0] = 100.0
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])


def test_feed_placeholder_by_tensor_name_and_tuple():
    x = tf.placeholder(tf.float32, shape=[2], name="x")
    y = tf.placeholder(tf.float32, shape=[2], name="y")
    s = fakes.add(x, y)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(s, {x: [1, 2], y: [3, 4]}), [4, 6])
        np.testing.assert_array_equal(sess.run(s, {"x:0": [1, 2], "y:0": [1, 1]}), [2, 3])
        np.testing.assert_array_equal(sess.run(s, {(x, y): ([0, 1], [1, 0])}), [1, 1])
        assert sess.run(s, {x: [1, 2], y: [3, 4]}).dtype == np.float32


@pytest.mark.parametrize("parallel", [False, True], ids=["straight_line", "parallel"])
def test_a_fed_tensor_wins_over_its_producer_when_the_producer_runs_too(parallel):
    """A fed tensor's producer may still run: another of its outputs is needed, or a
    control edge needs the op. Its consumers and fetches see the fed value (TF's feed
    rewrite), never the produced one."""
    config = tf.ConfigProto(device_count={"CPU": 2}, inter_op_parallelism_threads=2) \
        if parallel else None
    a = tf.constant([1.0, 2.0])
    u, v = tf.unstack(a * 2.0)
    uses_u = u + 100.0
    with tf.device("/cpu:1" if parallel else "/cpu:0"):
        uses_v = v + 1000.0
    b = a * 3.0
    uses_b = b + 1.0
    with tf.control_dependencies([b.op]):
        after_b = tf.identity(a)
    x = tf.placeholder_with_default(3.0, [])
    with tf.control_dependencies([x]):
        twice_x = x * 2.0
    with tf.Session(config=config) as sess:
        assert sess.run([uses_u, uses_v, u], {u: 7.0}) == [107.0, 1004.0, 7.0]
        got = sess.run([uses_b, after_b, b], {b: [5.0, 5.0]})
        np.testing.assert_array_equal(np.array(got), [[6.0, 6.0], [1.0, 2.0], [5.0, 5.0]])
        assert sess.run(twice_x, {x: 1.0}) == 2.0
        assert sess.run(twice_x) == 6.0


def test_unfed_placeholder_message():
    p = tf.placeholder(tf.float32, shape=[10], name="P")
    out = fakes.add(p, p)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            sess.run(out)
        assert ("You must feed a value for placeholder tensor 'P' with dtype float and "
                "shape [10]") in str(info.value)
        # the session is still usable
        assert sess.run(out, {p: np.ones(10)}).sum() == 20


def test_feed_shape_and_type_errors():
    p = tf.placeholder(tf.float32, shape=[None, 3], name="p")
    i = tf.placeholder(tf.int32, shape=[], name="i")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2,\) for Tensor "
                                             r"'p:0', which has shape '\(\?, 3\)'"):
            sess.run(p, {p: [1, 2]})
        np.testing.assert_array_equal(sess.run(p, {p: np.zeros((4, 3))}), np.zeros((4, 3)))
        with pytest.raises(TypeError, match="not compatible with Tensor type"):
            sess.run(i, {i: 2 ** 40})
        with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor"):
            sess.run(i, {i: tf.constant(1)})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key"):
            sess.run(i, {"missing:0": 1})


def test_any_tensor_can_be_fed(abc):
    a, b, c = abc
    with tf.Session() as sess:
        assert sess.run(c, {a: 10}) == 13
        assert sess.run(c, {c: 7}) == 7
        assert sess.run(a, {a: 5}) == 5


def test_closed_session_raises(abc):
    a, b, c = abc
    with tf.Session() as sess:
        assert sess.run(a) == 2
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess.run(c)
    sess2 = tf.Session()
    sess2.close()
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        sess2.run(a)


def test_context_manager_is_not_reentrant(abc):
    sess = tf.Session()
    with sess:
        with pytest.raises(RuntimeError, match="not re-entrant"):
            with sess:
                pass


def test_default_session_eval_and_operation_run(abc):
    a, b, c = abc
    with pytest.raises(ValueError, match="No default session is registered"):
        c.eval()
    sess = tf.Session()
    with sess.as_default():
        assert tf.get_default_session() is sess
        assert c.eval() == 5
        assert c.op.run() is None
        assert c.eval(feed_dict={a: 0}) == 3
    assert tf.get_default_session() is None
    assert c.eval(session=sess) == 5
    sess.close()


def test_session_graph_mismatch_for_eval():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(1)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match="graph is different"):
            x.eval(session=sess)


def test_interactive_session_installs_default(abc):
    a, b, c = abc
    sess = tf.InteractiveSession()
    try:
        assert tf.get_default_session() is sess
        assert c.eval() == 5
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_session_with_explicit_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.constant(4.0)
        y = fakes.add(x, x)
    with tf.Session(graph=g) as sess:
        assert sess.graph is g
        assert sess.run(y) == 8.0


def test_make_callable(abc):
    a, b, c = abc
    x = tf.placeholder(tf.int32, [])
    y = fakes.add(x, c)
    with tf.Session() as sess:
        f = sess.make_callable(y, [x])
        assert f(1) == 6 and f(10) == 15
        g = sess.make_callable([c, a])
        assert g() == [5, 2]
        with pytest.raises(TypeError):
            f()


def test_list_devices_full_names():
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        names = [d.name for d in sess.list_devices()]
    assert names == ["/job:localhost/replica:0/task:0/device:CPU:0",
                     "/job:localhost/replica:0/task:0/device:CPU:1"]


def test_plan_cache_reused_per_fetch_and_feed_signature(abc):
    a, b, c = abc
    with tf.Session() as sess:
        sess.run(c)
        sess.run(c)
        sess.run([c])
        sess.run(c, {a: 1})
        assert len(sess._cache) == 3


def test_trace_fills_step_stats_per_device(abc):
    a, b, c = abc
    meta = tf.RunMetadata()
    with tf.Session() as sess:
        sess.run(c, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                 run_metadata=meta)
    (dev,) = meta.step_stats.dev_stats
    assert dev.device.endswith("device:CPU:0")
    names = {n.node_name for n in dev.node_stats}
    assert names == {"Const", "Const_1", "c"}
    assert all(n.all_end_rel_micros >= 0 and n.all_start_micros > 0 for n in dev.node_stats)


def test_output_partition_graphs(abc):
    a, b, c = abc
    meta = tf.RunMetadata()
    with tf.Session() as sess:
        sess.run(c, options=tf.RunOptions(output_partition_graphs=True), run_metadata=meta)
    (part,) = meta.partition_graphs
    assert {n["name"] for n in part["node"]} == {"Const", "Const_1", "c"}


def test_log_device_placement_prints_each_op(abc):
    a, b, c = abc
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
            sess.run(c)
    assert "c: (TestAdd): /job:localhost/replica:0/task:0/device:CPU:0" in err.getvalue()


def test_set_log_device_placement_logs_every_session(abc):
    a, b, c = abc
    assert tf.debugging.get_log_device_placement() is False
    tf.debugging.set_log_device_placement(True)
    try:
        assert tf.debugging.get_log_device_placement() is True
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            with tf.Session() as sess:
                sess.run(c)
    finally:
        tf.debugging.set_log_device_placement(False)
    assert "c: (TestAdd): /job:localhost/replica:0/task:0/device:CPU:0" in err.getvalue()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        with tf.Session() as sess:
            sess.run(c)
    assert err.getvalue() == ""


def test_device_scope_missing_device_and_soft_placement():
    with tf.device("/device:GPU:7"):
        x = tf.constant(1.0, name="x")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="Cannot assign a device for operation x"):
            sess.run(x)
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(x) == 1.0


def test_two_sessions_hold_separate_state():
    x = fakes.counter(tf.constant(1.0), name="ctr")
    s1, s2 = tf.Session(), tf.Session()
    s1.run(x)
    s1.run(x)
    s2.run(x)
    assert s1._state[("count", "ctr")] == 2 and s2._state[("count", "ctr")] == 1


def test_scalar_feed_is_shape_checked():
    p = tf.placeholder(tf.float32, [2], name="p2")
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(\) for Tensor "
                                             r"'p2:0', which has shape '\(2,\)'"):
            sess.run(p, {p: 3.0})


def test_string_feeds_are_utf8_bytes():
    s = tf.placeholder(tf.string, [])
    v = tf.placeholder(tf.string, [None])
    with tf.Session() as sess:
        assert sess.run(s, {s: "héllo"}) == "héllo".encode("utf-8")
        assert list(sess.run(v, {v: ["a", b"b"]})) == [b"a", b"b"]


def test_kernels_follow_tf_float_semantics_without_warnings(recwarn):
    x = tf.constant([0.0, 1.0])
    i = tf.constant(2 ** 30, tf.int32)
    with tf.Session() as sess:
        out = sess.run(tf.log(x))
        wrapped = sess.run(i * 4)
    assert out[0] == -np.inf and wrapped == 0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("parallel", [False, True])
def test_variable_read_under_control_dependency_sees_update(parallel, monkeypatch):
    from flowexec.runtime import cost as cost_mod

    if parallel:
        monkeypatch.setattr(cost_mod, "EXPENSIVE_COST", 0.0)
        monkeypatch.setattr(cost_mod, "PARALLEL_MIN_SAVING", 0.0)
        monkeypatch.setattr(cost_mod, "PARALLEL_MIN_RATIO", 0.0)
    v = tf.Variable(1.0)
    inc = tf.assign_add(v, 1.0)
    with tf.control_dependencies([inc]):
        read = v.read_value()
        ident = tf.identity(v)
        plus = v + 0.0
    with tf.Session(config=tf.ConfigProto(inter_op_parallelism_threads=2)) as sess:
        sess.run(tf.global_variables_initializer())
        assert [sess.run(read), sess.run(ident), sess.run(plus)] == [2.0, 3.0, 4.0]


def test_plan_cache_is_bounded(monkeypatch):
    from flowexec.runtime import session as session_mod

    monkeypatch.setattr(session_mod, "MAX_CACHED_PLANS", 3)
    x = tf.constant(1.0)
    outs = [fakes.add(x, float(i)) for i in range(5)]
    with tf.Session() as sess:
        for o in outs:
            sess.run(o)
        assert len(sess._cache) == 3
        assert [sess.run(o) for o in outs] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_set_shape_after_a_run_is_checked_on_later_feeds():
    p = tf.placeholder(tf.float32, None, name="ps")
    y = fakes.add(p, p)
    with tf.Session() as sess:
        assert sess.run(y, {p: [1.0, 2.0, 3.0]}).tolist() == [2.0, 4.0, 6.0]
        p.set_shape([2])
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            sess.run(y, {p: [1.0, 2.0, 3.0]})
