"""TensorList ops (TF 2's names and signatures): lists of tensors as scalar `variant` tensors.

A list tensor holds a `TensorListValue` (tensor_list_value.py): immutable, so every op
outputs a new value and a list that a While loop or a gradient still reads is never changed.
`element_shape` inputs are int32 vectors with -1 for an unknown dimension, or the scalar -1
for an unknown rank (TF's encoding). The ops run on the host (the elements they hold stay
arrays of the device that made them).

Gradients follow TF's: the gradient of a list is a list (None elements are zeros), summed
by AddN's variant case and started by ZerosLike's (array_ops/math_ops call
`tensor_list_value`). `TensorArrayList` (flowexec-only) attaches TF 1.x TensorArray checks
to a list (tensor_array_ops.py builds tf.TensorArray on these ops).
"""

from flowexec.framework import dtypes, errors
from flowexec.framework.convert import convert_to_tensor
from flowexec.framework.node_def_form import NodeDefForm
from flowexec.framework.registry import apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import TensorShape
from flowexec.ops import shape_fns
from flowexec.ops.tensor_list_value import (
    TensorArraySemantics, TensorListValue, decode_shape, fully_defined, merge_shapes, shape_str)

_HOST = ("CPU",)


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


# ----- static shapes -------------------------------------------------------------------------
def static_element_shape(t):
    """The TensorShape an element_shape input stands for (unknown where not constant)."""
    value = shape_fns.constant_value(t)
    if value is None:
        if t.shape.ndims == 1 and t.shape[0] is not None:
            return TensorShape([None] * t.shape[0])
        return TensorShape(None)
    shape = decode_shape(value)
    return TensorShape(None if shape is None else list(shape))


def _list_infer(op):
    return [(dtypes.variant, TensorShape([]))]


def _element_infer(shape_input):
    def infer(op):
        return [(op.attrs["element_dtype"], static_element_shape(op.inputs[shape_input]))]
    return infer


def _stacked_infer(op):
    elem = static_element_shape(op.inputs[1])
    n = op.attrs.get("num_elements", -1)
    lead = TensorShape([None if n is None or n < 0 else n])
    return [(op.attrs["element_dtype"], lead.concatenate(elem))]


def _gather_infer(op):
    elem = static_element_shape(op.inputs[2])
    return [(op.attrs["element_dtype"], op.inputs[1].shape.concatenate(elem))]


def _check_item_dtype(op, t, what="item"):
    want = op.attrs["element_dtype"]
    if t.dtype.base_dtype is not want.base_dtype:
        raise TypeError(f"{op.type} '{op.name}': {what} has dtype {t.dtype.name}, but the list "
                        f"holds {want.name}")


def _item_list_infer(pos):
    def infer(op):
        _check_item_dtype(op, op.inputs[pos])
        return _list_infer(op)
    return infer


def _from_tensor_infer(op):
    _check_item_dtype(op, op.inputs[0], "tensor")
    if op.inputs[0].shape.ndims == 0:
        raise ValueError(f"{op.type} '{op.name}': Tensor must be at least a vector, but saw "
                         f"shape: []")
    return _list_infer(op)


def _pop_infer(op):
    return _list_infer(op) + _element_infer(1)(op)


def _concat_infer(op):
    elem = static_element_shape(op.inputs[1])
    shape = TensorShape(None) if elem.ndims is None else \
        TensorShape([None]).concatenate(elem[1:])
    return [(op.attrs["element_dtype"], shape), (dtypes.int64, TensorShape([None]))]


# ----- kernel helpers ------------------------------------------------------------------------
def _new(xp, items, element_dtype, element_shape):
    return TensorListValue(items, element_dtype.np, decode_shape(element_shape))


def _check_shape(lst, index, item):
    shape = tuple(item.shape)
    ta = lst.ta
    if ta is not None:
        known = lst.known_shape() if ta.infer_shape else lst.element_shape
        try:
            merge_shapes(known, shape)
        except ValueError:
            raise _invalid(
                f"TensorArray {ta.name}: Could not write to TensorArray index {index} because "
                f"the value shape is {shape_str(shape)} which is incompatible with the "
                f"TensorArray's inferred element shape: {shape_str(known)} (consider setting "
                f"infer_shape=False).") from None
        return
    try:
        merge_shapes(lst.element_shape, shape)
    except ValueError:
        raise _invalid(f"Tried to set a tensor with incompatible shape at a list index. Item "
                       f"element shape: {shape_str(shape)} list shape: "
                       f"{shape_str(lst.element_shape)}") from None


