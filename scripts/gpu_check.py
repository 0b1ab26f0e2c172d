#!/usr/bin/env python3
"""One command that checks flowexec on a real CUDA GPU and writes what it saw.

    pip install -e '.[test,cuda12]'          # or cuda13: CuPy for the installed driver
    python scripts/gpu_check.py              # report in a new temporary directory
    python scripts/gpu_check.py --out gpu_check.json

On a machine with a CUDA GPU (CuPy installed, a driver answering) it runs each section below
within a time budget (5 minutes in all by default), writes a JSON report (`--out`, default
`gpu_check.json` in a new temporary directory; the path is printed) and prints a readable
summary, one line per section:

  discovery        flowexec's device list against CuPy's `getDeviceProperties`
  gpu tests        `pytest -m gpu` in a subprocess: passed / failed / skipped counts
  launch overhead  a chain of small ops through a Session on /GPU:0 vs the same ops in CuPy
  W6 streams       scripts/bench.py's W6 (independent matmul chains) on 1, 4 and 8 streams
                   (`tf.GPUOptions(num_streams=N)`): speedups and the overlap seen in a
                   Chrome trace saved beside the report
  bandwidth        host<->device copies from pinned and pageable memory, against the link's
                   limit (PCIe generation and width from nvidia-smi, else "unknown")
  peer copies      GPU<->GPU copies, when there are two GPUs (`deviceCanAccessPeer`)
  memory limit     a logical GPU with a memory_limit: ResourceExhaustedError above it
  train_digits     examples/s and ms per step of scripts/train_digits.py on GPU:0 vs CPU:0

Each section is guarded: a failure is recorded (error and the end of its traceback) and the
others still run. Without a GPU the script prints one line saying why and exits 0.

Exit status: 0 when every section ran (whatever it measured), 1 when one raised, 2 for
bad arguments.
"""

import argparse
import contextlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET

import numpy as np

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS)
sys.path.insert(0, ROOT)
import devices  # noqa: E402
from devices import discovery  # noqa: E402

# PCIe bandwidth per lane and direction in GB/s after line encoding (8b/10b for gen 1-2,
# 128b/130b for gen 3-5, 1b/1b FLIT with FEC for gen 6).
PCIE_GBPS_PER_LANE = {1: 0.25, 2: 0.5, 3: 0.985, 4: 1.969, 5: 3.938, 6: 7.563}
MIB = 1 << 20


