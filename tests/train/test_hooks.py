"""The standard SessionRunHooks one by one: what they log, when they trigger, NaN detection,
feeds, final ops, traces, and TF's errors for wrong arguments."""

import json
import logging
import os

import numpy as np
import pytest

import flowexec as tf


def _counter():
    """A global step and an op that adds one to it."""
    step = tf.train.get_or_create_global_step()
    return step, tf.assign_add(step, 1)


def test_logging_tensor_hook_every_n_iter_and_at_end(caplog):
    step, inc = _counter()
    x = tf.constant(0.5) * 3
    hook = tf.train.LoggingTensorHook({"x": x, "step": step}, every_n_iter=2, at_end=True)
    with caplog.at_level(logging.INFO, logger="flowexec"):
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(5):
                sess.run(inc)
    lines = [r.getMessage() for r in caplog.records if "x = " in r.getMessage()]
    # iterations 0, 2, 4 (values read before each increment), then the end (tags sorted)
    assert [line.split(" (")[0] for line in lines] == [
        "step = 0, x = 1.5", "step = 2, x = 1.5", "step = 4, x = 1.5", "step = 5, x = 1.5"]
    assert lines[1].endswith(" sec)")


def test_logging_tensor_hook_formatter_and_names(caplog):
    step, inc = _counter()
    hook = tf.train.LoggingTensorHook([step.name], every_n_iter=1,
                                      formatter=lambda v: f"custom {v[step.name]}")
    with caplog.at_level(logging.INFO, logger="flowexec"):
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            sess.run(inc)
    assert "custom 0" in [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize("kwargs, message", [
    ({}, "either at_end and/or exactly one of every_n_iter and every_n_secs"),
    ({"every_n_iter": 1, "every_n_secs": 1}, "exactly one of every_n_iter"),
    ({"every_n_iter": 0}, "invalid every_n_iter=0."),
])
def test_logging_tensor_hook_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tf.train.LoggingTensorHook({"a": tf.constant(1)}, **kwargs)


def test_nan_tensor_hook_raises_or_stops():
    x = tf.placeholder(tf.float32, [])
    loss = x * 2.0
    with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss during training."):
        with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(loss)]) as sess:
            sess.run(loss, {x: 1.0})
            sess.run(loss, {x: np.nan})
    with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(loss, False)]) as sess:
        sess.run(loss, {x: 1.0})
        assert not sess.should_stop()
        sess.run(loss, {x: np.nan})
        assert sess.should_stop()


def test_stop_at_step_hook_arguments_and_global_step():
    with pytest.raises(ValueError, match="One of num_steps or last_step must be specified."):
        tf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="Only one of num_steps or last_step can be"):
        tf.train.StopAtStepHook(num_steps=1, last_step=2)
    tf.constant(1)
    with pytest.raises(RuntimeError, match="Global step should be created to use "
                                           "StopAtStepHook."):
        tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(num_steps=1)])


def test_step_counter_hook_logs_steps_per_second(caplog):
    _step, inc = _counter()
    hook = tf.train.StepCounterHook(every_n_steps=2)
    with caplog.at_level(logging.INFO, logger="flowexec"):
        with tf.train.MonitoredSession(hooks=[hook]) as sess:
            for _ in range(5):
                sess.run(inc)
    rates = [r.getMessage() for r in caplog.records if r.getMessage().startswith(
        "global_step/sec: ")]
    assert len(rates) == 2  # at steps 3 and 5: the first trigger (step 1) only starts it
    assert all(float(r.split(": ")[1]) > 0 for r in rates)
    with pytest.raises(ValueError, match="exactly one of every_n_steps and every_n_secs"):
        tf.train.StepCounterHook(every_n_steps=None)


def test_second_or_step_timer():
    timer = tf.train.SecondOrStepTimer(every_steps=3)
    assert timer.should_trigger_for_step(0)
    assert timer.update_last_triggered_step(0) == (None, None)
    assert not timer.should_trigger_for_step(0)
    assert not timer.should_trigger_for_step(2)
    assert timer.should_trigger_for_step(3)
    secs, steps = timer.update_last_triggered_step(4)
    assert steps == 4 and secs >= 0
    assert timer.last_triggered_step() == 4
    with pytest.raises(ValueError, match="Either every_secs or every_steps should be"):
        tf.train.SecondOrStepTimer()
    with pytest.raises(ValueError, match="Can not provide both every_secs and every_steps."):
        tf.train.SecondOrStepTimer(every_secs=1, every_steps=1)
    seconds = tf.train.SecondOrStepTimer(every_secs=1e-9)
    seconds.update_last_triggered_step(0)
    assert seconds.should_trigger_for_step(1)


