"""tf.train.Saver and the checkpoint helpers: round trips (optimizer slots, global step, strings,
renamed and reshaped variables), the state file and max_to_keep, crash safety of save, and
each restore error with TF's class."""

import errno
import json
import os
import re
import types

import numpy as np
import pytest

import flowexec as tf
from flowexec.train import checkpoint_format
from flowexec.train import saver as saver_mod

DATA_FILE = r"model\.ckpt\.data-[0-9a-f]{16}\.npz"  # the data file of _saved's checkpoint
V1 = tf.train.SaverDef.V1  # flowexec's own format, whose files the tests here look into
TWO_CPUS = tf.ConfigProto(device_count={"CPU": 2})


def _model():
    """w on /cpu:1 trained by Adam (slots w/Adam, w/Adam_1, beta powers) and a global step."""
    with tf.device("/cpu:1"):
        w = tf.Variable([[1.0, -2.0], [3.0, 0.5]], name="w")
    b = tf.Variable(np.arange(3, dtype=np.float64), name="b")
    step = tf.train.get_or_create_global_step()
    loss = tf.reduce_sum(w * w) + tf.reduce_sum(tf.cast(b, tf.float32))
    train = tf.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    return w, b, step, train


def _data_file(prefix):
    """The data file that the checkpoint's index names."""
    index = json.loads(open(prefix + ".index").read())
    return os.path.join(os.path.dirname(prefix), index["data_file"])


def _values(sess):
    return {v.op.name: sess.run(v) for v in tf.global_variables()}


def _saved(tmp_path, var_list=None, **kwargs):
    """A checkpoint of w=[1,2], b=[[3]] (float32) at tmp_path/model.ckpt; returns its prefix."""
    w = tf.Variable([1.0, 2.0], name="w")
    b = tf.Variable([[3.0]], name="b")
    saver = tf.train.Saver(var_list, **kwargs)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return saver.save(sess, str(tmp_path / "model.ckpt")), w, b


# ----- round trips ---------------------------------------------------------------------------
def test_round_trip_restores_optimizer_slots_and_global_step_in_fresh_session(tmp_path):
    w, b, step, train = _model()
    saver = tf.train.Saver()
    with tf.Session(config=TWO_CPUS) as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train)
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
        want = _values(sess)
    assert path == str(tmp_path / "model.ckpt-3")
    assert {"w/Adam", "w/Adam_1", "beta1_power", "beta2_power", "global_step"} <= set(want)
    with tf.Session(config=TWO_CPUS) as sess:  # values do not depend on the saving session
        saver.restore(sess, path)
        got = _values(sess)
        assert tf.train.global_step(sess, step) == 3
        sess.run(train)  # training resumes from the restored slots
        assert tf.train.global_step(sess, step) == 4
    assert set(got) == set(want)
    for name, value in want.items():
        assert got[name].dtype == value.dtype
        np.testing.assert_array_equal(got[name], value, err_msg=name)


def test_restore_ops_are_colocated_and_built_once(tmp_path):
    w, b, step, train = _model()
    saver = tf.train.Saver()
    graph = tf.get_default_graph()
    assigns = [op for op in graph.get_operations() if op.name.startswith("save/Assign")]
    assert len(assigns) == len(tf.global_variables())
    w_assign = [op for op in assigns if op.get_attr("var_name") == "w"][0]
    assert w_assign.device == w.op.device and w.op.device.endswith("CPU:1")
    restore = w_assign.inputs[0].op  # TF's saver subgraph: RestoreV2 on the host
    assert restore.type == "RestoreV2" and restore.device.endswith("CPU:0")
    with tf.Session(config=TWO_CPUS) as sess:
        sess.run(tf.global_variables_initializer())
        n_ops = len(graph.get_operations())
        path = saver.save(sess, str(tmp_path / "m"), global_step=step)
        saver.restore(sess, path)
        saver.restore(sess, path)
        saver.save(sess, str(tmp_path / "m"), global_step=7)
        assert len(graph.get_operations()) == n_ops