def _write(lst, items, index, item):
    """Writes `item` at `index` of the mutable `items` (a copy of lst.items), TF's checks."""
    ta = lst.ta
    if ta is not None:
        if index < 0 or (index >= len(items) and not ta.dynamic_size):
            raise _invalid(f"TensorArray {ta.name}: Tried to write to index {index} but array "
                           f"is not resizeable and size is: {len(items)}")
        if index >= len(items):
            items.extend([None] * (index + 1 - len(items)))
        if ta.aggregate and items[index] is not None:
            _check_shape(lst, index, item)
            if tuple(items[index].shape) != tuple(item.shape):
                raise _invalid(f"TensorArray {ta.name}: Could not aggregate to TensorArray "
                               f"index {index} because the existing shape is "
                               f"{shape_str(items[index].shape)} but the new input shape is "
                               f"{shape_str(item.shape)}.")
            items[index] = items[index] + item
            return
        if items[index] is not None or index in lst.cleared:
            raise _invalid(f"TensorArray {ta.name}: Could not write to TensorArray index "
                           f"{index} because it has already been written to.")
    elif not 0 <= index < len(items):
        raise _invalid(f"Trying to modify element {index} in a list with {len(items)} "
                       f"elements.")
    _check_shape(lst, index, item)
    items[index] = item


def _read(xp, lst, index, element_shape=None):
    """Element `index` of `lst` (zeros where unwritten and the shape is known), TF's checks."""
    ta = lst.ta
    size = lst.size
    if not 0 <= index < size:
        if ta is not None:
            raise _invalid(f"Tried to read from index {index} but array size is: {size}")
        raise _invalid(f"Trying to access element {index} in a list with {size} elements.")
    if ta is not None and index in lst.cleared:
        raise _invalid(f"TensorArray {ta.name}: Could not read index {index} twice because it "
                       f"was cleared after a previous read (perhaps try setting "
                       f"clear_after_read = false?).")
    item = lst.items[index]
    if item is None:
        shape = lst.known_shape()
        if element_shape is not None:
            try:
                shape = merge_shapes(shape, element_shape)
            except ValueError:
                pass
        if not fully_defined(shape):
            if ta is not None:
                raise _invalid(
                    f"TensorArray {ta.name}: Could not read from TensorArray index {index}.  "
                    f"Furthermore, the element shape is not fully defined: "
                    f"{shape_str(shape)}.  It is possible you are working with a resizeable "
                    f"TensorArray and stop_gradients is not allowing the gradients to be "
                    f"written.  If you set the full element_shape property on the forward "
                    f"TensorArray, the proper all-zeros tensor will be returned instead of "
                    f"incurring this error.")
            raise _invalid(f"Trying to read an uninitialized tensor but element_shape is not "
                           f"fully defined: {shape_str(shape)} and no list element is set.")
        return xp.zeros(shape, dtype=lst.element_dtype)
    if ta is not None and ta.clear_after_read:
        lst.cleared.add(index)
    return item


def _stack_items(xp, lst, indices, element_shape):
    if not indices:
        shape = merge_shapes(lst.known_shape(), element_shape)
        if not fully_defined(shape):
            if lst.ta is not None:
                raise errors.UnimplementedError(
                    None, None, f"TensorArray has size zero, but element shape "
                                f"{shape_str(shape)} is not fully defined. Currently only "
                                f"static shapes are supported when packing zero-size "
                                f"TensorArrays.")
            raise _invalid(f"Tried to stack elements of an empty list with non-fully-defined "
                           f"element_shape: {shape_str(shape)}")
        return xp.zeros((0,) + shape, dtype=lst.element_dtype)
    items = [_read(xp, lst, int(i), element_shape) for i in indices]
    first = tuple(items[0].shape)
    for k, item in enumerate(items[1:], 1):
        if tuple(item.shape) != first:
            raise _invalid(f"TensorArray has inconsistent shapes.  Index 0 has shape: "
                           f"{shape_str(first)} but index {k} has shape: "
                           f"{shape_str(item.shape)}" if lst.ta is not None else
                           f"Incompatible shapes in list. Element 0 has shape "
                           f"{shape_str(first)}; element {k} has shape {shape_str(item.shape)}")
    return xp.stack(items)


