"""MonitoredSession, MonitoredTrainingSession, Scaffold and SessionManager: a training loop
with hooks, checkpoints every N steps and resuming from them, stopping on OutOfRangeError,
the order of the hook calls, recovery from preemption errors, and the chief/worker paths."""

import numpy as np
import pytest

import flowexec as tf
from flowexec import errors


def _regression():
    """y = 2x + 1 fitted by gradient descent, with a global step; returns the pieces."""
    rng = np.random.RandomState(0)
    xs = rng.rand(32, 1).astype(np.float32)
    x = tf.constant(xs)
    y = tf.constant(2.0 * xs + 1.0)
    w = tf.Variable([[0.0]], name="w")
    b = tf.Variable([0.0], name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=step)
    return w, b, step, loss, train


class _Recorder(tf.train.SessionRunHook):
    """Appends (name, event) to a shared list; fetches `fetch` and keeps the results."""

    def __init__(self, name, log, fetch=None, feed=None):
        self.name, self.log, self.fetch, self.feed = name, log, fetch, feed
        self.results = []

    def begin(self):
        self.log.append((self.name, "begin", tf.get_default_graph().finalized))

    def after_create_session(self, session, coord):
        assert isinstance(coord, tf.train.Coordinator)
        self.log.append((self.name, "after_create_session", session.graph.finalized))

    def before_run(self, run_context):
        self.log.append((self.name, "before_run"))
        if self.fetch is None and self.feed is None:
            return None
        return tf.train.SessionRunArgs(self.fetch, feed_dict=self.feed)

    def after_run(self, run_context, run_values):
        self.log.append((self.name, "after_run"))
        self.results.append(run_values.results)

    def end(self, session):
        self.log.append((self.name, "end"))


def test_training_loop_with_hooks_stops_at_last_step_and_learns():
    _w, _b, _step, loss, train = _regression()
    losses = []
    with tf.train.MonitoredTrainingSession(
            hooks=[tf.train.StopAtStepHook(last_step=60), tf.train.NanTensorHook(loss)]) as sess:
        while not sess.should_stop():
            _, value = sess.run([train, loss])
            losses.append(value)
    assert len(losses) == 60
    assert losses[-1] < 0.05 * losses[0]
    assert sess.should_stop()


def test_num_steps_counts_from_the_restored_step(tmp_path):
    w, _b, step, _loss, train = _regression()
    ckpt = str(tmp_path)
    final = tf.train.FinalOpsHook(w)
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir=ckpt, save_checkpoint_steps=3, save_summaries_steps=None,
            log_step_count_steps=None,
            hooks=[tf.train.StopAtStepHook(num_steps=7), final]) as sess:
        while not sess.should_stop():
            sess.run(train)
    w_saved = final.final_ops_values
    state = tf.train.get_checkpoint_state(ckpt)
    # saved when the session was created, every 3 steps, and at the end
    assert [p.rsplit("-", 1)[1] for p in state.all_model_checkpoint_paths] == ["0", "3", "6", "7"]
    assert state.model_checkpoint_path.endswith("model.ckpt-7")
    seen = []
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir=ckpt, save_checkpoint_steps=3, save_summaries_steps=None,
            log_step_count_steps=None, hooks=[tf.train.StopAtStepHook(num_steps=2)]) as sess:
        np.testing.assert_array_equal(sess.run(w), w_saved)  # restored, not re-initialized
        while not sess.should_stop():
            seen.append(sess.run([step, train])[0])
    assert seen == [7, 8]
    assert tf.train.latest_checkpoint(ckpt).endswith("model.ckpt-9")


def test_checkpoint_secs_default_and_saver_listener(tmp_path):
    _w, _b, _step, _loss, train = _regression()
    calls = []

    class Listener(tf.train.CheckpointSaverListener):
        def begin(self):
            calls.append("begin")

        def before_save(self, session, global_step_value):
            calls.append(("before_save", int(global_step_value)))

        def after_save(self, session, global_step_value):
            calls.append(("after_save", int(global_step_value)))
            return global_step_value >= 4  # asks to stop

        def end(self, session, global_step_value):
            calls.append(("end", int(global_step_value)))

    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=2, listeners=[Listener()])
    n = 0
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        while not sess.should_stop():
            sess.run(train)
            n += 1
    assert n == 4
    assert calls == ["begin", ("before_save", 0), ("after_save", 0), ("before_save", 2),
                     ("after_save", 2), ("before_save", 4), ("after_save", 4), ("end", 4)]