def test_global_step_int_tensor_and_padding(tmp_path):
    v = tf.Variable(1.0, name="v")
    step = tf.Variable(42, dtype=tf.int64, name="step")
    saver = tf.train.Saver([v], pad_step_number=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert saver.save(sess, str(tmp_path / "m"), global_step=np.int32(7)) == \
            str(tmp_path / "m-00000007")
        assert saver.save(sess, str(tmp_path / "m"), global_step=step) == \
            str(tmp_path / "m-00000042")
        assert saver.save(sess, str(tmp_path / "m"), global_step=step + 1) == \
            str(tmp_path / "m-00000043")
        assert saver.save(sess, str(tmp_path / "plain")) == str(tmp_path / "plain")


def test_npz_loads_without_pickle_and_strings_are_fixed_width_bytes(tmp_path):
    s = tf.Variable([b"ab", b"", b"x\x00y"], name="s")
    w = tf.Variable([1.5, 2.5], name="scope/w")
    saver = tf.train.Saver(write_version=V1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
        sess.run([s.assign([b"", b"", b""]), w.assign([0.0, 0.0])])
        saver.restore(sess, path)
        assert list(sess.run(s)) == [b"ab", b"", b"x\x00y"]
    with np.load(_data_file(path), allow_pickle=False) as npz:
        assert sorted(npz.files) == ["s", "scope/w"]
        assert npz["s"].dtype.kind == "S"
        np.testing.assert_array_equal(npz["scope/w"], [1.5, 2.5])
    index = json.loads(open(path + ".index").read())
    assert index["format"] == checkpoint_format.FORMAT_NAME
    assert [(r["name"], r["dtype"], r["shape"]) for r in index["variables"]] == [
        ("s", "string", [3]), ("scope/w", "float32", [2])]


def test_string_ending_in_nul_is_rejected(tmp_path):
    # An object array: converting a list would go through numpy "S" and drop the NUL.
    tf.Variable(np.array([b"a\x00"], dtype=object), name="s")
    saver = tf.train.Saver(write_version=V1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(tf.errors.UnimplementedError, match="'s'.*NUL byte"):
            saver.save(sess, str(tmp_path / "m"))
    assert os.listdir(tmp_path) == []


def test_dict_var_list_renames_and_restores_into_another_variable(tmp_path):
    w = tf.Variable([1.0, 2.0], name="w")
    saver = tf.train.Saver({"model/weights": w}, write_version=V1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    with np.load(_data_file(path), allow_pickle=False) as npz:
        assert npz.files == ["model/weights"]
    other = tf.Variable([0.0, 0.0], name="other")
    with tf.Session() as sess:
        tf.train.Saver({"model/weights": other}).restore(sess, path)
        np.testing.assert_array_equal(sess.run(other), [1.0, 2.0])


def test_reshape_restores_same_size_value(tmp_path):
    path, w, b = _saved(tmp_path)
    tf.reset_default_graph()
    w2 = tf.Variable(np.zeros((2, 1), np.float32), name="w")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError):
            tf.train.Saver([w2]).restore(sess, path)
        tf.train.Saver([w2], reshape=True).restore(sess, path)
        np.testing.assert_array_equal(sess.run(w2), [[1.0], [2.0]])


def test_subset_saver_ignores_other_checkpoint_entries(tmp_path):
    path, w, b = _saved(tmp_path)
    with tf.Session() as sess:
        tf.train.Saver([b]).restore(sess, path)
        np.testing.assert_array_equal(sess.run(b), [[3.0]])
        assert not sess.run(tf.is_variable_initialized(w))


# ----- the state file, max_to_keep -----------------------------------------------------------
def test_max_to_keep_deletes_old_files_and_updates_state_file(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=2, write_version=V1)
    prefix = str(tmp_path / "model.ckpt")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in (10, 20, 30):
            saver.save(sess, prefix, global_step=step)
    data_files = [os.path.basename(_data_file(prefix + f"-{step}")) for step in (20, 30)]
    assert all(re.fullmatch(r"model\.ckpt-\d0\.data-[0-9a-f]{16}\.npz", n) for n in data_files)
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["checkpoint", "model.ckpt-20.index", "model.ckpt-30.index", "model.ckpt-20.meta",
         "model.ckpt-30.meta"] + data_files)  # the .meta of step 10 went with its checkpoint
    assert saver.last_checkpoints == [prefix + "-20", prefix + "-30"]
    assert (tmp_path / "checkpoint").read_text() == (
        'model_checkpoint_path: "model.ckpt-30"\n'
        'all_model_checkpoint_paths: "model.ckpt-20"\n'
        'all_model_checkpoint_paths: "model.ckpt-30"\n')
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == prefix + "-30"
    assert state.all_model_checkpoint_paths == [prefix + "-20", prefix + "-30"]
    assert not tf.train.checkpoint_exists(prefix + "-10")


def test_max_to_keep_none_keeps_every_checkpoint(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=None)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=i) for i in range(4)]
    assert all(tf.train.checkpoint_exists(p) for p in paths)
    assert saver.last_checkpoints == []
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[-1]


