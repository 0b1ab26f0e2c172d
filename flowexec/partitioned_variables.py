"""Partitioned variables: one logical variable stored as several shard Variables (TF 1.x).

`tf.get_variable(name, shape, partitioner=p)` (or a `variable_scope(partitioner=p)`) calls
`p(shape=TensorShape, dtype=DType)` for the number of shards per axis (at most one axis may
have more than one), creates the shards "name/part_0", "name/part_1", ... as ordinary
Variables (the first `size % n` shards one row larger, as TF slices), each with a
`SaveSliceInfo` that says where it lies in the full tensor, and returns a
`PartitionedVariable` over them:

- iterating it gives the shards (what `tf.nn.embedding_lookup` takes, with 'mod' or 'div');
- converting it to a Tensor (`tf.convert_to_tensor`, `as_tensor`, using it in an op) is the
  concat of the shards along the partitioned axis, named like the variable ("emb:0");
- each shard is in GLOBAL_VARIABLES / TRAINABLE_VARIABLES, so optimizers train the shards
  (one gradient per shard) and `tf.train.Saver` saves them as slices of one checkpoint
  tensor, as TF does, restorable into any other partitioning or none.

An initializer is called once per shard with the shard's shape and a `partition_info`
(full shape and offset), so Glorot and the variance-scaling initializers scale by the full
shape as in TF; a Tensor or value initializer is sliced per shard.

Graph construction is not thread-safe (as in TensorFlow).
"""

import collections.abc
import math

from flowexec.framework import dtypes
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import convert_to_tensor, register_tensor_conversion_function
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape, as_shape, dimension_value
from flowexec.framework.tensor_slice import SaveSliceInfo
from flowexec.ops import array_ops, constant_op

__all__ = ["PartitionedVariable", "create_partitioned_variables", "fixed_size_partitioner",
           "min_max_variable_partitioner", "variable_axis_size_partitioner"]


# ----- partitioners ------------------------------------------------------------------------
def variable_axis_size_partitioner(max_shard_bytes, axis=0, bytes_per_string_element=16,
                                   max_shards=None):
    """A partitioner that keeps each shard below `max_shard_bytes` along `axis`.

    When one slice along `axis` alone is larger, every slice becomes a shard; `max_shards`
    caps the count (then shards may be larger).

    Args:
        max_shard_bytes: the largest shard size wanted, in bytes.
        axis: the axis to partition along (default the outermost).
        bytes_per_string_element: the assumed size of one string element.
        max_shards: an upper bound on the number of shards.

    Returns:
        `partitioner(shape, dtype) -> list of shard counts per axis`.

    Raises:
        ValueError: a byte count or `max_shards` is not positive.

    Example:
        >>> p = tf.variable_axis_size_partitioner(40)
        >>> p(shape=tf.TensorShape([20, 3]), dtype=tf.float32)
        [7, 1]
    """
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError(
            "Both max_shard_bytes and bytes_per_string_element must be positive. "
            f"Currently, max_shard_bytes is {max_shard_bytes} and"
            f"bytes_per_string_element is {bytes_per_string_element}")
    if max_shards and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def _partitioner(shape, dtype):
        if not isinstance(shape, TensorShape):
            raise ValueError(f"shape is not a TensorShape: {shape}")
        if not shape.is_fully_defined():
            raise ValueError(f"shape is not fully defined: {shape}")
        dtype = dtypes.as_dtype(dtype)
        element_size = (bytes_per_string_element if dtype.base_dtype == dtypes.string
                        else dtype.size)
        partitions = [1] * shape.ndims
        bytes_per_slice = 1.0 * (shape.num_elements() / dimension_value(shape[axis])) * element_size
        slices_per_shard = max(1, math.floor(max_shard_bytes / bytes_per_slice))
        axis_shards = int(math.ceil(1.0 * dimension_value(shape[axis]) / slices_per_shard))
        if max_shards:
            axis_shards = min(max_shards, axis_shards)
        partitions[axis] = axis_shards
        return partitions

    return _partitioner


