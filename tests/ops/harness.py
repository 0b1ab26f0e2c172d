"""Table-driven op checks: forward vs. a numpy oracle, inferred vs. actual dtype/shape, and
gradients vs. central finite differences.

A test module lists `OpCase` rows and runs `check_forward` / `check_gradient` over them; each
case records the op types its graph contained, so `tests/ops/test_registry.py` can prove that
every registered op has an oracle test.
"""

import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np

import flowexec as tf
from flowexec.framework.indexed_slices import IndexedSlicesValue

COVERED_OP_TYPES = set()


@dataclasses.dataclass
class OpCase:
    """One row: `build(*tensors) -> Tensor(s)` must equal `ref(*arrays)`.

    Attributes:
        name: test id.
        build: builds the op(s) from input Tensors.
        ref: numpy oracle on the same numpy inputs.
        inputs: the numpy inputs, or `fn(rng) -> list of arrays` for random ones.
        grad: check d(sum(w * out))/d(input) for these float input indices by finite
            differences (`True` = every float input, `False`/() = none).
        atol, rtol: forward tolerances.
        grad_atol, grad_rtol: gradient tolerances.
        feed: feed inputs through placeholders with unknown shape instead of constants, so
            kernels see run-time shapes the way users' graphs do.
    """

    name: str
    build: Callable
    ref: Callable
    inputs: object
    grad: object = True
    atol: float = 1e-6
    rtol: float = 1e-6
    grad_atol: float = 1e-5
    grad_rtol: float = 1e-4
    feed: bool = False

    def arrays(self, seed=0):
        rng = np.random.default_rng(seed)
        xs = self.inputs(rng) if callable(self.inputs) else self.inputs
        return [np.asarray(x) if not isinstance(x, np.ndarray) else x for x in xs]


def _record(graph):
    COVERED_OP_TYPES.update(op.type for op in graph.get_operations())


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def check_forward(case: OpCase, seed=0):
    """Builds the case in a fresh graph, runs it, and compares with the oracle."""
    xs = case.arrays(seed)
    graph = tf.Graph()
    with graph.as_default():
        if case.feed:
            phs = [tf.placeholder(tf.as_dtype(x.dtype), shape=None) for x in xs]
            out = case.build(*phs)
            feed = dict(zip(phs, xs))
        else:
            out = case.build(*[tf.constant(x) for x in xs])
            feed = None
        outs = _as_list(out)
        _record(graph)
        with tf.Session(graph=graph) as sess:
            got = sess.run(outs, feed_dict=feed)
    want = _as_list(case.ref(*xs))
    assert len(got) == len(want), f"{case.name}: {len(got)} outputs, oracle has {len(want)}"
    for t, g, w in zip(outs, got, want):
        w = np.asarray(w)
        g_arr = np.asarray(g)
        assert g_arr.dtype == t.dtype.np, (
            f"{case.name}: {t.name} inferred dtype {t.dtype.name} but kernel gave {g_arr.dtype}")
        assert t.shape.is_compatible_with(g_arr.shape), (
            f"{case.name}: {t.name} inferred shape {t.shape} but kernel gave {g_arr.shape}")
        assert g_arr.shape == w.shape, f"{case.name}: shape {g_arr.shape} != oracle {w.shape}"
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(g_arr, w, atol=case.atol, rtol=case.rtol,
                                       err_msg=case.name)
        else:
            np.testing.assert_array_equal(g_arr, w, err_msg=case.name)
    return got


def _grad_indices(case, xs):
    if case.grad is True:
        return [i for i, x in enumerate(xs) if x.dtype.kind == "f"]
    if not case.grad:
        return []
    return list(case.grad)


def _dense(value, shape):
    """A fetched gradient as an array (an IndexedSlicesValue's rows summed in)."""
    if isinstance(value, IndexedSlicesValue):
        out = np.zeros(shape, dtype=value.values.dtype)
        np.add.at(out, value.indices, value.values)
        return out
    return value


def check_gradient(case: OpCase, seed=0, eps=1e-6):
    """Compares tf.gradients with central differences of sum(w * out), in float64."""
    xs = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in case.arrays(seed)]
    idx = _grad_indices(case, xs)
    if not idx:
        return
    graph = tf.Graph()
    rng = np.random.default_rng(seed + 1)
    with graph.as_default():
        phs = [tf.placeholder(tf.as_dtype(x.dtype), shape=x.shape) for x in xs]
        outs = [o for o in _as_list(case.build(*phs))]
        float_outs = [o for o in outs if o.dtype.is_floating]
        with tf.Session(graph=graph) as sess:
            vals = sess.run(float_outs, dict(zip(phs, xs)))
            ws = [rng.standard_normal(np.shape(v)) for v in vals]
            loss = tf.add_n([tf.reduce_sum(o * tf.constant(w, dtype=o.dtype))
                             for o, w in zip(float_outs, ws)])
            grads = tf.gradients(loss, [phs[i] for i in idx])
            _record(graph)
            feed = dict(zip(phs, xs))
            analytic = [_dense(v, xs[i].shape) for v, i in zip(
                sess.run([g for g in grads if g is not None], feed), idx)]
            assert all(g is not None for g in grads), f"{case.name}: a gradient is None"
            for k, i in enumerate(idx):
                x = xs[i]
                numeric = np.zeros_like(x)
                flat = numeric.reshape(-1)
                for j in range(x.size):
                    xp_, xm_ = x.copy(), x.copy()
                    xp_.reshape(-1)[j] += eps
                    xm_.reshape(-1)[j] -= eps
                    fp = sess.run(loss, {**feed, phs[i]: xp_})
                    fm = sess.run(loss, {**feed, phs[i]: xm_})
                    flat[j] = (fp - fm) / (2 * eps)
                np.testing.assert_allclose(
                    analytic[k], numeric, atol=case.grad_atol, rtol=case.grad_rtol,
                    err_msg=f"{case.name}: gradient w.r.t. input {i}")


def ids(cases: Sequence[OpCase]):
    return [c.name for c in cases]


__all__ = ["OpCase", "check_forward", "check_gradient", "ids", "COVERED_OP_TYPES", "Optional"]