def test_keep_checkpoint_every_n_hours_preserves_one_per_period(tmp_path, monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(saver_mod, "time", types.SimpleNamespace(time=lambda: clock[0]))
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1.0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step, hours in enumerate([0.5, 0.9, 1.2, 1.5, 2.5]):
            clock[0] = hours * 3600
            saver.save(sess, str(tmp_path / "m"), global_step=step)
    kept = [p for p in range(5) if tf.train.checkpoint_exists(str(tmp_path / f"m-{p}"))]
    # 0.5h, 0.9h: deleted; 1.2h: first past the 1h mark; 1.5h: deleted; 2.5h: the latest.
    assert kept == [2, 4]


def test_latest_checkpoint_none_without_state_or_files(tmp_path):
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    path, _, _ = _saved(tmp_path)
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
    os.remove(path + ".index")
    assert tf.train.latest_checkpoint(str(tmp_path)) is None


def test_relative_state_paths_survive_moving_the_directory(tmp_path, monkeypatch):
    tf.Variable([1.0, 2.0], name="w")
    saver = tf.train.Saver()
    (tmp_path / "run").mkdir()
    monkeypatch.chdir(tmp_path)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert saver.save(sess, "run/model", global_step=1) == "run/model-1"
        saver.save(sess, str(tmp_path / "run" / "model"), global_step=2)  # absolute
    assert (tmp_path / "run" / "checkpoint").read_text() == (
        'model_checkpoint_path: "model-2"\n'
        'all_model_checkpoint_paths: "model-1"\n'
        'all_model_checkpoint_paths: "model-2"\n')
    os.rename(tmp_path / "run", tmp_path / "moved")
    assert tf.train.latest_checkpoint("moved") == os.path.join("moved", "model-2")
    with tf.Session() as sess:
        saver.restore(sess, tf.train.latest_checkpoint(str(tmp_path / "moved")))
        np.testing.assert_array_equal(sess.run(tf.global_variables()[0]), [1.0, 2.0])


def test_state_file_escapes_and_keeps_paths_outside_the_directory(tmp_path):
    odd = str(tmp_path / 'we"ird\\dir é')
    os.mkdir(odd)
    tf.train.update_checkpoint_state(odd, os.path.join(odd, "m-2"),
                                     ["/elsewhere/m-1", os.path.join(odd, "m-2")])
    text = open(os.path.join(odd, "checkpoint")).read()
    assert text.splitlines()[1] == 'all_model_checkpoint_paths: "/elsewhere/m-1"'
    state = tf.train.get_checkpoint_state(odd)
    assert state.model_checkpoint_path == os.path.join(odd, "m-2")
    assert state.all_model_checkpoint_paths == ["/elsewhere/m-1", os.path.join(odd, "m-2")]


def test_unparsable_state_file_is_ignored(tmp_path):
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "m-1"\nbogus_field: 3\n')
    assert tf.train.get_checkpoint_state(str(tmp_path)) is None
    (tmp_path / "checkpoint").write_text('all_model_checkpoint_paths: "m-1"\n')
    with pytest.raises(ValueError, match="Invalid checkpoint state"):
        tf.train.get_checkpoint_state(str(tmp_path))


def test_recover_last_checkpoints_lets_max_to_keep_delete_them(tmp_path):
    tf.Variable(1.0, name="v")
    first = tf.train.Saver(max_to_keep=5)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        old = [first.save(sess, str(tmp_path / "m"), global_step=i) for i in range(2)]
        restarted = tf.train.Saver(max_to_keep=2)
        restarted.recover_last_checkpoints(old + [str(tmp_path / "gone")])
        assert restarted.last_checkpoints == old
        new = restarted.save(sess, str(tmp_path / "m"), global_step=2)
    assert restarted.last_checkpoints == [old[1], new]
    assert not tf.train.checkpoint_exists(old[0])
    with pytest.raises(TypeError):
        restarted.set_last_checkpoints_with_time(("m", 1.0))


# ----- crash safety --------------------------------------------------------------------------
def _tree(path):
    return {name: (path / name).read_bytes() for name in sorted(os.listdir(path))}


def test_crash_while_writing_data_keeps_previous_checkpoint(tmp_path, monkeypatch):
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver(write_version=V1)
    prefix = str(tmp_path / "m")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = saver.save(sess, prefix, global_step=1)
        before = _tree(tmp_path)
        real_write = np.lib.format.write_array

        def write_half_then_fail(fp, array, **kwargs):
            real_write(fp, array[:1], **kwargs)
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(np.lib.format, "write_array", write_half_then_fail)
        sess.run(v.assign([5.0, 6.0]))
        with pytest.raises(tf.errors.ResourceExhaustedError, match="m-2"):
            saver.save(sess, prefix, global_step=2)
        monkeypatch.undo()
        assert _tree(tmp_path) == before  # nothing new, no temporary file left
        assert saver.last_checkpoints == [first]
        saver.restore(sess, tf.train.latest_checkpoint(str(tmp_path)))
        np.testing.assert_array_equal(sess.run(v), [1.0, 2.0])


def test_crash_before_index_leaves_no_data_file(tmp_path, monkeypatch):
    tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver(write_version=V1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saver.save(sess, str(tmp_path / "m"), global_step=1)
        before = _tree(tmp_path)
        real_replace = os.replace

        def fail_on_index(src, dst):
            if str(dst).endswith(".index"):
                raise OSError(errno.EIO, "Input/output error")
            real_replace(src, dst)

        monkeypatch.setattr(os, "replace", fail_on_index)
        with pytest.raises(tf.errors.UnknownError):
            saver.save(sess, str(tmp_path / "m"), global_step=2)
    monkeypatch.undo()
    assert _tree(tmp_path) == before
    assert not tf.train.checkpoint_exists(str(tmp_path / "m-2"))


# ----- restore errors ------------------------------------------------------------------------
def test_missing_path_is_not_found_and_value_error(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    missing = str(tmp_path / "nothing")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.NotFoundError,
                           match="The passed save_path is not a valid checkpoint: " + missing):
            saver.restore(sess, missing)
        with pytest.raises(ValueError):
            saver.restore(sess, missing)
        with pytest.raises(ValueError, match="None"):
            saver.restore(sess, None)


def test_truncated_data_file_is_data_loss(tmp_path):
    path, w, b = _saved(tmp_path, write_version=V1)
    data = open(_data_file(path), "rb").read()
    open(_data_file(path), "wb").write(data[: len(data) // 2])
    with tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError, match=DATA_FILE + ".*'b', 'w'"):
            tf.train.Saver(write_version=V1).restore(sess, path)


def test_corrupt_data_bytes_are_data_loss_naming_variable(tmp_path):
    path, w, b = _saved(tmp_path, write_version=V1)
    data = bytearray(open(_data_file(path), "rb").read())
    at = data.index(np.array([1.0, 2.0], np.float32).tobytes())  # w's data
    data[at + 7] ^= 0xFF
    open(_data_file(path), "wb").write(bytes(data))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError, match="'w'.*" + DATA_FILE):
            tf.train.Saver(write_version=V1).restore(sess, path)


def test_edited_index_checksum_is_data_loss(tmp_path):
    path, w, b = _saved(tmp_path, write_version=V1)
    index = json.loads(open(path + ".index").read())
    index["variables"][1]["crc32"] ^= 1
    open(path + ".index", "w").write(json.dumps(index))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError,
                           match="Checksum does not match for variable 'w'.*" + DATA_FILE):
            tf.train.Saver(write_version=V1).restore(sess, path)
        open(path + ".index", "w").write("{not json")
        with pytest.raises(tf.errors.DataLossError, match=r"model\.ckpt\.index"):
            tf.train.Saver(write_version=V1).restore(sess, path)


def test_missing_key_is_not_found_and_restores_nothing(tmp_path):
    path, w, b = _saved(tmp_path, var_list=None)
    extra = tf.Variable(0.0, name="extra")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign([7.0, 7.0]))
        with pytest.raises(tf.errors.NotFoundError, match="Key extra not found in checkpoint"):
            tf.train.Saver([w, extra]).restore(sess, path)
        np.testing.assert_array_equal(sess.run(w), [7.0, 7.0])  # all or nothing


