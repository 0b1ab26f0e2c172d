"""SparseConditionalAccumulator: averages sparse (IndexedSlices) gradients from many replicas,
dropping stale ones — TF 1.x's `tf.SparseConditionalAccumulator` / `tf.sparse.
SparseConditionalAccumulator` with TF's ops SparseConditionalAccumulator,
SparseAccumulatorApplyGradient, SparseAccumulatorTakeGradient, AccumulatorNumAccumulated and
AccumulatorSetGlobalStep.

The state lives in the session, as the dense accumulator's (flowexec/ops/accumulator_ops.py);
the handle is the accumulator's name. Gradients are (indices, values[, dense shape]) rows:

* apply: a gradient whose local step is older than the global step is dropped; otherwise its
  rows are merged into the running sum with TF's merge walk (the accumulated and the new
  indices are expected in increasing order; a row of an index in both is summed and its
  count incremented), after TF's shape checks (InvalidArgumentError "Shape mismatch: ...").
* take: waits for `num_required` gradients, returns (indices, values, shape): the sum, or
  for MEAN each row divided by the number of gradients that had its index; the shape's
  first dimension is the accumulator's (-1 when unknown). It resets the sum and increments
  the global step.

Every op here is stateful, host-only and not differentiable.
"""

import collections
import threading

import numpy as np

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.indexed_slices import IndexedSlices
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from flowexec.ops import math_ops
from flowexec.ops.accumulator_ops import _CREATE_LOCK, _POLL, _Accumulator, count_of
from flowexec.ops.accumulator_ops import move_global_step
from flowexec.platform import tf_logging as logging

__all__ = ["SparseConditionalAccumulator"]

_HOST = ("CPU",)

SparseAccumulatorTakeGradient = collections.namedtuple(
    "SparseAccumulatorTakeGradient", ["indices", "values", "shape"])


class _SparseAccumulator(_Accumulator):
    def __init__(self, name, dtype, shape, reduction_type):
        super().__init__(name, dtype, shape, reduction_type)
        self.indices = None   # list of ints
        self.values = None    # array [len(indices), ...]
        self.counts = None    # list of ints, one per accumulated row


def _get(ctx, handle):
    name = handle.reshape(-1)[-1] if hasattr(handle, "reshape") else handle
    name = name.decode() if isinstance(name, bytes) else str(name)
    acc = ctx.state.get(("sparse_accumulator", name))
    if acc is None:
        raise errors.NotFoundError(None, None, f"Resource {name} does not exist.")
    return acc


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


@defop("SparseConditionalAccumulator",
       infer=lambda op: [(dtypes.string, TensorShape([2]))], stateful=True, needs_ctx=True,
       device_types=_HOST)
def _create(ctx, xp, *, dtype, shape, shared_name="", container="", reduction_type="MEAN"):
    name = shared_name or ctx.op.name
    key = ("sparse_accumulator", name)
    if key not in ctx.state:
        with _CREATE_LOCK:
            if key not in ctx.state:
                ctx.state[key] = _SparseAccumulator(name, dtype, shape, reduction_type)
    out = np.empty(2, dtype=object)
    out[:] = [container.encode(), name.encode()]
    return out


_create.not_differentiable()


def _validate(acc, indices, values, shape, has_known_shape):
    """TF's SparseConditionalAccumulator::ValidateShape."""
    dims = acc.shape.as_list() if acc.shape.ndims is not None else None
    rank = -1 if dims is None else len(dims)
    if has_known_shape:
        if rank > shape.size:
            raise _invalid(f"Shape mismatch: expected shape rank at least {rank}, got "
                           f"{shape.size}")
        for i in range(max(rank, 0)):
            if dims[i] is not None and dims[i] != int(shape[i]):
                raise _invalid(f"Shape mismatch: expected shape dim {i} to be {dims[i]}, got "
                               f"{int(shape[i])}")
    if rank > 0 and dims[0] is not None and indices.ndim > 0:
        for i, ix in enumerate(indices.tolist()):
            if ix >= dims[0]:
                raise _invalid(f"Shape mismatch: index of slice {i} exceeded limits of shape; "
                               f"index is {ix} exceeded {dims[0]}")
    if acc.count > 0:
        if acc.values.ndim != values.ndim:
            raise _invalid(f"Shape mismatch: expected values rank {acc.values.ndim}, got "
                           f"{values.ndim}")
        for i in range(1, values.ndim):
            if acc.values.shape[i] != values.shape[i]:
                raise _invalid(f"Shape mismatch: expected values dim {i} to be "
                               f"{acc.values.shape[i]}, got {values.shape[i]}")
    else:
        if rank > values.ndim:
            raise _invalid(f"Shape mismatch: expected values rank at least {rank}, got "
                           f"{values.ndim}")
        for i in range(1, max(rank, 0)):
            if dims[i] is not None and dims[i] != values.shape[i]:
                raise _invalid(f"Shape mismatch: expected values dim {i} to be {dims[i]}, got "
                               f"{values.shape[i]}")


