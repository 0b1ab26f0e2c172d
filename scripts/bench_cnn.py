"""W8: one SGD step of a LeNet-style CNN, flowexec vs a hand-written numpy im2col step.

The model (the CNN issue's): 28x28x1 inputs, conv 5x5x32 SAME + ReLU, 2x2 max pool, conv
5x5x64 SAME + ReLU, 2x2 max pool, dense 1024 + ReLU, dense 10, softmax cross entropy; batch
64, float32, plain SGD. `build_lenet(tf, ...)` builds it with whichever TF-1-style module it
is given (flowexec here, TensorFlow in scripts/bench_tf_reference.py), so both run the same
graph. `numpy_step` is the floor: im2col through a strided view + one GEMM per convolution,
col2im by per-offset accumulation, reshape-based pooling.

This module imports neither flowexec nor TensorFlow; scripts/bench.py registers `w8`.
"""

import time

import numpy as np

BATCH, LR = 64, 0.01
SHAPES = {"w1": (5, 5, 1, 32), "b1": (32,), "w2": (5, 5, 32, 64), "b2": (64,),
          "w3": (7 * 7 * 64, 1024), "b3": (1024,), "w4": (1024, 10), "b4": (10,)}


def make_data(seed=8):
    """(x, one-hot y, initial parameters {name: array}), all float32."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 28, 28, 1)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, BATCH)]
    params = {}
    for name, shape in SHAPES.items():
        if name.startswith("b"):
            params[name] = np.full(shape, 0.01, np.float32)
        else:
            fan_in = int(np.prod(shape[:-1]))
            params[name] = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
    return x, y, params


def build_lenet(tf, params):
    """(x placeholder, y placeholder, loss, train op) of the LeNet step, built with `tf`."""
    x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    y = tf.placeholder(tf.float32, [None, 10], name="y")
    v = {k: tf.Variable(val, name=k) for k, val in params.items()}
    pool = [1, 2, 2, 1]
    h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, v["w1"], [1, 1, 1, 1], "SAME"), v["b1"]))
    h = tf.nn.max_pool(h, pool, pool, "SAME")
    h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, v["w2"], [1, 1, 1, 1], "SAME"), v["b2"]))
    h = tf.nn.max_pool(h, pool, pool, "SAME")
    h = tf.reshape(h, [-1, 7 * 7 * 64])
    h = tf.nn.relu(tf.matmul(h, v["w3"]) + v["b3"])
    logits = tf.matmul(h, v["w4"]) + v["b4"]
    loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits))
    train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
    return x, y, loss, train


# ----- the numpy floor -----------------------------------------------------------------------
def _im2col(x, k):
    n, h, w, c = x.shape
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    s = xp.strides
    view = np.lib.stride_tricks.as_strided(xp, (n, h, w, k, k, c),
                                           (s[0], s[1], s[2], s[1], s[2], s[3]))
    return view.reshape(n * h * w, k * k * c)


def _col2im(dcols, shape, k):
    n, h, w, c = shape
    p = k // 2
    dcols = dcols.reshape(n, h, w, k, k, c)
    dxp = np.zeros((n, h + 2 * p, w + 2 * p, c), dcols.dtype)
    for i in range(k):
        for j in range(k):
            dxp[:, i:i + h, j:j + w] += dcols[:, :, :, i, j]
    return dxp[:, p:p + h, p:p + w]


def _pool(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _unpool(dy, x, y):
    n, h, w, c = x.shape
    mask = x.reshape(n, h // 2, 2, w // 2, 2, c) == y[:, :, None, :, None]
    return (mask * dy[:, :, None, :, None]).reshape(x.shape)


def numpy_step(p, x, y):
    """One SGD step on the parameter dict `p` (updated in place); returns the loss."""
    n = x.shape[0]
    c1 = _im2col(x, 5)
    a1 = c1 @ p["w1"].reshape(-1, 32) + p["b1"]
    r1 = np.maximum(a1, 0).reshape(n, 28, 28, 32)
    p1 = _pool(r1)
    c2 = _im2col(p1, 5)
    a2 = c2 @ p["w2"].reshape(-1, 64) + p["b2"]
    r2 = np.maximum(a2, 0).reshape(n, 14, 14, 64)
    p2 = _pool(r2)
    f = p2.reshape(n, -1)
    a3 = f @ p["w3"] + p["b3"]
    r3 = np.maximum(a3, 0)
    logits = r3 @ p["w4"] + p["b4"]
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(y * (logits - m - np.log(s)), axis=1))
    dlogits = (e / s - y) / n
    g = {"w4": r3.T @ dlogits, "b4": dlogits.sum(0)}
    dr3 = dlogits @ p["w4"].T
    da3 = dr3 * (a3 > 0)
    g["w3"], g["b3"] = f.T @ da3, da3.sum(0)
    dp2 = (da3 @ p["w3"].T).reshape(p2.shape)
    da2 = (_unpool(dp2, r2, p2) * (r2 > 0)).reshape(-1, 64)
    g["w2"], g["b2"] = (c2.T @ da2).reshape(SHAPES["w2"]), da2.sum(0)
    dp1 = _col2im(da2 @ p["w2"].reshape(-1, 64).T, p1.shape, 5)
    da1 = (_unpool(dp1, r1, p1) * (r1 > 0)).reshape(-1, 32)
    g["w1"], g["b1"] = (c1.T @ da1).reshape(SHAPES["w1"]), da1.sum(0)
    for k in p:
        p[k] -= LR * g[k]
    return float(loss)


# The clock `time_steps` reads: wall time by default; `--cpu-time` (scripts/bench.py,
# scripts/bench_tf_reference.py) switches to the process's CPU time, which a loaded machine
# disturbs far less (BLAS runs on one thread, so both agree on an idle machine).
CLOCK = time.perf_counter


def time_steps(fns, repeats, number=3):
    """{name: (median seconds per step, IQR / median)}, timing `fns` round-robin on CLOCK."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = CLOCK()
            for _ in range(number):
                fn()
            times[name].append((CLOCK() - t0) / number)
    out = {}
    for name, ts in times.items():
        ts.sort()
        med = ts[len(ts) // 2]
        out[name] = (med, (ts[(3 * len(ts)) // 4] - ts[len(ts) // 4]) / med)
    return out


def w8(repeats, tf):
    """The W8 row for scripts/bench.py: flowexec ms/step and its ratio to the numpy floor."""
    x, y, params = make_data()
    g = tf.Graph()
    with g.as_default():
        xp, yp, loss, train = build_lenet(tf, params)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    feed = {xp: x, yp: y}
    ref = {k: v.copy() for k, v in params.items()}
    l_np = numpy_step(ref, x, y)
    l_tf, _ = sess.run([loss, train], feed)
    if not np.isclose(l_np, l_tf, rtol=1e-3):
        raise AssertionError(f"W8: flowexec loss {l_tf} != numpy loss {l_np}")
    r = time_steps({"ours": lambda: sess.run(train, feed),
                    "numpy": lambda: numpy_step(ref, x, y)}, repeats)
    (ours, noise), (base, bnoise) = r["ours"], r["numpy"]
    sess.close()
    return {"name": "W8", "unit": "x numpy time", "value": ours / base,
            "ours_ms": ours * 1e3, "numpy": base * 1e3, "noise": noise,
            "numpy_noise": bnoise, "target": "< 1.0", "ok": ours < base,
            "note": "LeNet SGD step, batch 64 float32; TF's own time: "
                    "scripts/bench_tf_reference.py"}
