"""tf.train.CheckpointManager in graph mode: numbering by save_counter or a step, max_to_keep
deleting the oldest files, the state file (paths, timestamps) that a new manager resumes from,
keep_checkpoint_every_n_hours, checkpoint_interval, restore_or_initialize."""

import os

import pytest

import flowexec as tf


def _setup():
    v = tf.Variable(0.0, name="v")
    ckpt = tf.train.Checkpoint(v=v)
    return v, ckpt


def _files(directory):
    return sorted(os.listdir(directory))


def test_keeps_max_to_keep_newest_and_records_state(tmp_path):
    v, ckpt = _setup()
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
    assert manager.latest_checkpoint is None and manager.checkpoints == []
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [manager.save() for _ in range(3)]
    prefix = os.path.join(str(tmp_path), "ckpt")
    assert paths == [prefix + "-1", prefix + "-2", prefix + "-3"]
    assert manager.checkpoints == paths[1:]
    assert manager.latest_checkpoint == paths[2]
    assert _files(tmp_path) == ["checkpoint", "ckpt-2.data-00000-of-00001", "ckpt-2.index",
                                "ckpt-3.data-00000-of-00001", "ckpt-3.index"]
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.all_model_checkpoint_paths == paths[1:]
    assert len(state.all_model_checkpoint_timestamps) == 2
    assert state.last_preserved_timestamp > 0
    with open(tmp_path / "checkpoint") as f:
        assert f.read().startswith('model_checkpoint_path: "ckpt-3"\n'
                                   'all_model_checkpoint_paths: "ckpt-2"\n'
                                   'all_model_checkpoint_paths: "ckpt-3"\n'
                                   "all_model_checkpoint_timestamps: ")


def test_a_new_manager_resumes_and_deletes_the_old_ones(tmp_path):
    v, ckpt = _setup()
    with tf.Session() as sess:
        sess.run(v.initializer)
        first = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
        first.save()
        first.save()
        again = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=2)
        assert again.checkpoints == first.checkpoints
        again.save()
    assert [os.path.basename(p) for p in again.checkpoints] == ["ckpt-2", "ckpt-3"]
    assert not os.path.exists(tmp_path / "ckpt-1.index")


def test_number_from_a_step_and_restore(tmp_path):
    v, ckpt = _setup()
    step = tf.train.get_or_create_global_step()
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=None,
                                         checkpoint_name="model")
    with tf.Session() as sess:
        sess.run([v.initializer, step.initializer])
        sess.run([v.assign(5.0), step.assign(40)])
        path = manager.save(checkpoint_number=step)
        assert path == os.path.join(str(tmp_path), "model-40")
        assert manager.save(checkpoint_number=7).endswith("model-7")
        sess.run(v.assign(0.0))
    other_v, other = _setup()
    restored = tf.train.CheckpointManager(other, str(tmp_path), max_to_keep=None)
    assert restored.latest_checkpoint == os.path.join(str(tmp_path), "model-7")
    with tf.Session() as sess:
        other.restore(os.path.join(str(tmp_path), "model-40")).assert_consumed() \
            .run_restore_ops(sess)
        assert sess.run(other_v) == 5.0
        assert restored.restore_or_initialize() == restored.latest_checkpoint
        assert sess.run(other.save_counter) == 2


def test_restore_or_initialize_calls_init_fn_without_checkpoints(tmp_path):
    _, ckpt = _setup()
    called = []
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), 3, init_fn=lambda: called.append(1))
    assert manager.restore_or_initialize() is None
    assert called == [1]


def test_checkpoint_interval_skips_saves(tmp_path):
    v, ckpt = _setup()
    step = tf.Variable(0, dtype=tf.int64, name="step")
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), 5, step_counter=step,
                                         checkpoint_interval=10)
    with tf.Session() as sess:
        sess.run([v.initializer, step.initializer])
        assert manager.save() is not None
        sess.run(step.assign(5))
        assert manager.save() is None
        assert manager.save(check_interval=False) is not None
        assert manager.save(check_interval=False) is None  # the same step again
        sess.run(step.assign(15))
        assert manager.save() is not None


def test_keep_checkpoint_every_n_hours_preserves_old_ones(tmp_path):
    v, ckpt = _setup()
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=1,
                                         keep_checkpoint_every_n_hours=1e-9)
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [manager.save() for _ in range(3)]
    assert all(os.path.exists(p + ".index") for p in paths)  # each was an "hour" apart
    assert manager.checkpoints == paths[2:]


def test_bad_arguments():
    _, ckpt = _setup()
    with pytest.raises(ValueError, match="Expected a positive integer or `None` for "
                                         "`max_to_keep`, got 0."):
        tf.train.CheckpointManager(ckpt, "/tmp", max_to_keep=0)
    with pytest.raises(ValueError, match="`step_counter` should be passed"):
        tf.train.CheckpointManager(ckpt, "/tmp", 1, checkpoint_interval=3)