def _indices(xp, indices):
    return [int(i) for i in getattr(indices, "tolist", lambda: indices)()]


# ----- the ops -------------------------------------------------------------------------------
def _register(type_name, infer, kernel, node_def=None):
    return defop(type_name, infer=infer, device_types=_HOST, node_def=node_def)(kernel)


def _empty(xp, element_shape, max_num_elements, *, element_dtype):
    return _new(xp, (), element_dtype, element_shape)


def _reserve(xp, element_shape, num_elements, *, element_dtype):
    n = int(num_elements)
    if n < 0:
        raise _invalid(f"The num_elements to reserve must be a non negative number, but got "
                       f"{n}")
    return TensorListValue.unset(n, element_dtype.np, decode_shape(element_shape))


def _push_back(xp, input_handle, tensor, *, element_dtype):
    _check_shape(input_handle, input_handle.size, tensor)
    return input_handle.written(input_handle.items + (tensor,), tensor, input_handle.size)


def _pop_back(xp, input_handle, element_shape, *, element_dtype):
    if not input_handle.size:
        raise _invalid("Trying to pop from an empty list.")
    item = _read(xp, input_handle.replace(), input_handle.size - 1,
                 decode_shape(element_shape))
    return input_handle.replace(input_handle.items[:-1], seen=input_handle.seen()), item


def _stack(xp, input_handle, element_shape, *, element_dtype, num_elements=-1):
    if num_elements is not None and num_elements >= 0 and num_elements != input_handle.size:
        raise _invalid(f"Operation expected a list with {num_elements} elements but got a "
                       f"list with {input_handle.size} elements.")
    return _stack_items(xp, input_handle, range(input_handle.size), decode_shape(element_shape))


def _from_tensor(xp, tensor, element_shape, *, element_dtype):
    shape = decode_shape(element_shape)
    try:
        shape = merge_shapes(shape, tuple(tensor.shape[1:]))
    except ValueError:
        raise _invalid(f"Specified a list with shape {shape_str(shape)} from a tensor with "
                       f"shape {shape_str(tensor.shape)}") from None
    rows = [tensor[k] for k in range(tensor.shape[0])]
    return TensorListValue(rows, element_dtype.np, shape,
                           seen=tuple(tensor.shape[1:]) if rows else None)


def _get_item(xp, input_handle, index, element_shape, *, element_dtype):
    return _read(xp, input_handle, int(index), decode_shape(element_shape))


def _set_item(xp, input_handle, index, item, *, element_dtype):
    items = list(input_handle.items)
    index = int(index)
    _write(input_handle, items, index, item)
    return input_handle.written(items, item, index)


def _gather(xp, input_handle, indices, element_shape, *, element_dtype):
    idx = _indices(xp, indices)
    out = _stack_items(xp, input_handle, idx, decode_shape(element_shape))
    return out.reshape(tuple(indices.shape) + tuple(out.shape[1:]))


def _scatter_items(lst, items, tensor, indices):
    idx = _indices(None, indices)
    if len(idx) != tensor.shape[0]:
        raise _invalid(f"Indices and tensor must have the same number of elements: "
                       f"{len(idx)} vs. {tensor.shape[0]}")
    ta = lst.ta
    if ta is not None and not ta.dynamic_size and idx and max(idx) >= len(items):
        raise _invalid(f"Max scatter index must be < array size ({max(idx)} vs. "
                       f"{len(items)})")
    for k, i in enumerate(idx):
        if ta is None and i >= len(items):
            items.extend([None] * (i + 1 - len(items)))
        if i < 0:
            raise _invalid(f"Indices in TensorListScatter must all be non-negative; saw {i}")
        _write(lst, items, i, tensor[k])