def min_max_variable_partitioner(max_partitions=1, axis=0, min_slice_size=256 << 10,
                                 bytes_per_string_element=16):
    """A partitioner that gives each shard at least `min_slice_size` bytes, in at most
    `max_partitions` shards along `axis`.

    Args:
        max_partitions: the most shards (default 1).
        axis: the axis to partition along (default 0).
        min_slice_size: the least bytes per shard (default 256K).
        bytes_per_string_element: the assumed size of one string element.

    Returns:
        `partitioner(shape, dtype) -> list of shard counts per axis`.

    Example:
        >>> p = tf.min_max_variable_partitioner(max_partitions=4, min_slice_size=64)
        >>> p(shape=tf.TensorShape([10, 8]), dtype=tf.float32)
        [4, 1]
    """
    def _partitioner(shape, dtype):
        if axis >= len(shape):
            raise ValueError(f"Cannot partition variable along axis {axis} when shape is "
                             f"only {shape}")
        dtype = dtypes.as_dtype(dtype)
        bytes_per_element = (bytes_per_string_element if dtype.base_dtype == dtypes.string
                             else dtype.size)
        total_size_bytes = shape.num_elements() * bytes_per_element
        partitions = total_size_bytes / min_slice_size
        partitions_list = [1] * len(shape)
        partitions_list[axis] = max(1, min(dimension_value(shape[axis]), max_partitions,
                                           int(math.ceil(partitions))))
        return partitions_list

    return _partitioner


def fixed_size_partitioner(num_shards, axis=0):
    """A partitioner of `num_shards` shards along `axis` (fewer when the axis is shorter).

    Example:
        >>> emb = tf.get_variable("emb", [7, 3], partitioner=tf.fixed_size_partitioner(3))
        >>> [v.name for v in emb]
        ['emb/part_0:0', 'emb/part_1:0', 'emb/part_2:0']
    """
    def _partitioner(shape, **unused_args):
        partitions_list = [1] * len(shape)
        partitions_list[axis] = min(num_shards, dimension_value(shape[axis]))
        return partitions_list

    return _partitioner


# ----- the container -----------------------------------------------------------------------
class _PartitionInfo:
    """What an initializer is told about the shard it initializes: the full shape and the
    shard's offset in it (TF's `partition_info`)."""

    __slots__ = ("_full_shape", "_var_offset")

    def __init__(self, full_shape, var_offset):
        if not isinstance(full_shape, (list, tuple)):
            raise TypeError("`full_shape` must be a sequence (like tuple or list) instead of "
                            + type(full_shape).__name__)
        if not isinstance(var_offset, (list, tuple)):
            raise TypeError("`var_offset` must be a sequence (like tuple or list) instead of "
                            + type(var_offset).__name__)
        if len(var_offset) != len(full_shape):
            raise ValueError(f"Expected equal length, but `var_offset` is of length "
                             f"{len(var_offset)} while full_shape is of length "
                             f"{len(full_shape)}.")
        for offset, shape in zip(var_offset, full_shape):
            if offset < 0 or offset >= shape:
                raise ValueError(f"Expected 0 <= offset < shape but found offset={offset}, "
                                 f"shape={shape} for var_offset={var_offset}, "
                                 f"full_shape={full_shape}")
        self._full_shape = full_shape
        self._var_offset = var_offset

    @property
    def full_shape(self):
        return self._full_shape

    @property
    def var_offset(self):
        return self._var_offset

    def single_slice_dim(self, shape):
        """The one dimension the shard of `shape` is cut along, or None if it is whole."""
        if not isinstance(shape, (tuple, list)):
            raise TypeError("`shape` must be a sequence (like tuple or list) instead of "
                            + type(shape).__name__)
        if len(shape) != len(self.full_shape):
            raise ValueError(f"Expected equal length, but received shape={shape} of length "
                             f"{len(shape)} while self.full_shape={self.full_shape} is of "
                             f"length {len(self.full_shape)}.")
        slice_dim = None
        for i in range(len(shape)):
            if self.var_offset[i] + shape[i] > self.full_shape[i]:
                raise ValueError(f"With self.var_offset={self.var_offset}, a partition of "
                                 f"shape={shape} would exceed self.full_shape="
                                 f"{self.full_shape} in dimension {i}.")
            if shape[i] < self.full_shape[i]:
                if slice_dim is not None:
                    raise ValueError(f"Cannot use single_slice_dim() with shape={shape} and "
                                     f"self.full_shape={self.full_shape} since slice dim "
                                     f"could be either dimension {slice_dim} or {i}.")
                slice_dim = i
        return slice_dim

    def single_offset(self, shape):
        """The shard's offset along its slice dimension (0 when it is whole)."""
        dim = self.single_slice_dim(shape)
        return 0 if dim is None else self.var_offset[dim]


