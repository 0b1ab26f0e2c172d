"""GPU arrays crossing tasks by device links (flowexec/distributed/collective.py).

The GPUs are `devices.testing.ThreadStreamRuntime` doubles (lanes are threads; a result is
poison until its lane ran the work, so a link that sent before the array was made sends
NaN), and the collective library is `linkdouble.QueueLinks` (blocking, ordered
point-to-point queues that refuse a shape the receiver did not expect). Every task of
these in-process clusters sees both GPUs, as tasks in one process share its devices.
"""

import contextlib
import threading
import time

import numpy as np
import pytest

import devices
import flowexec as tf
from devices.testing import FakeEvent, ThreadStreamRuntime, use_runtime
from flowexec.distributed import channel as channel_mod
from flowexec.distributed import collective
from flowexec.distributed import server as server_mod
from flowexec.distributed.rendezvous import Rendezvous
from tests.distributed.conftest import make_cluster
from tests.distributed.linkdouble import QueueLinks, gpu_records

W0 = "/job:worker/replica:0/task:0"
W1 = "/job:worker/replica:0/task:1"


@pytest.fixture
def gpu_cluster(cluster_servers, monkeypatch):
    """`start()` -> (servers, links): two workers; each task sees GPU:0 and GPU:1."""
    gpus = gpu_records(2)
    original = server_mod.local_devices
    monkeypatch.setattr(server_mod, "local_devices",
                        lambda count=None: list(original(count)) + gpus)
    links = QueueLinks()
    runtimes = [ThreadStreamRuntime(device=g, num_lanes=2, delay=0.0005, jitter=True,
                                    seed=i) for i, g in enumerate(gpus)]

    def start(workers=2):
        return cluster_servers(make_cluster(worker=workers)), links

    with use_runtime(runtimes[0]), use_runtime(runtimes[1]), \
            collective.use_in_process_backend(links):
        yield start


def _chain_graph(dst_gpu=1, shape=(4, 4)):
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, shape, name="x")
        with tf.device(f"{W0}/device:GPU:0"):
            a = tf.matmul(x, x, transpose_b=True) + 1.0
        with tf.device(f"{W1}/device:GPU:{dst_gpu}"):
            b = tf.tanh(a)   # one op: fused elementwise chains need CuPy's kernels
        with tf.device(f"{W1}/device:CPU:0"):
            c = tf.reduce_sum(b, axis=-1)
    return g, x, a, b, c


def _expected(xv):
    return np.tanh(xv @ xv.T + 1.0)


def _edge_after_a_run(server, g, x, a, b, xv):
    """Runs the chain graph once on a session of `server` (checked against numpy) and
    returns the split's edge of `a`."""
    with tf.Session(server.target, graph=g) as sess:
        np.testing.assert_allclose(sess.run(b, {x: xv}), _expected(xv), rtol=1e-12)
        (edge,) = [e for e in sess.explain(b, [x]).split.edges if e.tensor == a.name]
    return edge


