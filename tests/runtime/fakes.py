"""Ops that exist only for executor tests: they sleep, fail, interrupt, or report their thread.

They are registered under names starting with "Test" and defined outside the flowexec
package, so the registry coverage test does not expect oracle rows for them. The ones that
sleep, fail, interrupt or report their thread are stateful (they run for their effects), so
the graph optimizer never folds or merges them, as TF would not a stateful op.
"""

import threading
import time

INTERRUPTS = {"KeyboardInterrupt": KeyboardInterrupt, "SystemExit": SystemExit}

# TestBusy kernels running now, and finished so far (reset by the tests that read it)
BUSY = {"active": 0, "done": 0}
_busy_lock = threading.Lock()

import numpy as np

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import CHEAP, apply_op, defop, get_op_def
from flowexec.ops import shape_fns


def _register():
    try:
        get_op_def("TestSleep")
        return
    except LookupError:
        pass

    @defop("TestSleep", infer=shape_fns.unchanged, cost=lambda op: 1e9, stateful=True)
    def _sleep(xp, x, *, seconds):
        time.sleep(seconds)
        return xp.add(x, 1)

    _sleep.not_differentiable()

    @defop("TestSpin", infer=shape_fns.unchanged, cost=lambda op: 1e9, stateful=True)
    def _spin(xp, x, *, n):
        # Heavy numpy work that releases the GIL: n products of 256x256 matrices.
        m = np.full((256, 256), 1.0 / 256)
        for _ in range(n):
            m = m @ m
        return xp.add(x, 1)

    _spin.not_differentiable()

    @defop("TestBusy", infer=shape_fns.unchanged, cost=lambda op: 1e9, stateful=True)
    def _busy(xp, x, *, seconds):
        with _busy_lock:
            BUSY["active"] += 1
        try:
            time.sleep(seconds)
        finally:
            with _busy_lock:
                BUSY["active"] -= 1
                BUSY["done"] += 1
        return xp.add(x, 1)

    _busy.not_differentiable()

    @defop("TestInterrupt", infer=shape_fns.unchanged, cost=lambda op: 1e9, stateful=True)
    def _interrupt(xp, x, *, kind):
        raise INTERRUPTS[kind]()

    _interrupt.not_differentiable()

    @defop("TestFail", infer=shape_fns.unchanged, cost=CHEAP, stateful=True)
    def _fail(xp, x, *, message):
        raise ValueError(message)

    _fail.not_differentiable()

    @defop("TestAdd", infer=shape_fns.broadcast_binary, cost=CHEAP)
    def _add(xp, x, y):
        return xp.add(x, y)

    _add.not_differentiable()

    @defop("TestThreadId", infer=lambda op: [(dtypes.int64, ())], cost=CHEAP,
           stateful=True)
    def _thread_id(xp, x):
        return np.int64(threading.get_ident())

    _thread_id.not_differentiable()

    @defop("TestCounter", infer=shape_fns.unchanged, cost=CHEAP, stateful=True,
           needs_ctx=True)
    def _counter(ctx, xp, x):
        ctx.state[("count", ctx.op.name)] = ctx.state.get(("count", ctx.op.name), 0) + 1
        return x

    _counter.not_differentiable()


_register()


def sleep(x, seconds, name=None):
    return apply_op("TestSleep", convert_to_tensor(x), seconds=seconds, name=name)


def spin(x, n, name=None):
    return apply_op("TestSpin", convert_to_tensor(x), n=n, name=name)


def busy(x, seconds, name=None):
    """Sleeps `seconds`, counted in BUSY while it runs; returns x + 1."""
    return apply_op("TestBusy", convert_to_tensor(x), seconds=seconds, name=name)


def interrupt(x, kind="KeyboardInterrupt", name=None):
    """Raises KeyboardInterrupt or SystemExit (`kind`) from the kernel."""
    return apply_op("TestInterrupt", convert_to_tensor(x), kind=kind, name=name)


def fail(x, message="boom", name=None):
    return apply_op("TestFail", convert_to_tensor(x), message=message, name=name)


def add(x, y, name=None):
    return apply_op("TestAdd", convert_to_tensor(x), convert_to_tensor(y), name=name)


def thread_id(x, name=None):
    return apply_op("TestThreadId", convert_to_tensor(x), name=name)


def counter(x, name=None):
    return apply_op("TestCounter", convert_to_tensor(x), name=name)