# ----- small pure helpers -------------------------------------------------------------------
def median_iqr(samples):
    """(median, interquartile range / median) of a list of numbers."""
    xs = sorted(samples)
    med = statistics.median(xs)
    q1, q3 = xs[len(xs) // 4], xs[(3 * len(xs)) // 4]
    return med, ((q3 - q1) / med if med else 0.0)


def time_calls(fn, repeats, number=1):
    """Calls fn once to warm up, then `repeats` times `number` calls; returns (median s per
    call, IQR / median)."""
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return median_iqr(samples)


def normalize_bus_id(bus_id):
    """A PCI bus id as `dddd:bb:dd.f` in lower case: nvidia-smi writes `00000000:1B:00.0`,
    flowexec's discovery `0000:1b:00.0`."""
    head, _, tail = bus_id.strip().partition(":")
    return f"{int(head, 16):04x}:{tail.lower()}" if tail else bus_id.strip().lower()


def parse_nvidia_smi_pcie(text):
    """Rows of `nvidia-smi --query-gpu=pci.bus_id,pcie.link.gen.current,pcie.link.gen.max,
    pcie.link.width.current,pcie.link.width.max --format=csv,noheader,nounits` as dicts
    (fields nvidia-smi reports as "[N/A]" or the like are None)."""
    def num(field):
        field = field.strip()
        return int(field) if field.isdigit() else None

    rows = []
    for line in text.strip().splitlines():
        parts = line.split(",")
        if len(parts) != 5 or ":" not in parts[0]:
            continue
        gen, gen_max, width, width_max = (num(p) for p in parts[1:])
        rows.append({"pci_bus_id": normalize_bus_id(parts[0]), "gen_current": gen,
                     "gen_max": gen_max, "width_current": width, "width_max": width_max})
    return rows


def pcie_limit_gbps(gen, width):
    """The PCIe link's bandwidth per direction in GB/s, or None when gen/width is unknown."""
    if gen is None or width is None or gen not in PCIE_GBPS_PER_LANE:
        return None
    return PCIE_GBPS_PER_LANE[gen] * width


def link_info(pci_bus_id, run=subprocess.run):
    """The PCIe link of the GPU at `pci_bus_id` from nvidia-smi: gen/width (current and max)
    and the limit in GB/s; {"known": False, "why": ...} when nvidia-smi cannot tell."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return {"known": False, "why": "nvidia-smi not found"}
    query = ("pci.bus_id,pcie.link.gen.current,pcie.link.gen.max,pcie.link.width.current,"
             "pcie.link.width.max")
    try:
        proc = run([exe, f"--query-gpu={query}", "--format=csv,noheader,nounits"],
                   capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return {"known": False, "why": f"nvidia-smi failed: {e}"}
    wanted = normalize_bus_id(pci_bus_id)
    rows = [r for r in parse_nvidia_smi_pcie(proc.stdout) if r["pci_bus_id"] == wanted]
    if proc.returncode != 0 or not rows:
        return {"known": False, "why": f"nvidia-smi gave no PCIe row for {wanted} "
                                       f"(exit {proc.returncode})"}
    row = rows[0]
    # The link trains down when idle: the limit uses the best of current and max.
    gen = max(filter(None, (row["gen_current"], row["gen_max"])), default=None)
    width = max(filter(None, (row["width_current"], row["width_max"])), default=None)
    limit = pcie_limit_gbps(gen, width)
    return {"known": limit is not None, "gen": gen, "width": width, "limit_gbps": limit,
            **row, **({} if limit is not None else {"why": "unknown PCIe generation/width"})}


def junit_counts(xml_text):
    """(tests, failures, errors, skipped) summed over a JUnit XML report's test suites."""
    root = ET.fromstring(xml_text)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    totals = [0, 0, 0, 0]
    for suite in suites:
        for i, key in enumerate(("tests", "failures", "errors", "skipped")):
            totals[i] += int(suite.get(key, 0))
    return tuple(totals)


def overlap_from_trace(trace, device_filter="GPU"):
    """Overlap in a Chrome trace: the sum of op times on the devices whose name contains
    `device_filter`, over the span from their first op's start to their last op's end."""
    import gantt

    rows, ops, _ = gantt.parse_trace(trace)
    keep = {(pid, tid) for pid, tid, _, device in rows if device_filter in device}
    return gantt.overlap_factor([op for op in ops if op["row"] in keep])


# ----- the sections ---------------------------------------------------------------------------
class Context:
    """What the sections share: CuPy, the GPU count, where files go, the time budget."""

    def __init__(self, cupy, gpu_count, out_dir, deadline, repeats):
        self.cupy = cupy
        self.gpu_count = gpu_count
        self.out_dir = out_dir
        self.deadline = deadline
        self.repeats = repeats

    def seconds_left(self):
        return self.deadline - time.monotonic()


def measure_discovery(ctx):
    """flowexec's GPUs (devices.local_devices) against CuPy's properties, field by field."""
    runtime = ctx.cupy.cuda.runtime
    listed = {d.physical_device_id: d for d in devices.local_devices()
              if d.device_type == "GPU"}
    gpus = []
    for ordinal in range(ctx.gpu_count):
        props = runtime.getDeviceProperties(ordinal)
        name = props.get("name", b"")
        name = name.split(b"\0", 1)[0].decode("utf-8", "replace") \
            if isinstance(name, bytes) else str(name)
        cupy_view = {
            "name": name,
            "total_memory": int(props["totalGlobalMem"]),
            "compute_capability": f"{props['major']}.{props['minor']}",
            "multiprocessor_count": int(props["multiProcessorCount"]),
            "pci_bus_id": f"{int(props.get('pciDomainID', 0)):04x}:"
                          f"{int(props.get('pciBusID', 0)):02x}:"
                          f"{int(props.get('pciDeviceID', 0)):02x}.0",
        }
        extra = {k: props[k] for k in ("clockRate", "memoryClockRate", "memoryBusWidth",
                                       "l2CacheSize", "asyncEngineCount",
                                       "concurrentKernels", "unifiedAddressing")
                 if k in props}
        entry = {"ordinal": ordinal, "cupy": cupy_view, "cupy_extra": extra}
        device = listed.get(ordinal)
        if device is None:
            entry["listed"] = None
            entry["mismatches"] = ["not listed by devices.local_devices()"]
        else:
            ours = {k: device.properties.get(k) for k in cupy_view}
            entry["listed"] = {"name": device.name, "memory_limit": device.memory_limit,
                               "physical_device_desc": device.physical_device_desc,
                               "properties": ours}
            entry["mismatches"] = [f"{k}: flowexec {ours[k]!r} vs CuPy {v!r}"
                                   for k, v in cupy_view.items() if ours[k] != v]
        gpus.append(entry)
    versions = {"cupy": getattr(ctx.cupy, "__version__", "unknown")}
    for key, fn in (("cuda_runtime", "runtimeGetVersion"), ("cuda_driver", "driverGetVersion")):
        with contextlib.suppress(Exception):
            versions[key] = int(getattr(runtime, fn)())
    return {"gpus": gpus, "listed_count": len(listed), "versions": versions}


def describe_discovery(r):
    bad = [m for g in r["gpus"] for m in g["mismatches"]]
    names = ", ".join(f"{g['cupy']['name']} (cc {g['cupy']['compute_capability']}, "
                      f"{g['cupy']['multiprocessor_count']} SMs, "
                      f"{g['cupy']['total_memory'] / 2**30:.1f} GiB)" for g in r["gpus"])
    head = f"{len(r['gpus'])} GPU(s): {names}"
    return head + ("; matches CuPy's properties" if not bad else
                   f"; {len(bad)} mismatch(es): " + "; ".join(bad))


def measure_gpu_tests(ctx, run=subprocess.run):
    """`pytest -m gpu` over the test suite, in a subprocess; counts from its JUnit report."""
    budget = max(30.0, min(150.0, ctx.seconds_left() - 120.0))
    xml_path = os.path.join(ctx.out_dir, "gpu_tests.junit.xml")
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider",
           f"--junitxml={xml_path}", os.path.join(ROOT, "tests")]
    t0 = time.monotonic()
    try:
        proc = run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=budget, check=False)
    except subprocess.TimeoutExpired:
        return {"timed_out": True, "budget_s": budget, "command": " ".join(cmd)}
    wall = time.monotonic() - t0
    result = {"exit_code": proc.returncode, "wall_s": wall, "command": " ".join(cmd),
              "output_tail": proc.stdout[-3000:] + proc.stderr[-1000:]}
    if os.path.exists(xml_path):
        with open(xml_path) as f:
            tests, failures, errors, skipped = junit_counts(f.read())
        result.update(passed=tests - failures - errors - skipped, failed=failures,
                      errors=errors, skipped=skipped, junit_xml=xml_path)
    return result


