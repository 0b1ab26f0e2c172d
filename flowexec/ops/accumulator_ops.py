"""ConditionalAccumulator: averages gradients from many replicas, dropping stale ones.

State lives in the session (on a cluster: on the task that holds the accumulator), like a
queue's: `ResourceConditionalAccumulator` creates it in `ctx.state` on its first run and
outputs the resource handle the other ops take.

* `apply_grad(grad, local_step)` adds `grad` to the running sum, unless `local_step` is
  older than the accumulator's global step (a stale gradient: dropped, as TF drops it);
  the first gradient fixes an unknown shape, later ones must match it.
* `take_grad(num_required)` waits until at least `num_required` gradients are there, returns
  their mean (`reduction_type="MEAN"`) or sum (`"SUM"`), resets the sum and increments the
  accumulator's global step by one. A waiting take gives up when its step is cancelled.
* `set_global_step(step)` moves the global step forward (a smaller step is ignored).

Every op here is stateful, host-only and not differentiable.
"""

import threading

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from flowexec.platform import tf_logging as logging

_POLL = 0.02
_CREATE_LOCK = threading.Lock()


class _Accumulator:
    def __init__(self, name, dtype, shape, reduction_type):
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.reduction_type = reduction_type
        self.sum = None
        self.count = 0
        self.global_step = 0
        self.cond = threading.Condition()


def _key(handle):
    return ("accumulator", str(np.asarray(handle).item()))


def _get(ctx, handle):
    acc = ctx.state.get(_key(handle))
    if acc is None:
        raise errors.NotFoundError(None, None, f"Resource {handle} does not exist.")
    return acc


def _resource_infer(op):
    return [(dtypes.resource, TensorShape([]))]


@defop("ResourceConditionalAccumulator", infer=_resource_infer, stateful=True,
       needs_ctx=True, device_types=("CPU",))
def _create(ctx, xp, *, dtype, shape, shared_name="", container="", reduction_type="MEAN"):
    name = shared_name or ctx.op.name
    key = ("accumulator", name)
    if key not in ctx.state:
        with _CREATE_LOCK:
            if key not in ctx.state:
                ctx.state[key] = _Accumulator(name, dtype, shape, reduction_type)
    return name


_create.not_differentiable()


def _no_outputs(op):
    return []


