"""ConditionalAccumulator and SparseConditionalAccumulator: average gradients from many
replicas, dropping stale ones.

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

`SparseConditionalAccumulator` does the same for sparse gradients (indices, rows, dense
shape; IndexedSlices): rows are summed by index, and `take_grad` gives each index once, in
order of first appearance, with the mean over the gradients that had it (or the sum), with
TF's shape checks and messages.

Every op here is stateful, host-only and not differentiable.
"""

import collections
import threading

import numpy as np

from flowexec.framework import dtypes, errors, resources
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from flowexec.ops import math_ops
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
    return _create_in_state(ctx, _Accumulator, dtype, shape, container, shared_name,
                            reduction_type)


def _create_in_state(ctx, cls, dtype, shape, container, shared_name, reduction_type):
    name = resources.qualified(container, shared_name or ctx.op.name)
    key = ("accumulator", name)
    if key not in ctx.state:
        with _CREATE_LOCK:
            if key not in ctx.state:
                ctx.state[key] = cls(name, dtype, shape, reduction_type)
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


def _wait_for(ctx, acc, n):
    """Waits (holding `acc.cond`) until `n` gradients are accumulated."""
    if n < 1:
        raise errors.InvalidArgumentError(
            None, ctx.op, f"Argument num_required must be positive, but was {n}")
    while acc.count < n:
        if ctx.step_cancelled():
            raise errors.CancelledError(None, None, "TakeGrad operation was cancelled")
        acc.cond.wait(_POLL)


