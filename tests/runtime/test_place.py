"""place: devices for ops (compared literally)."""

import pytest

import devices
import flowexec as tf
from devices.attributes import DeviceAttributes, Locality
from flowexec.framework.registry import apply_op, defop, get_op_def
from flowexec.ops import shape_fns
from flowexec.runtime import ir
from flowexec.runtime import place as place_mod
from flowexec.runtime.place import colocation_groups, op_supports
from tests.runtime import fakes

CPU = "/job:localhost/replica:0/task:0/device:CPU:{}"
GPU = "/job:localhost/replica:0/task:0/device:GPU:{}"


def _gpu_only(x, name):
    """An op with a GPU kernel only (registered here, for placement tests)."""
    try:
        get_op_def("TestGpuOnly")
    except LookupError:
        @defop("TestGpuOnly", infer=shape_fns.unchanged, device_types=("GPU",))
        def _kernel(xp, x):
            return x

        _kernel.not_differentiable()
    return apply_op("TestGpuOnly", x, name=name)


def _with_gpus(n_cpus, n_gpus):
    gpus = [DeviceAttributes(name=f"/device:GPU:{i}", device_type="GPU", memory_limit=1 << 34,
                             locality=Locality(bus_id=1), incarnation=1000 + i)
            for i in range(n_gpus)]
    return devices.local_devices({"CPU": n_cpus}) + gpus


@pytest.fixture
def four_cpus():
    return devices.local_devices({"CPU": 4})


def place(ops, devs, allow_soft_placement=False):
    """The place stage on the IR nodes of `ops`."""
    return place_mod.place([ir.node_of(op) for op in ops], devs, allow_soft_placement)


def _by_name(placement):
    return dict(placement)


def test_a_small_unconstrained_graph_stays_on_the_default_device(four_cpus):
    a = tf.constant(1.0, name="a")
    b = fakes.add(a, a, name="b")
    assert _by_name(place([a.op, b.op], four_cpus)) == {"a": CPU.format(0), "b": CPU.format(0)}


def test_explicit_device_scopes(four_cpus):
    with tf.device("/cpu:2"):
        a = tf.constant(1.0, name="a")
    with tf.device("/device:CPU:3"):
        b = fakes.add(a, a, name="b")
    assert _by_name(place([a.op, b.op], four_cpus)) == {"a": CPU.format(2), "b": CPU.format(3)}


def test_colocation_group_follows_its_constrained_member(four_cpus):
    with tf.device("/cpu:1"):
        v = tf.constant(1.0, name="v")
    with tf.colocate_with(v):
        r = tf.identity(v, name="r")
    ops = [v.op, r.op]
    assert [sorted(o.name for o in g) for g in colocation_groups(ops)] == [["r", "v"]]
    assert _by_name(place(ops, four_cpus)) == {"v": CPU.format(1), "r": CPU.format(1)}


def test_missing_device_and_soft_placement(four_cpus):
    with tf.device("/cpu:9"):
        a = tf.constant(1.0, name="a")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Cannot assign a device for operation a: Could not satisfy "
                             r"explicit device specification '/device:CPU:9'"):
        place([a.op], four_cpus)
    assert _by_name(place([a.op], four_cpus, allow_soft_placement=True)) == \
        {"a": CPU.format(0)}


def test_gpu_request_soft_places_on_cpu(four_cpus):
    with tf.device("/gpu:0"):
        a = tf.constant(1.0, name="a")
    assert _by_name(place([a.op], four_cpus, allow_soft_placement=True)) == \
        {"a": CPU.format(0)}


