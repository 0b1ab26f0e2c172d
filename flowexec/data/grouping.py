"""`tf.data.experimental` transformations that carry state across elements: `scan`,
`take_while`, `unique`, `group_by_window`, `group_by_reducer` (with `Reducer`) and
`bucket_by_sequence_length`, as TF 1.15 builds them.

Each returns a `transformation_func` for `Dataset.apply`. Functions are traced once (see
`Dataset._trace`), after shape relaxation for the states of `scan` and `group_by_reducer`
(re-traced until `reduce_func` keeps the state's shapes, TF's rule). The ops are in
`flowexec/ops/dataset_grouping_ops.py`. Graph construction is not thread-safe.

Example:
    >>> ds = Dataset.range(6).apply(scan(np.int64(0), lambda s, x: (s + x, s)))  # 0 0 1 3 6 10
    >>> ds = Dataset.range(10).apply(group_by_window(lambda x: x % 2,
    ...                                              lambda k, w: w.batch(5), 5))
"""

import numpy as np

from flowexec.data import structure
from flowexec.data.dataset import Dataset
from flowexec.data.dataset_spec import DatasetSpec
from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.function import TensorSpec
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.ops import check_ops, math_ops
from flowexec.ops import dataset_grouping_ops as _ops  # noqa: F401 (registers the ops)
from flowexec.ops.constant_op import constant

_KEY_SPEC = TensorSpec([], dtypes.int64)


def _flat_attrs(spec):
    flat = structure.flat_specs(spec)
    return {"output_types": [s.dtype for s in flat], "output_shapes": [s.shape for s in flat]}


def _is_scalar(t, dtype):
    return isinstance(t, Tensor) and t.dtype is dtype and t.shape.is_compatible_with([])


def _unpacked(spec):
    return list(spec) if type(spec) is tuple else [spec]


def _relaxed_state(dataset, func, state_spec, name, types_error, pair=False):
    """Traces `func(state, element)` until the state's shapes are a fixed point; returns the
    FuncGraph and the state spec (TF's loop; `pair`: `func` returns (state, output))."""
    while True:
        fg = dataset._trace(func, name, arg_specs=[state_spec, dataset.element_spec])
        out = fg.structured_outputs
        if pair:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("The scan function must return a pair comprising the new "
                                "state and the output value.")
            out = out[0]
        new_spec = structure.spec_of(out)
        for new, old in zip(structure.flat_specs(new_spec), structure.flat_specs(state_spec)):
            if new.dtype != old.dtype:
                raise TypeError(types_error(structure.types(state_spec),
                                            structure.types(new_spec)))
        nest.assert_same_data_structure(state_spec, new_spec)
        relaxed = structure.most_specific_compatible(state_spec, new_spec)
        if structure.shapes(relaxed) == structure.shapes(state_spec):
            return fg, state_spec
        state_spec = relaxed


def _captures(*fgs):
    control = []
    for fg in fgs:
        control.extend(c for c in fg.control_captures if c not in control)
    return control


# ----- scan ----------------------------------------------------------------------------------
def scan(initial_state, scan_func):
    """A running state over the elements: `(state, out) = scan_func(state, element)` from
    `initial_state`; the dataset of the `out`s.

    Args:
        initial_state: a structure of tensors, the state before the first element.
        scan_func: `(state, element) -> (new_state, output)`; the new state must have the
            state's structure and dtypes (its shapes are relaxed as TF does).

    Raises:
        TypeError: `scan_func` does not return a pair, or the new state's dtypes differ
            ("The element types for the new state must match the initial state. ...").

    Example:
        >>> Dataset.range(5).apply(scan(np.int64(0), lambda s, x: (s + x, s + x)))
        ... # 0, 1, 3, 6, 10
    """
    def apply(dataset):
        with name_scope("initial_state"):
            state = structure.normalize(initial_state)

        def types_error(old, new):
            return (f"The element types for the new state must match the initial state. "
                    f"Expected {old}; got {new}.")
        fg, state_spec = _relaxed_state(dataset, scan_func, structure.spec_of(state),
                                        "experimental_scan", types_error, pair=True)
        spec = structure.spec_of(fg.structured_outputs[1])
        flat_state = nest.flatten_data(state)
        variant = apply_op("ScanDataset", dataset._variant_tensor, *flat_state,
                           *fg.external_captures, control_inputs=fg.control_captures, f=fg,
                           n_state=len(flat_state), Tstate=[t.dtype for t in flat_state],
                           preserve_cardinality=True, **_flat_attrs(spec))
        return Dataset(variant, spec, dataset._options)
    return apply


