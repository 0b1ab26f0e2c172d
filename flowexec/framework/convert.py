"""convert_to_tensor: turns Python values, numpy arrays and tensor-likes into Tensors.

Types such as Variable register a conversion function; plain values become Const ops
through the function that `flowexec.ops.constant_op` installs.
"""

from flowexec.framework import dtypes
from flowexec.framework.tensor import Tensor

_CONVERSIONS = []  # (type, fn(value, dtype, name, as_ref) -> Tensor)
_constant_fn = None


def register_tensor_conversion_function(base_type, conversion_func, priority=100):
    """Registers `conversion_func(value, dtype=None, name=None, as_ref=False)` for a type."""
    _CONVERSIONS.append((priority, base_type, conversion_func))
    _CONVERSIONS.sort(key=lambda e: e[0])


def _set_constant_fn(fn):
    global _constant_fn
    _constant_fn = fn


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None):
    """Converts `value` to a Tensor.

    Args:
        value: a Tensor, a registered tensor-like (e.g. Variable), a numpy array, or a Python
            scalar or nested list.
        dtype: the required element type; a Tensor of another type is a ValueError.
        name: the name of a new Const op.
        preferred_dtype: the type to use when `value` does not fix one and it converts.

    Raises:
        ValueError: a Tensor of the wrong dtype.
        TypeError: a value that cannot be converted to `dtype`.
    """
    if isinstance(value, Tensor):
        if dtype is not None and not dtypes.as_dtype(dtype) is value.dtype:
            raise ValueError(
                f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for Tensor "
                f"with dtype {value.dtype.name}: {value!r}")
        return value
    for _, base, fn in _CONVERSIONS:
        if isinstance(value, base):
            return fn(value, dtype=dtype, name=name, as_ref=False)
    preferred_dtype = preferred_dtype or dtype_hint
    if dtype is None and preferred_dtype is not None:
        try:
            return _constant_fn(value, dtype=preferred_dtype, name=name or "Const")
        except (TypeError, ValueError):
            pass
    return _constant_fn(value, dtype=dtype, name=name or "Const")


def convert_n_to_tensor(values, dtype=None, name=None):
    return [convert_to_tensor(v, dtype=dtype, name=name) for v in values]
