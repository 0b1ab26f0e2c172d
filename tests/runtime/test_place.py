"""place: devices for ops (compared literally)."""

import pytest

import devices
import flowexec as tf
from flowexec.runtime.place import colocation_groups, place
from tests.runtime import fakes

CPU = "/job:localhost/replica:0/task:0/device:CPU:{}"


@pytest.fixture
def four_cpus():
    return devices.local_devices({"CPU": 4})


def _by_name(placement):
    return {op.name: dev for op, dev in placement.items()}


def test_unconstrained_ops_go_to_the_default_device(four_cpus):
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