def _merge(acc, indices, values):
    """TF's two-pointer merge of the accumulated rows with a new gradient's."""
    a_idx, b_idx = acc.indices, indices.tolist()
    out = []  # (index, row, count)
    i = j = 0
    while i < len(a_idx) and j < len(b_idx):
        if a_idx[i] < b_idx[j]:
            out.append((a_idx[i], acc.values[i], acc.counts[i]))
            i += 1
        elif a_idx[i] > b_idx[j]:
            out.append((b_idx[j], values[j], 1))
            j += 1
        else:
            out.append((a_idx[i], acc.values[i] + values[j], acc.counts[i] + 1))
            i += 1
            j += 1
    out += [(a_idx[k], acc.values[k], acc.counts[k]) for k in range(i, len(a_idx))]
    out += [(b_idx[k], values[k], 1) for k in range(j, len(b_idx))]
    out_idx = [e[0] for e in out]
    out_rows = [e[1] for e in out]
    out_counts = [e[2] for e in out]
    acc.indices, acc.counts = out_idx, out_counts
    acc.values = (np.stack(out_rows) if out_rows else
                  np.zeros((0,) + acc.values.shape[1:], acc.values.dtype))


def _no_outputs(op):
    return []


@defop("SparseAccumulatorApplyGradient", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _apply(ctx, xp, handle, local_step, gradient_indices, gradient_values, gradient_shape, *,
           has_known_shape):
    acc = _get(ctx, handle)
    values = np.asarray(gradient_values, dtype=acc.dtype.np)
    indices = np.asarray(gradient_indices, dtype=np.int64).reshape(-1)
    shape = np.asarray(gradient_shape, dtype=np.int64).reshape(-1)
    with acc.cond:
        if int(local_step) < acc.global_step:
            logging.info("Dropping stale gradient: local step %d < global step %d of "
                         "accumulator %s", int(local_step), acc.global_step, acc.name)
            return ()
        _validate(acc, indices, values, shape, has_known_shape)
        if acc.count == 0 or acc.indices is None:
            acc.indices = indices.tolist()
            acc.values = values.copy()
            acc.counts = [1] * len(acc.indices)
        else:
            _merge(acc, indices, values)
        acc.count += 1
        acc.cond.notify_all()
    return ()


_apply.not_differentiable()


def _take_infer(op):
    return [(dtypes.int64, TensorShape([None])), (op.attrs["dtype"], unknown_shape()),
            (dtypes.int64, TensorShape([None]))]


@defop("SparseAccumulatorTakeGradient", infer=_take_infer, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _take(ctx, xp, handle, num_required, *, dtype):
    acc = _get(ctx, handle)
    n = int(num_required)
    if n < 1:
        raise _invalid(f"Argument num_required must be positive, but was {n}")
    with acc.cond:
        while acc.count < n:
            if ctx.step_cancelled():
                raise errors.CancelledError(None, None, "TakeGrad operation was cancelled")
            acc.cond.wait(_POLL)
        indices, values, counts = acc.indices, acc.values, acc.counts
        acc.indices = acc.values = acc.counts = None
        acc.count = 0
        acc.global_step += 1
    if acc.reduction_type == "MEAN":
        scale = np.asarray(counts, dtype=values.dtype).reshape((-1,) + (1,) * (values.ndim - 1))
        values = (values / scale).astype(values.dtype)
    dims = acc.shape.as_list() if acc.shape.ndims is not None else []
    first = dims[0] if dims and dims[0] is not None else -1
    shape = np.array([first] + list(values.shape[1:]), dtype=np.int64)
    return np.asarray(indices, dtype=np.int64), np.asarray(values, dtype=dtype.np), shape


_take.not_differentiable()


@defop("AccumulatorNumAccumulated", infer=lambda op: [(dtypes.int32, TensorShape([]))],
       stateful=True, needs_ctx=True, device_types=_HOST)
def _num_accumulated(ctx, xp, handle):
    return count_of(_get(ctx, handle))


_num_accumulated.not_differentiable()


@defop("AccumulatorSetGlobalStep", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=_HOST)
def _set_global_step(ctx, xp, handle, new_global_step):
    return move_global_step(_get(ctx, handle), int(new_global_step))


_set_global_step.not_differentiable()


class SparseConditionalAccumulator:
    """`tf.SparseConditionalAccumulator(dtype, shape=None, shared_name=None,
    name="sparse_conditional_accumulator", reduction_type="MEAN")`: see the module docstring.

    Example:
        >>> acc = tf.SparseConditionalAccumulator(tf.float32, shape=[10, 2])
        >>> apply = acc.apply_indexed_slices_grad(grad)  # grad: an IndexedSlices
        >>> mean = acc.take_indexed_slices_grad(1)
    """

    def __init__(self, dtype, shape=None, shared_name=None,
                 name="sparse_conditional_accumulator", reduction_type="MEAN"):
        if reduction_type not in ("MEAN", "SUM"):
            raise ValueError(f"reduction_type must be 'MEAN' or 'SUM', got "
                             f"{reduction_type!r}")
        self._dtype = dtypes.as_dtype(dtype)
        self._shape = as_shape(shape) if shape is not None else unknown_shape()
        self._accumulator_ref = apply_op(
            "SparseConditionalAccumulator", name=name, dtype=self._dtype, shape=self._shape,
            shared_name=shared_name or "", reduction_type=reduction_type)
        self._name = self._accumulator_ref.op.name

    @property
    def accumulator_ref(self):
        """The accumulator's handle."""
        return self._accumulator_ref

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    def apply_indexed_slices_grad(self, grad, local_step=0, name=None):
        """An op adding the IndexedSlices `grad` (dropped when `local_step` is stale)."""
        return self.apply_grad(grad_indices=grad.indices, grad_values=grad.values,
                               grad_shape=grad.dense_shape, local_step=local_step, name=name)

    def apply_grad(self, grad_indices, grad_values, grad_shape=None, local_step=0, name=None):
        """An op adding the sparse gradient (indices, values[, dense shape]).

        Raises:
            InvalidArgumentError: (at run time) TF's "Shape mismatch" errors.
        """
        local_step = math_ops.cast(convert_to_tensor(local_step), dtypes.int64)
        values = convert_to_tensor(grad_values, dtype=self._dtype, name="grad_values")
        indices = math_ops.cast(convert_to_tensor(grad_indices), dtypes.int64)
        if grad_shape is None:
            shape = convert_to_tensor([], dtype=dtypes.int64)
        else:
            shape = math_ops.cast(convert_to_tensor(grad_shape), dtypes.int64)
        return apply_op("SparseAccumulatorApplyGradient", self._accumulator_ref, local_step,
                        indices, values, shape, has_known_shape=grad_shape is not None,
                        name=name or "SparseAccumulatorApplyGradient")

    def take_grad(self, num_required, name=None):
        """(indices, values, shape) of the mean (or sum) of at least `num_required`
        gradients, once there."""
        num_required = convert_to_tensor(num_required, dtype=dtypes.int32,
                                         name="num_required")
        out = apply_op("SparseAccumulatorTakeGradient", self._accumulator_ref, num_required,
                       dtype=self._dtype, name=name or "SparseAccumulatorTakeGradient")
        return SparseAccumulatorTakeGradient(*out)

    def take_indexed_slices_grad(self, num_required, name=None):
        """`take_grad` as an IndexedSlices."""
        out = self.take_grad(num_required, name=name)
        return IndexedSlices(indices=out.indices, values=out.values, dense_shape=out.shape)

    def num_accumulated(self, name=None):
        """How many gradients are accumulated now (int32)."""
        return apply_op("AccumulatorNumAccumulated", self._accumulator_ref,
                        name=name or f"{self._name}_NumAccumulated")

    def set_global_step(self, new_global_step, name=None):
        """An op moving the accumulator's global step to `new_global_step`."""
        step = math_ops.cast(convert_to_tensor(new_global_step), dtypes.int64)
        return apply_op("AccumulatorSetGlobalStep", self._accumulator_ref, step,
                        name=name or "AccumulatorSetGlobalStep")
