"""tf.train.Checkpoint (TF 1.x graph mode): TF's keys and object graph (byte for byte, against
TF's fixture in tests/data/tf1/checkpoint/, scripts/make_tf_checkpoint_fixtures.py), TF's
checkpoints restore (slot variables created after `restore` too), the statuses' assertions
and messages, initialize_or_restore, name-based checkpoints, CheckpointOptions."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.train.object_graph import OBJECT_GRAPH_PROTO_KEY, TrackableObjectGraph
from scripts.make_tf_checkpoint_fixtures import build, inputs
from tests.graph_io.helpers import DATA

TF_DIR = os.path.join(DATA, "checkpoint")
TF_PREFIX = os.path.join(TF_DIR, "ckpt-1")


def _tf_values():
    with np.load(os.path.join(TF_DIR, "values.npz")) as f:
        return {k.replace("|", "/"): f[k] for k in f.files}


def _saved(prefix):
    reader = tf.train.load_checkpoint(prefix)
    return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}


def test_save_writes_tfs_keys_values_and_object_graph_bytes(tmp_path):
    ckpt, train, x, _ = build(tf)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: inputs()})
        path = ckpt.save(str(tmp_path / "ckpt"), session=sess)
    assert path == str(tmp_path / "ckpt-1")
    got, want = _saved(path), _tf_values()
    graph = want.pop("object_graph").tobytes()
    assert got.pop(OBJECT_GRAPH_PROTO_KEY) == graph
    assert sorted(got) == sorted(want)
    assert "model/table/a..b.Sc/.ATTRIBUTES/VARIABLE_VALUE" in got  # "." and "/" escaped
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, err_msg=key)
    with open(tmp_path / "checkpoint") as f, open(os.path.join(TF_DIR, "checkpoint")) as g:
        assert f.read() == g.read()


def test_object_graph_parses_and_reserializes_tfs_bytes():
    data = _tf_values()["object_graph"].tobytes()
    graph = TrackableObjectGraph.parse(data)
    assert graph.serialize() == data
    names = graph.node_names()
    assert "(root).opt's state 'm' for (root).model.kernel" in names.values()


def test_restores_tfs_checkpoint_into_the_same_model():
    want = _tf_values()
    ckpt, train, x, variables = build(tf)
    status = ckpt.restore(TF_PREFIX).assert_consumed()
    with tf.Session() as sess:
        status.run_restore_ops(sess)
        np.testing.assert_array_equal(sess.run(variables["kernel"]),
                                      want["model/kernel/.ATTRIBUTES/VARIABLE_VALUE"])
        assert sess.run(ckpt.save_counter) == 1
        m = ckpt.opt.get_slot(variables["kernel"], "m")
        np.testing.assert_array_equal(
            sess.run(m), want["model/kernel/.OPTIMIZER_SLOT/opt/m/.ATTRIBUTES/VARIABLE_VALUE"])
        beta1 = dict(ckpt.opt._trackable_children())["beta1_power"]
        np.testing.assert_array_equal(sess.run(beta1),
                                      want["opt/beta1_power/.ATTRIBUTES/VARIABLE_VALUE"])
        sess.run(train, {x: inputs()})


def test_slot_variables_created_after_restore_are_restored():
    want = _tf_values()

    class Model(tf.Module):
        pass

    x = tf.placeholder(tf.float32, [None, 3])
    model = Model()
    model.kernel = tf.Variable(np.zeros((3, 2), np.float32), name="kernel")
    model.biases = [tf.Variable(np.zeros(2, np.float32), name="bias")]
    model.table = {"a.b/c": tf.Variable(np.zeros(3, np.int64), name="table")}
    scale = tf.Variable(np.float32(0), name="scale")
    opt = tf.train.AdamOptimizer(0.1)
    ckpt = tf.train.Checkpoint(model=model, opt=opt, inner=tf.train.Checkpoint(scale=scale),
                               scale=scale)
    status = ckpt.restore(TF_PREFIX)
    with pytest.raises(AssertionError, match=r"Unresolved object in checkpoint \(root\)\.opt"):
        status.assert_consumed()  # no slots, no beta powers yet
    status.assert_existing_objects_matched()
    y = tf.matmul(x, model.kernel) + model.biases[0]
    train = opt.minimize(tf.reduce_sum(tf.square(y)) * scale)
    status.assert_consumed()
    with tf.Session() as sess:
        status.initialize_or_restore(sess)
        v = opt.get_slot(model.biases[0], "v")
        np.testing.assert_array_equal(
            sess.run(v), want["model/biases/0/.OPTIMIZER_SLOT/opt/v/.ATTRIBUTES/VARIABLE_VALUE"])
        np.testing.assert_array_equal(sess.run(model.table["a.b/c"]), [1, 2, 3])
        sess.run(train, {x: inputs()})


def test_unmatched_python_variable_fails_existing_objects_matched():
    extra = tf.Variable(1.0, name="extra")
    ckpt, _, _, _ = build(tf)
    ckpt.extra = extra
    status = ckpt.restore(TF_PREFIX)
    with pytest.raises(AssertionError, match="Found 1 Python objects that were not bound to "
                                             "checkpointed values, likely due to changes in the "
                                             "Python program. Showing 1 of 1 unmatched objects"):
        status.assert_existing_objects_matched()
    with tf.Session() as sess:
        status.initialize_or_restore(sess)  # extra is initialized, the rest restored
        assert sess.run(extra) == 1.0
        assert sess.run(ckpt.save_counter) == 1


def test_restore_none_initializes_and_its_assertions_fail():
    v = tf.Variable([3.0, 4.0], name="v")
    ckpt = tf.train.Checkpoint(v=v)
    status = ckpt.restore(None)
    with pytest.raises(AssertionError, match=r"No checkpoint specified \(save_path=None\); "
                                             "nothing is being restored."):
        status.assert_consumed()
    with pytest.raises(AssertionError, match="no restore ops are available"):
        status.run_restore_ops()
    with tf.Session() as sess:
        status.initialize_or_restore(sess)
        np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])
        assert sess.run(ckpt.save_counter) == 0


def test_save_numbers_and_write_does_not(tmp_path):
    v = tf.Variable(1.0, name="v")
    ckpt = tf.train.Checkpoint(v=v)
    prefix = str(tmp_path / "sub" / "ckpt")  # the directory is created
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert ckpt.save(prefix) == prefix + "-1"  # in the default session
        sess.run(v.assign(2.0))
        assert ckpt.save(prefix, session=sess) == prefix + "-2"
        assert ckpt.write(str(tmp_path / "plain"), session=sess) == str(tmp_path / "plain")
        assert sess.run(ckpt.save_counter) == 2
    assert tf.train.latest_checkpoint(str(tmp_path / "sub")) == prefix + "-2"
    state = tf.train.get_checkpoint_state(str(tmp_path / "sub"))
    assert state.all_model_checkpoint_paths == [prefix + "-2"]
    with tf.Session() as sess:
        ckpt.restore(prefix + "-1").assert_consumed().run_restore_ops(sess)
        assert sess.run(v) == 1.0 and sess.run(ckpt.save_counter) == 1


def test_save_without_a_session_raises():
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    with pytest.raises(RuntimeError, match="in graph mode without a default session"):
        ckpt.write("/tmp/never")


def test_later_restore_wins_over_earlier_one(tmp_path):
    v = tf.Variable(0.0, name="v")
    ckpt = tf.train.Checkpoint(v=v)
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(v.assign(1.0))
        one = ckpt.write(str(tmp_path / "one"), sess)
        sess.run(v.assign(2.0))
        two = ckpt.write(str(tmp_path / "two"), sess)
        sess.run(v.assign(0.0))
    later = tf.train.Checkpoint()
    first = later.restore(one)
    second = later.restore(two)
    later.v = v  # v appears after both restores: the newer one restores it
    with tf.Session() as sess:
        first.run_restore_ops(sess)
        second.run_restore_ops(sess)
        first.run_restore_ops(sess)
        assert sess.run(v) == 2.0


def test_layers_optimizer_without_slots_and_nested_checkpoint_keys(tmp_path):
    x = tf.placeholder(tf.float32, [None, 4])
    layer = tf.layers.Dense(2, name="dense")
    y = layer(x)
    opt = tf.train.GradientDescentOptimizer(0.1)
    train = opt.minimize(tf.reduce_sum(y))
    root = tf.train.Checkpoint(net=tf.train.Checkpoint(layer=layer), opt=opt)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: np.ones((1, 4), np.float32)})
        path = root.write(str(tmp_path / "c"), sess)
        kernel = sess.run(layer.kernel)
    got = _saved(path)
    assert sorted(k for k in got if k != OBJECT_GRAPH_PROTO_KEY) == [
        "net/layer/bias/.ATTRIBUTES/VARIABLE_VALUE",
        "net/layer/kernel/.ATTRIBUTES/VARIABLE_VALUE"]
    np.testing.assert_array_equal(got["net/layer/kernel/.ATTRIBUTES/VARIABLE_VALUE"], kernel)
    node = TrackableObjectGraph.parse(got[OBJECT_GRAPH_PROTO_KEY]).nodes[4]  # root net opt layer
    assert [a.full_name for a in node.attributes] == ["dense/kernel"]


def test_attributes_are_tracked_replaced_and_deleted():
    a, b, c = (tf.Variable(float(i), name=n) for i, n in enumerate("abc"))
    ckpt = tf.train.Checkpoint(b=b, a=a)
    ckpt.c = c
    ckpt.a = b
    ckpt.note = "text"
    assert [n for n, _ in ckpt._trackable_children()] == ["a", "b", "c"]
    assert ckpt._trackable_children()[0][1] is b
    del ckpt.c
    assert [n for n, _ in ckpt._trackable_children()] == ["a", "b"]


def test_non_trackable_value_raises_tfs_value_error():
    with pytest.raises(ValueError, match="`Checkpoint` was expecting a trackable object "
                                         r"\(an object derived from `Trackable`\), got 3"):
        tf.train.Checkpoint(x=3)


def test_missing_checkpoint_raises_not_found(tmp_path):
    ckpt = tf.train.Checkpoint(v=tf.Variable(1.0))
    with pytest.raises(tf.errors.NotFoundError, match="Failed to find any matching files"):
        ckpt.restore(str(tmp_path / "nope"))


def test_name_based_saver_checkpoint_restores_by_variable_name():
    from scripts.make_tf_saver_fixtures import values

    want = values()["dense/kernel"][1]
    k = tf.Variable(np.zeros((2, 3), np.float32), name="dense/kernel")
    w = tf.Variable(0.0, name="not_in_checkpoint")
    ckpt = tf.train.Checkpoint(k=k)
    status = ckpt.restore(os.path.join(DATA, "saver", "one.ckpt"))
    assert type(status).__name__ == "NameBasedSaverStatus"
    with pytest.raises(AssertionError, match="Object not restored"):
        status.assert_consumed()
    with tf.Session() as sess:
        status.run_restore_ops(sess)
        status.assert_consumed()  # the missing save_counter is optional
        np.testing.assert_array_equal(sess.run(k), want)
        ckpt.w = w
        status.run_restore_ops(sess)
        with pytest.raises(AssertionError, match="Some objects had attributes which were not "
                                                 "restored"):
            status.assert_consumed()


def test_options_callbacks_and_skipping_slot_variables(tmp_path):
    x = tf.placeholder(tf.float32, [None, 3])
    v = tf.Variable(np.ones((3, 1), np.float32), name="v")
    opt = tf.train.AdamOptimizer()
    train = opt.minimize(tf.reduce_sum(tf.matmul(x, v)))
    ckpt = tf.train.Checkpoint(v=v, opt=opt)
    seen = []
    opts = tf.train.CheckpointOptions(experimental_write_callbacks=[seen.append],
                                      experimental_skip_slot_variables=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train, {x: np.ones((1, 3), np.float32)})
        path = ckpt.write(str(tmp_path / "c"), sess, options=opts)
    assert seen == [path]
    assert not [k for k in _saved(path) if ".OPTIMIZER_SLOT" in k]
    assert "opt/beta1_power/.ATTRIBUTES/VARIABLE_VALUE" in _saved(path)
    with pytest.raises(AssertionError):
        tf.train.CheckpointOptions(experimental_write_callbacks=[lambda a, b: None])
    with pytest.raises(NotImplementedError, match="sharding_callback"):
        tf.train.CheckpointOptions(experimental_sharding_callback=object())
