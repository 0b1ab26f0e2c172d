"""autoplace: cost-based placement of unconstrained ops (placements compared literally)."""

import numpy as np
import pytest

import devices
import flowexec as tf
from devices.attributes import DeviceAttributes, Locality
from flowexec.runtime import autoplace as autoplace_mod
from flowexec.runtime import ir
from flowexec.runtime import place as place_mod
from flowexec.runtime.autoplace import estimate_makespan
from flowexec.runtime.cost import tensor_bytes, transfer_ns
from flowexec.runtime.place import colocation_groups

PREFIX = "/job:localhost/replica:0/task:0/device:"


def _cpus(n):
    return devices.local_devices({"CPU": n})


def _gpus(n):
    """Fake GPU records: placement reads only names and types."""
    return [DeviceAttributes(name=f"/device:GPU:{i}", device_type="GPU",
                             memory_limit=1 << 34, locality=Locality(bus_id=1),
                             incarnation=1000 + i) for i in range(n)]


def _nodes(ops):
    return [ir.node_of(op) for op in ops]


def place(ops, devs, allow_soft_placement=False):
    return place_mod.place(_nodes(ops), devs, allow_soft_placement)


def place_with_prediction(ops, devs):
    placement = place(ops, devs)
    return placement, placement.prediction


def _short(placement):
    return {name: dev[len(PREFIX):] for name, dev in placement.items()}


def _chains(n_chains=8, depth=3, prefix="c"):
    """`n_chains` independent chains of 512x512 matmuls on two fed placeholders."""
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    w = tf.placeholder(tf.float32, [512, 512], name="w")
    for c in range(n_chains):
        y = x
        for d in range(depth):
            y = tf.matmul(y, w, name=f"{prefix}{c}_{d}")
    return [op for op in tf.get_default_graph().get_operations() if op.type != "Placeholder"]


@pytest.mark.parametrize("n_devices", [2, 4])
def test_independent_chains_spread_evenly_one_device_per_chain(n_devices):
    ops = _chains()
    placement, report = place_with_prediction(ops, _cpus(n_devices))
    assert _short(placement) == {f"c{c}_{d}": f"CPU:{c % n_devices}"
                                 for c in range(8) for d in range(3)}
    assert report.spread
    assert report.makespan_ns * n_devices == pytest.approx(report.single_device_ns)
    assert report.default_device == PREFIX + "CPU:0"


def test_chains_spread_over_gpus_with_their_constants():
    for c in range(4):
        y = tf.constant(np.zeros((512, 512), np.float32), name=f"x{c}")
        for d in range(2):
            w = tf.constant(np.zeros((512, 512), np.float32), name=f"w{c}_{d}")
            y = tf.matmul(y, w, name=f"m{c}_{d}")
    ops = tf.get_default_graph().get_operations()
    placement = place(ops, _cpus(1) + _gpus(2))
    # Each Const is a generator with one consumer: it stays with it (no cross-GPU copy).
    assert _short(placement) == {
        name: f"GPU:{c % 2}" for c in range(4)
        for name in [f"x{c}", f"w{c}_0", f"m{c}_0", f"w{c}_1", f"m{c}_1"]}


def test_a_tiny_graph_stays_on_one_device():
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    c = tf.add(a, b, name="c")
    tf.multiply(c, a, name="d")
    ops = tf.get_default_graph().get_operations()
    placement, report = place_with_prediction(ops, _cpus(4))
    assert set(_short(placement).values()) == {"CPU:0"}
    assert not report.spread
    assert report.single_device_ns < report.makespan_ns + 1e6


def test_cheap_ops_stay_with_their_expensive_producer():
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    for b in range(2):
        with tf.name_scope(f"branch{b}"):
            y = tf.matmul(x, x, name="mm")
            for k in range(4):
                y = tf.nn.relu(y + 1.0, name=f"cheap{k}")
    ops = [op for op in tf.get_default_graph().get_operations() if op.type != "Placeholder"]
    placement = _short(place(ops, _cpus(2)))
    assert placement["branch0/mm"] != placement["branch1/mm"]
    for b in range(2):
        names = [n for n in placement if n.startswith(f"branch{b}/")]
        assert len(names) == 13   # mm, 4 x (Const, add, relu)
        assert {placement[n] for n in names} == {placement[f"branch{b}/mm"]}


