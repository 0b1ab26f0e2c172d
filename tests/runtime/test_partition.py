"""partition: steps per device, transfers once per memory, live variable reads (literal)."""

import flowexec as tf
from flowexec.runtime import ir
from flowexec.runtime.partition import HOST, Transfer, partition
from flowexec.runtime.prune import prune

CPU0, CPU1, GPU0 = "/device:CPU:0", "/device:CPU:1", "/device:GPU:0"
SPACES = {CPU0: HOST, CPU1: HOST, GPU0: GPU0}


def _graph(fetches, feeds=(), targets=()):
    return ir.from_pruned(prune(tf.get_default_graph(), list(fetches), list(feeds),
                                list(targets)))


def _rows(parts):
    return [(item.name, item.device, tuple(r.name for r in item.inputs), item.preds)
            for item in parts.items]


def test_a_tensor_crosses_once_per_memory_and_fetches_come_back_to_the_host():
    x = tf.placeholder(tf.float32, [4], name="x")
    a = tf.multiply(x, 2.0, name="a")
    b = tf.add(a, 1.0, name="b")
    c = tf.add(a, b, name="c")
    g = _graph([c, a], [x])
    placement = {"a/y": CPU0, "a": CPU0, "b/y": GPU0, "b": GPU0, "c": GPU0}
    parts = partition(g, placement, SPACES)
    assert _rows(parts) == [
        ("a/y", CPU0, (), ()),
        ("a", CPU0, ("x:0", "a/y:0"), (0,)),
        ("b/y", GPU0, (), ()),
        ("a/_0_to_GPU_0", GPU0, ("a:0",), (1,)),
        ("b", GPU0, ("a/_0_to_GPU_0:0", "b/y:0"), (2, 3)),
        ("c", GPU0, ("a/_0_to_GPU_0:0", "b:0"), (3, 4)),
        ("c/_0_to_client", GPU0, ("c:0",), (5,)),
    ]
    assert parts.items[3].transfer == Transfer("a/_0_to_GPU_0", ir.Ref("a"), CPU0, GPU0,
                                               False, (a.op,))
    copy_back = parts.items[6]
    assert copy_back.transfer.to_host and copy_back.follows == 5
    assert parts.fetches == (ir.Ref("c/_0_to_client"), ir.Ref("a"))
    assert [(p.device, [n.name for n in p.node]) for p in parts.graphs] == [
        (CPU0, ["a/y", "a", "a/_0_send_to_GPU_0"]),
        (GPU0, ["b/y", "b", "c", "c/_0_send_to_client", "a/_0_recv_on_GPU_0"]),
    ]


def test_devices_sharing_host_memory_need_no_copy_but_show_send_recv():
    x = tf.placeholder(tf.float32, [], name="x")
    y = tf.negative(x, name="y")
    z = tf.negative(y, name="z")
    g = _graph([z], [x])
    parts = partition(g, {"y": CPU0, "z": CPU1}, SPACES)
    assert _rows(parts) == [("y", CPU0, ("x:0",), ()), ("z", CPU1, ("y:0",), (0,))]
    assert [[n.op for n in p.node] for p in parts.graphs] == [
        ["Neg", "_Send"], ["Neg", "_Recv"]]
    recv = parts.graphs[1].node[1]
    assert (recv.attr["send_device"], recv.attr["recv_device"]) == (CPU0, CPU1)


def test_a_fed_value_read_on_a_device_arrives_from_the_client():
    x = tf.placeholder(tf.float32, [], name="x")
    y = tf.negative(x, name="y")
    parts = partition(_graph([y], [x]), {"y": GPU0}, SPACES)
    assert _rows(parts) == [("x/_0_to_GPU_0", GPU0, ("x:0",), ()),
                            ("y", GPU0, ("x/_0_to_GPU_0:0",), (0,)),
                            ("y/_0_to_client", GPU0, ("y:0",), (1,))]
    assert parts.items[0].transfer.src == ""


def test_variable_reads_are_live_within_its_memory_and_at_the_transfer():
    v = tf.Variable(1.0, name="v")
    on_host = tf.add(v, 1.0, name="on_host")
    on_gpu = tf.add(v, 2.0, name="on_gpu")
    g = _graph([on_host, on_gpu])
    placement = {n.name: CPU0 for n in g.nodes}
    placement.update({"on_gpu": GPU0, "on_gpu/y": GPU0})
    parts = partition(g, placement, SPACES)
    live = {item.name: item.live for item in parts.items if item.live}
    assert live == {"v/read": ((0, "v"),), "on_host": ((0, "v"),),
                    "v/read/_0_to_GPU_0": ((0, "v"),)}
