"""Partitioned variables (tf.get_variable(..., partitioner=...)), against TF's fixtures
(tests/data/tf1/partitioned/, scripts/make_tf_partitioned_fixtures.py): the partitioners'
shard counts, the shards' names, slices and ops, embedding lookups over the shards, training
the shards, and checkpoints byte-identical to TF's that restore into any partitioning."""

import json
import os
import shutil

import numpy as np
import pytest

import flowexec as tf
from flowexec.graph_io import bundle
from flowexec.ops import checkpoint_ops
from scripts.make_tf_partitioned_fixtures import IDS, PARTITIONER_CASES, _variables
from tests.graph_io.helpers import DATA

TF_DIR = os.path.join(DATA, "partitioned")
FIX = np.load(os.path.join(TF_DIR, "values.npz"))


def _json(key):
    return json.loads(str(FIX[key]))


def test_partitioners_return_tfs_shard_counts():
    got = []
    for call, shape, dtype in PARTITIONER_CASES:
        p = eval("tf." + call)  # noqa: S307 - the fixture's fixed table of calls
        got.append(list(p(shape=tf.TensorShape(shape), dtype=tf.as_dtype(dtype))))
    assert got == _json("partitions")


def test_partitioner_argument_errors_are_tfs():
    with pytest.raises(ValueError, match="must be positive"):
        tf.variable_axis_size_partitioner(0)
    with pytest.raises(ValueError, match="max_shards must be positive"):
        tf.variable_axis_size_partitioner(10, max_shards=-1)
    with pytest.raises(ValueError, match="Cannot partition variable along axis 2"):
        tf.min_max_variable_partitioner(axis=2)(shape=tf.TensorShape([3, 4]),
                                                dtype=tf.float32)


def test_shards_names_slices_and_ops_are_tfs():
    emb, w, b = _variables(tf)
    lookups = [tf.nn.embedding_lookup(emb, IDS, partition_strategy=s) for s in ("mod", "div")]
    t = tf.convert_to_tensor(emb)
    del lookups
    assert isinstance(emb, tf.PartitionedVariable) and not isinstance(b, tf.PartitionedVariable)
    assert [v.name for v in emb] == _json("shard_names")
    assert [v._save_slice_info.spec for v in list(emb) + list(w)] == _json("shard_specs")
    assert [v.name for v in tf.global_variables()] == _json("global_variables")
    assert t.name == str(FIX["as_tensor_name"])
    assert emb.get_shape().as_list() == [7, 3] and emb._get_partitions() == [3, 1]
    assert len(emb) == 3 and emb._get_variable_list() == list(emb)
    # Building the variables makes TF's ops with TF's names (the lookups are composed
    # differently in flowexec; see embedding_ops).
    ours = [op.name for op in tf.get_default_graph().get_operations()
            if not op.name.startswith("embedding_lookup")]
    theirs = [n for n in _json("op_names") if not n.startswith("embedding_lookup")]
    assert ours == theirs


def test_values_lookups_and_shards_match_tf():
    emb, w, b = _variables(tf)
    mod = tf.nn.embedding_lookup(emb, IDS, partition_strategy="mod")
    div = tf.nn.embedding_lookup(emb, IDS, partition_strategy="div")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        full, wv, m, d, shards = sess.run([emb.as_tensor(), tf.convert_to_tensor(w), mod,
                                           div, list(emb)])
    np.testing.assert_array_equal(full, FIX["emb"])
    np.testing.assert_array_equal(wv, FIX["dense_w"])
    np.testing.assert_array_equal(m, FIX["lookup_mod"])
    np.testing.assert_array_equal(d, FIX["lookup_div"])
    assert [s.tolist() for s in shards] == _json("emb_shards")


def test_initializer_is_called_per_shard_with_partition_info():
    seen = []

    def init(shape, dtype=None, partition_info=None):
        seen.append((list(shape), partition_info.full_shape, partition_info.var_offset,
                     partition_info.single_offset(list(shape))))
        return tf.fill(shape, float(len(seen)))

    v = tf.get_variable("v", [5, 2], initializer=init,
                        partitioner=tf.fixed_size_partitioner(2))
    assert seen == [([3, 2], [5, 2], [0, 0], 0), ([2, 2], [5, 2], [3, 0], 3)]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(v.as_tensor()), [[1] * 2] * 3 + [[2] * 2] * 2)