def test_hooks_are_called_in_order_and_get_their_own_results():
    _w, _b, step, loss, train = _regression()
    x = tf.placeholder(tf.float32, [], name="x")
    doubled = x * 2.0
    log = []
    a = _Recorder("a", log, fetch={"step": step})
    b_hook = _Recorder("b", log, feed={x: 3.0}, fetch=doubled)
    c = _Recorder("c", log)
    assert not tf.get_default_graph().finalized
    with tf.train.MonitoredSession(hooks=[a, b_hook, c]) as sess:
        assert tf.get_default_graph().finalized
        out = sess.run(train)
        assert out is None  # only the caller's fetches come back
        out = sess.run({"l": loss, "d": doubled})
        assert set(out) == {"l", "d"} and out["d"] == 6.0  # the hook's feed reached it
    assert not tf.get_default_graph().finalized  # as it was before
    assert log[:3] == [("a", "begin", False), ("b", "begin", False), ("c", "begin", False)]
    assert log[3:6] == [(n, "after_create_session", True) for n in "abc"]
    one_run = [(n, "before_run") for n in "abc"] + [(n, "after_run") for n in "abc"]
    assert log[6:18] == one_run + one_run
    assert log[18:] == [("a", "end"), ("b", "end"), ("c", "end")]
    assert [r["step"] for r in a.results] == [0, 1]
    assert b_hook.results == [6.0, 6.0]
    assert c.results == [None, None]


def test_feed_conflicts_between_hooks_and_user_are_errors():
    x = tf.placeholder(tf.float32, [], name="x")
    y = x + 1.0
    hooks = [tf.train.FeedFnHook(lambda: {x: 1.0})]
    with tf.train.MonitoredSession(hooks=hooks) as sess:
        assert sess.run(y) == 2.0
        with pytest.raises(RuntimeError, match="Same tensor is fed by a SessionRunHook and user"):
            sess.run(y, feed_dict={x: 5.0})
    hooks = [tf.train.FeedFnHook(lambda: {x: 1.0}), tf.train.FeedFnHook(lambda: {x: 2.0})]
    with tf.train.MonitoredSession(hooks=hooks) as sess:
        with pytest.raises(RuntimeError, match="Same tensor is fed by two hooks"):
            sess.run(y)


def _mentions(fetches, marker):
    if fetches is marker:
        return True
    if isinstance(fetches, (list, tuple)):
        return any(_mentions(f, marker) for f in fetches)
    if isinstance(fetches, dict):
        return any(_mentions(f, marker) for f in fetches.values())
    return False


def _fail_runs(sess, marker, error, when):
    """Makes `sess.run` raise `error` on the runs that fetch `marker` whose count (from 1,
    shared through the dict `when["n"]`) satisfies `when["fails"](count)`: a stand-in for
    an exhausted input or a lost task."""
    run = sess.run

    def failing_run(fetches, *args, **kwargs):
        if _mentions(fetches, marker):
            when["n"] += 1
            if when["fails"](when["n"]):
                raise error
        return run(fetches, *args, **kwargs)

    sess.run = failing_run
    return sess


class _FailingCreator(tf.train.SessionCreator):
    """Creates real sessions (through `inner`) whose runs fail as `_fail_runs` says."""

    def __init__(self, marker, fails, error, inner=None):
        self.inner = inner or tf.train.ChiefSessionCreator()
        self.marker, self.error = marker, error
        self.count = {"n": 0, "fails": fails}
        self.created = 0

    def create_session(self):
        self.created += 1
        return _fail_runs(self.inner.create_session(), self.marker, self.error, self.count)


def test_out_of_range_ends_the_with_block_cleanly_and_calls_end():
    value = tf.constant(1.0)
    log = []
    seen = []
    final = tf.train.FinalOpsHook(tf.constant(42))
    creator = _FailingCreator(value, lambda n: n > 3,
                              errors.OutOfRangeError(None, None, "End of sequence"))
    with tf.train.MonitoredSession(creator, hooks=[_Recorder("r", log), final]) as sess:
        while not sess.should_stop():
            seen.append(sess.run(value))
    assert seen == [1.0, 1.0, 1.0]
    assert sess.should_stop()
    assert log[-1] == ("r", "end")  # a normal end: the hooks' end() ran
    assert final.final_ops_values == 42


