"""Stateful and grouping dataset ops: scan, take_while, unique, group_by_window,
group_by_reducer and window (TF's ScanDataset, TakeWhileDataset, UniqueDataset,
GroupByWindowDataset, GroupByReducerDataset, WindowDataset).

Each op's kernel and the `DatasetValue` it returns are together here (the Python API is in
`flowexec/data/grouping.py` and `flowexec/data/windowing.py`). Function arguments follow
`dataset_ops.py`: a FuncGraph attribute per function, planned once per session through
`ctx.function`, and the values of each function's captured outer tensors as trailing inputs,
split by the `n_*` count attributes.

A dataset passed to a function (the window of `group_by_window`'s `reduce_func`, the
elements of `window`) is an `ElementsValue`: the recorded flat elements of that window.

Semantics, as TF's kernels:
    * scan: the state is the first `n_state` outputs of `f`, the element the rest.
    * take_while: ends the pass at the first element whose predicate is False.
    * unique: keeps the first occurrence of each value (one int32/int64/string component).
    * group_by_window: a group is flushed through `reduce_func` when it reaches its window
      size (`window_size_func(key)`, computed when the group starts); at the end of the
      input the remaining groups are flushed in ascending key order.
    * group_by_reducer: one state per key; at the end of the input each is finalized, in
      ascending key order.
    * window: windows of `size` elements `stride` apart, a new one every `shift` elements;
      the last windows may be shorter unless `drop_remainder`.

Every op here is stateful, host-only and not differentiable (as all dataset ops).
"""

import numpy as np

from flowexec.ops import dataset_iterators as it
from flowexec.ops.dataset_iterators import Failed, _failed, _invalid
from flowexec.ops.dataset_ops import dataset_op, scalar


def _dataset_op(type_name):
    return dataset_op(type_name, needs_ctx=True)


class ElementsValue(it.DatasetValue):
    """A dataset of recorded flat elements (a window handed to a function)."""

    def __init__(self, elements):
        self.elements = tuple(elements)

    def cardinality(self):
        return len(self.elements)

    def iterate(self, ctx):
        yield from self.elements


def _dataset_result(values):
    dataset = values[0]
    if not isinstance(dataset, it.DatasetValue):
        raise _invalid("The function must return a Dataset.")
    return dataset


# ----- scan ----------------------------------------------------------------------------------
class ScanValue(it.DatasetValue):
    same_cardinality = True

    def __init__(self, input, fn, state, captured):
        self.input, self.fn = input, fn
        self.state, self.captured = tuple(state), tuple(captured)

    def iterate(self, ctx):
        state, n = self.state, len(self.state)
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            try:
                out = tuple(self.fn.call(state + element, self.captured))
            except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                yield _failed(e)
                continue
            state = out[:n]
            yield out[n:]


@_dataset_op("ScanDataset")
def _scan_dataset(ctx, xp, input_dataset, *args, f, n_state, Tstate, output_types,
                  output_shapes, preserve_cardinality=True):
    return ScanValue(input_dataset, ctx.function(f), args[:n_state], args[n_state:])


# ----- take_while ----------------------------------------------------------------------------
class TakeWhileValue(it.DatasetValue):
    def __init__(self, input, predicate, captured):
        self.input, self.predicate, self.captured = input, predicate, tuple(captured)

    def iterate(self, ctx):
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            try:
                keep = bool(self.predicate.call(element, self.captured)[0])
            except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                yield _failed(e)
                continue
            if not keep:
                return
            yield element


@_dataset_op("TakeWhileDataset")
def _take_while_dataset(ctx, xp, input_dataset, *other_arguments, predicate, output_types,
                        output_shapes):
    return TakeWhileValue(input_dataset, ctx.function(predicate), other_arguments)


# ----- unique --------------------------------------------------------------------------------
class UniqueValue(it.DatasetValue):
    def __init__(self, input):
        self.input = input

    def iterate(self, ctx):
        seen = set()
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            value = np.asarray(element[0])
            key = (value.shape, tuple(value.reshape(-1).tolist()))
            if key not in seen:
                seen.add(key)
                yield element


@_dataset_op("UniqueDataset")
def _unique_dataset(ctx, xp, input_dataset, *, output_types, output_shapes):
    return UniqueValue(input_dataset)


