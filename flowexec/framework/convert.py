"""convert_to_tensor: turns Python values, numpy arrays and tensor-likes into Tensors.

Types such as Variable register a conversion function; plain values become Const ops
through the function that `flowexec.ops.constant_op` installs. Conversion functions are
tried in priority order (lower first); one may return `NotImplemented` to pass.
"""

from flowexec.framework import dtypes
from flowexec.framework.tensor import Tensor

_CONVERSIONS = []  # (priority, type or tuple of types, fn(value, dtype, name, as_ref))
_constant_fn = None


def register_tensor_conversion_function(base_type, conversion_func, priority=100):
    """Registers `conversion_func(value, dtype=None, name=None, as_ref=False)` for a type.

    Raises:
        TypeError: `base_type` is not a type (or tuple of types), or the function is not
            callable.
    """
    if not (isinstance(base_type, type) or (
            isinstance(base_type, tuple) and all(isinstance(x, type) for x in base_type))):
        raise TypeError("base_type must be a type or a tuple of types.")
    if not callable(conversion_func):
        raise TypeError("conversion_func must be callable.")
    _CONVERSIONS.append((priority, base_type, conversion_func))
    _CONVERSIONS.sort(key=lambda e: e[0])


def _set_constant_fn(fn):
    global _constant_fn
    _constant_fn = fn


def _check_tensor_dtype(t, dtype):
    if dtype is not None and not dtype.is_compatible_with(t.dtype):
        raise ValueError(f"Tensor conversion requested dtype {dtype.name} for Tensor with "
                         f"dtype {t.dtype.name}: {str(t)!r}")
    return t


def internal_convert_to_tensor(value, dtype=None, name=None, as_ref=False,
                               preferred_dtype=None):
    """`convert_to_tensor` with `as_ref` (a Variable converts to its own ref tensor)."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(value, Tensor):
        return _check_tensor_dtype(value, dtype)
    if preferred_dtype is not None:
        preferred_dtype = dtypes.as_dtype(preferred_dtype)
    for _, base, fn in _CONVERSIONS:
        if isinstance(value, base):
            ret = _call(fn, value, dtype, name, as_ref, preferred_dtype)
            if ret is not NotImplemented:
                return ret
    return _call(_default_conversion, value, dtype, name, as_ref, preferred_dtype)


def _default_conversion(value, dtype=None, name=None, as_ref=False):
    return _constant_fn(value, dtype=dtype, name=name or "Const")


def _try_preferred(fn, value, preferred_dtype, name, as_ref):
    """`fn`'s conversion to `preferred_dtype`, or None when the value does not fit it (TF:
    a preferred dtype is a hint, unlike `dtype`)."""
    try:
        ret = fn(value, dtype=preferred_dtype, name=name, as_ref=as_ref)
    except (TypeError, ValueError):
        return None
    if ret is not NotImplemented and ret.dtype != preferred_dtype:
        raise TypeError(f"convert_to_tensor did not convert to the preferred dtype: "
                        f"{ret.dtype} vs {preferred_dtype} ")
    return ret


def _call(fn, value, dtype, name, as_ref, preferred_dtype):
    if dtype is None and preferred_dtype is not None:
        ret = _try_preferred(fn, value, preferred_dtype, name, as_ref)
        if ret is not None:
            return ret
        # the value does not fit the preferred type: it is converted without one
    ret = fn(value, dtype=dtype, name=name, as_ref=as_ref)
    if ret is NotImplemented:
        return ret
    prefix = "" if name is None else f"{name}: "
    if not isinstance(ret, Tensor):
        msg = (f"{prefix}Conversion function {fn!r} for type {type(value)} returned "
               f"non-Tensor: {ret!r}")
        raise RuntimeError(msg)  # noqa: TRY004 - TF's error type
    if dtype is not None and ret.dtype != dtype:
        raise RuntimeError(f"{prefix}Conversion function {fn!r} for type {type(value)} "
                           f"returned incompatible dtype: requested = {dtype.name}, actual = "
                           f"{ret.dtype.name}")
    return ret


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None):
    """Converts `value` to a Tensor.

    Args:
        value: a Tensor, a registered tensor-like (e.g. Variable), a numpy array, or a Python
            scalar or nested list.
        dtype: the required element type; a Tensor of another type is a ValueError.
        name: the name of a new Const op.
        preferred_dtype: the type to use when `value` does not fix one and it converts
            (`dtype_hint` is its newer name).

    Raises:
        ValueError: a Tensor of the wrong dtype ("Tensor conversion requested dtype int32
            for Tensor with dtype float32: ..."), a ragged list.
        TypeError: a value that cannot be converted to `dtype` ("Expected int32, got 2.5 of
            type 'float' instead.").

    Example:
        >>> convert_to_tensor([1, 2]).dtype
        tf.int32
    """
    return internal_convert_to_tensor(value, dtype=dtype, name=name, as_ref=False,
                                      preferred_dtype=preferred_dtype or dtype_hint)


def convert_n_to_tensor(values, dtype=None, name=None, preferred_dtype=None):
    """Converts each of `values`; a `name` gives Const ops `name_0`, `name_1`, ..."""
    return [convert_to_tensor(v, dtype=dtype, preferred_dtype=preferred_dtype,
                              name=None if name is None else f"{name}_{i}")
            for i, v in enumerate(values)]
