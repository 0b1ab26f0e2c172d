"""`tf.data.Dataset` (TF 1.x's DatasetV1): input pipelines as graph ops.

A Dataset is a scalar `variant` tensor (the output of a dataset op, see
`flowexec/ops/dataset_ops.py`) plus its element structure (`TensorSpec` leaves in tuples and
dicts). Transformations add ops to the graph of their input; their tensor arguments
(`batch(batch_size)`, `shuffle(buffer_size, seed)`, ...) are inputs of those ops, read when
an iterator's initializer runs, so they may be placeholders. Functions given to `map`,
`filter`, `flat_map` and `interleave` are traced once into function graphs
(`flowexec.framework.function`): a tuple element is passed as separate arguments, anything
else as one; outer tensors they use are captured, variables are read live.

Graph construction is not thread-safe (as all graph building); the iterators are.

Example:
    >>> ds = Dataset.from_tensor_slices(([1, 2, 3], [4., 5., 6.])).map(lambda a, b: a + 1)
    >>> ds.output_types, ds.output_shapes
    (tf.int32, TensorShape([]))
"""

import re
import warnings

import numpy as np

from flowexec.data import options as options_mod
from flowexec.data import structure
from flowexec.data.dataset_spec import DatasetSpec
from flowexec.framework import dtypes, nest, tensor_shape
from flowexec.framework import function as function_mod
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import control_dependencies, name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.graph_io.schema import schema_for
from flowexec.ops import array_ops, check_ops, dataset_iterators, io_ops, random_ops
from flowexec.ops import dataset_ops as _dataset_ops  # noqa: F401 (registers the ops)
from flowexec.ops.constant_op import identity

AUTOTUNE = dataset_iterators.AUTOTUNE
_INT64_MAX = np.iinfo(np.int64).max


def _int64(value, name):
    return convert_to_tensor(value, dtype=dtypes.int64, name=name)


def _bool(value, name):
    return convert_to_tensor(value, dtype=dtypes.bool, name=name)


def _constant_value(t):
    """The value of a Const tensor (what TF's `tensor_util.constant_value` sees), or None."""
    if isinstance(t, Tensor) and t.op.type == "Const":
        return t.op.attrs["value"]
    return None


def _function_name(transformation, func):
    raw = getattr(func, "__name__", type(func).__name__)
    return f"{transformation}_" + re.sub(r"[^A-Za-z0-9_.\-]", "_", raw)



def _record_element_attrs(op, element_spec):
    """Gives a dataset op TF's `output_types`/`output_shapes` attrs (its element's flat
    dtypes and shapes) when it has none, so a graph with datasets exports as a GraphDef
    (and in MetaGraphs) as TF's does; kernels do not read them."""
    if "output_types" in op.attrs and "output_shapes" in op.attrs:
        return
    tf_def = schema_for(op.type)
    if tf_def is None:
        return
    flat = structure.flat_specs(element_spec)
    if "output_types" in tf_def.attrs:
        op.attrs.setdefault("output_types", [s.dtype for s in flat])
    if "output_shapes" in tf_def.attrs:
        op.attrs.setdefault("output_shapes", [s.shape for s in flat])

