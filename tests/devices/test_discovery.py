"""Discovery: the CPU from the OS; GPUs through (a fake) CuPy; quiet when there is none."""

import logging
import sys
import warnings

import fakecupy
import pytest

from devices import discovery, list_local_devices
from devices.discovery import (
    cpu_core_count,
    cpu_memory_bytes,
    incarnation_for,
    list_physical_devices,
    min_system_memory,
    physical_devices,
)

MIB = 1024 * 1024


def _assert_cpu_only(caplog, recwarn):
    listed = list_local_devices()
    assert [d.name for d in listed] == ["/device:CPU:0"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not list(recwarn)
    return listed


def test_cpu_figures_come_from_the_os():
    cpu = physical_devices()[0]
    assert cpu.name == "/device:CPU:0" and cpu.device_type == "CPU"
    assert cpu.memory_limit == cpu_memory_bytes() > 0
    assert cpu.properties["cores"] == cpu_core_count() >= 1
    assert cpu.locality.bus_id == 0 and cpu.locality.links == ()
    assert cpu.physical_device_desc == ""


def test_cpu_memory_reads_meminfo_and_honours_a_smaller_cgroup_limit(tmp_path, monkeypatch):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16384 kB\nMemFree:         1024 kB\n")
    limit = tmp_path / "memory.max"
    limit.write_text("max\n")
    monkeypatch.setattr(discovery, "PROC_MEMINFO", str(meminfo))
    monkeypatch.setattr(discovery, "CGROUP_MEMORY_LIMITS", (str(limit),))
    assert cpu_memory_bytes() == 16384 * 1024
    limit.write_text("1048576\n")
    assert cpu_memory_bytes() == 1048576


def test_cpu_memory_falls_back_to_sysconf(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "PROC_MEMINFO", str(tmp_path / "missing"))
    monkeypatch.setattr(discovery, "CGROUP_MEMORY_LIMITS", ())
    import os

    assert cpu_memory_bytes() == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def test_no_cupy_lists_the_cpu_alone_quietly(monkeypatch, caplog, recwarn):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` raises ImportError
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    discovery.reset_discovery_cache()
    _assert_cpu_only(caplog, recwarn)


def test_no_driver_lists_the_cpu_alone_quietly(monkeypatch, caplog, recwarn):
    fake = fakecupy.make_fake_cupy(count_error=35)  # cudaErrorInsufficientDriver
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    discovery.reset_discovery_cache()
    _assert_cpu_only(caplog, recwarn)
    assert fake.calls == [("getDeviceCount",)]
    assert fake.streams == []  # no CUDA object created


@pytest.mark.parametrize("value", ["", " ", "-1", "-1,0"])
def test_cuda_visible_devices_empty_hides_gpus_without_touching_cuda(
        monkeypatch, caplog, recwarn, value):
    fake = fakecupy.make_fake_cupy()
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", value)
    discovery.reset_discovery_cache()
    _assert_cpu_only(caplog, recwarn)
    assert fake.calls == []


def test_fake_gpus_are_described_as_tensorflow_does(fake_cupy):
    gpus = [d for d in physical_devices() if d.device_type == "GPU"]
    assert [g.name for g in gpus] == ["/device:GPU:0", "/device:GPU:1"]
    first, second = gpus
    assert first.physical_device_desc == (
        "device: 0, name: NVIDIA H100 80GB HBM3, pci bus id: 0000:1b:00.0, "
        "compute capability: 9.0"
    )
    assert second.physical_device_desc.startswith("device: 1, name: NVIDIA H100 80GB HBM3, "
                                                  "pci bus id: 0000:43:00.0")
    assert first.physical_device_id == 0 and second.physical_device_id == 1
    assert first.properties["multiprocessor_count"] == 132
    assert first.properties["total_memory"] == 85_045_870_592
    assert first.properties["free_memory"] == 84_300_000_000
    assert first.properties["pci_bus_id"] == "0000:1b:00.0"


def test_fake_gpu_numa_nodes_bus_ids_and_peer_links(fake_cupy):
    first, second = [d for d in physical_devices() if d.device_type == "GPU"]
    assert (first.locality.bus_id, first.locality.numa_node) == (1, 0)
    assert (second.locality.bus_id, second.locality.numa_node) == (2, 1)
    assert [(link.device_id, link.type, link.strength) for link in first.locality.links] == [
        (1, "StreamExecutor", 1)]
    assert [link.device_id for link in second.locality.links] == [0]
    text = str(second)
    assert "  bus_id: 2\n  numa_node: 1\n  links {\n    link {\n      device_id: 0\n" in text


def test_fake_gpu_memory_limit_leaves_tensorflows_headroom(fake_cupy):
    first, second = [d for d in physical_devices() if d.device_type == "GPU"]
    assert first.memory_limit == 84_300_000_000 - 1800 * MIB
    assert second.memory_limit == 1_500_000_000 - 225 * MIB  # under 2 GiB free


def test_gpu_memory_limit_is_all_free_memory_when_the_headroom_does_not_fit(
        monkeypatch, tmp_path):
    gpus = (dict(fakecupy.TWO_H100S[0], free=200 * MIB),
            dict(fakecupy.TWO_H100S[1], free=225 * MIB))
    monkeypatch.setitem(sys.modules, "cupy", fakecupy.make_fake_cupy(gpus=gpus))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(discovery, "SYSFS_PCI_DEVICES", str(tmp_path))
    discovery.reset_discovery_cache()
    first, second = [d for d in physical_devices() if d.device_type == "GPU"]
    # TensorFlow's gpu_device.cc: free - headroom if headroom < free else free; never
    # 0 for memory that is there, since 0 means "no limit"
    assert first.memory_limit == 200 * MIB
    assert second.memory_limit == 225 * MIB


@pytest.mark.parametrize("available, major, headroom", [
    (1 << 30, 9, 225 * MIB),
    (8 << 30, 6, 500 * MIB),
    (8 << 30, 7, 1050 * MIB),
    (8 << 30, 8, 1536 * MIB),
    (8 << 30, 9, 1800 * MIB),
])
def test_min_system_memory_follows_tensorflow(available, major, headroom):
    assert min_system_memory(available, major) == headroom


def test_unknown_numa_node_gives_bus_id_one(fake_cupy, monkeypatch, tmp_path):
    monkeypatch.setattr(discovery, "SYSFS_PCI_DEVICES", str(tmp_path / "nothing"))
    discovery.reset_discovery_cache()
    gpu = physical_devices()[1]
    assert (gpu.locality.bus_id, gpu.locality.numa_node) == (1, None)


def test_a_gpu_that_fails_to_answer_is_left_out(fake_cupy, monkeypatch):
    original = fake_cupy.cuda.runtime.getDeviceProperties

    def flaky(device):
        if device == 1:
            raise fakecupy.CUDARuntimeError(999)
        return original(device)

    monkeypatch.setattr(fake_cupy.cuda.runtime, "getDeviceProperties", flaky)
    discovery.reset_discovery_cache()
    assert [d.name for d in physical_devices()] == ["/device:CPU:0", "/device:GPU:0"]


def test_discovery_is_cached_per_process(fake_cupy):
    physical_devices()
    count = len(fake_cupy.calls)
    physical_devices()
    list_local_devices()
    assert len(fake_cupy.calls) == count
    discovery.reset_discovery_cache()
    physical_devices()
    assert len(fake_cupy.calls) > count


def test_incarnations_are_random_nonzero_64_bit_and_stable():
    values = {incarnation_for(f"/device:CPU:{i}") for i in range(50)}
    assert len(values) == 50
    assert all(0 < v < 2 ** 64 for v in values)
    assert incarnation_for("/device:CPU:3") == incarnation_for("/device:CPU:3")
    before = physical_devices()[0].incarnation
    discovery.reset_discovery_cache()
    assert physical_devices()[0].incarnation == before


def test_list_physical_devices_uses_tf_config_names(fake_cupy):
    assert [d.name for d in list_physical_devices()] == [
        "/physical_device:CPU:0", "/physical_device:GPU:0", "/physical_device:GPU:1"]
    assert [d.device_type for d in list_physical_devices("gpu")] == ["GPU", "GPU"]


def test_discovery_does_not_warn_when_cupy_import_warns(monkeypatch, recwarn):
    class Finder:
        def find_spec(self, name, path=None, target=None):
            if name == "cupy":
                warnings.warn("CUDA path could not be detected", UserWarning, stacklevel=2)
                raise ImportError("no cupy")

    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Finder()] + sys.meta_path)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    discovery.reset_discovery_cache()
    assert [d.device_type for d in physical_devices()] == ["CPU"]
    assert not list(recwarn)