# ----- take_while ----------------------------------------------------------------------------
def take_while(predicate):
    """The elements up to (not including) the first one for which `predicate` is False.

    Raises:
        ValueError: `predicate` does not return a scalar bool tensor.

    Example:
        >>> Dataset.range(10).apply(take_while(lambda x: x < 3))  # 0, 1, 2
    """
    def apply(dataset):
        fg = dataset._trace(predicate, "experimental_take_while")
        if not _is_scalar(fg.structured_outputs, dtypes.bool):
            raise ValueError("`predicate` must return a scalar boolean tensor.")
        variant = apply_op("TakeWhileDataset", dataset._variant_tensor, *fg.external_captures,
                           control_inputs=fg.control_captures, predicate=fg,
                           **_flat_attrs(dataset.element_spec))
        return Dataset(variant, dataset.element_spec, dataset._options)
    return apply


# ----- unique --------------------------------------------------------------------------------
def unique():
    """The first occurrence of each element (elements of one int32, int64 or string
    component, of any shape).

    Raises:
        TypeError: the elements have several components or another dtype.

    Example:
        >>> Dataset.from_tensor_slices([1, 37, 2, 37, 2, 1]).apply(unique())  # 1, 37, 2
    """
    def apply(dataset):
        spec = dataset.element_spec
        if not (isinstance(spec, TensorSpec)
                and spec.dtype in (dtypes.int32, dtypes.int64, dtypes.string)):
            raise TypeError("UniqueDataset only supports inputs with a single `tf.int32`, "
                            "`tf.int64`, or `tf.string` component.")
        variant = apply_op("UniqueDataset", dataset._variant_tensor, **_flat_attrs(spec))
        return Dataset(variant, spec, dataset._options)
    return apply


# ----- group_by_window -----------------------------------------------------------------------
def _int64_result(value):
    return convert_to_tensor(value, dtype=dtypes.int64)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """Groups the elements by `key_func` into windows and maps each window to a dataset.

    A group is handed to `reduce_func(key, window_dataset)` when it reaches its window size
    (`window_size`, or `window_size_func(key)`); at the end of the input the remaining,
    smaller groups are, in ascending key order. The result is the concatenation of the
    datasets `reduce_func` returns.

    Args:
        key_func: element -> int64 scalar.
        reduce_func: (int64 key, Dataset of the window) -> Dataset.
        window_size: int64 scalar (may be a placeholder). Exclusive with `window_size_func`.
        window_size_func: int64 key -> int64 scalar.

    Raises:
        ValueError: neither or both of `window_size` and `window_size_func`; a function
            returning something else than an int64 scalar.
        TypeError: `reduce_func` does not return a Dataset.
        At run time, InvalidArgumentError "Window size must be greater than zero, but got
        N." for a non-positive window size.

    Example:
        >>> Dataset.range(10).apply(group_by_window(lambda x: x % 2,
        ...                                         lambda k, w: w.batch(5), 5))
        ... # [0 2 4 6 8], [1 3 5 7 9]
    """
    if (window_size is not None and window_size_func
            or not (window_size is not None or window_size_func)):
        raise ValueError("Must pass either window_size or window_size_func.")
    if window_size is not None:
        def window_size_func(unused_key):
            return convert_to_tensor(window_size, dtype=dtypes.int64)

    def apply(dataset):
        key_fg = dataset._trace(key_func, "experimental_group_by_window_key",
                                convert=_int64_result)
        if not _is_scalar(key_fg.structured_outputs, dtypes.int64):
            raise ValueError("`key_func` must return a single tf.int64 scalar tensor.")
        returned = []

        def as_dataset(ret):
            if not isinstance(ret, Dataset):
                raise TypeError("`reduce_func` must return a `Dataset` object.")
            returned.append(ret)
            return ret._variant_tensor
        reduce_fg = dataset._trace(reduce_func, "experimental_group_by_window_reduce",
                                   convert=as_dataset,
                                   arg_specs=[_KEY_SPEC, DatasetSpec(dataset.element_spec)])
        size_fg = dataset._trace(window_size_func, "experimental_group_by_window_size",
                                 convert=_int64_result, arg_specs=[_KEY_SPEC])
        if not _is_scalar(size_fg.structured_outputs, dtypes.int64):
            raise ValueError("`window_size_func` must return a single tf.int64 scalar "
                             "tensor.")
        spec = returned[0].element_spec
        variant = apply_op(
            "GroupByWindowDataset", dataset._variant_tensor, *key_fg.external_captures,
            *reduce_fg.external_captures, *size_fg.external_captures,
            control_inputs=_captures(key_fg, reduce_fg, size_fg), key_func=key_fg,
            reduce_func=reduce_fg, window_size_func=size_fg,
            n_key=len(key_fg.external_captures), n_reduce=len(reduce_fg.external_captures),
            **_flat_attrs(spec))
        return Dataset(variant, spec, dataset._options)
    return apply