def _row_shapes(tensor):
    return [tensor.shape[1:]] if tensor.shape[0] else []


def _scatter_v2(xp, tensor, indices, element_shape, num_elements, *, element_dtype):
    lst = _new(xp, [None] * max(int(num_elements), 0), element_dtype, element_shape)
    items = list(lst.items)
    _scatter_items(lst, items, tensor, indices)
    return lst.replace(items, seen=lst.seen(*_row_shapes(tensor)))


def _scatter_existing(xp, input_handle, tensor, indices, *, element_dtype):
    items = list(input_handle.items)
    _scatter_items(input_handle, items, tensor, indices)
    return input_handle.replace(items, seen=input_handle.seen(*_row_shapes(tensor)))


def _concat(xp, input_handle, element_shape, leading_dims, *, element_dtype):
    shape = decode_shape(element_shape)
    items = []
    for k in range(input_handle.size):
        item = _read(xp, input_handle, k, shape)
        if item.ndim == 0:
            raise _invalid(f"Concat saw a scalar shape at index {k} but requires at least "
                           f"vectors.")
        items.append(item)
    if not items:
        known = merge_shapes(input_handle.known_shape(), shape)
        if known is None or not fully_defined(known[1:]):
            raise _invalid("Concat requires elements to be at least vectors and of a fully "
                           "defined shape beyond the first dimension when the list is empty.")
        return (xp.zeros((0,) + tuple(known[1:]), dtype=input_handle.element_dtype),
                xp.zeros((0,), dtype=dtypes.int64.np))
    rest = tuple(items[0].shape[1:])
    for k, item in enumerate(items):
        if tuple(item.shape[1:]) != rest:
            raise _invalid(f"Tried to concat tensors with unequal shapes: {shape_str(rest)} vs "
                           f"{shape_str(item.shape[1:])} at index {k}")
    lengths = xp.asarray([item.shape[0] for item in items], dtype=dtypes.int64.np)
    return xp.concatenate(items), lengths


def _split(xp, tensor, element_shape, lengths):
    sizes = _indices(xp, lengths)
    if tensor.ndim == 0:
        raise _invalid("Tensor must be at least a vector, but saw shape: []")
    if sum(sizes) != tensor.shape[0]:
        raise _invalid(f"Expected sum of lengths to be equal to values.shape[0], but sum of "
                       f"lengths is {sum(sizes)} and value's shape is: "
                       f"{shape_str(tensor.shape)}")
    items, start = [], 0
    for n in sizes:
        if n < 0:
            raise _invalid(f"Invalid value in lengths: {n}")
        items.append(tensor[start:start + n])
        start += n
    shape = decode_shape(element_shape)
    return TensorListValue(items, tensor.dtype, shape)


def _split_kernel(xp, tensor, element_shape, lengths, *, element_dtype):
    return _split(xp, tensor, element_shape, lengths)


def _length(xp, input_handle):
    return xp.asarray(input_handle.size, dtype=dtypes.int32.np)


def _element_shape(xp, input_handle, *, shape_type):
    shape = input_handle.known_shape()
    if shape is None:
        return xp.asarray(-1, dtype=shape_type.np)
    return xp.asarray([-1 if d is None else d for d in shape], dtype=shape_type.np)


def _resize(xp, input_handle, size):
    n = int(size)
    if n < 0:
        raise _invalid(f"TensorListSlice expects size to be non-negative. Got: {n}")
    items = input_handle.items[:n] + (None,) * max(0, n - input_handle.size)
    return input_handle.replace(items, seen=input_handle.seen())


def _tensor_array_list(xp, input_handle, *, tensor_array_name, dynamic_size, clear_after_read,
                       infer_shape, multiple_writes_aggregate=False):
    value = TensorListValue(input_handle.items, input_handle.element_dtype,
                            input_handle.element_shape,
                            TensorArraySemantics(tensor_array_name, dynamic_size, clear_after_read,
                                                 infer_shape, multiple_writes_aggregate))
    if infer_shape:
        known = value.element_shape
        for k, item in enumerate(value.items):
            if item is not None:
                _check_shape(TensorListValue((), value.element_dtype, known, value.ta), k, item)
                known = merge_shapes(known, tuple(item.shape))
    return value