class Dataset(structure.Structured):
    """A sequence of elements, each a structure of tensors (TF 1.x `tf.data.Dataset`).

    Datasets are built by the static constructors (`from_tensor_slices`, `range`, ...) and
    transformed by methods that return new Datasets; an Iterator reads them in a Session.
    """

    def __init__(self, variant, element_spec, options=None):
        self._variant_tensor = variant
        self._element_spec = element_spec
        self._options = options
        _record_element_attrs(variant.op, element_spec)

    def _as_variant_tensor(self):
        return self._variant_tensor

    def _op(self, op_type, *inputs, spec=None, **attrs):
        variant = apply_op(op_type, self._variant_tensor, *inputs, **attrs)
        return Dataset(variant, self._element_spec if spec is None else spec, self._options)

    def __iter__(self):
        raise RuntimeError("__iter__() is only supported inside of tf.function or when eager "
                           "execution is enabled.")

    def __repr__(self):
        shapes = nest.map_data(str, self.output_shapes)
        return f"<DatasetV1Adapter shapes: {shapes}, types: {self.output_types}>"

    # ----- sources -------------------------------------------------------------------------
    @staticmethod
    def from_tensors(tensors):
        """A dataset of one element, `tensors` (a structure; lists become tensors)."""
        with name_scope("TensorDataset"):
            tensors = structure.normalize(tensors)
        flat = nest.flatten_data(tensors)
        variant = apply_op("TensorDataset", *flat,
                           output_shapes=[t.shape for t in flat])
        return Dataset(variant, structure.spec_of(tensors))

    @staticmethod
    def from_tensor_slices(tensors):
        """A dataset of the slices of `tensors` along their first dimension.

        Raises:
            ValueError: a component is a scalar, or the first dimensions differ.

        Example:
            >>> Dataset.from_tensor_slices({"x": [[1, 2], [3, 4]]}).output_shapes
            {'x': TensorShape([2])}
        """
        with name_scope("TensorSliceDataset"):
            tensors = structure.normalize(tensors)
        flat = nest.flatten_data(tensors)
        if not flat:
            raise ValueError("Expected at least one tensor in from_tensor_slices")
        first = tensor_shape.Dimension(None)
        for t in flat:
            if t.shape.ndims == 0:
                raise ValueError(f"Unbatching a tensor is only supported for rank >= 1, got "
                                 f"{t} with shape {t.shape}")
            if t.shape.ndims is not None:
                dim = tensor_shape.Dimension(t.shape[0])
                if not first.is_compatible_with(dim):
                    raise ValueError(f"Dimensions {first} and {dim} are not compatible")
                first = first.merge_with(dim)
        spec = nest.map_data(lambda t: function_mod.TensorSpec(
            t.shape[1:] if t.shape.ndims is not None else tensor_shape.unknown_shape(),
            t.dtype), tensors)
        # TF's output_shapes: the element's (slice) shapes, not the components'
        variant = apply_op("TensorSliceDataset", *flat,
                           output_shapes=[s.shape for s in structure.flat_specs(spec)])
        return Dataset(variant, spec)

    @staticmethod
    def range(*args):
        """`range([start,] stop[, step])` as int64 scalars, like Python's `range`.

        Raises:
            ValueError: no arguments or more than three.
        """
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid arguments to RangeDataset: {args}")
        start, stop, step = (0, args[0], 1) if len(args) == 1 else \
            (args[0], args[1], 1) if len(args) == 2 else args
        with name_scope("RangeDataset"):
            inputs = [_int64(start, "start"), _int64(stop, "stop"), _int64(step, "step")]
        variant = apply_op("RangeDataset", *inputs)
        return Dataset(variant, function_mod.TensorSpec([], dtypes.int64))

    @staticmethod
    def zip(datasets):
        """Elements of several datasets side by side, as the structure `datasets` has; ends
        with the shortest.

        Raises:
            TypeError: a leaf of `datasets` is not a Dataset.
        """
        flat = nest.flatten_data(datasets)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"The argument to `Dataset.zip()` must be a (nested) structure "
                                f"of `Dataset` objects, got {type(d).__name__}.")
        variant = apply_op("ZipDataset", *[d._variant_tensor for d in flat])
        spec = nest.pack_data(datasets, [d._element_spec for d in flat])
        return Dataset(variant, spec, _merged([d._options for d in flat]))

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        """A dataset of what `generator(*args)` yields, checked against the structure.

        Args:
            generator: a callable returning an iterator; called once per pass.
            output_types: the structure of dtypes of each element.
            output_shapes: the structure of shapes (default unknown).
            args: tensors passed (as numpy values) to `generator`.

        Raises:
            At run time, InvalidArgumentError for an element of another structure, type or
            shape than declared.
        """
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        spec = structure.from_types_and_shapes(output_types, output_shapes)
        flat = structure.flat_specs(spec)
        with name_scope("GeneratorDataset"):
            arg_tensors = [convert_to_tensor(a, name=f"arg_{i}")
                           for i, a in enumerate(args or ())]

        def make(*arg_values):
            return _checked_elements(generator(*arg_values), spec, flat)
        variant = apply_op("GeneratorDataset", *arg_tensors, generator=make,
                           output_types=[s.dtype for s in flat],
                           output_shapes=[s.shape for s in flat])
        return Dataset(variant, spec)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None):
        """The file names matching `file_pattern` (a glob, or a vector of them), sorted, then
        shuffled unless `shuffle=False` (TF's default is to shuffle).

        Raises:
            At run time, InvalidArgumentError when nothing matches.
        """
        with name_scope("list_files"):
            pattern = convert_to_tensor(file_pattern, dtype=dtypes.string, name="file_pattern")
            files = io_ops.matching_files(pattern)
            found = check_ops.assert_greater(
                array_ops.shape(files, out_type=dtypes.int64)[0],
                convert_to_tensor(0, dtype=dtypes.int64),
                message="No files matched pattern: ", data=[pattern], name="assert_not_empty")
            with control_dependencies([found]):
                files = identity(files)
        ds = Dataset.from_tensor_slices(files)
        if shuffle is None or shuffle:
            with name_scope("list_files"):
                n = array_ops.shape(files, out_type=dtypes.int64)[0]
            ds = ds.shuffle(n, seed=seed)
        return ds

    # ----- functions -----------------------------------------------------------------------
    def _trace(self, func, transformation, convert=None, arg_specs=None):
        """The function graph of `func` over this dataset's elements. A dataset argument (a
        window) is traced as a variant placeholder and passed as a Dataset; a SparseTensor
        one as its three components, passed as a SparseTensor. A SparseTensor `func` returns
        becomes three outputs; `fg.element_spec` is the returned elements' spec."""
        spec = self._element_spec
        if arg_specs is None:
            arg_specs = list(spec) if type(spec) is tuple else [spec]
        traced = [structure.component_specs(nest.map_data(_traced_spec, s)) for s in arg_specs]
        returned = []

        def wrapper(*args):
            args = [nest.map_data(_as_argument, s, structure.pack_components(s, nest.flatten(a)))
                    for s, a in zip(arg_specs, args)]
            ret = func(*args)
            if isinstance(ret, list):
                warnings.warn("Converting a list returned from a tf.data function to a "
                              "tuple; return a tuple to silence this.", stacklevel=3)
                ret = tuple(ret)
            ret = (convert or structure.normalize)(ret)
            if convert is None:
                returned.append(structure.spec_of(ret))
                return structure.expand_components(ret)
            return ret
        fg = function_mod.trace(wrapper, traced, _function_name(transformation, func))
        fg.element_spec = returned[0] if returned else None
        return fg

    def _function_op(self, op_type, fg, *inputs, spec, attr="f"):
        variant = apply_op(op_type, self._variant_tensor, *inputs, *fg.external_captures,
                           control_inputs=fg.control_captures, **{attr: fg})
        return Dataset(variant, spec, self._options)

    def map(self, map_func, num_parallel_calls=None):
        """Applies `map_func` to each element (in parallel with `num_parallel_calls`; the
        output order stays the input order).

        Example:
            >>> Dataset.range(3).map(lambda x: x * 2)  # 0, 2, 4
        """
        fg = self._trace(map_func, "Dataset_map")
        spec = fg.element_spec
        if num_parallel_calls is None:
            return self._function_op("MapDataset", fg, spec=spec)
        with name_scope("ParallelMapDataset"):
            n = convert_to_tensor(num_parallel_calls, dtype=dtypes.int32,
                                  name="num_parallel_calls")
        return self._function_op("ParallelMapDataset", fg, n, spec=spec)

    def filter(self, predicate):
        """Keeps the elements for which `predicate` returns True.

        Raises:
            ValueError: `predicate` does not return a scalar bool tensor.
        """
        fg = self._trace(predicate, "Dataset_filter")
        out = fg.structured_outputs
        if not (isinstance(out, Tensor) and out.dtype is dtypes.bool
                and out.shape.is_compatible_with([])):
            raise ValueError(f"`predicate` return type must be convertible to a scalar boolean "
                             f"tensor. Was {nest.map_data(_spec_or_value, out)}.")
        return self._function_op("FilterDataset", fg, spec=self._element_spec,
                                 attr="predicate")

    def _dataset_fn(self, map_func, transformation):
        returned = []

        def convert(ret):
            if not isinstance(ret, Dataset):
                raise TypeError(f"`map_func` must return a `Dataset` object. Got "
                                f"{type(ret)}")
            returned.append(ret)
            return ret._variant_tensor
        fg = self._trace(map_func, transformation, convert)
        return fg, returned[0]._element_spec

    def flat_map(self, map_func):
        """Maps each element to a dataset and concatenates them."""
        fg, spec = self._dataset_fn(map_func, "Dataset_flat_map")
        return self._function_op("FlatMapDataset", fg, spec=spec)

    def interleave(self, map_func, cycle_length=AUTOTUNE, block_length=1,
                   num_parallel_calls=None):
        """Maps each element to a dataset; reads `cycle_length` of them round-robin,
        `block_length` elements at a time (TF's order; `num_parallel_calls` is accepted and
        the order is the same)."""
        del num_parallel_calls  # the deterministic order does not depend on it
        fg, spec = self._dataset_fn(map_func, "Dataset_interleave")
        with name_scope("InterleaveDataset"):
            c = _int64(cycle_length, "cycle_length")
            b = _int64(block_length, "block_length")
        return self._function_op("InterleaveDataset", fg, c, b, spec=spec)

    def apply(self, transformation_func):
        """`transformation_func(self)`, which must return a Dataset.

        Raises:
            TypeError: it returns something else.
        """
        ds = transformation_func(self)
        if not isinstance(ds, Dataset):
            raise TypeError("`transformation_func` must return a Dataset.")
        return ds

    def reduce(self, initial_state, reduce_func):
        """Folds the dataset: `state = reduce_func(state, element)` from `initial_state`;
        returns the final state's tensors (computed in one run, reading the whole dataset).

        The state's shapes are relaxed until `reduce_func` keeps them (TF's rule).

        Raises:
            TypeError: `reduce_func` returns another structure or other dtypes.

        Example:
            >>> Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)  # evaluates to 10
        """
        with name_scope("initial_state"):
            state = structure.normalize(initial_state)
        state_spec = structure.spec_of(state)
        while True:
            fg = self._trace(reduce_func, "Dataset_reduce",
                             arg_specs=[state_spec, self._element_spec])
            out = fg.structured_outputs
            try:
                nest.assert_same_data_structure(state_spec, out)
            except (TypeError, ValueError) as e:
                raise TypeError(f"The structure of the new state must match the initial "
                                f"state: {e}") from None
            new_spec = structure.spec_of(out)
            if not structure.same_types(state_spec, new_spec):
                raise TypeError(f"The element types for the new state must match the initial "
                                f"state. Expected {structure.types(state_spec)}; got "
                                f"{structure.types(new_spec)}.")
            relaxed = structure.most_specific_compatible(state_spec, new_spec)
            if structure.shapes(relaxed) == structure.shapes(state_spec):
                break
            state_spec = relaxed
        flat = structure.flat_specs(state_spec)
        outs = apply_op("ReduceDataset", self._variant_tensor, *nest.flatten_data(state),
                        *fg.external_captures, control_inputs=fg.control_captures, f=fg,
                        n_state=len(flat), output_types=[s.dtype for s in flat],
                        output_shapes=[s.shape for s in flat])
        outs = [outs] if isinstance(outs, Tensor) else list(outs)
        return nest.pack_data(state_spec, outs)

    # ----- batching ------------------------------------------------------------------------
    def _batched_spec(self, batch_size, drop_remainder, inner=None):
        n = None
        if _constant_value(drop_remainder) is not None and bool(
                _constant_value(drop_remainder)):
            value = _constant_value(batch_size)
            n = None if value is None else int(value)
        inner = self._element_spec if inner is None else inner
        return nest.map_data(lambda s: function_mod.TensorSpec(
            tensor_shape.TensorShape([n]).concatenate(s.shape), s.dtype), inner)

    def batch(self, batch_size, drop_remainder=False):
        """Stacks `batch_size` consecutive elements; the last batch may be smaller unless
        `drop_remainder`. The leading dimension is static only with a constant batch size
        and `drop_remainder=True`."""
        with name_scope("BatchDatasetV2"):
            size = _int64(batch_size, "batch_size")
            drop = _bool(drop_remainder, "drop_remainder")
        return self._op("BatchDatasetV2", size, drop,
                        spec=self._batched_spec(size, drop))

    def padded_batch(self, batch_size, padded_shapes, padding_values=None,
                     drop_remainder=False):
        """Batches elements of different shapes, padding each component to `padded_shapes`
        (a dimension of None/-1 pads to the longest in the batch) with `padding_values`
        (default 0, or b"" for strings).

        Raises:
            ValueError: a padded shape is incompatible with the component's shape.
        """
        flat = structure.flat_specs(self._element_spec)
        shape_list = structure._flatten_up_to(self._element_spec, padded_shapes) \
            if nest.is_nested(self._element_spec) else [padded_shapes]
        if len(shape_list) != len(flat):
            raise ValueError("`padded_shapes` must have the structure of the elements.")
        with name_scope("PaddedBatchDataset"):
            size = _int64(batch_size, "batch_size")
            drop = _bool(drop_remainder, "drop_remainder")
            shapes, static = [], []
            for i, (s, spec) in enumerate(zip(shape_list, flat)):
                if isinstance(s, Tensor):
                    shapes.append(s)
                    static.append(tensor_shape.unknown_shape(spec.shape.ndims))
                    continue
                if isinstance(s, (list, tuple)) and any(isinstance(d, Tensor) for d in s):
                    # TF packs such a list into a tensor; its constant dims stay static
                    dims = [d if isinstance(d, Tensor) else -1 if d is None else d for d in s]
                    shapes.append(array_ops.stack([convert_to_tensor(d, dtype=dtypes.int64)
                                                   for d in dims], name=f"padded_shape_{i}"))
                    static.append(tensor_shape.TensorShape(
                        [None if isinstance(d, Tensor) or d == -1 else d for d in dims]))
                    continue
                shape = tensor_shape.as_shape(s) if not isinstance(s, (list, tuple)) else \
                    tensor_shape.TensorShape([None if d is None or d == -1 else d for d in s])
                if not shape.is_compatible_with(spec.shape) and spec.shape.ndims is not None:
                    raise ValueError(f"The padded shape {shape} is not compatible with the "
                                     f"corresponding input component shape {spec.shape}.")
                static.append(shape)
                dims = [-1 if d is None else d for d in shape.as_list()]
                shapes.append(convert_to_tensor(np.asarray(dims, dtype=np.int64),
                                                name=f"padded_shape_{i}"))
            if padding_values is None:
                values = [convert_to_tensor(structure.padding_value(s.dtype),
                                            name=f"padding_value_{i}")
                          for i, s in enumerate(flat)]
            else:
                pv = nest.flatten_data(padding_values)
                values = [convert_to_tensor(v, dtype=s.dtype, name=f"padding_value_{i}")
                          for i, (v, s) in enumerate(zip(pv, flat))]
        inner = nest.pack_data(self._element_spec, [function_mod.TensorSpec(sh, s.dtype)
                                                    for sh, s in zip(static, flat)])
        return self._op("PaddedBatchDatasetV2", size, drop, *shapes, *values, n=len(flat),
                        spec=self._batched_spec(size, drop, inner))

    def unbatch(self):
        """Splits each element along its first dimension into that many elements."""
        spec = nest.map_data(lambda s: function_mod.TensorSpec(
            s.shape[1:] if s.shape.ndims else tensor_shape.unknown_shape(), s.dtype),
            self._element_spec)
        for s in structure.flat_specs(self._element_spec):
            if s.shape.ndims == 0:
                raise ValueError("Cannot unbatch an input with scalar components.")
        return self._op("UnbatchDataset", spec=spec)

    def window(self, size, shift=None, stride=1, drop_remainder=False):
        """Windows of `size` elements, each a structure of datasets (one per component).

        Args:
            size: int64 scalar, the number of elements of a window (> 0).
            shift: int64 scalar, the elements between the starts of two windows (> 0,
                default `size`).
            stride: int64 scalar, the step between the elements of a window (> 0).
            drop_remainder: drop the last windows when they have fewer than `size`
                elements (they are kept by default).

        Raises:
            At run time, InvalidArgumentError "Window size must be greater than zero." (or
            shift, stride).

        Example:
            >>> Dataset.range(5).window(2, 1).flat_map(lambda w: w.batch(2))
            ... # [0 1], [1 2], [2 3], [3 4], [4]
        """
        from flowexec.data import windowing

        return windowing.window(self, size, shift, stride, drop_remainder)

    # ----- order and counts ----------------------------------------------------------------
    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None):
        """Shuffles with a buffer of `buffer_size` elements (TF's algorithm: each output is
        drawn uniformly from the buffer, whose slot is refilled from the input).

        Args:
            buffer_size: int64 scalar; 1 keeps the order, the dataset size shuffles fully.
            seed: the op-level seed (with the graph seed, `tf.set_random_seed`, as every
                random op); none at all means a different order in every session.
            reshuffle_each_iteration: a new order in each pass (default True).
        """
        seed, seed2 = random_ops.get_seed(seed)
        with name_scope("ShuffleDataset"):
            size = _int64(buffer_size, "buffer_size")
            s1 = _int64(0 if seed is None else seed, "seed")
            s2 = _int64(0 if seed2 is None else seed2, "seed2")
        reshuffle = True if reshuffle_each_iteration is None else bool(
            reshuffle_each_iteration)
        return self._op("ShuffleDataset", size, s1, s2, reshuffle_each_iteration=reshuffle)

    def repeat(self, count=None):
        """Repeats the dataset `count` times (None or -1: forever)."""
        with name_scope("RepeatDataset"):
            c = _int64(-1 if count is None else count, "count")
        return self._op("RepeatDataset", c)

    def take(self, count):
        """The first `count` elements (-1: all)."""
        with name_scope("TakeDataset"):
            c = _int64(count, "count")
        return self._op("TakeDataset", c)

    def skip(self, count):
        """All but the first `count` elements (-1: none)."""
        with name_scope("SkipDataset"):
            c = _int64(count, "count")
        return self._op("SkipDataset", c)

    def shard(self, num_shards, index):
        """Every `num_shards`-th element, starting at `index`."""
        with name_scope("ShardDataset"):
            n = _int64(num_shards, "num_shards")
            i = _int64(index, "index")
        return self._op("ShardDataset", n, i)

    def prefetch(self, buffer_size):
        """Produces up to `buffer_size` elements ahead on a background thread, overlapping
        with the consumer's steps (AUTOTUNE: 2)."""
        with name_scope("PrefetchDataset"):
            b = _int64(buffer_size, "buffer_size")
        return self._op("PrefetchDataset", b)

    def cache(self, filename=""):
        """Records the first complete pass (in memory, or in the file `filename`) and
        replays it in later passes."""
        with name_scope("CacheDataset"):
            f = convert_to_tensor(filename, dtype=dtypes.string, name="filename")
        return self._op("CacheDataset", f)

    def concatenate(self, dataset):
        """This dataset's elements, then `dataset`'s.

        Raises:
            TypeError: the element structures or types differ.
        """
        if not structure.same_types(self._element_spec, dataset._element_spec):
            raise TypeError(f"Two datasets to concatenate have different types "
                            f"{self.output_types} and {dataset.output_types}")
        spec = structure.most_specific_compatible(self._element_spec, dataset._element_spec)
        variant = apply_op("ConcatenateDataset", self._variant_tensor, dataset._variant_tensor)
        return Dataset(variant, spec, _merged([self._options, dataset._options]))

    def enumerate(self, start=0):
        """(index, element) pairs, the index an int64 counting from `start`."""
        return Dataset.zip((Dataset.range(start, _INT64_MAX), self))

    # ----- options -------------------------------------------------------------------------
    def options(self):
        """The `tf.data.Options` this dataset carries (merged along the pipeline)."""
        return self._options if self._options is not None else options_mod.Options()

    def with_options(self, options):
        """This dataset with `options` merged into its options (see `tf.data.Options`).

        Raises:
            TypeError: `options` is not a `tf.data.Options`.
        """
        if not isinstance(options, options_mod.Options):
            raise TypeError(f"`options` must be a tf.data.Options, got {type(options)}")
        merged = self.options().merge(options)
        variant = apply_op("OptionsDataset", self._variant_tensor, options=merged._runtime())
        return Dataset(variant, self._element_spec, merged)

    # ----- iterators -----------------------------------------------------------------------
    def make_one_shot_iterator(self):
        """An iterator that initializes itself on first use in each session.

        Raises:
            ValueError: the dataset depends on a placeholder or captures a variable (TF:
                use `make_initializable_iterator` then).
        """
        from flowexec.data import iterator

        return iterator.one_shot(self)

    def make_initializable_iterator(self, shared_name=None):
        """An iterator whose `initializer` op (re)starts it on this dataset."""
        from flowexec.data import iterator

        return iterator.initializable(self, shared_name)


