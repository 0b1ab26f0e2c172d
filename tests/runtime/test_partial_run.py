"""Session.partial_run_setup / partial_run: TF 1.x's partial runs (DirectSession PRun).

The cases of TF's session_partial_run_test, as behaviours, and what TF does beyond them:
each op runs once per partial run (at setup when it needs no feed), values of earlier calls
are kept, TF's messages (recorded from TF 2.x's tf.compat.v1), concurrent partial runs.
"""

import re
import threading

import numpy as np
import pytest

import flowexec as tf
from flowexec.runtime import pipeline


@pytest.fixture
def abc():
    a = tf.placeholder(tf.float32, shape=[], name="a")
    b = tf.placeholder(tf.float32, shape=[], name="b")
    c = tf.placeholder(tf.float32, shape=[], name="c")
    r1 = tf.add(a, b, name="r1")
    r2 = tf.multiply(r1, c, name="r2")
    return a, b, c, r1, r2


def _live(sess):
    return len(sess._partial_runs._runs)


def _raises(exc, message):
    return pytest.raises(exc, match="^" + re.escape(message) + "$")


def test_partial_run_feeds_and_fetches_across_calls(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        res = sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
        assert res == 3 and isinstance(res, np.float32)
        assert sess.partial_run(h, r2, feed_dict={c: res * 17}) == 153
        # again on the same graph: a new partial run, from scratch
        h2 = sess.partial_run_setup([r1, r2], [a, b, c])
        res = sess.partial_run(h2, r1, feed_dict={a: 1, b: 2})
        assert sess.partial_run(h2, r2, feed_dict={c: res * 18}) == 162


def test_handle_is_tfs_string_with_sorted_names_and_a_session_counter(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        assert sess.partial_run_setup([r2, r1], [c, a, b]) == "a:0,b:0,c:0->r1:0,r2:0//1/;0"
        assert sess.partial_run_setup([r1.op, r2], [a, b, c]) == "a:0,b:0,c:0->r2:0/r1/1/;1"
        assert sess.partial_run_setup(r1) == "->r1:0//1/;2"  # a single fetch, no feeds
    with tf.Session() as other:
        assert other.partial_run_setup([r1], a).endswith(";0")  # a lone feed is a list


def test_an_unfinished_partial_run_is_no_error(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        assert sess.partial_run(h, r1, feed_dict={a: 1, b: 2}) == 3
        assert _live(sess) == 1
    assert _live(sess) == 0  # close() forgets it


def test_concurrent_partial_runs_on_one_session_are_independent(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h1 = sess.partial_run_setup([r1], [a, b, c])
        h2 = sess.partial_run_setup([r1, r2], [a, b, c])
        res = sess.partial_run(h1, r1, feed_dict={a: 1, b: 2})
        assert res == 3
        assert sess.partial_run(h2, r1, feed_dict={a: res * 19, b: 9}) == 66
        assert sess.partial_run(h2, r2, feed_dict={c: 7}) == 462


def test_partial_runs_in_many_threads_each_get_their_own_values(abc):
    a, b, c, r1, r2 = abc
    got = {}
    errors = []
    with tf.Session() as sess:
        def work(i):
            try:
                for _ in range(20):
                    h = sess.partial_run_setup([r1, r2], [a, b, c])
                    x = sess.partial_run(h, r1, {a: float(i), b: 1.0})
                    y = sess.partial_run(h, r2, {c: 2.0})
                    got.setdefault(i, set()).add((float(x), float(y)))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert got == {i: {(i + 1.0, 2 * (i + 1.0))} for i in range(4)}
        assert _live(sess) == 0


def test_many_calls_on_one_chain_each_feed_one_step():
    steps = 200
    inputs, outputs = [], []
    x = tf.constant(2.0, tf.float32)
    for i in range(steps):
        inputs.append(tf.placeholder(tf.float32, shape=[]))
        x = tf.multiply(x, inputs[i])
        outputs.append(x)
    with tf.Session() as sess:
        h = sess.partial_run_setup(outputs, inputs)
        for i in range(steps):
            res = sess.partial_run(h, outputs[i], feed_dict={inputs[i]: 1.0})
        assert res == 2.0
        res = sess.run(outputs, dict.fromkeys(inputs, 1.0))
        assert len(res) == steps and res[-1] == 2.0
        assert _live(sess) == 0


def test_run_and_partial_run_agree():
    a = tf.constant(2.0, tf.float32)
    b = a * 2
    c = b * 3
    with tf.Session() as sess:
        r1 = sess.run([b, c])
        h = sess.partial_run_setup([b, c], [])
        assert sess.partial_run(h, [b, c]) == r1 == [4.0, 12.0]


def test_an_unfed_placeholder_fails_the_first_call_and_ends_the_run():
    x = tf.placeholder(tf.float32, shape=(), name="x")
    fetches = [x * 2, x * 3]
    with tf.Session() as sess:
        h = sess.partial_run_setup(fetches=fetches, feeds=[])  # TF: reported later, too
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="You must feed a value for placeholder tensor 'x'"):
            sess.partial_run(h, fetches[0])
        with _raises(tf.errors.InvalidArgumentError,
                     "Must run 'setup' before performing partial runs!"):
            sess.partial_run(h, fetches[1])


def test_feeding_a_tensor_not_declared_is_refused_and_the_run_goes_on(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1], [a, b])
        with _raises(tf.errors.InvalidArgumentError,
                     "The feed c:0 was not specified in partial_run_setup."):
            sess.partial_run(h, r1, feed_dict={a: 1, b: 2, c: 3})
        assert sess.partial_run(h, r1, feed_dict={a: 1, b: 2}) == 3


def test_fetching_a_tensor_not_declared_is_refused(abc):
    a, b, c, r1, _ = abc
    r2 = tf.multiply(a, c, name="ac")
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1], [a, b, c])
        with _raises(tf.errors.InvalidArgumentError,
                     "The fetch ac:0 was not specified in partial_run_setup."):
            sess.partial_run(h, r2, feed_dict={a: 1, c: 3})
        assert sess.partial_run(h, r1, feed_dict={a: 1, b: 2}) == 3