def test_a_gpu_tensor_crosses_to_another_tasks_gpu_by_its_link(gpu_cluster):
    servers, links = gpu_cluster()
    g, x, a, b, c = _chain_graph()
    rng = np.random.default_rng(0)
    steps = 4
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        for _ in range(steps):
            xv = rng.standard_normal((4, 4))
            got_b, got_c = sess.run([b, c], {x: xv})
            np.testing.assert_allclose(got_b, _expected(xv), rtol=1e-12)
            np.testing.assert_allclose(got_c, _expected(xv).sum(-1), rtol=1e-12)
        stages = sess.explain([b, c], [x])
        w0 = servers[("worker", 0)].task.runtime
        w1 = servers[("worker", 1)].task.runtime
        plans = [next(iter(rt._parts.values())).plan for rt in (w0, w1)]
    (edge,) = [e for e in stages.split.edges if e.tensor == a.name]
    gpu0, gpu1 = f"{W0}/device:GPU:0", f"{W1}/device:GPU:1"
    assert edge.group == collective.group_name(
        gpu0, w0.devices[1].incarnation, gpu1, w1.devices[2].incarnation)
    assert edge.key.split(";")[0] == gpu0 and edge.key.split(";")[2] == gpu1
    part0, part1 = stages.split.parts[W0], stages.split.parts[W1]
    send = part0.graph.get(edge.send)
    recv = part1.graph.get(edge.recv)
    assert (part0.placement[send.name], part1.placement[recv.name]) == (gpu0, gpu1)
    assert send.attrs["transport"] == recv.attrs["transport"] == "collective"
    # both ends opened their group once, with the sender as rank 0, on their GPUs
    assert links.opened == {(edge.group, 0): "/job:localhost/replica:0/task:0/device:GPU:0",
                            (edge.group, 1): "/job:localhost/replica:0/task:0/device:GPU:1"}
    assert len(links.calls("send")) == len(links.calls("recv")) == steps
    assert w0.links.counts() == {edge.group: (steps, 0)}
    assert w1.links.counts() == {edge.group: (0, steps)}
    # the value went GPU to GPU: no copy to host on the sender, none to the GPU on the
    # receiver (the step id, read in host memory, was not copied either)
    for plan in plans:
        copies = [s.transfer for s in plan.steps if s.transfer is not None]
        assert not [t for t in copies if "_step_id" in t.tensor.name]
        assert not [t for t in copies if t.tensor.node in (edge.send, edge.recv, a.op.name)]
    # the receiver's rendezvous got the array (not its marker) once per step
    assert w1.rendezvous.delivery_counts()[edge.key] == steps
    assert w1.rendezvous.pending() == {}


def test_the_same_physical_gpu_is_not_linked(gpu_cluster):
    servers, links = gpu_cluster()
    g, x, a, b, c = _chain_graph(dst_gpu=0)    # W0's GPU:0 and W1's GPU:0: one device
    xv = np.random.default_rng(1).standard_normal((4, 4))
    edge = _edge_after_a_run(servers[("worker", 0)], g, x, a, b, xv)
    assert edge.group == ""
    assert edge.key.split(";")[0].endswith("/device:CPU:0")
    assert links.log == []