def describe_gpu_tests(r):
    if r.get("timed_out"):
        return f"timed out after {r['budget_s']:.0f} s"
    if "passed" not in r:
        return f"pytest exited {r['exit_code']} without a report"
    return (f"{r['passed']} passed, {r['failed']} failed, {r['errors']} errors, "
            f"{r['skipped']} skipped in {r['wall_s']:.1f} s (exit {r['exit_code']})")


def measure_launch_overhead(ctx, chain=200, size=16):
    """Per-op time of a chain of `chain` small matmuls (`size` x `size` float32, by an
    identity held in a Variable) on /GPU:0 through Session.run, against the same matmuls
    issued from Python straight to CuPy; both end with a copy of the result to the host.

    Matmuls by a Variable, not elementwise ops on constants: graph optimizations (constant
    folding, re-association, elementwise fusion) cannot shorten the chain.
    """
    import flowexec as tf

    cp = ctx.cupy
    eye = np.eye(size, dtype=np.float32)
    g = tf.Graph()
    with g.as_default(), tf.device("/gpu:0"):
        start = tf.Variable(np.ones((size, size), np.float32), name="start")
        w = tf.Variable(eye, name="w")
        h = start
        for _ in range(chain):
            h = tf.matmul(h, w)
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        ours, ours_noise = time_calls(lambda: sess.run(h), ctx.repeats)
        value = sess.run(h)
    with cp.cuda.Device(0):
        start_d, w_d = cp.ones((size, size), cp.float32), cp.asarray(eye)

        def raw():
            x = start_d
            for _ in range(chain):
                x = cp.matmul(x, w_d)
            return x.get()
        theirs, theirs_noise = time_calls(raw, ctx.repeats)
    return {"chain": chain, "size": size, "op": "MatMul",
            "correct": bool(np.array_equal(value, np.ones((size, size), np.float32))),
            "flowexec_us_per_op": ours / chain * 1e6, "flowexec_noise": ours_noise,
            "cupy_us_per_op": theirs / chain * 1e6, "cupy_noise": theirs_noise,
            "ratio": ours / theirs if theirs else None}


