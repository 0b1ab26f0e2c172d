"""devices.host_memory: the CPU runtime keeps freed host memory for the next step.

The setting belongs to the process and is made once, so every case runs in a fresh
interpreter (`_run`) with its own environment.
"""

import json
import os
import platform
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="malloc tuning is glibc's (mallopt)")

# One "step": 24 arrays of 1 MiB (each over glibc's first mmap threshold), written, then
# all freed; the minor page faults of steps 3..10 are what a step costs in fresh pages.
_STEPS = """
import resource
import numpy as np

def step():
    arrays = [np.ones(1 << 18, np.float32) for _ in range(24)]
    return sum(float(a[0]) for a in arrays)

for _ in range(2):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(8):
    step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
"""


def _run(code, retain_mb=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("FLOWEXEC_HOST_RETAIN_MB", None)
    if retain_mb is not None:
        env["FLOWEXEC_HOST_RETAIN_MB"] = retain_mb
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@glibc_only
def test_a_session_makes_the_heap_keep_freed_memory():
    result = _run("""
        import json
        from devices import host_memory
        before = host_memory.retained_bytes()
        import flowexec as tf
        with tf.Session() as sess:
            sess.run(tf.constant(1.0) + 1.0)
        print(json.dumps([before, host_memory.retained_bytes()]))
    """)
    assert result == [None, 512 << 20]


@glibc_only
def test_repeated_steps_stop_faulting_in_fresh_pages():
    """Without retention every step maps its 24 MiB anew (~6,000 faults of 4 KiB pages);
    with it the heap serves them from what the previous step freed."""
    code = textwrap.dedent("""
        import json
        from devices import local_devices
        from devices.cpu import CPURuntime
        CPURuntime(local_devices()[0], num_threads=1)
    """) + _STEPS + "print(json.dumps(faults))\n"
    kept = _run(code)
    left = _run(code, retain_mb="0")
    assert left > 8 * 24 * 256 // 2, left     # at least half the pages, every step
    assert kept < left // 20, (kept, left)


@glibc_only
def test_retention_is_set_once_and_reported():
    result = _run("""
        import json
        from devices import host_memory
        first = host_memory.retain_freed_memory()
        print(json.dumps([first, host_memory.retain_freed_memory(),
                          host_memory.retained_bytes()]))
    """, retain_mb="64")
    assert result == [64 << 20] * 3


def test_zero_leaves_malloc_as_it_is():
    result = _run("""
        import json
        from devices import host_memory
        print(json.dumps([host_memory.retain_freed_memory(), host_memory.retained_bytes()]))
    """, retain_mb="0")
    assert result == [None, None]


@pytest.mark.parametrize("bad", ["-1", "lots", "1.5"])
def test_a_bad_setting_is_a_value_error_naming_it(bad):
    result = _run(f"""
        import json
        from devices import host_memory
        try:
            host_memory.retain_freed_memory()
        except ValueError as e:
            print(json.dumps(str(e)))
    """, retain_mb=bad)
    assert "FLOWEXEC_HOST_RETAIN_MB" in result and repr(bad) in result