@defop("ResourceAccumulatorApplyGradient", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _apply_grad(ctx, xp, handle, local_step, gradient):
    acc = _get(ctx, handle)
    grad = np.asarray(gradient, dtype=acc.dtype.np)
    with acc.cond:
        if int(local_step) < acc.global_step:
            logging.info("Dropping stale gradient: local step %d < global step %d of "
                         "accumulator %s", int(local_step), acc.global_step, acc.name)
            return ()
        want = acc.shape if acc.sum is None else TensorShape(list(acc.sum.shape))
        if want.ndims is not None and not want.is_compatible_with(grad.shape):
            raise errors.InvalidArgumentError(
                None, ctx.op, f"Shape mismatch: expected {want.proto_str()}, got "
                              f"{TensorShape(list(grad.shape)).proto_str()}")
        acc.sum = grad.copy() if acc.sum is None else acc.sum + grad
        acc.count += 1
        acc.cond.notify_all()
    return ()


_apply_grad.not_differentiable()


def _take_infer(op):
    shape = op.attrs.get("_shape")
    return [(op.attrs["dtype"], shape if shape is not None else unknown_shape())]


@defop("ResourceAccumulatorTakeGradient", infer=_take_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _take_grad(ctx, xp, handle, num_required, *, dtype):
    acc = _get(ctx, handle)
    n = int(num_required)
    if n < 1:
        raise errors.InvalidArgumentError(
            None, ctx.op, f"Argument num_required must be positive, but was {n}")
    with acc.cond:
        while acc.count < n:
            if ctx.step_cancelled():
                raise errors.CancelledError(None, None, "TakeGrad operation was cancelled")
            acc.cond.wait(_POLL)
        total, count = acc.sum, acc.count
        acc.sum, acc.count = None, 0
        acc.global_step += 1
    if acc.reduction_type == "MEAN":
        total = total / count
    return np.asarray(total, dtype=dtype.np)


_take_grad.not_differentiable()


def _scalar(dtype):
    return lambda op: [(dtype, TensorShape([]))]


@defop("ResourceAccumulatorNumAccumulated", infer=_scalar(dtypes.int32), stateful=True,
       needs_ctx=True, device_types=("CPU",))
def _num_accumulated(ctx, xp, handle):
    acc = _get(ctx, handle)
    with acc.cond:
        return np.int32(acc.count)


_num_accumulated.not_differentiable()


@defop("ResourceAccumulatorSetGlobalStep", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _set_global_step(ctx, xp, handle, new_global_step):
    acc = _get(ctx, handle)
    step = int(new_global_step)
    with acc.cond:
        if step < acc.global_step:
            logging.warning("Accumulator %s: new global step %d is smaller than the current "
                            "%d; ignored", acc.name, step, acc.global_step)
        else:
            acc.global_step = step
    return ()


_set_global_step.not_differentiable()


class ConditionalAccumulator:
    """`tf.ConditionalAccumulator(dtype, shape=None, shared_name=None,
    name="conditional_accumulator", reduction_type="MEAN")`: see the module docstring.

    Example:
        >>> acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
        >>> apply = acc.apply_grad([1.0, 2.0], local_step=0)
        >>> avg = acc.take_grad(1)
    """

    def __init__(self, dtype, shape=None, shared_name=None, name="conditional_accumulator",
                 reduction_type="MEAN"):
        if reduction_type not in ("MEAN", "SUM"):
            raise ValueError(f"reduction_type must be 'MEAN' or 'SUM', got "
                             f"{reduction_type!r}")
        self._dtype = dtypes.as_dtype(dtype)
        self._shape = as_shape(shape) if shape is not None else unknown_shape()
        self._accumulator_ref = apply_op(
            "ResourceConditionalAccumulator", name=name, dtype=self._dtype,
            shape=self._shape, shared_name=shared_name or "", reduction_type=reduction_type)

    @property
    def accumulator_ref(self):
        return self._accumulator_ref

    @property
    def name(self):
        return self._accumulator_ref.op.name

    @property
    def dtype(self):
        return self._dtype

    def apply_grad(self, grad, local_step=0, name=None):
        """An op adding `grad` (dropped when `local_step` is stale).

        Raises:
            ValueError: `grad`'s static shape does not match the accumulator's.
        """
        grad = convert_to_tensor(grad, dtype=self._dtype, name="grad")
        if not self._shape.is_compatible_with(grad.shape):
            raise ValueError(f"Shapes {grad.shape} and {self._shape} are incompatible")
        local_step = convert_to_tensor(local_step, dtype=dtypes.int64, name="local_step")
        return apply_op("ResourceAccumulatorApplyGradient", self._accumulator_ref,
                        local_step, grad, name=name or "AccumulatorApplyGradient")

    def take_grad(self, num_required, name=None):
        """The mean (or sum) of at least `num_required` gradients, once there."""
        num_required = convert_to_tensor(num_required, dtype=dtypes.int32,
                                         name="num_required")
        return apply_op("ResourceAccumulatorTakeGradient", self._accumulator_ref,
                        num_required, dtype=self._dtype, _shape=self._shape,
                        name=name or "AccumulatorTakeGradient")

    def num_accumulated(self, name=None):
        """How many gradients are accumulated now (int32)."""
        return apply_op("ResourceAccumulatorNumAccumulated", self._accumulator_ref,
                        name=name or "AccumulatorNumAccumulated")

    def set_global_step(self, new_global_step, name=None):
        """An op moving the accumulator's global step to `new_global_step`."""
        step = convert_to_tensor(new_global_step, dtype=dtypes.int64, name="new_global_step")
        return apply_op("ResourceAccumulatorSetGlobalStep", self._accumulator_ref, step,
                        name=name or "AccumulatorSetGlobalStep")
