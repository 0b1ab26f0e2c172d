"""Fixtures of the devices tests: a clean device state per test, and a fake CuPy."""

import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))
for _path in (_ROOT, _HERE):  # an uninstalled checkout; fakecupy under --import-mode=importlib
    if _path not in sys.path:
        sys.path.insert(0, _path)

import fakecupy  # noqa: E402

from devices import discovery, testing  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_device_state():
    testing.reset_state()
    yield
    testing.reset_state()


@pytest.fixture
def no_gpu_env(monkeypatch):
    """Hide every GPU from discovery, whatever the machine has."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    discovery.reset_discovery_cache()


@pytest.fixture
def fake_cupy(monkeypatch, tmp_path):
    """Install a fake ``cupy`` with two H100s on NUMA nodes 0 and 1, peers of each other."""
    module = fakecupy.make_fake_cupy()
    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    sysfs = tmp_path / "pci"
    for node, gpu in enumerate(fakecupy.TWO_H100S):
        entry = sysfs / fakecupy.bus_id(gpu)
        entry.mkdir(parents=True)
        (entry / "numa_node").write_text(f"{node}\n")
    monkeypatch.setattr(discovery, "SYSFS_PCI_DEVICES", str(sysfs))
    discovery.reset_discovery_cache()
    yield module
    testing.reset_state()
