"""`tf.contrib.framework.variable` / `model_variable`: `get_variable` with contrib's
collection rules. A model variable joins GLOBAL_VARIABLES and MODEL_VARIABLES (plus the
given `collections`); `get_variable` adds TRAINABLE_VARIABLES when trainable. contrib's
layers create their weights through these, so `tf.contrib.framework.get_model_variables()`
lists them.
"""

import functools

from flowexec.contrib.framework.arg_scope import add_arg_scope
from flowexec.framework import graph as graph_mod
from flowexec.framework.graph import GraphKeys
from flowexec.variable_scope import VariableScope, get_variable, get_variable_scope

__all__ = ["variable", "model_variable", "get_model_variables", "get_variables",
           "get_variables_by_name"]


@add_arg_scope
def variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
             collections=None, caching_device=None, device=None, partitioner=None,
             custom_getter=None, use_resource=None, synchronization=None, aggregation=None):
    """Gets or creates a variable with `get_variable` (TF's contrib `variable`).

    Args:
        name, shape, dtype, initializer, regularizer, trainable, caching_device, partitioner,
        use_resource: as `tf.get_variable`.
        collections: collections of the variable (default [GLOBAL_VARIABLES]; duplicates
            dropped).
        device: a device for the variable (None: the current one).
        custom_getter: `fn(getter, name, ...)`, called with the current scope's `reuse`.

    Returns:
        The Variable.

    Example:
        >>> w = tf.contrib.framework.variable("w", [3, 4])
    """
    collections = list(collections if collections is not None
                       else [GraphKeys.GLOBAL_VARIABLES])
    collections = list(dict.fromkeys(collections))
    getter = get_variable
    if custom_getter is not None:
        getter = functools.partial(custom_getter, reuse=get_variable_scope().reuse)
    kwargs = {"shape": shape, "dtype": dtype, "initializer": initializer,
              "regularizer": regularizer, "trainable": trainable, "collections": collections,
              "caching_device": caching_device, "partitioner": partitioner}
    if custom_getter is None:
        kwargs["use_resource"] = use_resource
    if device is None:
        return getter(name, **kwargs)
    with graph_mod.device(device):
        return getter(name, **kwargs)


@add_arg_scope
def model_variable(name, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, collections=None, caching_device=None, device=None,
                   partitioner=None, custom_getter=None, use_resource=None,
                   synchronization=None, aggregation=None):
    """`variable` also added to GLOBAL_VARIABLES and MODEL_VARIABLES.

    Example:
        >>> w = tf.contrib.framework.model_variable("w", [3, 4])
        >>> w in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)
        True
    """
    collections = list(collections or [])
    collections += [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    return variable(name, shape=shape, dtype=dtype, initializer=initializer,
                    regularizer=regularizer, trainable=trainable, collections=collections,
                    caching_device=caching_device, device=device, partitioner=partitioner,
                    custom_getter=custom_getter, use_resource=use_resource)


def get_variables(scope=None, suffix=None, collection=GraphKeys.GLOBAL_VARIABLES):
    """The variables of `collection` whose names start with `scope` (and end in `suffix`)."""
    if isinstance(scope, VariableScope):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    return graph_mod.get_collection(collection, scope)


def get_variables_by_name(given_name, scope=None):
    """The GLOBAL_VARIABLES named `given_name` (the last name component), under `scope`.

    Example:
        >>> tf.contrib.framework.get_variables_by_name("weights")  # every layer's weights
    """
    suffix = "/" + given_name + ":|^" + given_name + ":"
    return get_variables(scope=scope, suffix=suffix)


def get_model_variables(scope=None, suffix=None):
    """The MODEL_VARIABLES whose names start with `scope` (and end in `suffix`)."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)