def test_concurrent_steps_of_several_shapes_keep_every_transfer_matched(gpu_cluster):
    servers, links = gpu_cluster()
    g, x, a, b, c = _chain_graph(shape=(None, 3))   # dynamic: the marker carries the shape
    errors = []
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        def client(seed):
            rng = np.random.default_rng(seed)
            try:
                for _ in range(8):
                    xv = rng.standard_normal((int(rng.integers(1, 6)), 3))
                    np.testing.assert_allclose(sess.run(b, {x: xv}), _expected(xv),
                                               rtol=1e-12)
            except Exception as e:   # noqa: BLE001 - reported by the main thread
                errors.append(e)
        threads = [threading.Thread(target=client, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    sends, recvs = links.calls("send"), links.calls("recv")
    assert len(sends) == len(recvs) == 32
    assert [s[2] for s in sends] == [r[2] for r in recvs]   # matched in order
    assert len({s[2] for s in sends}) > 1


def test_a_failed_step_keeps_the_link_in_step(gpu_cluster):
    servers, links = gpu_cluster()
    g, x, a, b, c = _chain_graph()
    with g.as_default():
        bad = tf.placeholder(tf.float64, [], name="bad")
        with tf.device(f"{W0}/device:CPU:0"):
            check = tf.debugging.check_numerics(bad * 1.0, "bad value")
    rng = np.random.default_rng(2)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        for i in range(6):
            xv = rng.standard_normal((4, 4))
            if i % 2:
                with pytest.raises(tf.errors.InvalidArgumentError, match="bad value"):
                    sess.run([b, check], {x: xv, bad: np.inf},
                             options=tf.RunOptions(timeout_in_ms=20000))
            else:
                got, _ = sess.run([b, check], {x: xv, bad: 1.0},
                                  options=tf.RunOptions(timeout_in_ms=20000))
                np.testing.assert_allclose(got, _expected(xv), rtol=1e-12)
    assert len(links.calls("send")) == len(links.calls("recv"))


def test_a_broken_link_fails_the_step_with_unavailable_and_says_which(gpu_cluster):
    servers, links = gpu_cluster()
    g, x, a, b, c = _chain_graph()
    xv = np.ones((4, 4))
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        sess.run(b, {x: xv})
        (edge,) = [e for e in sess.explain(b, [x]).split.edges if e.tensor == a.name]
        links.fail.add(edge.group)
        for _ in range(2):   # and the next step too, at once: the link stays broken
            start = time.monotonic()
            with pytest.raises(tf.errors.UnavailableError, match="Device link .* is broken"):
                sess.run(b, {x: xv}, options=tf.RunOptions(timeout_in_ms=20000))
            assert time.monotonic() - start < 10


class _Peer:
    def __init__(self):
        self.items = []

    def deliver(self, step_id, items):
        self.items.append((step_id, list(items)))


def test_a_step_that_ends_before_its_flush_still_delivers_its_markers():
    peer = _Peer()
    chan = channel_mod.TaskChannel(Rendezvous("t"), lambda task: peer, "t")
    chan.links = collective.DeviceLinks(None, None, None)
    marker = collective.Marker("g", 0, (2,), "float32")
    chan.start_step(7, None, batch=True)
    chan.send(7, "k-plain", W1, np.ones(2))
    with chan._lock:   # what a linked _Send leaves in the outbox (its marker)
        chan._outbox[7][W1].append(("k-link", marker))
    chan.end_step(7)   # failed before its final flush: the plain value is dropped
    assert peer.items == [(7, [("k-link", marker)])]


@contextlib.contextmanager
def _link_pair():
    """(links double, sender, receiver, {key: received array}) of one open group "g"."""
    links = QueueLinks()
    runtime = ThreadStreamRuntime(device=gpu_records(1)[0])
    got = {}
    sender = collective.DeviceLinks(links, None, None)
    receiver = collective.DeviceLinks(links, lambda s, k, v: got.setdefault(k, v), None)
    try:
        sender.open("g", 0, runtime)
        receiver.open("g", 1, runtime)
        yield links, sender, receiver, got
    finally:
        for side in (sender, receiver):
            side.close(tf.errors.UnavailableError(None, None, "done"))
        runtime.shutdown()


def _wait_for(got, n):
    deadline = time.monotonic() + 10
    while len(got) < n and time.monotonic() < deadline:
        time.sleep(0.01)


def test_markers_arriving_out_of_order_are_received_in_sequence():
    with _link_pair() as (links, sender, receiver, got):
        m0 = sender.send("g", np.arange(3.0), None)
        m1 = sender.send("g", np.arange(5.0), None)
        receiver.arrived(2, "second", m1)   # step 2's marker first
        time.sleep(0.05)
        assert got == {}                    # seq 0 has not arrived: nothing received
        receiver.arrived(1, "first", m0)
        _wait_for(got, 2)
        np.testing.assert_array_equal(got["first"], np.arange(3.0))
        np.testing.assert_array_equal(got["second"], np.arange(5.0))


def test_a_link_sends_an_array_only_once_the_work_that_made_it_is_done():
    ready = FakeEvent()
    with _link_pair() as (links, sender, receiver, got):
        marker = sender.send("g", np.arange(4.0), ready, 1, "k", W1)
        receiver.arrived(1, "k", marker)
        time.sleep(0.1)
        assert links.calls("send") == [] and got == {}   # the producing lane has not run
        ready.complete()
        _wait_for(got, 1)
        np.testing.assert_array_equal(got["k"], np.arange(4.0))


def test_endpoints_name_the_physical_gpu_and_only_two_different_ones_link():
    nccl = collective.RayNCCLBackend("node-a")
    gpu0, gpu1 = gpu_records(2)
    cpu = devices.local_devices({"CPU": 1})[0]
    assert nccl.endpoint(gpu0) == "nccl|node-a/0000:1b:00.0|0"
    assert collective.ordinal_of(nccl.endpoint(gpu1)) == 1
    assert nccl.endpoint(cpu) is None
    other_node = collective.RayNCCLBackend("node-b").endpoint(gpu0)
    assert collective.can_link(nccl.endpoint(gpu0), nccl.endpoint(gpu1))
    assert collective.can_link(nccl.endpoint(gpu0), other_node)      # same bus, other node
    assert not collective.can_link(nccl.endpoint(gpu0), nccl.endpoint(gpu0))
    assert not collective.can_link(nccl.endpoint(gpu0), QueueLinks().endpoint(gpu1))
    assert not collective.can_link(nccl.endpoint(gpu0), None)


def test_a_task_actor_reports_its_devices_endpoints():
    from flowexec.distributed import ray_backend
    from flowexec.distributed.task import TaskDevice
    gpu = gpu_records(1)[0]
    devs = [TaskDevice(f"{W0}/device:GPU:0", "GPU", 1 << 30, 5, gpu, "nccl|n/0000:1b:00.0"),
            TaskDevice(f"{W0}/device:CPU:0", "CPU", 1 << 30, 6, None, None)]
    back = ray_backend.decode_devices(ray_backend.encode_devices(devs))
    assert [d.endpoint for d in back] == ["nccl|n/0000:1b:00.0", None]
    assert back[0].physical_device_desc == gpu.physical_device_desc


def test_no_links_where_rays_nccl_group_cannot_be_made():
    if collective.RayNCCLBackend.available():
        pytest.skip("this machine has Ray's NCCL group (CuPy and torch)")
    gpus = gpu_records(1)
    assert collective.ray_backend(gpus) is None
    assert collective.ray_backend(devices.local_devices({"CPU": 1})) is None


def test_a_task_whose_part_the_client_process_may_run_gets_no_links(gpu_cluster,
                                                                     monkeypatch):
    from flowexec.distributed import master as master_mod
    servers, links = gpu_cluster()
    g, x, a, b, c = _chain_graph()
    # as if this process ran worker 0's Server on Ray: its part may run here, in a
    # client, which cannot join a collective group
    monkeypatch.setattr(master_mod, "_may_host", lambda server: True)
    xv = np.random.default_rng(3).standard_normal((4, 4))
    for client in (0, 1):   # the sender's own client, then the receiver's
        edge = _edge_after_a_run(servers[("worker", client)], g, x, a, b, xv)
        assert edge.group == "" and links.log == []


def test_tasks_other_than_the_clients_own_keep_their_links(gpu_cluster, monkeypatch):
    from flowexec.distributed import master as master_mod
    servers, links = gpu_cluster(workers=3)
    g, x, a, b, c = _chain_graph()
    monkeypatch.setattr(master_mod, "_may_host", lambda server: True)
    xv = np.random.default_rng(4).standard_normal((4, 4))
    edge = _edge_after_a_run(servers[("worker", 2)], g, x, a, b, xv)
    assert edge.group and len(links.calls("recv")) == 1


def _ping_pong_graph(back_gpu):
    """W0 GPU:0 -> W1 GPU:1 -> W0 GPU:`back_gpu`, and again: each task waits for the
    other in the middle of its part."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [3, 3], name="x")
        with tf.device(f"{W0}/device:GPU:0"):
            a = tf.tanh(x)
        with tf.device(f"{W1}/device:GPU:1"):
            b = tf.matmul(a, a)
        with tf.device(f"{W0}/device:GPU:{back_gpu}"):
            c = tf.tanh(b)
        with tf.device(f"{W1}/device:GPU:1"):
            d = tf.matmul(c, a)
    return g, x, d


@pytest.mark.parametrize("back_gpu", [0, 1], ids=["linked", "through-host"])
def test_tensors_going_back_and_forth_between_gpus_of_two_tasks(gpu_cluster, back_gpu):
    servers, links = gpu_cluster()
    g, x, d = _ping_pong_graph(back_gpu)
    rng = np.random.default_rng(5)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        for _ in range(4):
            xv = rng.standard_normal((3, 3))
            a = np.tanh(xv)
            np.testing.assert_allclose(
                sess.run(d, {x: xv}, options=tf.RunOptions(timeout_in_ms=20000)),
                np.tanh(a @ a) @ a, rtol=1e-12)
        groups = {e.group for e in sess.explain(d, [x]).split.edges}
    # linked: every crossing (W0 GPU:0 <-> W1 GPU:1, both ways); else W1 GPU:1 -> W0
    # GPU:1 (one physical GPU) goes through host memory
    assert len(groups - {""}) == (2 if back_gpu == 0 else 1)
    assert ("" in groups) == (back_gpu == 1)


def test_strided_empty_and_odd_dtype_arrays_cross_a_link(gpu_cluster):
    servers, links = gpu_cluster()
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [None, 3], name="x")
        with tf.device(f"{W0}/device:GPU:0"):
            t = tf.transpose(x * 2.0)            # a strided view on the sender
            n = tf.cast(tf.round(x * 10.0), tf.int16)
            flags = x > 0.0
        with tf.device(f"{W1}/device:GPU:1"):
            outs = [tf.identity(t), tf.identity(n), tf.identity(flags)]
    rng = np.random.default_rng(6)
    with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
        for rows in (4, 0, 2):                   # 0 rows: the marker alone crosses
            xv = rng.standard_normal((rows, 3))
            got_t, got_n, got_f = sess.run(outs, {x: xv})
            np.testing.assert_array_equal(got_t, (xv * 2.0).T)
            np.testing.assert_array_equal(got_n, np.round(xv * 10.0).astype(np.int16))
            np.testing.assert_array_equal(got_f, xv > 0.0)
            assert got_n.dtype == np.int16 and got_f.dtype == np.bool_
    assert len(links.calls("send")) == len(links.calls("recv")) == 6   # 3 arrays x 2


def test_a_link_whose_transfer_hangs_breaks_and_fails_steps_without_a_deadline(
        gpu_cluster, monkeypatch):
    monkeypatch.setattr(collective, "LINK_TIMEOUT_S", 0.5)
    servers, links = gpu_cluster()
    g, x, a, b, c = _chain_graph()
    xv = np.ones((4, 4))
    try:
        with tf.Session(servers[("worker", 0)].target, graph=g) as sess:
            sess.run(b, {x: xv})
            (edge,) = [e for e in sess.explain(b, [x]).split.edges if e.tensor == a.name]
            links.hang.add(edge.group)   # as a peer that died inside NCCL
            start = time.monotonic()
            with pytest.raises(tf.errors.UnavailableError, match="has not finished"):
                sess.run(b, {x: xv})     # no deadline
            assert time.monotonic() - start < 10
            with pytest.raises(tf.errors.UnavailableError, match="Device link"):
                sess.run(b, {x: xv})
    finally:
        links.released.set()


def test_what_a_step_sends_while_one_of_its_recvs_waits_goes_at_once():
    peer = _Peer()
    rendezvous = Rendezvous("t")
    chan = channel_mod.TaskChannel(rendezvous, lambda task: peer, "t")
    chan.start_step(3, None, batch=True)
    got = []
    waiter = threading.Thread(target=lambda: got.append(chan.recv(3, "in")))
    waiter.start()
    deadline = time.monotonic() + 5
    while not chan._waiting.get(3) and time.monotonic() < deadline:
        time.sleep(0.005)
    chan.send(3, "out", W1, np.ones(2))      # e.g. from another lane while "in" waits
    assert [(s, [k for k, _ in items]) for s, items in peer.items] == [(3, ["out"])]
    rendezvous.deliver(3, "in", np.zeros(1))
    waiter.join(5)
    assert len(got) == 1
    chan.send(3, "later", W1, np.ones(2))    # nothing waits: batched again
    assert len(peer.items) == 1
    chan.flush(3, final=True)
    assert [k for k, _ in peer.items[1][1]] == ["later"]
    chan.end_step(3)