def test_feeding_twice_and_fetching_twice_are_refused(abc):
    a, b, c, r1, _ = abc
    r2 = tf.multiply(a, c, name="ac")
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
        with _raises(tf.errors.InvalidArgumentError, "The feed a:0 has already been fed."):
            sess.partial_run(h, r2, feed_dict={a: 1, c: 3})
        with _raises(tf.errors.InvalidArgumentError,
                     "The fetch r1:0 has already been fetched."):
            sess.partial_run(h, r1, feed_dict={c: 3})
        assert sess.partial_run(h, r2, feed_dict={c: 3}) == 3
        assert _live(sess) == 0


def test_a_fetch_that_needs_an_unfed_feed_names_it_and_the_run_goes_on(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        msg = "Fetch c:0 can't be computed from the feeds that have been fed so far."
        with _raises(tf.errors.InvalidArgumentError, msg):
            sess.partial_run(h, r2, feed_dict={a: 1, b: 2})
        with _raises(tf.errors.InvalidArgumentError, msg.replace("c:0", "a:0")):
            sess.partial_run(h, [r2], feed_dict={c: 2})
        assert sess.partial_run(h, r1, feed_dict={a: 1, b: 2}) == 3
        assert sess.partial_run(h, r2, feed_dict={c: 2}) == 6


def test_a_call_may_only_feed_and_a_later_one_fetch():
    a = tf.placeholder(tf.float32)
    b = a * 2.0
    with tf.Session() as sess:
        h = sess.partial_run_setup(fetches=[b], feeds=[a])
        assert sess.partial_run(h, [], {a: 3.0}) == []
        assert sess.partial_run(h, [b], {}) == [6.0]


def test_a_call_with_nothing_to_do_returns_at_once_whatever_the_handle(abc):
    *_, r1, _ = abc
    with tf.Session() as sess:
        assert sess.partial_run("no such handle", []) == []
        assert sess.partial_run("no such handle", {}) == {}


def test_setup_errors_are_tfs(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        with _raises(tf.errors.InvalidArgumentError,
                     "Must specify at least one target to fetch or execute."):
            sess.partial_run_setup(fetches=[], feeds=[a])
        with _raises(tf.errors.InvalidArgumentError, "r1:0 is both fed and fetched."):
            sess.partial_run_setup([r1, r2], [a, b, c, r1])
        with _raises(tf.errors.InvalidArgumentError, 'Endpoint "a:0" fed more than once.'):
            sess.partial_run_setup([r1], [a, a, b])
        with pytest.raises(TypeError, match="^Cannot interpret feed_list key as Tensor: "):
            sess.partial_run_setup([r1], [3])
        with pytest.raises(ValueError, match="^Cannot interpret feed_list key as Tensor: "):
            sess.partial_run_setup([r1], ["a:0", "b"])  # "b" names an operation
        with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
            sess.partial_run_setup(None)
        assert _live(sess) == 0


def test_setup_without_feeds_and_fetches_by_name(abc):
    a, b, c, r1, r2 = abc
    r = tf.constant([6.0])
    with tf.Session() as sess:
        h = sess.partial_run_setup([r])
        np.testing.assert_array_equal(sess.partial_run(h, r), [6.0])
        h = sess.partial_run_setup(["r1:0", "r2:0"], ["a:0", "b:0", "c:0"])
        assert sess.partial_run(h, "r1:0", feed_dict={"a:0": 1, "b:0": 2}) == 3
        assert sess.partial_run(h, {"x": r2}, feed_dict={c: 2}) == {"x": 6.0}
        h = sess.partial_run_setup([[r1], {"k": r2}], [a, b, c])  # nested: flattened
        assert sess.partial_run(h, (r1,), feed_dict={a: 1, b: 2}) == (3.0,)


def test_an_intermediate_tensor_may_be_a_declared_feed(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r2], [r1, c])
        assert sess.partial_run(h, r2, feed_dict={r1: 5, c: 2}) == 10


def test_a_stateful_op_two_calls_share_runs_once_at_setup():
    a = tf.placeholder(tf.float32, shape=[])
    b = tf.placeholder(tf.float32, shape=[])
    v = tf.Variable(0.0, name="v")
    inc = tf.assign_add(v, 1.0)
    y, z = inc * a, inc * b
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.partial_run_setup([y, z], [a, b])
        assert sess.run(v) == 1.0   # it needs no feed: it ran at setup, as in TF
        assert sess.partial_run(h, y, feed_dict={a: 2}) == 2.0
        assert sess.partial_run(h, z, feed_dict={b: 3}) == 3.0
        assert sess.run(v) == 1.0
        h = sess.partial_run_setup([y, z], [a, b])   # a new partial run: once more
        assert sess.partial_run(h, [y, z], feed_dict={a: 1, b: 1}) == [2.0, 2.0]


def test_a_random_value_is_the_same_in_every_call_that_reads_it():
    a = tf.placeholder(tf.float32, shape=[])
    b = tf.placeholder(tf.float32, shape=[])
    rnd = tf.random_uniform([4])
    p, q = rnd + a, rnd + b
    with tf.Session() as sess:
        h = sess.partial_run_setup([p, q], [a, b])
        pv = sess.partial_run(h, p, {a: 0.0})
        qv = sess.partial_run(h, q, {b: 0.0})
        np.testing.assert_array_equal(pv, qv)
        h = sess.partial_run_setup([p, q], [a, b])
        assert not np.array_equal(sess.partial_run(h, p, {a: 0.0}), pv)


def test_an_op_that_waits_for_a_feed_runs_in_the_call_that_feeds_it():
    a = tf.placeholder(tf.float32, shape=[])
    b = tf.placeholder(tf.float32, shape=[])
    v = tf.Variable(0.0, name="v")
    inc = tf.assign_add(v, 10.0 * a)
    with tf.control_dependencies([inc]):
        after = tf.identity(b * 1.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.partial_run_setup([inc.op, after], [a, b])
        assert sess.run(v) == 0.0
        assert sess.partial_run(h, [], {a: 1.0}) == []   # the target runs now
        assert sess.run(v) == 10.0
        # its control edge is satisfied: `after` does not run it again
        assert sess.partial_run(h, after, {b: 4.0}) == 4.0
        assert sess.run(v) == 10.0
        assert _live(sess) == 0


def test_partial_run_cannot_fetch_an_operation(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1.op, r2], [a, b, c])
        with pytest.raises(RuntimeError, match=r"^partial_run\(\) requires empty "
                                               r"`target_list`\. Received: target_list="):
            sess.partial_run(h, r1.op, feed_dict={a: 1, b: 2})
        assert sess.partial_run(h, r2, feed_dict={a: 1, b: 2, c: 2}) == 6


def test_a_finished_unknown_or_foreign_handle_is_refused(abc):
    a, b, c, r1, r2 = abc
    msg = "Must run 'setup' before performing partial runs!"
    with tf.Session() as sess, tf.Session() as other:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        assert sess.partial_run(h, [r1, r2], feed_dict={a: 1, b: 2, c: 3}) == [3, 9]
        with _raises(tf.errors.InvalidArgumentError, msg):
            sess.partial_run(h, r2)
        with _raises(tf.errors.InvalidArgumentError, msg):
            sess.partial_run("foo;1", r1)
        h = sess.partial_run_setup([r1], [a, b])
        with _raises(tf.errors.InvalidArgumentError, msg):
            other.partial_run(h, r1, {a: 1, b: 2})
        assert sess.partial_run(h, r1, {a: 1, b: 2}) == 3


def test_closed_session_and_empty_graph():
    a = tf.placeholder(tf.float32, shape=[])
    r = a + 1.0
    sess = tf.Session()
    h = sess.partial_run_setup([r], [a])
    sess.close()
    with _raises(RuntimeError, "Attempted to use a closed Session."):
        sess.partial_run(h, r, {a: 1.0})
    with _raises(RuntimeError, "Attempted to use a closed Session."):
        sess.partial_run_setup([r], [a])
    with tf.Session(graph=tf.Graph()) as empty:
        with pytest.raises(RuntimeError, match="^The Session graph is empty"):
            empty.partial_run_setup([r], [a])


def test_an_op_failing_in_a_call_ends_the_run():
    s = tf.placeholder(tf.int32, shape=[None])
    k = tf.placeholder(tf.int32, shape=[])
    g = tf.gather(s, k)
    with tf.Session() as sess:
        h = sess.partial_run_setup([g], [s, k])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"= 5 is not in \[0, 2\)"):
            sess.partial_run(h, g, {s: [1, 2], k: 5})
        with _raises(tf.errors.InvalidArgumentError,
                     "Must run 'setup' before performing partial runs!"):
            sess.partial_run(h, g, {s: [1, 2], k: 1})
        assert _live(sess) == 0