def describe_launch_overhead(r):
    return (f"flowexec {r['flowexec_us_per_op']:.1f} µs/op, raw CuPy "
            f"{r['cupy_us_per_op']:.1f} µs/op ({r['ratio']:.1f}x) over a chain of "
            f"{r['chain']} {r['size']}x{r['size']} matmuls" +
            ("" if r["correct"] else "; WRONG RESULT"))


def measure_w6(ctx):
    """bench.py's W6 graph on 1, 4 and 8 streams: medians, speedups, a trace per count."""
    import bench

    import flowexec as tf
    from flowexec.timeline import Timeline

    rng = np.random.default_rng(6)
    xv = (rng.standard_normal((256, 256)) / 16).astype(np.float32)
    result = {"chains": 8, "depth": 8, "size": 256, "streams": {}}
    for streams in (1, 4, 8):
        sess, total, x = bench.w6_session(streams, xv)
        with sess:
            med, noise = time_calls(lambda s=sess, t=total, x=x: s.run(t, {x: xv}),
                                    ctx.repeats)
            meta = tf.RunMetadata()
            sess.run(total, {x: xv}, options=tf.RunOptions(
                trace_level=tf.RunOptions.FULL_TRACE), run_metadata=meta)
        text = Timeline(meta.step_stats, graph=total.graph).generate_chrome_trace_format()
        path = os.path.join(ctx.out_dir, f"w6_{streams}_streams.trace.json")
        with open(path, "w") as f:
            f.write(text)
        result["streams"][str(streams)] = {
            "median_ms": med * 1e3, "noise": noise, "trace": path,
            "trace_overlap": overlap_from_trace(json.loads(text))}
    one = result["streams"]["1"]["median_ms"]
    for key in ("4", "8"):
        result["streams"][key]["speedup_vs_1"] = one / result["streams"][key]["median_ms"]
    return result


def describe_w6(r):
    s = r["streams"]
    return (f"1 stream {s['1']['median_ms']:.2f} ms; 4 streams {s['4']['median_ms']:.2f} ms "
            f"({s['4']['speedup_vs_1']:.2f}x); 8 streams {s['8']['median_ms']:.2f} ms "
            f"({s['8']['speedup_vs_1']:.2f}x); overlap in traces 1/4/8: "
            f"{s['1']['trace_overlap']:.2f}/{s['4']['trace_overlap']:.2f}/"
            f"{s['8']['trace_overlap']:.2f}x; trace {s['4']['trace']}")


def _copy_gbps(cp, dst, src, nbytes, kind, repeats):
    """Median GB/s of `repeats` cudaMemcpyAsync calls on a non-blocking stream, timed with
    CUDA events."""
    runtime = cp.cuda.runtime
    stream = cp.cuda.Stream(non_blocking=True)
    rates = []
    for _ in range(repeats + 1):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record(stream)
        runtime.memcpyAsync(dst, src, nbytes, kind, stream.ptr)
        end.record(stream)
        end.synchronize()
        rates.append(nbytes / (cp.cuda.get_elapsed_time(start, end) * 1e-3) / 1e9)
    return median_iqr(rates[1:])  # the first copy pays for page faults and setup