class PartitionedVariable:
    """A variable stored as shard Variables (TF's `PartitionedVariable`).

    Made by `tf.get_variable(..., partitioner=...)`. Iterating gives the shards in offset
    order; converting to a Tensor concatenates them.

    Args:
        name: the full variable's name (its checkpoint name).
        shape: its full shape.
        dtype: its dtype.
        variable_list: the shard Variables, each with a save_slice_info.
        partitions: the number of shards per axis.

    Raises:
        TypeError: `variable_list` or `partitions` is not a list or tuple.
        ValueError: no shards, a shard without save_slice_info or of another full shape,
            or a partition count below 1.

    Example:
        >>> emb = tf.get_variable("emb", [7, 3], partitioner=tf.fixed_size_partitioner(3))
        >>> [v.get_shape().as_list() for v in emb]
        [[3, 3], [2, 3], [2, 3]]
        >>> tf.convert_to_tensor(emb).name
        'emb:0'
    """

    def __init__(self, name, shape, dtype, variable_list, partitions):
        if not isinstance(variable_list, (list, tuple)):
            raise TypeError(f"variable_list is not a list or tuple: {variable_list}")
        if not isinstance(partitions, (list, tuple)):
            raise TypeError(f"partitions is not a list or tuple: {partitions}")
        if not all(p >= 1 for p in partitions):
            raise ValueError(f"partition values must be positive: {partitions}")
        if not variable_list:
            raise ValueError("variable_list may not be empty")
        for v in variable_list:
            if not all(v._get_save_slice_info() is not None for v in variable_list):
                raise ValueError("All variables must have a save_slice_info available: "
                                 f"{[v.name for v in variable_list]}")
            if len(shape) != len(partitions):
                raise ValueError(f"len(shape) != len(partitions): {shape} vs. {partitions}")
            if v._get_save_slice_info().full_shape != list(shape):
                raise ValueError(f"All variables' full shapes must match shape: {shape}; but "
                                 f"full shapes were: {[v._get_save_slice_info().full_shape]}")
        self._variable_list = sorted(variable_list,
                                     key=lambda v: v._get_save_slice_info().var_offset)
        self._name = name
        self._shape = as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._partitions = list(partitions)

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self):
        axes = self._partition_axes()
        if len(axes) > 1:
            raise ValueError(f"Cannot get a length for {len(axes)} > 1 partition axes")
        return len(self._variable_list)

    def _partition_axes(self):
        if all(p == 1 for p in self._partitions):
            return [0]
        return [i for i, p in enumerate(self._partitions) if p > 1]

    def _concat(self):
        graph = self._variable_list[0].graph
        with graph.as_default():
            if len(self._variable_list) == 1:
                with graph.name_scope(None):
                    return constant_op.identity(self._variable_list[0], name=self._name)
            axes = self._partition_axes()
            if len(axes) > 1:
                raise NotImplementedError(
                    f"Cannot concatenate along more than one dimension: {axes}.  Multi-axis "
                    "partition concat is not supported")
            with graph.name_scope(self._name + "/ConcatPartitions/"):
                concatenated = array_ops.concat(
                    [v.value() for v in self._variable_list], axes[0])
            with graph.name_scope(None):
                return constant_op.identity(concatenated, name=self._name)

    def as_tensor(self):
        """The full value: the shards concatenated (a new op each call, outside any control
        dependencies, as reading a Variable is)."""
        with self._variable_list[0].graph.control_dependencies(None):
            return self._concat()

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def shape(self):
        return self._shape

    def get_shape(self):
        return self._shape

    @property
    def graph(self):
        return self._variable_list[0].graph

    def _get_variable_list(self):
        return self._variable_list

    def _get_partitions(self):
        return self._partitions

    def _apply_assign_fn(self, assign_fn, value):
        axes = self._partition_axes()
        if len(axes) > 1:
            raise NotImplementedError(
                f"Cannot do assign action along more than one dimension: {axes}.  "
                "Multi-axis partition assign action is not supported ")
        if isinstance(value, list):
            if len(value) != len(self._variable_list):
                raise ValueError(f"Assigning {len(value)} values to a PartitionedVariable of "
                                 f"{len(self._variable_list)} shards")
            value_list = value
        elif isinstance(value, PartitionedVariable):
            value_list = list(value)
        else:
            sizes = [dimension_value(v.shape[axes[0]]) for v in self._variable_list]
            with self.graph.as_default():
                value_list = array_ops.split(value, sizes, axis=axes[0])
        return [assign_fn(v, value_list[i]) for i, v in enumerate(self._variable_list)]

    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Assigns `value` (a full value, split along the partitioned axis, or a list of
        per-shard values); returns the shards' assign results."""
        return self._apply_assign_fn(
            lambda v, x: v.assign(x, use_locking=use_locking, name=name,
                                  read_value=read_value), value)

    def assign_add(self, value, use_locking=False, name=None, read_value=True):
        """Adds `value` shard by shard; returns the shards' results."""
        return self._apply_assign_fn(
            lambda v, x: v.assign_add(x, use_locking=use_locking, name=name,
                                      read_value=read_value), value)

    def assign_sub(self, value, use_locking=False, name=None, read_value=True):
        """Subtracts `value` shard by shard; returns the shards' results."""
        return self._apply_assign_fn(
            lambda v, x: v.assign_sub(x, use_locking=use_locking, name=name,
                                      read_value=read_value), value)

    def __repr__(self):
        return (f"<tf.PartitionedVariable '{self._name}' shape={self._shape} "
                f"dtype={self._dtype.name} partitions={self._partitions}>")