def test_a_bad_feed_value_is_refused_before_the_run_changes(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        with pytest.raises(ValueError, match=r"^Cannot feed value of shape \(2,\) for Tensor"):
            sess.partial_run(h, r1, {a: [1, 2], b: 2})
        with pytest.raises(TypeError, match="^The value of a feed cannot be a tf.Tensor"):
            sess.partial_run(h, r1, {a: r2, b: 2})
        with pytest.raises(ValueError, match="^Tensor a:0 is fed more than once."):
            sess.partial_run(h, r1, {a: 1, "a:0": 1, b: 2})
        assert sess.partial_run(h, r1, {a: 1, b: 2}) == 3


def test_a_reference_variable_is_read_when_its_reader_runs():
    # TF 1.x: a RefVariable's value is read by the op that consumes it, when that op runs
    a = tf.placeholder(tf.float32, shape=[])
    v = tf.Variable(1.0, name="v")
    r = v * a
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.partial_run_setup([r], [a])
        sess.run(tf.assign(v, 5.0))
        assert sess.partial_run(h, r, {a: 2.0}) == 10.0


def test_a_training_step_split_in_two_calls_updates_once():
    x = tf.placeholder(tf.float32, shape=[None, 2])
    y = tf.placeholder(tf.float32, shape=[None, 1])
    w = tf.Variable(np.ones((2, 1), np.float32))
    pred = tf.matmul(x, w)
    loss = tf.reduce_mean(tf.square(pred - y))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    xv = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    yv = np.array([[1.0], [2.0]], np.float32)
    with tf.Session() as sess:
        sess.run(w.initializer)
        h = sess.partial_run_setup([pred, loss, train], [x, y])
        np.testing.assert_allclose(sess.partial_run(h, pred, {x: xv}), xv @ np.ones((2, 1)))
        lv = sess.partial_run(h, loss, {y: yv})
        err = xv @ np.ones((2, 1)) - yv
        np.testing.assert_allclose(lv, np.mean(err ** 2), rtol=1e-6)
        np.testing.assert_allclose(sess.run(w), 1.0 - 0.1 * (2 * xv.T @ err / 2), rtol=1e-6)


def test_plans_are_built_once_per_kind_of_call(abc, monkeypatch):
    a, b, c, r1, r2 = abc
    built = []
    real = pipeline.build

    def counting(*args, **kwargs):
        built.append(args[1])
        return real(*args, **kwargs)
    monkeypatch.setattr(pipeline, "build", counting)
    with tf.Session() as sess:
        for i in range(3):
            h = sess.partial_run_setup([r1, r2], [a, b, c])
            assert sess.partial_run(h, r1, {a: 1, b: float(i)}) == 1 + i
            assert sess.partial_run(h, r2, {c: 2}) == 2 * (1 + i)
        assert len(built) == 2   # setup runs nothing; one plan per call
        # each call's plan runs only what that call's feeds allow
        assert [[getattr(e, "name", None) for e in els] for els in built] == [
            ["r1:0"], ["r2:0"]]


def test_kept_values_are_dropped_when_no_later_call_reads_them(abc):
    a, b, c, r1, r2 = abc
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        state = sess._partial_runs._runs[h]
        sess.partial_run(h, [], {a: 1.0})
        assert set(state.values) == {a}       # r1 still needs it
        sess.partial_run(h, r1, {b: 2.0})
        assert set(state.values) == {r1}      # r2 still needs it; a and b are read
        sess.partial_run(h, r2, {c: 2.0})
        assert state.values == {} and _live(sess) == 0


def test_partial_run_on_a_cluster_target(abc):
    a, b, c, r1, r2 = abc
    server = tf.train.Server.create_local_server()
    try:
        with tf.Session(server.target) as sess:
            v = tf.Variable(0.0)
            inc = tf.assign_add(v, 1.0)
            y, z = inc * a, inc * b
            sess.run(v.initializer)
            h = sess.partial_run_setup([r1, r2, y, z], [a, b, c])
            assert sess.partial_run(h, [r1, y], {a: 1, b: 2}) == [3, 1]
            assert sess.partial_run(h, [r2, z], {c: 5}) == [15, 2]
            assert sess.run(v) == 1.0
    finally:
        server.stop()