def test_wrong_shape_and_dtype_are_invalid_argument(tmp_path):
    path, _, _ = _saved(tmp_path)
    tf.reset_default_graph()
    w = tf.Variable([1.0, 2.0, 3.0], name="w")
    b = tf.Variable([[3.0]], dtype=tf.float64, name="b")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"'w'.*shape \[3\] in the graph but \[2\]"):
            tf.train.Saver([w]).restore(sess, path)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="type double, got a tensor of type float.*tensor_name = b"):
            tf.train.Saver([b]).restore(sess, path)


def test_missing_data_file_is_not_found(tmp_path):
    path, _, _ = _saved(tmp_path, write_version=V1)
    os.remove(_data_file(path))
    with tf.Session() as sess:
        with pytest.raises(tf.errors.NotFoundError, match=DATA_FILE):
            tf.train.Saver(write_version=V1).restore(sess, path)


# ----- construction and save arguments -------------------------------------------------------
def test_var_list_errors():
    v = tf.Variable(1.0, name="v")
    with tf.name_scope("other"):
        tf.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="At least two variables have the same name: v"):
        tf.train.Saver([v, v])
    with pytest.raises(ValueError, match="restored with two names"):
        tf.train.Saver({"a": v, "b": v})
    with pytest.raises(TypeError, match="not a Variable"):
        tf.train.Saver([tf.constant(1.0)])
    with pytest.raises(TypeError, match="dict or a list"):
        tf.train.Saver(v)
    with pytest.raises(ValueError, match="build cannot be deferred"):
        tf.train.Saver([v], defer_build=True)