def test_colocation_conflicts_use_tensorflows_words(four_cpus):
    with tf.device("/cpu:1"):
        a = tf.constant(1.0, name="a")
    with tf.colocate_with(a):
        b = tf.identity(a, name="b")
    b.op._set_device("/device:CPU:2")
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        place([a.op, b.op], four_cpus)
    assert err.value.message == (
        "Cannot colocate nodes a and b: Cannot merge devices with incompatible ids: "
        "'/device:CPU:1' and '/device:CPU:2'")
    # Soft placement drops the conflicting index, as TensorFlow's MergeDevNames does.
    assert _by_name(place([a.op, b.op], four_cpus, allow_soft_placement=True)) == \
        {"a": CPU.format(0), "b": CPU.format(0)}
    b.op._set_device("/device:GPU:0")
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        place([a.op, b.op], four_cpus)
    assert err.value.message == (
        "Cannot colocate nodes a and b: Cannot merge devices with incompatible types: "
        "'/device:CPU:1' and '/device:GPU:0'")
    with tf.device("/job:localhost/cpu:0"):
        c = tf.constant(1.0, name="c")
    with tf.colocate_with(c):
        d = tf.identity(c, name="d")
    d.op._set_device("/job:worker")
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        place([c.op, d.op], four_cpus, allow_soft_placement=True)
    assert err.value.message == (
        "Cannot colocate nodes c and d: Cannot merge devices with incompatible jobs: "
        "'/job:localhost/device:CPU:0' and '/job:worker'")


def test_request_that_disagrees_with_its_colocation_group(four_cpus):
    with tf.device("/cpu:9"):
        a = tf.constant(1.0, name="a")
    with tf.colocate_with(a):
        b = tf.identity(a, name="b")
    b.op._set_device("/job:localhost")
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        place([a.op, b.op], four_cpus)
    assert err.value.message.startswith(
        "Cannot assign a device for operation a: Could not satisfy explicit device "
        "specification '/device:CPU:9' because the node was colocated with a group of nodes "
        "that required incompatible device '/job:localhost/device:CPU:9'\n"
        "Colocation Debug Info:\n")


def test_gpu_request_for_a_string_op_explains_the_group():
    with tf.device("/gpu:0"):
        s = tf.constant("text", name="s")
        with tf.colocate_with(s):
            t = tf.identity(s, name="t")
    devs = _with_gpus(1, 1)
    with pytest.raises(tf.errors.InvalidArgumentError) as err:
        place([s.op, t.op], devs)
    assert err.value.message == (
        "Cannot assign a device for operation s: Could not satisfy explicit device "
        "specification '/device:GPU:0' because no supported kernel for GPU devices is "
        "available.\n"
        "Colocation Debug Info:\n"
        "Colocation group had the following types and devices: \n"
        "Const: CPU \n"
        "Identity: CPU \n"
        "\n"
        "Colocation members and user-requested devices:\n"
        "  s (Const) /device:GPU:0\n"
        "  t (Identity) /device:GPU:0\n"
        "\nRegistered kernels:\n  device='CPU'\n")
    assert _by_name(place([s.op, t.op], devs, allow_soft_placement=True)) == \
        {"s": CPU.format(0), "t": CPU.format(0)}


def test_kernel_availability():
    f = tf.constant(1.0)
    s = tf.constant("x")
    p = tf.py_func(lambda v: v, [f], tf.float32)
    assert op_supports(f.op, "GPU") and op_supports(f.op, "CPU")
    assert not op_supports(s.op, "GPU") and op_supports(s.op, "CPU")
    assert not op_supports(p.op, "GPU") and op_supports(p.op, "CPU")


def test_a_group_no_device_type_supports():
    p = tf.py_func(lambda v: v, [tf.constant(1.0, name="c")], tf.float32, name="p")
    with tf.colocate_with(p):
        g = _gpu_only(p, name="g")
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"^Cannot colocate nodes g and p because no device type supports "
                             r"both of those nodes and the other nodes colocated with them\."):
        place([p.op.inputs[0].op, p.op, g.op], _with_gpus(1, 1))