def _shape_out_infer(op):
    return [(op.attrs["shape_type"], TensorShape([None]))]


def _int_infer(op):
    return [(dtypes.int32, TensorShape([]))]


_empty_tensor_list = _register("EmptyTensorList", _list_infer, _empty)
_tensor_list_reserve = _register("TensorListReserve", _list_infer, _reserve)
_push_back_op = _register("TensorListPushBack", _item_list_infer(1), _push_back)
_pop_back_op = _register("TensorListPopBack", _pop_infer, _pop_back)
_stack_op = _register("TensorListStack", _stacked_infer, _stack)
_from_tensor_op = _register("TensorListFromTensor", _from_tensor_infer, _from_tensor)
_get_item_op = _register("TensorListGetItem", _element_infer(2), _get_item)
_set_item_op = _register("TensorListSetItem", _item_list_infer(2), _set_item)
_gather_op = _register("TensorListGather", _gather_infer, _gather)
_scatter_op = _register("TensorListScatterV2", _from_tensor_infer, _scatter_v2)
_scatter_existing_op = _register("TensorListScatterIntoExistingList", _item_list_infer(1),
                                 _scatter_existing)
_concat_op = _register("TensorListConcatV2", _concat_infer, _concat)
_split_op = _register("TensorListSplit", _from_tensor_infer, _split_kernel)
_length_op = _register("TensorListLength", _int_infer, _length)
_element_shape_op = _register("TensorListElementShape", _shape_out_infer, _element_shape)
_resize_op = _register("TensorListResize", _list_infer, _resize)
_tensor_array_list_op = _register(
    "TensorArrayList", _list_infer, _tensor_array_list,
    node_def=NodeDefForm(flowexec_only=True,
                         reason="TF 1.x's TensorArray is a resource; flowexec's is a list"))

for _od in (_empty_tensor_list, _tensor_list_reserve, _length_op, _element_shape_op):
    _od.not_differentiable()


# ----- Python wrappers (TF's list_ops module) --------------------------------------------------
def _shape_tensor(element_shape, shape_type=dtypes.int32):
    if isinstance(element_shape, Tensor):
        return element_shape
    shape = TensorShape(element_shape) if not isinstance(element_shape, TensorShape) \
        else element_shape
    if shape.ndims is None:
        return convert_to_tensor(-1, dtype=shape_type)
    return convert_to_tensor([-1 if d is None else d for d in shape.as_list()],
                             dtype=shape_type)


def _int(value, dtype=dtypes.int32):
    return value if isinstance(value, Tensor) else convert_to_tensor(value, dtype=dtype)


def empty_tensor_list(element_shape, element_dtype, max_num_elements=None, name=None):
    """An empty list of `element_dtype` tensors of `element_shape`."""
    return apply_op("EmptyTensorList", _shape_tensor(element_shape),
                    _int(-1 if max_num_elements is None else max_num_elements), name=name,
                    element_dtype=dtypes.as_dtype(element_dtype), shape_type=dtypes.int32)


def tensor_list_reserve(element_shape, num_elements, element_dtype, name=None):
    """A list of `num_elements` unset elements (they read as zeros once the shape is known)."""
    return apply_op("TensorListReserve", _shape_tensor(element_shape), _int(num_elements),
                    name=name, element_dtype=dtypes.as_dtype(element_dtype),
                    shape_type=dtypes.int32)


def tensor_list_from_tensor(tensor, element_shape, name=None):
    """A list of the rows of `tensor` (its first dimension)."""
    tensor = convert_to_tensor(tensor)
    return apply_op("TensorListFromTensor", tensor, _shape_tensor(element_shape), name=name,
                    element_dtype=tensor.dtype.base_dtype, shape_type=dtypes.int32)


def tensor_list_push_back(input_handle, tensor, name=None):
    """The list with `tensor` appended."""
    tensor = convert_to_tensor(tensor)
    return apply_op("TensorListPushBack", input_handle, tensor, name=name,
                    element_dtype=tensor.dtype.base_dtype)