def test_colocated_variable_assign_and_read_stay_together_in_every_plan():
    v = tf.Variable(tf.zeros([512, 512]), name="v")
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    outs = [tf.matmul(tf.matmul(x, v, name=f"a{c}"), v, name=f"b{c}") for c in range(4)]
    graph = tf.get_default_graph()
    init_ops = [op for op in graph.get_operations() if op.name.startswith(("v", "zeros"))]
    step_ops = [op for op in graph.get_operations() if op.type != "Placeholder"
                and op.name != "v/Assign" and not op.name.startswith("zeros")]
    assert len(outs) == 4
    devs = _cpus(4)
    init = _short(place(init_ops, devs))
    step, report = place_with_prediction(step_ops, devs)
    step = _short(step)
    assert init["v"] == init["v/Assign"] == init["v/read"] == "CPU:0"
    assert step["v"] == step["v/read"] == "CPU:0"
    assert report.spread and {step[f"a{c}"] for c in range(4)} == {f"CPU:{i}" for i in range(4)}


def test_string_and_host_only_ops_go_to_a_cpu_with_gpus_present():
    s = tf.constant("hello", name="s")
    tf.identity(s, name="s_id")
    f = tf.constant(1.0, name="f")
    tf.summary.scalar("loss", f)
    tf.Print(f, [f], name="printed")
    tf.py_func(lambda a: a, [f], tf.float32, name="pyfunc")
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    tf.matmul(x, x, name="mm")
    ops = [op for op in tf.get_default_graph().get_operations() if op.type != "Placeholder"]
    placement = _short(place(ops, _cpus(1) + _gpus(2)))
    assert placement == {"s": "CPU:0", "s_id": "CPU:0", "f": "GPU:0", "loss/tags": "CPU:0",
                         "loss": "CPU:0", "printed": "CPU:0", "pyfunc": "CPU:0",
                         "mm": "GPU:0"}


def test_soft_placement_of_an_explicit_gpu_request_without_gpu_kernel():
    with tf.device("/gpu:1"):
        p = tf.py_func(lambda a: a, [tf.constant(1.0, name="c")], tf.float32, name="p")
    devs = _cpus(2) + _gpus(2)
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        place([p.op.inputs[0].op, p.op], devs)
    assert err.value.message == (
        "Cannot assign a device for operation p: Could not satisfy explicit device "
        "specification '/device:GPU:1' because no supported kernel for GPU devices is "
        "available.\nRegistered kernels:\n  device='CPU'\n")
    assert _short(place([p.op.inputs[0].op, p.op], devs, allow_soft_placement=True)) == \
        {"c": "GPU:1", "p": "CPU:0"}


def test_same_graph_twice_gives_the_same_placement():
    def build(prefix):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [256, 256], name="x")
            rng = np.random.default_rng(7)
            values = [x]
            for i in range(60):
                a, b = (values[j] for j in rng.integers(0, len(values), 2))
                op = tf.matmul if rng.random() < 0.5 else tf.add
                values.append(op(a, b, name=f"{prefix}{i}"))
        return [op for op in g.get_operations() if op.type != "Placeholder"]

    devs = _cpus(4)
    ops_a, ops_b, ops_c = build("n"), build("n"), build("z")
    def devices_in_order(ops):
        placement = place(ops, devs)
        return [placement[op.name] for op in ops]

    first = devices_in_order(ops_a)
    assert devices_in_order(ops_b) == first
    assert devices_in_order(ops_c) == first   # names do not matter
    assert len(set(first)) > 1


def test_two_thousand_ops_on_four_devices():
    x = tf.placeholder(tf.float32, [128, 128], name="x")
    for c in range(40):
        y = x
        for d in range(25):
            y = tf.nn.relu(tf.matmul(y, x))
    ops = [op for op in tf.get_default_graph().get_operations() if op.type != "Placeholder"]
    assert len(ops) == 2000
    placement, report = place_with_prediction(ops, _cpus(4))
    assert report.spread
    assert sorted(set(placement.values())) == [PREFIX + f"CPU:{i}" for i in range(4)]