def _to_tensor(v, dtype=None, name=None, as_ref=False):
    if dtype is not None and not dtypes.as_dtype(dtype).is_compatible_with(v.dtype):
        raise ValueError(
            f"Incompatible type conversion requested to type '{dtypes.as_dtype(dtype).name}' "
            f"for variable of type '{v.dtype.name}'")
    if as_ref:
        raise NotImplementedError(
            "PartitionedVariable doesn't support being used as a reference.")
    return v.as_tensor()


register_tensor_conversion_function(PartitionedVariable, _to_tensor)


# ----- creation (called by the variable store) --------------------------------------------
def call_partitioner(partitioner, shape, dtype):
    """The validated shard counts `partitioner` returns for a new variable (TF's checks)."""
    if not shape.is_fully_defined():
        raise ValueError("Shape of a new partitioned variable must be fully defined, but "
                         f"instead was {shape}.")
    if shape.ndims < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1, shape: {shape}")
    slicing = partitioner(shape=shape, dtype=dtype)
    if not isinstance(slicing, collections.abc.Sequence):
        raise ValueError(f"Partitioner must return a sequence, but saw: {slicing}")
    if len(slicing) != shape.ndims:
        raise ValueError("Partitioner returned a partition list that does not match the "
                         f"Variable's rank: {slicing} vs. {shape}")
    if any(p < 1 for p in slicing):
        raise ValueError(f"Partitioner returned zero partitions for some axes: {slicing}")
    if sum(p > 1 for p in slicing) > 1:
        raise ValueError("Can only slice a variable along one dimension: shape: "
                         f"{shape}, partitioning: {slicing}")
    return list(slicing)