def measure_bandwidth(ctx, nbytes=256 * MIB):
    """Host->device and device->host GB/s from pinned and from pageable host memory."""
    cp = ctx.cupy
    runtime = cp.cuda.runtime
    result = {"bytes": nbytes}
    with cp.cuda.Device(0):
        device = cp.empty(nbytes, cp.uint8)
        pinned_mem = cp.cuda.alloc_pinned_memory(nbytes)
        pinned = np.frombuffer(pinned_mem, np.uint8, nbytes)
        pageable = np.empty(nbytes, np.uint8)
        pinned[:] = 1
        pageable[:] = 1
        for label, host in (("pinned", pinned), ("pageable", pageable)):
            host_ptr = host.ctypes.data
            h2d, h2d_noise = _copy_gbps(cp, device.data.ptr, host_ptr, nbytes,
                                        runtime.memcpyHostToDevice, ctx.repeats)
            d2h, d2h_noise = _copy_gbps(cp, host_ptr, device.data.ptr, nbytes,
                                        runtime.memcpyDeviceToHost, ctx.repeats)
            result[label] = {"h2d_gbps": h2d, "h2d_noise": h2d_noise, "d2h_gbps": d2h,
                             "d2h_noise": d2h_noise}
        # ndarray.set on a stream, the path flowexec's transfers take, as a cross-check
        stream = cp.cuda.Stream(non_blocking=True)
        set_times = []
        for _ in range(ctx.repeats):
            t0 = time.perf_counter()
            device.set(pinned, stream=stream)
            stream.synchronize()
            set_times.append(time.perf_counter() - t0)
        result["pinned"]["ndarray_set_gbps"] = nbytes / median_iqr(set_times)[0] / 1e9
        correct = bool(device[:16].get().tolist() == [1] * 16)
    result["correct"] = correct
    gpu0 = next((d for d in devices.local_devices()
                 if d.device_type == "GPU" and d.physical_device_id == 0), None)
    link = link_info(gpu0.properties["pci_bus_id"]) if gpu0 is not None else {
        "known": False, "why": "GPU 0 is not listed by devices.local_devices()"}
    result["link"] = link
    if link.get("known"):
        limit = link["limit_gbps"]
        result["fraction_of_limit"] = {
            f"{label}_{way}": result[label][f"{way}_gbps"] / limit
            for label in ("pinned", "pageable") for way in ("h2d", "d2h")}
    return result


def describe_bandwidth(r):
    p, q, link = r["pinned"], r["pageable"], r["link"]
    text = (f"H2D pinned {p['h2d_gbps']:.1f} GB/s, pageable {q['h2d_gbps']:.1f}; D2H pinned "
            f"{p['d2h_gbps']:.1f}, pageable {q['d2h_gbps']:.1f} ({r['bytes'] // MIB} MiB)")
    if link.get("known"):
        text += (f"; link PCIe gen{link['gen']} x{link['width']}: limit "
                 f"{link['limit_gbps']:.1f} GB/s, pinned H2D at "
                 f"{r['fraction_of_limit']['pinned_h2d']:.0%}")
    else:
        text += f"; link limit unknown ({link.get('why', 'no data')})"
    return text


