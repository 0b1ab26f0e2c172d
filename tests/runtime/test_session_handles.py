"""tf.get_session_handle / get_session_tensor / delete_session_tensor and TensorHandle:
tensors kept in a Session between runs (TF's session_ops_test cases as behaviours; the
messages are TF 2.x's tf.compat.v1)."""

import gc
import re

import numpy as np
import pytest

import flowexec as tf
from flowexec.ops import session_ops

CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"


@pytest.fixture
def product():
    a = tf.constant(10)
    b = tf.constant(5)
    return a, b, tf.multiply(a, b, name="c")


def _kept(sess):
    return set(sess._state[session_ops.STORE].values)


def test_a_fetched_handle_feeds_its_value_to_a_later_run(product):
    a, b, c = product
    with tf.Session() as sess:
        h = sess.run(tf.get_session_handle(c))
        assert isinstance(h, session_ops.TensorHandle)
        f, x = tf.get_session_tensor(h.handle, tf.int32)
        assert sess.run(tf.multiply(x, 10), feed_dict={f: h.handle}) == 500
        assert h.eval() == 50


def test_handle_ops_are_tfs(product):
    a, b, c = product
    hop = tf.get_session_handle(c)
    assert (hop.op.type, hop.dtype, hop.shape.as_list()) == ("GetSessionHandle", tf.string, [])
    # a string lives on the host: a CPU of the task that computes `data` keeps it
    with tf.device("/job:worker/task:1/device:GPU:1"):
        d = c * 2
        assert tf.get_session_handle(c).op.device == ""
    assert tf.get_session_handle(d).op.device == "/job:worker/task:1/device:CPU:0"
    assert hop.op.get_attr("T") == tf.int32
    f, x = tf.get_session_tensor(f"GetSessionHandle;0;{CPU0}", tf.int32)
    assert (f.op.type, f.dtype, f.shape.ndims) == ("Placeholder", tf.string, None)
    assert (x.op.type, x.dtype, x.shape.ndims, x.op.device) == (
        "GetSessionTensor", tf.int32, None, CPU0)
    holder, deleter = tf.delete_session_tensor(f"GetSessionHandle;0;{CPU0}", name="myd")
    assert (holder.dtype, deleter.type, deleter.name, deleter.outputs) == (
        tf.string, "DeleteSessionTensor", "myd", [])
    assert tf.get_session_handle(c, name="myh").name == "myh:0"
    assert tf.get_session_tensor(f"x;0;{CPU0}", tf.int32, name="myt")[1].name == "myt:0"
    with pytest.raises(TypeError, match=r"^`data` must be of type Tensor\.$"):
        tf.get_session_handle(3)


def test_handles_are_op_name_session_counter_and_device(product):
    a, b, c = product
    hop = tf.get_session_handle(c)
    with tf.Session() as sess:
        h0 = sess.run(hop)
        assert h0.handle == str(h0) == f"GetSessionHandle;0;{CPU0}"
        assert repr(h0) == f"<TensorHandle 'GetSessionHandle;0;{CPU0}' dtype=int32>"
        h1, h1_again = sess.run([hop, hop])   # one op execution: one handle
        assert h1.handle == h1_again.handle == f"GetSessionHandle;1;{CPU0}"
    with tf.Session() as other:
        assert other.run(hop).handle.split(";")[1] == "0"


def test_a_handle_and_a_value_in_one_run(product):
    a, b, c = product
    with tf.Session() as sess:
        h, v = sess.run([tf.get_session_handle(c), tf.multiply(a, c)])
        assert h.eval() == 50 and v == 500


def test_a_handle_carries_a_loop_across_runs_and_garbage_is_freed():
    with tf.Session() as sess:
        h = sess.run(tf.get_session_handle(tf.constant(0)))
        f, x = tf.get_session_tensor(h.handle, tf.int32)
        h_x = tf.get_session_handle(tf.add(x, 1))
        for _ in range(100):
            h = sess.run(h_x, feed_dict={f: h.handle})  # the old handle is collected
        gc.collect()
        assert h.eval() == 100
        # dead handles are freed in batches of DEAD_HANDLES_THRESHOLD, as in TF
        assert len(_kept(sess)) <= session_ops.DEAD_HANDLES_THRESHOLD + 1


def test_a_handle_in_a_python_while_loop():
    with tf.Session() as sess:
        h = sess.run(tf.get_session_handle(tf.constant(0)))
        f, x = tf.get_session_tensor(h.handle, tf.int32)
        p = tf.less(x, tf.constant(100))
        h_x = tf.get_session_handle(tf.add(x, 1))
        while True:
            rp, h = sess.run([p, h_x], feed_dict={f: h.handle})
            if not rp:
                break
        assert h.eval() == 101


def test_deleting_frees_the_value_and_reading_it_then_fails(product):
    a, b, c = product
    hop = tf.get_session_handle(c)
    with tf.Session() as sess:
        raw = sess.run(hop).get_raw_handle()
        f, x = tf.get_session_tensor(raw, tf.int32)
        holder, deleter = tf.delete_session_tensor(raw)
        assert sess.run(x, {f: raw}) == 50
        assert sess.run(deleter, feed_dict={holder: raw}) is None
        assert raw not in _kept(sess)
        with pytest.raises(tf.errors.InvalidArgumentError, match="^" + re.escape(
                f"The tensor with handle '{raw}' is not in the session store.")):
            sess.run(x, {f: raw})
        with pytest.raises(tf.errors.InvalidArgumentError, match="^" + re.escape(
                f"Failed to delete a tensor with handle '{raw}' in the session store.")):
            sess.run(deleter, feed_dict={holder: raw})


