"""Graphs with tf.data pipelines export as GraphDefs: dataset ops carry TF's output_types /
output_shapes attrs (their element's flat dtypes and shapes), and the imported pipeline runs."""

import numpy as np

import flowexec as tf


def _pipeline():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = tf.data.Dataset.from_tensor_slices((x, np.arange(6))).shuffle(6, seed=2).batch(4)
    return ds.repeat(2).prefetch(1)


def test_dataset_ops_carry_tfs_element_attrs():
    g = tf.Graph()
    with g.as_default():
        ds = _pipeline()
        it = ds.make_initializable_iterator()
        it.get_next()
    gd = g.as_graph_def()
    by_op = {n.op: n for n in gd.node}
    for op_type in ("ShuffleDataset", "BatchDatasetV2", "RepeatDataset", "PrefetchDataset"):
        node = by_op[op_type]
        assert list(node.attr["output_types"].list.type) == [
            tf.float32.as_datatype_enum, tf.int64.as_datatype_enum], op_type
        dims = [[d.size for d in s.dim] for s in node.attr["output_shapes"].list.shape]
        want = [[2], []] if op_type == "ShuffleDataset" else [[-1, 2], [-1]]
        assert dims == want, op_type


def test_an_exported_pipeline_imports_and_runs_as_the_original():
    g = tf.Graph()
    with g.as_default():
        it = _pipeline().make_initializable_iterator()
        nxt = it.get_next()
        with tf.Session() as sess:
            sess.run(it.initializer)
            want = [sess.run(nxt) for _ in range(4)]
    gd = g.as_graph_def()
    with tf.Graph().as_default():
        init, x, y = tf.import_graph_def(
            gd, return_elements=[it.initializer.name, nxt[0].name, nxt[1].name])
        with tf.Session() as sess:
            sess.run(init)
            got = [sess.run([x, y]) for _ in range(4)]
    for (wx, wy), (gx, gy) in zip(want, got):
        np.testing.assert_array_equal(wx, gx)
        np.testing.assert_array_equal(wy, gy)