def test_empty_saver(tmp_path):
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    saver = tf.train.Saver(allow_empty=True)
    with tf.Session() as sess:
        assert saver.save(sess, str(tmp_path / "m")) is None
        saver.restore(sess, str(tmp_path / "m"))
    assert os.listdir(tmp_path) == []


def test_deferred_build_and_save_arguments(tmp_path):
    saver = tf.train.Saver(defer_build=True)
    v = tf.Variable(1.0, name="v")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        with pytest.raises(RuntimeError, match="build"):
            saver.save(sess, str(tmp_path / "m"))
        saver.build()
        path = saver.save(sess, str(tmp_path / "m"), write_state=False)
        assert not (tmp_path / "checkpoint").exists()
        with pytest.raises(ValueError, match="path components"):
            saver.save(sess, str(tmp_path / "m"), latest_filename="a/b")
        with pytest.raises(ValueError, match="collides"):
            saver.save(sess, str(tmp_path / "checkpoint"))
        with pytest.raises(ValueError, match="Parent directory"):
            saver.save(sess, str(tmp_path / "no" / "m"))
        with pytest.raises(TypeError, match="must be a Session"):
            saver.save(object(), str(tmp_path / "m"))
    with tf.Session() as sess:
        saver.restore(sess, path)
        assert sess.run(v) == 1.0