# ----- group_by_reducer ----------------------------------------------------------------------
class Reducer:
    """The three functions of `group_by_reducer`: `init_func(key) -> state`,
    `reduce_func(state, element) -> state` and `finalize_func(state) -> result` (a tuple
    state is passed to `finalize_func` as separate arguments).

    Example:
        >>> Reducer(lambda _: (0.0, 0.0), lambda s, x: (s[0] + x, s[1] + 1),
        ...         lambda total, n: total / n)  # the mean of each group
    """

    def __init__(self, init_func, reduce_func, finalize_func):
        self._init_func = init_func
        self._reduce_func = reduce_func
        self._finalize_func = finalize_func

    @property
    def init_func(self):
        return self._init_func

    @property
    def reduce_func(self):
        return self._reduce_func

    @property
    def finalize_func(self):
        return self._finalize_func


def group_by_reducer(key_func, reducer):
    """Reduces the elements of each key with `reducer`; one element per key (its finalized
    state), in ascending key order, after the whole input is read.

    Raises:
        ValueError: `key_func` does not return an int64 scalar.
        TypeError: `reducer.reduce_func` changes the state's dtypes.

    Example:
        >>> r = Reducer(lambda k: np.int64(0), lambda s, x: s + x, lambda s: s)
        >>> Dataset.range(10).apply(group_by_reducer(lambda x: x % 2, r))  # 20, 25
    """
    def apply(dataset):
        key_fg = dataset._trace(key_func, "experimental_group_by_reducer_key")
        out = key_fg.structured_outputs
        if not _is_scalar(out, dtypes.int64):
            spec = structure.spec_of(structure.normalize(out)) if out is not None else None
            raise ValueError(f"`key_func` must return a single tf.int64 tensor. Got "
                             f"type={structure.types(spec)} and "
                             f"shape={structure.shapes(spec)}")
        init_fg = dataset._trace(reducer.init_func, "experimental_group_by_reducer_init",
                                 arg_specs=[_KEY_SPEC])
        init_spec = structure.spec_of(init_fg.structured_outputs)

        def types_error(old, new):
            return (f"The element types for the new state must match the initial state. "
                    f"Expected {structure.types(init_spec)}; got {new}.")
        reduce_fg, state_spec = _relaxed_state(dataset, reducer.reduce_func, init_spec,
                                               "experimental_group_by_reducer_reduce",
                                               types_error)
        finalize_fg = dataset._trace(reducer.finalize_func,
                                     "experimental_group_by_reducer_finalize",
                                     arg_specs=_unpacked(state_spec))
        spec = structure.spec_of(finalize_fg.structured_outputs)
        fgs = (key_fg, init_fg, reduce_fg, finalize_fg)
        variant = apply_op(
            "GroupByReducerDataset", dataset._variant_tensor,
            *[t for fg in fgs for t in fg.external_captures], control_inputs=_captures(*fgs),
            key_func=key_fg, init_func=init_fg, reduce_func=reduce_fg,
            finalize_func=finalize_fg, n_captured=[len(fg.external_captures) for fg in fgs],
            **_flat_attrs(spec))
        return Dataset(variant, spec, dataset._options)
    return apply


