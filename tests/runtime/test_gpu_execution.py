"""Multi-device execution on real GPUs (skipped without one).

The same scheduler logic runs on the CPU in test_multidevice.py through a stream double;
these tests check what only CUDA can show: cupy kernels issued to several non-blocking
streams, events between them, host<->GPU copies through pinned memory, GPU<->GPU copies,
and fetched values synchronised through their own events.
"""

import numpy as np
import pytest

import flowexec as tf

pytestmark = pytest.mark.gpu


def _gpus_or_skip(n=1):
    from devices.discovery import gpu_count

    have = gpu_count()
    if have == 0:
        pytest.skip("no CUDA GPU answers through CuPy on this machine")
    if have < n:
        pytest.skip(f"needs {n} GPUs, this machine has {have}")


def _chains(x, n_chains, depth):
    ends = []
    for c in range(n_chains):
        h = x
        for _ in range(depth):
            h = tf.tanh(tf.matmul(h, x) * 0.5)
        ends.append(h)
    return tf.add_n(ends)


def _numpy_chains(x, n_chains, depth):
    total = 0
    for _ in range(n_chains):
        h = x
        for _ in range(depth):
            h = np.tanh((h @ x) * 0.5)
        total = total + h
    return total


@pytest.mark.parametrize("num_streams", [1, 4])
def test_independent_chains_on_streams_match_numpy(num_streams):
    _gpus_or_skip()
    xv = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32) / 8
    x = tf.placeholder(tf.float32, [64, 64])
    with tf.device("/gpu:0"):
        out = _chains(x, 8, 4)
    config = tf.ConfigProto(gpu_options=tf.GPUOptions(num_streams=num_streams))
    with tf.Session(config=config) as sess:
        for _ in range(3):
            np.testing.assert_allclose(sess.run(out, {x: xv}), _numpy_chains(xv, 8, 4),
                                       rtol=2e-4, atol=2e-5)
        entry, _ = sess._lookup(out, {x: None})
    lanes = {s.lane for s in entry.plan.steps if s.lane is not None}
    assert len(lanes) == num_streams


def test_variables_train_on_gpu_and_trace_has_stream_lanes():
    _gpus_or_skip()
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((32, 4)).astype(np.float32)
    yv = (xv @ np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32)).astype(np.float32)
    x = tf.placeholder(tf.float32, [32, 4])
    y = tf.placeholder(tf.float32, [32, 1])
    with tf.device("/gpu:0"):
        w = tf.Variable(tf.zeros([4, 1]))
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
        step = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: xv, y: yv})
        for _ in range(50):
            sess.run(step, {x: xv, y: yv})
        meta = tf.RunMetadata()
        last = sess.run(loss, {x: xv, y: yv},
                        options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                        run_metadata=meta)
    assert last < first * 0.1
    gpu_stats = [d for d in meta.step_stats.dev_stats if "GPU" in d.device]
    assert gpu_stats and all(n.all_end_rel_micros >= 0 for n in gpu_stats[0].node_stats)


def test_gpu_to_gpu_and_back():
    _gpus_or_skip(2)
    xv = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = tf.placeholder(tf.float32, [3, 4])
    with tf.device("/gpu:0"):
        a = x * 2.0
    with tf.device("/gpu:1"):
        b = tf.transpose(a) + 1.0
    with tf.device("/cpu:0"):
        c = b - 1.0
    with tf.Session() as sess:
        got_b, got_c = sess.run([b, c], {x: xv})
    np.testing.assert_array_equal(got_b, (xv * 2).T + 1)
    np.testing.assert_array_equal(got_c, (xv * 2).T)


def test_gpu_memory_limit_is_enforced():
    _gpus_or_skip()
    import dataclasses

    import devices
    from devices.cuda import CUDARuntime
    from devices.testing import use_runtime

    gpu = next(d for d in devices.local_devices() if d.device_type == "GPU")
    runtime = CUDARuntime(dataclasses.replace(gpu, memory_limit=1 << 20))
    with use_runtime(runtime):
        x = tf.placeholder(tf.float32, [None])
        with tf.device("/gpu:0"):
            big = tf.tile(x, [1 << 19], name="big")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.ResourceExhaustedError, match="big"):
                sess.run(big, {x: np.ones(2, np.float32)})