def test_colocation_cycle_is_one_unit():
    # a -> b -> c with c colocated with a: the group {a, c} and b form a cycle.
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    a = tf.matmul(x, x, name="a")
    b = tf.matmul(a, a, name="b")
    with tf.colocate_with(a):
        tf.matmul(b, b, name="c")
    other = tf.matmul(x, x, name="o1")
    tf.matmul(other, other, name="o2")
    tf.matmul(other, other, name="o3")
    ops = [op for op in tf.get_default_graph().get_operations() if op.type != "Placeholder"]
    placement = _short(place(ops, _cpus(2)))
    assert placement["a"] == placement["b"] == placement["c"]
    assert placement["o1"] == placement["o2"] == placement["o3"] != placement["a"]


def test_free_groups_in_a_cycle_with_a_constrained_op_follow_it():
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    a = tf.matmul(x, x, name="a")
    with tf.device("/cpu:2"):
        b = tf.matmul(a, a, name="b")
    with tf.colocate_with(a):
        tf.matmul(b, b, name="c")
    for i in range(3):
        tf.matmul(x, x, name=f"o{i}")
    ops = [op for op in tf.get_default_graph().get_operations() if op.type != "Placeholder"]
    placement = _short(place(ops, _cpus(4)))
    assert placement["a"] == placement["b"] == placement["c"] == "CPU:2"


def test_one_candidate_device_takes_the_fast_path(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("networkx must not run with one candidate device")

    monkeypatch.setattr(autoplace_mod.nx, "condensation", fail)
    ops = _chains(4, 2)
    placement, report = place_with_prediction(ops, _cpus(2)[:1] + _gpus(1))
    assert set(_short(placement).values()) == {"GPU:0"}
    assert report.makespan_ns is None and not report.spread
    assert set(place(ops, _cpus(1)).values()) == {PREFIX + "CPU:0"}


def test_default_device_holds_most_constrained_neighbour_bytes():
    x = tf.placeholder(tf.float32, [512, 512], name="x")
    with tf.device("/cpu:3"):
        big = tf.matmul(x, x, name="big")
    tf.add(big, 1.0, name="small")
    ops = [op for op in tf.get_default_graph().get_operations() if op.type != "Placeholder"]
    placement, report = place_with_prediction(ops, _cpus(4))
    assert _short(placement) == {"big": "CPU:3", "small/y": "CPU:3", "small": "CPU:3"}
    assert report.default_device == PREFIX + "CPU:3"


def test_estimate_makespan_of_spread_and_single_device_placements():
    ops = _chains(4, 2)
    devs = _cpus(2)
    spread = place(ops, devs)
    single = {op.name: PREFIX + "CPU:0" for op in ops}
    cost = 512 ** 3 / 20.0
    assert estimate_makespan(_nodes(ops), single, devs) == pytest.approx(8 * cost)
    assert estimate_makespan(_nodes(ops), spread, devs) == pytest.approx(4 * cost)


def test_transfer_and_size_model():
    assert transfer_ns("CPU", "CPU", 10 ** 9) == 5e4
    assert transfer_ns("GPU", "GPU", 2 * 10 ** 6) == pytest.approx(1e4 + 1e5)
    assert transfer_ns("CPU", "GPU", 10 ** 6) == pytest.approx(1e4 + 1e5)
    assert transfer_ns("GPU", "CPU", 10 ** 6) == pytest.approx(1e4 + 1e5)
    x = tf.placeholder(tf.float64, [None, 10])
    assert tensor_bytes(x) == 32 * 10 * 8
    assert tensor_bytes(tf.placeholder(tf.int32)) == 32 * 4
    assert tensor_bytes(tf.constant(np.zeros((3, 4), np.float32))) == 48


def test_groups_report_matches_colocation_groups():
    ops = _chains(2, 2)
    placement, report = place_with_prediction(ops, _cpus(2))
    groups = colocation_groups(ops)
    assert len(report.devices_by_group) == len(groups)
    for group, dev in zip(groups, report.devices_by_group):
        assert {placement[op.name] for op in group} == {dev}
