"""W11: `tf.nn.dynamic_rnn` over a BasicLSTMCell, flowexec vs the same math in numpy.

The workload (issue 12's): batch 32, 50 steps, 128 input features, 128 units, float32,
batch-major input; forward (the outputs) and forward + backward (the gradients of
`sum(outputs)` with respect to the cell's kernel and bias). `build_lstm(tf, ...)` builds it
with whichever TF-1-style module it is given (flowexec in scripts/bench.py, TensorFlow in
scripts/bench_tf_reference.py). `numpy_forward` / `numpy_forward_backward` are the floor: a
hand-written loop over time doing what BasicLSTMCell does (one GEMM per step forward, two
back), keeping per step what the backward needs.

This module imports neither flowexec nor TensorFlow; scripts/bench.py registers `w11`.
"""

import numpy as np

from bench_cnn import time_steps

BATCH, STEPS, DEPTH, UNITS = 32, 50, 128, 128
FORGET_BIAS = 1.0


def make_data(seed=11):
    """(x [batch, time, depth], kernel [depth + units, 4 units], bias [4 units]), float32."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, DEPTH)).astype(np.float32)
    kernel = (rng.standard_normal((DEPTH + UNITS, 4 * UNITS)) /
              np.sqrt(DEPTH + UNITS)).astype(np.float32)
    bias = (0.1 * rng.standard_normal(4 * UNITS)).astype(np.float32)
    return x, kernel, bias


def build_lstm(tf, x):
    """(outputs, [d kernel, d bias], [kernel, bias]): dynamic_rnn over `x` built with `tf`."""
    cell = tf.nn.rnn_cell.BasicLSTMCell(UNITS, forget_bias=FORGET_BIAS)
    outputs, _ = tf.nn.dynamic_rnn(cell, tf.constant(x), dtype=tf.float32)
    by_name = {v.op.name.rsplit("/", 1)[-1]: v for v in tf.trainable_variables()}
    variables = [by_name["kernel"], by_name["bias"]]
    return outputs, tf.gradients(tf.reduce_sum(outputs), variables), variables


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_forward(x, kernel, bias, keep=None):
    """The outputs [batch, time, units]; appends each step's intermediates to `keep`."""
    xt = x.transpose(1, 0, 2)
    c = np.zeros((x.shape[0], UNITS), np.float32)
    h = np.zeros_like(c)
    outs = np.empty((x.shape[1], x.shape[0], UNITS), np.float32)
    for t in range(x.shape[1]):
        xh = np.concatenate([xt[t], h], 1)
        i, j, f, o = np.split(xh @ kernel + bias, 4, axis=1)
        si, tj, sf, so = _sigmoid(i), np.tanh(j), _sigmoid(f + FORGET_BIAS), _sigmoid(o)
        new_c = c * sf + si * tj
        tc = np.tanh(new_c)
        h = tc * so
        if keep is not None:
            keep.append((xh, c, si, tj, sf, so, tc))
        c = new_c
        outs[t] = h
    return outs.transpose(1, 0, 2)


def numpy_forward_backward(x, kernel, bias):
    """(outputs, d sum(outputs) / d kernel, d ... / d bias)."""
    steps = []
    outs = numpy_forward(x, kernel, bias, keep=steps)
    dkernel = np.zeros_like(kernel)
    dbias = np.zeros_like(bias)
    dh_next = np.zeros((x.shape[0], UNITS), np.float32)
    dc_next = np.zeros_like(dh_next)
    for xh, c, si, tj, sf, so, tc in reversed(steps):
        dh = dh_next + 1
        dc = dc_next + dh * so * (1 - tc * tc)
        dz = np.concatenate([dc * tj * si * (1 - si), dc * si * (1 - tj * tj),
                             dc * c * sf * (1 - sf), dh * tc * so * (1 - so)], 1)
        dkernel += xh.T @ dz
        dbias += dz.sum(0)
        dh_next = (dz @ kernel.T)[:, DEPTH:]
        dc_next = dc * sf
    return outs, dkernel, dbias


def check(outputs, grads, x, kernel, bias):
    """Raises AssertionError unless (outputs, [dkernel, dbias]) are numpy's."""
    want = numpy_forward_backward(x, kernel, bias)
    for name, got, ref in zip(("outputs", "dkernel", "dbias"), [outputs, *grads], want):
        np.testing.assert_allclose(got, ref, rtol=2e-3, atol=2e-4, err_msg=f"W11 {name}")


def w11(repeats, tf):
    """The W11 row for scripts/bench.py: forward and forward+backward ms, over numpy's."""
    x, kernel, bias = make_data()
    g = tf.Graph()
    with g.as_default():
        outputs, grads, variables = build_lstm(tf, x)
        sess = tf.Session(graph=g)
        for v, value in zip(variables, (kernel, bias)):
            v.load(value, sess)
    forward = sess.make_callable(outputs)
    both = sess.make_callable([outputs] + grads)
    got = both()
    check(got[0], got[1:], x, kernel, bias)
    np.testing.assert_allclose(forward(), got[0], rtol=1e-6)
    r = time_steps({"ours": forward, "numpy": lambda: numpy_forward(x, kernel, bias),
                    "ours_grad": both,
                    "numpy_grad": lambda: numpy_forward_backward(x, kernel, bias)},
                   repeats, number=1)
    sess.close()
    (ours, noise), (base, bnoise) = r["ours"], r["numpy"]
    return {"name": "W11", "unit": "x numpy time", "value": ours / base,
            "ours_ms": ours * 1e3, "numpy": base * 1e3, "noise": noise,
            "numpy_noise": bnoise, "grad_ms": r["ours_grad"][0] * 1e3,
            "grad_noise": r["ours_grad"][1], "numpy_grad_ms": r["numpy_grad"][0] * 1e3,
            "grad_ratio": r["ours_grad"][0] / r["numpy_grad"][0], "target": "report",
            "ok": True}
