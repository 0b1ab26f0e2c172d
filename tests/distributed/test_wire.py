"""The wire form of a task part: plain data only, rebuilt into a part that runs."""

import io
import pickle

import numpy as np

import flowexec as tf
from flowexec.distributed.wire import WireOrigin, part_from_wire, part_to_wire
from tests.distributed.conftest import make_cluster


class _PlainUnpickler(pickle.Unpickler):
    """Refuses everything but builtins and numpy: the wire carries no code."""

    def find_class(self, module, name):
        if module in ("builtins", "numpy", "numpy.core.multiarray", "numpy._core.multiarray",
                      "numpy.core.numeric", "numpy._core.numeric", "_codecs"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


def _through_wire(part):
    data = pickle.dumps(part_to_wire(part))
    return part_from_wire(_PlainUnpickler(io.BytesIO(data)).load())


def test_rebuilt_parts_run_a_step_like_the_originals(cluster_servers):
    servers = cluster_servers(make_cluster(ps=1, worker=1))
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        with tf.device("/job:ps/task:0"):
            v = tf.Variable([1.0, 2.0], name="v")
            shifted = v + tf.constant([10.0, 20.0])
        y = shifted * x
        with tf.device("/job:ps/task:0"):
            update = v.assign_add(y)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(v.initializer)
        split = sess.explain([y, update], [x]).split
    step_id = 12345
    handles, futures = {}, {}
    for task, part in split.parts.items():
        rebuilt = _through_wire(part)
        assert [n.name for n in rebuilt.graph.nodes] == [n.name for n in part.graph.nodes]
        assert all(isinstance(o, WireOrigin) for n in rebuilt.graph.nodes for o in n.origin)
        server = servers[("ps", 0)] if "ps" in task else servers[("worker", 0)]
        handles[task] = server.task.register(rebuilt)
    xv = np.array([2.0, 3.0], np.float32)
    for task, part in split.parts.items():
        server = servers[("ps", 0)] if "ps" in task else servers[("worker", 0)]
        feeds = [xv for _ in split.feed_routes[task]]
        futures[task] = server.task.start_run(handles[task], step_id, feeds, 10.0)
    results = {task: f.result(10) for task, f in futures.items()}
    (task, j), = [s for s in split.fetch_sources[:1]]
    np.testing.assert_array_equal(results[task][j], [22.0, 66.0])
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        np.testing.assert_array_equal(sess.run(v), [23.0, 68.0])


def test_an_error_that_lost_its_op_gets_the_clients_back():
    from flowexec.distributed.master import _with_user_op

    g = tf.Graph()
    with g.as_default():
        c = tf.constant(1.0, name="c")
    err = pickle.loads(pickle.dumps(tf.errors.InvalidArgumentError(
        c.op.node_def, c.op, "bad")))
    assert err.op is None
    restored = _with_user_op(err, g)
    assert restored.op is c.op and restored.message == "bad"
    assert isinstance(restored, tf.errors.InvalidArgumentError)