def _slice_dim_and_num_slices(slicing):
    for slice_dim, num_slices in enumerate(slicing):
        if num_slices > 1:
            return slice_dim, num_slices
    return 0, 1


def _iter_slices(full_shape, num_slices, slice_dim):
    """(offset, shape) of each shard: the first `size % n` shards one larger (TF's)."""
    with_excess = full_shape[slice_dim] % num_slices
    offset = [0] * len(full_shape)
    min_len = full_shape[slice_dim] // num_slices
    for i in range(num_slices):
        shape = full_shape[:]
        shape[slice_dim] = min_len + (1 if i < with_excess else 0)
        yield offset[:], shape
        offset[slice_dim] += shape[slice_dim]


def get_partitioned_variable(store, name, partitioner, shape=None, dtype=dtypes.float32,
                             initializer=None, reuse=None, **kwargs):
    """Gets or creates the PartitionedVariable `name` in `store` (a `_VariableStore`), as
    TF's `_VariableStore._get_partitioned_variable`; `kwargs` go to each shard."""
    from flowexec.variable_scope import _default_initializer

    dtype = dtypes.as_dtype(dtype)
    initializing_from_value = initializer is not None and isinstance(initializer, Tensor)
    if name in store._vars:
        raise ValueError(
            "A partitioner was provided, but an unpartitioned version of the variable was "
            f"found: {name}.  Perhaps a variable of the same name was already created "
            "without partitioning?")
    shape = as_shape(shape)
    if initializing_from_value:
        shape = shape.merge_with(initializer.get_shape())
    partitions = None
    if not reuse or partitioner:
        partitions = call_partitioner(partitioner, shape, dtype)
    if name in store._partitioned_vars:
        if reuse is False:
            raise ValueError(f"Partitioned variable with name {name} already exists. Did you "
                             "mean to set reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
        existing = store._partitioned_vars[name]
        if not shape.is_compatible_with(existing.get_shape()):
            raise ValueError(f"Trying to reuse partitioned variable {name}, but specified "
                             f"shape {shape} and found shape {existing.get_shape()}.")
        if not dtype.is_compatible_with(existing.dtype):
            raise ValueError(f"Trying to reuse partitioned variable {name}, but specified "
                             f"dtype {dtype.name} and found dtype {existing.dtype.name}.")
        if partitions is not None and existing._get_partitions() != partitions:
            raise ValueError(f"Trying to reuse partitioned variable {name}, but specified "
                             f"partitions {partitions} and found partitions "
                             f"{existing._get_partitions()}.")
        return existing
    if reuse is True:
        raise ValueError(f"PartitionedVariable {name} does not exist, or was not created "
                         "with tf.get_variable(). Did you mean to set reuse=False or "
                         "reuse=tf.AUTO_REUSE in VarScope?")
    slice_dim, num_slices = _slice_dim_and_num_slices(partitions)
    if f"{name}/part_0" in store._vars:
        if f"{name}/part_{num_slices - 1}" not in store._vars:
            raise ValueError(
                "Partitioner returned a different partitioning than what was already found.  "
                f"Partitioner returned {num_slices} shards, and shard {name}/part_0 was "
                f"found, but {name}/part_{num_slices - 1} was not.")
        if f"{name}/part_{num_slices}" in store._vars:
            raise ValueError(
                "Partitioner returned a different partitioning than what was already found.  "
                f"Partitioner returned {num_slices} shards, and shard {name}/part_0 was "
                f"found, but so was the extra shard {name}/part_{num_slices}.")
    graph = graph_mod.get_default_graph()
    shards = []
    for i, (var_offset, var_shape) in enumerate(
            _iter_slices(shape.as_list(), num_slices, slice_dim)):
        partition_info = _PartitionInfo(full_shape=shape.as_list(), var_offset=var_offset)
        var_full_name = f"{name}/part_{i}"
        init_dtype = dtype
        with graph.name_scope(var_full_name + "/PartitionedInitializer"):
            if initializer is None:
                init, from_value = _default_initializer(name, dtype)
                init_shape = None if from_value else var_shape
            elif callable(initializer):
                init, init_shape = initializer, var_shape
            elif isinstance(initializer, Tensor):
                init = array_ops.slice(initializer, var_offset, var_shape)
                init_dtype = init.dtype.base_dtype
                init_shape = None
            else:
                init = convert_to_tensor(initializer, dtype=dtype)
                init = array_ops.slice(init, var_offset, var_shape)
                init_shape = None
        with graph.name_scope(None):
            var = store._get_single_variable(
                var_full_name, shape=init_shape, dtype=init_dtype, initializer=init,
                partition_info=partition_info, reuse=reuse, **kwargs)
        dtype = init_dtype
        var._set_save_slice_info(SaveSliceInfo(name, shape.as_list(), var_offset, var_shape))
        shards.append(var)
    partitioned = PartitionedVariable(name=name, shape=shape.as_list(), dtype=dtype,
                                      variable_list=shards, partitions=partitions)
    store._partitioned_vars[name] = partitioned
    return partitioned


def create_partitioned_variables(shape, slicing, initializer, dtype=dtypes.float32,
                                 trainable=True, collections=None, name=None, reuse=None):
    """Deprecated: a list of shard Variables of a variable of `shape` cut as `slicing`
    (use `tf.get_variable` with a partitioner).

    Args:
        shape: the full shape (a list of ints).
        slicing: the number of shards per axis (only one may exceed 1).
        initializer: a Tensor of the full shape, or an initializer called per shard.
        dtype: the variables' dtype (ignored for a Tensor initializer).
        trainable: also add the shards to TRAINABLE_VARIABLES.
        collections: their collections (default GLOBAL_VARIABLES).
        name: the full variable's name (default "PartitionedVariable", made unique).
        reuse: reuse existing shards of that name.

    Returns:
        The shard Variables, in order.

    Raises:
        ValueError: `shape` and `slicing` of different lengths, or a scalar shape.

    Example:
        >>> parts = tf.create_partitioned_variables([5, 2], [2, 1], tf.zeros_initializer())
        >>> [v.name for v in parts]
        ['PartitionedVariable/part_0:0', 'PartitionedVariable/part_1:0']
    """
    from flowexec.variable_scope import _get_default_variable_store, variable_scope

    if len(shape) != len(slicing):
        raise ValueError("The 'shape' and 'slicing' of a partitioned Variable must have the "
                         f"length: shape: {shape}, slicing: {slicing}")
    if len(shape) < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1: shape: {shape}")
    with variable_scope(name, "PartitionedVariable", reuse=reuse) as scope:
        if scope.custom_getter is not None:
            raise ValueError(
                "Private access to _get_partitioned_variable is not allowed when a custom "
                f"getter is set.  Current custom getter: {scope.custom_getter}.  It is likely "
                "that you're using create_partitioned_variables.  If so, consider instead "
                "using get_variable with a non-empty partitioner parameter instead.")
        store = _get_default_variable_store()
        with graph_mod.get_default_graph().name_scope(None):
            pv = get_partitioned_variable(
                store, scope.name, lambda **unused: slicing, shape=shape, dtype=dtype,
                initializer=initializer if initializer is not None else scope.initializer,
                reuse=scope.reuse, trainable=trainable, collections=collections)
    return list(pv)