@defop("ResourceAccumulatorTakeGradient", infer=_take_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _take_grad(ctx, xp, handle, num_required, *, dtype):
    acc = _get(ctx, handle)
    with acc.cond:
        _wait_for(ctx, acc, int(num_required))
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


# ----- the sparse accumulator (IndexedSlices gradients) ----------------------------------------
class _SparseAccumulator(_Accumulator):
    """Rows by index in order of first appearance: {index: [sum row, count]}."""

    def __init__(self, name, dtype, shape, reduction_type):
        super().__init__(name, dtype, shape, reduction_type)
        self.rows = []  # [index, summed row, count], in TF's merge order
        self.row_shape = None  # the shape of one row, fixed by the first gradient


def _mismatch(ctx, text):
    return errors.InvalidArgumentError(None, ctx.op, f"Shape mismatch: {text}")


@defop("SparseConditionalAccumulator", infer=_resource_infer, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _create_sparse(ctx, xp, *, dtype, shape, shared_name="", container="",
                   reduction_type="MEAN"):
    return _create_in_state(ctx, _SparseAccumulator, dtype, shape, container, shared_name,
                            reduction_type)


_create_sparse.not_differentiable()


def _check_sparse(ctx, acc, indices, values, shape, has_known_shape):
    """TF's checks of one sparse gradient against the accumulator's shape (messages too)."""
    known = acc.shape.as_list() if acc.shape.ndims is not None else None
    if has_known_shape:
        if known is not None:
            if len(shape) != len(known):
                raise _mismatch(ctx, f"expected shape rank {len(known)}, got {len(shape)}")
            for i, (want, got) in enumerate(zip(known, shape)):
                if want is not None and want != got:
                    raise _mismatch(ctx, f"expected shape dim {i} to be {want}, got {got}")
        known = list(shape)
    if known is not None:
        if values.ndim != len(known):
            raise _mismatch(ctx, f"expected values rank {len(known)}, got {values.ndim}")
        for i in range(1, values.ndim):
            if known[i] is not None and known[i] >= 0 and values.shape[i] != known[i]:
                raise _mismatch(ctx, f"expected values dim {i} to be {known[i]}, got "
                                     f"{values.shape[i]}")
        if known[0] is not None and known[0] >= 0:
            for i, index in enumerate(indices.tolist()):
                if not 0 <= index < known[0]:
                    raise _mismatch(ctx, f"index of slice {i} exceeded limits of shape; index "
                                         f"is {index} exceeded {known[0]}")
    if acc.row_shape is not None and tuple(values.shape[1:]) != acc.row_shape:
        for i, (want, got) in enumerate(zip(acc.row_shape, values.shape[1:]), 1):
            if want != got:
                raise _mismatch(ctx, f"expected values dim {i} to be {want}, got {got}")
        raise _mismatch(ctx, f"expected values rank {len(acc.row_shape) + 1}, got "
                             f"{values.ndim}")
    if indices.shape[0] != values.shape[0]:
        raise errors.InvalidArgumentError(
            None, ctx.op, f"Shape mismatch: expected {indices.shape[0]} slices of values, got "
                          f"{values.shape[0]}")


@defop("SparseAccumulatorApplyGradient", infer=_no_outputs, stateful=True, needs_ctx=True,
       device_types=("CPU",))
def _apply_sparse(ctx, xp, handle, local_step, gradient_indices, gradient_values,
                  gradient_shape, *, dtype, has_known_shape):
    acc = _get(ctx, handle)
    indices = np.asarray(gradient_indices, dtype=np.int64).reshape(-1)
    values = np.asarray(gradient_values, dtype=acc.dtype.np)
    shape = [int(d) for d in np.asarray(gradient_shape).reshape(-1)]
    with acc.cond:
        if int(local_step) < acc.global_step:
            logging.info("Dropping stale gradient: local step %d < global step %d of "
                         "accumulator %s", int(local_step), acc.global_step, acc.name)
            return ()
        _check_sparse(ctx, acc, indices, values, shape, has_known_shape)
        acc.row_shape = tuple(values.shape[1:])
        acc.rows = _merge_rows(acc.rows, indices.tolist(), values)
        acc.count += 1
        acc.cond.notify_all()
    return ()


_apply_sparse.not_differentiable()


def _merge_rows(rows, indices, values):
    """TF's merge walk of the accumulated rows with a gradient's (both expected in
    increasing index order; an index in both is summed and counted once more)."""
    out = []
    i = j = 0
    while i < len(rows) and j < len(indices):
        if rows[i][0] < indices[j]:
            out.append(rows[i])
            i += 1
        elif rows[i][0] > indices[j]:
            out.append([indices[j], values[j].copy(), 1])
            j += 1
        else:
            out.append([rows[i][0], rows[i][1] + values[j], rows[i][2] + 1])
            i += 1
            j += 1
    out += rows[i:]
    out += [[indices[k], values[k].copy(), 1] for k in range(j, len(indices))]
    return out


def _take_sparse_infer(op):
    return [(dtypes.int64, TensorShape([None])), (op.attrs["dtype"], unknown_shape()),
            (dtypes.int64, TensorShape([None]))]


@defop("SparseAccumulatorTakeGradient", infer=_take_sparse_infer, stateful=True,
       needs_ctx=True, device_types=("CPU",))
def _take_sparse(ctx, xp, handle, num_required, *, dtype):
    acc = _get(ctx, handle)
    with acc.cond:
        _wait_for(ctx, acc, int(num_required))
        rows, row_shape = acc.rows, acc.row_shape
        acc.rows, acc.count = [], 0
        acc.global_step += 1
    indices = np.array([r[0] for r in rows], dtype=np.int64)
    if rows:
        values = np.stack([s / c if acc.reduction_type == "MEAN" else s
                           for _, s, c in rows]).astype(dtype.np)
    else:
        values = np.zeros((0,) + (row_shape or ()), dtype=dtype.np)
    known = acc.shape.as_list() if acc.shape.ndims is not None else \
        [None] + list(row_shape or ())
    shape = np.array([-1 if d is None else d for d in known], dtype=np.int64)
    return indices, values, shape


_take_sparse.not_differentiable()


class ConditionalAccumulatorBase:
    """What the dense and the sparse accumulators share (TF's
    `tf.ConditionalAccumulatorBase`): the resource, its name and dtype, `num_accumulated`
    and `set_global_step`.

    Args:
        dtype: the gradients' type.
        shape: their shape (a TensorShape; unknown allowed).
        accumulator_ref: the accumulator's handle Tensor.
    """

    def __init__(self, dtype, shape, accumulator_ref):
        self._dtype = dtypes.as_dtype(dtype)
        self._shape = as_shape(shape) if shape is not None else unknown_shape()
        self._accumulator_ref = accumulator_ref

    @property
    def accumulator_ref(self):
        return self._accumulator_ref

    @property
    def name(self):
        return self._accumulator_ref.op.name

    @property
    def dtype(self):
        return self._dtype

    def num_accumulated(self, name=None):
        """How many gradients are accumulated now (int32)."""
        return apply_op("ResourceAccumulatorNumAccumulated", self._accumulator_ref,
                        name=name or "AccumulatorNumAccumulated")

    def set_global_step(self, new_global_step, name=None):
        """An op moving the accumulator's global step to `new_global_step`."""
        step = convert_to_tensor(new_global_step, dtype=dtypes.int64, name="new_global_step")
        return apply_op("ResourceAccumulatorSetGlobalStep", self._accumulator_ref, step,
                        name=name or "AccumulatorSetGlobalStep")


class ConditionalAccumulator(ConditionalAccumulatorBase):
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
        shape = as_shape(shape) if shape is not None else unknown_shape()
        ref = apply_op("ResourceConditionalAccumulator", name=name, dtype=dtypes.as_dtype(dtype),
                       shape=shape, shared_name=shared_name or "", reduction_type=reduction_type)
        super().__init__(dtype, shape, ref)

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


# TF's generated op wrapper returns this namedtuple
SparseAccumulatorTakeGradient = collections.namedtuple(
    "SparseAccumulatorTakeGradient", ["indices", "values", "shape"])


def _as_int64(value, name):
    t = convert_to_tensor(value, name=name)
    if t.dtype is dtypes.float32 and t.shape.num_elements() == 0:
        return convert_to_tensor(value, dtype=dtypes.int64, name=name)  # [] as no shape
    return t if t.dtype is dtypes.int64 else math_ops.cast(t, dtypes.int64)


class SparseConditionalAccumulator(ConditionalAccumulatorBase):
    """Accumulates sparse gradients (IndexedSlices) from many replicas, dropping stale ones
    (TF's `tf.SparseConditionalAccumulator`).

    Rows are summed by index; `take_grad` returns each index once (in order of first
    appearance) with the mean of the rows given for it (`reduction_type="MEAN"`: divided by
    how many gradients had that index) or their sum ("SUM"), and the dense shape.

    Example:
        >>> acc = tf.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
        >>> apply = acc.apply_indexed_slices_grad(grad_slices, local_step=0)
        >>> avg = acc.take_indexed_slices_grad(2)   # an IndexedSlices
    """

    def __init__(self, dtype, shape=None, shared_name=None,
                 name="sparse_conditional_accumulator", reduction_type="MEAN"):
        if reduction_type not in ("MEAN", "SUM"):
            raise ValueError(f"reduction_type must be 'MEAN' or 'SUM', got "
                             f"{reduction_type!r}")
        shape = as_shape(shape) if shape is not None else unknown_shape()
        ref = apply_op("SparseConditionalAccumulator", name=name, dtype=dtypes.as_dtype(dtype),
                       shape=shape, shared_name=shared_name or "",
                       reduction_type=reduction_type)
        super().__init__(dtype, shape, ref)

    def apply_indexed_slices_grad(self, grad, local_step=0, name=None):
        """An op adding the IndexedSlices `grad` (dropped when `local_step` is stale)."""
        return self.apply_grad(grad.indices, grad.values, grad.dense_shape, local_step, name)

    def apply_grad(self, grad_indices, grad_values, grad_shape=None, local_step=0, name=None):
        """An op adding the rows `grad_values` at `grad_indices` (of a tensor of shape
        `grad_shape`, when given: it is checked against the accumulator's)."""
        # TF casts the indices, shape and step (an int32 Tensor is fine)
        indices = _as_int64(grad_indices, "grad_indices")
        values = convert_to_tensor(grad_values, dtype=self._dtype, name="grad_values")
        known = grad_shape is not None
        shape = _as_int64(grad_shape if known else [], "grad_shape")
        local_step = _as_int64(local_step, "local_step")
        return apply_op("SparseAccumulatorApplyGradient", self._accumulator_ref, local_step,
                        indices, values, shape, dtype=self._dtype, has_known_shape=known,
                        name=name or "SparseAccumulatorApplyGradient")

    def take_grad(self, num_required, name=None):
        """(indices, values, shape) of the average of at least `num_required` gradients."""
        num_required = convert_to_tensor(num_required, dtype=dtypes.int32, name="num_required")
        return SparseAccumulatorTakeGradient(*apply_op(
            "SparseAccumulatorTakeGradient", self._accumulator_ref, num_required,
            dtype=self._dtype, name=name or "SparseAccumulatorTakeGradient"))

    def take_indexed_slices_grad(self, num_required, name=None):
        """The average of at least `num_required` gradients, as an IndexedSlices."""
        from flowexec.framework.indexed_slices import IndexedSlices

        indices, values, shape = self.take_grad(num_required, name=name)
        return IndexedSlices(values, indices, shape)