def peer_bandwidth(cp, src, dst, nbytes, repeats):
    """GB/s of cudaMemcpyPeer from GPU `src` to GPU `dst` (peer access enabled when the
    pair allows it; else CUDA stages the copy through the host), and whether it copied."""
    runtime = cp.cuda.runtime
    can = bool(runtime.deviceCanAccessPeer(dst, src))
    if can:
        with cp.cuda.Device(dst), contextlib.suppress(runtime.CUDARuntimeError):
            runtime.deviceEnablePeerAccess(src)  # raises when already enabled
    with cp.cuda.Device(src):
        a = cp.ones(nbytes, cp.uint8)
    with cp.cuda.Device(dst):
        b = cp.empty(nbytes, cp.uint8)
    times = []
    for _ in range(repeats + 1):
        cp.cuda.Device(src).synchronize()
        t0 = time.perf_counter()
        runtime.memcpyPeer(b.data.ptr, dst, a.data.ptr, src, nbytes)
        cp.cuda.Device(dst).synchronize()
        times.append(time.perf_counter() - t0)
    med, noise = median_iqr(times[1:])  # the first copy pays for setup
    with cp.cuda.Device(dst):
        ok = bool(int(b[:1024].sum()) == 1024)
    return {"can_access_peer": can, "gbps": nbytes / med / 1e9, "noise": noise, "correct": ok}


def measure_peer_copies(ctx, nbytes=256 * MIB):
    """GPU<->GPU copies between GPU 0 and 1 (memcpyPeer) and a flowexec transfer graph."""
    if ctx.gpu_count < 2:
        return {"skipped": f"needs two GPUs, this machine has {ctx.gpu_count}"}
    import flowexec as tf

    pairs = {f"{src}->{dst}": peer_bandwidth(ctx.cupy, src, dst, nbytes, ctx.repeats)
             for src, dst in ((0, 1), (1, 0))}
    result = {"bytes": nbytes, "pairs": pairs}
    xv = np.arange(12, dtype=np.float32).reshape(3, 4)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [3, 4])
        with tf.device("/gpu:0"):
            a = x * 2.0
        with tf.device("/gpu:1"):
            b = tf.transpose(a) + 1.0
    with tf.Session(graph=g) as sess:
        got = sess.run(b, {x: xv})
    result["flowexec_gpu0_to_gpu1_correct"] = bool(np.array_equal(got, (xv * 2).T + 1))
    return result


def describe_peer_copies(r):
    parts = []
    for pair, v in r["pairs"].items():
        access = "yes" if v["can_access_peer"] else "no"
        parts.append(f"{pair} {v['gbps']:.1f} GB/s (peer access {access})")
    ok = r["flowexec_gpu0_to_gpu1_correct"] and all(v["correct"] for v in r["pairs"].values())
    return "; ".join(parts) + ("; values correct" if ok else "; WRONG VALUES")


# The child process of the memory-limit section: a logical GPU with a limit must be configured
# before any runtime starts, which the sections before it have done in this process.
_MEMORY_LIMIT_CHILD = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import devices
import flowexec as tf
limit_mib = int(sys.argv[2])
devices.set_logical_device_configuration(
    "GPU", [devices.LogicalDeviceConfiguration(memory_limit=limit_mib)])