# ----- group_by_window -----------------------------------------------------------------------
class GroupByWindowValue(it.DatasetValue):
    def __init__(self, input, key_fn, reduce_fn, size_fn, key_args, reduce_args, size_args):
        self.input = input
        self.key_fn, self.reduce_fn, self.size_fn = key_fn, reduce_fn, size_fn
        self.key_args, self.reduce_args = tuple(key_args), tuple(reduce_args)
        self.size_args = tuple(size_args)

    def _flush(self, key, group, ctx):
        dataset = _dataset_result(self.reduce_fn.call(
            (np.int64(key), ElementsValue(group)), self.reduce_args))
        return dataset.iterate(ctx)

    def iterate(self, ctx):
        groups, sizes = {}, {}
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            try:
                key = int(self.key_fn.call(element, self.key_args)[0])
                if key not in groups:
                    size = int(self.size_fn.call((np.int64(key),), self.size_args)[0])
                    if size <= 0:
                        raise _invalid(f"Window size must be greater than zero, but got "
                                       f"{size}.")
                    groups[key], sizes[key] = [], size
                group = groups[key]
                group.append(element)
                if len(group) < sizes[key]:
                    continue
                del groups[key], sizes[key]
                out = self._flush(key, group, ctx)
            except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                yield _failed(e)
                continue
            yield from out
        for key in sorted(groups):
            try:
                out = self._flush(key, groups[key], ctx)
            except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                yield _failed(e)
                continue
            yield from out


@_dataset_op("GroupByWindowDataset")
def _group_by_window_dataset(ctx, xp, input_dataset, *args, key_func, reduce_func,
                             window_size_func, n_key, n_reduce, output_types, output_shapes):
    return GroupByWindowValue(input_dataset, ctx.function(key_func), ctx.function(reduce_func),
                              ctx.function(window_size_func), args[:n_key],
                              args[n_key:n_key + n_reduce], args[n_key + n_reduce:])


# ----- group_by_reducer ----------------------------------------------------------------------
class GroupByReducerValue(it.DatasetValue):
    def __init__(self, input, fns, captured):
        self.input = input
        self.key_fn, self.init_fn, self.reduce_fn, self.finalize_fn = fns
        self.key_args, self.init_args, self.reduce_args, self.finalize_args = (
            tuple(c) for c in captured)

    def iterate(self, ctx):
        states = {}
        for element in self.input.iterate(ctx):
            if element.__class__ is Failed:
                yield element
                continue
            try:
                key = int(self.key_fn.call(element, self.key_args)[0])
                state = states.get(key)
                if state is None:
                    state = tuple(self.init_fn.call((np.int64(key),), self.init_args))
                states[key] = tuple(self.reduce_fn.call(state + element, self.reduce_args))
            except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                yield _failed(e)
        for key in sorted(states):
            try:
                yield tuple(self.finalize_fn.call(states[key], self.finalize_args))
            except Exception as e:  # noqa: BLE001 - the element's error, raised by get_next
                yield _failed(e)


@_dataset_op("GroupByReducerDataset")
def _group_by_reducer_dataset(ctx, xp, input_dataset, *args, key_func, init_func, reduce_func,
                              finalize_func, n_captured, output_types, output_shapes):
    bounds = np.cumsum([0, *n_captured])
    captured = [args[bounds[i]:bounds[i + 1]] for i in range(4)]
    fns = [ctx.function(f) for f in (key_func, init_func, reduce_func, finalize_func)]
    return GroupByReducerValue(input_dataset, fns, captured)


# ----- window --------------------------------------------------------------------------------
class WindowValue(it.DatasetValue):
    def __init__(self, input, size, shift, stride, drop_remainder):
        for what, value in (("size", size), ("shift", shift), ("stride", stride)):
            if value <= 0:
                raise _invalid(f"Window {what} must be greater than zero.")
        self.input = input
        self.size, self.shift, self.stride = int(size), int(shift), int(stride)
        self.drop_remainder = bool(drop_remainder)

    def cardinality(self):
        n = self.input.cardinality()
        if n < 0:
            return n
        if self.drop_remainder:
            rest = n - ((self.size - 1) * self.stride + 1)
            return 0 if rest < 0 else rest // self.shift + 1
        return -(-n // self.shift)

    def iterate(self, ctx):
        # TF's WindowDataset: fill a buffer to (size - 1) * stride + 1 elements, emit every
        # stride-th, then drop `shift` (reading past the buffer when shift is larger).
        source = self.input.iterate(ctx)
        target = (self.size - 1) * self.stride + 1
        buffer, ended = [], False

        def pull():
            nonlocal ended
            while True:
                try:
                    element = next(source)
                except StopIteration:
                    ended = True
                    return None
                return element
        while True:
            while not ended and len(buffer) < target:
                element = pull()
                if element is None:
                    break
                if element.__class__ is Failed:
                    yield element
                    continue
                buffer.append(element)
            if not buffer or (self.drop_remainder and len(buffer) < target):
                return
            chosen = buffer[::self.stride]
            width = len(chosen[0])
            yield tuple(ElementsValue([(e[c],) for e in chosen]) for c in range(width))
            if self.shift >= len(buffer):
                for _ in range(self.shift - len(buffer)):
                    if ended or pull() is None:
                        break
                buffer = []
            else:
                buffer = buffer[self.shift:]


@_dataset_op("WindowDataset")
def _window_dataset(ctx, xp, input_dataset, size, shift, stride, drop_remainder, *,
                    output_types, output_shapes):
    return WindowValue(input_dataset, scalar(size), scalar(shift), scalar(stride),
                       scalar(drop_remainder))
