"""Logical devices: device_count, set_logical_device_configuration, frozen after start."""

import types

import pytest

from devices import (
    LogicalDeviceConfiguration,
    get_logical_device_configuration,
    list_local_devices,
    list_physical_devices,
    local_devices,
    runtime_for,
    set_logical_device_configuration,
)
from devices.discovery import physical_devices

MIB = 1024 * 1024


def test_default_is_one_cpu_and_no_gpu_here(no_gpu_env):
    assert [d.name for d in local_devices()] == ["/device:CPU:0"]
    assert local_devices()[0] == physical_devices()[0]


def test_device_count_gives_exactly_that_many_logical_cpus_splitting_memory(no_gpu_env):
    total = physical_devices()[0].memory_limit
    cpus = local_devices({"CPU": 4})
    assert [d.name for d in cpus] == [f"/device:CPU:{i}" for i in range(4)]
    assert {d.memory_limit for d in cpus} == {total // 4}
    assert len({d.incarnation for d in cpus}) == 4
    assert all(d.properties["logical_devices"] == 4 for d in cpus)
    assert local_devices({"cpu": 2}) == local_devices({"CPU": 2})  # stable, case-insensitive


@pytest.mark.parametrize("device_count, message", [
    ({"CPU": 0}, "leaves no CPU device"),
    ({"CPU": -1}, "non-negative integer"),
    ({"CPU": 1.5}, "non-negative integer"),
    ({"GPU": True}, "non-negative integer"),
])
def test_bad_device_counts_raise(no_gpu_env, device_count, message):
    with pytest.raises(ValueError, match=message):
        local_devices(device_count)


def test_set_logical_device_configuration_splits_the_cpu(no_gpu_env):
    cpu = list_physical_devices("CPU")[0]
    set_logical_device_configuration(
        cpu, [LogicalDeviceConfiguration(), LogicalDeviceConfiguration(memory_limit=64),
              LogicalDeviceConfiguration()])
    cpus = local_devices()
    assert [d.name for d in cpus] == ["/device:CPU:0", "/device:CPU:1", "/device:CPU:2"]
    assert cpus[1].memory_limit == 64 * MIB
    share = (physical_devices()[0].memory_limit - 64 * MIB) // 2
    assert cpus[0].memory_limit == cpus[2].memory_limit == share
    assert get_logical_device_configuration("CPU") == [
        LogicalDeviceConfiguration(), LogicalDeviceConfiguration(64), LogicalDeviceConfiguration()]
    set_logical_device_configuration("/physical_device:CPU:0", None)
    assert get_logical_device_configuration(cpu) is None
    assert len(local_devices()) == 1


def test_device_count_contradicting_the_configuration_raises(no_gpu_env):
    set_logical_device_configuration("CPU", [LogicalDeviceConfiguration()] * 2)
    assert len(local_devices({"CPU": 2})) == 2
    with pytest.raises(ValueError, match="contradicts the 2 logical CPU devices"):
        local_devices({"CPU": 3})


def test_configuring_after_a_runtime_started_raises_tensorflows_error(no_gpu_env):
    set_logical_device_configuration("CPU", [LogicalDeviceConfiguration()] * 2)
    runtime_for(local_devices()[1])
    with pytest.raises(RuntimeError,
                       match="^Logical devices cannot be modified after being initialized$"):
        set_logical_device_configuration("CPU", [LogicalDeviceConfiguration()] * 3)
    with pytest.raises(RuntimeError, match="cannot be modified"):
        set_logical_device_configuration("CPU", None)
    assert len(local_devices()) == 2


@pytest.mark.parametrize("device, configs, error, message", [
    ("GPU", [LogicalDeviceConfiguration(100)], ValueError, "Unrecognized device"),
    ("CPU", [], ValueError, "at least one"),
    ("CPU", ["x"], TypeError, "LogicalDeviceConfiguration"),
    (42, [LogicalDeviceConfiguration()], TypeError, "PhysicalDevice"),
    ("/job:a", [LogicalDeviceConfiguration()], ValueError, "names no device type"),
])
def test_bad_configurations_raise(no_gpu_env, device, configs, error, message):
    with pytest.raises(error, match=message):
        set_logical_device_configuration(device, configs)


def test_logical_configuration_validates_memory_limit():
    with pytest.raises(ValueError, match="positive number of MiB"):
        LogicalDeviceConfiguration(memory_limit=0)


def test_gpu_split_into_logical_gpus_with_memory_limits(fake_cupy):
    set_logical_device_configuration(
        list_physical_devices("GPU")[0],
        [LogicalDeviceConfiguration(1024), LogicalDeviceConfiguration(2048)])
    gpus = [d for d in local_devices() if d.device_type == "GPU"]
    assert [(d.name, d.memory_limit, d.physical_device_id) for d in gpus] == [
        ("/device:GPU:0", 1024 * MIB, 0),
        ("/device:GPU:1", 2048 * MIB, 0),
        ("/device:GPU:2", physical_devices()[2].memory_limit, 1),
    ]
    links = {d.name: [(link.device_id, link.type, link.strength) for link in d.locality.links]
             for d in gpus}
    assert links == {  # TensorFlow: the peer links first, then SAME_DEVICE (strength 1000)
        "/device:GPU:0": [(2, "StreamExecutor", 1), (1, "SAME_DEVICE", 1000)],
        "/device:GPU:1": [(2, "StreamExecutor", 1), (0, "SAME_DEVICE", 1000)],
        "/device:GPU:2": [(0, "StreamExecutor", 1), (1, "StreamExecutor", 1)],
    }
    assert gpus[1].physical_device_desc == gpus[0].physical_device_desc


def test_gpu_configuration_needs_memory_limits_that_fit(fake_cupy):
    with pytest.raises(ValueError, match="Setting memory limit is required"):
        set_logical_device_configuration("GPU:1", [LogicalDeviceConfiguration()])
    with pytest.raises(ValueError, match="more than its"):
        set_logical_device_configuration("GPU:1", [LogicalDeviceConfiguration(50_000)] * 2)


def test_device_count_limits_gpus(fake_cupy):
    assert [d.name for d in local_devices({"GPU": 0})] == ["/device:CPU:0"]
    assert [d.name for d in local_devices({"GPU": 1})] == ["/device:CPU:0", "/device:GPU:0"]
    one = local_devices({"GPU": 1})[1]
    assert one.locality.links == ()  # its peer is not among the devices
    assert len(local_devices({"GPU": 8})) == 3


def test_list_local_devices_reads_device_count_from_a_session_config(no_gpu_env):
    config = types.SimpleNamespace(device_count={"CPU": 3})
    assert len(list_local_devices(config)) == 3
    assert len(list_local_devices({"device_count": {"CPU": 2}})) == 2
    assert len(list_local_devices(types.SimpleNamespace())) == 1
    assert len(list_local_devices()) == 1
