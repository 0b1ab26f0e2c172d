"""Graph inputs and plumbing: Const, Placeholder, PlaceholderWithDefault, Identity, NoOp,
StopGradient, and the public `constant`, `placeholder`, `identity`, `no_op`, `group`,
`stop_gradient`.

Const turns a Python or numpy value into a graph constant with TF1's dtype rules: Python
ints are int32 (int64 when they do not fit), floats float32, bools bool, numpy arrays keep
their dtype.
"""

import numbers

import numpy as np

from flowexec.framework import dtypes, tensor_shape
from flowexec.framework import graph as graph_mod
from flowexec.framework.convert import (
    _set_constant_fn,
    convert_to_tensor,
    register_tensor_conversion_function,
)
from flowexec.framework.operation import Operation
from flowexec.framework.registry import ScalarCode, apply_op, defop
from flowexec.framework.tensor import Tensor
from flowexec.framework.tensor_shape import Dimension, TensorShape, as_shape
from flowexec.ops import shape_fns


# ----- Const ---------------------------------------------------------------------------------
def _const_infer(op):
    v = op.attrs["value"]
    return [(op.attrs["dtype"], TensorShape(v.shape))]


def _const_value(op):
    return op.attrs["value"]


@defop("Const", infer=_const_infer, constant=_const_value)
def _const(xp, *, value):
    return value


_const.not_differentiable()


_INT_TYPES = (numbers.Integral, np.integer, Dimension)
_REAL_TYPES = (numbers.Real, np.integer, np.floating)
_COMPLEX_TYPES = (numbers.Complex, np.number)
_STR_TYPES = (bytes, str)


def _accepts(dtype):
    """The Python/numpy element types a value of `dtype` may be written with (TF1's rules:
    no float for an int type, no number for bool, only bytes/str for string)."""
    if dtype is dtypes.bool:
        return (bool,)
    if dtype is dtypes.string:
        return _STR_TYPES
    if dtype.is_integer:
        return _INT_TYPES
    if dtype.is_floating:
        return _REAL_TYPES
    return _COMPLEX_TYPES


def _flatten(values):
    if isinstance(values, (list, tuple)):
        for v in values:
            yield from _flatten(v)
    else:
        yield values


def _assert_compatible(values, dtype):
    if dtype is None:
        if any(isinstance(v, Tensor) for v in _flatten(values)):
            raise TypeError("List of Tensors when single Tensor expected")
        return
    ok = _accepts(dtype)
    for v in _flatten(values):
        if not (isinstance(v, ok) or (isinstance(v, np.ndarray) and
                                      issubclass(v.dtype.type, ok))):
            raise TypeError(f"Expected {dtype.name}, got {v!r} of type '{type(v).__name__}' "
                            "instead.")


def _dense_dims(values):
    """The shape `values` would have if every list were as long as its first sibling."""
    dims = []
    while isinstance(values, (list, tuple)):
        dims.append(len(values))
        if not values:
            break
        values = values[0]
    return dims


def _regular_dims(values):
    """The leading dimensions over which nested lists are rectangular."""
    dims = []
    level = [values]
    while all(isinstance(v, (list, tuple)) for v in level):
        lengths = {len(v) for v in level}
        if len(lengths) != 1:
            break
        dims.append(lengths.pop())
        level = [x for v in level for x in v]
        if not level:
            break
    return dims


def _to_bytes(value, values):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(f"Failed to convert object of type {type(values)} to Tensor. Contents: "
                    f"{values}. Consider casting elements to a supported type.")


def _all_strings(values):
    leaves = list(_flatten(values))
    return bool(leaves) and all(isinstance(v, _STR_TYPES) for v in leaves)


def _string_array(values, shape):
    flat = values.ravel() if isinstance(values, np.ndarray) else list(_flatten(values))
    out = np.empty(len(flat), dtype=object)
    out[:] = [_to_bytes(v, values) for v in flat]
    return out.reshape(shape)


