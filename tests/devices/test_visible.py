"""Visible devices and memory growth (tf.config.set_visible_devices, set_memory_growth)."""

import pytest

from devices import (
    LogicalDeviceConfiguration,
    list_physical_devices,
    local_devices,
    runtime_for,
    set_logical_device_configuration,
)
from devices.visible import (
    get_memory_growth,
    get_visible_devices,
    set_memory_growth,
    set_visible_devices,
)


def test_hiding_a_gpu_renumbers_the_logical_gpus_as_tensorflow(fake_cupy):
    gpu0, gpu1 = list_physical_devices("GPU")
    set_visible_devices([gpu1], "GPU")
    gpus = [d for d in local_devices() if d.device_type == "GPU"]
    assert [(d.name, d.physical_device_id) for d in gpus] == [("/device:GPU:0", 1)]
    assert gpus[0].locality.links == ()  # its peer is hidden
    assert get_visible_devices("GPU") == [gpu1]
    assert [d.device_type for d in get_visible_devices()] == ["CPU", "GPU"]


def test_an_empty_gpu_list_leaves_the_cpu_only(fake_cupy):
    set_visible_devices([], "GPU")
    assert [d.name for d in local_devices()] == ["/device:CPU:0"]
    set_visible_devices(list_physical_devices())  # every type: all back
    assert len(local_devices()) == 3


def test_the_cpu_stays_visible(fake_cupy):
    set_visible_devices([], "CPU")
    assert [d.device_type for d in get_visible_devices()] == ["CPU", "GPU", "GPU"]
    set_visible_devices(list_physical_devices("CPU"))  # no type given: GPUs left out hide
    assert [d.name for d in local_devices()] == ["/device:CPU:0"]


def test_a_device_of_another_type_or_machine_is_refused(fake_cupy):
    cpu = list_physical_devices("CPU")[0]
    with pytest.raises(ValueError, match="^Unrecognized device: PhysicalDevice"):
        set_visible_devices([cpu], "GPU")
    with pytest.raises(ValueError, match="Unrecognized device"):
        set_visible_devices(["GPU:7"], "GPU")
    assert len(local_devices()) == 3


def test_visibility_freezes_once_a_runtime_started(no_gpu_env):
    runtime_for(local_devices()[0])
    set_visible_devices(list_physical_devices())  # no change: allowed, as TF
    assert get_visible_devices() == list_physical_devices()


def test_visibility_change_after_start_raises(fake_cupy):
    runtime_for(local_devices({"GPU": 0})[0])
    with pytest.raises(RuntimeError,
                       match="^Visible devices cannot be modified after being initialized$"):
        set_visible_devices([], "GPU")
    assert len(local_devices()) == 3


def test_memory_growth_is_recorded_per_gpu(fake_cupy):
    gpu0, gpu1 = list_physical_devices("GPU")
    assert get_memory_growth(gpu0) is None
    set_memory_growth(gpu0, True)
    assert get_memory_growth(gpu0) is True and get_memory_growth(gpu1) is None
    set_memory_growth(gpu0, False)
    assert get_memory_growth(gpu0) is False


def test_memory_growth_errors_are_tensorflows(fake_cupy):
    cpu = list_physical_devices("CPU")[0]
    gpu0, gpu1 = list_physical_devices("GPU")
    with pytest.raises(ValueError, match="^Cannot set memory growth on non-GPU and "
                                         "non-Pluggable devices$"):
        set_memory_growth(cpu, True)
    with pytest.raises(KeyError):
        get_memory_growth(cpu)
    set_logical_device_configuration(gpu1, [LogicalDeviceConfiguration(1024)] * 2)
    with pytest.raises(ValueError, match="when virtual devices configured"):
        set_memory_growth(gpu1, True)
    runtime_for(local_devices({"GPU": 0})[0])
    with pytest.raises(RuntimeError,
                       match="^Physical devices cannot be modified after being initialized$"):
        set_memory_growth(gpu0, True)
