"""Ops that exist only for executor tests: they sleep, fail, or report their thread.

They are registered under names starting with "Test" and defined outside the flowexec
package, so the registry coverage test does not expect oracle rows for them.
"""

import threading
import time

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

    @defop("TestSleep", infer=shape_fns.unchanged, cost=lambda op: 1e9)
    def _sleep(xp, x, *, seconds):
        time.sleep(seconds)
        return xp.add(x, 1)

    _sleep.not_differentiable()

    @defop("TestSpin", infer=shape_fns.unchanged, cost=lambda op: 1e9)
    def _spin(xp, x, *, n):
        # Heavy numpy work that releases the GIL: n products of 256x256 matrices.
        m = np.full((256, 256), 1.0 / 256)
        for _ in range(n):
            m = m @ m
        return xp.add(x, 1)

    _spin.not_differentiable()

    @defop("TestFail", infer=shape_fns.unchanged, cost=CHEAP)
    def _fail(xp, x, *, message):
        raise ValueError(message)

    _fail.not_differentiable()

    @defop("TestAdd", infer=shape_fns.broadcast_binary, cost=CHEAP)
    def _add(xp, x, y):
        return xp.add(x, y)

    _add.not_differentiable()

    @defop("TestThreadId", infer=lambda op: [(dtypes.int64, ())], cost=CHEAP)
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


def fail(x, message="boom", name=None):
    return apply_op("TestFail", convert_to_tensor(x), message=message, name=name)


def add(x, y, name=None):
    return apply_op("TestAdd", convert_to_tensor(x), convert_to_tensor(y), name=name)


def thread_id(x, name=None):
    return apply_op("TestThreadId", convert_to_tensor(x), name=name)


def counter(x, name=None):
    return apply_op("TestCounter", convert_to_tensor(x), name=name)