def test_other_errors_propagate_without_calling_end():
    value = tf.constant(1.0)
    log = []
    creator = _FailingCreator(value, lambda n: n > 1,
                              errors.InvalidArgumentError(None, None, "bad"))
    with pytest.raises(errors.InvalidArgumentError, match="bad"):
        with tf.train.MonitoredSession(creator, hooks=[_Recorder("r", log)]) as sess:
            while not sess.should_stop():
                sess.run(value)
    assert ("r", "end") not in log


def test_preemption_errors_recreate_the_session_from_the_last_checkpoint(tmp_path):
    _w, _b, step, _loss, train = _regression()
    log = []
    steps = []
    scaffold = tf.train.Scaffold()
    inner = tf.train.ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=str(tmp_path))
    # the fifth training run loses its "parameter server"
    creator = _FailingCreator(train, lambda n: n == 5,
                              errors.UnavailableError(None, None, "Socket closed"), inner=inner)
    saver_hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=2, scaffold=scaffold)
    hooks = [saver_hook, tf.train.StopAtStepHook(last_step=6), _Recorder("r", log)]
    with tf.train.MonitoredSession(creator, hooks=hooks) as sess:
        while not sess.should_stop():
            steps.append(sess.run([step, train])[0])
    assert creator.created == 2
    assert [e for e in log if e[1] == "after_create_session"] == \
        [("r", "after_create_session", True)] * 2
    # runs 1-4 train steps 0..3 and leave checkpoints of steps 0, 2 and 4; the 5th run
    # fails before training; the new session restores step 4 and trains on from there.
    assert steps == [0, 1, 2, 3, 4, 5]


def test_singular_monitored_session_does_not_recover_and_has_a_raw_session():
    value = tf.constant(1.0)
    once = {"n": 0, "fails": lambda n: n == 2}
    with tf.train.SingularMonitoredSession() as sess:
        raw = sess.raw_session()
        assert isinstance(raw, tf.Session)
        _fail_runs(raw, value, errors.AbortedError(None, None, "aborted"), once)
        assert sess.run(value) == 1.0
        with pytest.raises(errors.AbortedError, match="aborted"):
            sess.run(value)
    creator = _FailingCreator(value, lambda n: n == 2, errors.AbortedError(None, None, "x"))
    with tf.train.MonitoredSession(creator) as sess:
        assert sess.run(value) == 1.0
        assert sess.run(value) == 1.0  # failed once, then ran in a new session
    assert creator.created == 2 and creator.count["n"] == 3


def test_run_after_a_stop_request_is_an_error():
    _w, _b, _step, _loss, train = _regression()
    with tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=1)]) as sess:
        sess.run(train)
        assert sess.should_stop()
        with pytest.raises(RuntimeError, match="Run called even after should_stop requested"):
            sess.run(train)
    with pytest.raises(RuntimeError, match="Session is already closed"):
        sess.close()


def test_run_step_fn_runs_with_and_without_hooks():
    _w, _b, step, _loss, train = _regression()
    log = []

    def step_fn(step_context):
        before = step_context.session.run(step)  # no hooks
        step_context.run_with_hooks(train)
        if before >= 2:
            step_context.request_stop()
        return before

    with tf.train.MonitoredSession(hooks=[_Recorder("r", log)]) as sess:
        got = []
        while not sess.should_stop():
            got.append(sess.run_step_fn(step_fn))
    # request_stop raises StopIteration out of run_step_fn, which the with block swallows
    assert got == [0, 1]
    assert log.count(("r", "before_run")) == 3
    with pytest.raises(ValueError, match="step_context"):
        with tf.train.MonitoredSession() as sess:
            sess.run_step_fn(lambda ctx: None)