def test_unconstrained_group_without_a_kernel_on_the_gpus_goes_to_the_first_cpu():
    p = tf.py_func(lambda v: v, [tf.constant(1.0, name="c")], tf.float32, name="p")
    g = _gpu_only(tf.constant(2.0, name="d"), name="g")
    ops = [p.op.inputs[0].op, p.op, g.op.inputs[0].op, g.op]
    # c is a generator feeding only p, so it goes with p (TensorFlow's heuristic).
    assert _by_name(place(ops, _with_gpus(2, 2))) == {
        "c": CPU.format(0), "p": CPU.format(0), "d": GPU.format(0), "g": GPU.format(0)}
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Cannot assign a device for operation g: Node had no OpKernel "
                             r"registered to support this operation: Operation was TestGpuOnly "
                             r"and inputs were \[float\]"):
        place(ops, devices.local_devices({"CPU": 2}))


def test_stateful_groups_keep_one_device_in_every_plan(four_cpus):
    v = tf.Variable(tf.zeros([4]), name="v")
    r = tf.random_normal([4], name="r")
    placement = _by_name(place([op for op in tf.get_default_graph().get_operations()],
                               four_cpus))
    assert placement["v"] == placement["v/Assign"] == placement["v/read"] == CPU.format(0)
    assert placement["r/RandomStandardNormal"] == CPU.format(0)
    del v, r


def test_a_function_op_goes_to_the_state_its_functions_change(four_cpus):
    """A cond whose branch assigns a variable, a loop whose body applies an update, a cond
    using a queue: each is colocated with that state, its own request giving way (TF
    colocates the assign inside a cond's branch with its variable)."""
    with tf.device("/cpu:1"):
        v = tf.Variable(1.0, name="v")
        q = tf.FIFOQueue(4, tf.float32, shapes=[[]], name="q")
    with tf.device("/cpu:2"):
        p = tf.placeholder(tf.bool, [], name="p")
        c = tf.cond(p, lambda: tf.assign_add(v, 1.0), lambda: tf.identity(v))
        loop = tf.while_loop(lambda i: i < 2, lambda i: tf.cond(
            i > 0, lambda: tf.assign(v, 5.0) * 0.0 + i + 1.0, lambda: i + 1.0), [0.0])
        reads = tf.cond(p, lambda: v * 2.0, lambda: v + 0.0)

        def put():
            with tf.control_dependencies([q.enqueue(2.0)]):
                return tf.constant(1)
        enq = tf.cond(p, put, lambda: tf.constant(0))
    placement = _by_name(place(tf.get_default_graph().get_operations(), four_cpus))

    def function_op(t):
        op = t.op
        while not op.type.endswith(("If", "While")):
            op = op.inputs[0].op
        return op.name
    assert placement[function_op(c)] == CPU.format(1)
    assert placement[function_op(loop)] == CPU.format(1)
    assert placement[function_op(reads)] == CPU.format(2)   # reading does not move it
    assert placement[function_op(enq)] == CPU.format(1)
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 4})) as sess:
        sess.run(v.initializer)
        assert sess.run(c, {p: True}) == 2.0
        assert sess.run(loop) == 2.0 and sess.run(v) == 5.0
        assert sess.run(enq, {p: True}) == 1 and sess.run(q.size()) == 1


def test_a_function_changing_variables_on_two_devices_goes_with_the_first(four_cpus):
    """In one process the session's state is shared: the function runs with the first
    variable it updates and updates both (a cluster refuses it: distributed tests)."""
    with tf.device("/cpu:1"):
        a = tf.Variable(0.0, name="a")
    with tf.device("/cpu:2"):
        b = tf.Variable(0.0, name="b")

    def both():
        with tf.control_dependencies([tf.assign_add(a, 1.0), tf.assign_add(b, 2.0)]):
            return tf.constant(0)
    r = tf.cond(tf.constant(True), both, lambda: tf.constant(1), name="both")
    placement = _by_name(place(tf.get_default_graph().get_operations(), four_cpus))
    assert placement["both/If"] == placement["a"] == CPU.format(1)
    assert placement["b"] == CPU.format(2)
    with tf.Session(config=tf.ConfigProto(device_count={"CPU": 4})) as sess:
        sess.run([a.initializer, b.initializer])
        assert sess.run(r) == 0
        assert sess.run([a, b]) == [1.0, 2.0]
