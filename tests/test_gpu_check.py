"""scripts/gpu_check.py: the no-GPU path, and the report and summary built from fake
measurements (the measurements themselves need a real GPU: see the script's docstring)."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from devices import discovery, testing

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "gpu_check.py")


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gc():
    return _load("gpu_check", SCRIPT)


@pytest.fixture
def clean_devices():
    testing.reset_state()
    yield
    testing.reset_state()


def test_without_a_gpu_it_says_so_in_one_line_and_exits_0(tmp_path):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")  # hides every GPU the machine may have
    proc = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("gpu_check: no CUDA GPU on this machine, nothing to check: "
                           "CUDA_VISIBLE_DEVICES hides every GPU.\n")
    assert proc.stderr == "" and list(tmp_path.iterdir()) == []


def test_no_gpu_reasons(gc, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", None)
    assert gc.no_gpu_reason().startswith("CuPy is not installed")
    fake = _load("fakecupy", os.path.join(ROOT, "tests", "devices", "fakecupy.py"))
    monkeypatch.setitem(sys.modules, "cupy", fake.make_fake_cupy(count_error=35))
    assert gc.no_gpu_reason() == "CuPy is installed but no CUDA driver or device answers"
    monkeypatch.setitem(sys.modules, "cupy", fake.make_fake_cupy())
    assert gc.no_gpu_reason() is None


# ----- pure helpers --------------------------------------------------------------------------
SMI = "00000000:1B:00.0, 1, 5, 16, 16\n00000000:43:00.0, [N/A], [N/A], [N/A], [N/A]\nnoise\n"


def test_pcie_parsing_and_limits(gc):
    rows = gc.parse_nvidia_smi_pcie(SMI)
    assert rows == [
        {"pci_bus_id": "0000:1b:00.0", "gen_current": 1, "gen_max": 5, "width_current": 16,
         "width_max": 16},
        {"pci_bus_id": "0000:43:00.0", "gen_current": None, "gen_max": None,
         "width_current": None, "width_max": None}]
    assert gc.normalize_bus_id("00000000:1B:00.0") == gc.normalize_bus_id("0000:1b:00.0")
    assert gc.pcie_limit_gbps(5, 16) == pytest.approx(63.0, abs=0.01)
    assert gc.pcie_limit_gbps(3, 8) == pytest.approx(7.88, abs=0.01)
    assert gc.pcie_limit_gbps(None, 16) is None and gc.pcie_limit_gbps(9, 16) is None


def test_link_info_from_a_fake_nvidia_smi(gc, monkeypatch):
    class Proc:
        returncode = 0
        stdout = SMI

    monkeypatch.setattr(gc.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    link = gc.link_info("0000:1b:00.0", run=lambda *a, **k: Proc())
    assert link["known"] and (link["gen"], link["width"]) == (5, 16)  # idle gen1: max used
    assert link["limit_gbps"] == pytest.approx(63.0, abs=0.01)
    unknown = gc.link_info("0000:43:00.0", run=lambda *a, **k: Proc())
    assert not unknown["known"] and "unknown" in unknown["why"]
    assert not gc.link_info("0000:99:00.0", run=lambda *a, **k: Proc())["known"]
    monkeypatch.setattr(gc.shutil, "which", lambda name: None)
    assert gc.link_info("0000:1b:00.0") == {"known": False, "why": "nvidia-smi not found"}


def test_junit_counts_and_median(gc):
    xml = ('<testsuites><testsuite name="pytest" errors="1" failures="2" skipped="3" '
           'tests="10"/></testsuites>')
    assert gc.junit_counts(xml) == (10, 2, 1, 3)
    assert gc.junit_counts('<testsuite tests="4" failures="0" errors="0" skipped="4"/>') == (
        4, 0, 0, 4)
    med, noise = gc.median_iqr([1.0, 2.0, 3.0, 4.0, 100.0])
    assert med == 3.0 and noise == pytest.approx((4.0 - 2.0) / 3.0)


def test_overlap_from_a_trace_counts_only_gpu_lanes(gc):
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    trace = {"traceEvents": [
        {"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "/device:GPU:0 Compute"}},
        {"ph": "M", "name": "process_name", "pid": 2, "args": {"name": "/device:CPU:0 Compute"}},
        {"ph": "X", "name": "MatMul", "pid": 1, "tid": 0, "ts": 0, "dur": 10},
        {"ph": "X", "name": "MatMul", "pid": 1, "tid": 1, "ts": 0, "dur": 10},
        {"ph": "X", "name": "MatMul", "pid": 1, "tid": 2, "ts": 5, "dur": 5},
        {"ph": "X", "name": "Add", "pid": 2, "tid": 0, "ts": 100, "dur": 50},
    ]}
    assert gc.overlap_from_trace(trace) == pytest.approx(25 / 10)
    assert gc.overlap_from_trace(trace, "CPU") == pytest.approx(1.0)
    assert gc.overlap_from_trace({"traceEvents": []}) == 1.0


# ----- sections, report, summary -------------------------------------------------------------
def _ctx(gc, tmp_path, seconds=100.0):
    import time

    return gc.Context(None, 1, str(tmp_path), time.monotonic() + seconds, 3)


def test_run_section_guards_each_outcome(gc, tmp_path):
    ctx = _ctx(gc, tmp_path)
    ok = gc.run_section(lambda c: {"x": 1}, ctx)
    assert ok["status"] == "ok" and ok["result"] == {"x": 1} and ok["seconds"] >= 0
    skipped = gc.run_section(lambda c: {"skipped": "needs two GPUs"}, ctx)
    assert skipped["status"] == "skipped"

    def boom(c):
        raise RuntimeError("cudaErrorLaunchFailure")
    error = gc.run_section(boom, ctx)
    assert error["status"] == "error" and error["error"] == "RuntimeError: cudaErrorLaunchFailure"
    assert any("boom" in line for line in error["traceback"])
    late = gc.run_section(lambda c: {"x": 1}, _ctx(gc, tmp_path, seconds=5.0), min_seconds=20)
    assert late["status"] == "skipped" and "out of time" in late["result"]["skipped"]


FAKE_RESULTS = {
    "discovery": {"gpus": [{"ordinal": 0, "mismatches": [], "cupy": {
        "name": "NVIDIA H200", "total_memory": 150 * 2**30, "compute_capability": "9.0",
        "multiprocessor_count": 132, "pci_bus_id": "0000:1b:00.0"}}], "listed_count": 1},
    "gpu_tests": {"exit_code": 0, "wall_s": 12.5, "passed": 7, "failed": 0, "errors": 0,
                  "skipped": 1},
    "launch_overhead": {"chain": 200, "size": 16, "correct": True, "flowexec_us_per_op": 41.5,
                        "cupy_us_per_op": 8.3, "ratio": 5.0},
    "w6": {"streams": {"1": {"median_ms": 9.0, "trace_overlap": 1.0, "trace": "/t/1.json"},
                       "4": {"median_ms": 3.0, "trace_overlap": 3.4, "trace": "/t/4.json",
                             "speedup_vs_1": 3.0},
                       "8": {"median_ms": 2.5, "trace_overlap": 4.0, "trace": "/t/8.json",
                             "speedup_vs_1": 3.6}}},
    "bandwidth": {"bytes": 256 << 20, "pinned": {"h2d_gbps": 50.4, "d2h_gbps": 52.0},
                  "pageable": {"h2d_gbps": 20.1, "d2h_gbps": 18.0},
                  "link": {"known": True, "gen": 5, "width": 16, "limit_gbps": 63.0},
                  "fraction_of_limit": {"pinned_h2d": 0.8}},
    "memory_limit": {"enforced": True, "limit_mib": 64, "small_mib": 16, "big_mib": 128,
                     "big_raised": "ResourceExhaustedError", "small_value": 4194304.0},
    "train_digits": {"gpu": {"ms_per_step": 2.0, "examples_per_sec": 64000,
                             "test_accuracy": 0.975},
                     "cpu": {"ms_per_step": 1.0, "examples_per_sec": 128000,
                             "test_accuracy": 0.975}, "gpu_vs_cpu_speed": 0.5},
}

EXPECTED_LINES = {
    "discovery": "1 GPU(s): NVIDIA H200 (cc 9.0, 132 SMs, 150.0 GiB); matches CuPy's properties",
    "gpu tests": "7 passed, 0 failed, 0 errors, 1 skipped in 12.5 s (exit 0)",
    "launch overhead": "flowexec 41.5 µs/op, raw CuPy 8.3 µs/op (5.0x) over a chain of 200 "
                       "16x16 matmuls",
    "W6 streams": "1 stream 9.00 ms; 4 streams 3.00 ms (3.00x); 8 streams 2.50 ms (3.60x); "
                  "overlap in traces 1/4/8: 1.00/3.40/4.00x; trace /t/4.json",
    "bandwidth": "H2D pinned 50.4 GB/s, pageable 20.1; D2H pinned 52.0, pageable 18.0 "
                 "(256 MiB); link PCIe gen5 x16: limit 63.0 GB/s, pinned H2D at 80%",
    "memory limit": "limit 64 MiB enforced: 16 MiB ran, 128 MiB raised "
                    "ResourceExhaustedError",
    "train_digits": "GPU 2.00 ms/step (64,000 ex/s, acc 0.975); CPU 1.00 ms/step "
                    "(128,000 ex/s, acc 0.975); GPU/CPU speed 0.50x",
}


def test_summary_of_fake_measurements_has_one_line_per_section(gc):
    sections = {key: {"status": "ok", "seconds": 1.0, "result": FAKE_RESULTS[key]}
                for key in FAKE_RESULTS}
    sections["peer_copies"] = {"status": "skipped", "seconds": 0.0,
                               "result": {"skipped": "needs two GPUs, this machine has 1"}}
    sections["gpu_tests"] = {"status": "error", "seconds": 2.0,
                             "error": "TimeoutExpired: pytest"}
    report = gc.build_report({"host": "h", "gpu_count": 1, "cupy": "13.6.0"}, sections,
                             "start", "end")
    assert report["counts"] == {"ok": 6, "skipped": 1, "error": 1}
    text = gc.format_summary(report)
    lines = text.splitlines()
    assert lines[0] == "flowexec GPU check on h: 1 GPU(s), CuPy 13.6.0"
    assert lines[-1] == "6 ok, 1 skipped, 1 error(s)"
    assert len(lines) == 2 + len(sections)
    for title, expected in EXPECTED_LINES.items():
        if title == "gpu tests":
            continue
        assert any(line.strip().startswith(title) and expected in line
                   for line in lines), (title, text)
    assert any("gpu tests" in line and "error    TimeoutExpired: pytest" in line for line in lines)
    assert any("peer copies" in line and "skipped  needs two GPUs" in line for line in lines)
    json.dumps(report)  # the report is JSON as it is


def test_each_describer_on_fake_results(gc):
    describe = {title: d for key, title, _, d, _ in gc.SECTIONS}
    keys = {title: key for key, title, *_ in gc.SECTIONS}
    for title, expected in EXPECTED_LINES.items():
        assert describe[title](FAKE_RESULTS[keys[title]]) == expected
    bad = dict(FAKE_RESULTS["memory_limit"], enforced=False, big_raised=None)
    assert "NOT enforced" in describe["memory limit"](bad)
    unknown = dict(FAKE_RESULTS["bandwidth"], link={"known": False, "why": "nvidia-smi not "
                                                                              "found"})
    assert describe["bandwidth"](unknown).endswith("link limit unknown (nvidia-smi not found)")
    peers = {"pairs": {"0->1": {"gbps": 120.0, "can_access_peer": True, "correct": True},
                       "1->0": {"gbps": 20.0, "can_access_peer": False, "correct": True}},
             "flowexec_gpu0_to_gpu1_correct": True}
    assert describe["peer copies"](peers) == (
        "0->1 120.0 GB/s (peer access yes); 1->0 20.0 GB/s (peer access no); values correct")


def test_a_describer_that_fails_does_not_hide_the_others(gc):
    sections = {"a": {"status": "ok", "seconds": 0.5, "result": {}},
                "b": {"status": "ok", "seconds": 0.5, "result": {"v": 2}}}
    report = gc.build_report({"gpu_count": 1}, sections, "s", "e")
    text = gc.format_summary(report, {"a": ("a", lambda r: r["missing"]),
                                      "b": ("b", lambda r: f"v={r['v']}")})
    assert "could not be written: KeyError('missing')" in text and "v=2" in text


def test_main_writes_the_report_and_the_summary(gc, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(gc, "no_gpu_reason", lambda: None)
    monkeypatch.setattr(gc.discovery, "import_cupy", lambda: type("cupy", (), {
        "__version__": "13.6.0"}))
    monkeypatch.setattr(gc.discovery, "gpu_count", lambda cupy=None: 1)

    def broken(ctx):
        raise ValueError("no such stream")
    monkeypatch.setattr(gc, "SECTIONS", [
        ("discovery", "discovery", lambda ctx: FAKE_RESULTS["discovery"],
         gc.describe_discovery, 0),
        ("w6", "W6 streams", broken, gc.describe_w6, 0),
        ("memory_limit", "memory limit", lambda ctx: FAKE_RESULTS["memory_limit"],
         gc.describe_memory_limit, 0)])
    out = tmp_path / "r" / "report.json"
    assert gc.main(["--out", str(out), "--budget", "60"]) == 1  # one section raised
    report = json.loads(out.read_text())
    assert list(report["sections"]) == ["discovery", "w6", "memory_limit"]
    assert report["sections"]["w6"]["error"] == "ValueError: no such stream"
    assert report["sections"]["memory_limit"]["result"]["enforced"] is True
    printed = capsys.readouterr().out
    assert f"report: {out}" in printed and "1 GPU(s): NVIDIA H200" in printed
    assert "W6 streams    error    ValueError: no such stream" in printed


def test_discovery_against_a_fake_cupy(gc, monkeypatch, tmp_path, clean_devices):
    fake_mod = _load("fakecupy", os.path.join(ROOT, "tests", "devices", "fakecupy.py"))
    gpus = [dict(g) for g in fake_mod.TWO_H100S]
    fake = fake_mod.make_fake_cupy(gpus=gpus)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    discovery.reset_discovery_cache()
    ctx = gc.Context(fake, 2, str(tmp_path), float("inf"), 3)
    r = gc.measure_discovery(ctx)
    assert [g["mismatches"] for g in r["gpus"]] == [[], []]
    assert r["gpus"][1]["cupy"]["pci_bus_id"] == "0000:43:00.0"
    assert gc.describe_discovery(r).endswith("; matches CuPy's properties")
    gpus[1]["sms"] = 100  # what CuPy says now differs from what discovery recorded
    r = gc.measure_discovery(ctx)
    assert r["gpus"][1]["mismatches"] == ["multiprocessor_count: flowexec 132 vs CuPy 100"]
    assert "1 mismatch(es)" in gc.describe_discovery(r)


# ----- the raw-CuPy measurements against a host-memory stand-in -----------------------------
def _host_cupy(gpus=2):
    """Just enough of CuPy's API for the copy measurements, on host memory: device arrays
    are numpy arrays, pointers their real addresses, copies `ctypes.memmove`, events
    stamps of perf_counter. It checks the calls and arguments, not GPU timings."""
    import ctypes
    import time
    import types

    import numpy as np

    calls = []

    class Array:
        def __init__(self, a):
            self._a = a
            self.data = types.SimpleNamespace(ptr=a.ctypes.data)

        def set(self, arr, stream=None):
            assert stream is None or isinstance(stream, Stream)
            np.copyto(self._a, arr)

        def get(self):
            return self._a.copy()

        def __getitem__(self, key):
            return Array(self._a[key])

        def sum(self):
            return self._a.sum(dtype=np.uint64)

    class Device:
        def __init__(self, i=0):
            assert 0 <= i < gpus
            self.id = i

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def synchronize(self):
            pass

    class Stream:
        def __init__(self, non_blocking=False):
            self.ptr = id(self)

        def synchronize(self):
            pass

    class Event:
        def record(self, stream=None):
            self.t = time.perf_counter()

        def synchronize(self):
            pass

    class CUDARuntimeError(RuntimeError):
        pass

    def memcpy_async(dst, src, size, kind, stream):
        calls.append(("memcpyAsync", kind))
        assert kind in (1, 2) and isinstance(stream, int)
        ctypes.memmove(dst, src, size)

    def memcpy_peer(dst, dst_device, src, src_device, size):
        calls.append(("memcpyPeer", dst_device, src_device))
        ctypes.memmove(dst, src, size)

    enabled = set()

    def enable_peer(peer):
        if peer in enabled:
            raise CUDARuntimeError("cudaErrorPeerAccessAlreadyEnabled")
        enabled.add(peer)

    runtime = types.SimpleNamespace(
        memcpyHostToDevice=1, memcpyDeviceToHost=2, memcpyAsync=memcpy_async,
        memcpyPeer=memcpy_peer, deviceCanAccessPeer=lambda d, p: 1,
        deviceEnablePeerAccess=enable_peer, CUDARuntimeError=CUDARuntimeError)
    cuda = types.SimpleNamespace(
        Device=Device, Stream=Stream, Event=Event, runtime=runtime,
        get_elapsed_time=lambda a, b: max((b.t - a.t) * 1e3, 1e-6),
        alloc_pinned_memory=lambda n: bytearray(n))
    return types.SimpleNamespace(
        cuda=cuda, uint8=np.uint8, calls=calls,
        empty=lambda n, dtype: Array(np.empty(n, dtype)),
        ones=lambda n, dtype: Array(np.ones(n, dtype)))


def test_bandwidth_section_calls_cupy_as_documented(gc, tmp_path, monkeypatch):
    monkeypatch.setattr(gc.shutil, "which", lambda name: None)
    cp = _host_cupy()
    ctx = gc.Context(cp, 1, str(tmp_path), float("inf"), 3)
    r = gc.measure_bandwidth(ctx, nbytes=1 << 20)
    assert r["correct"] and r["bytes"] == 1 << 20
    for label in ("pinned", "pageable"):
        assert r[label]["h2d_gbps"] > 0 and r[label]["d2h_gbps"] > 0
    assert r["pinned"]["ndarray_set_gbps"] > 0
    assert r["link"]["known"] is False  # no GPU listed here, and no nvidia-smi
    assert cp.calls.count(("memcpyAsync", 1)) == cp.calls.count(("memcpyAsync", 2)) == 2 * 4
    assert "link limit unknown" in gc.describe_bandwidth(r)


def test_peer_bandwidth_copies_and_tolerates_enabled_access(gc):
    cp = _host_cupy()
    first = gc.peer_bandwidth(cp, 0, 1, 1 << 16, 3)
    again = gc.peer_bandwidth(cp, 0, 1, 1 << 16, 3)  # peer access already enabled: fine
    assert first["correct"] and again["correct"] and first["can_access_peer"]
    assert first["gbps"] > 0
    assert cp.calls.count(("memcpyPeer", 1, 0)) == 2 * 4