def test_scaffold_takes_collections_and_rejects_ambiguity():
    v = tf.Variable(1.0, name="v")
    init = tf.variables_initializer([v], name="my_init")
    tf.add_to_collection(tf.GraphKeys.INIT_OP, init)
    scaffold = tf.train.Scaffold().finalize()
    assert scaffold.init_op is init
    assert isinstance(scaffold.saver, tf.train.Saver)
    assert tf.get_collection(tf.GraphKeys.SAVERS) == [scaffold.saver]
    assert tf.get_default_graph().finalized
    with pytest.raises(RuntimeError, match="finalized"):
        tf.constant(1)
    tf.get_default_graph()._unsafe_unfinalize()
    tf.add_to_collection(tf.GraphKeys.INIT_OP, tf.no_op())
    with pytest.raises(RuntimeError, match='More than one item in the collection "init_op"'):
        tf.train.Scaffold().finalize()
    with pytest.raises(TypeError, match="copy_from_scaffold"):
        tf.train.Scaffold(copy_from_scaffold=object())
    copied = tf.train.Scaffold(copy_from_scaffold=scaffold, init_feed_dict={})
    assert copied.init_op is init and copied.init_feed_dict == {}


def test_init_fn_and_local_init_op_run_on_creation():
    v = tf.Variable(1.0, name="v")
    local = tf.Variable(5.0, name="local", collections=[tf.GraphKeys.LOCAL_VARIABLES])
    called = []
    assign = v.assign(7.0)  # before the graph is finalized

    def init_fn(scaffold, sess):
        called.append(scaffold)
        sess.run(assign)

    scaffold = tf.train.Scaffold(init_fn=init_fn)
    with tf.train.MonitoredSession(tf.train.ChiefSessionCreator(scaffold=scaffold)) as sess:
        assert sess.run([v, local]) == [7.0, 5.0]
    assert called == [scaffold]


def test_session_manager_reports_not_ready_and_workers_time_out():
    v = tf.Variable(1.0, name="v")
    ready = tf.report_uninitialized_variables()
    manager = tf.train.SessionManager(ready_op=ready, recovery_wait_secs=0.05)
    with pytest.raises(RuntimeError, match="Variables not initialized: v"):
        manager.prepare_session("", init_op=tf.no_op())
    with pytest.raises(RuntimeError, match="no init_op or init_fn or local_init_op"):
        manager.prepare_session("")
    sess = manager.prepare_session("", init_op=tf.global_variables_initializer())
    assert sess.run(v) == 1.0
    # Sessions on one machine do not share variables: a worker never sees them ready.
    with pytest.raises(errors.DeadlineExceededError,
                       match="Session was not ready after waiting 0.2 secs"):
        manager.wait_for_session("", max_wait_secs=0.2)
    with pytest.raises(ValueError, match="ready_for_local_init_op"):
        tf.train.SessionManager(ready_for_local_init_op=ready)


def test_worker_session_is_ready_when_there_is_nothing_to_initialize():
    x = tf.placeholder(tf.float32, [])
    y = x * 3.0
    with tf.train.MonitoredTrainingSession(is_chief=False, max_wait_secs=1) as sess:
        assert sess.run(y, feed_dict={x: 2.0}) == 6.0


def test_summaries_and_step_counter_are_written(tmp_path):
    pytest.importorskip("tensorboard", reason="events need the optional 'tensorboard' extra")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _w, _b, _step, loss, train = _regression()
    tf.summary.scalar("loss", loss)
    with tf.train.MonitoredTrainingSession(
            checkpoint_dir=str(tmp_path), save_summaries_steps=3, log_step_count_steps=2,
            save_checkpoint_steps=100, hooks=[tf.train.StopAtStepHook(last_step=8)]) as sess:
        while not sess.should_stop():
            sess.run(train)
    acc = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss")] == [1, 4, 7]
    assert [e.step for e in acc.Scalars("global_step/sec")] == [3, 5, 7]
    assert (tmp_path / "graph.pbtxt").read_text().count('op: "VariableV2"') == 3


def test_a_thread_error_stops_the_session_and_is_raised_on_close():
    value = tf.constant(1.0)

    class Starter(tf.train.SessionRunHook):
        def after_create_session(self, session, coord):
            def work():
                with coord.stop_on_exception():
                    raise ValueError("reader thread failed")
            tf.train.LooperThread.loop(coord, None, work)

    sess = tf.train.MonitoredSession(hooks=[Starter()])
    assert sess.StepContext is tf.train.MonitoredSession.StepContext
    deadline = 100
    while not sess.should_stop() and deadline:
        sess.run(value)
        deadline -= 1
    assert sess.should_stop()
    with pytest.raises(ValueError, match="reader thread failed"):
        sess.close()
