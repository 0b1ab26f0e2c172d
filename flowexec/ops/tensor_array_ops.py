"""`tf.TensorArray`: TF 1.x's API and run-time checks over TensorList ops (list_ops.py).

A TensorArray is a Python object around one scalar `variant` tensor, its `flow`: a list
value (tensor_list_value.py) that each write replaces, as TF 2's graph TensorArray does.
`handle` is that same tensor (TF 1.x's was a resource beside the flow). The list carries
TF 1.x's checks, made by the kernels with TF 1.x's messages (InvalidArgumentError): reading
an index never written (zeros when the element shape is known), writing an index twice,
an index out of range without `dynamic_size`, reading an index twice with
`clear_after_read`, an element shape that differs from the inferred one.

Every method returns results and never changes the array in place, except that a write
returns a new TensorArray (use it: `ta = ta.write(i, x)`). TensorArrays may be loop
variables of `tf.while_loop` (their flows are), and they are differentiable: the gradient
of a list is a list, so `tf.gradients` through reads, writes, stack/unstack, gather/scatter
and concat/split gives the written tensors' gradients.
"""

from flowexec.framework import dtypes
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.graph import name_scope
from flowexec.framework.registry import apply_op
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import list_ops

_COUNTER = [0]


def _unique_name():
    n = _COUNTER[0]
    _COUNTER[0] += 1
    return f"TensorArray_{n}"