gpu = next(d for d in devices.local_devices() if d.device_type == "GPU")
out = {"limit_mib": limit_mib, "listed_memory_limit": gpu.memory_limit}
x = tf.placeholder(tf.float32, [None])
with tf.device("/gpu:0"):
    small = tf.reduce_sum(tf.tile(x, [limit_mib * (1 << 20) // 4 // 4], name="small"))
    big = tf.reduce_sum(tf.tile(x, [2 * limit_mib * (1 << 20) // 4], name="big"))
with tf.Session() as sess:
    out["small_mib"] = limit_mib / 4
    out["small_value"] = float(sess.run(small, {x: [1.0]}))
    out["big_mib"] = 2 * limit_mib
    try:
        sess.run(big, {x: [1.0]})
        out["big_raised"] = None
    except Exception as e:
        out["big_raised"] = type(e).__name__
        out["message"] = str(e).splitlines()[0][:300]
print(json.dumps(out))
"""


def measure_memory_limit(ctx, limit_mib=64, run=subprocess.run):
    """In a fresh process, a logical GPU:0 limited to `limit_mib` MiB: a tile of a quarter of
    it must run, one of twice the limit must raise ResourceExhaustedError naming the op."""
    proc = run([sys.executable, "-c", _MEMORY_LIMIT_CHILD, ROOT, str(limit_mib)],
               capture_output=True, text=True, timeout=max(30.0, min(90.0, ctx.seconds_left())),
               check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the child process exited {proc.returncode}: "
                           f"{proc.stderr.strip()[-800:]}")
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    r["enforced"] = (r["big_raised"] == "ResourceExhaustedError" and "big" in
                     r.get("message", "") and r["small_value"] == r["small_mib"] * MIB / 4)
    return r


def describe_memory_limit(r):
    if r["enforced"]:
        return (f"limit {r['limit_mib']} MiB enforced: {r['small_mib']:g} MiB ran, "
                f"{r['big_mib']} MiB raised ResourceExhaustedError")
    return (f"limit {r['limit_mib']} MiB NOT enforced as expected: {r['big_mib']} MiB "
            f"raised {r['big_raised']}, small result {r['small_value']}")


def measure_train_digits(ctx, epochs=3):
    """scripts/train_digits.py on /GPU:0 and on /CPU:0, same settings and seed."""
    import train_digits

    result = {"epochs": epochs}
    for label, where in (("gpu", "/GPU:0"), ("cpu", "/CPU:0")):
        with contextlib.redirect_stdout(io.StringIO()):
            m = train_digits.main(["--devices", where, "--epochs", str(epochs),
                                   "--no-progress"])
        result[label] = {"examples_per_sec": m["examples_per_sec"],
                         "ms_per_step": m["batch_size"] / m["examples_per_sec"] * 1e3
                         if m["examples_per_sec"] else None,
                         "test_accuracy": m["test_accuracy"], "wall_time_s": m["wall_time_s"]}
    result["gpu_vs_cpu_speed"] = (result["gpu"]["examples_per_sec"] /
                                  result["cpu"]["examples_per_sec"])
    return result


def describe_train_digits(r):
    g, c = r["gpu"], r["cpu"]
    return (f"GPU {g['ms_per_step']:.2f} ms/step ({g['examples_per_sec']:,.0f} ex/s, acc "
            f"{g['test_accuracy']:.3f}); CPU {c['ms_per_step']:.2f} ms/step "
            f"({c['examples_per_sec']:,.0f} ex/s, acc {c['test_accuracy']:.3f}); GPU/CPU "
            f"speed {r['gpu_vs_cpu_speed']:.2f}x")


# (key, title, measure, describe, seconds it needs at least to start)
SECTIONS = [
    ("discovery", "discovery", measure_discovery, describe_discovery, 1),
    ("gpu_tests", "gpu tests", measure_gpu_tests, describe_gpu_tests, 30),
    ("launch_overhead", "launch overhead", measure_launch_overhead, describe_launch_overhead,
     10),
    ("w6", "W6 streams", measure_w6, describe_w6, 15),
    ("bandwidth", "bandwidth", measure_bandwidth, describe_bandwidth, 10),
    ("peer_copies", "peer copies", measure_peer_copies, describe_peer_copies, 10),
    ("memory_limit", "memory limit", measure_memory_limit, describe_memory_limit, 20),
    ("train_digits", "train_digits", measure_train_digits, describe_train_digits, 20),
]


# ----- running, the report, the summary -------------------------------------------------------
def run_section(measure, ctx, min_seconds=0):
    """Runs one section, guarded: {"status": ok|skipped|error, "seconds", "result"|"error"}."""
    if ctx.seconds_left() < min_seconds:
        return {"status": "skipped", "seconds": 0.0,
                "result": {"skipped": f"out of time ({ctx.seconds_left():.0f} s left of the "
                                      "budget)"}}
    t0 = time.monotonic()
    try:
        result = measure(ctx)
    except Exception as e:  # noqa: BLE001 - recorded in the report; the other sections run
        return {"status": "error", "seconds": time.monotonic() - t0,
                "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc().splitlines()[-12:]}
    status = "skipped" if isinstance(result, dict) and "skipped" in result else "ok"
    return {"status": status, "seconds": time.monotonic() - t0, "result": result}


def build_report(machine, sections, started, finished):
    """The JSON report: the machine, each section's outcome in order, and the totals."""
    counts = {s: sum(1 for v in sections.values() if v["status"] == s)
              for s in ("ok", "skipped", "error")}
    return {"tool": "flowexec scripts/gpu_check.py", "started": started, "finished": finished,
            "machine": machine, "sections": sections, "counts": counts}


def format_summary(report, describers=None):
    """The readable summary: a title, one line per section, the totals."""
    describers = describers or {key: (title, describe)
                                for key, title, _, describe, _ in SECTIONS}
    machine = report["machine"]
    lines = [(f"flowexec GPU check on {machine.get('host', '?')}: {machine['gpu_count']} "
              f"GPU(s), CuPy {machine.get('cupy', '?')}")]
    width = max(len(title) for title, _ in describers.values())
    for key, outcome in report["sections"].items():
        title, describe = describers.get(key, (key, None))
        if outcome["status"] == "error":
            text = outcome["error"]
        elif outcome["status"] == "skipped":
            text = outcome["result"]["skipped"]
        else:
            try:
                text = describe(outcome["result"])
            except Exception as e:  # noqa: BLE001 - a summary line never hides the others
                text = f"(measured, but the line could not be written: {e!r})"
        lines.append(f"  {title:<{width}}  {outcome['status']:<7}  {text} "
                     f"[{outcome['seconds']:.1f} s]")
    c = report["counts"]
    lines.append(f"{c['ok']} ok, {c['skipped']} skipped, {c['error']} error(s)")
    return "\n".join(lines)


def no_gpu_reason():
    """Why no GPU is usable, or None when at least one answers through CuPy."""
    if discovery.cuda_hidden_by_env():
        return "CUDA_VISIBLE_DEVICES hides every GPU"
    cupy = discovery.import_cupy()
    if cupy is None:
        return ("CuPy is not installed or cannot load; pip install -e '.[cuda12]' or "
                "'.[cuda13]'")
    if discovery.gpu_count(cupy) == 0:
        return "CuPy is installed but no CUDA driver or device answers"
    return None


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", help="the JSON report to write (default: gpu_check.json in a new "
                   "temporary directory; traces and the gpu tests' JUnit XML go beside it)")
    p.add_argument("--budget", type=float, default=285.0,
                   help="seconds for all sections together (default: 285)")
    p.add_argument("--repeats", type=int, default=7, help="timed repeats per measurement")
    p.add_argument("--sections", nargs="+", choices=[k for k, *_ in SECTIONS],
                   help="run only these sections (default: all)")
    args = p.parse_args(argv)
    if args.budget <= 0 or args.repeats < 3:
        p.error("--budget must be positive and --repeats at least 3")
    return args


def main(argv=None):
    """Runs the check; returns the exit status."""
    args = parse_args(argv)
    reason = no_gpu_reason()
    if reason is not None:
        print(f"gpu_check: no CUDA GPU on this machine, nothing to check: {reason}.")
        return 0
    sys.path.insert(0, SCRIPTS)  # bench, gantt and train_digits are reused as modules
    cupy = discovery.import_cupy()
    out = args.out or os.path.join(tempfile.mkdtemp(prefix="flowexec-gpu-check-"),
                                   "gpu_check.json")
    out_dir = os.path.dirname(os.path.abspath(out))
    os.makedirs(out_dir, exist_ok=True)
    ctx = Context(cupy, discovery.gpu_count(cupy), out_dir,
                  time.monotonic() + args.budget, args.repeats)
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    sections = {}
    for key, title, measure, _, min_seconds in SECTIONS:
        if args.sections and key not in args.sections:
            continue
        print(f"gpu_check: {title} ...", flush=True)
        sections[key] = run_section(measure, ctx, min_seconds)
    machine = {"host": platform.node(), "python": platform.python_version(),
               "numpy": np.__version__, "cupy": getattr(cupy, "__version__", "unknown"),
               "gpu_count": ctx.gpu_count}
    report = build_report(machine, sections, started, time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    with open(out, "w") as f:
        json.dump(report, f, indent=2, default=str)
    print(format_summary(report))
    print(f"report: {out}")
    return 1 if report["counts"]["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
