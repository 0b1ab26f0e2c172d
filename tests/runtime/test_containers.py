"""Resource containers (`tf.container`) in one process, the in-process `tf.Session.reset`,
and the containers' trip through a GraphDef (flowexec/framework/resources.py)."""

import os

import numpy as np
import pytest

import flowexec as tf
from flowexec.framework import resources


def test_qualified_names():
    assert resources.qualified("", "v") == "v"
    assert resources.qualified("c1", "a/b") == "c1|a/b"
    assert resources.split("c1|a/b") == ("c1", "a/b")
    assert resources.split("a/b") == ("", "a/b")
    assert resources.display_name("c1|a/b") == "a/b"


def test_reset_drops_only_resources_of_the_named_containers():
    state = {("var", "a"): 1, ("var", "c1|b"): 2, ("queue", "c1|q"): 3, ("table", "t"): 4,
             ("var_lock", "a"): 5, ("rng", "op", "numpy"): 6, ("function", "f", ()): 7}
    assert resources.reset(state, ["c1"]) == 2
    assert set(state) == {("var", "a"), ("table", "t"), ("var_lock", "a"),
                          ("rng", "op", "numpy"), ("function", "f", ())}
    assert resources.reset(state, [""]) == 2
    assert set(state) == {("var_lock", "a"), ("rng", "op", "numpy"), ("function", "f", ())}


def _container_graph():
    g = tf.Graph()
    with g.as_default(), tf.container("exp"):
        v = tf.Variable([1.0, 2.0], name="v")
        w = tf.get_variable("w", initializer=tf.constant([[0.5], [1.0]]))
        q = tf.FIFOQueue(2, tf.float32, shared_name="q")
        table = tf.contrib.lookup.HashTable(
            tf.contrib.lookup.KeyValueTensorInitializer([1, 2], [10, 20]), -1)
    return g, v, w, q, table


def test_every_kind_of_variable_op_reaches_a_variable_in_a_container():
    g, v, w, q, table = _container_graph()
    with g.as_default():
        flag = tf.placeholder(tf.bool, [])
        cond = tf.cond(flag, lambda: v.assign_add([1.0, 1.0]), lambda: v.assign([0.0, 0.0]))
        loss = tf.reduce_sum(tf.matmul(tf.reshape(v, [1, 2]), w))
        step = tf.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
        scatter = tf.scatter_add(v, [1], [5.0])
        i, _ = tf.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x + v.read_value()),
                             [0, tf.zeros([2])])
        enq, deq = q.enqueue(7.0), q.dequeue()
        lookup = table.lookup(tf.constant([2, 3]))
        uninit = tf.report_uninitialized_variables()
        init = [tf.global_variables_initializer(), tf.tables_initializer()]
    assert g.get_operation_by_name("v/Assign").attrs[resources.VAR_CONTAINERS] == "exp"
    with tf.Session(graph=g) as sess:
        assert sorted(sess.run(uninit).tolist()) == [b"v", b"v/Momentum", b"w", b"w/Momentum"]
        sess.run(init)
        assert sess.run(uninit).tolist() == []
        np.testing.assert_allclose(sess.run(cond, {flag: True}), [2.0, 3.0])
        sess.run(step)
        np.testing.assert_allclose(sess.run(w), [[0.3], [0.7]], rtol=1e-6)
        np.testing.assert_allclose(sess.run(scatter), [1.95, 7.9], rtol=1e-6)
        assert sess.run(i) == 3
        sess.run(enq)
        assert sess.run(deq) == 7.0
        assert sess.run(lookup).tolist() == [20, -1]


def test_saver_round_trips_variables_in_containers(tmp_path):
    g, v, w, _, _ = _container_graph()
    with g.as_default():
        saver = tf.train.Saver([v, w])
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        sess.run(v.assign([4.0, 5.0]))
        path = saver.save(sess, os.path.join(tmp_path, "model"))
    assert dict(tf.train.list_variables(path)) == {"v": [2], "w": [2, 1]}
    with tf.Session(graph=g) as sess:
        saver.restore(sess, path)
        np.testing.assert_allclose(sess.run(v), [4.0, 5.0])


def test_graph_def_carries_the_container_on_the_variable_alone():
    g, v, _, _, _ = _container_graph()
    with g.as_default():
        inc = v.assign_add([1.0, 1.0], name="inc")
    gd = g.as_graph_def()
    nodes = {n.name: n for n in gd.node}
    assert nodes["v"].attr["container"].s == b"exp"
    assert resources.VAR_CONTAINERS not in nodes["inc"].attr   # TF's NodeDef form
    assert g.get_operation_by_name("inc").attrs[resources.VAR_CONTAINERS] == "exp"
    g2 = tf.Graph()
    with g2.as_default():
        tf.import_graph_def(gd, name="")
    assert g2.get_operation_by_name("inc").attrs[resources.VAR_CONTAINERS] == "exp"
    with tf.Session(graph=g2) as sess:
        sess.run("v/Assign")
        np.testing.assert_allclose(sess.run("inc:0"), [2.0, 3.0])


def test_ops_on_default_container_variables_record_nothing():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0)
        inc = v.assign_add(1.0)
    assert resources.VAR_CONTAINERS not in inc.op.attrs
    assert not g._has_containers


def test_local_reset_closes_every_in_process_session():
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0)
    sessions = [tf.Session(graph=g) for _ in range(2)]
    for sess in sessions:
        sess.run(v.initializer)
    tf.Session.reset("")
    for sess in sessions:
        with pytest.raises(tf.errors.CancelledError, match="Session has been closed."):
            sess.run(v)
    with tf.Session(graph=g) as sess:     # a new session works
        sess.run(v.initializer)
        assert sess.run(v) == 1.0