def test_checkpoint_and_summary_hook_arguments(tmp_path):
    saver_args = {"saver": object(), "scaffold": tf.train.Scaffold()}
    with pytest.raises(ValueError, match="You cannot provide both saver and scaffold."):
        tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1, **saver_args)
    with pytest.raises(ValueError, match="Exactly one of scaffold or summary_op must be"):
        tf.train.SummarySaverHook(save_steps=1)
    _counter()
    with pytest.raises(RuntimeError, match="No items in collection savers"):
        hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1)
        with tf.train.MonitoredSession(
                tf.train.ChiefSessionCreator(scaffold=tf.train.Scaffold(
                    saver=tf.train.Saver())), hooks=[hook]):
            pass


def test_final_ops_and_feed_fn_hooks():
    x = tf.placeholder(tf.float32, [])
    total = tf.Variable(0.0)
    add = tf.assign_add(total, x)
    feeds = iter([1.0, 2.0, 3.0])
    final = tf.train.FinalOpsHook({"total": total})
    with tf.train.MonitoredSession(
            hooks=[tf.train.FeedFnHook(lambda: {x: next(feeds)}), final]) as sess:
        for _ in range(3):
            sess.run(add)
        assert final.final_ops_values is None
    assert final.final_ops_values == {"total": 6.0}


def test_global_step_waiter_hook_waits_for_the_step():
    step, inc = _counter()
    # wait_until_step <= 0 starts at once; > current waits, here for the step a feed sets
    hook = tf.train.GlobalStepWaiterHook(wait_until_step=0)
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        sess.run(inc)
    init = tf.train.Scaffold(init_op=tf.group(tf.global_variables_initializer(),
                                              tf.assign(step, 3)))
    hook = tf.train.GlobalStepWaiterHook(wait_until_step=3)
    creator = tf.train.ChiefSessionCreator(scaffold=init)
    with tf.train.MonitoredSession(creator, hooks=[hook]) as sess:
        assert sess.run(inc) == 4


def test_profiler_hook_writes_a_chrome_trace(tmp_path):
    _step, inc = _counter()
    a = tf.matmul(tf.ones([8, 8]), tf.ones([8, 8]))
    with tf.control_dependencies([inc]):
        out = tf.reduce_sum(a)
    hook = tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path))
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(5):
            sess.run(out)
    names = sorted(n for n in os.listdir(tmp_path) if n.startswith("timeline-"))
    assert names == ["timeline-2.json", "timeline-4.json"]
    trace = json.loads((tmp_path / "timeline-2.json").read_text())
    ops = {e.get("args", {}).get("name") for e in trace["traceEvents"]}
    assert any(name and "MatMul" in name for name in ops)


def test_tensor_names_must_name_one_output():
    tf.split(tf.constant([1.0, 2.0]), 2, name="halves")
    ambiguous = tf.train.LoggingTensorHook(["halves"], every_n_iter=1)
    with pytest.raises(ValueError, match="Name halves is ambiguous"), \
            tf.train.MonitoredSession(hooks=[ambiguous]):
        pass
    other = tf.Graph()
    with other.as_default():
        foreign = tf.constant(1.0)
    elsewhere = tf.train.LoggingTensorHook([foreign], every_n_iter=1)
    with pytest.raises(ValueError, match="should have graph attribute"), \
            tf.train.MonitoredSession(hooks=[elsewhere]):
        pass


def test_checkpoint_hook_creates_its_directory_without_tensorboard(tmp_path, monkeypatch):
    from flowexec.summary import FileWriterCache

    def no_tensorboard(logdir):
        raise ImportError("No module named 'tensorboard'")

    monkeypatch.setattr(FileWriterCache, "get", staticmethod(no_tensorboard))
    _step, inc = _counter()
    tf.Variable(3.0, name="v")
    ckpt = str(tmp_path / "new" / "dir")
    hook = tf.train.CheckpointSaverHook(ckpt, save_steps=2)
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(3):
            sess.run(inc)
    state = tf.train.get_checkpoint_state(ckpt)
    assert [p.rsplit("-", 1)[1] for p in state.all_model_checkpoint_paths] == ["0", "2", "3"]


def test_checkpoint_hook_writes_the_graph_beside_the_checkpoints(tmp_path):
    pytest.importorskip("tensorboard", reason="GraphDefs need the optional 'graph' extra")
    _step, inc = _counter()
    with tf.train.MonitoredSession(hooks=[tf.train.CheckpointSaverHook(str(tmp_path),
                                                                       save_steps=10)]) as sess:
        sess.run(inc)
    text = (tmp_path / "graph.pbtxt").read_text()
    assert 'name: "global_step"' in text and 'op: "AssignAdd"' in text