def tensor_list_pop_back(input_handle, element_dtype, element_shape=None, name=None):
    """(the list without its last element, that element)."""
    return apply_op("TensorListPopBack", input_handle,
                    _shape_tensor(TensorShape(None) if element_shape is None else element_shape),
                    name=name, element_dtype=dtypes.as_dtype(element_dtype))


def tensor_list_stack(input_handle, element_dtype, num_elements=-1, element_shape=None,
                      name=None):
    """The elements stacked along a new first dimension."""
    return apply_op("TensorListStack", input_handle,
                    _shape_tensor(TensorShape(None) if element_shape is None else element_shape),
                    name=name, element_dtype=dtypes.as_dtype(element_dtype),
                    num_elements=num_elements)


def tensor_list_get_item(input_handle, index, element_dtype, element_shape=None, name=None):
    """Element `index` of the list."""
    return apply_op("TensorListGetItem", input_handle, _int(index),
                    _shape_tensor(TensorShape(None) if element_shape is None else element_shape),
                    name=name, element_dtype=dtypes.as_dtype(element_dtype))


def tensor_list_set_item(input_handle, index, item, name=None):
    """The list with element `index` replaced by `item`."""
    item = convert_to_tensor(item)
    return apply_op("TensorListSetItem", input_handle, _int(index), item, name=name,
                    element_dtype=item.dtype.base_dtype)


def tensor_list_gather(input_handle, indices, element_dtype, element_shape=None, name=None):
    """The elements at `indices`, stacked."""
    return apply_op("TensorListGather", input_handle, _int(indices),
                    _shape_tensor(TensorShape(None) if element_shape is None else element_shape),
                    name=name, element_dtype=dtypes.as_dtype(element_dtype))


def tensor_list_scatter(tensor, indices, element_shape=None, input_handle=None, name=None):
    """Rows of `tensor` written at `indices`: of `input_handle`, or of a new list."""
    tensor = convert_to_tensor(tensor)
    if input_handle is not None:
        return apply_op("TensorListScatterIntoExistingList", input_handle, tensor,
                        _int(indices), name=name, element_dtype=tensor.dtype.base_dtype)
    return apply_op("TensorListScatterV2", tensor, _int(indices),
                    _shape_tensor(TensorShape(None) if element_shape is None else element_shape),
                    _int(-1), name=name, element_dtype=tensor.dtype.base_dtype,
                    shape_type=dtypes.int32)


def tensor_list_concat(input_handle, element_dtype, element_shape=None, name=None):
    """The elements concatenated along their first dimension."""
    return tensor_list_concat_v2(input_handle, element_dtype, element_shape, name)[0]


def tensor_list_concat_v2(input_handle, element_dtype, element_shape=None, name=None):
    """(the elements concatenated, their int64 lengths)."""
    return apply_op("TensorListConcatV2", input_handle,
                    _shape_tensor(TensorShape(None) if element_shape is None else element_shape),
                    _int(0, dtypes.int64), name=name,
                    element_dtype=dtypes.as_dtype(element_dtype), shape_type=dtypes.int32)


def tensor_list_split(tensor, element_shape, lengths, name=None):
    """A list of consecutive pieces of `tensor` of `lengths` rows."""
    tensor = convert_to_tensor(tensor)
    return apply_op("TensorListSplit", tensor, _shape_tensor(element_shape),
                    _int(lengths, dtypes.int64), name=name,
                    element_dtype=tensor.dtype.base_dtype, shape_type=dtypes.int32)


def tensor_list_length(input_handle, name=None):
    """The number of elements (int32 scalar)."""
    return apply_op("TensorListLength", input_handle, name=name)


def tensor_list_element_shape(input_handle, shape_type=dtypes.int32, name=None):
    """The element shape (-1 for unknown dimensions; the scalar -1 for an unknown rank)."""
    return apply_op("TensorListElementShape", input_handle, name=name,
                    shape_type=dtypes.as_dtype(shape_type))


def tensor_list_resize(input_handle, size, name=None):
    """The list cut or padded with unset elements to `size`."""
    return apply_op("TensorListResize", input_handle, _int(size), name=name)