def _traced_spec(spec):
    if isinstance(spec, DatasetSpec):
        return function_mod.TensorSpec([], dtypes.variant)
    return spec


def _as_argument(spec, value):
    if isinstance(spec, DatasetSpec):
        return Dataset(value, spec.element_spec)
    return value


def _merged(options_list):
    present = [o for o in options_list if o is not None]
    if not present:
        return None
    out = present[0]
    for o in present[1:]:
        out = out.merge(o)
    return out


def _spec_or_value(x):
    return function_mod.TensorSpec(x.shape, x.dtype) if isinstance(x, Tensor) else x


def _checked_elements(values, spec, flat):
    """from_generator's elements, flattened, converted and checked as TF does."""
    for value in values:
        try:
            parts = nest.flatten_data(value) if nest.is_nested(spec) and not isinstance(
                spec, list) else [value]
            if nest.is_nested(spec):
                nest.assert_same_data_structure(spec, value, check_types=False)
        except (TypeError, ValueError):
            raise TypeError(
                f"`generator` yielded an element that did not match the expected structure. "
                f"The expected structure was {structure.types(spec)}, but the yielded "
                f"element was {value}.") from None
        out = []
        for v, s in zip(parts, flat):
            try:
                arr = np.asarray(v, dtype=object) if s.dtype is dtypes.string else \
                    np.asarray(v, dtype=s.dtype.np)
            except (TypeError, ValueError, OverflowError):
                raise TypeError(f"`generator` yielded an element that could not be converted "
                                f"to the expected type. The expected type was "
                                f"{s.dtype.name}, but the yielded element was {v}.") from None
            if not s.shape.is_compatible_with(arr.shape):
                raise ValueError(f"`generator` yielded an element of shape {arr.shape} where "
                                 f"an element of shape {s.shape} was expected.")
            out.append(arr)
        yield tuple(out)