# ----- bucket_by_sequence_length -------------------------------------------------------------
def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """Batches elements of similar length together: bucket `i` holds the lengths in
    `[bucket_boundaries[i-1], bucket_boundaries[i])` and is batched `bucket_batch_sizes[i]`
    at a time, padded (`padded_batch`) to the longest of the batch, or with
    `pad_to_bucket_boundary` to the bucket's boundary - 1; `no_padding` batches as is.

    Args:
        element_length_func: element -> int32 scalar length.
        bucket_boundaries: list of ints, increasing upper boundaries.
        bucket_batch_sizes: list of ints, `len(bucket_boundaries) + 1` of them.
        padded_shapes, padding_values: as `padded_batch` (default the element shapes, 0).
        pad_to_bucket_boundary: pad unknown dimensions to the bucket boundary - 1 (an
            element of length >= max(bucket_boundaries) fails at run time).
        no_padding: use `batch` (elements of one shape).
        drop_remainder: drop each bucket's last, smaller batch.

    Raises:
        ValueError: `len(bucket_batch_sizes) != len(bucket_boundaries) + 1`.

    Example:
        >>> ds.apply(bucket_by_sequence_length(lambda x: tf.shape(x)[0], [3, 5], [2, 2, 2]))
    """
    with name_scope("bucket_by_seq_length"):
        if len(bucket_batch_sizes) != (len(bucket_boundaries) + 1):
            raise ValueError("len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1")
        batch_sizes = constant(bucket_batch_sizes, dtype=dtypes.int64)

    def element_to_bucket_id(*args):
        seq_length = element_length_func(*args)
        boundaries = list(bucket_boundaries)
        buckets_min = [np.iinfo(np.int32).min] + boundaries
        buckets_max = boundaries + [np.iinfo(np.int32).max]
        conditions = math_ops.logical_and(math_ops.less_equal(buckets_min, seq_length),
                                          math_ops.less(seq_length, buckets_max))
        return math_ops.reduce_min(math_ops.where(conditions))

    def window_size_fn(bucket_id):
        return batch_sizes[bucket_id]

    def make_padded_shapes(shapes, none_filler=None):
        padded = []
        for shape in nest.flatten_data(shapes):
            shape = tensor_shape.TensorShape(shape)
            padded.append([none_filler if d is None else d for d in shape.as_list()]
                          if shape.ndims is not None else shape)
        return nest.pack_data(shapes, padded)

    def batching_fn(bucket_id, grouped_dataset):
        batch_size = window_size_fn(bucket_id)
        if no_padding:
            return grouped_dataset.batch(batch_size, drop_remainder=drop_remainder)
        none_filler = None
        if pad_to_bucket_boundary:
            check = check_ops.assert_less(
                bucket_id, constant(len(bucket_batch_sizes) - 1, dtype=dtypes.int64),
                message="When pad_to_bucket_boundary=True, elements must have length < "
                        "max(bucket_boundaries).")
            with control_dependencies([check]):
                boundaries = constant(bucket_boundaries, dtype=dtypes.int64)
                none_filler = boundaries[bucket_id] - 1
        shapes = make_padded_shapes(padded_shapes or grouped_dataset.output_shapes,
                                    none_filler=none_filler)
        return grouped_dataset.padded_batch(batch_size, shapes, padding_values,
                                            drop_remainder=drop_remainder)

    def apply(dataset):
        return dataset.apply(group_by_window(element_to_bucket_id, batching_fn,
                                             window_size_func=window_size_fn))
    return apply


__all__ = ["Reducer", "bucket_by_sequence_length", "group_by_reducer", "group_by_window",
           "scan", "take_while", "unique"]