def test_tensor_handle_delete_and_what_follows(product):
    a, b, c = product
    with tf.Session() as sess:
        h = sess.run(tf.get_session_handle(c))
        name = h.handle
        h.delete()
        assert name not in _kept(sess)
        msg = f"^Persistent tensor {re.escape(name)} may have already been deleted.$"
        with pytest.raises(TypeError, match=msg):
            h.eval()
        with pytest.raises(TypeError, match=msg):
            h.delete()
        h2 = sess.run(tf.get_session_handle(c))
        h2.get_raw_handle()
        with pytest.raises(TypeError, match="may have already been deleted"):
            h2.eval()   # TF: the caller owns a raw handle
        del h2
        gc.collect()
        assert len(_kept(sess)) == 1   # a raw handle is never collected


def test_an_unknown_handle_and_a_wrong_dtype_are_tfs_errors(product):
    a, b, c = product
    with tf.Session() as sess:
        h = sess.run(tf.get_session_handle(c))
        f, x = tf.get_session_tensor(h.handle, tf.int32)
        unknown = f"c;99;{CPU0}"
        with pytest.raises(tf.errors.InvalidArgumentError, match="^" + re.escape(
                f"The tensor with handle '{unknown}' is not in the session store.")):
            sess.run(x, {f: unknown})
        f2, x2 = tf.get_session_tensor(h.handle, tf.float32)
        with pytest.raises(tf.errors.InternalError, match="^" + re.escape(
                "Output 0 of type int32 does not match declared output type float for node "
                f"{{{{node {x2.op.name}}}}}")):
            sess.run(x2, {f2: h.handle})


def test_a_tensor_handle_as_a_feed_value_feeds_the_kept_tensor(product):
    a, b, c = product
    with tf.Session() as sess:
        h = sess.run(tf.get_session_handle(c))
        p = tf.placeholder(tf.int32, shape=[])
        assert sess.run(p * 2, feed_dict={p: h}) == 100
        v = sess.run(tf.get_session_handle(tf.constant([[1.0, 2.0]])))
        q = tf.placeholder(tf.float32, shape=[None, 2])
        np.testing.assert_array_equal(sess.run(q + 1.0, {q: v}), [[2.0, 3.0]])


def test_kept_tensors_belong_to_their_session(product):
    a, b, c = product
    hop = tf.get_session_handle(c)
    sess = tf.Session()
    raw = sess.run(hop).get_raw_handle()
    f, x = tf.get_session_tensor(raw, tf.int32)
    with tf.Session() as other:
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in the session"):
            other.run(x, {f: raw})
    sess.close()   # closing frees them
    with tf.Session() as again:
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in the session"):
            again.run(x, {f: raw})


def test_a_kept_value_is_the_value_of_its_run():
    v = tf.Variable([1.0, 2.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.run(tf.get_session_handle(v.read_value()))
        sess.run(tf.assign_add(v, [10.0, 10.0]))
        np.testing.assert_array_equal(h.eval(), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(v), [11.0, 12.0])


def test_a_partial_run_fetches_a_tensor_handle():
    a = tf.placeholder(tf.float32, [])
    hh = tf.get_session_handle(a * 2)
    with tf.Session() as sess:
        h = sess.partial_run_setup([hh], [a])
        th = sess.partial_run(h, hh, {a: 2.0})
        assert isinstance(th, session_ops.TensorHandle) and th.eval() == 4.0


def test_a_handle_names_the_device_that_keeps_the_value_and_its_reader_goes_there():
    with tf.device("/device:CPU:1"):
        c = tf.constant([1.0, 2.0]) * 3.0
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 2})) as sess:
        h = sess.run(tf.get_session_handle(c))
        assert h.handle.endswith(";/job:localhost/replica:0/task:0/device:CPU:1")
        f, x = tf.get_session_tensor(h.handle, tf.float32)
        assert x.op.device == "/job:localhost/replica:0/task:0/device:CPU:1"
        np.testing.assert_array_equal(sess.run(x, {f: h.handle}), [3.0, 6.0])


def test_handle_ops_export_as_tfs_nodes_and_import_back(product):
    a, b, c = product
    tf.get_session_handle(c, name="h")
    tf.get_session_tensor(f"h;0;{CPU0}", tf.int32, name="t")
    tf.delete_session_tensor(f"h;0;{CPU0}", name="d")
    graph_def = tf.get_default_graph().as_graph_def()
    nodes = {n.name: n for n in graph_def.node}
    assert (nodes["h"].op, nodes["t"].op, nodes["d"].op) == (
        "GetSessionHandle", "GetSessionTensor", "DeleteSessionTensor")
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(graph_def, name="")
    with tf.Session(graph=g) as sess:
        h = sess.run(g.get_tensor_by_name("h:0"))
        assert isinstance(h, session_ops.TensorHandle) and h.handle == f"h;0;{CPU0}"
        holder = g.get_operation_by_name("t").inputs[0]
        assert sess.run(g.get_tensor_by_name("t:0"), {holder: h.handle}) == 50