def test_glorot_scales_by_the_full_shape():
    tf.set_random_seed(1)
    v = tf.get_variable("v", [400, 4], partitioner=tf.fixed_size_partitioner(4))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        full = sess.run(v.as_tensor())
    limit = np.sqrt(6.0 / (400 + 4))  # a shard's own shape would give sqrt(6 / 104)
    assert np.abs(full).max() <= limit and np.abs(full).max() > 0.9 * limit


def test_reuse_and_its_errors_are_tfs():
    p = tf.fixed_size_partitioner(2)
    with tf.variable_scope("s", partitioner=p):
        v = tf.get_variable("v", [4, 3])
    with tf.variable_scope("s", reuse=True):
        assert tf.get_variable("v") is v  # no partitioner needed to reuse
    with tf.variable_scope("s", reuse=True, partitioner=p):
        assert tf.get_variable("v", [4, 3]) is v
    with pytest.raises(ValueError, match="Partitioned variable with name s/v already exists"):
        with tf.variable_scope("s", partitioner=p):
            tf.get_variable("v", [4, 3])
    with pytest.raises(ValueError, match=r"specified partitions \[3, 1\] and found "
                                         r"partitions \[2, 1\]"):
        with tf.variable_scope("s", reuse=True):
            tf.get_variable("v", [4, 3], partitioner=tf.fixed_size_partitioner(3))
    with pytest.raises(ValueError, match="PartitionedVariable s/w does not exist"):
        with tf.variable_scope("s", reuse=True, partitioner=p):
            tf.get_variable("w", [4, 3])
    tf.get_variable("plain", [2])
    with pytest.raises(ValueError, match="unpartitioned version of the variable was found"):
        tf.get_variable("plain", [2], partitioner=p)
    with pytest.raises(ValueError, match="a partitioned version of the variable was found: "
                                         "s/v/part_0"):
        tf.get_variable("s/v", [4, 3])
    with pytest.raises(ValueError, match="must be fully defined"):
        tf.get_variable("u", [None, 3], partitioner=p)
    with pytest.raises(ValueError, match="Can only slice a variable along one dimension"):
        tf.get_variable("x", [4, 4], partitioner=lambda shape, dtype: [2, 2])
    # A scalar is never partitioned (TF's is_scalar case).
    assert isinstance(tf.get_variable("scalar", [], partitioner=p), tf.Variable)


def test_assign_splits_a_full_value():
    v = tf.get_variable("v", [5, 2], initializer=tf.zeros_initializer(),
                        partitioner=tf.fixed_size_partitioner(2))
    full = np.arange(10, dtype=np.float32).reshape(5, 2)
    ops = v.assign(full)
    add = v.assign_add([np.ones((3, 2), np.float32), np.ones((2, 2), np.float32)])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(ops)
        np.testing.assert_array_equal(sess.run(v.as_tensor()), full)
        sess.run(add)
        np.testing.assert_array_equal(sess.run(v.as_tensor()), full + 1)
    with pytest.raises(ValueError, match="Incompatible type conversion"):
        tf.convert_to_tensor(v, dtype=tf.int32)


def test_optimizer_trains_each_shard_as_numpy_says():
    rng = np.random.RandomState(0)
    w0 = rng.randn(5, 3).astype(np.float32)
    x0 = rng.randn(4, 5).astype(np.float32)
    w = tf.get_variable("w", initializer=tf.constant(w0),
                        partitioner=tf.fixed_size_partitioner(2))
    x = tf.constant(x0)
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w)))
    opt = tf.train.GradientDescentOptimizer(0.01)
    gvs = opt.compute_gradients(loss)
    assert [v for _, v in gvs] == list(w)
    train = opt.apply_gradients(gvs)
    grad = 2 * x0.T @ (x0 @ w0)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        g0, g1 = sess.run([g for g, _ in gvs])
        np.testing.assert_allclose(np.concatenate([g0, g1]), grad, rtol=1e-5)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w.as_tensor()), w0 - 0.01 * grad, rtol=1e-5)