def _to_numpy(values, dtype, shape):
    """TF1's make_tensor_proto: (numpy array, DType) for a Python or numpy value."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(values, (np.ndarray, np.generic)):
        nparray = np.asarray(values)
        if dtype is not None:
            nparray = nparray.astype(dtype.np)
    elif callable(getattr(values, "__array__", None)):
        nparray = np.asarray(values, dtype=None if dtype is None else dtype.np)
        values = nparray
    else:
        if values is None:
            raise ValueError("None values not supported.")
        np_dt = None if dtype is None else dtype.np
        if shape is not None and np.prod(shape, dtype=np.int64) == 0:
            nparray = np.empty(shape, dtype=np_dt)
        else:
            _assert_compatible(values, dtype)
            dense = _dense_dims(values)
            if _regular_dims(values) != dense:
                raise ValueError(f"Argument must be a dense tensor: {values} - got shape "
                                 f"{_regular_dims(values)}, but wanted {dense}.")
            if dtype is dtypes.string or (dtype is None and _all_strings(values)):
                # not through numpy's "S"/"U" arrays: they drop trailing NUL bytes
                nparray = _string_array(values, dense)
            else:
                try:
                    nparray = np.array(values, dtype=np_dt)
                except ValueError:  # nested sequences numpy cannot make rectangular
                    raise TypeError(
                        f"Failed to convert object of type {type(values)} to Tensor. Contents: "
                        f"{values}. Consider casting elements to a supported type.") from None
        if dtype is None:
            if nparray.dtype == np.float64:
                nparray = nparray.astype(np.float32)
            elif nparray.dtype == np.int64:
                down = nparray.astype(np.int32)
                if np.array_equal(down, nparray):
                    nparray = down
    kind = nparray.dtype.kind
    if kind in "SUO":
        nparray = _string_array(values if kind == "O" and not isinstance(values, np.ndarray)
                                else nparray, nparray.shape)
        found = dtypes.string
    else:
        found = dtypes.from_numpy(nparray.dtype)
    if dtype is not None and dtype is not found:
        raise TypeError(f"Incompatible types: {dtype} vs. {nparray.dtype}. Value is {values}")
    return nparray, found


def _fill_to_shape(arr, shape, verify_shape):
    shape = [int(d) for d in shape]
    size = int(np.prod(shape, dtype=np.int64))
    if verify_shape and arr.shape != tuple(shape):
        raise TypeError(f"Expected Tensor's shape: {tuple(shape)}, got {arr.shape}.")
    if arr.size > size:
        raise ValueError(f"Too many elements provided. Needed at most {size}, but received "
                         f"{arr.size}")
    flat = arr.ravel()
    if arr.size < size:
        # TF fills a tensor from fewer values by repeating the last one (zeros if none).
        fill = flat[-1] if flat.size else np.zeros((), dtype=arr.dtype)
        if arr.dtype == object and not flat.size:
            fill = b""
        padded = np.empty(size, dtype=arr.dtype)
        padded[:flat.size] = flat
        padded[flat.size:] = fill
        flat = padded
    return flat.reshape(shape)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """Creates a constant tensor.

    Args:
        value: a Python scalar, (nested) list, or numpy array.
        dtype: element type; inferred from `value` when None (Python ints → int32, or int64
            when they do not fit; floats → float32; numpy arrays keep their dtype).
        shape: optional shape. `value` may hold fewer elements than the shape, and the
            last one fills the rest (a scalar is broadcast); more elements are an error.
        name: op name.
        verify_shape: require `value`'s shape to equal `shape` exactly.

    Returns:
        A Tensor.

    Raises:
        TypeError: `value` does not fit `dtype` ("Expected int32, got 2.5 of type 'float'
            instead."); `verify_shape` fails.
        ValueError: more elements than `shape` holds; a ragged list; None; an invalid name.

    Example:
        >>> a = constant([[1., 2.], [3., 4.]])
        >>> print(a)
        Tensor("Const:0", shape=(2, 2), dtype=float32)
        >>> constant([1, 2], shape=[2, 2])  # value [[1, 2], [2, 2]]
        <tf.Tensor 'Const_1:0' shape=(2, 2) dtype=int32>
    """
    arr, dtype = _to_numpy(value, dtype, shape)
    if shape is not None:
        arr = _fill_to_shape(arr, shape, verify_shape)
    if isinstance(value, np.ndarray) and np.may_share_memory(arr, value):
        arr = arr.copy()  # the caller may change its array later; the graph must not see it
    arr.setflags(write=False)
    graph = graph_mod.get_default_graph()
    if name and name[-1] != "/":
        full = graph.unique_name(name, mark_as_used=False)
        if not graph_mod._VALID_OP_NAME.match(full):
            raise ValueError(f"'{full}' is not a valid node name")
    return apply_op("Const", name=name, value=arr, dtype=dtype)


_set_constant_fn(lambda value, dtype=None, name="Const": constant(value, dtype=dtype, name=name))


def _shape_dtype(dtype, largest):
    if dtype is None:
        return dtypes.int64 if largest >= 2 ** 31 else dtypes.int32
    if dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Cannot convert a TensorShape to dtype: {dtype}")
    if dtype is dtypes.int32 and largest >= 2 ** 31:
        raise ValueError("Cannot convert a TensorShape to dtype int32; a dimension is too "
                         f"large ({largest})")
    return dtype


def _tensor_shape_to_tensor(s, dtype=None, name=None, as_ref=False):
    if not s.is_fully_defined():
        raise ValueError(f"Cannot convert a partially known TensorShape to a Tensor: {s}")
    dims = s.as_list()
    dtype = _shape_dtype(dtype, max(dims, default=0))
    return constant(dims, dtype=dtype, name=name or "shape_as_tensor")


def _dimension_to_tensor(d, dtype=None, name=None, as_ref=False):
    if d.value is None:
        raise ValueError(f"Cannot convert an unknown Dimension to a Tensor: {d}")
    if dtype is not None and dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Cannot convert a TensorShape to dtype: {dtype}")
    return constant(d.value, dtype=dtype or dtypes.int32, name=name or "shape_as_tensor")


register_tensor_conversion_function(TensorShape, _tensor_shape_to_tensor, 100)
register_tensor_conversion_function(Dimension, _dimension_to_tensor, 100)


# ----- Placeholder ---------------------------------------------------------------------------
def _placeholder_infer(op):
    return [(op.attrs["dtype"], op.attrs["shape"])]


@defop("Placeholder", infer=_placeholder_infer, stateful=True, must_be_fed=True)
def _placeholder(xp, *, dtype, shape):
    # The executor never runs this kernel: a placeholder that is not fed fails at plan time.
    raise AssertionError("Placeholder kernel executed; the plan should have required a feed")


_placeholder.not_differentiable()


def _make_shape(shape, arg_name):
    try:
        return as_shape(shape)
    except TypeError as e:
        raise TypeError(f"Error converting {arg_name} to a TensorShape: {e}.") from e
    except ValueError as e:
        raise ValueError(f"Error converting {arg_name} to a TensorShape: {e}.") from e


def placeholder(dtype, shape=None, name=None):
    """A tensor that must be fed a value in `Session.run(..., feed_dict=...)`.

    Args:
        dtype: element type.
        shape: the shape fed values must have; None accepts any shape, None dims any size.
        name: op name (default "Placeholder").

    Example:
        >>> x = placeholder(float32, shape=[None, 3])
        >>> print(x)
        Tensor("Placeholder:0", shape=(?, 3), dtype=float32)
        >>> Session().run(x * 2, {x: [[1, 2, 3]]})
        array([[2., 4., 6.]], dtype=float32)
    """
    return apply_op("Placeholder", name=name or "Placeholder",
                    dtype=dtypes.as_dtype(dtype), shape=_make_shape(shape, "shape"))


def _pwd_infer(op):
    x = op.inputs[0]
    shape = op.attrs["shape"]
    error = tensor_shape.merge_error(x.shape, shape)
    if error is not None:
        raise shape_fns.shape_error(op, error)
    return [(x.dtype, shape)]


@defop("PlaceholderWithDefault", infer=_pwd_infer)
def _placeholder_with_default(xp, input, *, shape):
    return input


@_placeholder_with_default.gradient
def _pwd_grad(op, dy):
    return [dy]


def placeholder_with_default(input, shape, name=None):
    """A placeholder that yields `input` when nothing is fed.

    Args:
        input: the default value (converted to a Tensor).
        shape: the shape fed values may have; must be compatible with `input`'s.
        name: op name (default "PlaceholderWithDefault").

    Example:
        >>> x = placeholder_with_default([1.0, 2.0], shape=[None])
        >>> print(x)
        Tensor("PlaceholderWithDefault:0", shape=(?,), dtype=float32)
    """
    input = convert_to_tensor(input)
    return apply_op("PlaceholderWithDefault", input, name=name or "PlaceholderWithDefault",
                    shape=_make_shape(shape, "shape"))


# ----- Identity, NoOp, StopGradient ----------------------------------------------------------
@defop("Identity", infer=shape_fns.unchanged, forwards_ref=True,
       scalar=ScalarCode("{0}", forwards=True))
def _identity(xp, input):
    return input


@_identity.gradient
def _identity_grad(op, dy):
    return [dy]


_identity_grad.takes_indexed_slices = True  # a variable's read passes a sparse gradient on


def identity(input, name=None):
    """Returns a tensor with the same value as `input` (a new node in the graph).

    Example:
        >>> y = identity(constant(3.0), name="y")
        >>> y.op.type
        'Identity'
    """
    input = convert_to_tensor(input)
    return apply_op("Identity", input, name=name or "Identity")


@defop("StopGradient", infer=shape_fns.unchanged)
def _stop_gradient(xp, input):
    return input


_stop_gradient.not_differentiable()


def stop_gradient(input, name=None):
    """Identity in the forward pass; gradients() treats its output as a constant.

    Example:
        >>> x = constant(2.0)
        >>> gradients(stop_gradient(x) * x, x)  # [2.0]: only the second factor counts
    """
    input = convert_to_tensor(input)
    return apply_op("StopGradient", input, name=name or "StopGradient")


@defop("PreventGradient", infer=shape_fns.unchanged)
def _prevent_gradient(xp, input, *, message=""):
    return input


@_prevent_gradient.gradient
def _prevent_gradient_grad(op, _):
    raise LookupError(f"Gradient explicitly disabled. Reason: {op.attrs.get('message', '')}")


def prevent_gradient(input, message="", name=None):
    """Identity in the forward pass; asking gradients() through it raises LookupError
    ("Gradient explicitly disabled. Reason: <message>"), as TF's array_ops.prevent_gradient.

    Example:
        >>> y = prevent_gradient(constant(2.0), message="no second derivative")
    """
    input = convert_to_tensor(input)
    return apply_op("PreventGradient", input, name=name or "PreventGradient", message=message)


@defop("NoOp", infer=lambda op: [])
def _no_op(xp):
    return ()


_no_op.not_differentiable()


def no_op(name=None):
    """An op that does nothing; useful as a control-dependency anchor.

    Example:
        >>> with control_dependencies([a, b]):
        ...     done = no_op(name="done")
    """
    return apply_op("NoOp", name=name or "NoOp")


def _nest_flatten(structure):
    """TF's nest.flatten for lists, tuples and dicts (dicts in sorted key order)."""
    if isinstance(structure, dict):
        items = [structure[k] for k in sorted(structure)]
    elif isinstance(structure, (list, tuple)):
        items = structure
    else:
        return [structure]
    out = []
    for x in items:
        out.extend(_nest_flatten(x))
    return out


def _group_control_deps(device, deps, name=None):
    with graph_mod.control_dependencies(deps):
        if not device:
            return no_op(name=name)
        with graph_mod.device(device):
            return no_op(name=name)


def group(*inputs, **kwargs):
    """An op that runs after all of `inputs` (ops or tensors, possibly nested) and outputs
    nothing.

    As in TF, inputs on one device give one NoOp on that device; inputs on several devices
    give one NoOp per device (named "<name>/NoOp", ...) under the returned one.

    Args:
        *inputs: Operations or Tensors, or lists/tuples/dicts of them.
        name: the op's name (default "group_deps").

    Raises:
        TypeError: an input is not an Operation or Tensor.
        ValueError: an unknown keyword argument.

    Example:
        >>> train = group(update_w, update_b, name="train")
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise ValueError("Unknown keyword arguments: " + ", ".join(kwargs.keys()))
    with graph_mod.name_scope(name, "group_deps", inputs) as name:
        if not inputs:
            return no_op(name=name)
        ops_on_device = {}
        for inp in _nest_flatten(inputs):
            if not hasattr(inp, "device"):
                raise TypeError("Expected tf.group() expected Tensor arguments not "
                                f"'{inp}' with type '{type(inp)}'")
            ops_on_device.setdefault(inp.device, []).append(inp)
        if len(ops_on_device) == 1:
            (device, deps), = ops_on_device.items()
            return _group_control_deps(device, deps, name=name)
        deps = [_group_control_deps(device, ops_on_device[device])
                for device in sorted(ops_on_device, key=lambda d: d or "")]
        with graph_mod.control_dependencies(deps):
            return no_op(name=name)


def _with_dependencies(dependencies, output_tensor, name=None):
    """`output_tensor`'s value, available only after `dependencies` have run."""
    values = [*list(dependencies), output_tensor]
    with graph_mod.name_scope(name, "control_dependency", values) as scope, \
            graph_mod.colocate_with(output_tensor), \
            graph_mod.control_dependencies(dependencies):
        return identity(convert_to_tensor(output_tensor), name=scope)


def tuple_(tensors, name=None, control_inputs=None):
    """`tf.tuple`: the `tensors`, each available only after all of them have been computed.

    Args:
        tensors: Tensors, Operations or None.
        name: name scope (default "tuple").
        control_inputs: more Operations or Tensors to wait for.

    Returns:
        A list: an Identity for each Tensor, a group for each Operation, None for None.

    Raises:
        TypeError: a control input is not an Operation or Tensor.
        ValueError: there is nothing to wait for.

    Example:
        >>> a2, b2 = tuple([a, b])  # neither is ready before both are
    """
    with graph_mod.name_scope(name, "tuple", tensors):
        tensors = [t if isinstance(t, (Operation, Tensor)) or t is None
                   else convert_to_tensor(t) for t in tensors]
        gating = [t if isinstance(t, Operation) else t.op for t in tensors if t is not None]
        for c in control_inputs or ():
            if isinstance(c, Tensor):
                c = c.op
            elif not isinstance(c, Operation):
                raise TypeError(f"Control input must be Operation or Tensor: {c}")
            gating.append(c)
        gating = sorted(set(gating), key=lambda op: op._id)
        if not gating:
            raise ValueError(f"Must have at least one Tensor: {tensors}")
        gate = group(*gating)
        out = []
        for t in tensors:
            if isinstance(t, Tensor):
                out.append(_with_dependencies([gate], t))
            elif isinstance(t, Operation):
                with graph_mod.control_dependencies([gate]):
                    out.append(group(t))
            else:
                out.append(None)
        return out
