"""Feeds: how a value given in `feed_dict` becomes what a plan reads.

Each fed tensor of a plan has a `FeedSpec`, precomputed when the plan is built, so that
`Session.run` only checks and converts: TF's dtype rules (a Python int that does not fit the
tensor's integer type is a TypeError; strings become object arrays of UTF-8 bytes), its
shape check (every known dimension must match), and no Tensor as a value. A TensorHandle
(`tf.get_session_handle`) as a value feeds the tensor its session keeps, as in TF. A 0-d value
becomes a numpy scalar, which takes numpy's fast scalar path with the same semantics.
"""

import numpy as np

from flowexec.framework.tensor import Tensor


class FeedSpec:
    """How to check and convert one fed value.

    Attributes:
        tensor: the fed user Tensor (named in error messages).
        slot: the plan's slot for the value.
        np_dtype: the numpy dtype it is converted to.
        dims: its static dimensions (None entries unknown), or None for an unknown rank.
        is_int: whether its dtype is an integer type.
    """

    __slots__ = ("tensor", "slot", "np_dtype", "dims", "is_int", "scalar", "host_object")

    def __init__(self, tensor, slot):
        self.tensor = tensor
        self.slot = slot
        self.np_dtype = tensor.dtype.np
        shape = tensor.shape
        self.dims = None if shape.ndims is None else tuple(shape.as_list())
        self.is_int = tensor.dtype.is_integer
        # resource and variant values are host objects (a list, a dataset): fed as they are
        self.host_object = not tensor.dtype.is_numpy_compatible
        # A Python float or int fed to a floating scalar becomes the numpy scalar directly.
        self.scalar = self.np_dtype.type if self.dims == () and \
            self.np_dtype.kind in "fc" else None


_PY_NUMBERS = (float, int)


class _Untaken:
    """What a function call feeds for a value an If left out (None: an intermediate of the
    branch that did not run, which only that branch's gradient would read, and it does not
    run either): passed through as None, where a user's None feed is an error."""

    __slots__ = ()

    def __repr__(self):
        return "UNTAKEN"


UNTAKEN = _Untaken()


def convert_feed(spec, value):
    """The value `run` stores for a feed (see the module docstring).

    Raises:
        TypeError: a Tensor as value, an int out of range, a non-string for a string.
        ValueError: a value that does not convert, or a shape that does not match.
    """
    if spec.host_object:
        return value
    if value is UNTAKEN:
        return None
    if spec.scalar is not None and type(value) in _PY_NUMBERS:
        try:
            return spec.scalar(value)
        except OverflowError:
            pass  # an int too large for a float: the general path says so
    kept = hasattr(value, "_feed_value")
    if kept:  # a TensorHandle: the value its session keeps, whatever the tensor's shape
        value = value._feed_value()
    if type(value) is np.ndarray and value.dtype is spec.np_dtype:
        arr = value
    else:
        if isinstance(value, Tensor) or hasattr(value, "_as_graph_element"):
            raise TypeError(
                "The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                "include Python scalars, strings, lists, numpy ndarrays, or TensorHandles. "
                f"For reference, the tensor object was {value} which was passed to the feed "
                f"with key {spec.tensor}.")
        if spec.is_int and type(value) is int:
            info = np.iinfo(spec.np_dtype)
            if not info.min <= value <= info.max:
                raise TypeError(
                    f"Type of feed value {value} with type {type(value)} is not compatible "
                    f"with Tensor type {spec.tensor.dtype!r}. Try explicitly setting the type "
                    "of the feed tensor to a larger type (e.g. int64).")
        try:
            if spec.np_dtype.kind == "O":
                arr = _as_bytes_array(value)
            else:
                arr = np.asarray(value, dtype=spec.np_dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise ValueError(
                f"Cannot feed value {value!r} for Tensor '{spec.tensor.name}' of dtype "
                f"{spec.tensor.dtype.name}: {e}") from e
    dims = spec.dims
    if dims is not None and not kept:
        shape = arr.shape
        if len(shape) != len(dims) or any(d is not None and d != s
                                          for d, s in zip(dims, shape)):
            raise ValueError(
                f"Cannot feed value of shape {shape} for Tensor '{spec.tensor.name}', which "
                f"has shape '{spec.tensor.shape}'")
    if arr.ndim == 0 and arr.dtype.kind != "O":
        return arr[()]  # a numpy scalar: fast scalar math; same semantics as a 0-d array
    return arr


def _as_bytes_array(value):
    """A string feed as TF holds it: an object array of bytes (str is UTF-8 encoded)."""
    arr = np.array(value, dtype=object)
    flat = arr.reshape(-1)
    for i, v in enumerate(flat):
        if isinstance(v, str):
            flat[i] = v.encode("utf-8")
        elif isinstance(v, np.str_):
            flat[i] = str(v).encode("utf-8")
        elif not isinstance(v, bytes):
            raise TypeError(f"Expected bytes or str for a string feed, got {v!r}")
    return arr


def flatten_feed_dict(feed_dict):
    """The keys and values of a feed_dict, with composite keys (an IndexedSlices) and tuple
    keys expanded into their tensors and the parts of their values."""
    feed_keys = []
    feed_values = []
    if feed_dict:
        for k, v in feed_dict.items():
            if hasattr(k, "_fetch_components"):
                # a composite (IndexedSlices, SparseTensor): its tensors fed with the
                # value's parts (an IndexedSlicesValue, a SparseTensorValue, a tuple)
                parts = k._fetch_components()
                if not isinstance(v, (tuple, list)) or len(v) != len(parts):
                    names = getattr(k, "_feed_component_names",
                                    "values, indices[, dense_shape]")
                    raise ValueError(f"Feed key {k} is fed with its {len(parts)} parts: "
                                     f"{names}, got {v!r}")
                feed_keys.extend(parts)
                feed_values.extend(v)
            elif isinstance(k, tuple) and not hasattr(k, "_as_graph_element"):
                if not isinstance(v, (tuple, list)) or len(v) != len(k):
                    raise ValueError(f"Feed key {k!r} is a tuple, so its value must be a "
                                     f"tuple or list of {len(k)} values, got {v!r}")
                feed_keys.extend(k)
                feed_values.extend(v)
            else:
                feed_keys.append(k)
                feed_values.append(v)
    return feed_keys, feed_values