def test_embedding_lookup_gradient_reaches_the_shards():
    table = np.arange(14, dtype=np.float32).reshape(7, 2)
    emb = tf.get_variable("emb", initializer=tf.constant(table),
                          partitioner=tf.fixed_size_partitioner(3))
    ids = np.array([0, 4, 4, 6])
    loss = tf.reduce_sum(tf.nn.embedding_lookup(emb, ids, partition_strategy="div"))
    grads = tf.gradients(loss, list(emb))
    assert all(isinstance(g, tf.IndexedSlices) for g in grads)  # as TF's, one per shard
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = np.concatenate(sess.run([tf.convert_to_tensor(g) for g in grads]))
    want = np.zeros_like(table)
    np.add.at(want, ids, 1.0)
    np.testing.assert_array_equal(got, want)


def test_saver_writes_tfs_files_byte_for_byte(tmp_path):
    _variables(tf)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.train.Saver().save(sess, str(tmp_path / "part.ckpt"), write_meta_graph=False,
                              write_state=False)
    for name in ("part.ckpt.index", "part.ckpt.data-00000-of-00001"):
        assert (tmp_path / name).read_bytes() == open(os.path.join(TF_DIR, name), "rb").read()


@pytest.mark.parametrize("layout", ["other_partitioning", "whole"])
def test_tfs_checkpoint_restores_into_any_partitioning(tmp_path, layout):
    for name in os.listdir(TF_DIR):
        if name.startswith("part.ckpt"):
            shutil.copy(os.path.join(TF_DIR, name), tmp_path / name)
    if layout == "whole":
        emb = tf.get_variable("emb", [7, 3])
        w = tf.get_variable("dense/w", [4, 5])
    else:
        emb = tf.get_variable("emb", [7, 3], partitioner=tf.fixed_size_partitioner(2))
        with tf.variable_scope("dense", partitioner=tf.fixed_size_partitioner(3, axis=1)):
            w = tf.get_variable("w", [4, 5])
    b = tf.get_variable("b", [3])
    big = tf.get_variable("big", [130, 2], dtype=tf.int64,
                          partitioner=tf.fixed_size_partitioner(3))
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, str(tmp_path / "part.ckpt"))
        got = sess.run([tf.convert_to_tensor(v) for v in (emb, w, b, big)])
    for have, key in zip(got, ("emb", "dense_w", "b", "big")):
        np.testing.assert_array_equal(have, FIX[key])


def test_checkpoint_reader_sees_full_tensors_only():
    reader = tf.train.load_checkpoint(os.path.join(TF_DIR, "part.ckpt"))
    assert reader.get_variable_to_shape_map() == {"emb": [7, 3], "dense/w": [4, 5], "b": [3],
                                                  "big": [130, 2]}
    np.testing.assert_array_equal(reader.get_tensor("big"), FIX["big"])


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_save_then_restore_with_another_partitioning(tmp_path, version):
    table = np.arange(24, dtype=np.float32).reshape(8, 3)
    with tf.Graph().as_default():
        tf.get_variable("t", initializer=tf.constant(table),
                        partitioner=tf.fixed_size_partitioner(3))
        saver = tf.train.Saver(write_version=getattr(tf.train.SaverDef, version))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "m"))
    assert tf.train.list_variables(path) == [("t", [8, 3])]
    with tf.Graph().as_default():
        t = tf.get_variable("t", [8, 3], partitioner=tf.fixed_size_partitioner(4))
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, path)
            np.testing.assert_array_equal(sess.run(t.as_tensor()), table)


def test_saver_var_list_forms_and_errors(tmp_path):
    v = tf.get_variable("v", initializer=tf.constant(np.arange(6.0).reshape(3, 2)),
                        partitioner=tf.fixed_size_partitioner(2))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for var_list in ([v], list(v), {"renamed": v}, {"renamed": list(v)}):
            path = tf.train.Saver(var_list).save(sess, str(tmp_path / "m"),
                                                 write_meta_graph=False)
            name = "renamed" if isinstance(var_list, dict) else "v"
            np.testing.assert_array_equal(tf.train.load_checkpoint(path).get_tensor(name),
                                          np.arange(6.0).reshape(3, 2))
        path = tf.train.Saver().save(sess, str(tmp_path / "m"), write_meta_graph=False)
    with pytest.raises(ValueError, match="At least two variables have the same name: v"):
        tf.train.Saver([list(v)[0], tf.Variable(1.0, name="v")])
    with tf.Graph().as_default():
        tf.get_variable("v", [4, 2], partitioner=tf.fixed_size_partitioner(2))
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                                  match=r"v has shape \[4, 2\] in the graph "
                                                        r"but \[3, 2\]"):
            tf.train.Saver().restore(sess, path)