class TensorArray:
    """A list of tensors of one dtype, written and read by index inside a graph.

    Args:
        dtype: the elements' dtype.
        size: the (initial) number of elements (an int32 scalar); required unless `flow`
            or `handle` is given.
        dynamic_size: writes past the end grow the array (default False).
        clear_after_read: a read frees its element, so a second read of it is an error
            (default True).
        tensor_array_name: the array's name in error messages.
        handle, flow: build this object around an existing list tensor (another
            TensorArray's `flow`); then `size`, `element_shape` etc. must not be given.
        infer_shape: the first write fixes the element shape; others must match (default
            True).
        element_shape: the elements' (partial) shape.
        colocate_with_first_write_call: accepted (the list lives on the host).
        name: name scope of the ops.

    Raises:
        ValueError: TF 1.x's argument errors (both a handle and a size, no size, ...);
            a write whose static shape differs from the inferred element shape.
        TypeError: `handle` not a Tensor; a write of another dtype.

    Example:
        >>> ta = tf.TensorArray(tf.float32, size=3)
        >>> ta = ta.write(0, 1.).write(1, 2.).write(2, 3.)
        >>> ta.stack()  # [1., 2., 3.]
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        del colocate_with_first_write_call
        if handle is not None and tensor_array_name:
            raise ValueError("Cannot construct with both handle and tensor_array_name")
        if handle is not None and not isinstance(handle, Tensor):
            raise TypeError("Handle must be a Tensor")
        if handle is None and flow is None and size is None:
            raise ValueError("Size must be provided if handle is not provided")
        if (handle is not None or flow is not None) and size is not None:
            raise ValueError("Cannot provide both a handle and size at the same time")
        if (handle is not None or flow is not None) and element_shape is not None:
            raise ValueError("Cannot provide both a handle and element_shape at the same time")
        if (handle is not None or flow is not None) and dynamic_size is not None:
            raise ValueError("Cannot provide both a handle and dynamic_size at the same time")
        if (handle is not None or flow is not None) and clear_after_read is not None:
            raise ValueError("Cannot provide both a handle and clear_after_read at the same "
                             "time")
        self._dtype = dtypes.as_dtype(dtype).base_dtype
        self._dynamic_size = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._infer_shape = bool(infer_shape)
        self._element_shape = TensorShape(element_shape)
        self._name = tensor_array_name
        if flow is None:
            flow = handle
        if flow is not None:
            if flow.dtype is not dtypes.variant:
                raise TypeError(f"flow must be a variant (list) tensor, got {flow.dtype.name}")
            self._flow = flow
            return
        with name_scope(name, "TensorArray", [size]) as scope:
            self._name = tensor_array_name or _unique_name()
            size = size if isinstance(size, Tensor) else convert_to_tensor(
                size, dtype=dtypes.int32, name="size")
            reserved = list_ops.tensor_list_reserve(self._element_shape, size, self._dtype)
            self._flow = apply_op("TensorArrayList", reserved, name=scope,
                                  **self._semantics())

    def _semantics(self, aggregate=False):
        return dict(tensor_array_name=self._name or "TensorArray", dynamic_size=self._dynamic_size,
                    clear_after_read=self._clear_after_read, infer_shape=self._infer_shape,
                    multiple_writes_aggregate=aggregate)

    def _with_flow(self, flow, element_shape=None):
        ta = TensorArray.__new__(TensorArray)
        ta.__dict__.update(self.__dict__)
        ta._flow = flow
        if element_shape is not None:
            ta._element_shape = element_shape
        return ta

    # ----- properties -----
    @property
    def flow(self):
        """The list tensor (variant) that this array's ops read and writes replace."""
        return self._flow

    @property
    def handle(self):
        """The same list tensor as `flow` (TF 1.x's resource handle has no counterpart)."""
        return self._flow

    @property
    def dtype(self):
        return self._dtype

    @property
    def element_shape(self):
        """The static element shape known so far (a TensorShape)."""
        return self._element_shape

    @property
    def dynamic_size(self):
        return self._dynamic_size

    def _merged_shape(self, shape):
        if not self._infer_shape:
            return self._element_shape
        if not self._element_shape.is_compatible_with(shape):
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected "
                             f"{self._element_shape} (and infer_shape=True)")
        return self._element_shape.merge_with(shape)

    def _value(self, value, what="value"):
        value = value if isinstance(value, Tensor) else convert_to_tensor(
            value, dtype=self._dtype, name=what)
        if value.dtype.base_dtype is not self._dtype:
            raise TypeError(f"TensorArray {self._name}: Could not write to TensorArray because "
                            f"the value dtype is {value.dtype.name} but TensorArray dtype is "
                            f"{self._dtype.name}.")
        return value

    def _index(self, index, name="index"):
        return index if isinstance(index, Tensor) else convert_to_tensor(
            index, dtype=dtypes.int32, name=name)

    # ----- reading -----
    def read(self, index, name=None):
        """The element at `index` (zeros if never written and the shape is known)."""
        with name_scope(name, "TensorArrayRead", [self._flow, index]) as scope:
            return list_ops.tensor_list_get_item(self._flow, self._index(index), self._dtype,
                                                 self._element_shape, name=scope)

    def gather(self, indices, name=None):
        """The elements at `indices`, stacked along a new first dimension."""
        with name_scope(name, "TensorArrayGather", [self._flow, indices]) as scope:
            return list_ops.tensor_list_gather(self._flow, self._index(indices, "indices"),
                                               self._dtype, self._element_shape, name=scope)

    def stack(self, name=None):
        """All elements stacked along a new first dimension."""
        with name_scope(name, "TensorArrayStack", [self._flow]) as scope:
            return list_ops.tensor_list_stack(self._flow, self._dtype,
                                              element_shape=self._element_shape, name=scope)

    def concat(self, name=None):
        """All elements concatenated along their first dimension."""
        with name_scope(name, "TensorArrayConcat", [self._flow]) as scope:
            return list_ops.tensor_list_concat(self._flow, self._dtype, self._element_shape,
                                               name=scope)

    def size(self, name=None):
        """The number of elements (int32 scalar)."""
        with name_scope(name, "TensorArraySize", [self._flow]) as scope:
            return list_ops.tensor_list_length(self._flow, name=scope)

    # ----- writing (each returns a new TensorArray) -----
    def write(self, index, value, name=None):
        """A TensorArray with `value` written at `index`."""
        with name_scope(name, "TensorArrayWrite", [self._flow, index, value]) as scope:
            value = self._value(value)
            shape = self._merged_shape(value.shape)
            flow = list_ops.tensor_list_set_item(self._flow, self._index(index), value,
                                                 name=scope)
            return self._with_flow(flow, shape)

    def scatter(self, indices, value, name=None):
        """A TensorArray with the rows of `value` written at `indices`."""
        with name_scope(name, "TensorArrayScatter", [self._flow, indices, value]) as scope:
            value = self._value(value)
            shape = self._merged_shape(value.shape[1:]) if value.shape.ndims else \
                self._element_shape
            flow = list_ops.tensor_list_scatter(value, self._index(indices, "indices"),
                                                input_handle=self._flow, name=scope)
            return self._with_flow(flow, shape)

    def unstack(self, value, name=None):
        """A TensorArray with row i of `value` written at index i."""
        with name_scope(name, "TensorArrayUnstack", [self._flow, value]):
            value = self._value(value)
            from flowexec.ops import array_ops

            n = array_ops.shape(value, out_type=dtypes.int32)[0]
            return self.scatter(array_ops.range(n), value, name="TensorArrayScatter")

    def split(self, value, lengths, name=None):
        """A TensorArray whose element i is the next `lengths[i]` rows of `value`."""
        with name_scope(name, "TensorArraySplit", [self._flow, value, lengths]) as scope:
            value = self._value(value)
            lengths = lengths if isinstance(lengths, Tensor) else convert_to_tensor(
                lengths, dtype=dtypes.int64, name="lengths")
            shape = self._element_shape
            if value.shape.ndims is not None:
                piece = TensorShape([None]).concatenate(value.shape[1:])
                shape = self._merged_shape(piece)
            pieces = list_ops.tensor_list_split(value, shape, lengths)
            flow = apply_op("TensorArrayList", pieces, name=scope, **self._semantics())
            return self._with_flow(flow, shape)

    # ----- the rest of TF 1.x's API -----
    def identity(self):
        """A TensorArray over an Identity of the flow (for control dependencies)."""
        from flowexec.ops.constant_op import identity
        return self._with_flow(identity(self._flow))

    def close(self, name=None):
        """An op that does nothing: the list is freed with its last reader."""
        from flowexec.ops.constant_op import no_op
        return no_op(name=name or "TensorArrayClose")

    def grad(self, source, flow=None, name=None):
        """A gradient TensorArray of this one's size: writes to one index add up."""
        del source
        with name_scope(name, "TensorArrayGrad", [self._flow]) as scope:
            reserved = list_ops.tensor_list_reserve(
                list_ops.tensor_list_element_shape(self._flow),
                list_ops.tensor_list_length(self._flow), self._dtype)
            ta = self._with_flow(apply_op("TensorArrayList", reserved, name=scope,
                                          **dict(self._semantics(True), clear_after_read=False,
                                                 dynamic_size=True)))
            ta._clear_after_read = False
            ta._dynamic_size = True
            return ta

    def __repr__(self):
        return (f"<TensorArray {self._name} dtype={self._dtype.name} "
                f"element_shape={self._element_shape} flow={self._flow.name}>")


def to_flows(structure):
    """`structure` with each TensorArray replaced by its flow."""
    from flowexec.framework import nest
    return nest.map_structure(lambda v: v.flow if isinstance(v, TensorArray) else v, structure)


__all__ = ["TensorArray"]
