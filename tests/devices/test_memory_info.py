"""tf.config.experimental.get_memory_info on a GPU reads CuPy's default memory pool (fake
CuPy, tests/devices/fakecupy.py)."""

import flowexec as tf


def test_gpu_memory_info_reads_the_cupy_pool(fake_cupy, monkeypatch):
    pool = fake_cupy.get_default_memory_pool()
    monkeypatch.setattr(type(pool), "used_bytes", lambda self: 4096)
    assert tf.config.experimental.get_memory_info("GPU:0") == {"current": 4096, "peak": 4096}
    assert tf.config.experimental.get_memory_usage("GPU:1") == 4096
    tf.config.experimental.reset_memory_stats("GPU:0")