# ----- gradients (TF's list_ops gradients) ---------------------------------------------------
def _zeros_list_like(handle, element_dtype):
    return tensor_list_reserve(tensor_list_element_shape(handle), tensor_list_length(handle),
                               element_dtype)


def _zeros(t):
    from flowexec.ops import array_ops
    return array_ops.zeros_like(t)


@_push_back_op.gradient
def _push_back_grad(op, dlist):
    if dlist is None:
        return None, None  # nothing downstream read the list
    new_list, item = tensor_list_pop_back(dlist, op.attrs["element_dtype"],
                                          TensorShape(op.inputs[1].shape))
    return new_list, item


@_pop_back_op.gradient
def _pop_back_grad(op, dlist, delement):
    dtype = op.attrs["element_dtype"]
    if dlist is None:
        dlist = empty_tensor_list(tensor_list_element_shape(op.outputs[0]), dtype)
    if delement is None:
        delement = _zeros(op.outputs[1])
    return tensor_list_push_back(dlist, delement), None


@_stack_op.gradient
def _stack_grad(op, dtensor):
    return tensor_list_from_tensor(dtensor, tensor_list_element_shape(op.inputs[0])), None


@_from_tensor_op.gradient
def _from_tensor_grad(op, dlist):
    if dlist is None:
        return None, None
    t = op.inputs[0]
    return tensor_list_stack(dlist, t.dtype, element_shape=t.shape[1:]), None


@_get_item_op.gradient
def _get_item_grad(op, ditem):
    dtype = op.attrs["element_dtype"]
    zeros = _zeros_list_like(op.inputs[0], dtype)
    return tensor_list_set_item(zeros, op.inputs[1], ditem), None, None


@_set_item_op.gradient
def _set_item_grad(op, dlist):
    if dlist is None:
        return None, None, None
    dtype = op.attrs["element_dtype"]
    ditem = tensor_list_get_item(dlist, op.inputs[1], dtype, TensorShape(op.inputs[2].shape))
    dinput = tensor_list_set_item(dlist, op.inputs[1], _zeros(op.inputs[2]))
    # a dynamic_size TensorArray grew at this write: the input's gradient has its length
    return tensor_list_resize(dinput, tensor_list_length(op.inputs[0])), None, ditem


@_gather_op.gradient
def _gather_grad(op, dvalues):
    # A repeated index sums its rows' gradients (TF's scatter would keep one of them).
    from flowexec.ops import segment_ops
    rows = segment_ops.unsorted_segment_sum(dvalues, op.inputs[1],
                                            tensor_list_length(op.inputs[0]))
    return tensor_list_from_tensor(rows, tensor_list_element_shape(op.inputs[0])), None, None


@_scatter_op.gradient
def _scatter_grad(op, dlist):
    if dlist is None:
        return None, None, None, None
    t = op.inputs[0]
    return (tensor_list_gather(dlist, op.inputs[1], t.dtype, t.shape[1:]), None, None, None)


@_scatter_existing_op.gradient
def _scatter_existing_grad(op, dlist):
    if dlist is None:
        return None, None, None
    t = op.inputs[1]
    dtensor = tensor_list_gather(dlist, op.inputs[2], t.dtype, t.shape[1:])
    dinput = tensor_list_scatter(_zeros(t), op.inputs[2], input_handle=dlist)
    return tensor_list_resize(dinput, tensor_list_length(op.inputs[0])), dtensor, None


@_concat_op.gradient
def _concat_grad(op, dtensor, dlengths):
    if dtensor is None:
        return None, None, None
    shape = tensor_list_element_shape(op.inputs[0])
    return tensor_list_split(dtensor, shape, op.outputs[1]), None, None


@_split_op.gradient
def _split_grad(op, dlist):
    if dlist is None:
        return None, None, None
    t = op.inputs[0]
    return tensor_list_concat(dlist, t.dtype, TensorShape(None)), None, None


@_resize_op.gradient
def _resize_grad(op, dlist):
    if dlist is None:
        return None, None
    return tensor_list_resize(dlist, tensor_list_length(op.inputs[0])), None


@_tensor_array_list_op.gradient
def _tensor_array_list_grad(op, dlist):
    return dlist


__all__ = []