def test_save_and_restore_ops_take_slice_specs(tmp_path):
    prefix = str(tmp_path / "ops")
    a = tf.constant(np.arange(6.0).reshape(2, 3))
    b = tf.constant(np.arange(6.0, 9.0).reshape(1, 3))
    c = tf.constant
    save = checkpoint_ops.save_v2(c(prefix), c(["x", "x"]), c(["3 3 0,2:-", "3 3 2,1:0,3"]),
                                  [a, b])
    full, part = checkpoint_ops.restore_v2(c(prefix), c(["x", "x"]), c(["", "3 3 1,2:1,2"]),
                                           [tf.float64, tf.float64])
    (bad,) = checkpoint_ops.restore_v2(c(prefix), c(["x"]), c(["4 3 0,1:-"]), [tf.float64])
    with tf.Session() as sess:
        sess.run(save)
        f, p = sess.run([full, part])
        np.testing.assert_array_equal(f, np.arange(9.0).reshape(3, 3))
        np.testing.assert_array_equal(p, np.arange(9.0).reshape(3, 3)[1:3, 1:3])
        with pytest.raises(tf.errors.InvalidArgumentError, match="full shape"):
            sess.run(bad)
    entries = bundle.BundleReader(prefix).entries
    assert list(entries) == ["x"] and len(entries["x"]["slices"]) == 2


def test_slice_key_is_tfs_ordered_code():
    # Keys read back from TF's own index (tests/data/tf1/partitioned/part.ckpt.index).
    assert bundle.slice_key("emb", [3, 0], [2, 3]) == b"\x00emb\x00\x01\x01\x02\x83\x82\x80\x83"
    assert bundle.slice_key("a\x00b", [0], [None]) == b"\x00a\x00\xffb\x00\x01\x01\x01\x80\x7f"
    assert bundle.slice_key("big", [65], [65])[-4:] == b"\xc0\x41\xc0\x41"


def test_create_partitioned_variables():
    parts = tf.create_partitioned_variables([5, 2], [2, 1], tf.ones_initializer())
    assert [v.name for v in parts] == ["PartitionedVariable/part_0:0",
                                       "PartitionedVariable/part_1:0"]
    assert [v.get_shape().as_list() for v in parts] == [[3, 2], [2, 2]]
    value = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    named = tf.create_partitioned_variables([3, 2], [1, 2], tf.constant(value), name="c")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(np.concatenate(sess.run(named), axis=1), value)
    with pytest.raises(ValueError, match="must have the length"):
        tf.create_partitioned_variables([5, 2], [2], tf.ones_initializer())


def test_partitioned_embedding_gradients_are_sparse_per_shard():
    table = np.arange(14, dtype=np.float32).reshape(7, 2)
    ids = [6, 1, 1, 3]
    for strategy in ("mod", "div"):
        with tf.Graph().as_default():
            shards = [tf.Variable(table[i::3] if strategy == "mod" else part, name=f"s{i}")
                      for i, part in enumerate(np.array_split(table, 3))]
            loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(
                shards, ids, partition_strategy=strategy)))
            grads = tf.gradients(loss, shards)
            assert all(isinstance(g, tf.IndexedSlices) for g in grads)
            dense = [tf.convert_to_tensor(g) for g in grads]
            train = tf.train.AdagradOptimizer(0.1).minimize(loss)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                got = sess.run(dense)
                before = sess.run(shards)
                sess.run(train)
                after = sess.run(shards)
        want = np.zeros_like(table)
        np.add.at(want, ids, 2 * table[ids])
        for i, g in enumerate(got):
            rows = np.arange(7)[i::3] if strategy == "mod" else np.array_split(np.arange(7), 3)[i]
            np.testing.assert_allclose(g, want[rows])
            untouched = ~np.isin(rows, ids)
            np.testing.assert_array_equal(after[i][untouched], before[i][untouched])
