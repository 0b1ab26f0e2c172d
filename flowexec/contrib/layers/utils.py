"""Helpers contrib's layers share (TF's contrib/layers/python/layers/utils.py): collections
for a layer's variables and outputs, `smart_cond` on a bool or a bool Tensor, and shape
checks."""

import weakref

from flowexec.framework import graph as graph_mod
from flowexec.framework.tensor import Tensor
from flowexec.ops import cond as cond_mod
from flowexec.ops.shape_fns import constant_value as _static_value
from flowexec.variables import Variable

__all__ = ["collect_named_outputs", "append_tensor_alias", "get_tensor_aliases",
           "get_variable_collections",
           "add_variable_to_collections", "constant_value", "smart_cond", "last_dimension"]


# TF sets `tensor.aliases`; flowexec's Tensor has __slots__, so the aliases live here,
# keyed by the tensor (weakly: they go with the graph).
_ALIASES = weakref.WeakKeyDictionary()


def append_tensor_alias(tensor, alias):
    """Records `alias` (a trailing "/" dropped) as an alias of `tensor`."""
    if alias[-1] == "/":
        alias = alias[:-1]
    _ALIASES.setdefault(tensor, []).append(alias)
    return tensor


def get_tensor_aliases(tensor):
    """The aliases `collect_named_outputs` gave `tensor`, else `[tensor.op.name]` (TF's
    default alias: the name without the output index for output 0)."""
    if tensor in _ALIASES:
        return list(_ALIASES[tensor])
    name = tensor.name
    return [name[:-2] if name.endswith(":0") else name]


def collect_named_outputs(collections, alias, outputs):
    """Adds `outputs` to `collections` (if any) with the alias `alias`; returns `outputs`."""
    if collections:
        append_tensor_alias(outputs, alias)
        graph_mod.add_to_collections(collections, outputs)
    return outputs


def get_variable_collections(variables_collections, name):
    """`variables_collections[name]` for a dict, else `variables_collections` itself."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name, None)
    return variables_collections


def add_variable_to_collections(variable, collections_set, collections_name):
    """Adds `variable` to the collections named for `collections_name`, once each."""
    collections = get_variable_collections(collections_set, collections_name) or []
    if isinstance(collections, str):
        collections = [collections]
    for collection in collections:
        if not any(v is variable for v in graph_mod.get_collection(collection)):
            graph_mod.add_to_collection(collection, variable)


def constant_value(value_or_tensor_or_var, dtype=None):
    """The value of a Python value, or of a Tensor known at build time (else None).

    Raises:
        ValueError: `value_or_tensor_or_var` is None.
    """
    if value_or_tensor_or_var is None:
        raise ValueError("value_or_tensor_or_var cannot be None")
    value = value_or_tensor_or_var
    if isinstance(value, Variable):
        return None
    if isinstance(value, Tensor):
        if dtype and value.dtype.base_dtype != dtype:
            raise ValueError(f"The given tensor does not have a {dtype} type")
        known = _static_value(value)
        return None if known is None else known.item() if getattr(known, "ndim", 1) == 0 \
            else known
    return value


def smart_cond(pred, fn1, fn2, name=None):
    """`fn1()` or `fn2()` when `pred` is known at build time, else `tf.cond(pred, fn1, fn2)`.

    Raises:
        TypeError: `pred` is not a bool or a bool Tensor.
    """
    if isinstance(pred, Variable) or (isinstance(pred, Tensor) and _static_value(pred) is None):
        return cond_mod.cond(pred, fn1, fn2, name=name)
    value = constant_value(pred)
    if not isinstance(value, (bool, int)) and not hasattr(value, "dtype"):
        raise TypeError(f"`pred` must be a Tensor, or a Python bool, or 1 or 0. Found "
                        f"instead: {pred}")
    return fn1() if bool(value) else fn2()


def last_dimension(shape, min_rank=1):
    """The known last dimension of `shape`.

    Raises:
        ValueError: unknown rank, rank below `min_rank`, or an unknown last dimension.
    """
    dims = shape.dims if hasattr(shape, "dims") else None
    if dims is None:
        raise ValueError("dims of shape must be known but is None")
    if len(dims) < min_rank:
        raise ValueError("rank of shape must be at least %d not: %d" % (min_rank, len(dims)))
    value = shape.as_list()[-1]
    if value is None:
        raise ValueError("last dimension shape must be known but is None")
    return value
